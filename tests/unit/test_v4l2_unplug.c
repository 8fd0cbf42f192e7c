// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The V4L2 source when its device is unplugged mid-stream, on a fake
 * device: ioctl() and poll() are interposed (the library's objects are
 * linked into this program) for the fds of one memfd, which the source
 * opens through /proc/self/fd. Three ways a stream learns of an unplug:
 *
 * - vivid's "Disconnect" (and any unregistered node): poll gives
 *   POLLERR|POLLHUP|POLLPRI, every ioctl ENODEV (v4l2-dev.c);
 * - uvcvideo: the queued buffers come back flagged ERROR with nothing in
 *   them, then QBUF fails with ENODEV (uvc_queue.c), then the node goes;
 * - poll's POLLERR with DQBUF having nothing to say.
 *
 * Each must end the stream with ZCAP_E_DISCONNECTED and the same note,
 * and stopping afterwards (STREAMOFF and REQBUFS failing with ENODEV) must
 * add no error and give every buffer back.
 *
 * A queue the driver flags as broken (vb2_queue_error: vivid's "Inject
 * Fatal Streaming Error", a driver losing its hardware) is not an unplug:
 * poll gives POLLERR, QBUF and DQBUF fail with EIO, STREAMOFF works. The
 * stream ends with EIO and a note that says so, whether the source meets
 * the error queueing a buffer back or dequeueing one (a race on a real
 * device).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <zcap/zcap.h>

#define FAKE_V4L2_SHIM
#include "fake_v4l2.h"
#include "helpers.h"
#include "tap.h"

#define W 64
#define H 48
#define GOOD_FRAMES 3
#define MAX_BUFS 32

enum unplug { VIVID, UVC, POLLERR_ONLY, FATAL_AT_QBUF, FATAL_AT_DQBUF };

static struct {
	enum unplug how;
	bool queued[MAX_BUFS];
	uint32_t delivered;
	bool unplugged;		/* GOOD_FRAMES delivered: the device went */
	bool broken;		/* vb2_queue_error(): q->error is set */
	uint32_t streamoff_enodev;
} dev;

static bool is_fatal(enum unplug how)
{
	return how == FATAL_AT_QBUF || how == FATAL_AT_DQBUF;
}

static int n_queued(void)
{
	int n = 0;

	for (int i = 0; i < MAX_BUFS; i++)
		n += dev.queued[i];
	return n;
}

/* The node is gone: the V4L2 core answers ENODEV before the driver. */
static bool node_gone(void)
{
	return dev.unplugged && dev.how == VIVID;
}

static int fake_enum_fmt(struct v4l2_fmtdesc *d)
{
	if (d->index)
		return fake_fail(EINVAL);
	d->pixelformat = V4L2_PIX_FMT_YUYV;
	d->flags = 0;
	return 0;
}

static int fake_qbuf(struct v4l2_buffer *b)
{
	/* vb2_core_qbuf() on a queue in error. */
	if (dev.broken)
		return fake_fail(EIO);
	/* uvcvideo: buf_prepare of a disconnected queue. */
	if (dev.unplugged && dev.how == UVC)
		return fake_fail(ENODEV);
	if (b->index >= MAX_BUFS)
		return fake_fail(EINVAL);
	dev.queued[b->index] = true;
	return 0;
}

static int fake_dqbuf(struct v4l2_buffer *b)
{
	uint32_t i;

	/* __vb2_wait_for_done_vb() on a queue in error. */
	if (dev.broken)
		return fake_fail(EIO);
	for (i = 0; i < MAX_BUFS && !dev.queued[i]; i++)
		;
	/* POLLERR_ONLY: DQBUF has nothing to say; uvcvideo: all returned. */
	if (i == MAX_BUFS || (dev.unplugged && dev.how == POLLERR_ONLY))
		return fake_fail(EAGAIN);
	dev.queued[i] = false;
	b->index = i;
	b->sequence = dev.delivered++;
	b->flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
	b->bytesused = W * H * 2;
	if (dev.unplugged) {
		/* uvc_queue_cancel(): every queued buffer back, empty, ERROR. */
		b->flags |= V4L2_BUF_FLAG_ERROR;
		b->bytesused = 0;
	}
	if (dev.delivered == GOOD_FRAMES)
		dev.unplugged = true;
	/* The next QBUF is the source's first word with the broken queue. */
	if (dev.unplugged && dev.how == FATAL_AT_QBUF)
		dev.broken = true;
	return 0;
}

/* STREAMOFF clears a queue's error: it is the way out of it. */
static int fake_streamoff(void)
{
	dev.broken = false;
	if (!dev.unplugged || is_fatal(dev.how))
		return 0;
	dev.streamoff_enodev++;
	return fake_fail(ENODEV);
}

static int fake_reqbufs(struct v4l2_requestbuffers *r)
{
	if (r->count == 0)
		memset(dev.queued, 0, sizeof(dev.queued));
	if (r->count > MAX_BUFS)
		r->count = MAX_BUFS;
	/* uvcvideo: REQBUFS(0) after the unplug fails too. */
	return dev.unplugged && !is_fatal(dev.how) ? fake_fail(ENODEV) : 0;
}

static const struct fake_buf_ops buf_ops = {
	.reqbufs = fake_reqbufs,
	.qbuf = fake_qbuf,
	.dqbuf = fake_dqbuf,
};

static int fake_ioctl(unsigned long req, void *arg)
{
	int r;

	if (req == VIDIOC_STREAMOFF)
		return fake_streamoff();
	if (node_gone())
		return fake_fail(ENODEV);
	if (fake_buf_ioctl(&buf_ops, req, arg, &r) ||
	    fake_yuyv_camera_ioctl(req, arg, W, H, &r))
		return r;
	switch (req) {
	case VIDIOC_ENUM_FMT:
		return fake_enum_fmt(arg);
	case VIDIOC_STREAMON:
		return dev.unplugged ? fake_fail(ENODEV) : 0;
	default:
		return fake_fail(EINVAL);
	}
}

/* What poll() says for the fake device now: errors whatever was asked. */
static short fake_revents(short events)
{
	short r = 0;

	/*
	 * The error comes while the source waits with every buffer queued:
	 * the next DQBUF is its first word with the broken queue.
	 */
	if (dev.unplugged && dev.how == FATAL_AT_DQBUF)
		dev.broken = true;
	if (node_gone() || dev.broken || (dev.unplugged && dev.how == POLLERR_ONLY))
		r = POLLERR | POLLHUP | POLLPRI;
	else if (n_queued())
		r = POLLIN;
	return r & (events | POLLERR | POLLHUP);
}

/* ---- a sink that offers a (fake) dma-buf allocator and counts ---------- */

static uint32_t received, received_errors;

static int sink_propose(void *user, struct zcap_allocator **out)
{
	(void)user;
	return fake_allocator(out, NULL);
}

static int sink_receive(void *user, struct zcap_sample *s, struct zcap_sink_frame *fr)
{
	(void)user;
	(void)fr;
	received++;
	if (zcap_sample_flags(s) & ZCAP_SAMPLE_ERROR)
		received_errors++;
	return 0;
}

static const struct zcap_sink_ops sink_ops = {
	.propose_allocator = sink_propose,
	.receive = sink_receive,
};
static const struct zcap_sink_config sink_cfg = { .name = "sink" };

/*
 * The stream on a fake device that goes wrong after GOOD_FRAMES as @how
 * says; @note is the source's note expected, NULL for "<device> was
 * disconnected".
 */
static void unplug_test(enum unplug how, const char *name, const char *note_is)
{
	int want = is_fatal(how) ? -EIO : ZCAP_E_DISCONNECTED;
	struct zcap_v4l2_source_config cfg = { .timeout_ms = 5000 };
	struct zcap_filter *src = NULL, *sink = NULL;
	struct zcap_filter_stats st;
	struct zcap_allocator *a = NULL;
	struct zcap_graph *g = NULL;
	struct zcap_pin *in;
	char path[64], note[96];
	struct stat sb;
	int mfd, ret;

	mfd = memfd_create("fake-video", MFD_CLOEXEC);
	fstat(mfd, &sb);
	pthread_mutex_lock(&fake_dev.lock);
	memset(dev.queued, 0, sizeof(dev.queued));
	fake_dev.ino = sb.st_ino;
	dev.how = how;
	dev.delivered = 0;
	dev.unplugged = dev.broken = false;
	dev.streamoff_enodev = 0;
	pthread_mutex_unlock(&fake_dev.lock);
	received = received_errors = 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	cfg.device = path;

	zcap_graph_new(&g);
	ret = zcap_v4l2_source_new(&cfg, &src);
	if (!ok(ret == 0, "%s: the fake camera opens", name)) {
		tap_diag("%s", zcap_strerror(ret));
		goto out;
	}
	zcap_graph_add(g, src);
	zcap_sink_new(&sink_cfg, &sink_ops, NULL, &sink);
	in = zcap_filter_pin(sink, ZCAP_PIN_INPUT, 0);
	zcap_graph_add(g, sink);
	ret = zcap_graph_connect(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0), in, NULL);
	if (ret == 0)
		ret = zcap_graph_run(g);
	if (!is(ret, 0, "%s: connected and streaming", name))
		goto out;
	zcap_pin_allocator(zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0), &a);
	ret = zcap_graph_wait(g, 10000);
	is(ret, want, "%s: the stream ends with %s", name, zcap_strerror(want));
	zcap_filter_get_stats(src, &st);
	if (note_is)
		snprintf(note, sizeof(note), "%s", note_is);
	else
		snprintf(note, sizeof(note), "%s was disconnected", path);
	ok(!strcmp(st.note, note), "%s: the note is '%s'", name,
	   note_is ? note_is : "<device> was disconnected");
	if (strcmp(st.note, note))
		tap_diag("note: %s", st.note);
	ok(received >= GOOD_FRAMES, "%s: the %u frames before it arrived", name,
	   GOOD_FRAMES);

	zcap_graph_stop(g);
	zcap_filter_get_stats(src, &st);
	ok(st.last_error == want && !strcmp(st.note, note),
	   "%s: stopping after it adds no error", name);
	ok(dev.streamoff_enodev == !is_fatal(how),
	   "%s: STREAMOFF was called once and %s", name,
	   is_fatal(how) ? "worked" : "failed");
	is(zcap_allocator_outstanding(a), 0, "%s: every buffer is back", name);
out:
	zcap_allocator_unref(a);
	zcap_graph_destroy(g);
	close(mfd);
	fake_dev.ino = 0;
}

int main(void)
{
	unplug_test(VIVID, "vivid (POLLERR, then ENODEV)", NULL);
	unplug_test(UVC, "uvcvideo (ERROR buffers, QBUF ENODEV)", NULL);
	unplug_test(POLLERR_ONLY, "POLLERR, DQBUF EAGAIN", NULL);
	unplug_test(FATAL_AT_QBUF, "queue error met at QBUF",
		    "the driver reported a fatal streaming error (VIDIOC_QBUF(DMABUF): EIO)");
	unplug_test(FATAL_AT_DQBUF, "queue error met at DQBUF",
		    "the driver reported a fatal streaming error (VIDIOC_DQBUF: EIO)");
	return tap_done();
}
