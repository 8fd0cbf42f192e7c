// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A filter around a V4L2 stateful mem2mem encoder.
 *
 * Raw frames arrive on the input pin and are queued on the encoder's
 * OUTPUT queue as the very dma-bufs the capture driver filled; the sample
 * is held until the encoder hands the OUTPUT buffer back.
 *
 * The coded frames come the same way when the output pin's allocator is
 * dma-buf backed: buffer i of that allocator is queued at CAPTURE index i
 * (V4L2_MEMORY_DMABUF, always the same dma-buf, so the driver keeps its
 * mapping), the encoder writes the bitstream into it, and the sample goes
 * downstream as it is; the index is queued again once every holder has
 * released it. Only when that allocator is plain memory, the encoder
 * refuses DMABUF on CAPTURE or a copy is forced does a worker thread copy
 * each coded frame out of the encoder's own (MMAP) buffers, and
 * bytes_copied counts it.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/videodev2.h>

#include <zcap/consumers.h>
#include <zcap/error.h>

#include "core/filter_util.h"
#include "v4l2_consumer.h"
#include "core/zcap_internal.h"

#define ENC_DEFAULT_DEPTH	2
#define ENC_DEFAULT_CAPTURE	4
/* Encoding under QEMU's TCG takes tens of ms a frame: be generous. */
#define ENC_DRAIN_TIMEOUT_MS	5000
#define ENC_COPY_TIMEOUT_MS	1000
#define ENC_OUT_TIMEOUT_MS	2000

struct m2m_enc {
	struct zcapi_v4l2c c;	/* raw frames in; the input pin's priv */
	struct zcap_pin *in;
	struct zcap_pin *out;
	struct zcap_m2m_encoder_config cfg;
	bool mplane;
	uint32_t out_type;	/* raw frames in */
	uint32_t cap_type;	/* bitstream out */

	struct zcap_format in_fmt;

	/*
	 * The bitstream: DMABUF, the output pin's allocator's dma-bufs the
	 * encoder writes into; MMAP, its own buffers, copied out.
	 */
	struct zcapi_v4l2q cap;
	bool cap_ready;		/* cap initialised */
	uint32_t cap_sizeimage;

	struct zcap_allocator *out_alloc;	/* the output pin's decided one */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool streaming;
	bool stop_sent;		/* V4L2_ENC_CMD_STOP issued */
	bool drained;		/* the last CAPTURE buffer came */
	bool eos_sent;		/* end of stream delivered downstream */
};

/* Count an error; a fatal one also ends the graph's wait. */
static void enc_error(struct m2m_enc *e, int err, const char *what, bool fatal)
{
	zcapi_filter_error(e->c.f, err, e->c.who, what, fatal);
}

static struct m2m_enc *enc_from_pin(struct zcap_pin *pin)
{
	return zcapi_container_of(zcap_pin_priv(pin), struct m2m_enc, c);
}

/* ---- CAPTURE queue: the bitstream ---------------------------------- */

static int enc_set_coded_format(struct m2m_enc *e, uint32_t w, uint32_t h)
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
static int enc_read_coded_size(struct m2m_enc *e)
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
static void enc_cap_release(struct m2m_enc *e)
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
	if (r > 0)
		r = zcapi_v4l2q_fill(&e->cap, e->out_alloc);
	if (r)
		enc_cap_release(e);
	return r;
}

static int enc_cap_setup_mmap(struct m2m_enc *e)
{
	uint32_t i;
	int r;

	r = zcapi_v4l2q_reqbufs(&e->cap, V4L2_MEMORY_MMAP,
				e->cfg.capture_buffers, 1);
	if (r < 0)
		return r;
	for (i = 0; i < e->cap.count; i++) {
		r = zcapi_v4l2q_requeue(&e->cap, i);
		if (r) {
			enc_cap_release(e);
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
static int enc_cap_setup(struct m2m_enc *e, char *note, size_t len)
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

static void enc_mark_drained(struct m2m_enc *e)
{
	bool send;

	pthread_mutex_lock(&e->lock);
	e->drained = true;
	send = !e->eos_sent;
	e->eos_sent = true;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	if (send && zcap_pin_peer(e->out))
		zcap_pin_deliver_end_of_stream(e->out);
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
	if (b->flags & V4L2_BUF_FLAG_ERROR) {
		enc_error(e, -EIO, "coded buffer flagged ERROR", false);
	} else if (bytes) {
		r = enc_deliver(e, b, b->sample, offset, bytes);
		if (r)
			enc_error(e, r, "delivering a coded frame", false);
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
			enc_error(e, r, "QBUF(CAPTURE)", true);
			return true;
		}
	}
	return false;
}

/* Dequeue every finished CAPTURE buffer; true once the last one came. */
static bool enc_drain_capture(struct m2m_enc *e)
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
			enc_error(e, r, "DQBUF(CAPTURE)", true);
			return true;
		}
		if (enc_coded_frame(e, &b))
			return true;
	}
}

static void enc_drain_output(struct m2m_enc *e)
{
	zcapi_v4l2c_drain(&e->c, "raw frame flagged ERROR", false);
}

static void *enc_thread(void *arg)
{
	struct m2m_enc *e = arg;
	bool dmabuf = zcapi_v4l2q_is_dmabuf(&e->cap);
	bool done = false;
	short revents;
	int r;

	while (!atomic_load(&e->c.quit)) {
		/*
		 * Once drained, only a wake-up (quit) matters. Before, a
		 * bitstream buffer coming back (DMABUF) is queued again.
		 */
		if (zcapi_v4l2c_poll(&e->c, done ? 0 : POLLIN | POLLOUT,
				     !done && dmabuf ?
				     zcap_allocator_wait_fd(e->out_alloc) : -1,
				     &revents))
			break;
		if (!done && dmabuf) {
			r = zcapi_v4l2q_fill(&e->cap, e->out_alloc);
			if (r) {
				enc_error(e, r, "QBUF(CAPTURE)", true);
				done = true;
				enc_mark_drained(e);
				continue;
			}
		}
		if (revents & POLLOUT)
			enc_drain_output(e);
		if (!done && (revents & POLLIN)) {
			if (enc_drain_capture(e)) {
				done = true;
				enc_drain_output(e);
				enc_mark_drained(e);
			}
		}
	}
	return NULL;
}

/* ---- input pin ------------------------------------------------------ */

static int enc_accept_format(struct zcap_pin *pin, const struct zcap_format *fmt)
{
	struct m2m_enc *e = enc_from_pin(pin);
	bool had_fmt;
	int r;

	if (zcap_filter_state(e->c.f) != ZCAP_STATE_STOPPED)
		return ZCAP_E_WRONG_STATE;
	/* The coded format decides which raw formats the encoder takes. */
	r = enc_set_coded_format(e, fmt->width, fmt->height);
	if (r) {
		zcapi_filter_note(e->c.f, "encoder refuses its coded format: %s",
				  strerror(-r));
		return ZCAP_E_TYPE_NOT_ACCEPTED;
	}
	had_fmt = e->c.have_fmt;
	r = zcapi_v4l2c_set_format(&e->c, fmt);
	if (r)
		return r;
	r = enc_read_coded_size(e);
	if (r) {
		e->c.have_fmt = had_fmt;
		return ZCAP_E_TYPE_NOT_ACCEPTED;
	}
	e->in_fmt = *fmt;
	return 0;
}

static int enc_get_requirements(struct zcap_pin *pin,
				struct zcap_alloc_requirements *req)
{
	struct m2m_enc *e = enc_from_pin(pin);

	e->c.min_out = (uint32_t)zcapi_outq_ctrl_get(e->c.fd,
					V4L2_CID_MIN_BUFFERS_FOR_OUTPUT, 1);
	return zcapi_v4l2c_get_requirements(pin, req);
}

static int enc_receive(struct zcap_pin *pin, struct zcap_sample *s)
{
	struct m2m_enc *e = enc_from_pin(pin);
	int r;

	pthread_mutex_lock(&e->lock);
	r = e->streaming && !e->stop_sent ? 0 : ZCAP_E_WRONG_STATE;
	pthread_mutex_unlock(&e->lock);
	if (r)
		return r;
	if (zcap_sample_flags(s) & ZCAP_SAMPLE_ERROR) {
		struct zcap_filter_stats *st = zcap_filter_stats_lock(e->c.f);

		st->dropped++;
		zcap_filter_stats_unlock(e->c.f);
		return 0;
	}
	/* The coded bytes count on the way out (enc_deliver). */
	return zcapi_v4l2c_queue(&e->c, s, ENC_COPY_TIMEOUT_MS, 0,
				 "QBUF(OUTPUT)");
}

/* Ask the encoder to finish what it has (V4L2_ENC_CMD_STOP). */
static int enc_send_stop(struct m2m_enc *e)
{
	struct v4l2_encoder_cmd cmd = { .cmd = V4L2_ENC_CMD_STOP };
	bool send;
	int r;

	pthread_mutex_lock(&e->lock);
	send = e->streaming && !e->stop_sent;
	e->stop_sent = true;
	pthread_mutex_unlock(&e->lock);
	if (!send)
		return 0;
	r = zcapi_v4l2_ioctl(e->c.fd, VIDIOC_ENCODER_CMD, &cmd);
	if (r) {
		/* No drain command: what is queued now is all there is. */
		enc_error(e, r, "V4L2_ENC_CMD_STOP", false);
		enc_mark_drained(e);
		return r;
	}
	zcapi_v4l2c_wake(&e->c);
	return 0;
}

static int enc_end_of_stream(struct zcap_pin *pin)
{
	struct m2m_enc *e = enc_from_pin(pin);
	bool streaming;

	pthread_mutex_lock(&e->lock);
	streaming = e->streaming;
	pthread_mutex_unlock(&e->lock);
	if (!streaming) {
		enc_mark_drained(e);
		return 0;
	}
	return enc_send_stop(e);
}

static const struct zcap_input_pin_ops enc_in_ops = {
	.accept_format = enc_accept_format,
	.propose_allocator = zcapi_v4l2c_propose_allocator,
	.get_requirements = enc_get_requirements,
	.notify_allocator = zcapi_v4l2c_notify_allocator,
	.receive = enc_receive,
	.receive_can_block = zcapi_v4l2c_receive_can_block,
	.end_of_stream = enc_end_of_stream,
	.disconnect = zcapi_v4l2c_disconnect,
};

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
	    zcap_allocator_new_dmabuf(ZCAP_PROVIDER_AUTO, out) == 0)
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

static const struct zcap_output_pin_ops enc_out_ops = {
	.enum_format = enc_enum_format,
	.decide_buffer_size = enc_decide_buffer_size,
	.own_allocator = enc_own_allocator,
	.allocator_decided = enc_allocator_decided,
	.disconnect = enc_out_disconnect,
};

/* ---- filter --------------------------------------------------------- */

static void enc_teardown(struct m2m_enc *e)
{
	zcapi_v4l2c_stop_thread(&e->c);
	zcapi_outq_release(&e->c.oq);
	enc_cap_release(e);
	if (e->out_alloc && zcap_allocator_committed(e->out_alloc))
		zcap_allocator_decommit(e->out_alloc);
	pthread_mutex_lock(&e->lock);
	e->streaming = false;
	pthread_mutex_unlock(&e->lock);
}

static int enc_pause(struct zcap_filter *f)
{
	struct m2m_enc *e = zcap_filter_priv(f);
	char note[128] = "";
	int r;

	if (!e->c.have_fmt || !e->c.alloc)
		return ZCAP_E_NOT_CONNECTED;
	if (zcapi_outq_requested(&e->c.oq))	/* PAUSED again from RUNNING */
		return 0;
	if (e->cfg.gop_size) {
		struct v4l2_control c = {
			.id = V4L2_CID_MPEG_VIDEO_GOP_SIZE,
			.value = (int32_t)e->cfg.gop_size,
		};

		zcapi_v4l2_ioctl(e->c.fd, VIDIOC_S_CTRL, &c);
	}

	r = zcapi_v4l2c_reqbufs(&e->c, e->c.min_out + 1,
				"copy forced by configuration: raw frames are copied",
				"upstream buffers are not dma-bufs: raw frames are copied",
				note, sizeof(note));
	if (r)
		goto err;
	/* Committed first: DMABUF CAPTURE buffers are its samples. */
	if (e->out_alloc && !zcap_allocator_committed(e->out_alloc)) {
		r = zcap_allocator_commit(e->out_alloc);
		if (r) {
			snprintf(note, sizeof(note), "bitstream allocator: %s",
				 zcap_strerror(r));
			goto err;
		}
	}
	r = enc_cap_setup(e, note, sizeof(note));
	if (r)
		goto err;
	zcapi_filter_note(f, "%s", note);
	zcapi_filter_set_provider(f, e->c.alloc);
	return 0;
err:
	zcapi_filter_note(f, "%s", note);
	enc_teardown(e);
	return r;
}

static int enc_run(struct zcap_filter *f)
{
	struct m2m_enc *e = zcap_filter_priv(f);
	int r;

	if (e->c.thread_started)
		return 0;
	r = zcapi_outq_streamon(&e->c.oq);
	if (r) {
		enc_error(e, r, "STREAMON(OUTPUT)", true);
		return r;
	}
	r = zcapi_v4l2q_streamon(&e->cap);
	if (r) {
		enc_error(e, r, "STREAMON(CAPTURE)", true);
		zcapi_outq_streamoff(&e->c.oq);
		return r;
	}
	pthread_mutex_lock(&e->lock);
	e->streaming = true;
	e->stop_sent = false;
	e->drained = false;
	e->eos_sent = false;
	pthread_mutex_unlock(&e->lock);
	r = zcapi_v4l2c_start_thread(&e->c, enc_thread, e);
	if (r) {
		pthread_mutex_lock(&e->lock);
		e->streaming = false;
		pthread_mutex_unlock(&e->lock);
		zcapi_outq_streamoff(&e->c.oq);
		zcapi_v4l2q_streamoff(&e->cap);
		return r;
	}
	return 0;
}

/*
 * Sources stop first: whatever they queued here is still encoded and
 * delivered before the queues go down, so stopping loses no frame.
 */
static int enc_stop(struct zcap_filter *f)
{
	struct m2m_enc *e = zcap_filter_priv(f);
	struct timespec until;
	bool drained;

	if (e->c.thread_started) {
		enc_send_stop(e);
		/* e->cond runs on CLOCK_MONOTONIC: immune to wall-clock steps. */
		zcapi_deadline(&until, ENC_DRAIN_TIMEOUT_MS);
		pthread_mutex_lock(&e->lock);
		while (!e->drained) {
			if (pthread_cond_timedwait(&e->cond, &e->lock, &until) ==
			    ETIMEDOUT)
				break;
		}
		drained = e->drained;
		pthread_mutex_unlock(&e->lock);
		if (!drained)
			enc_error(e, ZCAP_E_TIMEOUT, "draining at stop", false);
	}
	enc_teardown(e);
	return 0;
}

static void enc_free(struct m2m_enc *e)
{
	if (e->cap_ready)
		zcapi_v4l2q_fini(&e->cap);
	zcapi_v4l2c_fini(&e->c);
	zcap_allocator_unref(e->out_alloc);
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

static void enc_destroy(struct zcap_filter *f)
{
	struct m2m_enc *e = zcap_filter_priv(f);

	enc_teardown(e);
	enc_free(e);
}

static const struct zcap_filter_ops enc_ops = {
	.pause = enc_pause,
	.run = enc_run,
	.stop = enc_stop,
	.destroy = enc_destroy,
};

/* The device must be a mem2mem node whose CAPTURE side has @fourcc. */
static int enc_probe(struct m2m_enc *e)
{
	struct v4l2_fmtdesc d;
	uint32_t caps, i;
	int r;

	r = zcapi_outq_device_caps(e->c.fd, &caps);
	if (r)
		return r;
	if (caps & V4L2_CAP_VIDEO_M2M_MPLANE)
		e->mplane = true;
	else if (!(caps & V4L2_CAP_VIDEO_M2M))
		return -ENODEV;
	if (!(caps & V4L2_CAP_STREAMING))
		return -ENODEV;
	e->out_type = e->mplane ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE :
				  V4L2_BUF_TYPE_VIDEO_OUTPUT;
	e->cap_type = e->mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE :
				  V4L2_BUF_TYPE_VIDEO_CAPTURE;
	for (i = 0;; i++) {
		memset(&d, 0, sizeof(d));
		d.index = i;
		d.type = e->cap_type;
		if (zcapi_v4l2_ioctl(e->c.fd, VIDIOC_ENUM_FMT, &d))
			return -ENODEV;
		if (d.pixelformat == e->cfg.coded_fourcc)
			return 0;
	}
}

int zcap_m2m_encoder_new(const struct zcap_m2m_encoder_config *cfg,
			 struct zcap_filter **out)
{
	struct m2m_enc *e;
	char name[64];
	int r;

	*out = NULL;
	if (!cfg || !cfg->device)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->cfg = *cfg;
	e->cfg.device = NULL;
	if (!e->cfg.coded_fourcc)
		e->cfg.coded_fourcc = V4L2_PIX_FMT_FWHT;
	if (!e->cfg.queue_depth)
		e->cfg.queue_depth = ENC_DEFAULT_DEPTH;
	if (!e->cfg.capture_buffers)
		e->cfg.capture_buffers = ENC_DEFAULT_CAPTURE;
	e->c.who = "encoder";
	e->c.fmt_who = "encoder input";
	e->c.alloc_who = "encoder input";
	e->c.flags = e->cfg.flags;
	e->c.queue_depth = e->cfg.queue_depth;
	e->c.min_out = 1;
	e->c.fd = -1;
	e->c.evfd = -1;
	r = -pthread_mutex_init(&e->lock, NULL);
	if (r)
		goto err_dev;
	r = zcapi_cond_init(&e->cond);
	if (r)
		goto err_lock;
	r = zcapi_v4l2c_open(&e->c, cfg->device);
	if (r)
		goto err;
	r = enc_probe(e);
	if (r)
		goto err;
	r = zcapi_v4l2q_init(&e->cap, e->c.fd, e->cap_type);
	if (r)
		goto err;
	e->cap_ready = true;
	r = zcapi_v4l2c_setup(&e->c, e->out_type);
	if (r)
		goto err;

	snprintf(name, sizeof(name), "m2m-encoder(%s)", cfg->device);
	r = zcap_filter_new(name, &enc_ops, e, &e->c.f);
	if (r)
		goto err;
	/* From here the filter owns e: zcap_filter_destroy() frees it. */
	r = zcap_pin_new_input(e->c.f, "in", &enc_in_ops, &e->c, &e->in);
	if (r)
		goto err_filter;
	r = zcap_pin_new_output(e->c.f, "out", &enc_out_ops, e, &e->out);
	if (r)
		goto err_filter;
	*out = e->c.f;
	return 0;

err_filter:
	zcap_filter_destroy(e->c.f);
	return r;
err:
	enc_free(e);
	return r;
err_lock:
	pthread_mutex_destroy(&e->lock);
err_dev:
	free(e);
	return r;
}
