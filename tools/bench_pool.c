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
 * pages come zeroed, so the three do the same work.
 */
#include <errno.h>
#include <fcntl.h>
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int bench_pool(enum bench_provider p, uint64_t size, uint32_t count,
	       uint32_t reps, struct bench_pool_result *r)
{
	struct zcap_pool_info info;
	int fds[MAX_COUNT], pool = -1, dev;
	double *ms;
	uint32_t i, rep;
	int64_t t0;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	r->buffer_size = size;
	r->count = count;
	if (p >= BENCH_N_POOLS || !count || count > MAX_COUNT || !reps)
		return -EINVAL;
	for (i = 0; i < count; i++)
		fds[i] = -1;

	dev = open(devs[p], O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		ret = -errno;
		if (ret == -ENOENT && p != BENCH_POOL_ZCAP) {
			r->status = BENCH_NA;
			bench_note(r->note, "%s does not exist on this kernel", devs[p]);
			return 0;
		}
		r->status = BENCH_FAILED;
		bench_note(r->note, "%s: %s", devs[p], strerror(-ret));
		return ret;
	}
	ms = calloc(reps, sizeof(*ms));
	if (!ms) {
		close(dev);
		r->status = BENCH_FAILED;
		bench_note(r->note, "out of memory");
		return -ENOMEM;
	}
	for (rep = 0; rep < reps; rep++) {
		t0 = bench_now_ns();
		ret = make_bufs(p, dev, size, count, fds, &pool, r->note);
		ms[rep] = (double)(bench_now_ns() - t0) / 1e6;
		if (ret < 0)
			break;
		if (rep == 0) {
			r->have_sg = bench_kernel_sg_entries(fds, count, &r->sg_total,
							     &r->sg_max, r->sg_note,
							     sizeof(r->sg_note)) == 0;
			memset(&info, 0, sizeof(info));
			if (p == BENCH_POOL_ZCAP && ioctl(pool, ZCAP_IOC_POOL_INFO, &info) == 0) {
				r->have_info_sg = true;
				r->info_sg_total = info.sg_entries;
				r->info_sg_max = info.max_sg_entries;
			}
		}
		free_bufs(fds, count, &pool);
	}
	free_bufs(fds, count, &pool);
	close(dev);
	if (ret < 0) {
		r->status = BENCH_FAILED;
		free(ms);
		return ret;
	}
	r->reps = reps;
	qsort(ms, reps, sizeof(*ms), cmp_double);
	r->ms_min = ms[0];
	r->ms_max = ms[reps - 1];
	r->ms_median = ms[reps / 2];
	free(ms);
	r->status = BENCH_OK;
	return 0;
}
