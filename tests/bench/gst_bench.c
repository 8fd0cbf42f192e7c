// SPDX-License-Identifier: GPL-2.0
/*
 * zcap-gst-bench: zcapsrc against GStreamer's own v4l2src (io-mode=mmap
 * and io-mode=dmabuf), each into fakesink, same device, format, size and
 * frames, the paths interleaved round by round, each run in a process of
 * its own so that start-up and peak RSS are the path's alone.
 *
 * Per run: start-up CPU (process start to the first frame, gst_init
 * included, the same for every GStreamer path), then over the frames after
 * the warm-up: CPU per frame, the part of it spent inside poll()/ppoll()
 * (vivid holds its queue lock while drawing and waiters spin on it: the
 * driver's cost, Documentation/benchmarks.md), and the rest, which is the
 * path's.
 * This program defines poll and ppoll itself, so GStreamer's and libzcap's
 * calls (shared libraries) come here first, and it times them with
 * CLOCK_THREAD_CPUTIME_ID before calling libc's.
 *
 * The table gives each path's median over the rounds and its ratio to
 * v4l2src io-mode=dmabuf measured in the same run. A fourth path, a live
 * fakesrc pushing empty buffers through the same caps into fakesink at the
 * same rate (paced by a sleep at fakesink, see pace()), is GStreamer's own
 * cost per buffer (the base source's loop, the pad push, the sink): the
 * floor under every source element. Each element's own part is what it
 * adds above that floor, also printed as a ratio.
 *
 * A fifth path has no GStreamer at all (no gst_init, so its start-up is
 * not comparable): the bare loop of what zcapsrc's kernel side does per
 * frame, poll, VIDIOC_DQBUF and VIDIOC_QBUF again of the same dma-buf,
 * into buffers from libzcap's own allocator. The goal printed last was
 * thought out of reach because most of either element's own CPU would be
 * that kernel work; this path is the goal's reachability, measured in the
 * same run. Its own CPU, and that with the floor added, is the least any
 * source that dequeues and queues each frame through V4L2 can cost.
 *
 *   zcap-gst-bench -d DEV [-s WxH] [-f FPS] [-n FRAMES] [-w WARMUP] [-r ROUNDS]
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gst/gst.h>
#include <linux/videodev2.h>
#include <zcap/allocator.h>
#include <zcap/error.h>
#include <zcap/sample.h>

#include "median.h"

/* PATH_IOCTL after PATH_FLOOR: without GStreamer, nothing to take the floor from. */
enum { PATH_MMAP, PATH_DMABUF, PATH_ZCAP, PATH_FLOOR, PATH_IOCTL, N_PATHS };

static const char *const path_name[N_PATHS] = {
	"v4l2src io-mode=mmap", "v4l2src io-mode=dmabuf", "zcapsrc",
	"fakesrc (no device)", "DQBUF+QBUF alone",
};

/* What a child is to run, from its command line. */
struct job {
	int path;
	const char *dev, *caps;
	guint w, h, fps, warmup, frames;
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
	long long pace_ns, next_ns;	/* the floor's frame interval; its next frame */
	struct run *r;
};

/* One frame at the end of a path: every path's window, counted the same way. */
static void count_frame(struct window *w)
{
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
}

/*
 * The floor's buffers come at the device's rate, not back to back: the
 * streaming thread sleeps until the next frame is due, as the device
 * paths wait for vivid. Under TCG a frame whose code last ran a frame
 * interval ago costs several times one that runs again at once
 * (Documentation/benchmarks.md, frame-cost), so an unpaced floor would
 * be the cost of hot code under paths that run cold.
 */
static void pace(struct window *w)
{
	struct timespec t;
	long long t0;

	if (!w->pace_ns)
		return;
	if (!w->next_ns)
		w->next_ns = cpu_ns(CLOCK_MONOTONIC);
	w->next_ns += w->pace_ns;
	t.tv_sec = w->next_ns / 1000000000LL;
	t.tv_nsec = w->next_ns % 1000000000LL;
	/* The sleep and the wakeup are waiting, as a device path's poll() is. */
	t0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
	poll_cpu_ns += cpu_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
}

static GstPadProbeReturn on_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	(void)pad;
	(void)info;
	count_frame(data);
	pace(data);
	return GST_PAD_PROBE_OK;
}

/* The child's one line for spawn(), once the window has closed. */
static void report(struct run *r, const struct window *w)
{
	struct rusage ru;

	r->start_ms = w->start_cpu / 1e6;
	getrusage(RUSAGE_SELF, &ru);
	r->rss_kb = ru.ru_maxrss;
	printf("run %.3f %.4f %.4f %.4f %ld\n", r->start_ms, r->cpu_ms, r->poll_ms,
	       r->wall_ms, r->rss_kb);
}

static int run_gst(const struct job *j)
{
	static const char *const src[N_PATHS] = {
		"v4l2src io-mode=mmap device=%s", "v4l2src io-mode=dmabuf device=%s",
		"zcapsrc device=%s", "fakesrc is-live=true sizetype=empty",
	};
	struct run r = { 0 };
	struct window w = {
		.warmup = j->warmup, .total = j->warmup + j->frames, .r = &r,
		.pace_ns = j->path == PATH_FLOOR ? 1000000000LL / j->fps : 0,
	};
	GError *err = NULL;
	GstElement *p, *sink;
	GstMessage *msg;
	GstPad *pad;
	char *desc;
	gchar *elem;

	gst_init(NULL, NULL);
	elem = j->path == PATH_FLOOR ? g_strdup(src[j->path]) :
				       g_strdup_printf(src[j->path], j->dev);
	desc = g_strdup_printf("%s num-buffers=%u ! %s ! fakesink name=sink sync=false",
			       elem, w.total, j->caps);
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
		fprintf(stderr, "%s: no EOS after %u of %u frames\n", path_name[j->path],
			w.seen, w.total);
		return 1;
	}
	gst_message_unref(msg);
	report(&r, &w);
	gst_object_unref(pad);
	gst_object_unref(sink);
	gst_object_unref(p);
	return 0;
}

/* ---- the ioctls alone: zcapsrc's kernel side, no GStreamer -------------- */

#define BARE_BUFS 4

struct bare {
	int fd;
	uint32_t sizeimage;
	bool reqbufs, streaming;	/* what bare_close() has to undo */
	struct zcap_allocator *a;
	struct zcap_sample *s[BARE_BUFS];
	int dmabuf[BARE_BUFS];
	uint32_t length[BARE_BUFS];
};

/* @err, a negated errno or a ZCAP_E_* code, as an error naming @what. */
static int bare_fail(const char *what, int err)
{
	if (err > -4096)
		fprintf(stderr, "%s: %s: %s (errno %d)\n", path_name[PATH_IOCTL], what,
			strerror(-err), -err);
	else
		fprintf(stderr, "%s: %s: %s\n", path_name[PATH_IOCTL], what,
			zcap_strerror(err));
	return err;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do
		ret = ioctl(fd, req, arg);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

/* An ioctl whose failure names it: BARE_IOCTL(fd, VIDIOC_QBUF, &buf). */
#define BARE_IOCTL(fd, req, arg) bare_ioctl(fd, req, arg, #req)

static int bare_ioctl(int fd, unsigned long req, void *arg, const char *name)
{
	int err = xioctl(fd, req, arg);

	return err ? bare_fail(name, err) : 0;
}

/* The caps' rate; a driver that cannot keep it would not be the same run. */
static int bare_rate(struct bare *b, const struct job *j)
{
	struct v4l2_streamparm parm = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_fract *tpf = &parm.parm.capture.timeperframe;
	int err;

	tpf->numerator = 1;
	tpf->denominator = j->fps;
	err = BARE_IOCTL(b->fd, VIDIOC_S_PARM, &parm);
	if (err)
		return err;
	if ((parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME) &&
	    (uint64_t)tpf->numerator * j->fps != tpf->denominator) {
		fprintf(stderr, "%s: %s kept %u/%u s per frame, not 1/%u\n",
			path_name[PATH_IOCTL], j->dev, tpf->numerator, tpf->denominator,
			j->fps);
		return -EINVAL;
	}
	return 0;
}

/* The GStreamer paths' caps, YUY2 WxH at FPS, or an error saying what instead. */
static int bare_format(struct bare *b, const struct job *j)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_pix_format *pix = &f.fmt.pix;
	char got[5];
	int err;

	pix->width = j->w;
	pix->height = j->h;
	pix->pixelformat = V4L2_PIX_FMT_YUYV;
	pix->field = V4L2_FIELD_NONE;
	err = BARE_IOCTL(b->fd, VIDIOC_S_FMT, &f);
	if (err)
		return err;
	if (pix->width != j->w || pix->height != j->h ||
	    pix->pixelformat != V4L2_PIX_FMT_YUYV) {
		fprintf(stderr, "%s: %s gave %s %ux%u, not YUYV %ux%u\n",
			path_name[PATH_IOCTL], j->dev,
			zcap_fourcc_str(pix->pixelformat, got), pix->width, pix->height,
			j->w, j->h);
		return -EINVAL;
	}
	b->sizeimage = pix->sizeimage;
	return bare_rate(b, j);
}

/* Buffer @i's dma-buf, whole: single-planar V4L2 DMABUF has no offset to carry. */
static int bare_take(struct bare *b, int i)
{
	struct zcap_mem m;
	int err;

	err = zcap_allocator_get_buffer(b->a, 0, &b->s[i]);
	if (err < 0)
		return bare_fail("zcap_allocator_get_buffer", err);
	err = zcap_sample_mem(b->s[i], 0, &m);
	if (err < 0)
		return bare_fail("zcap_sample_mem", err);
	if (m.fd < 0 || m.offset || m.length < b->sizeimage || m.length > UINT32_MAX) {
		fprintf(stderr, "%s: buffer %d: fd %d, offset %llu, length %llu: not a dma-buf of %u bytes at 0\n",
			path_name[PATH_IOCTL], i, m.fd, (unsigned long long)m.offset,
			(unsigned long long)m.length, b->sizeimage);
		return -EINVAL;
	}
	b->dmabuf[i] = m.fd;
	b->length[i] = m.length;
	return 0;
}

/* The buffers zcapsrc itself captures into: libzcap's dma-buf allocator's. */
static int bare_alloc(struct bare *b)
{
	struct zcap_alloc_props props = {
		.count = BARE_BUFS, .n_mem = 1, .size = { b->sizeimage },
	};
	char why[512];
	int err;

	err = zcap_allocator_new_dmabuf(ZCAP_PROVIDER_AUTO, &b->a);
	if (err < 0) {
		zcap_provider_probe(ZCAP_PROVIDER_AUTO, why, sizeof(why));
		fprintf(stderr, "%s", why);
		return bare_fail("zcap_allocator_new_dmabuf", err);
	}
	err = zcap_allocator_set_properties(b->a, &props, NULL);
	if (err < 0)
		return bare_fail("zcap_allocator_set_properties", err);
	err = zcap_allocator_commit(b->a);
	if (err < 0)
		return bare_fail("zcap_allocator_commit", err);
	for (int i = 0; i < BARE_BUFS; i++) {
		err = bare_take(b, i);
		if (err)
			return err;
	}
	return 0;
}

static int bare_qbuf(struct bare *b, uint32_t i)
{
	struct v4l2_buffer buf = {
		.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF, .m.fd = b->dmabuf[i],
		.length = b->length[i],
	};

	return BARE_IOCTL(b->fd, VIDIOC_QBUF, &buf);
}

static int bare_start(struct bare *b)
{
	struct v4l2_requestbuffers req = {
		.count = BARE_BUFS, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE, err;

	err = BARE_IOCTL(b->fd, VIDIOC_REQBUFS, &req);
	if (err)
		return err;
	b->reqbufs = true;
	if (req.count < BARE_BUFS) {
		fprintf(stderr, "%s: VIDIOC_REQBUFS gave %u buffers, not %u\n",
			path_name[PATH_IOCTL], req.count, BARE_BUFS);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < BARE_BUFS; i++) {
		err = bare_qbuf(b, i);
		if (err)
			return err;
	}
	err = BARE_IOCTL(b->fd, VIDIOC_STREAMON, &type);
	b->streaming = !err;
	return err;
}

/*
 * One frame: wait for it through the interposed poll (its CPU is "in poll"
 * as for every path), take it, count it, give the same dma-buf back.
 */
static int bare_frame(struct bare *b, struct window *w)
{
	struct pollfd pfd = { .fd = b->fd, .events = POLLIN };
	struct v4l2_buffer buf;
	int n, err = 0;

	do {
		n = poll(&pfd, 1, 5000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bare_fail("poll", -errno);
		if (!n)
			return bare_fail("poll: no frame in 5 s", -ETIMEDOUT);
		memset(&buf, 0, sizeof(buf));
		buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		buf.memory = V4L2_MEMORY_DMABUF;
		err = xioctl(b->fd, VIDIOC_DQBUF, &buf);
	} while (n < 0 || err == -EAGAIN);
	if (err)
		return bare_fail("VIDIOC_DQBUF", err);
	if (buf.index >= BARE_BUFS)
		return bare_fail("VIDIOC_DQBUF: index out of range", -ERANGE);
	count_frame(w);
	return bare_qbuf(b, buf.index);
}

/* Undo what run_ioctl() set up, in reverse; -EIO if an ioctl failed. */
static int bare_close(struct bare *b)
{
	struct v4l2_requestbuffers req = {
		.count = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE, err = 0;

	if (b->streaming && BARE_IOCTL(b->fd, VIDIOC_STREAMOFF, &type))
		err = -EIO;
	if (b->reqbufs && BARE_IOCTL(b->fd, VIDIOC_REQBUFS, &req))
		err = -EIO;
	for (int i = 0; i < BARE_BUFS; i++)
		if (b->s[i])
			zcap_sample_unref(b->s[i]);
	if (b->a) {
		if (zcap_allocator_committed(b->a))
			zcap_allocator_decommit(b->a);
		zcap_allocator_unref(b->a);
	}
	if (b->fd >= 0)
		close(b->fd);
	return err;
}

/* No gst_init here: what is measured is the kernel's work and nothing else. */
static int run_ioctl(const struct job *j)
{
	struct run r = { 0 };
	struct window w = { .warmup = j->warmup, .total = j->warmup + j->frames, .r = &r };
	struct bare b = { .fd = -1 };
	int err = 0;

	b.fd = open(j->dev, O_RDWR | O_NONBLOCK);
	if (b.fd < 0)
		err = bare_fail(j->dev, -errno);
	if (!err)
		err = bare_format(&b, j);
	if (!err)
		err = bare_alloc(&b);
	if (!err)
		err = bare_start(&b);
	while (!err && w.seen < w.total)
		err = bare_frame(&b, &w);
	if (bare_close(&b))
		err = -EIO;
	if (err)
		return 1;
	report(&r, &w);
	return 0;
}

static int run_child(const struct job *j)
{
	if (j->path < 0 || j->path >= N_PATHS)
		return 2;
	return j->path == PATH_IOCTL ? run_ioctl(j) : run_gst(j);
}

/* ---- the parent: interleaved rounds, medians, ratios ------------------- */

static int spawn(const char *self, const struct job *j, struct run *r)
{
	char cmd[1024], line[256];
	int found = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "'%s' --child %d '%s' '%s' %u %u %u %u %u", self,
		 j->path, j->dev, j->caps, j->w, j->h, j->fps, j->warmup, j->frames);
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

/*
 * The kernel's part alone, and with GStreamer's floor on top: the least
 * any source element capturing through V4L2 queues can cost, beside the goal.
 */
static void print_ioctls(const struct summary *s)
{
	double base = s[PATH_DMABUF].own, ioctls = s[PATH_IOCTL].own;

	printf("the ioctls alone are %.2fx v4l2src io-mode=dmabuf's own CPU "
	       "(DQBUF and QBUF of zcap dma-bufs after poll, no GStreamer); "
	       "with GStreamer's floor, %.2fx: no source that dequeues and queues "
	       "each frame through V4L2 goes below it\n",
	       base > 0 ? ioctls / base : 0,
	       base > 0 ? (ioctls + s[PATH_FLOOR].own) / base : 0);
}

static void print_table(const struct summary *s, const char *dev, const char *caps,
			guint warmup, guint frames, guint rounds)
{
	const struct summary *b = &s[PATH_DMABUF];
	double least;

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
	print_ioctls(s);
	least = s[PATH_FLOOR].own + s[PATH_IOCTL].own;
	printf("\ngoal: zcapsrc own CPU per frame <= 0.5x v4l2src io-mode=dmabuf: %.2fx, %s "
	       "(the floor and the ioctls alone: %.2fx, %s)\n",
	       b->own > 0 ? s[PATH_ZCAP].own / b->own : 0,
	       b->own > 0 && s[PATH_ZCAP].own <= 0.5 * b->own ? "met" : "not met",
	       b->own > 0 ? least / b->own : 0,
	       b->own > 0 && least <= 0.5 * b->own ? "within reach" : "the goal is below them");
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
	struct job j;
	int opt;

	/* --child PATH DEV CAPS W H FPS WARMUP FRAMES, as spawn() writes it */
	if (argc == 10 && !strcmp(argv[1], "--child")) {
		j = (struct job){
			.path = atoi(argv[2]), .dev = argv[3], .caps = argv[4],
			.w = atoi(argv[5]), .h = atoi(argv[6]), .fps = atoi(argv[7]),
			.warmup = atoi(argv[8]), .frames = atoi(argv[9]),
		};
		return run_child(&j);
	}
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
	j = (struct job){ .dev = dev, .caps = caps, .w = w, .h = h, .fps = fps,
			  .warmup = warmup, .frames = frames };
	for (guint r = 0; r < rounds; r++)
		for (j.path = 0; j.path < N_PATHS; j.path++)
			if (spawn(argv[0], &j, &runs[j.path][r])) {
				fprintf(stderr, "%s: round %u failed\n", path_name[j.path], r + 1);
				return 1;
			}
	for (int p = 0; p < N_PATHS; p++)
		summarize(runs[p], rounds, &s[p]);
	print_table(s, dev, caps, warmup, frames, rounds);
	return 0;
}
