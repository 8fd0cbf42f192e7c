// SPDX-License-Identifier: GPL-2.0
/*
 * zcap-gst-bench: zcapsrc against GStreamer's own v4l2src (io-mode=mmap
 * and io-mode=dmabuf), each into fakesink, same device, format, size and
 * frames, the paths interleaved round by round, each run in a process of
 * its own so that start-up and peak RSS are the path's alone.
 *
 * Per run: start-up CPU (process start to the first frame, gst_init
 * included, the same for every path), then over the frames after the
 * warm-up: CPU per frame, the part of it spent inside poll()/ppoll() (vivid
 * holds its queue lock while drawing and waiters spin on it: the driver's
 * cost, Documentation/benchmarks.md), and the rest, which is the path's.
 * This program defines poll and ppoll itself, so GStreamer's and libzcap's
 * calls (shared libraries) come here first, and it times them with
 * CLOCK_THREAD_CPUTIME_ID before calling libc's.
 *
 * The table gives each path's median over the rounds and its ratio to
 * v4l2src io-mode=dmabuf measured in the same run. A fourth path, a live
 * fakesrc pushing empty buffers through the same caps into fakesink, is
 * GStreamer's own cost per buffer (the base source's loop, the pad push,
 * the sink): the floor under every source element. Each element's own
 * part is what it adds above that floor, also printed as a ratio.
 *
 *   zcap-gst-bench -d DEV [-s WxH] [-f FPS] [-n FRAMES] [-w WARMUP] [-r ROUNDS]
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gst/gst.h>

#include "median.h"

enum { PATH_MMAP, PATH_DMABUF, PATH_ZCAP, PATH_FLOOR, N_PATHS };

static const char *const path_name[N_PATHS] = {
	"v4l2src io-mode=mmap", "v4l2src io-mode=dmabuf", "zcapsrc",
	"fakesrc (no device)",
};

/* One run's figures, written by the child as one line. */
struct run {
	double start_ms;	/* CPU, process start to first frame */
	double cpu_ms;		/* CPU per frame after the warm-up */
	double poll_ms;		/* of which inside poll()/ppoll() */
	double wall_ms;		/* wall time per frame */
	long rss_kb;		/* peak RSS */
};

/* ---- poll and ppoll, timed --------------------------------------------- */

static _Atomic long long poll_cpu_ns;

static long long cpu_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	static int (*real)(struct pollfd *, nfds_t, int);
	long long t0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	int ret, err;

	if (!real)
		real = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
	ret = real(fds, n, timeout);
	err = errno;
	poll_cpu_ns += cpu_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
	errno = err;
	return ret;
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo,
	  const sigset_t *mask)
{
	static int (*real)(struct pollfd *, nfds_t, const struct timespec *,
			   const sigset_t *);
	long long t0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	int ret, err;

	if (!real)
		real = (int (*)(struct pollfd *, nfds_t, const struct timespec *,
				const sigset_t *))dlsym(RTLD_NEXT, "ppoll");
	ret = real(fds, n, tmo, mask);
	err = errno;
	poll_cpu_ns += cpu_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
	errno = err;
	return ret;
}

/* ---- one run, in a child ------------------------------------------------- */

struct window {
	guint seen, warmup, total;
	long long cpu0, poll0, wall0;
	long long start_cpu;
	struct run *r;
};

static GstPadProbeReturn on_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	struct window *w = data;

	(void)pad;
	(void)info;
	w->seen++;
	if (w->seen == 1)
		w->start_cpu = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	if (w->seen == w->warmup) {
		w->cpu0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
		w->poll0 = poll_cpu_ns;
		w->wall0 = cpu_ns(CLOCK_MONOTONIC);
	} else if (w->seen == w->total) {
		guint n = w->total - w->warmup;

		w->r->cpu_ms = (cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - w->cpu0) / 1e6 / n;
		w->r->poll_ms = (poll_cpu_ns - w->poll0) / 1e6 / n;
		w->r->wall_ms = (cpu_ns(CLOCK_MONOTONIC) - w->wall0) / 1e6 / n;
	}
	return GST_PAD_PROBE_OK;
}

static int run_child(int path, const char *dev, const char *caps, guint warmup,
		     guint frames)
{
	static const char *const src[N_PATHS] = {
		"v4l2src io-mode=mmap device=%s", "v4l2src io-mode=dmabuf device=%s",
		"zcapsrc device=%s", "fakesrc is-live=true sizetype=empty",
	};
	struct run r = { 0 };
	struct window w = { .warmup = warmup, .total = warmup + frames, .r = &r };
	GError *err = NULL;
	GstElement *p, *sink;
	GstMessage *msg;
	GstPad *pad;
	struct rusage ru;
	char *desc;

	gchar *elem;

	gst_init(NULL, NULL);
	elem = path == PATH_FLOOR ? g_strdup(src[path]) : g_strdup_printf(src[path], dev);
	desc = g_strdup_printf("%s num-buffers=%u ! %s ! fakesink name=sink sync=false",
			       elem, w.total, caps);
	g_free(elem);
	p = gst_parse_launch(desc, &err);
	g_free(desc);
	if (!p) {
		fprintf(stderr, "%s\n", err->message);
		return 1;
	}
	sink = gst_bin_get_by_name(GST_BIN(p), "sink");
	pad = gst_element_get_static_pad(sink, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, &w, NULL);
	gst_element_set_state(p, GST_STATE_PLAYING);
	msg = gst_bus_timed_pop_filtered(GST_ELEMENT_BUS(p), 120 * GST_SECOND,
					 GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
	gst_element_set_state(p, GST_STATE_NULL);
	if (!msg || GST_MESSAGE_TYPE(msg) != GST_MESSAGE_EOS || w.seen < w.total) {
		fprintf(stderr, "%s: no EOS after %u of %u frames\n", path_name[path],
			w.seen, w.total);
		return 1;
	}
	gst_message_unref(msg);
	r.start_ms = w.start_cpu / 1e6;
	getrusage(RUSAGE_SELF, &ru);
	r.rss_kb = ru.ru_maxrss;
	printf("run %.3f %.4f %.4f %.4f %ld\n", r.start_ms, r.cpu_ms, r.poll_ms,
	       r.wall_ms, r.rss_kb);
	gst_object_unref(pad);
	gst_object_unref(sink);
	gst_object_unref(p);
	return 0;
}

/* ---- the parent: interleaved rounds, medians, ratios ------------------- */

static int spawn(const char *self, int path, const char *dev, const char *caps,
		 guint warmup, guint frames, struct run *r)
{
	char cmd[1024], line[256];
	int found = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "'%s' --child %d '%s' '%s' %u %u", self, path,
		 dev, caps, warmup, frames);
	f = popen(cmd, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "run %lf %lf %lf %lf %ld", &r->start_ms, &r->cpu_ms,
			   &r->poll_ms, &r->wall_ms, &r->rss_kb) == 5)
			found = 1;
	return pclose(f) == 0 && found ? 0 : -EIO;
}

struct summary {
	double cpu, poll, own, wall, start, rss;
};

static void summarize(const struct run *runs, guint n, struct summary *s)
{
	double cpu[64], poll[64], own[64], wall[64], start[64], rss[64];

	for (guint i = 0; i < n; i++) {
		cpu[i] = runs[i].cpu_ms;
		poll[i] = runs[i].poll_ms;
		own[i] = runs[i].cpu_ms - runs[i].poll_ms;
		wall[i] = runs[i].wall_ms;
		start[i] = runs[i].start_ms;
		rss[i] = runs[i].rss_kb;
	}
	s->cpu = bench_median(cpu, n);
	s->poll = bench_median(poll, n);
	s->own = bench_median(own, n);
	s->wall = bench_median(wall, n);
	s->start = bench_median(start, n);
	s->rss = bench_median(rss, n);
}

/* What each element adds above GStreamer's own per-buffer cost. */
static void print_floor(const struct summary *s)
{
	double floor = s[PATH_FLOOR].own, base = s[PATH_DMABUF].own - floor;

	printf("\nabove the floor (own - fakesrc's %.3f ms; x = ratio to v4l2src io-mode=dmabuf's):\n",
	       floor);
	for (int p = 0; p < PATH_FLOOR; p++)
		printf("%-24s %8.3f %6.2f\n", path_name[p], s[p].own - floor,
		       base > 0 ? (s[p].own - floor) / base : 0);
	printf("the floor is %.2fx v4l2src io-mode=dmabuf's own CPU: no source element can go below it\n",
	       s[PATH_DMABUF].own > 0 ? floor / s[PATH_DMABUF].own : 0);
}

static void print_table(const struct summary *s, const char *dev, const char *caps,
			guint warmup, guint frames, guint rounds)
{
	const struct summary *b = &s[PATH_DMABUF];

	printf("zcap-gst-bench: %s, %s, %u frames after %u of warm-up, %u rounds interleaved, medians\n",
	       dev, caps, frames, warmup, rounds);
	printf("CPU per frame in ms; \"own\" = cpu - in poll (vivid's lock spin taken out);\n"
	       "x = ratio to v4l2src io-mode=dmabuf in this run\n\n");
	printf("%-24s %8s %8s %8s %6s %8s %10s %6s %9s %6s\n", "path", "cpu", "in poll",
	       "own", "x", "wall", "start cpu", "x", "peak RSS", "x");
	for (int p = 0; p < N_PATHS; p++)
		printf("%-24s %8.3f %8.3f %8.3f %6.2f %8.2f %8.0fms %6.2f %7.0fkB %6.2f\n",
		       path_name[p], s[p].cpu, s[p].poll, s[p].own,
		       b->own > 0 ? s[p].own / b->own : 0, s[p].wall, s[p].start,
		       b->start > 0 ? s[p].start / b->start : 0, s[p].rss,
		       b->rss > 0 ? s[p].rss / b->rss : 0);
	print_floor(s);
	printf("\ngoal: zcapsrc own CPU per frame <= 0.5x v4l2src io-mode=dmabuf: %.2fx, %s\n",
	       b->own > 0 ? s[PATH_ZCAP].own / b->own : 0,
	       b->own > 0 && s[PATH_ZCAP].own <= 0.5 * b->own ? "met" : "not met");
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s -d DEV [-s WxH] [-f FPS] [-n FRAMES] [-w WARMUP] [-r ROUNDS]\n",
		prog);
	return 2;
}

int main(int argc, char **argv)
{
	guint w = 640, h = 480, frames = 100, warmup = 10, rounds = 4, fps = 30;
	struct run runs[N_PATHS][64];
	struct summary s[N_PATHS];
	const char *dev = NULL;
	char caps[128];
	int opt;

	if (argc == 7 && !strcmp(argv[1], "--child"))
		return run_child(atoi(argv[2]), argv[3], argv[4], atoi(argv[5]), atoi(argv[6]));
	while ((opt = getopt(argc, argv, "d:s:n:w:r:f:")) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 's': if (sscanf(optarg, "%ux%u", &w, &h) != 2) return usage(argv[0]); break;
		case 'n': frames = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'f': fps = atoi(optarg); break;
		default: return usage(argv[0]);
		}
	}
	if (!dev || !frames || !warmup || !rounds || rounds > 64 || !fps)
		return usage(argv[0]);
	/* One rate for every path: each element fixates an open one its own way. */
	snprintf(caps, sizeof(caps), "video/x-raw,format=YUY2,width=%u,height=%u,framerate=%u/1",
		 w, h, fps);
	for (guint r = 0; r < rounds; r++)
		for (int p = 0; p < N_PATHS; p++)
			if (spawn(argv[0], p, dev, caps, warmup, frames, &runs[p][r])) {
				fprintf(stderr, "%s: round %u failed\n", path_name[p], r + 1);
				return 1;
			}
	for (int p = 0; p < N_PATHS; p++)
		summarize(runs[p], rounds, &s[p]);
	print_table(s, dev, caps, warmup, frames, rounds);
	return 0;
}
