/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DRM sink's state, shared by its files: the filter (drm_sink.c), the
 * output it shows frames on (drm_kms.c) and its imported buffers
 * (drm_buf.c).
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
	uint32_t crtc_id;
	uint32_t plane_id;
	uint32_t crtc_w, crtc_h;
	/* No CRTC was lit: the sink sets this mode with its first frame. */
	bool need_modeset;
	bool mode_set;		/* and turns the CRTC off again at stop */
	uint32_t connector_id;
	drmModeModeInfo mode;

	pthread_mutex_t lock;	/* bufs, counters, shown */
	struct drm_buf *bufs;
	uint32_t n_bufs;
	uint64_t imports;
	uint64_t framebuffers;
	struct zcap_sample *shown;	/* on the plane now */
	bool running;
};

/* KMS: choose the CRTC, plane (and mode, if none is lit) frames go to. */
void zcapi_drm_pick_output(struct drm_sink *d);

/* Called with d->lock held. Import @s's buffer unless it already is. */
int zcapi_drm_buf_get(struct drm_sink *d, struct zcap_sample *s,
		      struct drm_buf **out);
/* Called with d->lock held: its framebuffer and GEM handles go. */
void zcapi_drm_buf_release(struct drm_sink *d, struct drm_buf *b);

#endif /* ZCAP_DRM_PRIV_H */
