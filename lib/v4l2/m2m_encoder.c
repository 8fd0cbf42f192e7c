// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A filter around a V4L2 stateful mem2mem encoder.
 *
 * Raw frames arrive on the input pin and are queued on the encoder's
 * OUTPUT queue as the very dma-bufs the capture driver filled; the sample
 * is held until the encoder hands the OUTPUT buffer back.
 *
 * The coded frames come out the same way, in the output pin's dma-bufs
 * where it can be (m2m_capture.c, the bitstream side). This file is the
 * filter: its input pin, its states, and the thread that dequeues both
 * queues.
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

#include "core/zcap_internal.h"
#include "m2m_priv.h"

#define ENC_DEFAULT_DEPTH	2
#define ENC_DEFAULT_CAPTURE	4
/* Encoding under QEMU's TCG takes tens of ms a frame: be generous. */
#define ENC_DRAIN_TIMEOUT_MS	5000
#define ENC_COPY_TIMEOUT_MS	1000

static struct m2m_enc *enc_from_pin(struct zcap_pin *pin)
{
	return zcapi_container_of(zcap_pin_priv(pin), struct m2m_enc, c);
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

static void enc_drain_output(struct m2m_enc *e)
{
	zcapi_v4l2c_drain(&e->c, "raw frame flagged ERROR", false);
}

/*
 * An encoder without V4L2_ENC_CMD_STOP was asked to stop: is a coded
 * buffer back for every raw frame queued? Called by the thread only.
 */
static bool enc_drained_by_count(struct m2m_enc *e)
{
	bool by_count;

	pthread_mutex_lock(&e->lock);
	by_count = e->drain_by_count;
	pthread_mutex_unlock(&e->lock);
	return by_count &&
	       e->coded_out >= atomic_load(&e->c.frames_queued);
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
		/* Unplugged: no frame will come out; stop must not wait. */
		if (!done && atomic_load(&e->c.gone)) {
			done = true;
			enc_mark_drained(e);
			continue;
		}
		if (!done && dmabuf) {
			r = zcapi_v4l2q_fill(&e->cap, e->out_alloc);
			if (r) {
				zcapi_m2m_error(e, r, "QBUF(CAPTURE)", true);
				done = true;
				enc_mark_drained(e);
				continue;
			}
		}
		if (revents & POLLOUT)
			enc_drain_output(e);
		if (!done && (((revents & POLLIN) && zcapi_m2m_drain_capture(e)) ||
			      enc_drained_by_count(e))) {
			done = true;
			enc_drain_output(e);
			enc_mark_drained(e);
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
	r = zcapi_m2m_set_coded_format(e, fmt->width, fmt->height);
	if (r) {
		zcapi_filter_note(e->c.f, "encoder refuses its coded format: %s",
				  strerror(-r));
		return ZCAP_E_TYPE_NOT_ACCEPTED;
	}
	had_fmt = e->c.have_fmt;
	r = zcapi_v4l2c_set_format(&e->c, fmt);
	if (r)
		return r;
	r = zcapi_m2m_read_coded_size(e);
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
	send = e->streaming && !e->stop_sent && !atomic_load(&e->c.gone);
	e->stop_sent = true;
	pthread_mutex_unlock(&e->lock);
	if (!send)
		return 0;
	r = zcapi_v4l2_ioctl(e->c.fd, VIDIOC_ENCODER_CMD, &cmd);
	if (r) {
		/*
		 * No drain command (older stateful encoders): no buffer
		 * will be flagged LAST, so the thread waits for the
		 * frames queued so far to come out coded.
		 */
		zcapi_filter_note(e->c.f, "V4L2_ENC_CMD_STOP: %s: draining by waiting for the %llu frames queued to come out",
				  strerror(-r),
				  (unsigned long long)atomic_load(&e->c.frames_queued));
		pthread_mutex_lock(&e->lock);
		e->drain_by_count = true;
		pthread_mutex_unlock(&e->lock);
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

/* ---- filter --------------------------------------------------------- */

static void enc_teardown(struct m2m_enc *e)
{
	zcapi_v4l2c_stop_thread(&e->c);
	zcapi_outq_release(&e->c.oq);
	zcapi_m2m_cap_release(e);
	/* The bitstream allocator is the core's to decommit, after stop. */
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
	/*
	 * The bitstream allocator (the output pin's) is committed by the
	 * core before this op: DMABUF CAPTURE buffers are its samples.
	 */
	r = zcapi_m2m_cap_setup(e, note, sizeof(note));
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
		zcapi_m2m_error(e, r, "STREAMON(OUTPUT)", true);
		return r;
	}
	r = zcapi_v4l2q_streamon(&e->cap);
	if (r) {
		zcapi_m2m_error(e, r, "STREAMON(CAPTURE)", true);
		zcapi_outq_streamoff(&e->c.oq);
		return r;
	}
	pthread_mutex_lock(&e->lock);
	e->streaming = true;
	e->stop_sent = false;
	e->drain_by_count = false;
	e->coded_out = 0;
	atomic_store(&e->c.frames_queued, 0);
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
			zcapi_m2m_error(e, ZCAP_E_TIMEOUT, "draining at stop", false);
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

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!cfg || !cfg->device || !ZCAPI_RESERVED_ZERO(cfg->reserved) ||
	    (cfg->flags & ~ZCAPI_CONSUMER_FLAGS))
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
	r = zcap_pin_new_output(e->c.f, "out", &zcapi_m2m_out_ops, e, &e->out);
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
