// SPDX-License-Identifier: GPL-2.0
/*
 * The fault-injection sweep (debug kernel only: CONFIG_FAULT_INJECTION,
 * FAILSLAB, FAIL_PAGE_ALLOC and the stack-trace filter).
 *
 *   failsweep [OP...]   for each operation, fail its Nth allocation made
 *                       with zcap on the stack, N = 1, 2, ... until a run
 *                       completes with no failure injected
 *
 * /proc/thread-self/fail-nth makes the Nth allocation of this thread that
 * passes the fault attributes' filters fail; the filters are set (by
 * failsweep_setup) to both failslab and fail_page_alloc, every GFP
 * (sleeping, highmem, any order), and a stack trace through zcap.ko's
 * text: so N counts exactly the slab and page allocations zcap makes,
 * itself or through the VFS, the dma-buf core and mm on its behalf.
 * Each run must end in success or a clean errno, leave every gauge as it
 * was, and the same operation without a fault must work right after.
 * The rig fails the suite on any WARNING, and on the debug kernel on any
 * KASAN, lockdep or kmemleak report.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libdrm/drm.h>
#include <linux/videodev2.h>
#include <linux/zcap.h>

#include "../common/vgem.h"
#include "faults.h"

#define DBG		"/sys/kernel/debug"
#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAX_NTH		2000
#define BUF_SIZE	(64 << 10)

struct sweep {
	int dev;		/* /dev/zcap */
	int drm;		/* vgem, or -1 */
	int vfd;		/* a vivid capture node with vb2-vmalloc, or -1 */
	/* What one run made, for its undo. */
	int pool, fd;
	uint32_t handle;
	void *map;
	bool vivid_bufs;	/* REQBUFS gave the queue buffers */
};

/*
 * One operation: prep makes what the call needs (no fault armed), call is
 * the step a fault lands in (0 or -errno), undo releases everything.
 */
struct sweep_op {
	const char *name;
	const char *what;
	int (*prep)(struct sweep *s);
	int (*call)(struct sweep *s);
	/* Errnos the call may answer with besides ENOMEM. */
	int also[3];
	bool needs_drm, needs_vivid;
};

static int prep_none(struct sweep *s)
{
	(void)s;
	return 0;
}

/* A pool of one buffer of @size and, with @export, its read-write dma-buf. */
static int prep_buffer(struct sweep *s, uint64_t size, bool export)
{
	s->pool = zc_create(s->dev, size, 1, 0);
	if (s->pool < 0 || !export)
		return s->pool < 0 ? s->pool : 0;
	s->fd = zc_export(s->pool, 0, O_RDWR | O_CLOEXEC);
	return s->fd < 0 ? s->fd : 0;
}

static int prep_pool(struct sweep *s)
{
	return prep_buffer(s, BUF_SIZE, false);
}

static int prep_dmabuf(struct sweep *s)
{
	return prep_buffer(s, BUF_SIZE, true);
}

static int prep_vivid(struct sweep *s)
{
	struct v4l2_requestbuffers rb = {
		.count = 1, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	int ret;

	if (ioctl(s->vfd, VIDIOC_G_FMT, &fmt))
		return -errno;
	ret = prep_buffer(s, fmt.fmt.pix.sizeimage, true);
	if (ret)
		return ret;
	ret = ioctl(s->vfd, VIDIOC_REQBUFS, &rb) ? -errno : 0;
	s->vivid_bufs = !ret;
	return ret ? ret : rb.count >= 1 ? 0 : -ENOBUFS;
}

static int call_create(struct sweep *s)
{
	s->pool = zc_create(s->dev, BUF_SIZE, 2, 0);
	return s->pool < 0 ? s->pool : 0;
}

static int call_create_contig(struct sweep *s)
{
	s->pool = zc_create(s->dev, BUF_SIZE, 2, ZCAP_POOL_CONTIGUOUS);
	return s->pool < 0 ? s->pool : 0;
}

static int call_export(struct sweep *s)
{
	s->fd = zc_export(s->pool, 0, O_RDWR | O_CLOEXEC);
	return s->fd < 0 ? s->fd : 0;
}

/*
 * 8 MiB, so that remap_pfn_range() needs page tables of its own (a PTE page
 * per 2 MiB) rather than finding them there.
 */
#define MAP_BUF_SIZE	(8 << 20)

static int prep_big_dmabuf(struct sweep *s)
{
	return prep_buffer(s, MAP_BUF_SIZE, true);
}

static int call_mmap(struct sweep *s)
{
	s->map = mmap(NULL, MAP_BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      s->fd, 0);
	if (s->map == MAP_FAILED) {
		s->map = NULL;
		return -errno;
	}
	return 0;
}

/* vgem's PRIME import: zcap's attach and map_dma_buf. */
static int call_import(struct sweep *s)
{
	struct drm_prime_handle h = { .fd = s->fd };

	if (ioctl(s->drm, DRM_IOCTL_PRIME_FD_TO_HANDLE, &h))
		return -errno;
	s->handle = h.handle;
	return 0;
}

/* vb2-vmalloc's QBUF of a dma-buf: zcap's vmap. */
static int call_qbuf(struct sweep *s)
{
	struct v4l2_buffer b = {
		.index = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF, .m.fd = s->fd,
	};

	return ioctl(s->vfd, VIDIOC_QBUF, &b) ? -errno : 0;
}

static void undo(struct sweep *s)
{
	if (s->vivid_bufs) {
		struct v4l2_requestbuffers rb = {
			.count = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_DMABUF,
		};

		ioctl(s->vfd, VIDIOC_REQBUFS, &rb);
		s->vivid_bufs = false;
	}
	if (s->handle) {
		struct drm_gem_close gc = { .handle = s->handle };

		ioctl(s->drm, DRM_IOCTL_GEM_CLOSE, &gc);
		s->handle = 0;
	}
	if (s->map)
		munmap(s->map, MAP_BUF_SIZE);
	s->map = NULL;
	if (s->fd >= 0)
		close(s->fd);
	if (s->pool >= 0)
		close(s->pool);
	s->fd = -1;
	s->pool = -1;
}

static const struct sweep_op ops[] = {
	{ "create", "POOL_CREATE, 2 scattered buffers", prep_none,
	  call_create, { 0 }, false, false },
	{ "create-contig", "POOL_CREATE, 2 contiguous buffers", prep_none,
	  call_create_contig, { 0 }, false, false },
	{ "export", "BUF_EXPORT of a new buffer", prep_pool, call_export,
	  { 0 }, false, false },
	{ "mmap", "mmap() of an 8 MiB dma-buf", prep_big_dmabuf, call_mmap,
	  { EAGAIN }, false, false },
	{ "attach-map", "vgem PRIME import: attach and map_dma_buf",
	  prep_dmabuf, call_import, { 0 }, true, false },
	{ "vmap", "vivid (vb2-vmalloc) QBUF: vmap", prep_vivid, call_qbuf,
	  { EFAULT, EINVAL }, false, true },
};

#define NOPS (sizeof(ops) / sizeof(ops[0]))

static int fail_nth_set(unsigned int n)
{
	char v[16];

	snprintf(v, sizeof(v), "%u", n);
	return write_file(FAIL_NTH, v);
}

static bool errno_allowed(const struct sweep_op *op, int err)
{
	if (!err || err == -ENOMEM)
		return true;
	for (size_t i = 0; i < sizeof(op->also) / sizeof(op->also[0]); i++)
		if (op->also[i] && err == -op->also[i])
			return true;
	return false;
}

/* One run with the Nth allocation failed (0: none). 1: no fault landed. */
static int run_once(struct sweep *s, const struct sweep_op *op,
		    unsigned int nth, int *result)
{
	long long left;
	int ret;

	ret = op->prep(s);
	if (ret) {
		fail("%s: preparing: %s", op->name, strerror(-ret));
		undo(s);
		return -1;
	}
	if (nth && fail_nth_set(nth)) {
		fail("writing %s: %s", FAIL_NTH, strerror(errno));
		undo(s);
		return -1;
	}
	*result = op->call(s);
	left = nth ? read_ll(FAIL_NTH, NULL) : 0;
	fail_nth_set(0);
	undo(s);
	return left > 0;
}

/* Sweep one operation; true when every run held. */
static bool sweep_op(struct sweep *s, const struct sweep_op *op)
{
	unsigned int nth, errs = 0, oks = 0, bad = 0;
	struct stats before = stats_now();
	int result, clean;

	for (nth = 1; nth <= MAX_NTH; nth++) {
		clean = run_once(s, op, nth, &result);
		if (clean < 0)
			return false;
		if (clean)
			break;
		if (!errno_allowed(op, result) && !bad++)
			fail("%s: allocation %u failed: the call answered %s",
			     op->name, nth, strerror(-result));
		result ? errs++ : oks++;
		if (memcmp(stats_now().v, before.v, sizeof(before.v[0]) * S_GAUGES) &&
		    !bad++)
			fail("%s: allocation %u failed: gauges moved", op->name,
			     nth);
		if (run_once(s, op, 0, &result) < 0 || result) {
			if (!bad++)
				fail("%s: the call after allocation %u failed "
				     "did not work: %s", op->name, nth,
				     strerror(-result));
		}
	}
	/* A sweep that failed nothing proved nothing. */
	return check(nth <= MAX_NTH && nth > 1 && !bad,
		     "%s (%s): %u allocations made with zcap on the stack, "
		     "each failed once: %u calls failed cleanly (ENOMEM or "
		     "as the caller maps it), %u recovered and succeeded, "
		     "every next call worked, gauges unchanged",
		     op->name, op->what, nth - 1, errs, oks);
}

/* Point both fault attributes at allocations made with zcap on the stack. */
static int failsweep_setup(void)
{
	static const char *const attrs[] = { "failslab", "fail_page_alloc" };
	unsigned long long base, size;
	char line[256], name[64], path[128], v[32];
	bool found = false;
	FILE *f = fopen("/proc/modules", "re");

	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%63s %llu %*s %*s %*s %llx", name, &size,
			       &base) == 3 && !strcmp(name, "zcap");
	if (f)
		fclose(f);
	if (!found || !base) {
		fail("zcap's address range is not in /proc/modules");
		return -1;
	}
	for (size_t i = 0; i < 2; i++) {
		/* Each attribute has only some of these. */
		static const char *const set[][2] = {
			{ "probability", "0" }, { "verbose", "0" },
			{ "ignore-gfp-wait", "N" }, { "ignore-gfp-highmem", "N" },
			{ "min-order", "0" }, { "cache-filter", "N" },
		};

		for (size_t k = 0; k < sizeof(set) / sizeof(set[0]); k++) {
			snprintf(path, sizeof(path), DBG "/%s/%s", attrs[i],
				 set[k][0]);
			if (!access(path, F_OK) && write_file(path, set[k][1]))
				goto err;
		}
		snprintf(path, sizeof(path), DBG "/%s/require-start", attrs[i]);
		snprintf(v, sizeof(v), "%llu", base);
		if (write_file(path, v))
			goto err;
		snprintf(path, sizeof(path), DBG "/%s/require-end", attrs[i]);
		snprintf(v, sizeof(v), "%llu", base + size);
		if (write_file(path, v))
			goto err;
	}
	say("did: failslab and fail_page_alloc filtered to zcap.ko at "
	    "%#llx-%#llx, every GFP and order", base, base + size);
	return 0;
err:
	fail("setting %s: %s", path, strerror(errno));
	return -1;
}

static int open_vivid_vmalloc(void)
{
	for (int i = 0; i < 64; i++) {
		struct v4l2_capability cap;
		char dev[32];
		int fd;

		snprintf(dev, sizeof(dev), "/dev/video%d", i);
		fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!ioctl(fd, VIDIOC_QUERYCAP, &cap) &&
		    !strcmp((char *)cap.driver, "vivid") &&
		    (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE))
			return fd;
		close(fd);
	}
	return -1;
}

int cmd_failsweep(int argc, char **argv)
{
	struct sweep s = { .pool = -1, .fd = -1 };

	if (access(FAIL_NTH, W_OK)) {
		fail("%s: %s: this kernel has no fault injection (make "
		     "check-debug)", FAIL_NTH, strerror(errno));
		return 1;
	}
	if (failsweep_setup())
		return 1;
	s.dev = zc_open();
	if (s.dev < 0)
		return 1;
	s.drm = open_vgem();
	s.vfd = open_vivid_vmalloc();
	for (size_t i = 0; i < NOPS; i++) {
		const struct sweep_op *op = &ops[i];
		bool asked = argc < 2;

		for (int a = 1; a < argc; a++)
			asked |= !strcmp(argv[a], op->name);
		if (!asked)
			continue;
		if ((op->needs_drm && s.drm < 0) || (op->needs_vivid && s.vfd < 0)) {
			fail("%s: no %s device", op->name,
			     op->needs_drm ? "vgem" : "vivid capture");
			continue;
		}
		sweep_op(&s, op);
	}
	close(s.dev);
	expect_gauges_zero(2000, "after the sweep");
	return failures ? 1 : 0;
}
