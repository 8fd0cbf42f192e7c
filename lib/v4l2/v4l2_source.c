// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * V4L2 capture source: its buffers (the queue in DMABUF or MMAP mode),
 * and the filter and output pin ops. Opening and negotiating the device
 * is in v4l2_source_dev.c, the streaming loop in v4l2_stream.c.
 *
 * Buffer life: the format is fixed when the source is created (S_FMT, then
 * the driver's G_FMT answer is the truth), the allocator when the pin
 * connects (allocator_decided requests the V4L2 buffers), the memory when
 * the filter pauses (commit) and streaming when it runs. stop undoes all of
 * it down to REQBUFS(0), so the device is free for anyone at once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/filter_util.h"
#include "core/zcap_internal.h"
#include "providers/providers.h"
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
	uint64_t p = zcapi_page_size();

	return (n + p - 1) / p * p;
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
	zcap_filter_log(src->filter, ZCAP_LOG_INFO, "VIDIOC_REQBUFS(MMAP, %u): %d granted",
			count, ret);
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
	zcap_filter_log(src->filter, ZCAP_LOG_INFO, "VIDIOC_REQBUFS(DMABUF, %u): %u granted",
			count, granted);
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

/*
 * Stride is the driver's to choose (S_FMT already asked for the
 * configured one): a consumer that needs another alignment must ask for
 * it through the configured stride.
 */
static int check_alignment(struct v4l2_src *src,
			   const struct zcap_layout_constraints *lc)
{
	const struct zcap_format *sf = &src->fmt;
	uint32_t p;

	for (p = 0; p < sf->n_planes; p++) {
		if (lc->stride_align > 1 && sf->planes[p].stride % lc->stride_align) {
			zcapi_v4l2_note(src, "the consumer needs a stride multiple of %u, the driver gives %u; set the stride",
				      lc->stride_align, sf->planes[p].stride);
			return ZCAP_E_PROPS_REJECTED;
		}
		if (lc->offset_align > 1 && sf->planes[p].offset % lc->offset_align) {
			zcapi_v4l2_note(src, "the consumer needs plane offsets multiple of %u",
				      lc->offset_align);
			return ZCAP_E_PROPS_REJECTED;
		}
	}
	return 0;
}

/* Does plane @p of @f end its memory block (no plane after it there)? */
static bool ends_block(const struct zcap_format *f, uint32_t p)
{
	for (uint32_t q = 0; q < f->n_planes; q++)
		if (q != p && f->planes[q].mem == f->planes[p].mem &&
		    f->planes[q].offset > f->planes[p].offset)
			return false;
	return true;
}

/*
 * Vertical padding cannot be said to V4L2 (Documentation/users.md,
 * vertical padding), but a larger buffer can: pad the lines of each plane
 * of @sf that ends its block, where the extra lines do not move any other
 * plane.
 */
static int pad_height(struct v4l2_src *src, struct zcap_format *sf,
		      uint32_t align)
{
	uint32_t p;

	for (p = 0; align > 1 && p < sf->n_planes; p++) {
		struct zcap_plane_layout *pl = &sf->planes[p];

		if (!ends_block(sf, p)) {
			if (pl->lines % align) {
				zcapi_v4l2_note(src, "cannot pad plane %u to %u lines: the driver places the next plane right after it",
					      p, align);
				return ZCAP_E_PROPS_REJECTED;
			}
			continue;
		}
		pl->lines = align_up(pl->lines, align);
		pl->size = (uint64_t)pl->stride * pl->lines;
		if (pl->offset + pl->size > sf->mem_size[pl->mem])
			sf->mem_size[pl->mem] = pl->offset + pl->size;
	}
	return 0;
}

static int pin_decide_buffer_size(struct zcap_pin *pin, struct zcap_allocator *a,
				  const struct zcap_alloc_requirements *req,
				  const struct zcap_format *fmt,
				  struct zcap_alloc_props *props)
{
	struct v4l2_src *src = zcap_pin_priv(pin);
	struct zcap_format sf = src->fmt;
	uint32_t count, m;
	uint64_t total;
	int ret;

	(void)a;
	if (fmt->fourcc != src->fmt.fourcc || fmt->width != src->fmt.width ||
	    fmt->height != src->fmt.height)
		return ZCAP_E_TYPE_NOT_ACCEPTED;
	ret = check_alignment(src, &req->layout);
	if (!ret)
		ret = pad_height(src, &sf, req->layout.height_align);
	if (ret)
		return ret;

	/* Wide enough not to wrap: a silly extra_buffers asks for the most. */
	total = (uint64_t)src->min_buffers + req->held + src->cfg.extra_buffers;
	count = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
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
		/*
		 * Never below sizeimage, and whole pages (Documentation/users.md,
		 * buffers shorter than sizeimage; stride and page alignment).
		 */
		props->size[m] = page_round(req->props.size[m] > sf.mem_size[m] ?
					    req->props.size[m] : sf.mem_size[m]);
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
	ret = zcapi_allocator_new_dmabuf_log(src->filter, src->cfg.provider, out);
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

	/*
	 * Only STOPPED -> PAUSED comes here (the core has no RUNNING ->
	 * PAUSED), with the allocator committed by the core (the output
	 * pin's Active), which decommits it after src_stop().
	 */
	if (!src->alloc)
		return ZCAP_E_NOT_CONNECTED;
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
	return 0;
}

static void src_destroy(struct zcap_filter *f)
{
	struct v4l2_src *src = zcap_filter_priv(f);

	if (!src)
		return;
	zcapi_v4l2_stream_stop(src);
	release_queue(src);
	/* Stopped (and so decommitted) by zcap_filter_destroy() first. */
	if (src->alloc)
		zcap_allocator_unref(src->alloc);
	if (src->q_ready)
		zcapi_v4l2q_fini(&src->q);
	if (src->stop_fd >= 0)
		close(src->stop_fd);
	if (src->fd >= 0)
		close(src->fd);
	pthread_mutex_destroy(&src->pump_lock);
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

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!cfg || !cfg->device)
		return -EINVAL;
	if (cfg->flags & ~ZCAP_V4L2_SOURCE_CALLER_THREAD)
		return -EINVAL;
	if (!ZCAPI_RESERVED_ZERO(cfg->reserved))
		return -EINVAL;
	src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	src->fd = -1;
	src->stop_fd = -1;
	pthread_mutex_init(&src->pump_lock, NULL);
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

	ret = zcapi_v4l2_src_open(src);
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
	pthread_mutex_destroy(&src->pump_lock);
	free(src->device);
	free(src);
	return ret;
}

struct v4l2_src *zcapi_v4l2_src_of(struct zcap_filter *f)
{
	struct v4l2_src *src;

	/* Only a filter made by zcap_v4l2_source_new() has our private data. */
	if (!f || !zcap_filter_is(f, &v4l2_src_filter_ops))
		return NULL;
	src = zcap_filter_priv(f);
	return src && src->filter == f ? src : NULL;
}

int zcap_v4l2_source_buffers(struct zcap_filter *f)
{
	struct v4l2_src *src = zcapi_v4l2_src_of(f);

	if (!src)
		return -EINVAL;
	if (!src->streaming || !src->nbufs)
		return ZCAP_E_WRONG_STATE;
	if (!zcapi_v4l2q_is_dmabuf(&src->q))
		return (int)zcap_allocator_count(src->alloc);
	return (int)src->nbufs;
}

int zcap_v4l2_source_describe(struct zcap_filter *f, char *buf, uint32_t len)
{
	struct v4l2_src *src = zcapi_v4l2_src_of(f);
	char fcc[5];
	int n;

	if (!src || !buf || !len)
		return -EINVAL;
	n = snprintf(buf, len, "%s: %s (%s), %s, %s %ux%u stride %u, %u/%u s",
		     src->device, src->card, src->driver,
		     src->mplane ? "multi-planar" : "single-planar",
		     zcap_fourcc_str(src->fmt.fourcc, fcc), src->fmt.width,
		     src->fmt.height, src->fmt.planes[0].stride,
		     src->fmt.interval_num, src->fmt.interval_den);
	return n < 0 ? -EINVAL : 0;
}
