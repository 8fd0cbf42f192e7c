// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * DRM sink through libdrm: the capture dma-bufs become GEM handles by
 * PRIME import, once per buffer for the whole stream, and on a KMS device
 * framebuffers shown on a plane. The frame on screen is held until the
 * next one replaced it, so the capture driver never writes into a
 * buffer being scanned out.
 *
 * This file is the filter: its pin, states and the frame shown each
 * receive; where frames go is chosen in drm_kms.c, the buffers are
 * imported in drm_buf.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <zcap/drm.h>
#include <zcap/error.h>

#include "core/filter_util.h"
#include "drm_priv.h"
#include "providers/propose.h"

/*
 * V4L2 names packed RGB by byte order in memory, DRM by bits of a
 * little-endian word: the same layout has mirrored names.
 */
uint32_t zcap_v4l2_to_drm_fourcc(uint32_t f)
{
	switch (f) {
	case V4L2_PIX_FMT_YUYV:		return DRM_FORMAT_YUYV;
	case V4L2_PIX_FMT_YVYU:		return DRM_FORMAT_YVYU;
	case V4L2_PIX_FMT_UYVY:		return DRM_FORMAT_UYVY;
	case V4L2_PIX_FMT_VYUY:		return DRM_FORMAT_VYUY;
	case V4L2_PIX_FMT_NV12:
	case V4L2_PIX_FMT_NV12M:	return DRM_FORMAT_NV12;
	case V4L2_PIX_FMT_NV21:
	case V4L2_PIX_FMT_NV21M:	return DRM_FORMAT_NV21;
	case V4L2_PIX_FMT_NV16:
	case V4L2_PIX_FMT_NV16M:	return DRM_FORMAT_NV16;
	case V4L2_PIX_FMT_NV61:
	case V4L2_PIX_FMT_NV61M:	return DRM_FORMAT_NV61;
	case V4L2_PIX_FMT_NV24:		return DRM_FORMAT_NV24;
	case V4L2_PIX_FMT_NV42:		return DRM_FORMAT_NV42;
	case V4L2_PIX_FMT_YUV420:
	case V4L2_PIX_FMT_YUV420M:	return DRM_FORMAT_YUV420;
	case V4L2_PIX_FMT_YVU420:
	case V4L2_PIX_FMT_YVU420M:	return DRM_FORMAT_YVU420;
	case V4L2_PIX_FMT_YUV422P:
	case V4L2_PIX_FMT_YUV422M:	return DRM_FORMAT_YUV422;
	case V4L2_PIX_FMT_GREY:		return DRM_FORMAT_R8;
	case V4L2_PIX_FMT_RGB565:	return DRM_FORMAT_RGB565;
	case V4L2_PIX_FMT_RGB24:	return DRM_FORMAT_BGR888;
	case V4L2_PIX_FMT_BGR24:	return DRM_FORMAT_RGB888;
	case V4L2_PIX_FMT_XBGR32:	return DRM_FORMAT_XRGB8888;
	case V4L2_PIX_FMT_ABGR32:	return DRM_FORMAT_ARGB8888;
	case V4L2_PIX_FMT_XRGB32:	return DRM_FORMAT_BGRX8888;
	case V4L2_PIX_FMT_ARGB32:	return DRM_FORMAT_BGRA8888;
	case V4L2_PIX_FMT_RGBX32:	return DRM_FORMAT_XBGR8888;
	case V4L2_PIX_FMT_RGBA32:	return DRM_FORMAT_ABGR8888;
	default:			return 0;
	}
}

static int drm_accept_format(struct zcap_pin *pin, const struct zcap_format *fmt)
{
	struct drm_sink *d = zcap_pin_priv(pin);
	uint32_t fcc = zcap_v4l2_to_drm_fourcc(fmt->fourcc);
	char s[5];

	if (!fcc) {
		zcapi_filter_note(d->f, "no DRM format for %s",
				  zcap_fourcc_str(fmt->fourcc, s));
		return ZCAP_E_TYPE_NOT_ACCEPTED;
	}
	d->fmt = *fmt;
	d->drm_fourcc = fcc;
	d->have_fmt = true;
	return 0;
}

static int drm_propose_allocator(struct zcap_pin *pin, struct zcap_allocator **out)
{
	struct drm_sink *d = zcap_pin_priv(pin);

	return zcapi_propose_dmabuf(d->cfg.flags, out);
}

static int drm_get_requirements(struct zcap_pin *pin,
				struct zcap_alloc_requirements *req)
{
	(void)pin;
	memset(req, 0, sizeof(*req));
	/* The frame on screen stays held until the next one is shown. */
	req->held = 1;
	req->props.count = 1;
	return 0;
}

static int drm_notify_allocator(struct zcap_pin *pin, struct zcap_allocator *a,
				bool read_only)
{
	struct drm_sink *d = zcap_pin_priv(pin);

	(void)read_only;
	if (!zcap_allocator_is_dmabuf(a))
		zcapi_filter_note(d->f, "upstream buffers are not dma-bufs: nothing can be imported");
	zcapi_allocator_set(&d->alloc, a);
	return 0;
}

static int drm_receive(struct zcap_pin *pin, struct zcap_sample *s)
{
	struct drm_sink *d = zcap_pin_priv(pin);
	struct zcap_sample *old = NULL;
	struct drm_buf *b = NULL;
	bool kms, said;
	int r;

	pthread_mutex_lock(&d->lock);
	if (!d->running) {
		pthread_mutex_unlock(&d->lock);
		return ZCAP_E_WRONG_STATE;
	}
	kms = d->kms;
	r = zcapi_drm_buf_get(d, s, &b);
	if (!r && kms) {
		r = zcapi_drm_show(d, b);
		if (!r) {
			/* The previous frame left the screen: release it. */
			old = d->shown;
			d->shown = zcap_sample_ref(s);
		}
	}
	/* Lines come with the first frame only: no second lock per frame. */
	said = d->said.n != 0;
	pthread_mutex_unlock(&d->lock);
	if (old)
		zcap_sample_unref(old);
	if (said)
		zcapi_drm_log_said(d);

	zcapi_stats_frame(d->f, s, r, zcapi_sample_bytes(s), 0);
	if (r)
		zcapi_filter_error(d->f, r, "drm",
				   kms ? "showing a frame" : "PRIME import",
				   false);
	return r;
}

/*
 * It may: a legacy SetPlane on an atomic driver waits for the vblank,
 * and the first frame may light the CRTC (a full modeset).
 */
static int drm_receive_can_block(struct zcap_pin *pin)
{
	(void)pin;
	return 1;
}

static void drm_in_disconnect(struct zcap_pin *pin)
{
	struct drm_sink *d = zcap_pin_priv(pin);

	zcapi_allocator_set(&d->alloc, NULL);
	d->have_fmt = false;
}

static const struct zcap_input_pin_ops drm_in_ops = {
	.accept_format = drm_accept_format,
	.propose_allocator = drm_propose_allocator,
	.get_requirements = drm_get_requirements,
	.notify_allocator = drm_notify_allocator,
	.receive = drm_receive,
	.receive_can_block = drm_receive_can_block,
	.disconnect = drm_in_disconnect,
};

static void drm_release_all(struct drm_sink *d)
{
	struct zcap_sample *old;
	uint32_t i;

	pthread_mutex_lock(&d->lock);
	d->running = false;
	old = d->shown;
	d->shown = NULL;
	/* Before the framebuffers go: removing one on screen blanks its plane. */
	if (d->kms)
		zcapi_drm_put_back(d);
	for (i = 0; i < d->n_bufs; i++)
		zcapi_drm_buf_release(d, &d->bufs[i]);
	pthread_mutex_unlock(&d->lock);
	if (old)
		zcap_sample_unref(old);
}

static int drm_pause(struct zcap_filter *f)
{
	struct drm_sink *d = zcap_filter_priv(f);

	if (!d->have_fmt || !d->alloc)
		return ZCAP_E_NOT_CONNECTED;
	/* Paused from stopped only: the output went back at the last stop. */
	pthread_mutex_lock(&d->lock);
	zcapi_drm_pick_output(d);
	pthread_mutex_unlock(&d->lock);
	zcapi_drm_log_said(d);
	zcapi_filter_set_provider(f, d->alloc);
	return 0;
}

static int drm_run(struct zcap_filter *f)
{
	struct drm_sink *d = zcap_filter_priv(f);

	pthread_mutex_lock(&d->lock);
	d->running = true;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/*
 * Master goes back too, as found: a display server started meanwhile
 * can take it. The same file may take it again at the next pause.
 */
static int drm_stop(struct zcap_filter *f)
{
	struct drm_sink *d = zcap_filter_priv(f);

	drm_release_all(d);
	if (drmIsMaster(d->fd))
		drmDropMaster(d->fd);
	zcapi_drm_log_said(d);
	return 0;
}

static void drm_destroy(struct zcap_filter *f)
{
	struct drm_sink *d = zcap_filter_priv(f);

	drm_release_all(d);
	if (d->alloc)
		zcap_allocator_unref(d->alloc);
	free(d->bufs);
	close(d->fd);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static const struct zcap_filter_ops drm_ops = {
	.pause = drm_pause,
	.run = drm_run,
	.stop = drm_stop,
	.destroy = drm_destroy,
};

static struct drm_sink *drm_from_filter(struct zcap_filter *f)
{
	if (!zcap_filter_is(f, &drm_ops))
		return NULL;
	return zcap_filter_priv(f);
}

int zcap_drm_sink_info(struct zcap_filter *f, struct zcap_drm_sink_info *out)
{
	struct drm_sink *d = drm_from_filter(f);
	uint32_t i;

	if (!d || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&d->lock);
	out->fd = d->fd;
	out->kms = d->kms;
	out->imports = d->imports;
	out->framebuffers = d->framebuffers;
	out->crtc_id = d->out.crtc_id;
	out->plane_id = d->out.plane_id;
	for (i = 0; i < d->n_bufs; i++)
		if (d->bufs[i].valid)
			out->n_buffers++;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int zcap_drm_sink_handle(struct zcap_filter *f, uint32_t index,
			 uint32_t *handle)
{
	struct drm_sink *d = drm_from_filter(f);
	int r = -ENOENT;

	if (!d || !handle)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	if (index < d->n_bufs && d->bufs[index].valid) {
		*handle = d->bufs[index].handle[0];
		r = 0;
	}
	pthread_mutex_unlock(&d->lock);
	return r;
}

int zcap_drm_sink_new(const struct zcap_drm_sink_config *cfg,
		      struct zcap_filter **out)
{
	struct drm_sink *d;
	char name[64];
	int r;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!cfg || !cfg->device || !ZCAPI_RESERVED_ZERO(cfg->reserved) ||
	    (cfg->flags & ~ZCAP_CONSUMER_PROPOSE_ALLOCATOR))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	d->cfg.device = NULL;
	r = -pthread_mutex_init(&d->lock, NULL);
	if (r)
		goto err_dev;
	d->fd = open(cfg->device, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		r = -errno;
		goto err_lock;
	}
	{
		uint64_t cap = 0;

		if (drmGetCap(d->fd, DRM_CAP_PRIME, &cap) ||
		    !(cap & DRM_PRIME_CAP_IMPORT)) {
			r = ZCAP_E_NO_DMABUF;
			goto err_fd;
		}
	}
	snprintf(name, sizeof(name), "drm(%s)", cfg->device);
	r = zcap_filter_new(name, &drm_ops, d, &d->f);
	if (r)
		goto err_fd;
	/* From here the filter owns d: zcap_filter_destroy() frees it. */
	r = zcap_pin_new_input(d->f, "in", &drm_in_ops, d, &d->in);
	if (r)
		goto err_filter;
	*out = d->f;
	return 0;

err_filter:
	zcap_filter_destroy(d->f);
	return r;
err_fd:
	close(d->fd);
err_lock:
	pthread_mutex_destroy(&d->lock);
err_dev:
	free(d);
	return r;
}

