// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * V4L2 video output sink: passes captured frames through to a video
 * output device (a display engine, an HDMI transmitter, vivid's output),
 * importing the capture dma-bufs on its OUTPUT queue. A thread dequeues
 * what the device has shown and releases those samples.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <linux/videodev2.h>

#include <zcap/consumers.h>
#include <zcap/error.h>

#include "v4l2_outq.h"

#define OUT_DEFAULT_DEPTH	2
#define OUT_COPY_TIMEOUT_MS	1000

struct out_sink {
	struct zcap_filter *f;
	struct zcap_pin *in;
	struct zcap_v4l2_output_config cfg;
	char *device;
	int fd;
	uint32_t type;
	struct zcapi_outq oq;
	bool have_fmt;
	uint32_t min_out;
	struct zcap_allocator *alloc;

	pthread_t thread;
	bool thread_started;
	atomic_bool quit;
	atomic_bool streaming;
	int evfd;
};

static void out_note(struct out_sink *o, const char *msg)
{
	struct zcap_filter_stats *st = zcap_filter_stats_lock(o->f);

	snprintf(st->note, sizeof(st->note), "%s", msg);
	zcap_filter_stats_unlock(o->f);
}

static void out_error(struct out_sink *o, int err, const char *what)
{
	struct zcap_filter_stats *st = zcap_filter_stats_lock(o->f);

	st->errors++;
	if (!st->last_error)
		st->last_error = err;
	snprintf(st->note, sizeof(st->note), "output: %s: %s", what,
		 zcap_strerror(err));
	zcap_filter_stats_unlock(o->f);
	zcap_filter_post_event(o->f, err);
}

static void *out_thread(void *arg)
{
	struct out_sink *o = arg;
	struct pollfd pfd[2];
	uint32_t flags;
	uint64_t v;
	int r;

	while (!atomic_load(&o->quit)) {
		pfd[0].fd = o->fd;
		pfd[0].events = POLLOUT;
		pfd[1].fd = o->evfd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, 200) < 0 && errno != EINTR)
			break;
		if ((pfd[1].revents & POLLIN) &&
		    read(o->evfd, &v, sizeof(v)) < 0) {
			/* EAGAIN: nothing to consume. */
		}
		if (pfd[0].revents & POLLERR) {
			/* Nothing queued yet: wait for a wake-up, don't spin. */
			pfd[1].revents = 0;
			poll(&pfd[1], 1, 10);
			continue;
		}
		if (!(pfd[0].revents & POLLOUT))
			continue;
		while (!(r = zcapi_outq_dequeue(&o->oq, &flags))) {
			if (flags & V4L2_BUF_FLAG_ERROR)
				out_error(o, -EIO, "buffer flagged ERROR");
		}
		if (r != -EAGAIN && r != -EINVAL)
			out_error(o, r, "DQBUF");
	}
	return NULL;
}

static int out_accept_format(struct zcap_pin *pin, const struct zcap_format *fmt)
{
	struct out_sink *o = zcap_pin_priv(pin);
	char why[96] = "";
	char msg[128];
	int r;

	if (zcap_filter_state(o->f) != ZCAP_STATE_STOPPED)
		return ZCAP_E_WRONG_STATE;
	r = zcapi_outq_set_format(&o->oq, fmt, why, sizeof(why));
	if (r) {
		snprintf(msg, sizeof(msg), "output format: %s", why);
		out_note(o, msg);
		return r;
	}
	o->have_fmt = true;
	return 0;
}

static int out_propose_allocator(struct zcap_pin *pin, struct zcap_allocator **out)
{
	struct out_sink *o = zcap_pin_priv(pin);

	*out = NULL;
	if (!(o->cfg.flags & ZCAP_CONSUMER_PROPOSE_ALLOCATOR))
		return ZCAP_E_NO_ALLOCATOR;
	return zcap_allocator_new_dmabuf(ZCAP_PROVIDER_AUTO, out);
}

static int out_get_requirements(struct zcap_pin *pin,
				struct zcap_alloc_requirements *req)
{
	struct out_sink *o = zcap_pin_priv(pin);
	uint32_t p;

	memset(req, 0, sizeof(*req));
	req->props.count = o->min_out + o->cfg.queue_depth;
	req->held = o->min_out + o->cfg.queue_depth;
	/* Known once a format was taken; else notify_allocator checks. */
	if (o->have_fmt) {
		req->props.n_mem = o->oq.n_planes;
		for (p = 0; p < o->oq.n_planes; p++)
			req->props.size[p] = zcapi_outq_sizeimage(&o->oq, p);
	}
	return 0;
}

static int out_notify_allocator(struct zcap_pin *pin, struct zcap_allocator *a,
				bool read_only)
{
	struct out_sink *o = zcap_pin_priv(pin);
	char why[96], msg[112];
	int r;

	(void)read_only;	/* an output device only reads */
	r = zcapi_outq_check_allocator(&o->oq, a, why, sizeof(why));
	if (r) {
		snprintf(msg, sizeof(msg), "output: %s", why);
		out_note(o, msg);
		return r;
	}
	if (o->alloc)
		zcap_allocator_unref(o->alloc);
	o->alloc = zcap_allocator_ref(a);
	return 0;
}

static int out_receive(struct zcap_pin *pin, struct zcap_sample *s)
{
	struct out_sink *o = zcap_pin_priv(pin);
	struct zcap_filter_stats *st;
	uint64_t copied = 0, bytes = 0;
	uint64_t one = 1;
	uint32_t m;
	int r;

	if (!atomic_load(&o->streaming))
		return ZCAP_E_WRONG_STATE;
	r = zcapi_outq_queue(&o->oq, s, OUT_COPY_TIMEOUT_MS, &copied);
	for (m = 0; m < zcap_sample_n_mem(s); m++)
		bytes += zcap_sample_bytesused(s, m);
	st = zcap_filter_stats_lock(o->f);
	if (r) {
		st->dropped++;
	} else {
		int64_t t;

		st->frames++;
		st->bytes += bytes;
		st->bytes_copied += copied;
		if (!zcap_sample_time(s, &t)) {
			struct timespec now;
			uint64_t lat;

			clock_gettime(CLOCK_MONOTONIC, &now);
			lat = (uint64_t)now.tv_sec * 1000000000u +
			      (uint64_t)now.tv_nsec;
			if (t >= 0 && lat >= (uint64_t)t) {
				lat -= (uint64_t)t;
				st->latency_ns_sum += lat;
				if (lat > st->latency_ns_max)
					st->latency_ns_max = lat;
				st->latency_samples++;
			}
		}
	}
	zcap_filter_stats_unlock(o->f);
	if (r == ZCAP_E_TIMEOUT)
		return 0;	/* counted: the device is behind */
	if (r) {
		out_error(o, r, "QBUF");
		return r;
	}
	if (write(o->evfd, &one, sizeof(one)) < 0) {
		/* Saturated: the thread is awake anyway. */
	}
	return 0;
}

static int out_receive_can_block(struct zcap_pin *pin)
{
	struct out_sink *o = zcap_pin_priv(pin);

	return zcapi_outq_is_dmabuf(&o->oq) ? 0 : 1;
}

static void out_in_disconnect(struct zcap_pin *pin)
{
	struct out_sink *o = zcap_pin_priv(pin);

	if (o->alloc)
		zcap_allocator_unref(o->alloc);
	o->alloc = NULL;
	o->have_fmt = false;
}

static const struct zcap_input_pin_ops out_in_ops = {
	.accept_format = out_accept_format,
	.propose_allocator = out_propose_allocator,
	.get_requirements = out_get_requirements,
	.notify_allocator = out_notify_allocator,
	.receive = out_receive,
	.receive_can_block = out_receive_can_block,
	.disconnect = out_in_disconnect,
};

static void out_teardown(struct out_sink *o)
{
	atomic_store(&o->streaming, false);
	if (o->thread_started) {
		uint64_t one = 1;

		atomic_store(&o->quit, true);
		if (write(o->evfd, &one, sizeof(one)) < 0) {
			/* Saturated: the thread wakes anyway. */
		}
		pthread_join(o->thread, NULL);
		o->thread_started = false;
	}
	/* STREAMOFF gives every buffer back; the held samples go with it. */
	zcapi_outq_release(&o->oq);
}

static int out_pause(struct zcap_filter *f)
{
	struct out_sink *o = zcap_filter_priv(f);
	char note[128] = "";
	bool dmabuf;
	uint32_t count;
	int r;

	if (!o->have_fmt || !o->alloc)
		return ZCAP_E_NOT_CONNECTED;
	if (o->oq.memory)
		return 0;
	dmabuf = zcap_allocator_is_dmabuf(o->alloc) &&
		 !(o->cfg.flags & ZCAP_CONSUMER_FORCE_COPY);
	if (!dmabuf)
		snprintf(note, sizeof(note), "%s",
			 (o->cfg.flags & ZCAP_CONSUMER_FORCE_COPY) ?
			 "copy forced by configuration: frames are copied into the device's buffers" :
			 "upstream buffers are not dma-bufs: frames are copied");
	count = dmabuf ? zcap_allocator_count(o->alloc) :
			 o->min_out + o->cfg.queue_depth;
	r = zcapi_outq_reqbufs(&o->oq, dmabuf, count, note, sizeof(note));
	out_note(o, note);
	if (r)
		return r;
	{
		struct zcap_filter_stats *st = zcap_filter_stats_lock(f);

		snprintf(st->provider, sizeof(st->provider), "%s",
			 zcap_provider_name(zcap_allocator_provider(o->alloc)));
		zcap_filter_stats_unlock(f);
	}
	return 0;
}

static int out_run(struct zcap_filter *f)
{
	struct out_sink *o = zcap_filter_priv(f);
	int r;

	if (o->thread_started)
		return 0;
	r = zcapi_outq_streamon(&o->oq);
	if (r) {
		out_error(o, r, "STREAMON");
		return r;
	}
	atomic_store(&o->quit, false);
	r = -pthread_create(&o->thread, NULL, out_thread, o);
	if (r) {
		zcapi_outq_streamoff(&o->oq);
		return r;
	}
	o->thread_started = true;
	atomic_store(&o->streaming, true);
	return 0;
}

static int out_stop(struct zcap_filter *f)
{
	out_teardown(zcap_filter_priv(f));
	return 0;
}

static void out_destroy(struct zcap_filter *f)
{
	struct out_sink *o = zcap_filter_priv(f);

	out_teardown(o);
	zcapi_outq_fini(&o->oq);
	if (o->alloc)
		zcap_allocator_unref(o->alloc);
	close(o->evfd);
	close(o->fd);
	free(o->device);
	free(o);
}

static const struct zcap_filter_ops out_ops = {
	.pause = out_pause,
	.run = out_run,
	.stop = out_stop,
	.destroy = out_destroy,
};

static int out_probe(struct out_sink *o)
{
	struct v4l2_capability cap;
	uint32_t caps;
	int r;

	r = zcapi_outq_ioctl(o->fd, VIDIOC_QUERYCAP, &cap);
	if (r)
		return r;
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps :
							  cap.capabilities;
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

	*out = NULL;
	if (!cfg || !cfg->device)
		return -EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->cfg = *cfg;
	o->cfg.device = NULL;
	if (!o->cfg.queue_depth)
		o->cfg.queue_depth = OUT_DEFAULT_DEPTH;
	o->evfd = -1;
	o->device = strdup(cfg->device);
	if (!o->device) {
		free(o);
		return -ENOMEM;
	}
	o->fd = open(cfg->device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (o->fd < 0) {
		r = -errno;
		goto err_dev;
	}
	r = out_probe(o);
	if (r)
		goto err_fd;
	o->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (o->evfd < 0) {
		r = -errno;
		goto err_fd;
	}
	r = zcapi_outq_init(&o->oq, o->fd, o->type);
	if (r)
		goto err_ev;
	o->min_out = (uint32_t)zcapi_outq_ctrl_get(o->fd,
					V4L2_CID_MIN_BUFFERS_FOR_OUTPUT, 1);

	snprintf(name, sizeof(name), "v4l2-output(%s)", cfg->device);
	r = zcap_filter_new(name, &out_ops, o, &o->f);
	if (r)
		goto err_oq;
	/* From here the filter owns o: zcap_filter_destroy() frees it. */
	r = zcap_pin_new_input(o->f, "in", &out_in_ops, o, &o->in);
	if (r)
		goto err_filter;
	*out = o->f;
	return 0;

err_filter:
	zcap_filter_destroy(o->f);
	return r;
err_oq:
	zcapi_outq_fini(&o->oq);
err_ev:
	close(o->evfd);
err_fd:
	close(o->fd);
err_dev:
	free(o->device);
	free(o);
	return r;
}
