// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the filters that consume samples on a V4L2 OUTPUT queue share (see
 * v4l2_consumer.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <zcap/consumers.h>
#include <zcap/error.h>

#include "core/filter_util.h"
#include "providers/propose.h"
#include "v4l2_consumer.h"

int zcapi_v4l2c_open(struct zcapi_v4l2c *c, const char *device)
{
	c->evfd = -1;
	c->device = strdup(device);
	if (!c->device) {
		c->fd = -1;
		return -ENOMEM;
	}
	c->fd = open(device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	return c->fd < 0 ? -errno : 0;
}

int zcapi_v4l2c_setup(struct zcapi_v4l2c *c, uint32_t type)
{
	int r;

	c->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->evfd < 0)
		return -errno;
	r = zcapi_outq_init(&c->oq, c->fd, type);
	if (r)
		return r;
	c->oq_ready = true;
	c->min_out = (uint32_t)zcapi_outq_ctrl_get(c->fd,
					V4L2_CID_MIN_BUFFERS_FOR_OUTPUT, 1);
	return 0;
}

void zcapi_v4l2c_fini(struct zcapi_v4l2c *c)
{
	zcapi_v4l2c_stop_thread(c);
	if (c->oq_ready)
		zcapi_outq_fini(&c->oq);
	c->oq_ready = false;
	zcapi_allocator_set(&c->alloc, NULL);
	if (c->evfd >= 0)
		close(c->evfd);
	if (c->fd >= 0)
		close(c->fd);
	c->evfd = -1;
	c->fd = -1;
	free(c->device);
	c->device = NULL;
}

int zcapi_v4l2c_set_format(struct zcapi_v4l2c *c, const struct zcap_format *fmt)
{
	char why[96] = "";
	int r;

	r = zcapi_outq_set_format(&c->oq, fmt, why, sizeof(why));
	if (r) {
		zcapi_filter_note(c->f, "%s: %s", c->fmt_who, why);
		return r;
	}
	c->have_fmt = true;
	return 0;
}

int zcapi_v4l2c_propose_allocator(struct zcap_pin *pin,
				  struct zcap_allocator **out)
{
	struct zcapi_v4l2c *c = zcap_pin_priv(pin);

	return zcapi_propose_dmabuf(c->flags, out);
}

int zcapi_v4l2c_get_requirements(struct zcap_pin *pin,
				 struct zcap_alloc_requirements *req)
{
	struct zcapi_v4l2c *c = zcap_pin_priv(pin);
	uint32_t p;

	memset(req, 0, sizeof(*req));
	req->props.count = c->min_out + c->queue_depth;
	req->held = c->min_out + c->queue_depth;
	/*
	 * Sizes follow the format, which a first connection asks for only
	 * after the requirements: then notify_allocator checks them instead.
	 * The layout is not a constraint to meet but a fact: V4L2 fixes the
	 * device's bytesperline and accept_format took only formats with
	 * exactly it. What may differ is the size (sizeimage of a padded
	 * height), and that is in props.size.
	 */
	if (c->have_fmt) {
		req->props.n_mem = c->oq.n_planes;
		for (p = 0; p < c->oq.n_planes; p++)
			req->props.size[p] = zcapi_outq_sizeimage(&c->oq, p);
	}
	return 0;
}

int zcapi_v4l2c_notify_allocator(struct zcap_pin *pin,
				 struct zcap_allocator *a, bool read_only)
{
	struct zcapi_v4l2c *c = zcap_pin_priv(pin);
	char why[96];
	int r;

	(void)read_only;	/* the device only reads its OUTPUT queue */
	r = zcapi_outq_check_allocator(&c->oq, a, why, sizeof(why));
	if (r) {
		zcapi_filter_note(c->f, "%s: %s", c->alloc_who, why);
		return r;
	}
	zcapi_allocator_set(&c->alloc, a);
	return 0;
}

int zcapi_v4l2c_receive_can_block(struct zcap_pin *pin)
{
	struct zcapi_v4l2c *c = zcap_pin_priv(pin);

	/*
	 * The copy path waits for a free device buffer. So does DMABUF when
	 * the device granted fewer indices than upstream has buffers; with
	 * one each, a sample's own index is free whenever upstream holds it.
	 */
	if (!zcapi_outq_is_dmabuf(&c->oq))
		return 1;
	return c->alloc && c->oq.q.count < zcap_allocator_count(c->alloc);
}

void zcapi_v4l2c_disconnect(struct zcap_pin *pin)
{
	struct zcapi_v4l2c *c = zcap_pin_priv(pin);

	zcapi_allocator_set(&c->alloc, NULL);
	c->have_fmt = false;
}

int zcapi_v4l2c_reqbufs(struct zcapi_v4l2c *c, uint32_t min_count,
			const char *copy_forced, const char *copy_fallback,
			char *note, size_t note_len)
{
	bool forced = c->flags & ZCAP_CONSUMER_FORCE_COPY;
	bool dmabuf = zcap_allocator_is_dmabuf(c->alloc) && !forced;
	uint32_t count;
	int r;

	if (!dmabuf)
		snprintf(note, note_len, "%s",
			 forced ? copy_forced : copy_fallback);
	/* One OUTPUT index per upstream buffer keeps every import stable. */
	count = dmabuf ? zcap_allocator_count(c->alloc) :
			 c->min_out + c->queue_depth;
	if (count < min_count)
		count = min_count;
	r = zcapi_outq_reqbufs(&c->oq, dmabuf, count, note, note_len);
	/* The queue knows what was granted, the filter whose log it is. */
	if (r)
		zcap_filter_log(c->f, ZCAP_LOG_ERROR, "VIDIOC_REQBUFS(%u) on the OUTPUT queue: %s",
				count, zcap_strerror(r));
	else
		zcap_filter_log(c->f, ZCAP_LOG_INFO,
				"VIDIOC_REQBUFS(%s, %u) on the OUTPUT queue: %u granted",
				zcapi_v4l2q_is_dmabuf(&c->oq.q) ? "DMABUF" : "MMAP",
				count, c->oq.q.count);
	return r;
}

int zcapi_v4l2c_queue(struct zcapi_v4l2c *c, struct zcap_sample *s,
		      int timeout_ms, uint64_t bytes, const char *what)
{
	uint64_t copied = 0;
	int r;

	/* Gone: no QBUF, nor a wait for a buffer the thread no longer frees. */
	if (atomic_load(&c->gone))
		r = ZCAP_E_DISCONNECTED;
	else
		r = zcapi_outq_queue(&c->oq, s, timeout_ms, &copied);
	/*
	 * The filter stopped in another thread (upstream may still deliver):
	 * refused as its streaming check refuses, neither a drop nor an error.
	 */
	if (r == ZCAP_E_WRONG_STATE)
		return r;
	zcapi_stats_frame(c->f, s, r, bytes, copied);
	if (r == ZCAP_E_TIMEOUT)
		return 0;	/* counted: the device is behind */
	if (zcapi_v4l2c_unplugged(r))
		return zcapi_v4l2c_gone(c);
	if (r) {
		zcapi_filter_error(c->f, r, c->who, what, true);
		return r;
	}
	atomic_fetch_add(&c->frames_queued, 1);
	zcapi_v4l2c_wake(c);
	return 0;
}

void zcapi_v4l2c_wake(struct zcapi_v4l2c *c)
{
	uint64_t one = 1;

	if (write(c->evfd, &one, sizeof(one)) < 0) {
		/* The counter is saturated: the thread is awake anyway. */
	}
}

bool zcapi_v4l2c_unplugged(int err)
{
	return err == -ENODEV || err == -ENXIO || err == ZCAP_E_DISCONNECTED;
}

int zcapi_v4l2c_gone(struct zcapi_v4l2c *c)
{
	if (!atomic_exchange(&c->gone, true)) {
		zcapi_filter_error(c->f, ZCAP_E_DISCONNECTED, c->who, c->device,
				   true);
		/* Seen by a receive: the thread stops waiting on the device. */
		zcapi_v4l2c_wake(c);
	}
	return ZCAP_E_DISCONNECTED;
}

int zcapi_v4l2c_poll(struct zcapi_v4l2c *c, short events, int wait_fd,
		     short *revents)
{
	struct pollfd pfd[3];
	uint64_t v;

	/* poll ignores fd -1: then only a wake-up matters. */
	pfd[0].fd = events && !atomic_load(&c->gone) ? c->fd : -1;
	pfd[0].events = events;
	pfd[0].revents = 0;
	pfd[1].fd = c->evfd;
	pfd[1].events = POLLIN;
	pfd[1].revents = 0;
	pfd[2].fd = wait_fd;
	pfd[2].events = POLLIN;
	pfd[2].revents = 0;
	*revents = 0;
	if (poll(pfd, 3, 200) < 0 && errno != EINTR)
		return -errno;
	if ((pfd[1].revents & POLLIN) && read(c->evfd, &v, sizeof(v)) < 0) {
		/* EAGAIN: another read emptied it. */
	}
	/*
	 * V4L2 adds POLLHUP only for a device no longer registered; vb2
	 * and mem2mem never give it otherwise.
	 */
	if (pfd[0].revents & (POLLHUP | POLLNVAL)) {
		zcapi_v4l2c_gone(c);
		return 0;
	}
	/*
	 * POLLERR: no buffer queued yet. Wait for a wake-up instead of
	 * spinning.
	 */
	if (pfd[0].revents & POLLERR) {
		if (pfd[2].revents & POLLIN)
			return 0;
		pfd[1].revents = 0;
		pfd[2].revents = 0;
		poll(&pfd[1], 2, 10);
		return 0;
	}
	*revents = pfd[0].revents;
	return 0;
}

int zcapi_v4l2c_drain(struct zcapi_v4l2c *c, const char *what, bool post)
{
	uint32_t flags;
	int r;

	while (!(r = zcapi_outq_dequeue(&c->oq, &flags))) {
		if (flags & V4L2_BUF_FLAG_ERROR)
			zcapi_filter_error(c->f, -EIO, c->who, what, post);
	}
	return zcapi_v4l2c_unplugged(r) ? zcapi_v4l2c_gone(c) : r;
}

int zcapi_v4l2c_start_thread(struct zcapi_v4l2c *c, void *(*fn)(void *),
			     void *arg)
{
	int r;

	atomic_store(&c->quit, false);
	r = -pthread_create(&c->thread, NULL, fn, arg);
	if (r)
		return r;
	c->thread_started = true;
	return 0;
}

void zcapi_v4l2c_stop_thread(struct zcapi_v4l2c *c)
{
	if (!c->thread_started)
		return;
	atomic_store(&c->quit, true);
	zcapi_v4l2c_wake(c);
	pthread_join(c->thread, NULL);
	c->thread_started = false;
}
