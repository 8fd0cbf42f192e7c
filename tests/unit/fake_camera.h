/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake YUYV camera for programs that link libzcap's objects and
 * interpose ioctl() and poll() (fake_v4l2.h with FAKE_V4L2_SHIM, included
 * first): the fds of one memfd are the device, which the library opens
 * again through /proc/self/fd and maps for its MMAP buffers. A frame is
 * ready whenever a buffer is queued and streaming is on; each frame
 * "captured" carries its sequence number in its first bytes, in the
 * dma-buf it was given or in its own buffer. Its input 0 sends
 * V4L2_EVENT_SOURCE_CHANGE when the test says (source_changes), to a
 * subscriber only, and poll says POLLPRI while one is pending; with
 * no_events it refuses the subscription, as uvcvideo does. Used by the
 * V4L2 source's unit test and by the frame-cost benchmark
 * (tests/bench/frame_cost.c).
 */
#ifndef ZCAP_TESTS_FAKE_CAMERA_H
#define ZCAP_TESTS_FAKE_CAMERA_H

#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef FAKE_V4L2_SHIM
#error "fake_camera.h needs fake_v4l2.h with FAKE_V4L2_SHIM first"
#endif

#define W	64
#define H	48
#define SIZE	(W * H * 2)
#define SPAN	8192		/* a buffer's place in the memfd: whole pages */
#define MAXB	16

static struct {
	int mfd;
	uint32_t max_grant;	/* REQBUFS grants at most this */
	bool no_dmabuf;		/* REQBUFS(DMABUF) is EINVAL */
	uint32_t count, memory, seq, reqbufs0;
	bool streaming;
	uint32_t fifo[MAXB], n;
	int fd[MAXB];
	uint32_t eagain;	/* DQBUFs that found nothing while streaming */
	bool no_frame;		/* the camera sends nothing for now */
	/* A frame's stamp in us; < 0: when it is dequeued, as drivers do. */
	int64_t stamp_us;
	bool error_frames;
	bool no_events;		/* SUBSCRIBE_EVENT: ENOTTY */
	bool subscribed;	/* to SOURCE_CHANGE of input 0 */
	uint32_t events;	/* SOURCE_CHANGE events pending */
} dev;

/* The signal at input 0 changes: an event for a subscriber. */
static inline void source_changes(void)
{
	pthread_mutex_lock(&fake_dev.lock);
	dev.events += dev.subscribed;
	pthread_mutex_unlock(&fake_dev.lock);
}

static int fake_subscribe(const struct v4l2_event_subscription *sub)
{
	if (dev.no_events)
		return fake_fail(ENOTTY);
	if (sub->type != V4L2_EVENT_SOURCE_CHANGE)
		return fake_fail(EINVAL);
	dev.subscribed |= sub->id == 0;
	return 0;
}

static int fake_dqevent(struct v4l2_event *ev)
{
	if (!dev.events)
		return fake_fail(ENOENT);
	memset(ev, 0, sizeof(*ev));
	ev->type = V4L2_EVENT_SOURCE_CHANGE;
	ev->u.src_change.changes = V4L2_EVENT_SRC_CH_RESOLUTION;
	ev->pending = --dev.events;
	return 0;
}

static int fake_reqbufs(struct v4l2_requestbuffers *r)
{
	uint32_t max = dev.max_grant ? dev.max_grant : MAXB;

	if (r->count && r->memory == V4L2_MEMORY_DMABUF && dev.no_dmabuf)
		return fake_fail(EINVAL);
	dev.reqbufs0 += !r->count;
	dev.n = 0;
	dev.memory = r->memory;
	r->count = r->count > max ? max : r->count;
	dev.count = r->count;
	return 0;
}

static int fake_querybuf(struct v4l2_buffer *b)
{
	if (b->index >= dev.count || dev.memory != V4L2_MEMORY_MMAP)
		return fake_fail(EINVAL);
	b->length = SIZE;
	b->m.offset = b->index * SPAN;
	return 0;
}

static int fake_qbuf(struct v4l2_buffer *b)
{
	if (b->index >= dev.count || b->memory != dev.memory)
		return fake_fail(EINVAL);
	for (uint32_t i = 0; i < dev.n; i++)
		if (dev.fifo[i] == b->index)
			return fake_fail(EINVAL);
	if (b->memory == V4L2_MEMORY_DMABUF && b->length < SIZE)
		return fake_fail(EINVAL);
	dev.fd[b->index] = b->memory == V4L2_MEMORY_DMABUF ? b->m.fd : -1;
	dev.fifo[dev.n++] = b->index;
	return 0;
}

static void fake_stamp(struct timeval *tv)
{
	struct timespec now;
	int64_t us = dev.stamp_us;

	if (us < 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
	}
	tv->tv_sec = us / 1000000;
	tv->tv_usec = us % 1000000;
}

/* The oldest queued buffer comes back with its sequence in it. */
static int fake_dqbuf(struct v4l2_buffer *b)
{
	uint32_t i, seq = dev.seq;
	ssize_t w;

	if (!dev.streaming || !dev.n || dev.no_frame) {
		dev.eagain += dev.streaming;
		return fake_fail(EAGAIN);
	}
	i = dev.fifo[0];
	memmove(dev.fifo, dev.fifo + 1, --dev.n * sizeof(*dev.fifo));
	if (dev.memory == V4L2_MEMORY_DMABUF)
		w = pwrite(dev.fd[i], &seq, sizeof(seq), 0);
	else
		w = pwrite(dev.mfd, &seq, sizeof(seq), (off_t)i * SPAN);
	if (w != sizeof(seq))
		fprintf(stderr, "fake camera: writing frame %u failed\n", seq);
	b->index = i;
	b->sequence = dev.seq++;
	b->flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC |
		   (dev.error_frames ? V4L2_BUF_FLAG_ERROR : 0);
	fake_stamp(&b->timestamp);
	b->bytesused = SIZE;
	b->length = SIZE;
	return 0;
}

static const struct fake_buf_ops buf_ops = {
	.reqbufs = fake_reqbufs,
	.querybuf = fake_querybuf,
	.qbuf = fake_qbuf,
	.dqbuf = fake_dqbuf,
};

static int fake_ioctl(unsigned long req, void *arg)
{
	int r;

	if (fake_buf_ioctl(&buf_ops, req, arg, &r) ||
	    fake_yuyv_camera_ioctl(req, arg, W, H, &r))
		return r;
	switch (req) {
	case VIDIOC_STREAMON:
	case VIDIOC_STREAMOFF:
		dev.streaming = req == VIDIOC_STREAMON;
		if (!dev.streaming)
			dev.n = 0;
		return 0;
	case VIDIOC_G_INPUT:
		*(int *)arg = 0;
		return 0;
	case VIDIOC_SUBSCRIBE_EVENT:
		return fake_subscribe(arg);
	case VIDIOC_DQEVENT:
		return fake_dqevent(arg);
	default:
		return fake_fail(EINVAL);	/* ENUM_FMT, G_PARM, G_CTRL: none */
	}
}

/* A frame is ready whenever a buffer is queued and streaming is on. */
static short fake_revents(short events)
{
	short r = dev.streaming && dev.n && !dev.no_frame ? POLLIN : 0;

	if (dev.events)
		r |= POLLPRI;
	return r & events;
}

/* A new device (a new memfd), nothing requested; returns its memfd. */
static int fake_camera_reset(void)
{
	struct stat st;

	pthread_mutex_lock(&fake_dev.lock);
	dev.count = dev.memory = dev.seq = dev.reqbufs0 = dev.n = dev.eagain = 0;
	dev.max_grant = 0;
	dev.no_dmabuf = dev.streaming = dev.no_frame = dev.error_frames = false;
	dev.no_events = dev.subscribed = false;
	dev.events = 0;
	dev.stamp_us = -1;
	dev.mfd = memfd_create("fake-camera", MFD_CLOEXEC);
	if (dev.mfd >= 0 && ftruncate(dev.mfd, (off_t)MAXB * SPAN) == 0 &&
	    fstat(dev.mfd, &st) == 0)
		fake_dev.ino = st.st_ino;
	pthread_mutex_unlock(&fake_dev.lock);
	return fake_dev.ino ? dev.mfd : -1;
}

#endif
