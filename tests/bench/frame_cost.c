// SPDX-License-Identifier: GPL-2.0
/*
 * frame-cost: what libzcap's own code costs per frame, apart from any
 * driver, against the bare DMABUF loop, on the unit tests' fake camera
 * (ioctl() and poll() interposed: tests/unit/fake_camera.h), in the same
 * process and run:
 *
 *   bare     poll, DQBUF, QBUF of the same dma-buf at the same index;
 *   libzcap  zcap_v4l2_source_pump() of a caller-driven V4L2 source on a
 *            dma-buf allocator, delivering to a sink base whose callback
 *            only counts, the buffer queued again by the sample's release
 *            (what zcap-bench's path a does, without its thread).
 *
 * Each is timed per frame "hot" (frames back to back) and "cold" (before
 * each frame, 16 MiB written and 2 ms asleep: between two frames of a
 * camera the driver and everything else run, and the frame's code starts
 * with caches and TLBs that hold something else; under TCG also the
 * emulator's own state for that code). Documentation/benchmarks.md says
 * why the cold figure is the one a camera sees, and what it showed.
 *
 * --trace: 20 frames of each, untimed, each frame between two stores to
 * a marker whose address is printed, for tests/bench/frame_cost_trace.sh
 * (valgrind's lackey) to count the instructions and memory lines each
 * frame touches.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/videodev2.h>

#include <zcap/zcap.h>

#define FAKE_V4L2_SHIM
#include "fake_v4l2.h"
#include "fake_camera.h"
#include "helpers.h"
#include "median.h"

#define EVICT_BYTES	(16u << 20)
#define TRACE_FRAMES	20
#define WARMUP		50
#define NBUF		3

/* 1: a bare frame runs, 2: a libzcap frame, 0: between frames. */
volatile unsigned int frame_cost_marker;

struct run {
	bool cold;
	bool trace;
	unsigned int frames;
	double *us;		/* per frame, @frames of them */
	char *junk;		/* EVICT_BYTES, written before a cold frame */
};

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* Before a cold frame: someone else's memory and 2 ms of someone else's time. */
static void evict(const struct run *r, unsigned int i)
{
	struct timespec d = { 0, 2000000 };

	if (!r->cold)
		return;
	memset(r->junk, (int)(i & 0xff), EVICT_BYTES);
	nanosleep(&d, NULL);
}

/* ---- bare: the DMABUF ioctl loop ---------------------------------------- */

static int bare_start(int *fd, int bufs[NBUF])
{
	struct v4l2_requestbuffers rb = {
		.count = NBUF, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", dev.mfd);
	*fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0 || ioctl(*fd, VIDIOC_REQBUFS, &rb) || rb.count != NBUF)
		return -EIO;
	for (int i = 0; i < NBUF; i++) {
		struct v4l2_buffer b = {
			.index = (uint32_t)i, .type = rb.type,
			.memory = rb.memory, .length = SIZE,
		};

		bufs[i] = memfd_create("frame-cost", MFD_CLOEXEC);
		if (bufs[i] < 0 || ftruncate(bufs[i], SIZE))
			return -errno;
		b.m.fd = bufs[i];
		if (ioctl(*fd, VIDIOC_QBUF, &b))
			return -errno;
	}
	return ioctl(*fd, VIDIOC_STREAMON, &type) ? -errno : 0;
}

static int bare_frame(int fd, const int bufs[NBUF], unsigned int *got)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_DMABUF,
	};

	if (poll(&p, 1, 2000) != 1 || ioctl(fd, VIDIOC_DQBUF, &b) || b.index >= NBUF)
		return -EIO;
	(*got)++;
	b.m.fd = bufs[b.index];
	b.length = SIZE;
	return ioctl(fd, VIDIOC_QBUF, &b) ? -errno : 0;
}

static int run_bare(const struct run *r)
{
	int fd = -1, bufs[NBUF] = { -1, -1, -1 }, ret;
	unsigned int got = 0, i;

	ret = bare_start(&fd, bufs);
	for (i = 0; !ret && i < WARMUP; i++)
		ret = bare_frame(fd, bufs, &got);
	for (i = 0; !ret && i < r->frames; i++) {
		double t0;

		evict(r, i);
		t0 = now_us();
		frame_cost_marker = 1;
		ret = bare_frame(fd, bufs, &got);
		frame_cost_marker = 0;
		r->us[i] = now_us() - t0;
	}
	if (fd >= 0)
		close(fd);
	for (i = 0; i < NBUF; i++)
		if (bufs[i] >= 0)
			close(bufs[i]);
	return ret;
}

/* ---- libzcap: the caller-driven V4L2 source into a counting sink -------- */

static int sink_propose(void *user, struct zcap_allocator **out)
{
	(void)user;
	return fake_allocator(out, NULL);
}

static int sink_receive(void *user, struct zcap_sample *s, struct zcap_sink_frame *fr)
{
	(void)s;
	(void)fr;
	++*(unsigned int *)user;
	return 0;
}

static const struct zcap_sink_ops sink_ops = {
	.propose_allocator = sink_propose,
	.receive = sink_receive,
};

static int lib_graph(struct zcap_graph *g, unsigned int *got, struct zcap_filter **src)
{
	struct zcap_v4l2_source_config cfg = {
		.timeout_ms = 5000, .flags = ZCAP_V4L2_SOURCE_CALLER_THREAD,
	};
	static const struct zcap_sink_config sink_cfg = { .name = "count" };
	struct zcap_filter *snk;
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", dev.mfd);
	cfg.device = path;
	ret = zcap_v4l2_source_new(&cfg, src);
	if (ret)
		return ret;
	ret = zcap_graph_add(g, *src);
	if (ret) {
		zcap_filter_destroy(*src);
		return ret;
	}
	ret = zcap_sink_new(&sink_cfg, &sink_ops, got, &snk);
	if (ret)
		return ret;
	ret = zcap_graph_add(g, snk);
	if (ret) {
		zcap_filter_destroy(snk);
		return ret;
	}
	ret = zcap_graph_connect(g, zcap_filter_pin(*src, ZCAP_PIN_OUTPUT, 0),
				 zcap_filter_pin(snk, ZCAP_PIN_INPUT, 0), NULL);
	return ret ? ret : zcap_graph_run(g);
}

static int lib_frame(struct zcap_filter *src)
{
	int ret = zcap_v4l2_source_pump(src, 2000);

	return ret == 1 ? 0 : ret < 0 ? ret : -EIO;
}

static int run_lib(const struct run *r)
{
	struct zcap_filter *src = NULL;
	struct zcap_graph *g;
	unsigned int got = 0, i;
	int ret;

	ret = zcap_graph_new(&g);
	if (ret)
		return ret;
	ret = lib_graph(g, &got, &src);
	for (i = 0; !ret && i < WARMUP; i++)
		ret = lib_frame(src);
	for (i = 0; !ret && i < r->frames; i++) {
		double t0;

		evict(r, i);
		t0 = now_us();
		frame_cost_marker = 2;
		ret = lib_frame(src);
		frame_cost_marker = 0;
		r->us[i] = now_us() - t0;
	}
	if (!ret && got != WARMUP + r->frames)
		ret = -EPROTO;
	zcap_graph_stop(g);
	zcap_graph_destroy(g);
	return ret;
}

/* ---- the table ------------------------------------------------------------ */

/* One path on a new fake camera; its median per frame in *@med. */
static int measure(int (*path)(const struct run *), const struct run *r, double *med)
{
	int ret;

	if (fake_camera_reset() < 0)
		return -EIO;
	ret = path(r);
	close(dev.mfd);
	fake_dev.ino = 0;
	if (!ret && !r->trace)
		*med = bench_median(r->us, r->frames);
	return ret;
}

/* Each path's round medians averaged; the ratio of those, from this run. */
static void print_table(double med[2][2][16], unsigned int rounds, unsigned int frames)
{
	static const char *const state[2] = { "hot", "cold" };

	printf("frame-cost: per frame on a fake camera, the median of %u frames, "
	       "averaged over %u rounds (us)\n", frames, rounds);
	printf("%-6s %9s %9s %7s %9s\n", "", "bare", "libzcap", "ratio", "extra");
	for (int cold = 0; cold < 2; cold++) {
		double bare = 0, lib = 0;

		for (unsigned int k = 0; k < rounds; k++) {
			bare += med[cold][0][k] / rounds;
			lib += med[cold][1][k] / rounds;
		}
		printf("%-6s %9.1f %9.1f %7.2f %9.1f\n", state[cold], bare, lib,
		       lib / bare, lib - bare);
	}
}

static int usage(const char *argv0, int status)
{
	fprintf(status ? stderr : stdout,
		"usage: %s [-n FRAMES] [-r ROUNDS] [--trace]\n"
		"  -n FRAMES   timed frames per path and state (default 300)\n"
		"  -r ROUNDS   rounds, the paths interleaved in each (default 2)\n"
		"  --trace     %u untimed frames of each path between marker stores\n",
		argv0, TRACE_FRAMES);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "trace", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run r = { .frames = 300 };
	unsigned int rounds = 2, k;
	double med[2][2][16];	/* [cold][lib][round] */
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, "n:r:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			r.frames = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rounds = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 't':
			r.trace = true;
			break;
		case 'h':
			return usage(argv[0], 0);
		default:
			return usage(argv[0], 2);
		}
	}
	if (!r.frames || r.frames > 100000 || !rounds || rounds > 16 || optind != argc)
		return usage(argv[0], 2);
	if (r.trace) {
		r.frames = TRACE_FRAMES;
		rounds = 1;
	}
	r.us = calloc(r.frames, sizeof(*r.us));
	r.junk = malloc(EVICT_BYTES);
	if (!r.us || !r.junk) {
		fprintf(stderr, "frame-cost: out of memory\n");
		return 1;
	}
	if (r.trace)
		printf("marker %p\n", (void *)&frame_cost_marker);
	for (k = 0; !ret && k < rounds; k++) {
		for (int cold = 0; !ret && cold < 2 - r.trace; cold++) {
			r.cold = cold;
			ret = measure(run_bare, &r, &med[cold][0][k]);
			if (!ret)
				ret = measure(run_lib, &r, &med[cold][1][k]);
		}
	}
	if (ret) {
		fprintf(stderr, "frame-cost: a path failed: %s\n", zcap_strerror(ret));
		return 1;
	}
	if (!r.trace)
		print_table(med, rounds, r.frames);
	free(r.us);
	free(r.junk);
	return 0;
}
