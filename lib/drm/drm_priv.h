/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DRM sink's state, shared by its files: the filter (drm_sink.c), the
 * output it picks to show frames on (drm_kms.c), how it shows them there
 * and puts the output back (drm_show.c), its imported buffers
 * (drm_buf.c) and its log lines said under its lock (drm_said.c).
 */
#ifndef ZCAP_DRM_PRIV_H
#define ZCAP_DRM_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <xf86drmMode.h>

#include <zcap/drm.h>

struct drm_buf {
	bool valid;
	uint32_t n_mem;
	ino_t ino[ZCAP_MAX_PLANES];
	uint32_t handle[ZCAP_MAX_PLANES];
	uint32_t fb;
	int fb_err;		/* drmModeAddFB2 refused it: not tried again */
};

/* The planes of one CRTC a sink tries its first frame on. */
#define DRM_MAX_PLANES 8

/* A rectangle on the CRTC, or of the frame (whole pixels). */
struct drm_rect {
	uint32_t x, y, w, h;
};

/*
 * Where frames go on a KMS device: chosen at pause, given back at stop
 * (drm_kms.c picks, drm_show.c shows and puts back).
 */
struct drm_output {
	uint32_t crtc_id;
	uint32_t crtc_w, crtc_h;	/* its mode's size */
	/*
	 * No CRTC was lit: the sink lights @mode on @connector_id with a
	 * black framebuffer of its own, and turns the CRTC off at stop.
	 */
	bool light;
	bool lit;
	uint32_t connector_id;
	drmModeModeInfo mode;
	uint32_t black_fb, black_handle;
	/*
	 * A lit CRTC: the framebuffer its primary plane @found_plane
	 * showed (when the sink saw it there), put back at stop.
	 */
	uint32_t found_fb, found_x, found_y, found_plane;
	/* Planes of the CRTC that take the format, most fitting first. */
	uint32_t planes[DRM_MAX_PLANES];
	bool primary[DRM_MAX_PLANES];
	uint32_t n_planes;
	/* Settled by the first frame: the plane and where the frame goes. */
	uint32_t plane_id;
	bool plane_primary;
	struct drm_rect src, dst;
	int place_err;		/* no plane took the first frame */
};

/*
 * Lines said with d->lock held, logged once it is let go: the log
 * callback may query the sink (log.h), which takes d->lock.
 */
#define DRM_LOG_LINES 20
struct drm_said {
	uint32_t n;
	struct {
		enum zcap_log_level level;
		char text[160];
	} line[DRM_LOG_LINES];
};

struct drm_sink {
	struct zcap_filter *f;
	struct zcap_pin *in;
	struct zcap_drm_sink_config cfg;
	int fd;
	struct zcap_format fmt;
	bool have_fmt;
	uint32_t drm_fourcc;
	struct zcap_allocator *alloc;

	bool kms;
	struct drm_output out;

	pthread_mutex_t lock;	/* bufs, counters, out, shown */
	struct drm_buf *bufs;
	uint32_t n_bufs;
	uint64_t imports;
	uint64_t framebuffers;
	struct zcap_sample *shown;	/* on the plane now */
	bool running;
	struct drm_said said;
};

/*
 * Called with d->lock held: a line for the log, logged by
 * zcapi_drm_log_said() after the lock; warnings also become the note.
 */
void zcapi_drm_say(struct drm_sink *d, enum zcap_log_level level,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Called without d->lock: log what was said under it. */
void zcapi_drm_log_said(struct drm_sink *d);

/*
 * Called with d->lock held. KMS, at pause: choose the CRTC (and mode,
 * if none is lit) frames go to and the planes to try; d->kms says
 * whether any was found.
 */
void zcapi_drm_pick_output(struct drm_sink *d);

/* Called with d->lock held: show @b's framebuffer (the first: place it). */
int zcapi_drm_show(struct drm_sink *d, const struct drm_buf *b);

/*
 * Called with d->lock held, at stop: the CRTC and planes as found, the
 * output forgotten (the next pause picks again, for a format or size
 * that may have changed).
 */
void zcapi_drm_put_back(struct drm_sink *d);

/* Called with d->lock held. Import @s's buffer unless it already is. */
int zcapi_drm_buf_get(struct drm_sink *d, struct zcap_sample *s,
		      struct drm_buf **out);
/* Called with d->lock held: its framebuffer and GEM handles go. */
void zcapi_drm_buf_release(struct drm_sink *d, struct drm_buf *b);

#endif /* ZCAP_DRM_PRIV_H */
