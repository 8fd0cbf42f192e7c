// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * V4L2 capture source: opening and negotiating the device, requesting
 * buffers, and the filter and output pin ops. The streaming loop is in
 * v4l2_stream.c.
 *
 * Buffer life: the format is fixed when the source is created (S_FMT, then
 * the driver's G_FMT answer is the truth), the allocator when the pin
 * connects (allocator_decided requests the V4L2 buffers), the memory when
 * the filter pauses (commit) and streaming when it runs. stop undoes all of
 * it down to REQBUFS(0), so the device is free for anyone at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/filter_util.h"
#include "v4l2_priv.h"

#define MIN_TOTAL_BUFFERS 3

void zcapi_v4l2_note(struct v4l2_src *src, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zcapi_filter_vnote(src->filter, fmt, ap);
	va_end(ap);
}

static uint64_t page_round(uint64_t n)
{
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t p = ps > 0 ? (uint64_t)ps : 4096;

	return (n + p - 1) / p * p;
}

/* ---- device ---------------------------------------------------------- */

static int src_open(struct v4l2_src *src)
{
	struct v4l2_capability cap;
	uint32_t caps;
	int ret;

	src->fd = open(src->device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (src->fd < 0)
		return -errno;

	memset(&cap, 0, sizeof(cap));
	ret = zcapi_v4l2_ioctl(src->fd, VIDIOC_QUERYCAP, &cap);
	if (ret < 0)
		/* ENOTTY: a character device that does not speak V4L2. */
		return ret;
	caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps :
							    cap.capabilities;
	snprintf(src->driver, sizeof(src->driver), "%s", (const char *)cap.driver);
	snprintf(src->card, sizeof(src->card), "%s", (const char *)cap.card);

	if (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE) {
		src->type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
		src->mplane = true;
	} else if (caps & V4L2_CAP_VIDEO_CAPTURE) {
		src->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		src->mplane = false;
	} else {
		zcapi_v4l2_note(src, "%s (%s) is not a video capture device",
			      src->device, src->card);
		return -EMEDIUMTYPE;
	}
	if (!(caps & V4L2_CAP_STREAMING)) {
		zcapi_v4l2_note(src, "%s (%s) cannot stream (no V4L2_CAP_STREAMING)",
			      src->device, src->card);
		return -EMEDIUMTYPE;
	}
	ret = zcapi_v4l2q_init(&src->q, src->fd, src->type);
	src->q_ready = !ret;
	return ret;
}

static void src_min_buffers(struct v4l2_src *src)
{
	struct v4l2_control ctrl = { .id = V4L2_CID_MIN_BUFFERS_FOR_CAPTURE };

	/* Most drivers do not have the control; two is what vb2 needs to stream. */
	src->min_buffers = 2;
	if (zcapi_v4l2_ioctl(src->fd, VIDIOC_G_CTRL, &ctrl) == 0 && ctrl.value > 0)
		src->min_buffers = (uint32_t)ctrl.value;
}

/*
 * Does the driver flag @fourcc as compressed? Its ENUM_FMT knows the
 * bitstreams our own table does not.
 */
static bool driver_compressed(struct v4l2_src *src, uint32_t fourcc)
{
	struct v4l2_fmtdesc d;

	memset(&d, 0, sizeof(d));
	d.type = src->type;
	for (; zcapi_v4l2_ioctl(src->fd, VIDIOC_ENUM_FMT, &d) == 0; d.index++)
		if (d.pixelformat == fourcc)
			return d.flags & V4L2_FMT_FLAG_COMPRESSED;
	return false;
}

static int src_set_format(struct v4l2_src *src)
{
	const struct zcap_v4l2_source_config *cfg = &src->cfg;
	struct v4l2_format vf;
	char a[5], b[5];
	uint32_t got_fourcc, got_w, got_h, got_stride;
	int ret;

	memset(&vf, 0, sizeof(vf));
	vf.type = src->type;
	ret = zcapi_v4l2_ioctl(src->fd, VIDIOC_G_FMT, &vf);
	if (ret < 0)
		return ret;

	if (cfg->fourcc || cfg->width || cfg->height || cfg->stride) {
		if (src->mplane) {
			struct v4l2_pix_format_mplane *mp = &vf.fmt.pix_mp;
			uint32_t p;

			if (cfg->fourcc && cfg->fourcc != mp->pixelformat) {
				mp->pixelformat = cfg->fourcc;
				/* Let the driver pick the planes of the new format. */
				for (p = 0; p < VIDEO_MAX_PLANES; p++) {
					mp->plane_fmt[p].bytesperline = 0;
					mp->plane_fmt[p].sizeimage = 0;
				}
			}
			if (cfg->width)
				mp->width = cfg->width;
			if (cfg->height)
				mp->height = cfg->height;
			mp->plane_fmt[0].bytesperline = cfg->stride;
			for (p = 1; p < VIDEO_MAX_PLANES; p++)
				mp->plane_fmt[p].bytesperline = 0;
			for (p = 0; p < VIDEO_MAX_PLANES; p++)
				mp->plane_fmt[p].sizeimage = 0;
		} else {
			struct v4l2_pix_format *pix = &vf.fmt.pix;

			if (cfg->fourcc)
				pix->pixelformat = cfg->fourcc;
			if (cfg->width)
				pix->width = cfg->width;
			if (cfg->height)
				pix->height = cfg->height;
			/* 0 asks the driver for its natural stride. */
			pix->bytesperline = cfg->stride;
			pix->sizeimage = 0;
		}
		ret = zcapi_v4l2_ioctl(src->fd, VIDIOC_S_FMT, &vf);
		if (ret < 0) {
			zcapi_v4l2_note(src, "VIDIOC_S_FMT failed: %s", strerror(-ret));
			return ret;
		}
	}

	/* The driver's final word, whatever S_FMT echoed. */
	memset(&vf, 0, sizeof(vf));
	vf.type = src->type;
	ret = zcapi_v4l2_ioctl(src->fd, VIDIOC_G_FMT, &vf);
	if (ret < 0)
		return ret;
	if (src->mplane) {
		got_fourcc = vf.fmt.pix_mp.pixelformat;
		got_w = vf.fmt.pix_mp.width;
		got_h = vf.fmt.pix_mp.height;
		got_stride = vf.fmt.pix_mp.plane_fmt[0].bytesperline;
	} else {
		got_fourcc = vf.fmt.pix.pixelformat;
		got_w = vf.fmt.pix.width;
		got_h = vf.fmt.pix.height;
		got_stride = vf.fmt.pix.bytesperline;
	}
	if (cfg->fourcc && got_fourcc != cfg->fourcc) {
		zcapi_v4l2_note(src, "%s does not capture %s (it offers %s)",
			      src->card, zcap_fourcc_str(cfg->fourcc, a),
			      zcap_fourcc_str(got_fourcc, b));
		return ZCAP_E_TYPE_NOT_ACCEPTED;
	}
	ret = zcapi_fmt_from_v4l2(&vf, driver_compressed(src, got_fourcc),
				  &src->fmt);
	if (ret < 0) {
		zcapi_v4l2_note(src, "the driver's format %s %ux%u is inconsistent",
			      zcap_fourcc_str(got_fourcc, a), got_w, got_h);
		return ret;
	}
	if ((cfg->width && got_w != cfg->width) ||
	    (cfg->height && got_h != cfg->height))
		zcapi_v4l2_note(src, "the driver adjusted %ux%u to %ux%u",
			      cfg->width, cfg->height, got_w, got_h);
	else if (cfg->stride && got_stride != cfg->stride)
		zcapi_v4l2_note(src, "the driver adjusted stride %u to %u",
			      cfg->stride, got_stride);
	return 0;
}

static int src_set_rate(struct v4l2_src *src)
{
	struct v4l2_streamparm parm;
	int ret;

	memset(&parm, 0, sizeof(parm));
	parm.type = src->type;
	ret = zcapi_v4l2_ioctl(src->fd, VIDIOC_G_PARM, &parm);
	if (ret < 0) {
		if (src->cfg.fps)
			zcapi_v4l2_note(src, "the driver has no frame rate control; --fps ignored");
		return 0;
	}
	if (src->cfg.fps && (parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME)) {
		parm.parm.capture.timeperframe.numerator = 1;
		parm.parm.capture.timeperframe.denominator = src->cfg.fps;
		ret = zcapi_v4l2_ioctl(src->fd, VIDIOC_S_PARM, &parm);
		if (ret < 0)
			zcapi_v4l2_note(src, "VIDIOC_S_PARM %u fps failed: %s",
				      src->cfg.fps, strerror(-ret));
		memset(&parm, 0, sizeof(parm));
		parm.type = src->type;
		if (zcapi_v4l2_ioctl(src->fd, VIDIOC_G_PARM, &parm) < 0)
			return 0;
	} else if (src->cfg.fps) {
		zcapi_v4l2_note(src, "the driver cannot set the frame rate; --fps ignored");
	}
	src->fmt.interval_num = parm.parm.capture.timeperframe.numerator;
	src->fmt.interval_den = parm.parm.capture.timeperframe.denominator;
	return 0;
}

/* ---- V4L2 buffers ------------------------------------------------------ */

/* Every buffer back: STREAMOFF if needed, unmap, REQBUFS(0), the samples. */
static void release_queue(struct v4l2_src *src)
{
	if (src->q_ready)
		zcapi_v4l2q_release(&src->q);
	src->nbufs = 0;
}

static int setup_mmap(struct v4l2_src *src, uint32_t count)
{
	int ret;

	ret = zcapi_v4l2q_reqbufs(&src->q, V4L2_MEMORY_MMAP, count,
				  src->fmt.n_mem);
	if (ret < 0) {
		zcapi_v4l2_note(src, "VIDIOC_REQBUFS(MMAP, %u) or mapping the driver's buffers failed: %s",
			      count, strerror(-ret));
		return ret;
	}
	if ((uint32_t)ret < src->min_buffers) {
		release_queue(src);
		zcapi_v4l2_note(src, "the driver granted %d MMAP buffers, it needs %u",
			      ret, src->min_buffers);
		return ZCAP_E_PROPS_REJECTED;
	}
	src->nbufs = (uint32_t)ret;
	return 0;
}

/*
 * Request V4L2 buffers for the decided allocator: import its dma-bufs when
 * it has them and the driver takes them, else the driver's own buffers and
 * a counted copy: a fallback with a reason, not a failure
 * (Documentation/users.md, consumers without DMABUF).
 */
static int setup_queue(struct v4l2_src *src)
{
	uint32_t count = zcap_allocator_count(src->alloc), granted;
	int ret;

	if (!count)
		return ZCAP_E_SIZE_NOT_SET;
	if (!zcap_allocator_is_dmabuf(src->alloc))
		return setup_mmap(src, count);
	ret = zcapi_v4l2q_reqbufs(&src->q, V4L2_MEMORY_DMABUF, count,
				  src->fmt.n_mem);
	if (ret == -EINVAL) {
		zcapi_v4l2_note(src, "%s cannot import dma-bufs; capturing into its own buffers and copying",
			      src->card);
		return setup_mmap(src, count);
	}
	if (ret < 0) {
		zcapi_v4l2_note(src, "VIDIOC_REQBUFS(DMABUF, %u) failed: %s",
			      count, strerror(-ret));
		return ret;
	}
	granted = (uint32_t)ret;
	/*
	 * Fewer: adapt if the driver can still stream, else say so
	 * (Documentation/users.md, too few buffers). More (vb2 rounds up):
	 * we only have the allocator's dma-bufs.
	 */
	if (granted < count && granted < src->min_buffers) {
		release_queue(src);
		zcapi_v4l2_note(src, "the driver granted %u of %u buffers, below its minimum %u",
			      granted, count, src->min_buffers);
		return ZCAP_E_PROPS_REJECTED;
	}
	if (granted < count)
		zcapi_v4l2_note(src, "the driver granted %u of %u buffers; using %u",
			      granted, count, granted);
	src->nbufs = granted < count ? granted : count;
	return 0;
}

/*
 * A V4L2 capture queue imports a dma-buf from its first byte: vb2 takes no
 * data offset from userspace for capture. A sample whose data does not
 * start there, or whose blocks do not match the V4L2 planes, can only be
 * filled by copying.
 */
static int check_import(struct v4l2_src *src)
{
	struct zcap_sample *s;
	struct zcap_mem mem;
	uint32_t m;
	int ret;

	ret = zcap_allocator_get_buffer(src->alloc, 0, &s);
	if (ret < 0)
		return ret;
	ret = 0;
	if (zcap_sample_n_mem(s) != src->fmt.n_mem) {
		ret = -EPROTO;
	} else {
		for (m = 0; m < src->fmt.n_mem; m++) {
			if (zcap_sample_mem(s, m, &mem) < 0 || mem.fd < 0 ||
			    mem.offset != 0 || mem.length < src->fmt.mem_size[m]) {
				ret = -EPROTO;
				break;
			}
		}
	}
	zcap_sample_unref(s);
	if (ret == 0)
		return 0;

	release_queue(src);
	ret = setup_mmap(src, zcap_allocator_count(src->alloc));
	if (ret == 0)
		zcapi_v4l2_note(src, "the allocator's buffers do not start at offset 0 of their dma-buf; copying");
	return ret;
}

/* ---- output pin ops ---------------------------------------------------- */

static int pin_enum_format(struct zcap_pin *pin, uint32_t index,
			   struct zcap_format *fmt)
{
	struct v4l2_src *src = zcap_pin_priv(pin);

	if (index > 0)
		return -ENOENT;
	*fmt = src->fmt;
	return 0;
}

static uint32_t align_up(uint32_t v, uint32_t a)
{
	return a > 1 ? (v + a - 1) / a * a : v;
}

static int pin_decide_buffer_size(struct zcap_pin *pin, struct zcap_allocator *a,
				  const struct zcap_alloc_requirements *req,
				  const struct zcap_format *fmt,
				  struct zcap_alloc_props *props)
{
	struct v4l2_src *src = zcap_pin_priv(pin);
	const struct zcap_layout_constraints *lc = &req->layout;
	struct zcap_format sf = src->fmt;
	uint32_t count, m, p;

	(void)a;
	if (fmt->fourcc != src->fmt.fourcc || fmt->width != src->fmt.width ||
	    fmt->height != src->fmt.height)
		return ZCAP_E_TYPE_NOT_ACCEPTED;

	/*
	 * Stride is the driver's to choose (S_FMT already asked for the
	 * configured one). A consumer that needs another alignment must ask
	 * for it through the configured stride.
	 */
	for (p = 0; p < sf.n_planes; p++) {
		if (lc->stride_align > 1 && sf.planes[p].stride % lc->stride_align) {
			zcapi_v4l2_note(src, "the consumer needs a stride multiple of %u, the driver gives %u; set the stride",
				      lc->stride_align, sf.planes[p].stride);
			return ZCAP_E_PROPS_REJECTED;
		}
		if (lc->offset_align > 1 && sf.planes[p].offset % lc->offset_align) {
			zcapi_v4l2_note(src, "the consumer needs plane offsets multiple of %u",
				      lc->offset_align);
			return ZCAP_E_PROPS_REJECTED;
		}
	}
	/*
	 * Vertical padding cannot be said to V4L2 (Documentation/users.md,
	 * vertical padding), but a larger buffer can: pad the lines of each
	 * plane that ends its block, where the extra lines do not move any
	 * other plane.
	 */
	if (lc->height_align > 1) {
		for (p = 0; p < sf.n_planes; p++) {
			struct zcap_plane_layout *pl = &sf.planes[p];
			uint32_t q;
			bool last = true;

			for (q = 0; q < sf.n_planes; q++)
				if (q != p && sf.planes[q].mem == pl->mem &&
				    sf.planes[q].offset > pl->offset)
					last = false;
			if (!last) {
				if (pl->lines % lc->height_align) {
					zcapi_v4l2_note(src, "cannot pad plane %u to %u lines: the driver places the next plane right after it",
						      p, lc->height_align);
					return ZCAP_E_PROPS_REJECTED;
				}
				continue;
			}
			pl->lines = align_up(pl->lines, lc->height_align);
			pl->size = (uint64_t)pl->stride * pl->lines;
			if (pl->offset + pl->size > sf.mem_size[pl->mem])
				sf.mem_size[pl->mem] = pl->offset + pl->size;
		}
	}

	count = src->min_buffers + req->held + src->cfg.extra_buffers;
	if (count < MIN_TOTAL_BUFFERS)
		count = MIN_TOTAL_BUFFERS;
	if (count < req->props.count)
		count = req->props.count;

	memset(props, 0, sizeof(*props));
	props->count = count;
	props->align = req->props.align;
	props->prefix = req->props.prefix;
	props->flags = req->props.flags;
	props->n_mem = sf.n_mem;
	for (m = 0; m < sf.n_mem; m++) {
		uint64_t sz = sf.mem_size[m];

		/*
		 * Never below sizeimage, and whole pages (Documentation/users.md,
		 * buffers shorter than sizeimage; stride and page alignment).
		 */
		if (req->props.size[m] > sz)
			sz = req->props.size[m];
		props->size[m] = page_round(sz);
		sf.mem_size[m] = props->size[m];
	}
	src->sample_fmt = sf;
	return 0;
}

static int pin_own_allocator(struct zcap_pin *pin, struct zcap_allocator **out)
{
	struct v4l2_src *src = zcap_pin_priv(pin);
	int ret;

	if (src->cfg.provider == ZCAP_PROVIDER_MEMORY)
		return zcap_allocator_new_memory(out);
	ret = zcap_allocator_new_dmabuf(src->cfg.provider, out);
	if (ret == ZCAP_E_NO_PROVIDER && src->cfg.provider == ZCAP_PROVIDER_AUTO) {
		/*
		 * No dma-buf provider is a copy, not a failure
		 * (Documentation/users.md, no dma-buf provider).
		 */
		zcapi_v4l2_note(src, "no dma-buf provider could be opened; capturing with a copy");
		return zcap_allocator_new_memory(out);
	}
	return ret;
}

static int pin_allocator_decided(struct zcap_pin *pin, struct zcap_allocator *a)
{
	struct v4l2_src *src = zcap_pin_priv(pin);
	struct zcap_alloc_props got;
	uint32_t m;
	int ret;

	ret = zcap_allocator_get_properties(a, &got);
	if (ret < 0)
		return ret;
	if (src->sample_fmt.n_planes == 0)
		src->sample_fmt = src->fmt;
	/* What set_properties granted is what counts, not what was asked. */
	if (got.count < src->min_buffers) {
		zcapi_v4l2_note(src, "the allocator granted %u buffers, the driver needs %u",
			      got.count, src->min_buffers);
		return ZCAP_E_PROPS_REJECTED;
	}
	if ((got.n_mem ? got.n_mem : 1) != src->fmt.n_mem) {
		zcapi_v4l2_note(src, "the allocator has %u memory blocks per buffer, the format %u",
			      got.n_mem, src->fmt.n_mem);
		return ZCAP_E_PROPS_REJECTED;
	}
	for (m = 0; m < src->fmt.n_mem; m++) {
		if (got.size[m] < src->fmt.mem_size[m]) {
			zcapi_v4l2_note(src, "the allocator granted %llu bytes for block %u, the driver needs %llu",
				      (unsigned long long)got.size[m], m,
				      (unsigned long long)src->fmt.mem_size[m]);
			return ZCAP_E_PROPS_REJECTED;
		}
	}

	/* A new decision replaces whatever the last one requested. */
	release_queue(src);
	zcapi_allocator_set(&src->alloc, a);
	ret = setup_queue(src);
	if (ret < 0) {
		zcapi_allocator_set(&src->alloc, NULL);
		return ret;
	}
	zcapi_filter_set_provider(src->filter, a);
	return 0;
}

static void pin_disconnect(struct zcap_pin *pin)
{
	struct v4l2_src *src = zcap_pin_priv(pin);

	release_queue(src);
	zcapi_allocator_set(&src->alloc, NULL);
	memset(&src->sample_fmt, 0, sizeof(src->sample_fmt));
}

static const struct zcap_output_pin_ops v4l2_src_pin_ops = {
	.enum_format = pin_enum_format,
	.decide_buffer_size = pin_decide_buffer_size,
	.own_allocator = pin_own_allocator,
	.allocator_decided = pin_allocator_decided,
	.disconnect = pin_disconnect,
};

/* ---- filter ops -------------------------------------------------------- */

static int src_pause(struct zcap_filter *f)
{
	struct v4l2_src *src = zcap_filter_priv(f);
	int ret;

	/* Only STOPPED -> PAUSED comes here (the core has no RUNNING -> PAUSED). */
	if (!src->alloc)
		return ZCAP_E_NOT_CONNECTED;
	if (!zcap_allocator_committed(src->alloc)) {
		ret = zcap_allocator_commit(src->alloc);
		if (ret < 0)
			return ret;
		src->committed = true;
	}
	if (!src->q.memory) {
		/* Stopped before: the buffers went back with REQBUFS(0). */
		ret = setup_queue(src);
		if (ret < 0)
			goto err;
	}
	if (zcapi_v4l2q_is_dmabuf(&src->q)) {
		ret = check_import(src);
		if (ret < 0)
			goto err;
	}
	return 0;
err:
	release_queue(src);
	if (src->committed) {
		zcap_allocator_decommit(src->alloc);
		src->committed = false;
	}
	return ret;
}

static int src_run(struct zcap_filter *f)
{
	struct v4l2_src *src = zcap_filter_priv(f);
	struct zcap_filter_stats *st;

	if (!src->q.memory)
		return ZCAP_E_WRONG_STATE;
	st = zcap_filter_stats_lock(f);
	st->last_error = 0;
	zcap_filter_stats_unlock(f);
	return zcapi_v4l2_stream_start(src);
}

static int src_stop(struct zcap_filter *f)
{
	struct v4l2_src *src = zcap_filter_priv(f);

	zcapi_v4l2_stream_stop(src);
	release_queue(src);
	if (src->committed && src->alloc) {
		zcap_allocator_decommit(src->alloc);
		src->committed = false;
	}
	return 0;
}

static void src_destroy(struct zcap_filter *f)
{
	struct v4l2_src *src = zcap_filter_priv(f);

	if (!src)
		return;
	zcapi_v4l2_stream_stop(src);
	release_queue(src);
	if (src->alloc) {
		if (src->committed)
			zcap_allocator_decommit(src->alloc);
		zcap_allocator_unref(src->alloc);
	}
	if (src->q_ready)
		zcapi_v4l2q_fini(&src->q);
	if (src->stop_fd >= 0)
		close(src->stop_fd);
	if (src->fd >= 0)
		close(src->fd);
	free(src->device);
	free(src);
}

static const struct zcap_filter_ops v4l2_src_filter_ops = {
	.pause = src_pause,
	.run = src_run,
	.stop = src_stop,
	.destroy = src_destroy,
};

int zcap_v4l2_source_new(const struct zcap_v4l2_source_config *cfg,
			 struct zcap_filter **out)
{
	struct v4l2_src *src;
	struct zcap_filter *f = NULL;
	int ret;

	if (!cfg || !cfg->device || !out)
		return -EINVAL;
	*out = NULL;
	src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	src->fd = -1;
	src->stop_fd = -1;
	src->cfg = *cfg;
	src->device = strdup(cfg->device);
	if (!src->device) {
		free(src);
		return -ENOMEM;
	}
	src->cfg.device = src->device;
	if (src->cfg.timeout_ms <= 0)
		src->cfg.timeout_ms = 5000;

	src->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (src->stop_fd < 0) {
		ret = -errno;
		goto err_free;
	}
	ret = zcap_filter_new("v4l2-source", &v4l2_src_filter_ops, src, &f);
	if (ret < 0)
		goto err_free;
	/* From here the filter owns src: zcap_filter_destroy() frees it. */
	src->filter = f;

	ret = src_open(src);
	if (ret < 0)
		goto err_filter;
	src_min_buffers(src);
	ret = src_set_format(src);
	if (ret < 0)
		goto err_filter;
	ret = src_set_rate(src);
	if (ret < 0)
		goto err_filter;
	src->sample_fmt = src->fmt;

	ret = zcap_pin_new_output(f, "out", &v4l2_src_pin_ops, src, &src->pin);
	if (ret < 0)
		goto err_filter;
	*out = f;
	return 0;

err_filter:
	zcap_filter_destroy(f);
	return ret;
err_free:
	if (src->stop_fd >= 0)
		close(src->stop_fd);
	free(src->device);
	free(src);
	return ret;
}

int zcap_v4l2_source_describe(struct zcap_filter *f, char *buf, uint32_t len)
{
	struct v4l2_src *src;
	char fcc[5];
	int n;

	if (!f || !buf || !len)
		return -EINVAL;
	/* Only a filter made by zcap_v4l2_source_new() has our private data. */
	if (!zcap_filter_is(f, &v4l2_src_filter_ops))
		return -EINVAL;
	src = zcap_filter_priv(f);
	if (!src || src->filter != f)
		return -EINVAL;
	n = snprintf(buf, len, "%s: %s (%s), %s, %s %ux%u stride %u, %u/%u s",
		     src->device, src->card, src->driver,
		     src->mplane ? "multi-planar" : "single-planar",
		     zcap_fourcc_str(src->fmt.fourcc, fcc), src->fmt.width,
		     src->fmt.height, src->fmt.planes[0].stride,
		     src->fmt.interval_num, src->fmt.interval_den);
	return n < 0 ? -EINVAL : 0;
}
