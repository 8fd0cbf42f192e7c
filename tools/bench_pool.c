// SPDX-License-Identifier: GPL-2.0
/*
 * Pool creation: how long each provider takes to hand out `count` dma-bufs
 * of one size, memory allocated, and how many sg entries the buffers have.
 *
 *   zcap      ZCAP_IOC_POOL_CREATE, then ZCAP_IOC_BUF_EXPORT per buffer
 *   dma-heap  DMA_HEAP_IOCTL_ALLOC per buffer on /dev/dma_heap/system
 *   udmabuf   memfd_create + ftruncate + F_SEAL_SHRINK, then
 *             UDMABUF_CREATE per buffer (udmabuf pins, and so allocates,
 *             the memfd's pages as it creates the dma-buf)
 *
 * Opening the provider's device is not timed (a program does it once);
 * everything after it until the last dma-buf fd exists is. Each provider's
 * pages come zeroed, so the three do the same work. zcap-bench interleaves
 * the providers, one creation of each in turn, so that a drift in the
 * machine's load touches all three alike.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <linux/zcap.h>

#include "bench.h"

#define MAX_COUNT 64

static const char *const devs[BENCH_N_POOLS] = {
	[BENCH_POOL_ZCAP] = "/dev/zcap",
	[BENCH_POOL_HEAP] = "/dev/dma_heap/system",
	[BENCH_POOL_UDMABUF] = "/dev/udmabuf",
};

const char *bench_pool_name(enum bench_provider p)
{
	static const char *const names[BENCH_N_POOLS] = {
		[BENCH_POOL_ZCAP] = "zcap",
		[BENCH_POOL_HEAP] = "dma-heap",
		[BENCH_POOL_UDMABUF] = "udmabuf",
	};

	return p < BENCH_N_POOLS ? names[p] : "?";
}

static int fail(char *note, const char *what)
{
	int err = errno;

	bench_note(note, "%s: %s", what, strerror(err));
	return -err;
}

/* Make @count dma-bufs in @fds; *pool gets what else must be closed. */
static int make_bufs(enum bench_provider p, int dev, uint64_t size, uint32_t count,
		     int *fds, int *pool, char *note)
{
	struct dma_heap_allocation_data hd;
	struct udmabuf_create uc;
	struct zcap_pool_create pc;
	struct zcap_buf_export ex;
	uint32_t i;
	int fd;

	switch (p) {
	case BENCH_POOL_ZCAP:
		memset(&pc, 0, sizeof(pc));
		pc.buffer_size = size;
		pc.count = count;
		pc.fd_flags = O_CLOEXEC;
		if (ioctl(dev, ZCAP_IOC_POOL_CREATE, &pc) < 0)
			return fail(note, "ZCAP_IOC_POOL_CREATE");
		*pool = pc.pool_fd;
		for (i = 0; i < count; i++) {
			memset(&ex, 0, sizeof(ex));
			ex.index = i;
			ex.flags = O_RDWR | O_CLOEXEC;
			if (ioctl(*pool, ZCAP_IOC_BUF_EXPORT, &ex) < 0)
				return fail(note, "ZCAP_IOC_BUF_EXPORT");
			fds[i] = ex.fd;
		}
		return 0;
	case BENCH_POOL_HEAP:
		for (i = 0; i < count; i++) {
			memset(&hd, 0, sizeof(hd));
			hd.len = size;
			hd.fd_flags = O_RDWR | O_CLOEXEC;
			if (ioctl(dev, DMA_HEAP_IOCTL_ALLOC, &hd) < 0)
				return fail(note, "DMA_HEAP_IOCTL_ALLOC");
			fds[i] = (int)hd.fd;
		}
		return 0;
	case BENCH_POOL_UDMABUF:
		fd = memfd_create("zcap-bench", MFD_ALLOW_SEALING | MFD_CLOEXEC);
		if (fd < 0)
			return fail(note, "memfd_create");
		*pool = fd;
		if (ftruncate(fd, (off_t)(size * count)) < 0 ||
		    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
			return fail(note, "memfd ftruncate/F_ADD_SEALS");
		for (i = 0; i < count; i++) {
			memset(&uc, 0, sizeof(uc));
			uc.memfd = (uint32_t)fd;
			uc.flags = UDMABUF_FLAGS_CLOEXEC;
			uc.offset = size * i;
			uc.size = size;
			fds[i] = ioctl(dev, UDMABUF_CREATE, &uc);
			if (fds[i] < 0) {
				fds[i] = -1;
				return fail(note, "UDMABUF_CREATE");
			}
		}
		return 0;
	default:
		return -EINVAL;
	}
}

static void free_bufs(int *fds, uint32_t count, int *pool)
{
	uint32_t i;

	for (i = 0; i < count; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
	if (*pool >= 0)
		close(*pool);
	*pool = -1;
}

static void __attribute__((format(printf, 3, 4)))
pool_fail(struct bench_pool_result *r, enum bench_status st, const char *fmt, ...)
{
	va_list ap;

	r->status = st;
	va_start(ap, fmt);
	vsnprintf(r->note, sizeof(r->note), fmt, ap);
	va_end(ap);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int bench_pool_begin(enum bench_provider p, uint64_t size, uint32_t count,
		     uint32_t reps, struct bench_pool_result *r)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->provider = p;
	r->dev = -1;
	r->buffer_size = size;
	r->count = count;
	if (p >= BENCH_N_POOLS || !count || count > MAX_COUNT || !reps) {
		pool_fail(r, BENCH_FAILED, "invalid pool test");
		return -EINVAL;
	}
	r->ms = calloc(reps, sizeof(*r->ms));
	if (!r->ms) {
		pool_fail(r, BENCH_FAILED, "out of memory");
		return -ENOMEM;
	}
	r->dev = open(devs[p], O_RDWR | O_CLOEXEC);
	if (r->dev < 0) {
		ret = -errno;
		if (ret == -ENOENT && p != BENCH_POOL_ZCAP) {
			const char *opt = p == BENCH_POOL_UDMABUF ? "CONFIG_UDMABUF" :
					  "CONFIG_DMABUF_HEAPS_SYSTEM";

			if (bench_kernel_config(opt) == 0)
				pool_fail(r, BENCH_NA, "%s: this kernel is built without it (%s is not set)",
					  devs[p], opt);
			else
				pool_fail(r, BENCH_NA, "%s does not exist", devs[p]);
			return 0;
		}
		pool_fail(r, BENCH_FAILED, "%s: %s", devs[p], strerror(-ret));
		return ret;
	}
	r->status = BENCH_OK;
	return 0;
}

int bench_pool_rep(struct bench_pool_result *r)
{
	struct zcap_pool_info info;
	int fds[MAX_COUNT], pool = -1;
	uint32_t i;
	int64_t t0;
	int ret;

	if (r->status != BENCH_OK)
		return 0;
	for (i = 0; i < r->count; i++)
		fds[i] = -1;
	t0 = bench_now_ns();
	ret = make_bufs(r->provider, r->dev, r->buffer_size, r->count, fds, &pool, r->note);
	r->ms[r->reps] = (double)(bench_now_ns() - t0) / 1e6;
	if (ret < 0) {
		r->status = BENCH_FAILED;
		free_bufs(fds, r->count, &pool);
		return ret;
	}
	/* Not timed: what the buffers are made of. */
	if (!r->reps) {
		r->have_sg = bench_kernel_sg_entries(fds, r->count, &r->sg_total, &r->sg_max,
						     r->sg_note, sizeof(r->sg_note)) == 0;
		memset(&info, 0, sizeof(info));
		if (r->provider == BENCH_POOL_ZCAP &&
		    ioctl(pool, ZCAP_IOC_POOL_INFO, &info) == 0) {
			r->have_info_sg = true;
			r->info_sg_total = info.sg_entries;
			r->info_sg_max = info.max_sg_entries;
		}
	}
	r->reps++;
	free_bufs(fds, r->count, &pool);
	return 0;
}

void bench_pool_end(struct bench_pool_result *r)
{
	if (r->dev >= 0)
		close(r->dev);
	r->dev = -1;
	if (r->status == BENCH_OK && r->reps) {
		qsort(r->ms, r->reps, sizeof(*r->ms), cmp_double);
		r->ms_min = r->ms[0];
		r->ms_max = r->ms[r->reps - 1];
		r->ms_median = r->ms[r->reps / 2];
	}
	free(r->ms);
	r->ms = NULL;
}
