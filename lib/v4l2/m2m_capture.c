// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The mem2mem encoder's bitstream side (see m2m_encoder.c for the whole):
 * the coded format, the CAPTURE queue, each coded frame downstream, and
 * the output pin.
 *
 * When the output pin's allocator is dma-buf backed, its buffers are the
 * CAPTURE buffers (V4L2_MEMORY_DMABUF, each dma-buf at its own index, so
 * the driver keeps its mapping): the encoder writes the bitstream into
 * them and the sample goes downstream as it is; its index is queued again
 * once every holder has released it. Only when that allocator is plain
 * memory, the encoder refuses DMABUF on CAPTURE or a copy is forced are
 * the coded frames copied out of the encoder's own (MMAP) buffers, and
 * bytes_copied counts it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/videodev2.h>

#include <zcap/error.h>

#include "m2m_priv.h"
#include "providers/providers.h"

#define ENC_OUT_TIMEOUT_MS	2000

int zcapi_m2m_set_coded_format(struct m2m_enc *e, uint32_t w, uint32_t h)
{
	struct v4l2_format f;
	int r;

	memset(&f, 0, sizeof(f));
	f.type = e->cap_type;
	if (e->mplane) {
		f.fmt.pix_mp.pixelformat = e->cfg.coded_fourcc;
		f.fmt.pix_mp.width = w;
		f.fmt.pix_mp.height = h;
		f.fmt.pix_mp.num_planes = 1;
	} else {
		f.fmt.pix.pixelformat = e->cfg.coded_fourcc;
		f.fmt.pix.width = w;
		f.fmt.pix.height = h;
	}
	r = zcapi_v4l2_ioctl(e->c.fd, VIDIOC_S_FMT, &f);
	if (r)
		return r;
	if ((e->mplane ? f.fmt.pix_mp.pixelformat : f.fmt.pix.pixelformat) !=
	    e->cfg.coded_fourcc)
		return -EINVAL;
	return 0;
}

/* The coded buffer size follows the raw format: read it back after it. */
int zcapi_m2m_read_coded_size(struct m2m_enc *e)
{
	struct v4l2_format f;
	int r;

	memset(&f, 0, sizeof(f));
	f.type = e->cap_type;
	r = zcapi_v4l2_ioctl(e->c.fd, VIDIOC_G_FMT, &f);
	if (r)
		return r;
	e->cap_sizeimage = e->mplane ? f.fmt.pix_mp.plane_fmt[0].sizeimage :
				       f.fmt.pix.sizeimage;
	return 0;
}

/* STREAMOFF, unmapping, REQBUFS(0), then the bitstream samples held. */
void zcapi_m2m_cap_release(struct m2m_enc *e)
{
	if (e->cap_ready)
		zcapi_v4l2q_release(&e->cap);
}

/*
 * Can the coded frames go downstream in the bitstream allocator's own
 * dma-bufs? Its buffers must start at offset 0 (a CAPTURE buffer has no
 * data offset of our choosing) and hold what the encoder may write.
 */
static bool enc_cap_can_import(struct m2m_enc *e)
{
	struct zcap_alloc_props p;

	if (!e->out_alloc || !zcap_allocator_is_dmabuf(e->out_alloc) ||
	    (e->cfg.flags & ZCAP_CONSUMER_FORCE_COPY))
		return false;
	if (zcap_allocator_get_properties(e->out_alloc, &p))
		return false;
	return p.count > 0 && p.prefix == 0 && p.align <= 1 && p.n_mem <= 1 &&
	       p.size[0] >= e->cap_sizeimage && p.size[0] <= UINT32_MAX;
}

/*
 * DMABUF CAPTURE buffers, one per buffer of the committed bitstream
 * allocator, each queued at its own index; buffers past what REQBUFS
 * granted are parked, so that they never show as free.
 */
static int enc_cap_setup_dmabuf(struct m2m_enc *e)
{
	int r;

	r = zcapi_v4l2q_reqbufs(&e->cap, V4L2_MEMORY_DMABUF,
				zcap_allocator_count(e->out_alloc), 1);
	zcap_filter_log(e->c.f, r < 0 ? ZCAP_LOG_WARN : ZCAP_LOG_INFO,
			"VIDIOC_REQBUFS(DMABUF, %u) on the CAPTURE queue: %d%s",
			zcap_allocator_count(e->out_alloc), r, r < 0 ? " (an error)" : " granted");
	if (r > 0)
		r = zcapi_v4l2q_fill(&e->cap, e->out_alloc);
	if (r)
		zcapi_m2m_cap_release(e);
	return r;
}

static int enc_cap_setup_mmap(struct m2m_enc *e)
{
	uint32_t i;
	int r;

	r = zcapi_v4l2q_reqbufs(&e->cap, V4L2_MEMORY_MMAP,
				e->cfg.capture_buffers, 1);
	zcap_filter_log(e->c.f, r < 0 ? ZCAP_LOG_ERROR : ZCAP_LOG_INFO,
			"VIDIOC_REQBUFS(MMAP, %u) on the CAPTURE queue: %d%s",
			e->cfg.capture_buffers, r, r < 0 ? " (an error)" : " granted");
	if (r < 0)
		return r;
	for (i = 0; i < e->cap.count; i++) {
		r = zcapi_v4l2q_requeue(&e->cap, i);
		if (r) {
			zcapi_m2m_cap_release(e);
			return r;
		}
	}
	return 0;
}

/* Add @what to the filter's note, after what is there. */
static void enc_note_append(char *note, size_t len, const char *what)
{
	size_t n = strlen(note);

	snprintf(note + n, len - n, "%s%s", n ? "; " : "", what);
}

/*
 * CAPTURE buffers: the bitstream allocator's own dma-bufs where they can
 * be (no copy), else the encoder's MMAP buffers and a counted copy, with
 * the reason in @note.
 */
int zcapi_m2m_cap_setup(struct m2m_enc *e, char *note, size_t len)
{
	char why[96];
	int r;

	if (enc_cap_can_import(e)) {
		r = enc_cap_setup_dmabuf(e);
		if (!r)
			return 0;
		snprintf(why, sizeof(why),
			 "encoder CAPTURE refuses the dma-bufs (%s): coded frames are copied",
			 strerror(-r));
		enc_note_append(note, len, why);
	} else if (e->out_alloc && !(e->cfg.flags & ZCAP_CONSUMER_FORCE_COPY)) {
		enc_note_append(note, len, zcap_allocator_is_dmabuf(e->out_alloc) ?
				"bitstream buffers do not fit the encoder: coded frames are copied" :
				"bitstream buffers are not dma-bufs: coded frames are copied");
	}
	r = enc_cap_setup_mmap(e);
	if (r) {
		snprintf(why, sizeof(why), "encoder CAPTURE buffers: %s",
			 strerror(-r));
		enc_note_append(note, len, why);
	}
	return r;
}

/*
 * Say what @s holds: one coded frame of @bytes at @offset, as the encoder
 * flagged it.
 */
static int enc_describe_coded(struct m2m_enc *e, struct zcap_sample *s,
			      const struct zcapi_v4l2q_done *b, uint32_t offset,
			      uint32_t bytes)
{
	struct zcap_format cf;
	uint32_t flags = 0;
	int64_t t;
	int r;

	zcap_sample_set_bytesused(s, 0, offset + bytes);
	/*
	 * The layout of this one coded frame: a single "line" of its size,
	 * so that a writer takes exactly the coded bytes.
	 */
	memset(&cf, 0, sizeof(cf));
	cf.fourcc = e->cfg.coded_fourcc;
	cf.width = e->in_fmt.width;
	cf.height = e->in_fmt.height;
	cf.flags = ZCAP_FORMAT_COMPRESSED;
	cf.n_planes = 1;
	cf.n_mem = 1;
	cf.planes[0].stride = bytes;
	cf.planes[0].lines = 1;
	cf.planes[0].offset = offset;
	cf.planes[0].size = bytes;
	cf.mem_size[0] = (uint64_t)offset + bytes;
	cf.interval_num = e->in_fmt.interval_num;
	cf.interval_den = e->in_fmt.interval_den;
	r = zcap_sample_set_format(s, &cf);
	if (r)
		return r;
	if (b->flags & V4L2_BUF_FLAG_KEYFRAME)
		flags |= ZCAP_SAMPLE_SYNC_POINT;
	if (b->flags & V4L2_BUF_FLAG_ERROR)
		flags |= ZCAP_SAMPLE_ERROR;
	zcap_sample_set_flags(s, flags);
	t = (int64_t)b->timestamp.tv_sec * 1000000000 +
	    (int64_t)b->timestamp.tv_usec * 1000;
	if (t)
		zcap_sample_set_time(s, t);
	zcap_sample_set_sequence(s, b->sequence);
	return 0;
}

/* MMAP: a free sample of the bitstream allocator with a copy of the frame. */
static int enc_copy_coded(struct m2m_enc *e, const struct zcapi_v4l2q_done *b,
			  uint32_t offset, uint32_t bytes,
			  struct zcap_sample **out)
{
	struct zcap_sample *s;
	struct zcap_mem m;
	void *dst;
	int r;

	*out = NULL;
	r = zcap_allocator_get_buffer(e->out_alloc, ENC_OUT_TIMEOUT_MS, &s);
	if (r)
		return r;
	r = zcap_sample_cpu_begin(s, ZCAP_ACCESS_WRITE);
	if (r)
		goto err;
	dst = zcap_sample_data(s, 0);
	r = zcap_sample_mem(s, 0, &m);
	if (!r && (!dst || m.length < bytes))
		r = -ENOSPC;
	if (!r)
		memcpy(dst, (const char *)b->map[0] + offset, bytes);
	zcap_sample_cpu_end(s);
	if (r)
		goto err;
	*out = s;
	return 0;
err:
	zcap_sample_unref(s);
	return r;
}

/*
 * Hand one coded frame downstream: @imported, the sample the encoder wrote
 * into (DMABUF; the caller keeps its reference), or with @imported NULL a
 * copy out of the MMAP buffer. Returns 0 or an error to report.
 */
static int enc_deliver(struct m2m_enc *e, const struct zcapi_v4l2q_done *b,
		       struct zcap_sample *imported, uint32_t offset,
		       uint32_t bytes)
{
	struct zcap_sample *s;
	uint64_t copied = 0;
	int r;

	if (!e->out_alloc || !zcap_pin_peer(e->out))
		return 0;
	if (imported) {
		s = zcap_sample_ref(imported);
	} else {
		r = enc_copy_coded(e, b, offset, bytes, &s);
		if (r) {
			struct zcap_filter_stats *st = zcap_filter_stats_lock(e->c.f);

			st->dropped++;
			zcap_filter_stats_unlock(e->c.f);
			zcap_filter_log(e->c.f, ZCAP_LOG_WARN, "coded frame dropped: %s",
					zcap_strerror(r));
			return r == ZCAP_E_TIMEOUT ? 0 : r;
		}
		copied = bytes;
		offset = 0;
	}
	r = enc_describe_coded(e, s, b, offset, bytes);
	if (r)
		goto out;
	{
		struct zcap_filter_stats *st = zcap_filter_stats_lock(e->c.f);

		st->bytes += bytes;
		st->bytes_copied += copied;
		zcap_filter_stats_unlock(e->c.f);
	}
	r = zcap_pin_deliver(e->out, s);
	if (r == ZCAP_E_NOT_CONNECTED)
		r = 0;
out:
	zcap_sample_unref(s);
	return r;
}


/*
 * One dequeued CAPTURE buffer: its coded frame downstream (the sample the
 * encoder wrote into, or a copy out of its MMAP buffer), the buffer back
 * to the encoder. True once it was the last one.
 */
static bool enc_coded_frame(struct m2m_enc *e, const struct zcapi_v4l2q_done *b)
{
	uint32_t offset = b->data_offset[0], bytes = b->bytesused[0];
	int r;

	if (bytes > b->length[0])
		bytes = b->length[0];
	bytes = offset < bytes ? bytes - offset : 0;
	if (!(b->flags & V4L2_BUF_FLAG_LAST))
		e->coded_out++;
	if (b->flags & V4L2_BUF_FLAG_ERROR) {
		zcapi_m2m_error(e, -EIO, "coded buffer flagged ERROR", false);
	} else if (bytes) {
		r = enc_deliver(e, b, b->sample, offset, bytes);
		if (r)
			zcapi_m2m_error(e, r, "delivering a coded frame", false);
	}
	/*
	 * DMABUF: the sample goes back to the allocator when its last holder
	 * lets go; the thread queues it again then (zcapi_v4l2q_fill).
	 */
	zcap_sample_unref(b->sample);
	if (b->flags & V4L2_BUF_FLAG_LAST) {
		zcapi_v4l2q_put(&e->cap, b->index);
		return true;
	}
	if (!zcapi_v4l2q_is_dmabuf(&e->cap)) {
		r = zcapi_v4l2q_requeue(&e->cap, b->index);
		if (r) {
			zcapi_m2m_error(e, r, "QBUF(CAPTURE)", true);
			return true;
		}
	}
	return false;
}

/* Dequeue every finished CAPTURE buffer; true once the last one came. */
bool zcapi_m2m_drain_capture(struct m2m_enc *e)
{
	struct zcapi_v4l2q_done b;
	int r;

	for (;;) {
		r = zcapi_v4l2q_dequeue(&e->cap, &b);
		if (r == -EAGAIN)
			return false;
		if (r == -EPIPE)	/* the last buffer was already dequeued */
			return true;
		if (r) {
			zcapi_m2m_error(e, r, "DQBUF(CAPTURE)", true);
			return true;
		}
		if (enc_coded_frame(e, &b))
			return true;
	}
}

/* ---- output pin ----------------------------------------------------- */

static int enc_enum_format(struct zcap_pin *pin, uint32_t index,
			   struct zcap_format *fmt)
{
	struct m2m_enc *e = zcap_pin_priv(pin);

	if (index > 0)
		return -ENOENT;
	if (!e->c.have_fmt)
		return ZCAP_E_NOT_CONNECTED;
	memset(fmt, 0, sizeof(*fmt));
	fmt->fourcc = e->cfg.coded_fourcc;
	fmt->width = e->in_fmt.width;
	fmt->height = e->in_fmt.height;
	fmt->colorspace = e->in_fmt.colorspace;
	fmt->interval_num = e->in_fmt.interval_num;
	fmt->interval_den = e->in_fmt.interval_den;
	/* A bitstream: one block of up to sizeimage bytes, one "line". */
	fmt->flags = ZCAP_FORMAT_COMPRESSED;
	fmt->n_planes = 1;
	fmt->n_mem = 1;
	fmt->planes[0].stride = e->cap_sizeimage;
	fmt->planes[0].lines = 1;
	fmt->planes[0].size = e->cap_sizeimage;
	fmt->mem_size[0] = e->cap_sizeimage;
	return 0;
}

static int enc_decide_buffer_size(struct zcap_pin *pin, struct zcap_allocator *a,
				  const struct zcap_alloc_requirements *req,
				  const struct zcap_format *fmt,
				  struct zcap_alloc_props *props)
{
	struct m2m_enc *e = zcap_pin_priv(pin);

	(void)a;
	(void)fmt;
	*props = req->props;
	/*
	 * The encoder's CAPTURE queue may import these buffers: as many as
	 * it would have of its own, plus what downstream keeps.
	 */
	if (props->count < e->cfg.capture_buffers + req->held)
		props->count = e->cfg.capture_buffers + req->held;
	props->n_mem = 1;
	if (props->size[0] < e->cap_sizeimage)
		props->size[0] = e->cap_sizeimage;
	return 0;
}

/*
 * Our own bitstream allocator, when downstream proposes none: dma-bufs, so
 * that the encoder writes the coded frames straight into what goes
 * downstream; plain memory where no provider serves or a copy is forced.
 */
static int enc_own_allocator(struct zcap_pin *pin, struct zcap_allocator **out)
{
	struct m2m_enc *e = zcap_pin_priv(pin);

	if (!(e->cfg.flags & ZCAP_CONSUMER_FORCE_COPY) &&
	    zcapi_allocator_new_dmabuf_log(e->c.f, ZCAP_PROVIDER_AUTO, out) == 0)
		return 0;
	return zcap_allocator_new_memory(out);
}

static int enc_allocator_decided(struct zcap_pin *pin, struct zcap_allocator *a)
{
	struct m2m_enc *e = zcap_pin_priv(pin);

	if (e->out_alloc)
		zcap_allocator_unref(e->out_alloc);
	e->out_alloc = zcap_allocator_ref(a);
	return 0;
}

static void enc_out_disconnect(struct zcap_pin *pin)
{
	struct m2m_enc *e = zcap_pin_priv(pin);

	if (e->out_alloc)
		zcap_allocator_unref(e->out_alloc);
	e->out_alloc = NULL;
}

const struct zcap_output_pin_ops zcapi_m2m_out_ops = {
	.enum_format = enc_enum_format,
	.decide_buffer_size = enc_decide_buffer_size,
	.own_allocator = enc_own_allocator,
	.allocator_decided = enc_allocator_decided,
	.disconnect = enc_out_disconnect,
};
