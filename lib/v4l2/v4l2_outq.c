// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A V4L2 OUTPUT queue fed with zcap samples, shared by the mem2mem encoder
 * and the video output sink: its format here, its buffers in queue.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zcap/error.h>

#include "v4l2_outq.h"

int zcapi_outq_device_caps(int fd, uint32_t *caps)
{
	struct v4l2_capability cap;
	int r;

	r = zcapi_v4l2_ioctl(fd, VIDIOC_QUERYCAP, &cap);
	if (r)
		return r;
	*caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps :
							  cap.capabilities;
	return 0;
}

int32_t zcapi_outq_ctrl_get(int fd, uint32_t id, int32_t def)
{
	struct v4l2_control c = { .id = id };

	if (zcapi_v4l2_ioctl(fd, VIDIOC_G_CTRL, &c))
		return def;
	return c.value;
}

static bool outq_mplane(const struct zcapi_outq *q)
{
	return q->type == V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
}

int zcapi_outq_init(struct zcapi_outq *q, int fd, uint32_t type)
{
	memset(q, 0, sizeof(*q));
	q->fd = fd;
	q->type = type;
	q->n_planes = 1;
	return zcapi_v4l2q_init(&q->q, fd, type);
}

void zcapi_outq_fini(struct zcapi_outq *q)
{
	zcapi_v4l2q_fini(&q->q);
}

/*
 * Planes that share one memory block must sit where V4L2 puts them: right
 * after each other, each as tall as the visible frame. Compare with the
 * unpadded layout of the same format.
 */
static int outq_check_offsets(const struct zcap_format *zf, uint32_t bpl,
			      char *why, size_t why_len)
{
	struct zcap_format ref;
	uint32_t p;

	if (zf->n_planes == 1 || zf->n_mem == zf->n_planes)
		return 0;
	memset(&ref, 0, sizeof(ref));
	ref.fourcc = zf->fourcc;
	ref.width = zf->width;
	ref.height = zf->height;
	if (zcap_format_layout(&ref, NULL) || ref.planes[0].stride != bpl) {
		snprintf(why, why_len,
			 "planar layout with stride %u is not V4L2's", bpl);
		return ZCAP_E_TYPE_NOT_ACCEPTED;
	}
	for (p = 0; p < zf->n_planes; p++) {
		if (zf->planes[p].offset != ref.planes[p].offset ||
		    zf->planes[p].stride != ref.planes[p].stride) {
			snprintf(why, why_len,
				 "plane %u at offset %llu stride %u, the device wants %llu/%u",
				 p, (unsigned long long)zf->planes[p].offset,
				 zf->planes[p].stride,
				 (unsigned long long)ref.planes[p].offset,
				 ref.planes[p].stride);
			return ZCAP_E_TYPE_NOT_ACCEPTED;
		}
	}
	return 0;
}

/*
 * Stride of the first plane that lives in memory block @mem; 0 for a
 * bitstream, which has no lines (V4L2's bytesperline for one).
 */
static uint32_t outq_mem_stride(const struct zcap_format *zf, uint32_t mem)
{
	uint32_t p;

	if (zf->flags & ZCAP_FORMAT_COMPRESSED)
		return 0;
	for (p = 0; p < zf->n_planes; p++)
		if (zf->planes[p].mem == mem)
			return zf->planes[p].stride;
	return 0;
}

/* A device's bytesperline for block @mem that is not @zf's; a bitstream has none. */
static bool outq_bpl_differs(const struct zcap_format *zf, uint32_t mem,
			     uint32_t bpl)
{
	return !(zf->flags & ZCAP_FORMAT_COMPRESSED) &&
	       bpl != outq_mem_stride(zf, mem);
}

/* The S_FMT that asks for exactly @zf's layout. */
static int outq_request(const struct zcapi_outq *q, const struct zcap_format *zf,
			struct v4l2_format *f, char *why, size_t why_len)
{
	struct v4l2_pix_format_mplane *mp = &f->fmt.pix_mp;
	struct v4l2_pix_format *pix = &f->fmt.pix;
	uint32_t i;

	memset(f, 0, sizeof(*f));
	f->type = q->type;
	if (outq_mplane(q)) {
		mp->pixelformat = zf->fourcc;
		mp->width = zf->width;
		mp->height = zf->height;
		mp->field = zf->field ? zf->field : V4L2_FIELD_NONE;
		mp->colorspace = zf->colorspace;
		mp->num_planes = zf->n_mem;
		for (i = 0; i < zf->n_mem; i++) {
			mp->plane_fmt[i].bytesperline = outq_mem_stride(zf, i);
			mp->plane_fmt[i].sizeimage = zf->mem_size[i];
		}
		return 0;
	}
	if (zf->n_mem != 1) {
		snprintf(why, why_len, "%u memory blocks on a single-planar device",
			 zf->n_mem);
		return ZCAP_E_TYPE_NOT_ACCEPTED;
	}
	pix->pixelformat = zf->fourcc;
	pix->width = zf->width;
	pix->height = zf->height;
	pix->field = zf->field ? zf->field : V4L2_FIELD_NONE;
	pix->colorspace = zf->colorspace;
	pix->bytesperline = outq_mem_stride(zf, 0);
	pix->sizeimage = zf->mem_size[0];
	return 0;
}

/* Did the device take @zf's fourcc and size as they are? */
static int outq_check_size(const struct zcapi_outq *q, const struct zcap_format *zf,
			   const struct v4l2_format *f, char *why, size_t why_len)
{
	bool mplane = outq_mplane(q);
	uint32_t fcc = mplane ? f->fmt.pix_mp.pixelformat : f->fmt.pix.pixelformat;
	uint32_t w = mplane ? f->fmt.pix_mp.width : f->fmt.pix.width;
	uint32_t h = mplane ? f->fmt.pix_mp.height : f->fmt.pix.height;
	char a[5], b[5];

	if (fcc == zf->fourcc && w == zf->width && h == zf->height &&
	    (!mplane || f->fmt.pix_mp.num_planes == zf->n_mem))
		return 0;
	snprintf(why, why_len, "asked %s %ux%u, the device took %s %ux%u",
		 zcap_fourcc_str(zf->fourcc, a), zf->width, zf->height,
		 zcap_fourcc_str(fcc, b), w, h);
	return ZCAP_E_TYPE_NOT_ACCEPTED;
}

/* Did the device take each block's bytesperline as it is? */
static int outq_check_strides(const struct zcapi_outq *q,
			      const struct zcap_format *zf,
			      const struct v4l2_format *f, char *why,
			      size_t why_len)
{
	uint32_t i, bpl;

	if (!outq_mplane(q)) {
		bpl = f->fmt.pix.bytesperline;
		if (!outq_bpl_differs(zf, 0, bpl))
			return 0;
		snprintf(why, why_len, "the device wants bytesperline %u, not %u",
			 bpl, zf->planes[0].stride);
		return ZCAP_E_TYPE_NOT_ACCEPTED;
	}
	for (i = 0; i < zf->n_mem; i++) {
		bpl = f->fmt.pix_mp.plane_fmt[i].bytesperline;
		if (outq_bpl_differs(zf, i, bpl)) {
			snprintf(why, why_len,
				 "the device wants bytesperline %u for plane %u, not %u",
				 bpl, i, outq_mem_stride(zf, i));
			return ZCAP_E_TYPE_NOT_ACCEPTED;
		}
	}
	return 0;
}

int zcapi_outq_set_format(struct zcapi_outq *q, const struct zcap_format *zf,
			 char *why, size_t why_len)
{
	struct v4l2_format f;
	int r;

	r = outq_request(q, zf, &f, why, why_len);
	if (r)
		return r;
	r = zcapi_v4l2_ioctl(q->fd, VIDIOC_S_FMT, &f);
	if (r) {
		snprintf(why, why_len, "S_FMT: %s", strerror(-r));
		return r == -EBUSY ? ZCAP_E_WRONG_STATE : ZCAP_E_TYPE_NOT_ACCEPTED;
	}
	r = outq_check_size(q, zf, &f, why, why_len);
	if (!r)
		r = outq_check_strides(q, zf, &f, why, why_len);
	if (!r)
		r = outq_check_offsets(zf, outq_mplane(q) ?
				       f.fmt.pix_mp.plane_fmt[0].bytesperline :
				       f.fmt.pix.bytesperline, why, why_len);
	if (r)
		return r;
	q->n_planes = outq_mplane(q) ? f.fmt.pix_mp.num_planes : 1;
	q->fmt = f;
	return 0;
}

uint32_t zcapi_outq_sizeimage(const struct zcapi_outq *q, uint32_t plane)
{
	if (outq_mplane(q))
		return plane < q->fmt.fmt.pix_mp.num_planes ?
			q->fmt.fmt.pix_mp.plane_fmt[plane].sizeimage : 0;
	return plane == 0 ? q->fmt.fmt.pix.sizeimage : 0;
}

int zcapi_outq_check_allocator(struct zcapi_outq *q, struct zcap_allocator *a,
			       char *why, size_t why_len)
{
	struct zcap_alloc_props got;
	uint32_t p;
	int r;

	r = zcap_allocator_get_properties(a, &got);
	if (r) {
		snprintf(why, why_len, "allocator has no properties: %s",
			 zcap_strerror(r));
		return r;
	}
	if (!zcap_allocator_is_dmabuf(a))
		return 0;	/* copied: any size is fine */
	if ((got.n_mem ? got.n_mem : 1) != q->n_planes) {
		snprintf(why, why_len, "%u memory blocks per buffer, the device takes %u",
			 got.n_mem ? got.n_mem : 1, q->n_planes);
		return ZCAP_E_PROPS_REJECTED;
	}
	for (p = 0; p < q->n_planes; p++) {
		if (got.size[p] < zcapi_outq_sizeimage(q, p)) {
			snprintf(why, why_len,
				 "buffers of %llu bytes, the device needs %u (sizeimage)",
				 (unsigned long long)got.size[p],
				 zcapi_outq_sizeimage(q, p));
			return ZCAP_E_PROPS_REJECTED;
		}
	}
	return 0;
}

int zcapi_outq_reqbufs(struct zcapi_outq *q, bool dmabuf, uint32_t count,
		      char *note, size_t note_len)
{
	int r = -EOPNOTSUPP;

	if (zcapi_outq_requested(q))
		return ZCAP_E_WRONG_STATE;
	if (dmabuf) {
		r = zcapi_v4l2q_reqbufs(&q->q, V4L2_MEMORY_DMABUF, count,
					q->n_planes);
		if (r >= 0 && (uint32_t)r < count)
			snprintf(note, note_len,
				 "device granted %d of %u DMABUF buffers: dma-bufs will be rebound",
				 r, count);
		else if (r < 0)
			snprintf(note, note_len,
				 "device refused DMABUF (%s): copying into its MMAP buffers",
				 strerror(-r));
	}
	if (r < 0) {
		r = zcapi_v4l2q_reqbufs(&q->q, V4L2_MEMORY_MMAP, count,
					q->n_planes);
		if (r < 0) {
			snprintf(note, note_len, "REQBUFS(MMAP) failed: %s",
				 strerror(-r));
			return r;
		}
	}
	return 0;
}

int zcapi_outq_streamon(struct zcapi_outq *q)
{
	return zcapi_v4l2q_streamon(&q->q);
}

void zcapi_outq_streamoff(struct zcapi_outq *q)
{
	zcapi_v4l2q_streamoff(&q->q);
}

void zcapi_outq_release(struct zcapi_outq *q)
{
	zcapi_v4l2q_release(&q->q);
}

bool zcapi_outq_is_dmabuf(const struct zcapi_outq *q)
{
	return zcapi_v4l2q_is_dmabuf(&q->q);
}

bool zcapi_outq_requested(const struct zcapi_outq *q)
{
	return q->q.memory != 0;
}

uint32_t zcapi_outq_queued(struct zcapi_outq *q)
{
	return zcapi_v4l2q_queued(&q->q);
}

int zcapi_outq_queue(struct zcapi_outq *q, struct zcap_sample *s,
		    int timeout_ms, uint64_t *copied)
{
	/* Either way the device may be behind: wait for it, then drop. */
	return zcapi_v4l2q_queue_out(&q->q, s, timeout_ms, copied);
}

int zcapi_outq_dequeue(struct zcapi_outq *q, uint32_t *flags)
{
	struct zcapi_v4l2q_done d;
	int r;

	r = zcapi_v4l2q_dequeue(&q->q, &d);
	if (!r && flags)
		*flags = d.flags;
	return r;
}
