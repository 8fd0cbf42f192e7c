// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The V4L2 source's buffer paths on a fake camera: ioctl() and poll() are
 * interposed (the library's objects are linked into this program) for the
 * fds of one memfd, which the source opens through /proc/self/fd and maps
 * for its MMAP buffers. Each frame the fake "captures" carries its
 * sequence number in its first bytes: in the dma-buf it was given, or in
 * its own buffer.
 *
 * - DMABUF, every buffer granted: zero copy, each frame where it belongs;
 * - DMABUF, fewer buffers granted than the allocator has: the rest parked,
 *   the stream goes on with what was granted;
 * - a driver without DMABUF (REQBUFS EINVAL): MMAP and a counted copy,
 *   with the note that says so;
 * - an allocator of plain memory: MMAP and a counted copy;
 * - in each, zcap_v4l2_source_buffers(): what the source fills;
 * - caller-driven (zcap_v4l2_source_pump): each frame delivered in the
 *   pumping thread, a released buffer queued again by its release, no
 *   DQBUF for nothing, interrupt and the end of the stream as returns.
 * Each ends (max_frames) with every buffer back and nothing requested.
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
#include "fake_camera.h"
#include "helpers.h"
#include "tap.h"
#include "v4l2/v4l2_priv.h"

#define FRAMES	12

/* ---- a sink that checks each frame's sequence in its bytes ------------ */

static struct {
	bool memory;		/* propose plain memory, not dma-bufs */
	uint32_t got, bad;
	/* Caller-driven: hold each frame until the next, check where it goes. */
	bool hold;
	struct zcap_sample *held;
	pthread_t thread;
	uint32_t other_thread, not_requeued;
	/* zcap_v4l2_source_buffers() of src, asked at the first frame. */
	struct zcap_filter *src;
	int buffers;
} sink;

/* Drop the frame held since the last one: the driver must have it at once. */
static void sink_release_held(void)
{
	uint32_t before;

	if (!sink.held)
		return;
	pthread_mutex_lock(&fake_dev.lock);
	before = dev.n;
	pthread_mutex_unlock(&fake_dev.lock);
	zcap_sample_unref(sink.held);
	sink.held = NULL;
	pthread_mutex_lock(&fake_dev.lock);
	sink.not_requeued += dev.n != before + 1;
	pthread_mutex_unlock(&fake_dev.lock);
}

static int sink_propose(void *user, struct zcap_allocator **out)
{
	(void)user;
	return sink.memory ? zcap_allocator_new_memory(out) : fake_allocator(out, NULL);
}

static int sink_receive(void *user, struct zcap_sample *s, struct zcap_sink_frame *fr)
{
	const struct zcap_format *f = zcap_sample_format(s);
	const uint8_t *d;
	uint64_t seq;
	uint32_t got = UINT32_MAX;

	(void)user;
	(void)fr;
	if (sink.src && !sink.buffers)
		sink.buffers = zcap_v4l2_source_buffers(sink.src);
	zcap_sample_cpu_begin(s, ZCAP_ACCESS_READ);
	d = zcap_sample_data(s, 0);
	if (d && f)
		memcpy(&got, d + f->planes[0].offset, sizeof(got));
	zcap_sample_cpu_end(s);
	seq = zcap_sample_sequence(s);
	if (got != seq || seq != sink.got)
		sink.bad++;
	sink.got++;
	if (sink.hold) {
		sink.other_thread += !pthread_equal(pthread_self(), sink.thread);
		sink_release_held();
		sink.held = zcap_sample_ref(s);
	}
	return 0;
}

static const struct zcap_sink_ops sink_ops = {
	.propose_allocator = sink_propose,
	.receive = sink_receive,
};
static const struct zcap_sink_config sink_cfg = { .name = "sink" };

static void dev_reset(void)
{
	if (fake_camera_reset() < 0)
		tap_diag("cannot make the fake camera's memfd");
	memset(&sink, 0, sizeof(sink));
}

/* FRAMES frames (max_frames), then stop; @note: what the note must say. */
/* The graph's log, every line appended. */
static struct log_text graph_log;

static void capture(const char *name, bool copy, const char *note)
{
	struct zcap_v4l2_source_config cfg = { .max_frames = FRAMES, .timeout_ms = 5000 };
	struct zcap_filter *src = NULL, *snk = NULL;
	struct zcap_allocator *a = NULL;
	struct zcap_filter_stats st;
	struct zcap_graph *g;
	struct zcap_pin *in;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", dev.mfd);
	cfg.device = path;
	zcap_graph_new(&g);
	graph_log.buf[0] = '\0';
	zcap_graph_set_log(g, ZCAP_LOG_INFO, log_append, &graph_log);
	r = zcap_v4l2_source_new(&cfg, &src);
	if (!is(r, 0, "%s: the fake camera opens", name))
		goto out;
	zcap_graph_add(g, src);
	zcap_sink_new(&sink_cfg, &sink_ops, NULL, &snk);
	in = zcap_filter_pin(snk, ZCAP_PIN_INPUT, 0);
	zcap_graph_add(g, snk);
	r = zcap_graph_connect(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0), in, NULL);
	is(zcap_v4l2_source_buffers(src), ZCAP_E_WRONG_STATE,
	   "%s: the buffers in use, asked before streaming: wrong state", name);
	sink.src = src;
	if (!r)
		r = zcap_graph_run(g);
	if (!is(r, 0, "%s: connected and streaming", name))
		goto out;
	zcap_pin_allocator(zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0), &a);
	is(zcap_graph_wait(g, 10000), 0, "%s: the stream ends after %u frames", name, FRAMES);
	zcap_graph_stop(g);
	/* Importing, what REQBUFS granted; copying, the allocator's. */
	is(sink.buffers, dev.max_grant && !copy ? (int)dev.max_grant : (int)zcap_allocator_count(a),
	   "%s: the buffers in use, as the first frame's sink asked", name);
	is(zcap_v4l2_source_buffers(src), ZCAP_E_WRONG_STATE,
	   "%s: the buffers in use, asked after the stop: wrong state", name);
	is(zcap_v4l2_source_buffers(snk), -EINVAL, "%s: a sink has no V4L2 buffers: -EINVAL", name);
	/* A sink that keeps nothing: the source queues each frame back itself. */
	if (!copy)
		ok(zcapi_v4l2_src_of(src)->q.stats.requeues >= FRAMES / 2,
		   "%s: frames queued again at their index by the source (%llu)", name,
		   (unsigned long long)zcapi_v4l2_src_of(src)->q.stats.requeues);
	zcap_filter_get_stats(src, &st);
	ok(sink.got == FRAMES && !sink.bad && st.frames == FRAMES,
	   "%s: every frame delivered, in order, its own bytes (%u got, %u bad)",
	   name, sink.got, sink.bad);
	ok(st.bytes_copied == (copy ? (uint64_t)FRAMES * SIZE : 0),
	   "%s: %s (%llu bytes copied)", name, copy ? "each frame copied, counted" :
	   "zero copy", (unsigned long long)st.bytes_copied);
	ok(!note || strstr(st.note, note), "%s: the note says '%s'", name,
	   note ? note : "");
	if (note && !strstr(st.note, note))
		tap_diag("note: %s", st.note);
	ok(strstr(graph_log.buf, copy ? "VIDIOC_REQBUFS(MMAP, " : "VIDIOC_REQBUFS(DMABUF, ") &&
	   strstr(graph_log.buf, "allocator chosen: ") &&
	   (!note || strstr(graph_log.buf, note)),
	   "%s: the log has the allocator chosen, the REQBUFS grant and the note", name);
	ok(zcap_allocator_outstanding(a) == 0 && dev.reqbufs0 >= 1 &&
	   fake_live_maps("memfd:fake-camera") == 0, "%s: stopped: every buffer back, REQBUFS(0), nothing mapped",
	   name);
out:
	zcap_allocator_unref(a);
	zcap_graph_destroy(g);
	close(dev.mfd);
	fake_dev.ino = 0;
}

/* The config checks of a caller-driven source, and pump on the wrong one. */
static void pump_config(const char *path)
{
	struct zcap_v4l2_source_config cfg = { .device = path };
	struct zcap_filter *f = NULL;

	cfg.flags = 1u << 7;
	is(zcap_v4l2_source_new(&cfg, &f), -EINVAL, "pump: an unknown flag is -EINVAL");
	cfg.flags = 0;
	cfg.reserved[6] = 1;
	is(zcap_v4l2_source_new(&cfg, &f), -EINVAL, "pump: a reserved word set is -EINVAL");
	cfg.reserved[6] = 0;
	if (!is(zcap_v4l2_source_new(&cfg, &f), 0, "pump: a threaded source"))
		return;
	is(zcap_v4l2_source_pump(f, 0), -EINVAL, "pump: a threaded source cannot be pumped");
	is(zcap_v4l2_source_interrupt(f, true), -EINVAL, "pump: nor interrupted");
	is(zcap_v4l2_source_pump(NULL, 0), -EINVAL, "pump: NULL is -EINVAL");
	zcap_filter_destroy(f);
}

/* Pump until it says something else than a frame; the frames counted. */
static int pump_all(struct zcap_filter *src, uint32_t *frames)
{
	int r;

	*frames = 0;
	while ((r = zcap_v4l2_source_pump(src, 2000)) == 1)
		(*frames)++;
	return r;
}

static void pump(void)
{
	struct zcap_v4l2_source_config cfg = {
		.max_frames = FRAMES, .timeout_ms = 5000,
		.flags = ZCAP_V4L2_SOURCE_CALLER_THREAD,
	};
	struct zcap_filter *src = NULL, *snk = NULL;
	struct zcap_allocator *a = NULL;
	struct zcap_graph *g;
	char path[64];
	uint32_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", dev.mfd);
	pump_config(path);
	cfg.device = path;
	sink.hold = true;
	sink.thread = pthread_self();
	zcap_graph_new(&g);
	if (!is(zcap_v4l2_source_new(&cfg, &src), 0, "pump: the fake camera opens"))
		goto out;
	zcap_graph_add(g, src);
	zcap_sink_new(&sink_cfg, &sink_ops, NULL, &snk);
	zcap_graph_add(g, snk);
	zcap_graph_connect(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0),
			   zcap_filter_pin(snk, ZCAP_PIN_INPUT, 0), NULL);
	is(zcap_v4l2_source_pump(src, 0), ZCAP_E_WRONG_STATE, "pump: not running: wrong state");
	if (!is(zcap_graph_run(g), 0, "pump: running"))
		goto out;
	zcap_pin_allocator(zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0), &a);
	zcap_v4l2_source_interrupt(src, true);
	is(zcap_v4l2_source_pump(src, -1), -EINTR, "pump: interrupted, it returns at once");
	is(zcap_v4l2_source_pump(src, -1), -EINTR, "pump: and again, until the interrupt is off");
	zcap_v4l2_source_interrupt(src, false);
	is(pump_all(src, &n), ZCAP_E_END_OF_STREAM, "pump: max_frames, then the end of the stream");
	ok(n == FRAMES && sink.got == FRAMES && !sink.bad,
	   "pump: one frame per pump, in order, its own bytes (%u pumped, %u got, %u bad)",
	   n, sink.got, sink.bad);
	ok(!sink.other_thread, "pump: every frame delivered in the pumping thread");
	ok(!sink.not_requeued, "pump: a released buffer is queued again by its release (%u were not)",
	   sink.not_requeued);
	ok(!dev.eagain, "pump: no DQBUF found nothing (%u did)", dev.eagain);
	is(zcap_v4l2_source_buffers(src), (int)zcap_allocator_count(a),
	   "pump: every one of the allocator's buffers in use, asked in the pumping thread");
	is((long)zcapi_v4l2_src_of(src)->q.stats.requeues, 0,
	   "pump: a held frame is not queued again by the source");
	is(zcap_graph_wait(g, 0), 0, "pump: the graph saw the end of the stream");
	sink_release_held();
	zcap_graph_stop(g);
	is(zcap_v4l2_source_pump(src, 0), ZCAP_E_WRONG_STATE, "pump: stopped: wrong state");
	ok(zcap_allocator_outstanding(a) == 0 && fake_live_maps("memfd:fake-camera") == 0,
	   "pump: stopped: every buffer back, nothing mapped");
out:
	zcap_allocator_unref(a);
	zcap_graph_destroy(g);
	close(dev.mfd);
	fake_dev.ino = 0;
}

/*
 * The allocator decommitted while the source streams, with no stop (a
 * filter downstream stopped on its own, or the application did it): the
 * stream ends with NOT_COMMITTED, which the graph's wait returns, and the
 * note says why. The source's thread used to end without a word, and the
 * wait waited for ever.
 */
static void decommitted(void)
{
	struct zcap_v4l2_source_config cfg = { .timeout_ms = 5000 };
	struct zcap_filter *src = NULL, *snk = NULL;
	struct zcap_allocator *a = NULL;
	struct zcap_filter_stats st = { 0 };
	struct zcap_graph *g;
	char path[64];
	int r, waited;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", dev.mfd);
	cfg.device = path;
	zcap_graph_new(&g);
	r = zcap_v4l2_source_new(&cfg, &src);
	if (!is(r, 0, "decommitted: the fake camera opens"))
		goto out;
	zcap_graph_add(g, src);
	zcap_sink_new(&sink_cfg, &sink_ops, NULL, &snk);
	zcap_graph_add(g, snk);
	r = zcap_graph_connect(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0),
			       zcap_filter_pin(snk, ZCAP_PIN_INPUT, 0), NULL);
	if (!r)
		r = zcap_graph_run(g);
	if (!is(r, 0, "decommitted: streaming, no frame limit"))
		goto out;
	zcap_pin_allocator(zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0), &a);
	for (waited = 0; waited < 5000 && st.frames < 3; waited++) {
		sleep_ms(1);
		zcap_filter_get_stats(src, &st);
	}
	zcap_allocator_decommit(a);
	is(zcap_graph_wait(g, 3000), ZCAP_E_NOT_COMMITTED,
	   "decommitted under the running source after %llu frames: the graph's wait returns NOT_COMMITTED",
	   (unsigned long long)st.frames);
	zcap_filter_get_stats(src, &st);
	ok(strstr(st.note, "the allocator was decommitted while"), "and the note says why: %s",
	   st.note);
	zcap_graph_stop(g);
	ok(zcap_allocator_outstanding(a) == 0 && fake_live_maps("memfd:fake-camera") == 0,
	   "stopped: every buffer back, nothing mapped");
out:
	zcap_allocator_unref(a);
	zcap_graph_destroy(g);
	close(dev.mfd);
	fake_dev.ino = 0;
}

/*
 * The fake camera's source, caller-driven, into the test's sink, running
 * in a new graph; NULL (said) when it is not, and the fake let go. @path
 * gets the device's.
 */
static struct zcap_graph *run_pumped(const char *name, char *path, size_t len,
				     struct zcap_filter **src)
{
	struct zcap_v4l2_source_config cfg = {
		.timeout_ms = 5000, .flags = ZCAP_V4L2_SOURCE_CALLER_THREAD,
	};
	struct zcap_filter *snk = NULL;
	struct zcap_graph *g = NULL;
	int r;

	snprintf(path, len, "/proc/self/fd/%d", dev.mfd);
	cfg.device = path;
	r = zcap_graph_new(&g);
	if (!r)
		r = zcap_v4l2_source_new(&cfg, src);
	if (!r)
		r = zcap_graph_add(g, *src);
	if (!r)
		r = zcap_sink_new(&sink_cfg, &sink_ops, NULL, &snk);
	if (!r)
		r = zcap_graph_add(g, snk);
	if (!r)
		r = zcap_graph_connect(g, zcap_filter_pin(*src, ZCAP_PIN_OUTPUT, 0),
				       zcap_filter_pin(snk, ZCAP_PIN_INPUT, 0), NULL);
	if (!r)
		r = zcap_graph_run(g);
	if (is(r, 0, "%s: streaming", name))
		return g;
	zcap_graph_destroy(g);
	close(dev.mfd);
	fake_dev.ino = 0;
	return NULL;
}

/* The graph of run_pumped() and the fake camera let go. */
static void end_pumped(struct zcap_graph *g)
{
	zcap_graph_stop(g);
	zcap_graph_destroy(g);
	close(dev.mfd);
	fake_dev.ino = 0;
}

/*
 * The frame clock restarts from the driver's stamp, but only from one that
 * is a capture time: not a zero stamp, nor any stamp on a buffer flagged
 * ERROR (drivers give those back unfilled, stamped at their last use or
 * never). Restarted at 0, a 50 ms pump with no frame reported a stall at
 * once, with a timeout of 5 s, and the stream ended.
 */
static void frame_clock(const char *name, int64_t stamp_us, bool error)
{
	struct zcap_filter *src = NULL;
	struct zcap_graph *g;
	char path[64];
	int r;

	g = run_pumped(name, path, sizeof(path), &src);
	if (!g)
		return;
	dev.stamp_us = stamp_us;
	dev.error_frames = error;
	is(zcap_v4l2_source_pump(src, 2000), 1, "%s: a frame", name);
	dev.no_frame = true;
	r = zcap_v4l2_source_pump(src, 50);
	is(r, 0, "%s: then 50 ms without one is no stall with a 5 s timeout (%s)",
	   name, zcap_strerror(r));
	dev.no_frame = false;
	is(zcap_v4l2_source_pump(src, 2000), 1, "%s: and the next frame comes", name);
	end_pumped(g);
}

/*
 * The signal at the camera's input changes while it streams: the stream
 * ends with ZCAP_E_SOURCE_CHANGED and a note saying so, not with frames
 * of a format nobody set. A camera without the event streams on.
 */
static void source_change(const char *name, bool no_events)
{
	struct zcap_filter *src = NULL;
	struct zcap_filter_stats st;
	struct zcap_graph *g;
	char path[64];
	int r;

	dev.no_events = no_events;
	g = run_pumped(name, path, sizeof(path), &src);
	if (!g)
		return;
	is(zcap_v4l2_source_pump(src, 2000), 1, "%s: a frame", name);
	source_changes();
	r = zcap_v4l2_source_pump(src, 2000);
	zcap_filter_get_stats(src, &st);
	if (no_events) {
		is(r, 1, "%s: the signal changes, no event comes: the next frame (%s)",
		   name, zcap_strerror(r));
	} else {
		is(r, ZCAP_E_SOURCE_CHANGED, "%s: the signal changes: ZCAP_E_SOURCE_CHANGED (%s)",
		   name, zcap_strerror(r));
		ok(strstr(st.note, "V4L2_EVENT_SOURCE_CHANGE") && strstr(st.note, path),
		   "%s: the note says so: %s", name, st.note);
	}
	end_pumped(g);
}

int main(void)
{
	dev_reset();
	capture("DMABUF", false, NULL);
	dev_reset();
	dev.max_grant = 2;
	capture("DMABUF, 2 of 3 granted", false, "granted 2 of 3 buffers");
	dev_reset();
	dev.no_dmabuf = true;
	capture("no DMABUF", true, "cannot import dma-bufs");
	dev_reset();
	sink.memory = true;
	capture("plain memory", true, NULL);
	dev_reset();
	pump();
	dev_reset();
	decommitted();
	dev_reset();
	frame_clock("a stamp of now", -1, false);
	dev_reset();
	frame_clock("a zero stamp", 0, false);
	dev_reset();
	frame_clock("an old stamp on an ERROR buffer", 1, true);
	dev_reset();
	source_change("V4L2_EVENT_SOURCE_CHANGE", false);
	dev_reset();
	source_change("no source change event", true);
	return tap_done();
}
