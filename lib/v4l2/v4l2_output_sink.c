// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * V4L2 video output sink: passes captured frames through to a video
 * output device (a display engine, an HDMI transmitter, vivid's output),
 * importing the capture dma-bufs on its OUTPUT queue. A thread dequeues
 * what the device has shown and releases those samples.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/videodev2.h>

#include <zcap/consumers.h>
#include <zcap/error.h>

#include "core/filter_util.h"
#include "v4l2_consumer.h"

#define OUT_DEFAULT_DEPTH	2
#define OUT_COPY_TIMEOUT_MS	1000

struct out_sink {
	struct zcapi_v4l2c c;	/* the input pin's priv */
	struct zcap_pin *in;
	uint32_t type;
	atomic_bool streaming;
};

static struct out_sink *out_from_pin(struct zcap_pin *pin)
{
	return zcapi_container_of(zcap_pin_priv(pin), struct out_sink, c);
}

static void *out_thread(void *arg)
{
	struct out_sink *o = arg;
	short revents;
	int r;

	while (!atomic_load(&o->c.quit)) {
		if (zcapi_v4l2c_poll(&o->c, POLLOUT, -1, &revents))
			break;
		if (!(revents & POLLOUT))
			continue;
		r = zcapi_v4l2c_drain(&o->c, "buffer flagged ERROR", true);
		if (r != -EAGAIN && r != -EINVAL && r != ZCAP_E_DISCONNECTED)
			zcapi_filter_error(o->c.f, r, o->c.who, "DQBUF", true);
	}
	return NULL;
}

static int out_accept_format(struct zcap_pin *pin, const struct zcap_format *fmt)
{
	struct out_sink *o = out_from_pin(pin);

	if (zcap_filter_state(o->c.f) != ZCAP_STATE_STOPPED)
		return ZCAP_E_WRONG_STATE;
	return zcapi_v4l2c_set_format(&o->c, fmt);
}

static int out_receive(struct zcap_pin *pin, struct zcap_sample *s)
{
	struct out_sink *o = out_from_pin(pin);

	if (!atomic_load(&o->streaming))
		return ZCAP_E_WRONG_STATE;
	return zcapi_v4l2c_queue(&o->c, s, OUT_COPY_TIMEOUT_MS,
				 zcapi_sample_bytes(s), "QBUF");
}

static const struct zcap_input_pin_ops out_in_ops = {
	.accept_format = out_accept_format,
	.propose_allocator = zcapi_v4l2c_propose_allocator,
	.get_requirements = zcapi_v4l2c_get_requirements,
	.notify_allocator = zcapi_v4l2c_notify_allocator,
	.receive = out_receive,
	.receive_can_block = zcapi_v4l2c_receive_can_block,
	.disconnect = zcapi_v4l2c_disconnect,
};

static void out_teardown(struct out_sink *o)
{
	if (!o)
		return;
	atomic_store(&o->streaming, false);
	zcapi_v4l2c_stop_thread(&o->c);
	/* STREAMOFF gives every buffer back; the held samples go with it. */
	zcapi_outq_release(&o->c.oq);
}

static int out_pause(struct zcap_filter *f)
{
	struct out_sink *o = zcap_filter_priv(f);
	char note[128] = "";
	int r;

	if (!o->c.have_fmt || !o->c.alloc)
		return ZCAP_E_NOT_CONNECTED;
	if (zcapi_outq_requested(&o->c.oq))
		return 0;
	r = zcapi_v4l2c_reqbufs(&o->c, 0,
				"copy forced by configuration: frames are copied into the device's buffers",
				"upstream buffers are not dma-bufs: frames are copied",
				note, sizeof(note));
	zcapi_filter_note(f, "%s", note);
	if (r)
		return r;
	zcapi_filter_set_provider(f, o->c.alloc);
	return 0;
}

static int out_run(struct zcap_filter *f)
{
	struct out_sink *o = zcap_filter_priv(f);
	int r;

	if (o->c.thread_started)
		return 0;
	r = zcapi_outq_streamon(&o->c.oq);
	if (r) {
		zcapi_filter_error(f, r, o->c.who, "STREAMON", true);
		return r;
	}
	r = zcapi_v4l2c_start_thread(&o->c, out_thread, o);
	if (r) {
		zcapi_outq_streamoff(&o->c.oq);
		return r;
	}
	atomic_store(&o->streaming, true);
	return 0;
}

static int out_stop(struct zcap_filter *f)
{
	out_teardown(zcap_filter_priv(f));
	return 0;
}

static void out_free(struct out_sink *o)
{
	zcapi_v4l2c_fini(&o->c);
	free(o);
}

static void out_destroy(struct zcap_filter *f)
{
	struct out_sink *o = zcap_filter_priv(f);

	out_teardown(o);
	out_free(o);
}

static const struct zcap_filter_ops out_ops = {
	.pause = out_pause,
	.run = out_run,
	.stop = out_stop,
	.destroy = out_destroy,
};

static int out_probe(struct out_sink *o)
{
	uint32_t caps;
	int r;

	r = zcapi_outq_device_caps(o->c.fd, &caps);
	if (r)
		return r;
	if (!(caps & V4L2_CAP_STREAMING))
		return -ENODEV;
	if (caps & V4L2_CAP_VIDEO_OUTPUT_MPLANE)
		o->type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	else if (caps & V4L2_CAP_VIDEO_OUTPUT)
		o->type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	else
		return -ENODEV;
	return 0;
}

int zcap_v4l2_output_sink_new(const struct zcap_v4l2_output_config *cfg,
			      struct zcap_filter **out)
{
	struct out_sink *o;
	char name[64];
	int r;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!cfg || !cfg->device || !ZCAPI_RESERVED_ZERO(cfg->reserved) ||
	    (cfg->flags & ~ZCAPI_CONSUMER_FLAGS))
		return -EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->c.who = "output";
	o->c.fmt_who = "output format";
	o->c.alloc_who = "output";
	o->c.flags = cfg->flags;
	o->c.queue_depth = cfg->queue_depth ? cfg->queue_depth :
					      OUT_DEFAULT_DEPTH;
	o->c.fd = -1;
	o->c.evfd = -1;
	r = zcapi_v4l2c_open(&o->c, cfg->device);
	if (r)
		goto err;
	r = out_probe(o);
	if (r)
		goto err;
	r = zcapi_v4l2c_setup(&o->c, o->type);
	if (r)
		goto err;

	snprintf(name, sizeof(name), "v4l2-output(%s)", cfg->device);
	r = zcap_filter_new(name, &out_ops, o, &o->c.f);
	if (r)
		goto err;
	/* From here the filter owns o: zcap_filter_destroy() frees it. */
	r = zcap_pin_new_input(o->c.f, "in", &out_in_ops, &o->c, &o->in);
	if (r) {
		zcap_filter_destroy(o->c.f);
		return r;
	}
	*out = o->c.f;
	return 0;

err:
	out_free(o);
	return r;
}
