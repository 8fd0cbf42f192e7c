// SPDX-License-Identifier: GPL-2.0
/*
 * The capture paths zcap-bench compares, each measured over the same
 * window of frames (bench_hooks.c):
 *
 *  a, d  libzcap: the V4L2 source on a dma-buf allocator of one provider,
 *        delivering to a sink that only counts, as the null sink does.
 *  b     what every simple capture program does: V4L2 MMAP buffers, each
 *        frame memcpy'd into the application's own memory.
 *  c     the floor: the bare V4L2 DMABUF ioctl loop on zcap buffers, the
 *        same dma-buf at the same index every time, no library.
 *
 * All of them wait for the driver in poll() on a non-blocking fd and
 * nowhere else, so "busy" (time not in poll) means the same for each.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/videodev2.h>
#include <linux/zcap.h>

#include "bench.h"
#include "toollog.h"

#define ZCAP_DEV "/dev/zcap"

static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

static uint64_t page_round(uint64_t n)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) / pg * pg;
}

static int64_t v4l2_time(const struct v4l2_buffer *b)
{
	if ((b->flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) != V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
		return -1;
	return (int64_t)b->timestamp.tv_sec * 1000000000LL +
	       (int64_t)b->timestamp.tv_usec * 1000LL;
}

/* ---- a, d: libzcap ------------------------------------------------------ */

struct lib_sink {
	struct zcap_filter *filter;
	struct bench_window *w;
};

static int lib_sink_receive(void *user, struct zcap_sample *s,
			    struct zcap_sink_frame *fr)
{
	struct lib_sink *ls = user;
	int64_t t;

	(void)fr;
	/* receive() runs on the source's streaming thread: the one that polls. */
	bench_hooks_capture_thread();
	if (zcap_sample_time(s, &t) < 0)
		t = -1;
	bench_window_frame(ls->w, t, (uint32_t)zcap_sample_sequence(s),
			   zcap_sample_flags(s) & ZCAP_SAMPLE_ERROR);
	return 0;
}

/* The lib_sink lives on bench_run_libzcap()'s stack: no destroy op. */
static const struct zcap_sink_ops lib_sink_ops = { .receive = lib_sink_receive };

static int lib_sink_new(struct lib_sink *ls)
{
	const struct zcap_sink_config cfg = { .name = "zcap-bench", .held = 1 };

	return zcap_sink_new(&cfg, &lib_sink_ops, ls, &ls->filter);
}

static void provider_na(enum zcap_provider p, int err, struct bench_result *r)
{
	const char *opt = p == ZCAP_PROVIDER_UDMABUF ? "CONFIG_UDMABUF" :
			  "CONFIG_DMABUF_HEAPS_SYSTEM";
	char why[BENCH_NOTE_LEN];

	r->status = BENCH_NA;
	if (bench_kernel_config(opt) == 0)
		bench_note(r->note, "%s: this kernel is built without it (%s is not set)",
			   zcap_provider_name(p), opt);
	else if (zcap_provider_probe(p, why, sizeof(why)) < 0 && why[0])
		bench_note(r->note, "%s", why);
	else
		bench_note(r->note, "%s: %s", zcap_provider_name(p), zcap_strerror(err));
}

/*
 * The source on @p and the counting sink @ls in a new graph *@g. 0, or the
 * error with r->note saying what failed.
 */
static int lib_graph(const struct bench_cfg *c, enum zcap_provider p, struct lib_sink *ls,
		     struct zcap_graph **g, struct zcap_filter **src, struct bench_result *r)
{
	struct zcap_v4l2_source_config cfg;
	int ret;

	memset(&cfg, 0, sizeof(cfg));
	cfg.device = c->device;
	cfg.fourcc = c->fourcc;
	cfg.width = c->width;
	cfg.height = c->height;
	/* libzcap takes whole frames per second; every rate used here is one. */
	if (c->fps_num)
		cfg.fps = (c->fps_den + c->fps_num / 2) / c->fps_num;
	cfg.max_frames = (uint64_t)c->warmup + c->frames;
	cfg.provider = p;
	cfg.timeout_ms = c->timeout_ms;

	ret = zcap_graph_new(g);
	if (ret < 0)
		goto fail;
	/* ZCAP_DEBUG shows libzcap's decisions for each path measured. */
	zcap_tool_log_graph(*g, "zcap-bench", 0);
	ret = zcap_v4l2_source_new(&cfg, src);
	if (ret < 0) {
		bench_note(r->note, "V4L2 source on %s: %s", c->device, zcap_strerror(ret));
		return ret;
	}
	ret = zcap_graph_add(*g, *src);
	if (ret < 0) {
		zcap_filter_destroy(*src);
		goto fail;
	}
	ret = lib_sink_new(ls);
	if (ret < 0)
		goto fail;
	ret = zcap_graph_add(*g, ls->filter);
	if (ret < 0) {
		zcap_filter_destroy(ls->filter);
		goto fail;
	}
	return 0;
fail:
	bench_note(r->note, "%s", zcap_strerror(ret));
	return ret;
}

/*
 * Run the connected graph until the window is complete and add it to @r.
 * true when it was; false with r->note saying why and *@ret the error.
 */
static bool lib_measure(const struct bench_cfg *c, struct zcap_graph *g,
			struct zcap_filter *src, struct lib_sink *ls,
			struct bench_window *w, struct bench_result *r, int *ret)
{
	struct zcap_filter_stats sst, kst;

	*ret = zcap_graph_run(g);
	if (*ret < 0) {
		zcap_filter_get_stats(src, &sst);
		bench_note(r->note, "run: %s%s%s", zcap_strerror(*ret),
			   sst.note[0] ? ": " : "", sst.note);
		return false;
	}
	*ret = zcap_graph_wait(g, c->path_timeout_s * 1000);
	zcap_graph_stop(g);
	zcap_filter_get_stats(src, &sst);
	zcap_filter_get_stats(ls->filter, &kst);
	if (!w->done) {
		bench_note(r->note, "%u of %u frames in %d s: %s%s%s", w->seen,
			   c->warmup + c->frames, c->path_timeout_s,
			   zcap_strerror(*ret), sst.note[0] ? ": " : "", sst.note);
		return false;
	}
	bench_result_add(r, w);
	r->sum.lib_copied += sst.bytes_copied + kst.bytes_copied;
	r->sum.lib_frames += (uint64_t)c->warmup + c->frames;
	if (sst.bytes_copied && !r->note[0])
		bench_note(r->note, "libzcap copied frames%s%s", sst.note[0] ? ": " : "",
			   sst.note);
	return true;
}

int bench_run_libzcap(const struct bench_cfg *c, enum zcap_provider p,
		      struct bench_result *r)
{
	struct zcap_filter_stats sst;
	struct zcap_allocator *alloc = NULL;
	struct zcap_filter *src = NULL;
	struct zcap_graph *g = NULL;
	struct bench_window w;
	struct lib_sink ls;
	int ret;

	memset(&ls, 0, sizeof(ls));
	ret = bench_window_init(&w, c->warmup, c->frames);
	if (ret < 0)
		goto fail;
	ls.w = &w;
	ret = lib_graph(c, p, &ls, &g, &src, r);
	if (ret < 0)
		goto out_fail;
	ret = zcap_graph_connect(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0),
				 zcap_filter_pin(ls.filter, ZCAP_PIN_INPUT, 0), NULL);
	if (ret < 0) {
		if ((p == ZCAP_PROVIDER_DMA_HEAP || p == ZCAP_PROVIDER_UDMABUF) &&
		    zcap_provider_probe(p, NULL, 0) < 0) {
			provider_na(p, ret, r);
			goto out;
		}
		zcap_filter_get_stats(src, &sst);
		bench_note(r->note, "connect: %s%s%s", zcap_strerror(ret),
			   sst.note[0] ? ": " : "", sst.note);
		goto out_fail;
	}
	ret = zcap_pin_allocator(zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0), &alloc);
	if (ret < 0)
		goto fail;
	snprintf(r->provider, sizeof(r->provider), "%s",
		 zcap_provider_name(zcap_allocator_provider(alloc)));
	r->buffers = zcap_allocator_count(alloc);
	if (lib_measure(c, g, src, &ls, &w, r, &ret))
		goto out;
	goto out_fail;

fail:
	bench_note(r->note, "%s", zcap_strerror(ret));
out_fail:
	r->status = BENCH_FAILED;
out:
	if (alloc)
		zcap_allocator_unref(alloc);
	zcap_graph_destroy(g);
	bench_window_release(&w);
	return r->status == BENCH_FAILED ? (ret < 0 ? ret : -EIO) : 0;
}

/* ---- b, c: raw V4L2 ---------------------------------------------------- */

struct raw {
	int fd;
	uint32_t memory;		/* V4L2_MEMORY_MMAP or _DMABUF */
	uint32_t sizeimage;
	uint32_t nbufs;
	void *map[VIDEO_MAX_FRAME];	/* b: the driver's buffers */
	size_t map_len[VIDEO_MAX_FRAME];
	unsigned char *app;		/* b: the application's frame */
	int pool_fd;			/* c */
	int dmabuf[VIDEO_MAX_FRAME];
	uint64_t dmabuf_len;
	bool streaming;
};

static int raw_open(const struct bench_cfg *c, struct raw *rw, char *note)
{
	struct v4l2_capability cap;
	struct v4l2_streamparm parm;
	struct v4l2_format f;
	uint32_t caps;
	int ret;

	rw->fd = open(c->device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (rw->fd < 0) {
		ret = -errno;
		bench_note(note, "%s: %s", c->device, strerror(-ret));
		return ret;
	}
	memset(&cap, 0, sizeof(cap));
	ret = xioctl(rw->fd, VIDIOC_QUERYCAP, &cap);
	if (ret < 0) {
		bench_note(note, "VIDIOC_QUERYCAP: %s", strerror(-ret));
		return ret;
	}
	caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
	if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
		bench_note(note, "%s is not a single-planar streaming capture device", c->device);
		return -EMEDIUMTYPE;
	}
	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	f.fmt.pix.width = c->width;
	f.fmt.pix.height = c->height;
	f.fmt.pix.pixelformat = c->fourcc;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	ret = xioctl(rw->fd, VIDIOC_S_FMT, &f);
	if (ret < 0) {
		bench_note(note, "VIDIOC_S_FMT: %s", strerror(-ret));
		return ret;
	}
	if (f.fmt.pix.width != c->width || f.fmt.pix.height != c->height ||
	    f.fmt.pix.pixelformat != c->fourcc) {
		bench_note(note, "the driver gave %ux%u instead of %ux%u", f.fmt.pix.width,
			   f.fmt.pix.height, c->width, c->height);
		return -EINVAL;
	}
	rw->sizeimage = f.fmt.pix.sizeimage;
	if (c->fps_num) {
		memset(&parm, 0, sizeof(parm));
		parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		parm.parm.capture.timeperframe.numerator = c->fps_num;
		parm.parm.capture.timeperframe.denominator = c->fps_den;
		/* As libzcap does: a driver without frame rates runs at its own. */
		xioctl(rw->fd, VIDIOC_S_PARM, &parm);
	}
	return 0;
}

static int raw_reqbufs(struct raw *rw, uint32_t count, char *note)
{
	struct v4l2_requestbuffers rb;
	int ret;

	memset(&rb, 0, sizeof(rb));
	rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = rw->memory;
	rb.count = count;
	ret = xioctl(rw->fd, VIDIOC_REQBUFS, &rb);
	if (ret < 0) {
		bench_note(note, "VIDIOC_REQBUFS(%s, %u): %s",
			   rw->memory == V4L2_MEMORY_MMAP ? "MMAP" : "DMABUF", count,
			   strerror(-ret));
		return ret;
	}
	if (rb.count < 2 || rb.count > VIDEO_MAX_FRAME) {
		bench_note(note, "VIDIOC_REQBUFS granted %u buffers", rb.count);
		return -ENOBUFS;
	}
	rw->nbufs = rb.count;
	return 0;
}

static int raw_qbuf(struct raw *rw, uint32_t index)
{
	struct v4l2_buffer b;

	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = rw->memory;
	b.index = index;
	if (rw->memory == V4L2_MEMORY_DMABUF) {
		/* Same dma-buf, same length, same index: vb2 keeps the mapping. */
		b.m.fd = rw->dmabuf[index];
		b.length = (uint32_t)rw->dmabuf_len;
	}
	return xioctl(rw->fd, VIDIOC_QBUF, &b);
}

static void raw_close(struct raw *rw)
{
	struct v4l2_requestbuffers rb;
	uint32_t type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	uint32_t i;

	if (rw->streaming)
		xioctl(rw->fd, VIDIOC_STREAMOFF, &type);
	for (i = 0; i < VIDEO_MAX_FRAME; i++) {
		if (rw->map[i])
			munmap(rw->map[i], rw->map_len[i]);
		if (rw->dmabuf[i] >= 0)
			close(rw->dmabuf[i]);
	}
	if (rw->fd >= 0 && rw->nbufs) {
		memset(&rb, 0, sizeof(rb));
		rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		rb.memory = rw->memory;
		xioctl(rw->fd, VIDIOC_REQBUFS, &rb);
	}
	if (rw->pool_fd >= 0)
		close(rw->pool_fd);
	if (rw->fd >= 0)
		close(rw->fd);
	free(rw->app);
}

static void raw_init(struct raw *rw, uint32_t memory)
{
	uint32_t i;

	memset(rw, 0, sizeof(*rw));
	rw->fd = -1;
	rw->pool_fd = -1;
	rw->memory = memory;
	for (i = 0; i < VIDEO_MAX_FRAME; i++)
		rw->dmabuf[i] = -1;
}

/* The application reads what it copied, so the copy cannot be elided. */
static volatile unsigned char app_sink;

/* Every buffer queued, then STREAMON. */
static int raw_start(struct raw *rw, char *note)
{
	uint32_t type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	uint32_t i;
	int ret;

	for (i = 0; i < rw->nbufs; i++) {
		ret = raw_qbuf(rw, i);
		if (ret < 0) {
			bench_note(note, "VIDIOC_QBUF %u: %s", i, strerror(-ret));
			return ret;
		}
	}
	ret = xioctl(rw->fd, VIDIOC_STREAMON, &type);
	if (ret < 0) {
		bench_note(note, "VIDIOC_STREAMON: %s", strerror(-ret));
		return ret;
	}
	rw->streaming = true;
	return 0;
}

/* Path b: the frame of MMAP buffer @b copied into the application's memory. */
static void app_copy(struct raw *rw, const struct v4l2_buffer *b)
{
	uint32_t used = b->bytesused;

	if (used > rw->map_len[b->index])
		used = (uint32_t)rw->map_len[b->index];
	if (used > rw->sizeimage)
		used = rw->sizeimage;
	memcpy(rw->app, rw->map[b->index], used);
	if (used)
		app_sink = rw->app[used - 1] ^ rw->app[0];
}

static int raw_loop(struct raw *rw, const struct bench_cfg *c,
		    struct bench_window *w, char *note)
{
	int64_t deadline = bench_now_ns() + (int64_t)c->path_timeout_s * 1000000000LL;
	struct pollfd pfd;
	struct v4l2_buffer b;
	bool done;
	int ret, n;

	ret = raw_start(rw, note);
	if (ret < 0)
		return ret;
	bench_hooks_capture_thread();

	for (;;) {
		pfd.fd = rw->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		n = poll(&pfd, 1, c->timeout_ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			bench_note(note, "poll: %s", strerror(-ret));
			return ret;
		}
		if (n == 0) {
			bench_note(note, "no frame in %d ms after %u frames", c->timeout_ms,
				   w->seen);
			return -ETIMEDOUT;
		}
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = rw->memory;
		ret = xioctl(rw->fd, VIDIOC_DQBUF, &b);
		if (ret == -EAGAIN)
			continue;
		if (ret < 0) {
			bench_note(note, "VIDIOC_DQBUF: %s", strerror(-ret));
			return ret;
		}
		if (b.index >= rw->nbufs) {
			bench_note(note, "VIDIOC_DQBUF returned index %u of %u", b.index,
				   rw->nbufs);
			return -EPROTO;
		}
		if (rw->memory == V4L2_MEMORY_MMAP)
			app_copy(rw, &b);
		done = bench_window_frame(w, v4l2_time(&b), b.sequence,
					  b.flags & V4L2_BUF_FLAG_ERROR);
		if (done)
			return 0;
		ret = raw_qbuf(rw, b.index);
		if (ret < 0) {
			bench_note(note, "VIDIOC_QBUF %u: %s", b.index, strerror(-ret));
			return ret;
		}
		if (bench_now_ns() > deadline) {
			bench_note(note, "%u of %u frames in %d s", w->seen,
				   c->warmup + c->frames, c->path_timeout_s);
			return -ETIMEDOUT;
		}
	}
}

int bench_run_mmap_copy(const struct bench_cfg *c, struct bench_result *r)
{
	struct bench_window w;
	struct v4l2_buffer b;
	struct raw rw;
	uint32_t i;
	int ret;

	raw_init(&rw, V4L2_MEMORY_MMAP);
	ret = bench_window_init(&w, c->warmup, c->frames);
	if (ret < 0) {
		bench_note(r->note, "%s", strerror(-ret));
		goto out;
	}
	ret = raw_open(c, &rw, r->note);
	if (ret < 0)
		goto out;
	ret = raw_reqbufs(&rw, c->buffers, r->note);
	if (ret < 0)
		goto out;
	for (i = 0; i < rw.nbufs; i++) {
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = i;
		ret = xioctl(rw.fd, VIDIOC_QUERYBUF, &b);
		if (ret < 0) {
			bench_note(r->note, "VIDIOC_QUERYBUF %u: %s", i, strerror(-ret));
			goto out;
		}
		rw.map[i] = mmap(NULL, b.length, PROT_READ, MAP_SHARED, rw.fd, b.m.offset);
		if (rw.map[i] == MAP_FAILED) {
			rw.map[i] = NULL;
			ret = -errno;
			bench_note(r->note, "mmap of buffer %u: %s", i, strerror(-ret));
			goto out;
		}
		rw.map_len[i] = b.length;
	}
	/* The application's frame, touched once so that no page fault is measured. */
	rw.app = malloc(rw.sizeimage);
	if (!rw.app) {
		ret = -ENOMEM;
		bench_note(r->note, "out of memory");
		goto out;
	}
	memset(rw.app, 0, rw.sizeimage);
	ret = raw_loop(&rw, c, &w, r->note);
	if (ret == 0) {
		bench_result_add(r, &w);
		r->buffers = rw.nbufs;
		snprintf(r->provider, sizeof(r->provider), "V4L2 MMAP");
	}
out:
	raw_close(&rw);
	bench_window_release(&w);
	if (ret < 0)
		r->status = BENCH_FAILED;
	return ret;
}

int bench_run_dmabuf_raw(const struct bench_cfg *c, struct bench_result *r)
{
	struct zcap_pool_create pc;
	struct zcap_buf_export ex;
	struct bench_window w;
	struct raw rw;
	uint32_t i;
	int zfd = -1, ret;

	raw_init(&rw, V4L2_MEMORY_DMABUF);
	ret = bench_window_init(&w, c->warmup, c->frames);
	if (ret < 0) {
		bench_note(r->note, "%s", strerror(-ret));
		goto out;
	}
	ret = raw_open(c, &rw, r->note);
	if (ret < 0)
		goto out;
	ret = raw_reqbufs(&rw, c->buffers, r->note);
	if (ret < 0)
		goto out;

	zfd = open(ZCAP_DEV, O_RDWR | O_CLOEXEC);
	if (zfd < 0) {
		ret = -errno;
		bench_note(r->note, "%s: %s", ZCAP_DEV, strerror(-ret));
		goto out;
	}
	memset(&pc, 0, sizeof(pc));
	pc.buffer_size = page_round(rw.sizeimage);
	pc.count = rw.nbufs;
	pc.fd_flags = O_CLOEXEC;
	ret = xioctl(zfd, ZCAP_IOC_POOL_CREATE, &pc);
	if (ret < 0) {
		bench_note(r->note, "ZCAP_IOC_POOL_CREATE: %s", strerror(-ret));
		goto out;
	}
	rw.pool_fd = pc.pool_fd;
	for (i = 0; i < rw.nbufs; i++) {
		memset(&ex, 0, sizeof(ex));
		ex.index = i;
		ex.flags = O_RDWR | O_CLOEXEC;
		ret = xioctl(rw.pool_fd, ZCAP_IOC_BUF_EXPORT, &ex);
		if (ret < 0) {
			bench_note(r->note, "ZCAP_IOC_BUF_EXPORT %u: %s", i, strerror(-ret));
			goto out;
		}
		rw.dmabuf[i] = ex.fd;
		rw.dmabuf_len = ex.size;
	}
	ret = raw_loop(&rw, c, &w, r->note);
	if (ret == 0) {
		bench_result_add(r, &w);
		r->buffers = rw.nbufs;
		snprintf(r->provider, sizeof(r->provider), "zcap");
	}
out:
	if (zfd >= 0)
		close(zfd);
	raw_close(&rw);
	bench_window_release(&w);
	if (ret < 0)
		r->status = BENCH_FAILED;
	return ret;
}
