// SPDX-License-Identifier: GPL-2.0
/*
 * The consumers VM suite's driver: builds a capture graph with the
 * consumers of <zcap/consumers.h>, runs it, and checks what the filters
 * report and what landed in memory. Every mode exits 0 only when its
 * checks passed, and prints each check as "check: ok|FAIL what".
 *
 *   consumers_run encode  -c CAP -e ENC -n N -r RAW -o CODED [-C]
 *   consumers_run encode-hold -c CAP -e ENC -n N -H HOLD_MS
 *   consumers_run pass    -c CAP -p OUT -n N [-C] [-b LOOPCAP] [-s WxH]
 *   consumers_run drm     -c CAP -d DRI -n N
 *   consumers_run tee     -c CAP -n N -H HOLD_MS
 *   consumers_run compare RAW DECODED WIDTH HEIGHT MIN_PSNR [static]
 *
 * -C forces the copy fallback (ZCAP_CONSUMER_FORCE_COPY).
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <drm.h>
#include <drm_mode.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include <zcap/drm.h>
#include <zcap/zcap.h>

#include "consumers.h"
#include "vm_check.h"
#include "zcap_stats.h"

/* The frames of every mode: YUYV, tight lines, 640x360 unless -s. */
static uint32_t frame_w = 640, frame_h = 360;
#define FRAME_BYTES ((size_t)frame_w * frame_h * 2)

/* Hashes of the frames a checker received, in order. */
#define SENT_MAX 1024

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	while (n--) {
		h ^= *p++;
		h *= 1099511628211ull;
	}
	return h;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- a checking sink ------------------------------------------------ */

/*
 * Hashes each frame when it arrives, keeps it hold_ms, hashes it again
 * before letting it go: a buffer requeued to the camera while held would
 * change under it. Remembers the last hash seen per buffer index.
 */
#define CHK_MAX_INDEX 64
#define CHK_MAX_HELD 64

struct chk_held {
	struct zcap_sample *s;
	uint64_t hash;
	int64_t release_ns;
};

struct checker {
	struct zcap_filter *f;
	struct zcap_pin *in;
	uint32_t hold_ms;
	uint32_t claim_held;	/* what it tells the source it holds; 0: the truth */
	bool coded;		/* frames are coded: hash their bytesused */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started, quit;
	/* drm mode: read each frame back through the DRM sink's handle. */
	struct zcap_filter *drm;
	uint64_t drm_checked, drm_bad, drm_map_dumb_refused, drm_no_handle;
	struct chk_held held[CHK_MAX_HELD];
	uint32_t n_held, max_held;
	uint64_t last_hash[CHK_MAX_INDEX];
	bool seen[CHK_MAX_INDEX];
	uint64_t frames, mismatches, eos;
	uint64_t sent[SENT_MAX];
	uint32_t n_sent;
};

static uint64_t sample_hash(const struct checker *c, struct zcap_sample *s)
{
	size_t n = c->coded ? zcap_sample_bytesused(s, 0) : FRAME_BYTES;
	const uint8_t *p;
	uint64_t h = 0;

	if (zcap_sample_cpu_begin(s, ZCAP_ACCESS_READ))
		return 0;
	p = zcap_sample_data(s, 0);
	if (p)
		h = fnv1a(p, n);
	zcap_sample_cpu_end(s);
	return h;
}

static void chk_release(struct checker *c, struct chk_held *h)
{
	uint64_t again = sample_hash(c, h->s);

	pthread_mutex_lock(&c->lock);
	if (again != h->hash)
		c->mismatches++;
	pthread_mutex_unlock(&c->lock);
	zcap_sample_unref(h->s);
}

static void *chk_thread(void *arg)
{
	struct checker *c = arg;
	struct chk_held h;
	struct timespec ts;

	pthread_mutex_lock(&c->lock);
	while (!c->quit || c->n_held) {
		if (!c->n_held) {
			pthread_cond_wait(&c->cond, &c->lock);
			continue;
		}
		if (!c->quit && now_ns() < c->held[0].release_ns) {
			ts.tv_sec = c->held[0].release_ns / 1000000000;
			ts.tv_nsec = c->held[0].release_ns % 1000000000;
			pthread_cond_timedwait(&c->cond, &c->lock, &ts);
			continue;
		}
		h = c->held[0];
		memmove(&c->held[0], &c->held[1], (c->n_held - 1) * sizeof(h));
		c->n_held--;
		pthread_mutex_unlock(&c->lock);
		chk_release(c, &h);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/*
 * While this consumer holds @s, its buffer cannot be refilled: read it
 * through the DRM sink's GEM handle of the same index and compare.
 * The kernel refuses MODE_MAP_DUMB on imported GEM objects
 * (drm_gem_dumb_map_offset), so the handle is exported again with PRIME;
 * it must give back the very pool dma-buf (same inode).
 */
static void chk_drm(struct checker *c, struct zcap_sample *s, uint64_t hash)
{
	struct drm_mode_map_dumb md = { 0 };
	struct drm_prime_handle ph = { 0 };
	struct zcap_drm_sink_info info;
	struct stat st_pool, st_drm;
	struct zcap_mem mem;
	bool ok = false;
	void *p;

	if (zcap_drm_sink_info(c->drm, &info) ||
	    zcap_drm_sink_handle(c->drm, zcap_sample_index(s), &ph.handle)) {
		c->drm_no_handle++;	/* not imported yet: first round */
		return;
	}
	md.handle = ph.handle;
	if (ioctl(info.fd, DRM_IOCTL_MODE_MAP_DUMB, &md))
		c->drm_map_dumb_refused++;
	ph.flags = DRM_CLOEXEC | DRM_RDWR;
	if (ioctl(info.fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph))
		goto out;
	if (zcap_sample_mem(s, 0, &mem) || fstat(mem.fd, &st_pool) ||
	    fstat(ph.fd, &st_drm) || st_pool.st_ino != st_drm.st_ino)
		goto out_close;
	p = mmap(NULL, mem.offset + mem.length, PROT_READ, MAP_SHARED, ph.fd, 0);
	if (p != MAP_FAILED) {
		struct dma_buf_sync sync = {
			.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ,
		};

		ioctl(ph.fd, DMA_BUF_IOCTL_SYNC, &sync);
		ok = fnv1a((const uint8_t *)p + mem.offset, FRAME_BYTES) == hash;
		sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
		ioctl(ph.fd, DMA_BUF_IOCTL_SYNC, &sync);
		munmap(p, mem.offset + mem.length);
	}
out_close:
	close(ph.fd);
out:
	c->drm_checked++;
	if (!ok)
		c->drm_bad++;
}

static int chk_receive(struct zcap_pin *pin, struct zcap_sample *s)
{
	struct checker *c = zcap_pin_priv(pin);
	uint32_t idx = zcap_sample_index(s);
	uint64_t h = sample_hash(c, s);
	int r = 0;

	{
		struct zcap_filter_stats *st = zcap_filter_stats_lock(c->f);

		st->frames++;
		st->bytes += FRAME_BYTES;
		zcap_filter_stats_unlock(c->f);
	}
	pthread_mutex_lock(&c->lock);
	if (c->drm)
		chk_drm(c, s, h);
	if (c->n_sent < SENT_MAX)
		c->sent[c->n_sent++] = h;
	c->frames++;
	if (idx < CHK_MAX_INDEX) {
		c->last_hash[idx] = h;
		c->seen[idx] = true;
	}
	if (c->hold_ms && c->n_held < CHK_MAX_HELD) {
		c->held[c->n_held].s = zcap_sample_ref(s);
		c->held[c->n_held].hash = h;
		c->held[c->n_held].release_ns = now_ns() +
						(int64_t)c->hold_ms * 1000000;
		c->n_held++;
		if (c->n_held > c->max_held)
			c->max_held = c->n_held;
		pthread_cond_signal(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

static int chk_requirements(struct zcap_pin *pin,
			    struct zcap_alloc_requirements *req)
{
	struct checker *c = zcap_pin_priv(pin);

	memset(req, 0, sizeof(*req));
	/* Frames arrive every ~200 ms under TCG: what hold_ms keeps, plus one. */
	req->held = c->claim_held ? c->claim_held : c->hold_ms / 200 + 1;
	return 0;
}

static int chk_eos(struct zcap_pin *pin)
{
	struct checker *c = zcap_pin_priv(pin);

	pthread_mutex_lock(&c->lock);
	c->eos++;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static const struct zcap_input_pin_ops chk_ops = {
	.get_requirements = chk_requirements,
	.receive = chk_receive,
	.end_of_stream = chk_eos,
};

static int chk_run(struct zcap_filter *f)
{
	struct checker *c = zcap_filter_priv(f);

	if (c->started)
		return 0;
	c->quit = false;
	if (pthread_create(&c->thread, NULL, chk_thread, c))
		return -EAGAIN;
	c->started = true;
	return 0;
}

static int chk_stop(struct zcap_filter *f)
{
	struct checker *c = zcap_filter_priv(f);

	if (!c->started)
		return 0;
	pthread_mutex_lock(&c->lock);
	c->quit = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->started = false;
	return 0;
}

static void chk_destroy(struct zcap_filter *f)
{
	(void)f;	/* the checker outlives the graph: main() frees it */
}

static const struct zcap_filter_ops chk_filter_ops = {
	.run = chk_run,
	.stop = chk_stop,
	.destroy = chk_destroy,
};

static struct checker *checker_new(uint32_t hold_ms)
{
	struct checker *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		die("checker", -ENOMEM);
	c->hold_ms = hold_ms;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	r = zcap_filter_new("checker", &chk_filter_ops, c, &c->f);
	if (r)
		die("checker filter", r);
	r = zcap_pin_new_input(c->f, "in", &chk_ops, c, &c->in);
	if (!r)
		r = zcap_filter_add_pin(c->f, c->in);
	if (r)
		die("checker pin", r);
	return c;
}

/* ---- graph helpers -------------------------------------------------- */

struct opts {
	const char *cap, *enc, *out, *dri, *raw, *coded, *readback;
	uint32_t frames, hold_ms, flags;
};

static struct zcap_filter *make_source(struct zcap_graph *g,
				       const struct opts *o)
{
	struct zcap_v4l2_source_config sc = {
		.device = o->cap,
		.fourcc = V4L2_PIX_FMT_YUYV,
		.width = frame_w,
		.height = frame_h,
		.max_frames = o->frames,
		.timeout_ms = 20000,
	};
	struct zcap_filter *src;
	char desc[256];
	int r;

	r = zcap_v4l2_source_new(&sc, &src);
	if (r)
		die("v4l2 source", r);
	r = zcap_graph_add(g, src);
	if (r)
		die("graph add", r);
	if (!zcap_v4l2_source_describe(src, desc, sizeof(desc)))
		printf("source: %s\n", desc);
	return src;
}

static void get_stats(struct zcap_filter *f, struct zcap_filter_stats *st)
{
	int r = zcap_filter_get_stats(f, st);

	if (r)
		die("stats", r);
}

static struct zcap_filter *find_filter(struct zcap_graph *g, const char *prefix)
{
	uint32_t i;

	for (i = 0; i < zcap_graph_n_filters(g); i++) {
		struct zcap_filter *f = zcap_graph_filter(g, i);

		if (!strncmp(zcap_filter_name(f), prefix, strlen(prefix)))
			return f;
	}
	return NULL;
}

static void run_graph(struct zcap_graph *g, uint32_t frames)
{
	int r;

	r = zcap_graph_run(g);
	if (r)
		die("graph run", r);
	/* vivid gives ~5 fps under TCG. */
	r = zcap_graph_wait(g, (int)(frames * 1000 + 60000));
	check(r == 0, "graph reached end of stream (%s)", zcap_strerror(r));
}

/* ---- modes ---------------------------------------------------------- */

static int mode_encode(const struct opts *o)
{
	struct zcap_file_sink_config rc = { .path = o->raw, .fd = -1 };
	struct consumers_config cc = {
		.encode_device = o->enc,
		.encode_path = o->coded,
		.flags = o->flags,
	};
	struct zcap_filter_stats ss, es, rs, fs;
	struct zcap_filter *src, *raw, *enc, *file;
	struct zcap_graph *g;
	struct zcap_pin *raw_in;
	int r;

	r = zcap_graph_new(&g);
	if (r)
		die("graph", r);
	src = make_source(g, o);
	r = zcap_file_sink_new(&rc, &raw);
	if (!r)
		r = zcap_graph_add(g, raw);
	if (r)
		die("raw file sink", r);
	raw_in = zcap_filter_pin(raw, ZCAP_PIN_INPUT, 0);
	r = consumers_attach(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0),
			     &cc, &raw_in, 1, NULL);
	check(r == 2, "encoder and raw writer attached behind a tee (%d: %s)",
	      r, r < 0 ? zcap_strerror(r) : "consumers");
	if (r < 0) {
		zcap_graph_destroy(g);
		return 1;
	}
	run_graph(g, o->frames);
	r = zcap_graph_stop(g);
	check(r == 0, "graph stopped (%s)", zcap_strerror(r));
	consumers_print_summary(g, stdout);

	enc = find_filter(g, "m2m-encoder");
	file = NULL;
	{
		uint32_t i;

		/* The coded file's writer is the file sink that is not @raw. */
		for (i = 0; i < zcap_graph_n_filters(g); i++) {
			struct zcap_filter *f = zcap_graph_filter(g, i);

			if (f != raw && !strncmp(zcap_filter_name(f), "file", 4))
				file = f;
		}
	}
	if (!enc || !file)
		die("finding the encoder and its writer", -ENOENT);
	get_stats(src, &ss);
	get_stats(enc, &es);
	get_stats(raw, &rs);
	get_stats(file, &fs);

	check(ss.frames >= o->frames, "source captured %llu frames",
	      (unsigned long long)ss.frames);
	check(es.frames == rs.frames && es.frames >= o->frames,
	      "encoder took every frame the raw writer took (%llu, %llu)",
	      (unsigned long long)es.frames, (unsigned long long)rs.frames);
	check(es.errors == 0 && es.dropped == 0,
	      "encoder: no errors, no drops (%llu, %llu)",
	      (unsigned long long)es.errors, (unsigned long long)es.dropped);
	check(fs.frames == es.frames,
	      "one coded frame written per raw frame (%llu, %llu)",
	      (unsigned long long)fs.frames, (unsigned long long)es.frames);
	check(ss.bytes_copied == 0, "source copied %llu bytes",
	      (unsigned long long)ss.bytes_copied);
	if (o->flags & ZCAP_CONSUMER_FORCE_COPY) {
		check(es.bytes_copied > es.bytes,
		      "forced copy: encoder copied raw frames too (%llu > %llu coded bytes): %s",
		      (unsigned long long)es.bytes_copied,
		      (unsigned long long)es.bytes, es.note);
		check(strstr(es.note, "copy") != NULL,
		      "the fallback says why: \"%s\"", es.note);
	} else {
		check(es.bytes_copied == 0 && es.bytes > 0,
		      "encoder copied nothing: raw frames in, coded frames out in dma-bufs (%llu of %llu coded bytes copied)",
		      (unsigned long long)es.bytes_copied,
		      (unsigned long long)es.bytes);
	}
	zcap_graph_destroy(g);
	return failures ? 1 : 0;
}

/*
 * The encoder's coded frames held downstream: a checker keeps each for
 * HOLD_MS but says it holds one, so the bitstream allocator has fewer
 * buffers (2 + 1) than a HOLD_MS of frames and the encoder's CAPTURE queue
 * runs dry until one comes back. A coded frame must not change while held (its index is not
 * queued again under a reader), every one must arrive, and nothing is
 * copied: the encoder writes into the dma-bufs that go downstream.
 */
static int mode_encode_hold(const struct opts *o)
{
	struct zcap_m2m_encoder_config ec = {
		.device = o->enc,
		.flags = o->flags,
		.capture_buffers = 2,
	};
	struct checker *slow = checker_new(o->hold_ms);
	struct zcap_filter_stats ss, es;
	struct zcap_filter *src, *enc;
	struct zcap_graph *g;
	int r;

	slow->claim_held = 1;
	slow->coded = true;
	r = zcap_graph_new(&g);
	if (r)
		die("graph", r);
	src = make_source(g, o);
	r = zcap_m2m_encoder_new(&ec, &enc);
	if (!r)
		r = zcap_graph_add(g, enc);
	if (!r)
		r = zcap_graph_add(g, slow->f);
	if (r)
		die("encoder and checker", r);
	r = zcap_graph_connect(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0),
			       zcap_filter_pin(enc, ZCAP_PIN_INPUT, 0), NULL);
	if (!r)
		r = zcap_graph_connect(g, zcap_filter_pin(enc, ZCAP_PIN_OUTPUT, 0),
				       slow->in, NULL);
	check(r == 0, "source -> encoder -> slow checker connected (%s)",
	      zcap_strerror(r));
	if (r) {
		zcap_graph_destroy(g);
		return 1;
	}
	run_graph(g, o->frames * 3);
	r = zcap_graph_stop(g);
	check(r == 0, "graph stopped (%s)", zcap_strerror(r));
	consumers_print_summary(g, stdout);
	get_stats(src, &ss);
	get_stats(enc, &es);
	check(es.frames >= o->frames && es.errors == 0,
	      "encoder: %llu coded frames, %llu errors",
	      (unsigned long long)es.frames, (unsigned long long)es.errors);
	check(slow->frames == es.frames,
	      "every coded frame reached the slow consumer (%llu of %llu)",
	      (unsigned long long)slow->frames, (unsigned long long)es.frames);
	check(slow->mismatches == 0,
	      "no coded frame changed while held (%llu changed)",
	      (unsigned long long)slow->mismatches);
	check(slow->eos == 1, "end of stream reached the slow consumer");
	check(slow->max_held >= ec.capture_buffers + slow->claim_held,
	      "the consumer held every bitstream buffer at once (%u of %u)",
	      slow->max_held, ec.capture_buffers + slow->claim_held);
	check(ss.bytes_copied == 0 && es.bytes_copied == 0,
	      "nothing copied (source %llu, encoder %llu bytes)",
	      (unsigned long long)ss.bytes_copied,
	      (unsigned long long)es.bytes_copied);
	zcap_graph_destroy(g);
	free(slow);
	return failures ? 1 : 0;
}

/*
 * Read back what a video output shows, from a capture device that loops
 * it (vivid's HDMI input connected to its HDMI output): a plain MMAP
 * capture that hashes every frame.
 */
#define RB_BUFS 4
#define RB_MAX_HASHES 4096

struct readback {
	const char *dev;
	int fd;
	void *map[RB_BUFS];
	size_t len[RB_BUFS];
	pthread_t thread;
	volatile bool quit;
	uint64_t hashes[RB_MAX_HASHES];
	uint32_t n;
	int err;
};

static void *rb_thread(void *arg)
{
	struct readback *rb = arg;
	struct v4l2_buffer b;
	struct pollfd pfd = { .fd = rb->fd, .events = POLLIN };

	while (!rb->quit) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		if (ioctl(rb->fd, VIDIOC_DQBUF, &b)) {
			if (errno == EAGAIN)
				continue;
			rb->err = -errno;
			break;
		}
		if (b.index < RB_BUFS && b.bytesused >= FRAME_BYTES &&
		    rb->n < RB_MAX_HASHES)
			rb->hashes[rb->n++] = fnv1a(rb->map[b.index], FRAME_BYTES);
		if (ioctl(rb->fd, VIDIOC_QBUF, &b)) {
			rb->err = -errno;
			break;
		}
	}
	return NULL;
}

static int rb_start(struct readback *rb)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_requestbuffers req = {
		.count = RB_BUFS,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	uint32_t i;

	rb->fd = open(rb->dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (rb->fd < 0)
		return -errno;
	f.fmt.pix.width = frame_w;
	f.fmt.pix.height = frame_h;
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	if (ioctl(rb->fd, VIDIOC_S_FMT, &f) || f.fmt.pix.width != frame_w ||
	    f.fmt.pix.height != frame_h || f.fmt.pix.bytesperline != frame_w * 2)
		return -EINVAL;
	if (ioctl(rb->fd, VIDIOC_REQBUFS, &req) || req.count < RB_BUFS)
		return -ENOMEM;
	for (i = 0; i < RB_BUFS; i++) {
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
			.index = i,
		};

		if (ioctl(rb->fd, VIDIOC_QUERYBUF, &b))
			return -errno;
		rb->len[i] = b.length;
		rb->map[i] = mmap(NULL, b.length, PROT_READ, MAP_SHARED, rb->fd,
				  b.m.offset);
		if (rb->map[i] == MAP_FAILED)
			return -errno;
		if (ioctl(rb->fd, VIDIOC_QBUF, &b))
			return -errno;
	}
	if (ioctl(rb->fd, VIDIOC_STREAMON, &type))
		return -errno;
	if (pthread_create(&rb->thread, NULL, rb_thread, rb))
		return -EAGAIN;
	return 0;
}

static void rb_stop(struct readback *rb)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	uint32_t i;

	rb->quit = true;
	pthread_join(rb->thread, NULL);
	ioctl(rb->fd, VIDIOC_STREAMOFF, &type);
	for (i = 0; i < RB_BUFS; i++)
		if (rb->map[i] && rb->map[i] != MAP_FAILED)
			munmap(rb->map[i], rb->len[i]);
	close(rb->fd);
}

static int mode_pass(const struct opts *o)
{
	struct consumers_config cc = {
		.passthrough_device = o->out,
		.flags = o->flags,
	};
	struct zcap_filter_stats ss, os, cs;
	struct zcap_filter *src, *out;
	struct zcap_graph *g;
	struct checker *c = checker_new(0);
	struct readback rb = { 0 };
	bool o_readback = o->readback != NULL;
	int r;

	r = zcap_graph_new(&g);
	if (r)
		die("graph", r);
	src = make_source(g, o);
	r = zcap_graph_add(g, c->f);
	if (r)
		die("graph add", r);
	r = consumers_attach(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0),
			     &cc, &c->in, 1, NULL);
	check(r == 2, "output sink attached (%d: %s)", r,
	      r < 0 ? zcap_strerror(r) : "consumers");
	if (r < 0) {
		zcap_graph_destroy(g);
		return 1;
	}
	if (o->readback) {
		rb.dev = o->readback;
		r = rb_start(&rb);
		check(r == 0, "read-back capture %s started (%s)", o->readback,
		      zcap_strerror(r));
		if (r)
			o_readback = false;
	}
	run_graph(g, o->frames);
	if (o_readback) {
		/* The last frame stays on the output until it stops. */
		usleep(1500 * 1000);
		rb_stop(&rb);
	}
	r = zcap_graph_stop(g);
	check(r == 0, "graph stopped (%s)", zcap_strerror(r));
	consumers_print_summary(g, stdout);
	if (o_readback) {
		uint32_t i, j, matched = 0, distinct = 0, last = UINT32_MAX;

		/*
		 * Each frame read back must be one of the frames sent,
		 * bit for bit, once the loop shows the output at all (before
		 * that vivid shows its own pattern).
		 */
		for (i = 0; i < rb.n; i++) {
			for (j = 0; j < c->n_sent; j++)
				if (rb.hashes[i] == c->sent[j])
					break;
			if (j == c->n_sent)
				continue;
			matched++;
			if (j != last)
				distinct++;
			last = j;
		}
		check(rb.err == 0 && distinct >= c->n_sent / 3 && distinct > 0,
		      "read back through vivid's loop: %u of %u frames sent arrived bit-exact (%u of %u captures matched)",
		      distinct, c->n_sent, matched, rb.n);
	}
	out = find_filter(g, "v4l2-output");
	if (!out)
		die("finding the output sink", -ENOENT);
	get_stats(src, &ss);
	get_stats(out, &os);
	get_stats(c->f, &cs);
	check(os.frames == c->frames && os.frames >= o->frames,
	      "output device took every frame (%llu of %llu)",
	      (unsigned long long)os.frames, (unsigned long long)c->frames);
	check(os.errors == 0 && os.dropped == 0, "no errors, no drops (%llu, %llu): %s",
	      (unsigned long long)os.errors, (unsigned long long)os.dropped,
	      os.note);
	check(ss.bytes_copied == 0, "source copied %llu bytes",
	      (unsigned long long)ss.bytes_copied);
	if (o->flags & ZCAP_CONSUMER_FORCE_COPY)
		check(os.bytes_copied == os.bytes && os.bytes > 0 &&
		      strstr(os.note, "copy"),
		      "forced copy: %llu of %llu bytes copied, note \"%s\"",
		      (unsigned long long)os.bytes_copied,
		      (unsigned long long)os.bytes, os.note);
	else
		check(os.bytes_copied == 0 && os.bytes > 0,
		      "output sink imported the dma-bufs: %llu bytes, %llu copied",
		      (unsigned long long)os.bytes,
		      (unsigned long long)os.bytes_copied);
	zcap_graph_destroy(g);
	free(c);
	return failures ? 1 : 0;
}

static int mode_drm(const struct opts *o)
{
	struct {
		uint64_t checked, bad, no_handle, refused, frames;
	} tally;
	struct consumers_config cc = { .drm_device = o->dri };
	struct zcap_drm_sink_info info;
	struct zcap_filter_stats ds;
	struct zcap_filter *src, *drm;
	struct zcap_graph *g;
	struct checker *c = checker_new(0);
	int r;

	r = zcap_graph_new(&g);
	if (r)
		die("graph", r);
	src = make_source(g, o);
	r = zcap_graph_add(g, c->f);
	if (r)
		die("graph add", r);
	r = consumers_attach(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0),
			     &cc, &c->in, 1, NULL);
	check(r == 2, "DRM sink attached (%d: %s)", r,
	      r < 0 ? zcap_strerror(r) : "consumers");
	if (r < 0) {
		zcap_graph_destroy(g);
		return 1;
	}
	c->drm = find_filter(g, "drm(");
	run_graph(g, o->frames);
	drm = find_filter(g, "drm(");
	if (!drm)
		die("finding the DRM sink", -ENOENT);
	r = zcap_drm_sink_info(drm, &info);
	if (r)
		die("drm info", r);
	get_stats(drm, &ds);
	printf("drm: fd %d kms %u imports %llu framebuffers %llu buffers %u frames %llu\n",
	       info.fd, info.kms, (unsigned long long)info.imports,
	       (unsigned long long)info.framebuffers, info.n_buffers,
	       (unsigned long long)ds.frames);
	check(info.n_buffers > 0 && info.imports == info.n_buffers &&
	      ds.frames > info.n_buffers,
	      "one PRIME import per buffer for the stream (%llu imports, %u buffers, %llu frames)",
	      (unsigned long long)info.imports, info.n_buffers,
	      (unsigned long long)ds.frames);

	r = zcap_graph_stop(g);
	check(r == 0, "graph stopped (%s)", zcap_strerror(r));
	consumers_print_summary(g, stdout);
	/*
	 * After the stop, under the lock: the counts change together under
	 * it. (Before the graph's end waited for every sink, a tee's branch
	 * could still be in the checker with the last frame after the wait:
	 * a make check saw 14 of 15 counted.)
	 */
	pthread_mutex_lock(&c->lock);
	tally.checked = c->drm_checked;
	tally.bad = c->drm_bad;
	tally.no_handle = c->drm_no_handle;
	tally.refused = c->drm_map_dumb_refused;
	tally.frames = c->frames;
	pthread_mutex_unlock(&c->lock);
	check(tally.checked > 0 && tally.bad == 0 &&
	      tally.checked + tally.no_handle == tally.frames,
	      "read through the DRM handles, %llu of %llu frames hold the captured pixels (%llu differ; %llu not imported yet; MAP_DUMB refused on %llu imported objects)",
	      (unsigned long long)tally.checked, (unsigned long long)tally.frames,
	      (unsigned long long)tally.bad,
	      (unsigned long long)tally.no_handle,
	      (unsigned long long)tally.refused);
	/* The tee hands out what it queued before it stops: count after. */
	get_stats(drm, &ds);
	check(ds.frames == c->frames && ds.frames >= o->frames,
	      "DRM sink took every frame (%llu of %llu)",
	      (unsigned long long)ds.frames, (unsigned long long)c->frames);
	zcap_graph_destroy(g);
	free(c);
	return failures ? 1 : 0;
}

/*
 * Every tee output passes on the source's allocator, and only its pool
 * exists: the outputs once kept the allocator of the source's first
 * connection (consumers_attach() connects it twice), and a run committed
 * a second pool that nothing filled.
 */
static void check_tee_one_pool(struct zcap_filter *src, struct zcap_filter *tee)
{
	uint32_t i, same = 0, n = zcap_filter_n_pins(tee, ZCAP_PIN_OUTPUT);
	struct zcap_allocator *a = NULL, *b;
	long long bufs = zcap_stat("buffers");

	zcap_pin_allocator(zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0), &a);
	for (i = 0; i < n; i++) {
		b = NULL;
		zcap_pin_allocator(zcap_filter_pin(tee, ZCAP_PIN_OUTPUT, i), &b);
		same += a && b == a;
		zcap_allocator_unref(b);
	}
	check(same == n, "the tee's %u outputs pass on the source's allocator (%u do)",
	      n, same);
	if (a && !strcmp(zcap_provider_name(zcap_allocator_provider(a)), "zcap"))
		check(bufs == zcap_allocator_count(a),
		      "zcap.ko holds the source's %u buffers and no second pool (%lld)",
		      zcap_allocator_count(a), bufs);
	zcap_allocator_unref(a);
}

/*
 * A consumer that keeps frames longer than it told the source starves
 * the pool: the source must drop (and count) frames while the other
 * consumers keep running, and no frame may change under any of them.
 */
static int mode_tee(const struct opts *o)
{
	struct zcap_null_sink_config nc = { .hold_ms = 0 };
	struct zcap_filter_stats ss, ns, ts;
	struct zcap_filter *src, *null, *tee;
	struct zcap_graph *g;
	struct checker *slow = checker_new(o->hold_ms);
	struct checker *fast = checker_new(50);
	struct zcap_pin *ins[3];
	int r;

	slow->claim_held = 1;
	r = zcap_graph_new(&g);
	if (r)
		die("graph", r);
	src = make_source(g, o);
	r = zcap_null_sink_new(&nc, &null);
	if (!r)
		r = zcap_graph_add(g, null);
	if (!r)
		r = zcap_graph_add(g, slow->f);
	if (!r)
		r = zcap_graph_add(g, fast->f);
	if (r)
		die("sinks", r);
	ins[0] = slow->in;
	ins[1] = zcap_filter_pin(null, ZCAP_PIN_INPUT, 0);
	ins[2] = fast->in;
	r = consumers_attach(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0),
			     &(struct consumers_config){ 0 }, ins, 3, NULL);
	check(r == 3, "slow, null and checking consumers behind a tee (%d)", r);
	if (r < 0) {
		zcap_graph_destroy(g);
		return 1;
	}
	tee = find_filter(g, "tee");
	if (!tee)
		die("finding the tee", -ENOENT);
	run_graph(g, o->frames);
	check_tee_one_pool(src, tee);
	r = zcap_graph_stop(g);
	check(r == 0, "graph stopped (%s)", zcap_strerror(r));
	consumers_print_summary(g, stdout);
	get_stats(src, &ss);
	get_stats(null, &ns);
	get_stats(tee, &ts);
	check(ss.dropped > 0, "the slow consumer made the source drop %llu frames",
	      (unsigned long long)ss.dropped);
	check(ns.frames == fast->frames && slow->frames == fast->frames &&
	      fast->frames == ts.frames && fast->frames >= o->frames,
	      "every consumer saw every delivered frame (%llu, %llu, %llu of %llu)",
	      (unsigned long long)slow->frames, (unsigned long long)ns.frames,
	      (unsigned long long)fast->frames, (unsigned long long)ts.frames);
	check(fast->mismatches == 0 && slow->mismatches == 0,
	      "no frame changed while a consumer held it (%llu, %llu changed)",
	      (unsigned long long)slow->mismatches,
	      (unsigned long long)fast->mismatches);
	check(fast->eos == 1 && slow->eos == 1,
	      "end of stream reached the consumers");
	check(ss.bytes_copied == 0 && ts.bytes_copied == 0, "nothing copied");
	zcap_graph_destroy(g);
	free(slow);
	free(fast);
	return failures ? 1 : 0;
}

/* ---- compare -------------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st)) {
		perror(path);
		exit(2);
	}
	*len = (size_t)st.st_size;
	p = malloc(*len ? *len : 1);
	if (!p || read(fd, p, *len) != (ssize_t)*len) {
		perror(path);
		exit(2);
	}
	close(fd);
	return p;
}

/* Luma PSNR of two YUYV frames. */
static double luma_psnr(const uint8_t *a, const uint8_t *b, size_t pixels)
{
	double se = 0;
	size_t i;

	for (i = 0; i < pixels; i++) {
		int d = (int)a[2 * i] - (int)b[2 * i];

		se += (double)(d * d);
	}
	if (se == 0)
		return INFINITY;
	return 10.0 * log10(255.0 * 255.0 * (double)pixels / se);
}

static int mode_compare(int argc, char **argv)
{
	size_t rl, dl, fsz, nr, nd, i, ident_raw = 0, ident_dec = 0;
	uint32_t w, h;
	double min_psnr = INFINITY, sum = 0, want;
	bool is_static;
	uint8_t *raw, *dec;

	if (argc < 7)
		return 2;
	raw = slurp(argv[2], &rl);
	dec = slurp(argv[3], &dl);
	w = (uint32_t)atoi(argv[4]);
	h = (uint32_t)atoi(argv[5]);
	want = atof(argv[6]);
	is_static = argc > 7 && !strcmp(argv[7], "static");
	fsz = (size_t)w * h * 2;
	nr = rl / fsz;
	nd = dl / fsz;
	check(nr > 0 && rl % fsz == 0, "raw file: %zu frames of %zu bytes", nr, fsz);
	check(nd == nr && dl % fsz == 0, "decoded %zu frames of the %zu captured",
	      nd, nr);
	for (i = 0; i < nr && i < nd; i++) {
		double p = luma_psnr(raw + i * fsz, dec + i * fsz, (size_t)w * h);

		if (p < min_psnr)
			min_psnr = p;
		sum += isinf(p) ? 99.0 : p;
		if (i && !memcmp(raw, raw + i * fsz, fsz))
			ident_raw++;
		if (i && !memcmp(dec, dec + i * fsz, fsz))
			ident_dec++;
	}
	printf("psnr: min %.2f dB, mean %.2f dB over %zu frames\n", min_psnr,
	       i ? sum / (double)i : 0, i);
	check(i > 0 && min_psnr >= want, "luma PSNR of every frame >= %.1f dB (min %.2f)",
	      want, min_psnr);
	if (is_static) {
		check(ident_raw + 1 == nr,
		      "static input: all %zu captured frames identical (%zu)",
		      nr, ident_raw + 1);
		check(ident_dec + 1 == nd,
		      "static input: all %zu decoded frames identical (%zu)",
		      nd, ident_dec + 1);
	}
	free(raw);
	free(dec);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .frames = 10, .hold_ms = 1500 };
	const char *mode;
	int c;

	if (argc < 2) {
		fprintf(stderr, "usage: see the top of tests/vm/consumers_run.c\n");
		return 2;
	}
	mode = argv[1];
	if (!strcmp(mode, "compare"))
		return mode_compare(argc, argv);
	optind = 2;
	while ((c = getopt(argc, argv, "c:e:p:d:n:r:o:H:Cb:s:")) != -1) {
		switch (c) {
		case 'b': o.readback = optarg; break;
		case 's':
			if (sscanf(optarg, "%ux%u", &frame_w, &frame_h) != 2)
				return 2;
			break;
		case 'c': o.cap = optarg; break;
		case 'e': o.enc = optarg; break;
		case 'p': o.out = optarg; break;
		case 'd': o.dri = optarg; break;
		case 'n': o.frames = (uint32_t)atoi(optarg); break;
		case 'r': o.raw = optarg; break;
		case 'o': o.coded = optarg; break;
		case 'H': o.hold_ms = (uint32_t)atoi(optarg); break;
		case 'C': o.flags |= ZCAP_CONSUMER_FORCE_COPY; break;
		default: return 2;
		}
	}
	if (!o.cap)
		return 2;
	if (!strcmp(mode, "encode") && o.enc && o.raw && o.coded)
		return mode_encode(&o);
	if (!strcmp(mode, "encode-hold") && o.enc)
		return mode_encode_hold(&o);
	if (!strcmp(mode, "pass") && o.out)
		return mode_pass(&o);
	if (!strcmp(mode, "drm") && o.dri)
		return mode_drm(&o);
	if (!strcmp(mode, "tee"))
		return mode_tee(&o);
	return 2;
}
