// SPDX-License-Identifier: GPL-2.0
/*
 * zcap-faults: the C half of the fault and load tests
 * (tests/vm/suites/faults.sh). Each subcommand does one thing to zcap and
 * checks what must follow, printing what it did and what it verified, one
 * line each; the exit status is 0 when every check held.
 *
 *   hold pool|dmabuf|mmap  keep only that alive, print "ready", wait
 *   smoke                  create, export, map, write, read back, close
 *   rmmod                  delete_module("zcap"): must be refused (busy)
 *   closepool DEV          pool fd closed while its buffers stream in vivid
 *   vgem                   a dma-buf held by vgem after its creator exited
 *   cap                    the max_total_bytes cap (set by the caller)
 *   cgroup                 a cgroup v2 memory.max below the pool's size
 *   cgroup-scan, killcreate  limits hit half way through (limits.c)
 *   failsweep              every allocation failed in turn (failnth.c)
 *   threads N SECONDS      N threads creating, exporting, mapping, closing
 *   capture DEV FRAMES     raw V4L2 DMABUF capture into a zcap pool
 *   disconnect DEV         set vivid's "Disconnect" control
 *   regress [NAME...]      fixed-input cases for bugs the fuzzer found
 *
 * Needs root, zcap.ko loaded and debugfs mounted; vivid and vgem where said.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libdrm/drm.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>
#include <linux/zcap.h>

#include "../common/vgem.h"
#include "faults.h"

long page_size;
int failures;

void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	fputs("FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Record a check: "verified: ..." when it held, "FAIL: ..." when not. */
bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (!ok)
		failures++;
	fputs(ok ? "verified: " : "FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return ok;
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- debugfs statistics ---- */

static const char *const stat_names[S_COUNT] = {
	"pools", "buffers", "bytes", "dmabufs", "attachments", "mappings",
	"vmaps", "mmaps", "pools_created", "dmabufs_exported", "map_calls",
	"unmap_calls", "vmap_calls", "cpu_access_calls",
};

static int read_stats(struct stats *s)
{
	char buf[2048], name[64];
	long long val;
	unsigned int seen = 0;
	ssize_t n;
	char *line;
	int fd;

	fd = open(STATS_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, "%63s %lld", name, &val) != 2)
			continue;
		for (int i = 0; i < S_COUNT; i++) {
			if (!strcmp(name, stat_names[i])) {
				s->v[i] = val;
				seen |= 1U << i;
			}
		}
	}
	return seen == (1U << S_COUNT) - 1 ? 0 : -EPROTO;
}

struct stats stats_now(void)
{
	struct stats s = { 0 };
	int ret = read_stats(&s);

	if (ret) {
		fail("cannot read %s: %s", STATS_PATH, strerror(-ret));
		exit(1);
	}
	return s;
}

static void fmt_gauges(const struct stats *s, char *out, size_t len)
{
	size_t n = 0;

	for (int i = 0; i < S_GAUGES && n < len; i++)
		n += snprintf(out + n, len - n, "%s%s %" PRId64, i ? ", " : "",
			      stat_names[i], s->v[i]);
}

static bool gauges_zero(const struct stats *s)
{
	for (int i = 0; i < S_GAUGES; i++)
		if (s->v[i])
			return false;
	return true;
}

/* Wait up to ms for every gauge to reach zero; check and report. */
bool expect_gauges_zero(unsigned int ms, const char *when)
{
	double end = now() + ms / 1000.0, start = now();
	struct stats s;
	char buf[256];

	do {
		s = stats_now();
		if (gauges_zero(&s))
			break;
		sleep_ms(20);
	} while (now() < end);
	fmt_gauges(&s, buf, sizeof(buf));
	return check(gauges_zero(&s), "%s: debugfs gauges %s (after %.2f s)",
		     when, gauges_zero(&s) ? "all zero" : buf, now() - start);
}

/* Gauges equal to a snapshot: nothing was kept. */
bool expect_gauges_same(const struct stats *before, const char *when)
{
	struct stats s = stats_now();
	char a[256], b[256];
	bool same = !memcmp(before->v, s.v, sizeof(int64_t) * S_GAUGES);

	fmt_gauges(before, a, sizeof(a));
	fmt_gauges(&s, b, sizeof(b));
	if (same)
		return check(true, "%s: gauges unchanged (%s)", when, a);
	return check(false, "%s: gauges were %s, now %s", when, a, b);
}

/* ---- zcap ---- */

int zc_open(void)
{
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail("open %s: %s", DEV_PATH, strerror(errno));
	return fd;
}

/* Returns a pool fd or -errno. */
int zc_create(int dev, uint64_t size, uint32_t count, uint32_t flags)
{
	struct zcap_pool_create req = {
		.buffer_size = size, .count = count, .flags = flags,
		.fd_flags = O_CLOEXEC,
	};

	if (ioctl(dev, ZCAP_IOC_POOL_CREATE, &req))
		return -errno;
	return req.pool_fd;
}

int zc_export(int pool, uint32_t index, uint32_t flags)
{
	struct zcap_buf_export req = { .index = index, .flags = flags };

	if (ioctl(pool, ZCAP_IOC_BUF_EXPORT, &req))
		return -errno;
	return req.fd;
}

static int zc_info(int pool, struct zcap_pool_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(pool, ZCAP_IOC_POOL_INFO, info) ? -errno : 0;
}

static int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
}

/* A pattern that differs per buffer and per word. */
static uint64_t pattern(uint64_t seed, size_t word)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + word;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 29);
}

static void fill(void *p, size_t len, uint64_t seed)
{
	uint64_t *w = p;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = pattern(seed, i);
}

/* Index of the first word that differs, or -1. */
static long verify(const void *p, size_t len, uint64_t seed)
{
	const uint64_t *w = p;

	for (size_t i = 0; i < len / 8; i++)
		if (w[i] != pattern(seed, i))
			return (long)i;
	return -1;
}

/*
 * Buffer @index of @pool, @len bytes, exported read-write and mapped takes
 * what is written and gives it back: @what names it in the two checks.
 */
static void check_export_rw(int pool, uint32_t index, size_t len,
			    uint64_t seed, const char *what)
{
	int fd = zc_export(pool, index, O_RDWR);
	void *p = fd < 0 ? MAP_FAILED :
		  mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (check(p != MAP_FAILED, "%s exports and maps", what)) {
		fill(p, len, seed);
		check(verify(p, len, seed) < 0, "and holds what was written");
		munmap(p, len);
	}
	if (fd >= 0)
		close(fd);
}

/* ---- hold, smoke, rmmod ---- */

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Keep one kind of reference to a buffer and nothing else: the pool fd, a
 * dma-buf fd (pool fd closed), or a mapping (every fd closed).
 */
static int cmd_hold(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	int dev, pool, buf = -1;
	void *map = MAP_FAILED;
	size_t size = 256 * 1024;

	if (strcmp(what, "pool") && strcmp(what, "dmabuf") &&
	    strcmp(what, "mmap")) {
		fprintf(stderr, "hold pool|dmabuf|mmap\n");
		return 2;
	}
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	dev = zc_open();
	if (dev < 0)
		return 1;
	pool = zc_create(dev, size, 2, 0);
	close(dev);
	if (pool < 0) {
		fail("POOL_CREATE: %s", strerror(-pool));
		return 1;
	}
	if (strcmp(what, "pool")) {
		buf = zc_export(pool, 1, O_RDWR);
		if (buf < 0) {
			fail("BUF_EXPORT: %s", strerror(-buf));
			return 1;
		}
		close(pool);
		pool = -1;
	}
	if (!strcmp(what, "mmap")) {
		map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buf,
			   0);
		if (map == MAP_FAILED) {
			fail("mmap: %s", strerror(errno));
			return 1;
		}
		fill(map, size, 7);
		close(buf);
		buf = -1;
	}
	say("holding: %s", !strcmp(what, "pool") ? "a pool fd (2 buffers of 256 KiB), no dma-buf" :
	    !strcmp(what, "dmabuf") ? "one dma-buf fd, the pool fd closed" :
	    "one mapping of a dma-buf, every fd closed");
	say("ready");
	while (!stop)
		pause();
	if (map != MAP_FAILED) {
		long bad = verify(map, size, 7);

		check(bad < 0, "the mapping still held the pattern when let go%s",
		      bad < 0 ? "" : " (it did not)");
		munmap(map, size);
	}
	return failures ? 1 : 0;
}

static int smoke(void)
{
	const size_t size = 64 * 1024;
	int dev, pool, rw, ro;
	void *w, *r;
	long bad;

	dev = zc_open();
	if (dev < 0)
		return -1;
	pool = zc_create(dev, size, 2, 0);
	close(dev);
	if (pool < 0) {
		fail("POOL_CREATE: %s", strerror(-pool));
		return -1;
	}
	rw = zc_export(pool, 0, O_RDWR);
	ro = zc_export(pool, 0, O_RDONLY);
	close(pool);
	if (rw < 0 || ro < 0) {
		fail("BUF_EXPORT: %s", strerror(rw < 0 ? -rw : -ro));
		return -1;
	}
	w = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
	r = mmap(NULL, size, PROT_READ, MAP_SHARED, ro, 0);
	close(rw);
	close(ro);
	if (w == MAP_FAILED || r == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		return -1;
	}
	fill(w, size, 99);
	bad = verify(r, size, 99);
	munmap(w, size);
	munmap(r, size);
	if (bad >= 0) {
		fail("word %ld written through the read-write dma-buf reads "
		     "differently through the read-only one", bad);
		return -1;
	}
	return 0;
}

static int cmd_smoke(void)
{
	if (smoke())
		return 1;
	say("verified: created a pool, exported a buffer read-write and "
	    "read-only, wrote 64 KiB through one mapping and read it back "
	    "through the other");
	return expect_gauges_zero(2000, "after closing everything") ? 0 : 1;
}

static bool module_loaded(void)
{
	return access("/sys/module/zcap", F_OK) == 0;
}

/* Refused while something lives: EWOULDBLOCK (or EBUSY), still loaded. */
static int cmd_rmmod(void)
{
	long ret = syscall(SYS_delete_module, "zcap", O_NONBLOCK);
	int err = errno;

	if (!ret) {
		fail("delete_module(\"zcap\") succeeded while a buffer lives");
		return 1;
	}
	check(err == EWOULDBLOCK || err == EBUSY,
	      "delete_module(\"zcap\") refused with %s", strerrorname_np(err));
	check(module_loaded(), "zcap is still loaded");
	if (smoke() == 0)
		say("verified: zcap still works (pool, export, map, write, read)");
	return failures ? 1 : 0;
}

/* ---- V4L2 capture into a zcap pool ---- */

struct cap {
	int fd;			/* video node */
	int pool;
	unsigned int count;
	size_t size;		/* pool buffer size */
	uint32_t sizeimage;
	int dmabuf[8];
	void *map[8];
	unsigned int frames;
	unsigned int queued;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret && errno == EINTR);
	return ret ? -errno : 0;
}

/*
 * Open the node, set YUYV at width x height, create a pool sized from the
 * driver's sizeimage, export and map every buffer, REQBUFS(DMABUF).
 */
static int cap_open(struct cap *c, const char *dev, unsigned int w,
		    unsigned int h, unsigned int count)
{
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_requestbuffers rb = {
		.count = count, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	int ret, zdev;

	memset(c, 0, sizeof(*c));
	c->pool = -1;
	for (unsigned int i = 0; i < 8; i++) {
		c->dmabuf[i] = -1;
		c->map[i] = MAP_FAILED;
	}
	c->fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0) {
		fail("open %s: %s", dev, strerror(errno));
		return -1;
	}
	fmt.fmt.pix.width = w;
	fmt.fmt.pix.height = h;
	fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	ret = xioctl(c->fd, VIDIOC_S_FMT, &fmt);
	if (ret) {
		fail("VIDIOC_S_FMT %ux%u YUYV on %s: %s", w, h, dev,
		     strerror(-ret));
		return -1;
	}
	c->sizeimage = fmt.fmt.pix.sizeimage;
	c->size = (c->sizeimage + page_size - 1) & ~(page_size - 1);
	c->count = count;
	zdev = zc_open();
	if (zdev < 0)
		return -1;
	c->pool = zc_create(zdev, c->size, count, 0);
	close(zdev);
	if (c->pool < 0) {
		fail("POOL_CREATE %u x %zu: %s", count, c->size,
		     strerror(-c->pool));
		return -1;
	}
	for (unsigned int i = 0; i < count; i++) {
		c->dmabuf[i] = zc_export(c->pool, i, O_RDWR | O_CLOEXEC);
		if (c->dmabuf[i] < 0) {
			fail("BUF_EXPORT %u: %s", i, strerror(-c->dmabuf[i]));
			return -1;
		}
		c->map[i] = mmap(NULL, c->size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, c->dmabuf[i], 0);
		if (c->map[i] == MAP_FAILED) {
			fail("mmap buffer %u: %s", i, strerror(errno));
			return -1;
		}
	}
	ret = xioctl(c->fd, VIDIOC_REQBUFS, &rb);
	if (ret || rb.count != count) {
		fail("VIDIOC_REQBUFS(DMABUF, %u): %s, got %u", count,
		     ret ? strerror(-ret) : "ok", rb.count);
		return -1;
	}
	return 0;
}

/* Zero the buffer through our mapping, then queue its dma-buf. */
static int cap_qbuf(struct cap *c, unsigned int i)
{
	struct v4l2_buffer b = {
		.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF, .length = c->size,
	};

	dmabuf_sync(c->dmabuf[i], DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memset(c->map[i], 0, c->sizeimage);
	dmabuf_sync(c->dmabuf[i], DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	b.m.fd = c->dmabuf[i];
	return xioctl(c->fd, VIDIOC_QBUF, &b);
}

static int cap_start(struct cap *c)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE, ret;

	for (unsigned int i = 0; i < c->count; i++) {
		ret = cap_qbuf(c, i);
		if (ret) {
			fail("VIDIOC_QBUF %u: %s", i, strerror(-ret));
			return ret;
		}
	}
	ret = xioctl(c->fd, VIDIOC_STREAMON, &type);
	if (ret)
		fail("VIDIOC_STREAMON: %s", strerror(-ret));
	return ret;
}

/* Share of non-zero bytes in a sample of the frame, in percent. */
static unsigned int nonzero_pct(const unsigned char *p, size_t len)
{
	size_t n = 0, step = len / 512 ? len / 512 : 1, k = 0;

	for (size_t i = 0; i < len; i += step, k++)
		n += p[i] != 0;
	return k ? (unsigned int)(n * 100 / k) : 0;
}

/*
 * Wait for a frame, check that it landed in the pool's memory (read
 * through our own mapping, not through V4L2). Returns the index, -ENODEV
 * when the device went away, another -errno on error, -ETIMEDOUT.
 */
static int cap_dqbuf(struct cap *c, int timeout_ms, bool quiet)
{
	struct pollfd pfd = { c->fd, POLLIN | POLLPRI, 0 };
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	unsigned int pct;
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	ret = xioctl(c->fd, VIDIOC_DQBUF, &b);
	if (ret == -EAGAIN && (pfd.revents & (POLLERR | POLLHUP)))
		return -ENODEV;
	if (ret)
		return ret;
	if (b.index >= c->count) {
		fail("DQBUF returned index %u of %u", b.index, c->count);
		return -EINVAL;
	}
	dmabuf_sync(c->dmabuf[b.index], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	pct = nonzero_pct(c->map[b.index], c->sizeimage);
	dmabuf_sync(c->dmabuf[b.index], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	c->frames++;
	if (b.bytesused < c->sizeimage || (b.flags & V4L2_BUF_FLAG_ERROR) ||
	    pct < 20) {
		fail("frame %u (buffer %u): bytesused %u of %u, flags %#x, "
		     "%u%% of the sampled bytes non-zero", c->frames, b.index,
		     b.bytesused, c->sizeimage, b.flags, pct);
		return -EIO;
	}
	if (!quiet)
		say("frame %u: buffer %u, %u bytes, %u%% of the sampled bytes "
		    "non-zero, sequence %u", c->frames, b.index, b.bytesused,
		    pct, b.sequence);
	return b.index;
}

static void cap_close(struct cap *c)
{
	for (unsigned int i = 0; i < 8; i++) {
		if (c->map[i] != MAP_FAILED)
			munmap(c->map[i], c->size);
		if (c->dmabuf[i] >= 0)
			close(c->dmabuf[i]);
		c->map[i] = MAP_FAILED;
		c->dmabuf[i] = -1;
	}
	if (c->pool >= 0)
		close(c->pool);
	if (c->fd >= 0)
		close(c->fd);
	c->pool = c->fd = -1;
}

static int cap_stop(struct cap *c)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE, ret;
	struct v4l2_requestbuffers rb = {
		.count = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};

	ret = xioctl(c->fd, VIDIOC_STREAMOFF, &type);
	if (!ret)
		ret = xioctl(c->fd, VIDIOC_REQBUFS, &rb);
	return ret;
}

static unsigned int parse_size(const char *s, unsigned int *w, unsigned int *h)
{
	return sscanf(s, "%ux%u", w, h) == 2;
}

/*
 * With ZCAP_FAULTS_HOLD=FILE in the environment, a capture keeps its pool
 * and its stream after its last frame until FILE exists (at most 120 s):
 * a test that runs several at once can then see them all alive at one
 * time however slowly each starts, rather than hoping they overlap.
 */
static void hold_until_released(void)
{
	const char *path = getenv("ZCAP_FAULTS_HOLD");
	int waited;

	if (!path || !*path)
		return;
	say("holding the pool until %s exists", path);
	for (waited = 0; !stop && waited < 120 * 20; waited++) {
		if (access(path, F_OK) == 0)
			return;
		usleep(50 * 1000);
	}
	say("released by %s", stop ? "a signal" : "the 120 s limit");
}

/*
 * capture DEV FRAMES [WxH]: stream FRAMES frames (0: until killed) into a
 * zcap pool. Exit 0 when all landed, 3 when the device went away (with a
 * message that says so), 1 on any other failure.
 */
static int cmd_capture(int argc, char **argv)
{
	unsigned int w = 320, h = 180, want, reported = 0;
	struct cap c;
	int idx, ret;

	if (argc < 3 || (argc > 3 && !parse_size(argv[3], &w, &h))) {
		fprintf(stderr, "capture DEV FRAMES [WxH]\n");
		return 2;
	}
	want = strtoul(argv[2], NULL, 0);
	signal(SIGTERM, on_stop);
	if (cap_open(&c, argv[1], w, h, 4) || cap_start(&c)) {
		cap_close(&c);
		return 1;
	}
	say("streaming from %s: %ux%u YUYV, 4 zcap buffers of %zu bytes "
	    "(V4L2_MEMORY_DMABUF)", argv[1], w, h, c.size);
	while (!stop && (!want || c.frames < want)) {
		idx = cap_dqbuf(&c, 5000, want == 0 || want > 20);
		if (idx == -ENODEV) {
			say("capture: %s was disconnected (ENODEV) after %u "
			    "frames; releasing every buffer", argv[1], c.frames);
			cap_stop(&c);
			cap_close(&c);
			return 3;
		}
		if (idx < 0) {
			fail("capture on %s stopped after %u frames: %s",
			     argv[1], c.frames, strerror(-idx));
			cap_stop(&c);
			cap_close(&c);
			return 1;
		}
		if (c.frames - reported >= 10 || c.frames == 1) {
			say("frames: %u", c.frames);
			reported = c.frames;
		}
		ret = cap_qbuf(&c, idx);
		if (ret == -ENODEV) {
			say("capture: %s was disconnected (ENODEV) after %u "
			    "frames; releasing every buffer", argv[1], c.frames);
			cap_stop(&c);
			cap_close(&c);
			return 3;
		}
		if (ret) {
			fail("VIDIOC_QBUF: %s", strerror(-ret));
			cap_stop(&c);
			cap_close(&c);
			return 1;
		}
	}
	hold_until_released();
	ret = cap_stop(&c);
	cap_close(&c);
	if (ret) {
		fail("STREAMOFF/REQBUFS(0): %s", strerror(-ret));
		return 1;
	}
	say("verified: %u frames landed in the pool's memory (each checked "
	    "through our own mapping of its dma-buf)", c.frames);
	return 0;
}

/*
 * The pool fd goes while its buffers are queued: streaming goes on, the
 * frames land; then even the dma-buf fds and mappings go, leaving the
 * buffers to vb2 alone; STREAMOFF and REQBUFS(0) free everything.
 */
static int cmd_closepool(int argc, char **argv)
{
	struct zcap_pool_info info;
	struct cap c;
	struct stats s;
	int idx, ret;

	if (argc < 2) {
		fprintf(stderr, "closepool DEV\n");
		return 2;
	}
	if (cap_open(&c, argv[1], 320, 180, 4) || cap_start(&c))
		goto out;
	say("did: queued 4 zcap dma-bufs on %s and started streaming",
	    argv[1]);
	for (int i = 0; i < 2; i++) {
		idx = cap_dqbuf(&c, 5000, false);
		if (idx < 0 || cap_qbuf(&c, idx))
			goto fail_stream;
	}
	zc_info(c.pool, &info);
	close(c.pool);
	c.pool = -1;
	say("did: closed the pool fd (%u buffers exported) with 4 buffers queued",
	    info.exported);
	s = stats_now();
	check(s.v[S_POOLS] == 1 && s.v[S_BUFFERS] == 4 && s.v[S_DMABUFS] == 4,
	      "the memory stays: pools %" PRId64 ", buffers %" PRId64
	      ", dmabufs %" PRId64 " (1, 4, 4 wanted)", s.v[S_POOLS],
	      s.v[S_BUFFERS], s.v[S_DMABUFS]);
	for (int i = 0; i < 6; i++) {
		idx = cap_dqbuf(&c, 5000, false);
		if (idx < 0 || cap_qbuf(&c, idx))
			goto fail_stream;
	}
	check(true, "6 more frames landed after the pool fd was closed");

	/* Now only vb2's references are left. */
	for (unsigned int i = 0; i < c.count; i++) {
		munmap(c.map[i], c.size);
		close(c.dmabuf[i]);
		c.map[i] = MAP_FAILED;
		c.dmabuf[i] = -1;
	}
	say("did: closed every dma-buf fd and mapping; vivid holds the only "
	    "references");
	/* vivid's default importer is vb2-vmalloc: a vmap per buffer. */
	s = stats_now();
	check(s.v[S_BUFFERS] == 4 && s.v[S_DMABUFS] == 4 &&
	      s.v[S_VMAPS] + s.v[S_ATTACH] >= 4 && s.v[S_MMAPS] == 0,
	      "only vb2 holds them: buffers %" PRId64 " (4), dmabufs %" PRId64
	      " (4), vmaps %" PRId64 " + attachments %" PRId64 " (4), mmaps %"
	      PRId64 " (0)", s.v[S_BUFFERS], s.v[S_DMABUFS], s.v[S_VMAPS],
	      s.v[S_ATTACH], s.v[S_MMAPS]);
	{
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_DMABUF,
		};
		struct pollfd pfd = { c.fd, POLLIN, 0 };
		unsigned int got = 0;

		/* The queued ones still complete; there is nothing to map. */
		while (got < 2 && poll(&pfd, 1, 5000) == 1 &&
		       !xioctl(c.fd, VIDIOC_DQBUF, &b)) {
			if (b.bytesused < c.sizeimage)
				break;
			got++;
		}
		check(got == 2, "%u frames of %u bytes completed into buffers "
		      "only vb2 holds", got, c.sizeimage);
	}
	ret = cap_stop(&c);
	check(!ret, "STREAMOFF and REQBUFS(0) %s", ret ? strerror(-ret) : "ok");
	expect_gauges_zero(2000, "after REQBUFS(0)");
	cap_close(&c);
	return failures ? 1 : 0;

fail_stream:
	fail("streaming failed after %u frames", c.frames);
out:
	cap_close(&c);
	return 1;
}

/* Set vivid's "Disconnect" button control on the node. */
static int cmd_disconnect(int argc, char **argv)
{
	struct v4l2_queryctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };
	struct v4l2_control ctl = { 0 };
	int fd, ret;

	if (argc < 2) {
		fprintf(stderr, "disconnect DEV\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fail("open %s: %s", argv[1], strerror(errno));
		return 1;
	}
	while (!xioctl(fd, VIDIOC_QUERYCTRL, &q)) {
		if (!strcmp((char *)q.name, "Disconnect"))
			break;
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	if (strcmp((char *)q.name, "Disconnect")) {
		fail("%s has no \"Disconnect\" control (vivid no_error_inj=1?)",
		     argv[1]);
		close(fd);
		return 1;
	}
	ctl.id = q.id;
	ctl.value = 1;
	ret = xioctl(fd, VIDIOC_S_CTRL, &ctl);
	close(fd);
	if (ret) {
		fail("VIDIOC_S_CTRL Disconnect: %s", strerror(-ret));
		return 1;
	}
	say("did: pressed vivid's Disconnect control on %s", argv[1]);
	return 0;
}

/* ---- vgem ---- */

static int send_fd(int sock, int fd)
{
	char c = 'f';
	struct iovec iov = { &c, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c;
	struct iovec iov = { &c, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * A child creates a pool, writes a pattern, hands the dma-buf to us and
 * exits; we import it into vgem first. vgem's reference alone must keep the
 * memory, readable through the dma-buf vgem hands back; GEM_CLOSE frees it.
 */
static int cmd_vgem(void)
{
	const size_t size = 1024 * 1024;
	struct drm_prime_handle imp = { 0 }, exp = { 0 };
	struct drm_gem_close gc = { 0 };
	int sv[2], drm, buf, status;
	struct stats s;
	pid_t pid;
	void *map;
	long bad;

	drm = open_vgem();
	if (drm < 0) {
		fail("no vgem DRM device under /dev/dri (modprobe vgem)");
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		fail("socketpair: %s", strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		int dev = zc_open(), pool, fd;
		void *p;

		close(drm);
		pool = dev < 0 ? -1 : zc_create(dev, size, 1, 0);
		fd = pool < 0 ? -1 : zc_export(pool, 0, O_RDWR);
		if (fd < 0)
			_exit(1);
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			_exit(1);
		dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
		fill(p, size, 0x76);
		dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
		if (send_fd(sv[1], fd))
			_exit(1);
		/* Wait for the import, then go, closing everything. */
		if (read(sv[1], &(char){ 0 }, 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(sv[1]);
	buf = recv_fd(sv[0]);
	if (buf < 0) {
		fail("the creating child sent no dma-buf");
		return 1;
	}
	imp.fd = buf;
	if (ioctl(drm, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp)) {
		fail("DRM_IOCTL_PRIME_FD_TO_HANDLE: %s", strerror(errno));
		return 1;
	}
	close(buf);
	say("did: a child created a 1 MiB pool, wrote a pattern and passed "
	    "the dma-buf to us; we imported it into vgem (handle %u) and "
	    "closed our fd", imp.handle);
	if (write(sv[0], "x", 1) != 1 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status)) {
		fail("the creating child failed");
		return 1;
	}
	close(sv[0]);
	say("did: the creating process exited (its pool fd, dma-buf fd and "
	    "mapping are gone)");
	s = stats_now();
	check(s.v[S_BUFFERS] == 1 && s.v[S_BYTES] == (int64_t)size &&
	      s.v[S_DMABUFS] == 1 && s.v[S_ATTACH] == 1 && s.v[S_MMAPS] == 0,
	      "vgem's import alone keeps the buffer: buffers %" PRId64
	      ", bytes %" PRId64 ", dmabufs %" PRId64 ", attachments %" PRId64
	      ", mmaps %" PRId64, s.v[S_BUFFERS], s.v[S_BYTES],
	      s.v[S_DMABUFS], s.v[S_ATTACH], s.v[S_MMAPS]);

	/* vgem gives imported objects no mmap offset: ask for the dma-buf. */
	exp.handle = imp.handle;
	exp.flags = DRM_CLOEXEC | DRM_RDWR;
	if (ioctl(drm, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp)) {
		fail("DRM_IOCTL_PRIME_HANDLE_TO_FD: %s", strerror(errno));
		return 1;
	}
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, exp.fd, 0);
	if (map == MAP_FAILED) {
		fail("mmap of the dma-buf from vgem: %s", strerror(errno));
		return 1;
	}
	dmabuf_sync(exp.fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	bad = verify(map, size, 0x76);
	dmabuf_sync(exp.fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	check(bad < 0, "the dma-buf vgem hands back holds the dead process's "
	      "pattern (1 MiB)%s", bad < 0 ? "" : ": it does not");
	munmap(map, size);
	close(exp.fd);
	s = stats_now();
	check(s.v[S_BUFFERS] == 1, "still alive with vgem's handle: buffers %"
	      PRId64, s.v[S_BUFFERS]);
	gc.handle = imp.handle;
	if (ioctl(drm, DRM_IOCTL_GEM_CLOSE, &gc))
		fail("DRM_IOCTL_GEM_CLOSE: %s", strerror(errno));
	say("did: closed vgem's GEM handle");
	expect_gauges_zero(2000, "after GEM_CLOSE");
	close(drm);
	return failures ? 1 : 0;
}

/* ---- caps ---- */

static int cmd_cap(void)
{
	struct zcap_version ver;
	uint64_t cap, half;
	int dev, a, b, c;
	struct stats before;

	dev = zc_open();
	if (dev < 0)
		return 1;
	if (ioctl(dev, ZCAP_IOC_VERSION, &ver)) {
		fail("ZCAP_IOC_VERSION: %s", strerror(errno));
		return 1;
	}
	cap = ver.max_total_bytes;
	half = cap / 2 / 4;
	half &= ~(uint64_t)(page_size - 1);
	say("max_total_bytes is %" PRIu64 " (%" PRIu64 " KiB)", cap, cap >> 10);
	a = zc_create(dev, half, 4, 0);
	if (!check(a >= 0, "a pool of half the cap (4 x %" PRIu64 " bytes): %s",
		   half, a >= 0 ? "created" : strerror(-a)))
		return 1;
	before = stats_now();
	b = zc_create(dev, half + page_size, 4, 0);
	check(b == -EDQUOT, "a pool that would cross the cap (4 x %" PRIu64
	      " bytes): %s", half + page_size,
	      b < 0 ? strerrorname_np(-b) : "created");
	if (b >= 0)
		close(b);
	expect_gauges_same(&before, "after the refused pool");
	c = zc_create(dev, half, 4, 0);
	check(c >= 0, "the next pool that fits exactly under the cap (4 x %"
	      PRIu64 " bytes): %s", half, c >= 0 ? "created" : strerror(-c));
	if (c >= 0) {
		check_export_rw(c, 3, half, 3, "its last buffer");
		close(c);
	}
	close(a);
	close(dev);
	expect_gauges_zero(2000, "after closing both pools");
	return failures ? 1 : 0;
}

int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : n < 0 ? -errno : -EIO;
}

long long read_ll(const char *path, const char *key)
{
	char buf[4096], *p;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (!key)
		return strtoll(buf, NULL, 10);
	for (p = strtok(buf, "\n"); p; p = strtok(NULL, "\n")) {
		size_t k = strlen(key);

		if (!strncmp(p, key, k) && p[k] == ' ')
			return strtoll(p + k + 1, NULL, 10);
	}
	return -1;
}

/*
 * In a cgroup whose memory.max is below the pool's size, the allocation
 * fails part way: ENOMEM (not the OOM killer), every page charged so far
 * returned, nothing left in zcap; a pool under the limit then works and
 * is charged to the cgroup.
 */
static int cgroup_child(const char *cg)
{
	const uint64_t limit = 16 << 20, bufsz = 4 << 20;
	char path[256], val[64];
	long long cur0, cur1, cur2, cur3;
	struct stats before;
	int dev, pool;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(val, sizeof(val), "%d", (int)getpid());
	if (write_file(path, val)) {
		fail("moving into %s: %s", cg, strerror(errno));
		return 1;
	}
	say("did: moved process %d into %s, memory.max %" PRIu64 " MiB",
	    (int)getpid(), cg, limit >> 20);
	dev = zc_open();
	if (dev < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/memory.current", cg);
	before = stats_now();
	cur0 = read_ll(path, NULL);
	pool = zc_create(dev, bufsz, 8, 0);
	check(pool == -ENOMEM, "a pool of 8 x 4 MiB (32 MiB) over memory.max "
	      "%" PRIu64 " MiB: %s", limit >> 20,
	      pool < 0 ? strerrorname_np(-pool) : "created");
	if (pool >= 0)
		close(pool);
	cur1 = read_ll(path, NULL);
	expect_gauges_same(&before, "after the refused pool");
	check(cur1 >= 0 && cur1 < cur0 + (1 << 20),
	      "memory.current went back: %lld KiB before, %lld KiB after",
	      cur0 >> 10, cur1 >> 10);
	pool = zc_create(dev, bufsz, 2, 0);
	if (!check(pool >= 0, "a pool of 2 x 4 MiB under the limit: %s",
		   pool >= 0 ? "created" : strerror(-pool)))
		return 1;
	cur2 = read_ll(path, NULL);
	check(cur2 >= cur1 + (int64_t)(2 * bufsz) - (1 << 20),
	      "its pages are charged to the cgroup: memory.current %lld KiB "
	      "-> %lld KiB", cur1 >> 10, cur2 >> 10);
	check_export_rw(pool, 1, bufsz, 5, "its buffer");
	close(pool);
	close(dev);
	cur3 = read_ll(path, NULL);
	check(cur3 < cur2 - (int64_t)bufsz,
	      "closing it uncharged the cgroup: memory.current %lld KiB",
	      cur3 >> 10);
	return failures ? 1 : 0;
}

static int cmd_cgroup(void)
{
	char cg[128], path[256];
	long long oom0, oom1;
	int status, ret;
	pid_t pid;

	/* The root must hand the memory controller down. */
	ret = write_file(CGROUP_ROOT "/cgroup.subtree_control", "+memory");
	if (ret) {
		fail("enabling the memory controller in %s: %s", CGROUP_ROOT,
		     strerror(-ret));
		return 1;
	}
	snprintf(cg, sizeof(cg), CGROUP_ROOT "/zcap-faults-%d", (int)getpid());
	if (mkdir(cg, 0755)) {
		fail("mkdir %s: %s", cg, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	ret = write_file(path, "16777216");
	if (ret) {
		fail("setting %s: %s", path, strerror(-ret));
		rmdir(cg);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/memory.events", cg);
	oom0 = read_ll(path, "oom_kill");
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(cgroup_child(cg));
	waitpid(pid, &status, 0);
	oom1 = read_ll(path, "oom_kill");
	if (WIFSIGNALED(status))
		fail("the allocating process was killed by signal %d (%s)%s",
		     WTERMSIG(status), strsignal(WTERMSIG(status)),
		     oom1 > oom0 ? ": the memory cgroup's OOM killer, where "
		     "ENOMEM was due" : "");
	else if (WEXITSTATUS(status))
		failures++;
	check(oom1 == oom0, "no OOM kill in the cgroup (memory.events "
	      "oom_kill %lld)", oom1);
	if (rmdir(cg))
		fail("rmdir %s: %s", cg, strerror(errno));
	expect_gauges_zero(2000, "after the cgroup test");
	return failures ? 1 : 0;
}

/* ---- threads ---- */

struct shared {
	int pool;		/* one pool every thread exports from */
	uint32_t count;
	_Atomic unsigned long ino[16][2];
	_Atomic int handoff;	/* a dma-buf fd passed between threads */
	_Atomic unsigned long ops, creates, exports, maps, handoffs;
	_Atomic unsigned int errors;
	double deadline;
	uint64_t size;
};

static struct shared sh;

static void terr(const char *what, int err)
{
	if (atomic_fetch_add(&sh.errors, 1) < 10)
		fail("thread: %s: %s", what, strerror(err));
}

static uint64_t trand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *worker(void *arg)
{
	uint64_t seed = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
	int dev = zc_open();

	if (dev < 0) {
		atomic_fetch_add(&sh.errors, 1);
		return NULL;
	}
	while (now() < sh.deadline) {
		uint32_t count = 1 + trand(&seed) % 6;
		uint64_t size = (1 + trand(&seed) % 16) * page_size;
		int pool, fds[6], ro;
		bool pool_open = true;
		void *map[6];
		uint32_t idx;
		struct stat st;

		/* Race exports of the shared pool: one dma-buf per mode. */
		idx = trand(&seed) % sh.count;
		for (int m = 0; m < 2; m++) {
			int fd = zc_export(sh.pool, idx, m ? O_RDONLY : O_RDWR);
			unsigned long expect = 0;

			if (fd < 0) {
				terr("BUF_EXPORT (shared pool)", -fd);
				continue;
			}
			fstat(fd, &st);
			if (!atomic_compare_exchange_strong(&sh.ino[idx][m],
							    &expect, st.st_ino) &&
			    expect != st.st_ino)
				terr("two dma-bufs for one buffer and mode",
				     EEXIST);
			close(fd);
			atomic_fetch_add(&sh.exports, 1);
		}

		uint64_t base = trand(&seed);

		pool = zc_create(dev, size, count,
				 trand(&seed) % 4 ? 0 : ZCAP_POOL_CONTIGUOUS);
		if (pool < 0) {
			terr("POOL_CREATE", -pool);
			continue;
		}
		atomic_fetch_add(&sh.creates, 1);
		for (uint32_t i = 0; i < count; i++) {
			fds[i] = zc_export(pool, i, O_RDWR);
			map[i] = MAP_FAILED;
			if (fds[i] < 0) {
				terr("BUF_EXPORT", -fds[i]);
				continue;
			}
			map[i] = mmap(NULL, size, PROT_READ | PROT_WRITE,
				      MAP_SHARED, fds[i], 0);
			if (map[i] == MAP_FAILED) {
				terr("mmap", errno);
				continue;
			}
			fill(map[i], size, base + i);
			atomic_fetch_add(&sh.maps, 1);
		}
		/* Read back through a read-only dma-buf of the same buffer. */
		ro = zc_export(pool, 0, O_RDONLY);
		if (ro >= 0 && map[0] != MAP_FAILED) {
			void *r = mmap(NULL, size, PROT_READ, MAP_SHARED, ro, 0);

			if (r == MAP_FAILED)
				terr("mmap (read-only)", errno);
			else if (verify(r, size, base) >= 0)
				terr("data differs between mappings", EIO);
			if (r != MAP_FAILED)
				munmap(r, size);
		}
		if (ro >= 0)
			close(ro);
		/* Close in a random order: the pool first, or last. */
		if (trand(&seed) % 2) {
			close(pool);
			pool_open = false;
		}
		for (uint32_t i = 0; i < count; i++) {
			if (fds[i] < 0)
				continue;
			if (i == 0 && trand(&seed) % 3 == 0) {
				/* Leave it for another thread to finish. */
				int old = atomic_exchange(&sh.handoff, fds[i]);

				if (old >= 0) {
					void *p = mmap(NULL, page_size,
						       PROT_READ, MAP_SHARED,
						       old, 0);

					if (p == MAP_FAILED)
						terr("mmap (handed off)", errno);
					else
						munmap(p, page_size);
					close(old);
					atomic_fetch_add(&sh.handoffs, 1);
				}
			} else {
				close(fds[i]);
			}
		}
		if (trand(&seed) % 2 == 0)
			sleep_ms(0);
		for (uint32_t i = 0; i < count; i++)
			if (map[i] != MAP_FAILED) {
				if (verify(map[i], size, base + i) >= 0)
					terr("mapping lost its data", EIO);
				munmap(map[i], size);
			}
		if (pool_open)
			close(pool);
		atomic_fetch_add(&sh.ops, 1);
	}
	close(dev);
	return NULL;
}

static int cmd_threads(int argc, char **argv)
{
	unsigned int n = argc > 1 ? strtoul(argv[1], NULL, 0) : 8;
	double secs = argc > 2 ? strtod(argv[2], NULL) : 10;
	pthread_t tid[64];
	struct stats s;
	int dev, left;

	if (n < 1 || n > 64) {
		fprintf(stderr, "threads N(1..64) SECONDS\n");
		return 2;
	}
	dev = zc_open();
	if (dev < 0)
		return 1;
	sh.count = 16;
	sh.pool = zc_create(dev, 64 * 1024, sh.count, 0);
	close(dev);
	if (sh.pool < 0) {
		fail("POOL_CREATE (shared): %s", strerror(-sh.pool));
		return 1;
	}
	sh.handoff = -1;
	sh.deadline = now() + secs;
	for (unsigned int i = 0; i < n; i++)
		if (pthread_create(&tid[i], NULL, worker, (void *)(uintptr_t)(i + 1))) {
			fail("pthread_create");
			return 1;
		}
	sleep_ms(secs * 500);
	s = stats_now();
	for (unsigned int i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	say("did: %u threads for %.0f s: %lu rounds, %lu pools created, %lu "
	    "dma-buf exports, %lu buffers mapped, written and read back, %lu "
	    "dma-bufs handed between threads", n, secs, sh.ops, sh.creates,
	    sh.exports + sh.maps, sh.maps, sh.handoffs);
	say("mid-run gauges: pools %" PRId64 ", buffers %" PRId64 ", dmabufs %"
	    PRId64 ", mmaps %" PRId64, s.v[S_POOLS], s.v[S_BUFFERS],
	    s.v[S_DMABUFS], s.v[S_MMAPS]);
	check(!sh.errors, "no call failed and no data differed (%u errors)",
	      sh.errors);
	check(sh.ops > n, "every thread made progress (%lu rounds)", sh.ops);
	left = atomic_exchange(&sh.handoff, -1);
	if (left >= 0)
		close(left);
	close(sh.pool);
	expect_gauges_zero(2000, "after every thread closed everything");
	return failures ? 1 : 0;
}

/* ---- regressions: fixed inputs for what the fuzzer found ---- */

/* A failed BUF_EXPORT must leave neither a count in the pool nor a dma-buf. */
static void check_no_export(int pool, const struct stats *before)
{
	struct zcap_pool_info info;
	struct stats after;

	zc_info(pool, &info);
	after = stats_now();
	check(info.exported == 0, "POOL_INFO exported is %u (0 wanted)",
	      info.exported);
	check(after.v[S_DMABUFS] == before->v[S_DMABUFS] &&
	      after.v[S_DMABUFS_EXPORTED] == before->v[S_DMABUFS_EXPORTED],
	      "no dma-buf was created: dmabufs %" PRId64 " -> %" PRId64
	      ", dmabufs_exported %" PRId64 " -> %" PRId64,
	      before->v[S_DMABUFS], after.v[S_DMABUFS],
	      before->v[S_DMABUFS_EXPORTED], after.v[S_DMABUFS_EXPORTED]);
}

/*
 * A BUF_EXPORT that fails must leave no trace: no dma-buf kept in the
 * pool's cache, "exported" unchanged. Found by zcap-fuzz (seed
 * 0x18eb2f3b9e19c713, op 518): with the fd table full the first export of
 * a buffer failed with EMFILE yet created and cached its dma-buf, so
 * POOL_INFO reported it exported and debugfs counted a dma-buf nobody had.
 */
static int reg_export_emfile(void)
{
	struct rlimit old, rl;
	struct stats before;
	int dev, pool, ret, filler[64], nfill = 0;

	dev = zc_open();
	if (dev < 0)
		return 1;
	pool = zc_create(dev, page_size, 1, 0);
	close(dev);
	if (pool < 0) {
		fail("POOL_CREATE: %s", strerror(-pool));
		return 1;
	}
	before = stats_now();
	getrlimit(RLIMIT_NOFILE, &old);
	rl = old;
	rl.rlim_cur = pool + 1 + 32;
	setrlimit(RLIMIT_NOFILE, &rl);
	while (nfill < 64) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			break;
		filler[nfill++] = fd;
	}
	ret = zc_export(pool, 0, O_RDWR);
	while (nfill)
		close(filler[--nfill]);
	setrlimit(RLIMIT_NOFILE, &old);
	check(ret == -EMFILE, "BUF_EXPORT with no fd left: %s",
	      ret < 0 ? strerrorname_np(-ret) : "succeeded");
	if (ret >= 0)
		close(ret);
	check_no_export(pool, &before);
	close(pool);
	return failures ? 1 : 0;
}

/*
 * The same with a reply that faults (the structure in a read-only page):
 * EFAULT, and no dma-buf kept. Found by zcap-fuzz alongside the above.
 */
static int reg_export_efault(void)
{
	struct zcap_buf_export *req;
	struct stats before;
	int dev, pool, ret;
	void *page;

	dev = zc_open();
	if (dev < 0)
		return 1;
	pool = zc_create(dev, page_size, 1, 0);
	close(dev);
	if (pool < 0) {
		fail("POOL_CREATE: %s", strerror(-pool));
		return 1;
	}
	page = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		fail("mmap: %s", strerror(errno));
		return 1;
	}
	req = page;
	memset(req, 0, sizeof(*req));
	req->flags = O_RDWR;
	mprotect(page, page_size, PROT_READ);
	before = stats_now();
	ret = ioctl(pool, ZCAP_IOC_BUF_EXPORT, req) ? -errno : 0;
	check(ret == -EFAULT, "BUF_EXPORT with a read-only reply: %s",
	      ret < 0 ? strerrorname_np(-ret) : "succeeded");
	check_no_export(pool, &before);
	munmap(page, page_size);
	close(pool);
	return failures ? 1 : 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
	const char *what;
} regressions[] = {
	{ "export-emfile-no-trace", reg_export_emfile,
	  "BUF_EXPORT failing with EMFILE leaves no dma-buf behind" },
	{ "export-efault-no-trace", reg_export_efault,
	  "BUF_EXPORT failing with EFAULT leaves no dma-buf behind" },
};

#define NREG (sizeof(regressions) / sizeof(regressions[0]))

/* "regress" lists the cases; "regress NAME..." runs them. */
static int cmd_regress(int argc, char **argv)
{
	int status = 0;

	if (argc < 2) {
		for (size_t i = 0; i < NREG; i++)
			printf("%s\t%s\n", regressions[i].name,
			       regressions[i].what);
		return 0;
	}
	for (int a = 1; a < argc; a++) {
		size_t i;

		for (i = 0; i < NREG; i++)
			if (!strcmp(argv[a], regressions[i].name))
				break;
		if (i == NREG) {
			fprintf(stderr, "no regression case '%s'\n", argv[a]);
			return 2;
		}
		say("case %s: %s", regressions[i].name, regressions[i].what);
		failures = 0;
		if (regressions[i].fn())
			status = 1;
		if (!expect_gauges_zero(2000, "after the case"))
			status = 1;
	}
	return status;
}

/* Commands that take no arguments ignore the ones they are given. */
#define NOARGS(fn) \
	static int fn##_args(int argc, char **argv) \
	{ \
		(void)argc; \
		(void)argv; \
		return fn(); \
	}
NOARGS(cmd_smoke)
NOARGS(cmd_rmmod)
NOARGS(cmd_vgem)
NOARGS(cmd_cap)
NOARGS(cmd_cgroup)

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "hold", cmd_hold,
	  "hold pool|dmabuf|mmap   keep one reference, print ready, wait" },
	{ "smoke", cmd_smoke_args,
	  "smoke                   create, export, map, write, read back" },
	{ "rmmod", cmd_rmmod_args,
	  "rmmod                   zcap must refuse to unload" },
	{ "closepool", cmd_closepool,
	  "closepool DEV           close the pool fd while vivid streams" },
	{ "vgem", cmd_vgem_args,
	  "vgem                    vgem holds a dma-buf after its creator exits" },
	{ "cap", cmd_cap_args,
	  "cap                     the max_total_bytes cap" },
	{ "cgroup", cmd_cgroup_args,
	  "cgroup                  a cgroup v2 memory.max under the pool size" },
	{ "cgroup-scan", cmd_cgroup_scan,
	  "cgroup-scan [SIZE COUNT]  memory.max stepped a page at a time" },
	{ "killcreate", cmd_killcreate,
	  "killcreate contig|scattered [SIZE COUNT]  SIGKILL mid-POOL_CREATE" },
	{ "failsweep", cmd_failsweep,
	  "failsweep [OP...]       fail each allocation in turn (debug kernel)" },
	{ "threads", cmd_threads,
	  "threads N SECONDS       concurrent create/export/map/close" },
	{ "capture", cmd_capture,
	  "capture DEV FRAMES [WxH]  raw V4L2 DMABUF capture (0 frames: until killed)" },
	{ "disconnect", cmd_disconnect,
	  "disconnect DEV          press vivid's Disconnect control" },
	{ "regress", cmd_regress,
	  "regress [NAME...]       list or run the fuzzer's regression cases" },
};

static void usage(void)
{
	fputs("usage: zcap-faults COMMAND [ARGS]\n", stderr);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  %s\n", commands[i].help);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	usage();
	return 2;
}
