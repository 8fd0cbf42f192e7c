// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for zcap.ko against Documentation/abi.md: pools and their
 * dma-bufs, every documented errno, object lifetimes in any close order,
 * import by vgem (PRIME) and by vivid (V4L2_MEMORY_DMABUF, vb2-vmalloc and
 * vb2-dma-contig), and concurrency.
 *
 * Every fixture snapshots the live debugfs gauges before a test and checks,
 * from the parent once the test process is gone, that the test left none
 * of them moved.
 *
 * Run as root with zcap loaded and debugfs mounted.  ZCAP_TEST_REQUIRE=
 * "zcap,vgem,vivid" turns a missing zcap module, vgem or vivid device into
 * a failure instead of a skip (the VM suite loads all three).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>
#include <xf86drm.h>

#include "kselftest_harness.h"
#include "zcap_devices.h"
#include "zcap_test.h"
#include "zcap_util.h"

static uint32_t pattern_word(uint32_t seed, size_t i)
{
	return (seed << 24) ^ (uint32_t)(i * 2654435761u);
}

static void fill_pattern(void *p, size_t len, uint32_t seed)
{
	uint32_t *w = p;
	size_t i;

	for (i = 0; i < len / 4; i++)
		w[i] = pattern_word(seed, i);
}

/* Index of the first word that differs, or len / 4 when all match. */
static size_t check_pattern(const void *p, size_t len, uint32_t seed,
			    size_t first_word)
{
	const uint32_t *w = p;
	size_t i;

	for (i = 0; i < len / 4; i++)
		if (w[i] != pattern_word(seed, first_word + i))
			return i;
	return len / 4;
}

static ino_t fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/* ------------------------------------------------------------------ */

FIXTURE(zcap) {
	struct zt_base base;
	int dev;
	size_t page;
	struct zcap_version ver;
};

FIXTURE_SETUP(zcap)
{
	if (!base_setup(_metadata, &self->base))
		return;
	self->page = (size_t)sysconf(_SC_PAGESIZE);
	self->dev = zt_open_dev();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", ZT_DEV_PATH,
				       strerror(-self->dev));
	ASSERT_EQ(0, zt_version(self->dev, &self->ver));
}

FIXTURE_TEARDOWN_PARENT(zcap)
{
	base_check(_metadata, &self->base);
}

TEST_F(zcap, version)
{
	struct zcap_version ver;

	uint64_t ram;

	version_check(_metadata, self->dev, self->page, &ver);
	/*
	 * Documented defaults, derived from the machine's memory; the suite
	 * loads zcap without parameters. A 1 GiB guest gets 256 and 512 MiB.
	 */
	ASSERT_EQ(0, zt_ram_bytes(&ram));
	EXPECT_EQ(ram / 4 < 1024 * MiB ? ram / 4 : 1024 * MiB,
		  ver.max_pool_bytes);
	EXPECT_EQ(ram / 2 < 4096 * MiB ? ram / 2 : 4096 * MiB,
		  ver.max_total_bytes);
	/* The buddy allocator's largest block: a power-of-two of pages. */
	EXPECT_EQ(0, ver.max_contig_bytes & (ver.max_contig_bytes - 1));
#ifdef __x86_64__
	EXPECT_EQ(4 * MiB, ver.max_contig_bytes);
#endif
}

TEST_F(zcap, export_mmap_readback)
{
	const uint32_t count = 3;
	const size_t asked = 5 * self->page + 123;
	const size_t size = 6 * self->page;
	struct zcap_buf_export ea, eb;
	struct zcap_pool_info info;
	ino_t ino[3];
	uint32_t i, j;
	int pool;

	pool = zt_pool_create(self->dev, asked, count, 0);
	ASSERT_LE(0, pool) TH_LOG("POOL_CREATE: %s", strerror(-pool));
	ASSERT_EQ(0, zt_pool_info(pool, &info));
	ASSERT_EQ(size, info.buffer_size);

	for (i = 0; i < count; i++) {
		uint8_t *rw, *ro, *part;
		int a, b;

		a = zt_export(pool, i, RW_CLOEXEC, &ea);
		ASSERT_LE(0, a) TH_LOG("BUF_EXPORT %u: %s", i, strerror(-a));
		b = zt_export(pool, i, RW_CLOEXEC, &eb);
		ASSERT_LE(0, b);
		EXPECT_NE(a, b);
		EXPECT_EQ(a, ea.fd);
		EXPECT_EQ(b, eb.fd);
		/* Two fds, one dma-buf: importers that cache by dma-buf hit. */
		ino[i] = fd_ino(a);
		EXPECT_NE(0, ino[i]);
		EXPECT_EQ(ino[i], fd_ino(b));
		EXPECT_EQ(size, ea.size);
		EXPECT_EQ(size, eb.size);
		EXPECT_LE(1, ea.sg_entries);
		EXPECT_GE(size / self->page, ea.sg_entries);
		EXPECT_EQ(ea.sg_entries, eb.sg_entries);
		/* dma-buf reports its size through SEEK_END. */
		EXPECT_EQ((off_t)size, lseek(a, 0, SEEK_END));

		rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
		ASSERT_NE(MAP_FAILED, rw) TH_LOG("mmap: %s", strerror(errno));
		fill_pattern(rw, size, i + 1);
		ASSERT_EQ(0, munmap(rw, size));

		ro = mmap(NULL, size, PROT_READ, MAP_SHARED, b, 0);
		ASSERT_NE(MAP_FAILED, ro);
		EXPECT_EQ(size / 4, check_pattern(ro, size, i + 1, 0))
			TH_LOG("buffer %u does not read back what was written", i);

		/* A mapping at an offset sees the bytes at that offset. */
		part = mmap(NULL, 2 * self->page, PROT_READ, MAP_SHARED, a,
			    (off_t)(2 * self->page));
		ASSERT_NE(MAP_FAILED, part);
		EXPECT_EQ(2 * self->page / 4,
			  check_pattern(part, 2 * self->page, i + 1,
					2 * self->page / 4));
		EXPECT_EQ(0, memcmp(part, ro + 2 * self->page,
				    2 * self->page));
		EXPECT_EQ(0, munmap(part, 2 * self->page));
		EXPECT_EQ(0, munmap(ro, size));
		EXPECT_EQ(0, close(a));
		EXPECT_EQ(0, close(b));
	}
	for (i = 0; i < count; i++)
		for (j = i + 1; j < count; j++)
			EXPECT_NE(ino[i], ino[j]);
	EXPECT_EQ(0, close(pool));
}

TEST_F(zcap, pool_info)
{
	const uint32_t count = 5;
	struct zcap_buf_export e;
	struct zcap_pool_info info;
	uint32_t i, sum = 0, max = 0;
	int pool, fd[5], ro;
	ino_t ino[5];

	pool = zt_pool_create(self->dev, 3 * self->page + 1, count, 0);
	ASSERT_LE(0, pool);
	memset(&info, 0xff, sizeof(info));
	ASSERT_EQ(0, zt_pool_info(pool, &info));
	EXPECT_EQ(4 * self->page, info.buffer_size);
	EXPECT_EQ(4 * self->page * count, info.total_bytes);
	EXPECT_EQ(count, info.count);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(0, info.exported);
	EXPECT_EQ(0, info.pad);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, info.reserved[i]) TH_LOG("reserved[%u]", i);
	EXPECT_LE(1, info.max_sg_entries);
	EXPECT_GE(4, info.max_sg_entries);
	EXPECT_LE(count, info.sg_entries);
	EXPECT_GE(count * info.max_sg_entries, info.sg_entries);

	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_POOLS));
	EXPECT_EQ(count, gauge_delta(_metadata, &self->base, ZT_BUFFERS));
	EXPECT_EQ((int64_t)(4 * self->page * count),
		  gauge_delta(_metadata, &self->base, ZT_BYTES));

	for (i = 0; i < count; i++) {
		fd[i] = zt_export(pool, i, RW_CLOEXEC, &e);
		ASSERT_LE(0, fd[i]);
		sum += e.sg_entries;
		max = e.sg_entries > max ? e.sg_entries : max;
		EXPECT_EQ(i + 1, gauge_delta(_metadata, &self->base,
					     ZT_DMABUFS));
	}
	EXPECT_EQ(info.sg_entries, sum);
	EXPECT_EQ(info.max_sg_entries, max);
	ASSERT_EQ(0, zt_pool_info(pool, &info));
	EXPECT_EQ(count, info.exported);

	/*
	 * The pool keeps each dma-buf it made, so that every later export
	 * in that mode is the same dma-buf: closing fds changes nothing.
	 */
	for (i = 0; i < count; i++) {
		ino[i] = fd_ino(fd[i]);
		EXPECT_EQ(0, close(fd[i]));
	}
	ASSERT_EQ(0, zt_pool_info(pool, &info));
	EXPECT_EQ(count, info.exported);
	EXPECT_EQ(count, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
	for (i = 0; i < count; i++) {
		fd[i] = zt_export(pool, i, RW_CLOEXEC, NULL);
		ASSERT_LE(0, fd[i]);
		EXPECT_EQ(ino[i], fd_ino(fd[i])) TH_LOG("buffer %u: a new dma-buf", i);
		EXPECT_EQ(0, close(fd[i]));
	}

	/* "exported" counts buffers, not dma-bufs: a read-only one adds none. */
	ro = zt_export(pool, 3, RO_CLOEXEC, NULL);
	ASSERT_LE(0, ro);
	ASSERT_EQ(0, zt_pool_info(pool, &info));
	EXPECT_EQ(count, info.exported);
	EXPECT_EQ(count + 1, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
	EXPECT_EQ(0, close(ro));
	EXPECT_EQ(0, close(pool));
}

/* A buffer with only a read-only dma-buf is exported too. */
TEST_F(zcap, pool_info_exported_ro)
{
	struct zcap_pool_info info;
	int pool, ro;

	pool = zt_pool_create(self->dev, self->page, 3, 0);
	ASSERT_LE(0, pool);
	ro = zt_export(pool, 2, RO_CLOEXEC, NULL);
	ASSERT_LE(0, ro);
	ASSERT_EQ(0, zt_pool_info(pool, &info));
	EXPECT_EQ(1, info.exported);
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
	EXPECT_EQ(0, close(ro));
	EXPECT_EQ(0, close(pool));
}

/*
 * Pages come zeroed even when the allocator hands back what an earlier
 * pool just filled with 0xAA and freed.
 */
TEST_F(zcap, fresh_buffers_zeroed)
{
	static const uint32_t flags[] = { 0, ZCAP_POOL_CONTIGUOUS };
	const size_t size = 64 * KiB;
	const uint32_t count = 8;
	unsigned int f, round;
	char cmdline[4096];
	uint32_t i;
	FILE *cl;

	/*
	 * With init_on_alloc (on by default in Debian's kernels) the page
	 * allocator zeroes every page itself: only a buffer recycled past
	 * it could then show old bytes.
	 */
	cl = fopen("/proc/cmdline", "re");
	if (cl) {
		if (!fgets(cmdline, sizeof(cmdline), cl) ||
		    !strstr(cmdline, "init_on_alloc=0"))
			TH_LOG("init_on_alloc may be on: %s",
			       "boot with init_on_alloc=0 to test zcap's zeroing");
		fclose(cl);
	}

	for (f = 0; f < 2; f++) {
		for (round = 0; round < 24; round++) {
			int pool, fd;
			uint8_t *p;

			pool = zt_pool_create(self->dev, size, count, flags[f]);
			ASSERT_LE(0, pool) TH_LOG("flags %u round %u: %s",
						  flags[f], round,
						  strerror(-pool));
			for (i = 0; i < count; i++) {
				fd = zt_export(pool, i, RW_CLOEXEC, NULL);
				ASSERT_LE(0, fd);
				p = mmap(NULL, size, PROT_READ | PROT_WRITE,
					 MAP_SHARED, fd, 0);
				ASSERT_NE(MAP_FAILED, p);
				ASSERT_EQ(0, zt_count_not(p, size, 0))
					TH_LOG("flags %u round %u buffer %u not zeroed",
					       flags[f], round, i);
				memset(p, 0xaa, size);
				EXPECT_EQ(0, munmap(p, size));
				EXPECT_EQ(0, close(fd));
			}
			EXPECT_EQ(0, close(pool));
		}
	}
	/* Once more with the largest contiguous block. */
	for (round = 0; round < 3; round++) {
		size_t big = self->ver.max_contig_bytes;
		int pool, fd;
		uint8_t *p;

		pool = zt_pool_create(self->dev, big, 1, ZCAP_POOL_CONTIGUOUS);
		ASSERT_LE(0, pool) TH_LOG("%zu bytes contiguous: %s", big,
					  strerror(-pool));
		fd = zt_export(pool, 0, RW_CLOEXEC, NULL);
		ASSERT_LE(0, fd);
		p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, zt_count_not(p, big, 0));
		memset(p, 0xaa, big);
		EXPECT_EQ(0, munmap(p, big));
		EXPECT_EQ(0, close(fd));
		EXPECT_EQ(0, close(pool));
	}
}

TEST_F(zcap, dma_buf_sync)
{
	static const uint64_t dirs[] = {
		DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE, DMA_BUF_SYNC_RW,
	};
	struct zt_stats before, after;
	unsigned int i;
	int pool, fd;
	uint8_t *p;

	ASSERT_EQ(0, zt_pool_export_map(self->dev, 4 * self->page, 1, 0, &pool,
					&fd, &p));

	ASSERT_EQ(0, zt_stats_read(&before));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, zt_sync(fd, DMA_BUF_SYNC_START | dirs[i]))
			TH_LOG("SYNC_START dir %llu", (unsigned long long)dirs[i]);
		p[i] = (uint8_t)i;
		EXPECT_EQ(0, zt_sync(fd, DMA_BUF_SYNC_END | dirs[i]))
			TH_LOG("SYNC_END dir %llu", (unsigned long long)dirs[i]);
	}
	ASSERT_EQ(0, zt_stats_read(&after));
	EXPECT_LE(before.v[ZT_CPU_ACCESS_CALLS] + 3,
		  after.v[ZT_CPU_ACCESS_CALLS]);

	/* No direction, an unknown bit: refused. */
	EXPECT_EQ(-EINVAL, zt_sync(fd, DMA_BUF_SYNC_START));
	EXPECT_EQ(-EINVAL, zt_sync(fd, DMA_BUF_SYNC_END));
	EXPECT_EQ(-EINVAL, zt_sync(fd, DMA_BUF_SYNC_START |
				       DMA_BUF_SYNC_RW | (1ULL << 5)));
	EXPECT_EQ(-EINVAL, zt_sync(fd, ~0ULL));

	EXPECT_EQ(0, munmap(p, 4 * self->page));
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, close(pool));
}

TEST_F(zcap, rdonly_export)
{
	const size_t size = 8 * self->page;
	uint8_t *rw, *ro;
	int pool, fdw, fdr, fdr2;

	pool = zt_pool_create(self->dev, size, 2, 0);
	ASSERT_LE(0, pool);
	fdw = zt_export(pool, 1, RW_CLOEXEC, NULL);
	ASSERT_LE(0, fdw);
	fdr = zt_export(pool, 1, RO_CLOEXEC, NULL);
	ASSERT_LE(0, fdr);
	fdr2 = zt_export(pool, 1, RO_CLOEXEC, NULL);
	ASSERT_LE(0, fdr2);
	/* One dma-buf per access mode and buffer. */
	EXPECT_NE(fd_ino(fdw), fd_ino(fdr));
	EXPECT_EQ(fd_ino(fdr), fd_ino(fdr2));
	EXPECT_EQ(O_RDONLY, fcntl(fdr, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(O_RDWR, fcntl(fdw, F_GETFL) & O_ACCMODE);

	rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fdw, 0);
	ASSERT_NE(MAP_FAILED, rw);
	fill_pattern(rw, size, 0x42);

	EXPECT_EQ(MAP_FAILED, mmap(NULL, size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fdr, 0));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, size, PROT_WRITE, MAP_SHARED, fdr2,
				   0));
	EXPECT_EQ(EACCES, errno);

	ro = mmap(NULL, size, PROT_READ, MAP_SHARED, fdr, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(size / 4, check_pattern(ro, size, 0x42, 0));
	/* Nor can the read-only mapping be made writable later. */
	EXPECT_EQ(-1, mprotect(ro, size, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	/* Writes through the rw dma-buf show through the ro one. */
	rw[size - 1] = 0x77;
	EXPECT_EQ(0x77, ro[size - 1]);

	EXPECT_EQ(0, munmap(ro, size));
	EXPECT_EQ(0, munmap(rw, size));
	EXPECT_EQ(0, close(fdr2));
	EXPECT_EQ(0, close(fdr));
	EXPECT_EQ(0, close(fdw));
	EXPECT_EQ(0, close(pool));
}

TEST_F(zcap, contiguous_pool)
{
	const size_t size = 1 * MiB + self->page;
	const uint32_t count = 4;
	struct zcap_buf_export e;
	struct zcap_pool_info info;
	uint32_t i;
	int pool;

	pool = zt_pool_create(self->dev, size, count, ZCAP_POOL_CONTIGUOUS);
	ASSERT_LE(0, pool) TH_LOG("%s", strerror(-pool));
	ASSERT_EQ(0, zt_pool_info(pool, &info));
	EXPECT_EQ(ZCAP_POOL_CONTIGUOUS, info.flags);
	EXPECT_EQ(size, info.buffer_size);
	EXPECT_EQ(count, info.sg_entries);
	EXPECT_EQ(1, info.max_sg_entries);

	/*
	 * One sg entry is only a claim: vivid's vb2-dma-contig instance
	 * checks the DMA addresses themselves (vivid.dma_contig.capture).
	 */
	for (i = 0; i < count; i++) {
		uint8_t *p;
		int fd;

		fd = zt_export(pool, i, RW_CLOEXEC, &e);
		ASSERT_LE(0, fd);
		EXPECT_EQ(1, e.sg_entries);
		EXPECT_EQ(size, e.size);
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		fill_pattern(p, size, i);
		EXPECT_EQ(size / 4, check_pattern(p, size, i, 0));
		EXPECT_EQ(0, munmap(p, size));
		EXPECT_EQ(0, close(fd));
	}
	EXPECT_EQ(0, close(pool));
}

TEST_F(zcap, fd_flags)
{
	struct zcap_pool_create args = {
		.buffer_size = self->page,
		.count = 1,
	};
	int pool, pool2, fd;

	pool = zt_pool_create_args(self->dev, &args);
	ASSERT_LE(0, pool);
	EXPECT_EQ(0, fcntl(pool, F_GETFD) & FD_CLOEXEC);
	args.fd_flags = O_CLOEXEC;
	args.pool_fd = 12345;	/* ignored on input */
	pool2 = zt_pool_create_args(self->dev, &args);
	ASSERT_LE(0, pool2);
	EXPECT_EQ(FD_CLOEXEC, fcntl(pool2, F_GETFD) & FD_CLOEXEC);

	fd = zt_export(pool, 0, O_RDWR, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, close(fd));
	fd = zt_export(pool, 0, O_RDWR | O_CLOEXEC, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, close(pool2));
	EXPECT_EQ(0, close(pool));
}

/* The mapping cannot grow and stays out of core dumps. */
TEST_F(zcap, mapping_flags)
{
	const size_t size = 4 * self->page;
	char flags[256];
	uint8_t *p, *q;
	int pool, fd;

	ASSERT_EQ(0, zt_pool_export_map(self->dev, size, 1, 0, &pool, &fd,
					&p));
	ASSERT_EQ(0, zt_vma_flags(p, flags, sizeof(flags)));
	EXPECT_TRUE(zt_vma_has_flag(flags, "sh")) TH_LOG("VmFlags:%s", flags);
	EXPECT_TRUE(zt_vma_has_flag(flags, "dd")) TH_LOG("VmFlags:%s", flags);
	EXPECT_TRUE(zt_vma_has_flag(flags, "de")) TH_LOG("VmFlags:%s", flags);

	q = mremap(p, size, 2 * size, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EFAULT, errno);
	q = mremap(p, size, 2 * size, 0);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EFAULT, errno);
	/* Shrinking is only a partial unmap. */
	p[0] = 0x11;
	q = mremap(p, size, self->page, 0);
	ASSERT_EQ(p, q);
	EXPECT_EQ(0x11, q[0]);
	EXPECT_EQ(0, munmap(q, self->page));
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, close(pool));
}

/* ---------------------------- errors ------------------------------ */

static struct zcap_pool_create good_create(size_t page)
{
	struct zcap_pool_create a = {
		.buffer_size = page,
		.count = 1,
		.fd_flags = O_CLOEXEC,
	};

	return a;
}

TEST_F(zcap, create_reserved_nonzero)
{
	struct zcap_pool_create a;
	int i;

	for (i = 0; i < 4; i++) {
		a = good_create(self->page);
		a.reserved[i] = 1;
		EXPECT_FAILS_CLEAN(EINVAL, zt_pool_create_args(self->dev, &a));
		a.reserved[i] = 1ULL << 63;
		EXPECT_FAILS_CLEAN(EINVAL, zt_pool_create_args(self->dev, &a));
	}
	/* The same request with clean reserved words works. */
	a = good_create(self->page);
	i = zt_pool_create_args(self->dev, &a);
	ASSERT_LE(0, i);
	EXPECT_EQ(0, close(i));
}

TEST_F(zcap, create_unknown_flags)
{
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		if ((1U << bit) & ZCAP_POOL_FLAGS_ALL)
			continue;
		EXPECT_FAILS_CLEAN(EINVAL, zt_pool_create(self->dev, self->page,
							  1, 1U << bit));
	}
}

TEST_F(zcap, create_bad_fd_flags)
{
	static const uint32_t bad[] = {
		O_RDWR, O_WRONLY, O_NONBLOCK, O_APPEND, O_CLOEXEC | O_NONBLOCK,
		O_CLOEXEC | O_RDWR, 1U << 31, ~0U,
	};
	struct zcap_pool_create a;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		a = good_create(self->page);
		a.fd_flags = bad[i];
		EXPECT_FAILS_CLEAN(EINVAL, zt_pool_create_args(self->dev, &a));
	}
}

TEST_F(zcap, create_bad_count)
{
	int pool;

	EXPECT_FAILS_CLEAN(EINVAL, zt_pool_create(self->dev, self->page, 0, 0));
	EXPECT_FAILS_CLEAN(EINVAL, zt_pool_create(self->dev, self->page,
						  ZCAP_MAX_BUFFERS + 1, 0));
	EXPECT_FAILS_CLEAN(EINVAL, zt_pool_create(self->dev, self->page,
						  UINT32_MAX, 0));
	pool = zt_pool_create(self->dev, self->page, ZCAP_MAX_BUFFERS, 0);
	ASSERT_LE(0, pool) TH_LOG("count = ZCAP_MAX_BUFFERS: %s",
				  strerror(-pool));
	EXPECT_EQ(0, close(pool));
}

TEST_F(zcap, create_zero_size)
{
	EXPECT_FAILS_CLEAN(EINVAL, zt_pool_create(self->dev, 0, 1, 0));
	EXPECT_FAILS_CLEAN(EINVAL, zt_pool_create(self->dev, 0, 1,
						  ZCAP_POOL_CONTIGUOUS));
}

TEST_F(zcap, create_overflow)
{
	const uint64_t page = self->page;

	/* Rounding up to a page does not fit. */
	EXPECT_FAILS_CLEAN(EOVERFLOW, zt_pool_create(self->dev, UINT64_MAX, 1, 0));
	EXPECT_FAILS_CLEAN(EOVERFLOW, zt_pool_create(self->dev,
						     UINT64_MAX - page + 2, 1, 0));
	/* count * buffer_size does not fit. */
	EXPECT_FAILS_CLEAN(EOVERFLOW, zt_pool_create(self->dev, 1ULL << 63, 2, 0));
	EXPECT_FAILS_CLEAN(EOVERFLOW, zt_pool_create(self->dev, 1ULL << 62, 4, 0));
	EXPECT_FAILS_CLEAN(EOVERFLOW, zt_pool_create(self->dev, 1ULL << 56,
						     ZCAP_MAX_BUFFERS, 0));
	/* The largest sizes that do fit are merely too big. */
	EXPECT_FAILS_CLEAN(EFBIG, zt_pool_create(self->dev,
						 UINT64_MAX - page + 1, 1, 0));
	EXPECT_FAILS_CLEAN(EFBIG, zt_pool_create(self->dev, 1ULL << 62, 3, 0));
}

TEST_F(zcap, create_contig_too_big)
{
	const uint64_t max = self->ver.max_contig_bytes;
	int pool;

	EXPECT_FAILS_CLEAN(E2BIG, zt_pool_create(self->dev, max + self->page,
						 1, ZCAP_POOL_CONTIGUOUS));
	/* Rounding up to a page crosses the limit too. */
	EXPECT_FAILS_CLEAN(E2BIG, zt_pool_create(self->dev, max + 1, 1,
						 ZCAP_POOL_CONTIGUOUS));
	EXPECT_FAILS_CLEAN(E2BIG, zt_pool_create(self->dev, 2 * max, 2,
						 ZCAP_POOL_CONTIGUOUS));
	/* Without the flag, the same size is fine. */
	pool = zt_pool_create(self->dev, max + self->page, 1, 0);
	ASSERT_LE(0, pool);
	EXPECT_EQ(0, close(pool));
}

/* @cmd with its size field changed by @delta bytes. */
#define ZT_IOC_RESIZED(cmd, delta)					\
	_IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd),		\
	     _IOC_SIZE(cmd) + (delta))

/* An ioctl number encodes its structure's size. */
TEST_F(zcap, wrong_struct_size)
{
	uint8_t buf[256];
	int pool;

	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(-1, ioctl(self->dev, ZT_IOC_RESIZED(ZCAP_IOC_VERSION, -8), buf));
	EXPECT_EQ(ENOTTY, errno);
	((struct zcap_pool_create *)buf)->buffer_size = self->page;
	((struct zcap_pool_create *)buf)->count = 1;
	EXPECT_EQ(-1, ioctl(self->dev, ZT_IOC_RESIZED(ZCAP_IOC_POOL_CREATE, 8),
			    buf));
	EXPECT_EQ(ENOTTY, errno);

	pool = zt_pool_create(self->dev, self->page, 1, 0);
	ASSERT_LE(0, pool);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(-1, ioctl(pool, ZT_IOC_RESIZED(ZCAP_IOC_POOL_INFO, -8), buf));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(pool, ZT_IOC_RESIZED(ZCAP_IOC_BUF_EXPORT, -8), buf));
	EXPECT_EQ(ENOTTY, errno);
	/* Right size, wrong direction bits. */
	EXPECT_EQ(-1, ioctl(pool, _IOC(_IOC_WRITE, ZCAP_IOC_MAGIC, 0x03,
				       sizeof(struct zcap_buf_export)), buf));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(0, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
	EXPECT_EQ(0, close(pool));
}

/* A page of memory with @len bytes of @src at its end, then read-only. */
static void *ro_copy(const void *src, size_t len, size_t page)
{
	uint8_t *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p + page - len, src, len);
	if (mprotect(p, page, PROT_READ)) {
		munmap(p, page);
		return NULL;
	}
	return p + page - len;
}

/*
 * @len bytes of @src ending @cut bytes into a PROT_NONE page: the first
 * bytes are readable, the rest fault.
 */
static void *straddle_copy(const void *src, size_t len, size_t cut,
			   size_t page)
{
	uint8_t *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p + page - (len - cut), src, len - cut);
	if (mprotect(p + page, page, PROT_NONE)) {
		munmap(p, 2 * page);
		return NULL;
	}
	return p + page - (len - cut);
}

static void unmap_page_of(void *p, size_t page, size_t pages)
{
	munmap((void *)((uintptr_t)p & ~(uintptr_t)(page - 1)), pages * page);
}

/* -errno, or the fd an ioctl that should have failed handed out. */
static int ioctl_ret(int fd, unsigned long req, void *arg)
{
	if (ioctl(fd, req, arg))
		return -errno;
	if (req == ZCAP_IOC_POOL_CREATE)
		return ((struct zcap_pool_create *)arg)->pool_fd;
	if (req == ZCAP_IOC_BUF_EXPORT)
		return ((struct zcap_buf_export *)arg)->fd;
	return 0;
}

TEST_F(zcap, bad_pointers)
{
	struct zcap_pool_create c = good_create(self->page);
	struct zcap_buf_export e = { .flags = RW_CLOEXEC };
	struct zcap_pool_info info;
	void *ro, *straddle;
	int pool;

	EXPECT_FAILS_CLEAN(EFAULT, ioctl_ret(self->dev, ZCAP_IOC_VERSION, NULL));
	EXPECT_FAILS_CLEAN(EFAULT, ioctl_ret(self->dev, ZCAP_IOC_VERSION,
					     (void *)8));
	EXPECT_FAILS_CLEAN(EFAULT, ioctl_ret(self->dev, ZCAP_IOC_POOL_CREATE,
					     NULL));

	/* Readable but not writable: the pool is made, then pool_fd faults. */
	ro = ro_copy(&c, sizeof(c), self->page);
	ASSERT_NE(NULL, ro);
	EXPECT_FAILS_CLEAN(EFAULT, ioctl(self->dev, ZCAP_IOC_POOL_CREATE, ro) ?
				   -errno : ((struct zcap_pool_create *)ro)->pool_fd);
	unmap_page_of(ro, self->page, 1);
	straddle = straddle_copy(&c, sizeof(c), 8, self->page);
	ASSERT_NE(NULL, straddle);
	EXPECT_FAILS_CLEAN(EFAULT, ioctl(self->dev, ZCAP_IOC_POOL_CREATE,
					 straddle) ? -errno : 0);
	unmap_page_of(straddle, self->page, 2);

	pool = zt_pool_create(self->dev, self->page, 2, 0);
	ASSERT_LE(0, pool);
	EXPECT_FAILS_CLEAN(EFAULT, ioctl_ret(pool, ZCAP_IOC_POOL_INFO, NULL));
	memset(&info, 0, sizeof(info));
	ro = ro_copy(&info, sizeof(info), self->page);
	ASSERT_NE(NULL, ro);
	EXPECT_FAILS_CLEAN(EFAULT, ioctl_ret(pool, ZCAP_IOC_POOL_INFO, ro));
	unmap_page_of(ro, self->page, 1);

	EXPECT_FAILS_CLEAN(EFAULT, ioctl_ret(pool, ZCAP_IOC_BUF_EXPORT, NULL));
	/* The dma-buf is made, then fd faults: nothing may stay behind. */
	ro = ro_copy(&e, sizeof(e), self->page);
	ASSERT_NE(NULL, ro);
	EXPECT_FAILS_CLEAN(EFAULT, ioctl(pool, ZCAP_IOC_BUF_EXPORT, ro) ?
				   -errno : ((struct zcap_buf_export *)ro)->fd);
	unmap_page_of(ro, self->page, 1);
	straddle = straddle_copy(&e, sizeof(e), 8, self->page);
	ASSERT_NE(NULL, straddle);
	EXPECT_FAILS_CLEAN(EFAULT, ioctl(pool, ZCAP_IOC_BUF_EXPORT, straddle) ?
				   -errno : 0);
	unmap_page_of(straddle, self->page, 2);

	ASSERT_EQ(0, zt_pool_info(pool, &info));
	EXPECT_EQ(0, info.exported);
	/* The pool still works after all that. */
	e.index = 1;
	ASSERT_LE(0, ioctl(pool, ZCAP_IOC_BUF_EXPORT, &e));
	EXPECT_EQ(0, close(e.fd));
	EXPECT_EQ(0, close(pool));
}

/* No fd left to hand out: EMFILE, and the pool or dma-buf made goes again. */
TEST_F(zcap, emfile)
{
	struct zt_stats before, after;
	struct zcap_pool_info info;
	struct rlimit old, low;
	int pool, lowest, fds, ret[4];
	char diff[256];

	pool = zt_pool_create(self->dev, self->page, 2, 0);
	ASSERT_LE(0, pool);
	ASSERT_EQ(0, zt_stats_read(&before));
	fds = zt_count_fds();
	/* Every fd below the lowest free one is taken: allow none above. */
	lowest = dup(0);
	ASSERT_LE(0, lowest);
	EXPECT_EQ(0, close(lowest));
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	low = old;
	low.rlim_cur = (rlim_t)lowest;

	/* Nothing that needs an fd (not even a check) until it is back. */
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));
	ret[0] = zt_pool_create(self->dev, self->page, 4, 0);
	ret[1] = zt_pool_create(self->dev, self->page, 1, ZCAP_POOL_CONTIGUOUS);
	ret[2] = zt_export(pool, 0, RW_CLOEXEC, NULL);
	ret[3] = zt_export(pool, 1, RO_CLOEXEC, NULL);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));

	EXPECT_EQ(-EMFILE, ret[0]);
	EXPECT_EQ(-EMFILE, ret[1]);
	EXPECT_EQ(-EMFILE, ret[2]);
	EXPECT_EQ(-EMFILE, ret[3]);
	ASSERT_EQ(0, zt_stats_read(&after));
	zt_stats_diff(&before, &after, diff, sizeof(diff));
	EXPECT_STREQ("", diff) TH_LOG("EMFILE left gauges moved");
	EXPECT_EQ(fds, zt_count_fds());
	ASSERT_EQ(0, zt_pool_info(pool, &info));
	EXPECT_EQ(0, info.exported);
	EXPECT_EQ(0, close(pool));
}

TEST_F(zcap, export_bad_index)
{
	struct zcap_pool_info info;
	int pool;

	pool = zt_pool_create(self->dev, self->page, 2, 0);
	ASSERT_LE(0, pool);
	EXPECT_FAILS_CLEAN(EINVAL, zt_export(pool, 2, RW_CLOEXEC, NULL));
	EXPECT_FAILS_CLEAN(EINVAL, zt_export(pool, ZCAP_MAX_BUFFERS, RW_CLOEXEC,
					     NULL));
	EXPECT_FAILS_CLEAN(EINVAL, zt_export(pool, UINT32_MAX, RO_CLOEXEC, NULL));
	ASSERT_EQ(0, zt_pool_info(pool, &info));
	EXPECT_EQ(0, info.exported);
	EXPECT_EQ(0, close(pool));
}

TEST_F(zcap, export_bad_flags)
{
	static const uint32_t bad[] = {
		O_WRONLY, O_WRONLY | O_CLOEXEC, O_ACCMODE, O_RDWR | O_NONBLOCK,
		O_RDWR | O_APPEND, O_RDONLY | O_TRUNC, O_RDWR | O_CREAT,
		O_RDWR | (1U << 31), ~0U,
	};
	struct zcap_pool_info info;
	unsigned int i;
	int pool;

	pool = zt_pool_create(self->dev, self->page, 1, 0);
	ASSERT_LE(0, pool);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_FAILS_CLEAN(EINVAL, zt_export(pool, 0, bad[i], NULL));
	ASSERT_EQ(0, zt_pool_info(pool, &info));
	EXPECT_EQ(0, info.exported);
	EXPECT_EQ(0, close(pool));
}

static int export_args(int pool, struct zcap_buf_export *e)
{
	return ioctl(pool, ZCAP_IOC_BUF_EXPORT, e) ? -errno : e->fd;
}

TEST_F(zcap, export_reserved_nonzero)
{
	struct zcap_buf_export e;
	int pool, i;

	pool = zt_pool_create(self->dev, self->page, 1, 0);
	ASSERT_LE(0, pool);
	for (i = 0; i < 4; i++) {
		memset(&e, 0, sizeof(e));
		e.flags = RW_CLOEXEC;
		e.reserved[i] = 1;
		EXPECT_FAILS_CLEAN(EINVAL, export_args(pool, &e));
		e.reserved[i] = 1ULL << 63;
		EXPECT_FAILS_CLEAN(EINVAL, export_args(pool, &e));
	}
	EXPECT_EQ(0, close(pool));
}

TEST_F(zcap, wrong_fd_kind)
{
	struct zcap_pool_create c = good_create(self->page);
	struct zcap_buf_export e = { .flags = RW_CLOEXEC };
	struct zcap_version ver;
	struct zcap_pool_info info;
	uint8_t junk[256] = { 0 };
	int pool, buf;

	pool = zt_pool_create(self->dev, self->page, 1, 0);
	ASSERT_LE(0, pool);
	buf = zt_export(pool, 0, RW_CLOEXEC, NULL);
	ASSERT_LE(0, buf);

	/* Pool ioctls on /dev/zcap. */
	EXPECT_FAILS_CLEAN(ENOTTY, ioctl_ret(self->dev, ZCAP_IOC_POOL_INFO, &info));
	EXPECT_FAILS_CLEAN(ENOTTY, ioctl_ret(self->dev, ZCAP_IOC_BUF_EXPORT, &e));
	/* Device ioctls on a pool. */
	EXPECT_FAILS_CLEAN(ENOTTY, ioctl_ret(pool, ZCAP_IOC_VERSION, &ver));
	EXPECT_FAILS_CLEAN(ENOTTY, ioctl_ret(pool, ZCAP_IOC_POOL_CREATE, &c));
	/* Any zcap ioctl on a dma-buf. */
	EXPECT_FAILS_CLEAN(ENOTTY, ioctl_ret(buf, ZCAP_IOC_VERSION, &ver));
	EXPECT_FAILS_CLEAN(ENOTTY, ioctl_ret(buf, ZCAP_IOC_POOL_CREATE, &c));
	EXPECT_FAILS_CLEAN(ENOTTY, ioctl_ret(buf, ZCAP_IOC_POOL_INFO, &info));
	EXPECT_FAILS_CLEAN(ENOTTY, ioctl_ret(buf, ZCAP_IOC_BUF_EXPORT, &e));
	/* Numbers nobody defined. */
	EXPECT_FAILS_CLEAN(ENOTTY, ioctl_ret(self->dev, _IO(ZCAP_IOC_MAGIC, 0x3f),
					     NULL));
	EXPECT_FAILS_CLEAN(ENOTTY, ioctl_ret(pool, _IO(ZCAP_IOC_MAGIC, 0x3f), NULL));
	EXPECT_FAILS_CLEAN(ENOTTY, ioctl_ret(self->dev,
					     _IOR('V', 0, struct v4l2_capability),
					     junk));

	/* A pool fd is not mappable. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->page, PROT_READ, MAP_SHARED,
				   pool, 0));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(0, close(buf));
	EXPECT_EQ(0, close(pool));
}

TEST_F(zcap, mmap_bounds)
{
	const size_t size = 4 * self->page;
	struct zt_stats before, after;
	int pool, fd, ro, cpool, cfd;
	uint8_t *p;

	pool = zt_pool_create(self->dev, size, 1, 0);
	ASSERT_LE(0, pool);
	fd = zt_export(pool, 0, RW_CLOEXEC, NULL);
	ASSERT_LE(0, fd);
	ro = zt_export(pool, 0, RO_CLOEXEC, NULL);
	ASSERT_LE(0, ro);
	ASSERT_EQ(0, zt_stats_read(&before));

	EXPECT_EQ(MAP_FAILED, mmap(NULL, size + self->page, PROT_READ,
				   MAP_SHARED, fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->page, PROT_READ, MAP_SHARED, fd,
				   (off_t)size));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, size, PROT_READ, MAP_SHARED, fd,
				   (off_t)self->page));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->page, PROT_READ, MAP_SHARED, fd,
				   (off_t)(1024 * size)));
	EXPECT_EQ(EINVAL, errno);
	/* Copy-on-write of device memory is refused, in either mode. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, size, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE, fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, size, PROT_READ, MAP_PRIVATE, ro, 0));
	EXPECT_EQ(EINVAL, errno);
	/* Also where one remap of one sg entry could cover it all. */
	cpool = zt_pool_create(self->dev, size, 1, ZCAP_POOL_CONTIGUOUS);
	ASSERT_LE(0, cpool);
	cfd = zt_export(cpool, 0, RW_CLOEXEC, NULL);
	ASSERT_LE(0, cfd);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, size, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE, cfd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->page, PROT_READ, MAP_PRIVATE,
				   cfd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, close(cfd));
	EXPECT_EQ(0, close(cpool));

	ASSERT_EQ(0, zt_stats_wait_gauges(&before, &after, 0));

	/* The last page alone is within bounds. */
	p = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)(size - self->page));
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_MMAPS));
	EXPECT_EQ(0, munmap(p, self->page));
	EXPECT_EQ(0, close(ro));
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, close(pool));
}

/* --------------------------- lifetimes ----------------------------- */

TEST_F(zcap, pool_closed_first)
{
	const size_t size = 16 * self->page;
	uint8_t *p, *q;
	int pool, fd;

	ASSERT_EQ(0, zt_pool_export_map(self->dev, size, 3, 1, &pool, &fd,
					&p));
	fill_pattern(p, size, 7);
	EXPECT_EQ(0, close(pool));

	/* Buffers without a dma-buf went with the pool; buffer 1 did not. */
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_BUFFERS));
	EXPECT_EQ((int64_t)size, gauge_delta(_metadata, &self->base, ZT_BYTES));
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_MMAPS));

	EXPECT_EQ(size / 4, check_pattern(p, size, 7, 0));
	q = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(size / 4, check_pattern(q, size, 7, 0));
	q[5] = 0x99;
	EXPECT_EQ(0x99, p[5]);
	EXPECT_EQ(0, zt_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	EXPECT_EQ(0, zt_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	EXPECT_EQ(0, munmap(q, size));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, close(fd));
}

TEST_F(zcap, dmabufs_closed_first)
{
	const size_t size = 8 * self->page;
	struct zcap_pool_info info;
	ino_t ino[2];
	uint8_t *p;
	int pool, fd, i;

	pool = zt_pool_create(self->dev, size, 2, 0);
	ASSERT_LE(0, pool);
	for (i = 0; i < 2; i++) {
		fd = zt_export(pool, (uint32_t)i, RW_CLOEXEC, NULL);
		ASSERT_LE(0, fd);
		ino[i] = fd_ino(fd);
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		fill_pattern(p, size, 20 + (uint32_t)i);
		EXPECT_EQ(0, munmap(p, size));
		EXPECT_EQ(0, close(fd));
	}
	/* No fd, no mapping: only the pool holds its dma-bufs now. */
	EXPECT_EQ(0, gauge_delta(_metadata, &self->base, ZT_MMAPS));
	EXPECT_EQ(2, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
	EXPECT_EQ(2, gauge_delta(_metadata, &self->base, ZT_BUFFERS));
	ASSERT_EQ(0, zt_pool_info(pool, &info));
	EXPECT_EQ(2, info.exported);

	/* The pool kept the pages: the same bytes, in either mode. */
	for (i = 1; i >= 0; i--) {
		fd = zt_export(pool, (uint32_t)i, RO_CLOEXEC, NULL);
		ASSERT_LE(0, fd);
		EXPECT_NE(ino[i], fd_ino(fd));
		p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(size / 4, check_pattern(p, size, 20 + (uint32_t)i, 0));
		EXPECT_EQ(0, munmap(p, size));
		EXPECT_EQ(0, close(fd));
		fd = zt_export(pool, (uint32_t)i, RW_CLOEXEC, NULL);
		ASSERT_LE(0, fd);
		EXPECT_EQ(ino[i], fd_ino(fd));
		EXPECT_EQ(0, close(fd));
	}
	EXPECT_EQ(4, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
	/* Closing the pool last frees everything (the teardown checks). */
	EXPECT_EQ(0, close(pool));
}

TEST_F(zcap, mmap_outlives_fds)
{
	const size_t size = 8 * self->page;
	uint8_t *p;
	int pool, fd;

	ASSERT_EQ(0, zt_pool_export_map(self->dev, size, 1, 0, &pool, &fd,
					&p));
	fill_pattern(p, size, 3);
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, close(pool));
	EXPECT_EQ(0, close(self->dev));

	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_MMAPS));
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_BUFFERS));
	EXPECT_EQ(size / 4, check_pattern(p, size, 3, 0));
	fill_pattern(p, size, 4);
	EXPECT_EQ(size / 4, check_pattern(p, size, 4, 0));
	EXPECT_EQ(0, munmap(p, size));
}

TEST_F(zcap, fork)
{
	const size_t size = 8 * self->page;
	int pool, fd, status, go[2], done[2];
	uint8_t *p, *q;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, zt_pool_export_map(self->dev, size, 2, 0, &pool, &fd,
					&p));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The child writes through its inherited mapping and fds. */
		int fd1, bad = 0;

		fill_pattern(p, size, 9);
		q = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (q == MAP_FAILED || check_pattern(q, size, 9, 0) != size / 4)
			bad |= 1;
		fd1 = zt_export(pool, 1, RW_CLOEXEC, NULL);
		if (fd1 < 0)
			bad |= 2;
		else if (mmap(NULL, size, PROT_READ, MAP_SHARED, fd1, 0) ==
			 MAP_FAILED)
			bad |= 4;
		/* Tell the parent, wait, and exit holding all of it. */
		if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			bad |= 8;
		_exit(bad);
	}
	ASSERT_EQ(1, read(done[0], &c, 1));
	/* Both processes map buffer 0; the child also maps buffer 1. */
	EXPECT_EQ(4, gauge_delta(_metadata, &self->base, ZT_MMAPS));
	EXPECT_EQ(2, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
	EXPECT_EQ(size / 4, check_pattern(p, size, 9, 0));
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));

	/*
	 * The child's exit released its mappings, and only those; the
	 * dma-buf it exported stays cached in the pool.
	 */
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_MMAPS));
	EXPECT_EQ(2, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
	EXPECT_EQ(2, gauge_delta(_metadata, &self->base, ZT_BUFFERS));
	EXPECT_EQ(size / 4, check_pattern(p, size, 9, 0));
	p[0] ^= 0xff;
	EXPECT_EQ(0, munmap(p, size));
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, close(pool));
}

/* A VMA split in two still releases its accounting exactly once. */
TEST_F(zcap, split_mapping)
{
	const size_t size = 4 * self->page;
	uint8_t *p;
	int pool, fd;

	ASSERT_EQ(0, zt_pool_export_map(self->dev, size, 1, 0, &pool, &fd,
					&p));
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, close(pool));
	fill_pattern(p, size, 5);
	ASSERT_EQ(0, munmap(p + self->page, self->page));
	EXPECT_LE(1, gauge_delta(_metadata, &self->base, ZT_MMAPS));
	EXPECT_EQ(self->page / 4,
		  check_pattern(p + 2 * self->page, self->page, 5,
				2 * self->page / 4));
	EXPECT_EQ(0, munmap(p, self->page));
	EXPECT_LE(1, gauge_delta(_metadata, &self->base, ZT_MMAPS));
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
	EXPECT_EQ(0, munmap(p + 2 * self->page, 2 * self->page));
	EXPECT_EQ(0, gauge_delta(_metadata, &self->base, ZT_MMAPS));
	EXPECT_EQ(0, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
}

/* A mapping moved elsewhere is still one mapping, with the same bytes. */
TEST_F(zcap, moved_mapping)
{
	const size_t size = 4 * self->page;
	uint8_t *p, *q, *hole;
	int pool, fd;

	ASSERT_EQ(0, zt_pool_export_map(self->dev, size, 1, 0, &pool, &fd,
					&p));
	fill_pattern(p, size, 6);
	/* Somewhere free to move it to. */
	hole = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	q = mremap(p, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, hole);
	ASSERT_EQ(hole, q) TH_LOG("mremap: %s", strerror(errno));
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_MMAPS));
	EXPECT_EQ(size / 4, check_pattern(q, size, 6, 0));
	q[0] ^= 0xff;
	EXPECT_EQ(0, munmap(q, size));
	EXPECT_EQ(0, gauge_delta(_metadata, &self->base, ZT_MMAPS));
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, close(pool));
}

/* The lifetime counters count objects made, not fds handed out. */
TEST_F(zcap, lifetime_counters)
{
	struct zt_stats before, after;
	int pool, fd[6], i;

	ASSERT_EQ(0, zt_stats_read(&before));
	pool = zt_pool_create(self->dev, self->page, 3, 0);
	ASSERT_LE(0, pool);
	/* Three buffers, two exports each: three dma-bufs. */
	for (i = 0; i < 6; i++) {
		fd[i] = zt_export(pool, (uint32_t)(i % 3), RW_CLOEXEC, NULL);
		ASSERT_LE(0, fd[i]);
	}
	EXPECT_FAILS_CLEAN(EINVAL, zt_pool_create(self->dev, 0, 1, 0));
	ASSERT_EQ(0, zt_stats_read(&after));
	EXPECT_EQ(before.v[ZT_POOLS_CREATED] + 1, after.v[ZT_POOLS_CREATED]);
	EXPECT_EQ(before.v[ZT_DMABUFS_EXPORTED] + 3,
		  after.v[ZT_DMABUFS_EXPORTED]);
	for (i = 0; i < 6; i++)
		EXPECT_EQ(0, close(fd[i]));
	EXPECT_EQ(0, close(pool));
	/* Nothing was attached, mapped for a device or vmapped. */
	ASSERT_EQ(0, zt_stats_read(&after));
	EXPECT_EQ(before.v[ZT_MAP_CALLS], after.v[ZT_MAP_CALLS]);
	EXPECT_EQ(before.v[ZT_UNMAP_CALLS], after.v[ZT_UNMAP_CALLS]);
	EXPECT_EQ(before.v[ZT_VMAP_CALLS], after.v[ZT_VMAP_CALLS]);
}

static int try_rmmod(void)
{
	return syscall(SYS_delete_module, "zcap", O_NONBLOCK) ? -errno : 0;
}

static bool rmmod_refused(int ret)
{
	return ret == -EWOULDBLOCK || ret == -EBUSY;
}

/* Each live dma-buf pins the module, even with no zcap fd open. */
TEST_F(zcap, rmmod_refused_while_buffer_lives)
{
	const size_t size = 2 * self->page;
	uint8_t *p;
	int pool, fd, ret;

	if (geteuid())
		SKIP(return, "delete_module needs root");
	ASSERT_EQ(0, zt_pool_export_map(self->dev, size, 1, 0, &pool, &fd,
					&p));
	EXPECT_EQ(0, close(self->dev));
	EXPECT_EQ(0, close(pool));

	/* A dma-buf fd and a mapping. */
	ret = try_rmmod();
	ASSERT_TRUE(rmmod_refused(ret))
		TH_LOG("delete_module: %d (%s)", ret, strerror(-ret));
	/* A mapping alone. */
	EXPECT_EQ(0, close(fd));
	ret = try_rmmod();
	ASSERT_TRUE(rmmod_refused(ret))
		TH_LOG("delete_module: %d (%s)", ret, strerror(-ret));
	p[0] = 1;
	EXPECT_EQ(0, munmap(p, size));
}

/* ---------------------------- threads ------------------------------ */

struct stress {
	int dev;
	int shared_pool;
	size_t page;
	atomic_bool stop;
	atomic_int failures;
	char why[256];
	pthread_mutex_t lock;
};

struct stress_thread {
	struct stress *s;
	pthread_t tid;
	unsigned int seed;
	unsigned long loops;
};

static void stress_fail(struct stress *s, const char *what, int err)
{
	pthread_mutex_lock(&s->lock);
	if (!atomic_fetch_add(&s->failures, 1))
		snprintf(s->why, sizeof(s->why), "%s: %s", what,
			 strerror(err < 0 ? -err : err));
	pthread_mutex_unlock(&s->lock);
}

static void stress_one(struct stress_thread *t)
{
	struct stress *s = t->s;
	uint32_t count = 1 + (uint32_t)(rand_r(&t->seed) % 4);
	size_t size = s->page * (1 + (size_t)(rand_r(&t->seed) % 16));
	uint32_t flags = rand_r(&t->seed) % 3 ? 0 : ZCAP_POOL_CONTIGUOUS;
	int own_dev = rand_r(&t->seed) % 2;
	int dev = own_dev ? zt_open_dev() : s->dev;
	int pool, fd[4], ro, i, pool_first;
	uint8_t *p = MAP_FAILED, *r = MAP_FAILED;

	if (dev < 0) {
		stress_fail(s, "open", dev);
		return;
	}
	pool = zt_pool_create(dev, size, count, flags);
	if (own_dev)
		close(dev);
	if (pool < 0) {
		stress_fail(s, "POOL_CREATE", pool);
		return;
	}
	for (i = 0; i < (int)count; i++) {
		fd[i] = zt_export(pool, (uint32_t)i, RW_CLOEXEC, NULL);
		if (fd[i] < 0)
			stress_fail(s, "BUF_EXPORT", fd[i]);
	}
	ro = zt_export(pool, count - 1, RO_CLOEXEC, NULL);
	if (ro < 0)
		stress_fail(s, "BUF_EXPORT ro", ro);
	if (fd[0] >= 0)
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd[0], 0);
	if (count == 1 && ro >= 0)
		r = mmap(NULL, size, PROT_READ, MAP_SHARED, ro, 0);
	if (p == MAP_FAILED) {
		stress_fail(s, "mmap", errno);
	} else {
		memset(p, 0x3c, size);
		if (r != MAP_FAILED && r[size - 1] != 0x3c)
			stress_fail(s, "ro mapping does not see rw writes", EIO);
	}

	/* Release in an order picked at random. */
	pool_first = rand_r(&t->seed) % 2;
	if (pool_first)
		close(pool);
	for (i = 0; i < (int)count; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	if (ro >= 0)
		close(ro);
	if (r != MAP_FAILED)
		munmap(r, size);
	if (!pool_first)
		close(pool);
	if (p != MAP_FAILED) {
		if (p[0] != 0x3c)
			stress_fail(s, "data lost after close", EIO);
		munmap(p, size);
	}
}

/* Exports from a pool every thread shares, racing with the releases. */
static void stress_shared(struct stress_thread *t)
{
	struct stress *s = t->s;
	uint32_t index = (uint32_t)(rand_r(&t->seed) % 8);
	int a, b;

	a = zt_export(s->shared_pool, index, RW_CLOEXEC, NULL);
	if (a < 0) {
		stress_fail(s, "shared BUF_EXPORT", a);
		return;
	}
	b = zt_export(s->shared_pool, index, RW_CLOEXEC, NULL);
	if (b < 0)
		stress_fail(s, "shared BUF_EXPORT again", b);
	else if (fd_ino(a) != fd_ino(b))
		stress_fail(s, "two live dma-bufs for one buffer and mode", EEXIST);
	if (b >= 0)
		close(b);
	close(a);
}

static void *stress_main(void *arg)
{
	struct stress_thread *t = arg;

	while (!atomic_load(&t->s->stop)) {
		if (rand_r(&t->seed) % 2)
			stress_one(t);
		else
			stress_shared(t);
		t->loops++;
	}
	return NULL;
}

TEST_F_TIMEOUT(zcap, concurrency, 60)
{
	const struct timespec run = { .tv_sec = 3 };
	struct stress_thread t[4];
	struct stress *s;
	unsigned int i;

	s = calloc(1, sizeof(*s));
	ASSERT_NE(NULL, s);
	s->dev = self->dev;
	s->page = self->page;
	pthread_mutex_init(&s->lock, NULL);
	s->shared_pool = zt_pool_create(self->dev, 2 * self->page, 8, 0);
	ASSERT_LE(0, s->shared_pool);

	for (i = 0; i < 4; i++) {
		t[i].s = s;
		t[i].seed = 0x5eed + i;
		t[i].loops = 0;
		ASSERT_EQ(0, pthread_create(&t[i].tid, NULL, stress_main, &t[i]));
	}
	nanosleep(&run, NULL);
	atomic_store(&s->stop, true);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, pthread_join(t[i].tid, NULL));
		EXPECT_LT(0, t[i].loops);
		TH_LOG("thread %u: %lu rounds", i, t[i].loops);
	}
	EXPECT_EQ(0, atomic_load(&s->failures)) TH_LOG("first failure: %s",
						       s->why);
	EXPECT_EQ(0, close(s->shared_pool));
	EXPECT_EQ(0, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	ssize_t len = (ssize_t)strlen(val);

	if (fd < 0)
		return -errno;
	if (write(fd, val, (size_t)len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

static int64_t read_i64(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

/*
 * Pages are charged to the creator's memory cgroup: they show in its
 * memory.current, and its memory.max turns a pool too large into ENOMEM
 * (not an OOM kill, not a warning) that leaves nothing behind.
 */
TEST_F(zcap, memcg_charge)
{
	const char *root = "/sys/fs/cgroup";
	char dir[128], path[192], ctl[256] = "";
	int status, fd;
	pid_t pid;

	fd = open("/sys/fs/cgroup/cgroup.controllers", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, ctl, sizeof(ctl) - 1);

		ctl[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	if (geteuid() || !strstr(ctl, "memory"))
		SKIP(return, "needs root and the cgroup2 memory controller");
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", root);
	ASSERT_EQ(0, write_str(path, "+memory"));
	snprintf(dir, sizeof(dir), "%s/zcap-selftest-%d", root, getpid());
	ASSERT_EQ(0, mkdir(dir, 0755)) TH_LOG("mkdir %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/memory.max", dir);
	EXPECT_EQ(0, write_str(path, "33554432"));
	snprintf(path, sizeof(path), "%s/memory.swap.max", dir);
	write_str(path, "0");

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char me[32];
		int64_t before, after;
		int pool;

		snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
		snprintf(me, sizeof(me), "%d", getpid());
		if (write_str(path, me))
			_exit(10);
		snprintf(path, sizeof(path), "%s/memory.current", dir);
		before = read_i64(path);
		pool = zt_pool_create(self->dev, 8 * MiB, 1, 0);
		if (pool < 0)
			_exit(11);
		after = read_i64(path);
		/* Less the per-CPU charge batches (64 pages each). */
		if (after - before < (int64_t)(7 * MiB)) {
			fprintf(stderr, "# memory.current %lld -> %lld for an 8 MiB pool\n",
				(long long)before, (long long)after);
			_exit(12);
		}
		close(pool);
		pool = zt_pool_create(self->dev, 16 * MiB, 4, 0);
		if (pool != -ENOMEM) {
			fprintf(stderr, "# 64 MiB in a 32 MiB cgroup: %d\n", pool);
			_exit(13);
		}
		pool = zt_pool_create(self->dev, 4 * MiB, 12, ZCAP_POOL_CONTIGUOUS);
		if (pool != -ENOMEM) {
			fprintf(stderr, "# 48 MiB contiguous in a 32 MiB cgroup: %d\n",
				pool);
			_exit(14);
		}
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("child step %d failed",
						 WEXITSTATUS(status));
	EXPECT_EQ(0, rmdir(dir)) TH_LOG("rmdir %s: %s", dir, strerror(errno));
}

/* --------------------------- parameters ---------------------------- */

FIXTURE(params) {
	struct zt_base base;
	int dev;
	size_t page;
	bool saved;
	uint64_t max_pool, max_total;
};

FIXTURE_SETUP(params)
{
	if (!base_setup(_metadata, &self->base))
		return;
	if (geteuid())
		SKIP(return, "writing module parameters needs root");
	self->page = (size_t)sysconf(_SC_PAGESIZE);
	self->dev = zt_open_dev();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, zt_param_read("max_pool_bytes", &self->max_pool));
	ASSERT_EQ(0, zt_param_read("max_total_bytes", &self->max_total));
	self->saved = true;
}

FIXTURE_TEARDOWN_PARENT(params)
{
	if (self->saved) {
		EXPECT_EQ(0, zt_param_write("max_pool_bytes", self->max_pool));
		EXPECT_EQ(0, zt_param_write("max_total_bytes", self->max_total));
	}
	base_check(_metadata, &self->base);
}

TEST_F(params, per_pool_cap)
{
	struct zcap_version ver;
	int pool;

	ASSERT_EQ(0, zt_param_write("max_pool_bytes", 1 * MiB));
	ASSERT_EQ(0, zt_version(self->dev, &ver));
	EXPECT_EQ(1 * MiB, ver.max_pool_bytes);

	EXPECT_FAILS_CLEAN(EFBIG, zt_pool_create(self->dev, 1 * MiB + 1, 1, 0));
	EXPECT_FAILS_CLEAN(EFBIG, zt_pool_create(self->dev, 512 * KiB, 3, 0));
	EXPECT_FAILS_CLEAN(EFBIG, zt_pool_create(self->dev, 512 * KiB + 1, 2,
						 ZCAP_POOL_CONTIGUOUS));
	/* Exactly the cap is allowed. */
	pool = zt_pool_create(self->dev, 512 * KiB, 2, 0);
	ASSERT_LE(0, pool) TH_LOG("%s", strerror(-pool));
	EXPECT_EQ(0, close(pool));
	pool = zt_pool_create(self->dev, 1 * MiB, 1, 0);
	ASSERT_LE(0, pool);
	EXPECT_EQ(0, close(pool));

	/* Raised again at run time, the larger pool is allowed. */
	ASSERT_EQ(0, zt_param_write("max_pool_bytes", 2 * MiB));
	pool = zt_pool_create(self->dev, 512 * KiB, 3, 0);
	ASSERT_LE(0, pool);
	EXPECT_EQ(0, close(pool));
}

TEST_F(params, global_cap)
{
	struct zcap_version ver;
	int a, b, c, fd;

	ASSERT_EQ(0, zt_param_write("max_total_bytes", 2 * MiB));
	ASSERT_EQ(0, zt_version(self->dev, &ver));
	EXPECT_EQ(2 * MiB, ver.max_total_bytes);

	EXPECT_FAILS_CLEAN(EDQUOT, zt_pool_create(self->dev, 1 * MiB, 3, 0));
	a = zt_pool_create(self->dev, 512 * KiB, 3, 0);
	ASSERT_LE(0, a);
	EXPECT_FAILS_CLEAN(EDQUOT, zt_pool_create(self->dev, 1 * MiB, 1, 0));
	EXPECT_FAILS_CLEAN(EDQUOT, zt_pool_create(self->dev, 512 * KiB + 1, 1,
						  ZCAP_POOL_CONTIGUOUS));
	/* Up to the cap exactly. */
	b = zt_pool_create(self->dev, 512 * KiB, 1, 0);
	ASSERT_LE(0, b);
	EXPECT_FAILS_CLEAN(EDQUOT, zt_pool_create(self->dev, self->page, 1, 0));

	/* A buffer held by its dma-buf still counts after its pool closed. */
	fd = zt_export(a, 0, RW_CLOEXEC, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(a));
	EXPECT_FAILS_CLEAN(EDQUOT, zt_pool_create(self->dev, 1 * MiB + self->page,
						  1, 0));
	c = zt_pool_create(self->dev, 1 * MiB, 1, 0);
	ASSERT_LE(0, c) TH_LOG("%s", strerror(-c));
	EXPECT_FAILS_CLEAN(EDQUOT, zt_pool_create(self->dev, self->page, 1, 0));
	EXPECT_EQ(0, close(fd));
	a = zt_pool_create(self->dev, 512 * KiB, 1, 0);
	ASSERT_LE(0, a);
	EXPECT_EQ(0, close(a));
	EXPECT_EQ(0, close(b));
	EXPECT_EQ(0, close(c));
}

/*
 * With both caps raised as far as they go, a buffer larger than the machine
 * is ENOMEM before anything is allocated: no kvmalloc() warning for a page
 * array over INT_MAX bytes (a panic under panic_on_warn), no OOM killer.
 * The rig fails the suite on any WARNING in the kernel log.
 */
TEST_F(params, larger_than_memory)
{
	static const uint64_t sizes[] = {
		1ULL << 40,		/* 1 TiB: a 2 GiB page array */
		1ULL << 50,
		UINT64_MAX & ~0xfffffULL,
	};
	uint64_t ram;
	unsigned int i;

	ASSERT_EQ(0, zt_ram_bytes(&ram));
	ASSERT_EQ(0, zt_param_write("max_pool_bytes", UINT64_MAX));
	ASSERT_EQ(0, zt_param_write("max_total_bytes", UINT64_MAX));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		EXPECT_FAILS_CLEAN(ENOMEM, zt_pool_create(self->dev, sizes[i],
							  1, 0));
		EXPECT_FAILS_CLEAN(E2BIG, zt_pool_create(self->dev, sizes[i], 1,
							 ZCAP_POOL_CONTIGUOUS));
	}
	/* One page more than the machine has. */
	EXPECT_FAILS_CLEAN(ENOMEM, zt_pool_create(self->dev, ram + self->page,
						  1, 0));
	/* 256 buffers of 1 TiB: no overflow, still ENOMEM up front. */
	EXPECT_FAILS_CLEAN(ENOMEM, zt_pool_create(self->dev, 1ULL << 40, 256,
						  0));
}

/* ------------------------------ vgem ------------------------------- */

FIXTURE(vgem) {
	struct zt_base base;
	int dev;
	int drm;
	size_t page;
};

FIXTURE_SETUP(vgem)
{
	if (!base_setup(_metadata, &self->base))
		return;
	self->page = (size_t)sysconf(_SC_PAGESIZE);
	self->drm = zt_vgem_open();
	if (self->drm < 0) {
		ASSERT_FALSE(zt_required("vgem"))
			TH_LOG("no vgem device although the suite loaded vgem");
		SKIP(return, "no vgem device (modprobe vgem)");
	}
	self->dev = zt_open_dev();
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN_PARENT(vgem)
{
	base_check(_metadata, &self->base);
}

/*
 * DRM refuses a mmap offset for an imported GEM object (drm_gem_dumb_map_
 * offset: "Don't allow imported objects to be mapped"), so what vgem holds
 * is read through the dma-buf it hands back with PRIME_HANDLE_TO_FD.
 */
static void *vgem_handle_map(int drm, uint32_t handle, size_t size, int *fd)
{
	void *p;

	if (drmPrimeHandleToFD(drm, handle, DRM_CLOEXEC | DRM_RDWR, fd))
		return MAP_FAILED;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (p == MAP_FAILED) {
		close(*fd);
		*fd = -1;
	}
	return p;
}

TEST_F(vgem, prime_import)
{
	const size_t size = 64 * self->page;
	struct zt_stats now;
	uint32_t handle, handle2;
	uint8_t *zp, *vp;
	int pool, fd, fd2, back;

	pool = zt_pool_create(self->dev, size, 2, 0);
	ASSERT_LE(0, pool);
	fd = zt_export(pool, 1, RW_CLOEXEC, NULL);
	ASSERT_LE(0, fd);
	zp = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, zp);
	fill_pattern(zp, size, 0x31);

	ASSERT_EQ(0, drmPrimeFDToHandle(self->drm, fd, &handle))
		TH_LOG("PRIME import: %s", strerror(errno));
	/* vgem attached and mapped the sg table for its device. */
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_ATTACHMENTS));
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_MAPPINGS));
	/* A second fd of the same dma-buf is the same GEM object. */
	fd2 = zt_export(pool, 1, RW_CLOEXEC, NULL);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, drmPrimeFDToHandle(self->drm, fd2, &handle2));
	EXPECT_EQ(handle, handle2);
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_ATTACHMENTS));

	/* What vgem gives back is zcap's own dma-buf, with its bytes. */
	vp = vgem_handle_map(self->drm, handle, size, &back);
	ASSERT_NE(MAP_FAILED, vp) TH_LOG("vgem handle to fd: %s", strerror(errno));
	EXPECT_EQ(fd_ino(fd), fd_ino(back));
	EXPECT_EQ(size / 4, check_pattern(vp, size, 0x31, 0));
	memset(vp + size - self->page, 0xc3, self->page);
	EXPECT_EQ(0, zt_count_not(zp + size - self->page, self->page, 0xc3));
	EXPECT_EQ(0, munmap(vp, size));
	EXPECT_EQ(0, close(back));

	EXPECT_EQ(0, munmap(zp, size));
	EXPECT_EQ(0, drmCloseBufferHandle(self->drm, handle));
	EXPECT_EQ(0, gauge_delta(_metadata, &self->base, ZT_ATTACHMENTS));
	EXPECT_EQ(0, gauge_delta(_metadata, &self->base, ZT_MAPPINGS));
	/* One import: one map, one unmap. */
	EXPECT_EQ(0, zt_stats_read(&now));
	EXPECT_EQ(self->base.start.v[ZT_MAP_CALLS] + 1, now.v[ZT_MAP_CALLS]);
	EXPECT_EQ(self->base.start.v[ZT_UNMAP_CALLS] + 1, now.v[ZT_UNMAP_CALLS]);
	EXPECT_EQ(0, close(fd2));
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, close(pool));
}

/* A refused device mapping: one map call, nothing attached or mapped. */
static void expect_map_refused(struct __test_metadata *_metadata,
			       const struct zt_base *b)
{
	struct zt_stats now;

	EXPECT_EQ(0, gauge_delta(_metadata, b, ZT_ATTACHMENTS));
	EXPECT_EQ(0, gauge_delta(_metadata, b, ZT_MAPPINGS));
	EXPECT_EQ(0, zt_stats_read(&now));
	EXPECT_EQ(b->start.v[ZT_MAP_CALLS] + 1, now.v[ZT_MAP_CALLS]);
}

/*
 * DRM maps every import DMA_BIDIRECTIONAL: a read-only dma-buf is refused
 * (EACCES from zcap's map_dma_buf), leaves no attachment or mapping, and the
 * read-write dma-buf of the same buffer imports as before.
 */
TEST_F(vgem, rdonly_import_refused)
{
	const size_t size = 16 * self->page;
	uint32_t handle;
	int pool, ro, rw;

	pool = zt_pool_create(self->dev, size, 1, 0);
	ASSERT_LE(0, pool);
	ro = zt_export(pool, 0, RO_CLOEXEC, NULL);
	ASSERT_LE(0, ro);
	EXPECT_NE(0, drmPrimeFDToHandle(self->drm, ro, &handle));
	EXPECT_EQ(EACCES, errno);
	expect_map_refused(_metadata, &self->base);

	rw = zt_export(pool, 0, RW_CLOEXEC, NULL);
	ASSERT_LE(0, rw);
	ASSERT_EQ(0, drmPrimeFDToHandle(self->drm, rw, &handle))
		TH_LOG("PRIME import: %s", strerror(errno));
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_MAPPINGS));
	EXPECT_EQ(0, drmCloseBufferHandle(self->drm, handle));
	EXPECT_EQ(0, gauge_delta(_metadata, &self->base, ZT_ATTACHMENTS));
	EXPECT_EQ(0, close(rw));
	EXPECT_EQ(0, close(ro));
	EXPECT_EQ(0, close(pool));
}

TEST_F(vgem, held_after_zcap_fds_closed)
{
	const size_t size = 32 * self->page;
	struct zt_stats now;
	char diff[512];
	uint32_t handle;
	uint8_t *zp, *vp;
	int pool, fd, back, ret;
	ino_t ino;

	pool = zt_pool_create(self->dev, size, 3, 0);
	ASSERT_LE(0, pool);
	fd = zt_export(pool, 2, RW_CLOEXEC, NULL);
	ASSERT_LE(0, fd);
	ino = fd_ino(fd);
	zp = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, zp);
	fill_pattern(zp, size, 0x55);
	ASSERT_EQ(0, drmPrimeFDToHandle(self->drm, fd, &handle));

	/* Every zcap fd and mapping goes; vgem's handle keeps the buffer. */
	EXPECT_EQ(0, munmap(zp, size));
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, close(pool));
	EXPECT_EQ(0, close(self->dev));
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_BUFFERS));
	EXPECT_EQ((int64_t)size, gauge_delta(_metadata, &self->base, ZT_BYTES));
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_ATTACHMENTS));
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_MAPPINGS));
	EXPECT_EQ(0, gauge_delta(_metadata, &self->base, ZT_MMAPS));

	vp = vgem_handle_map(self->drm, handle, size, &back);
	ASSERT_NE(MAP_FAILED, vp) TH_LOG("vgem handle to fd: %s", strerror(errno));
	EXPECT_EQ(ino, fd_ino(back));
	EXPECT_EQ(size / 4, check_pattern(vp, size, 0x55, 0));
	EXPECT_EQ(0, munmap(vp, size));
	EXPECT_EQ(0, close(back));

	EXPECT_EQ(0, drmCloseBufferHandle(self->drm, handle));
	ret = zt_stats_wait_gauges(&self->base.start, &now, 1000);
	zt_stats_diff(&self->base.start, &now, diff, sizeof(diff));
	EXPECT_EQ(0, ret) TH_LOG("after GEM_CLOSE: %s", diff);
}

/*
 * vgem's fence uapi (the kernel's include/uapi/drm/vgem_drm.h, which
 * libdrm does not install): a fence on a GEM object's reservation, which
 * for an imported object is the dma-buf's, signalled by hand (or by vgem
 * after 10 s).
 */
struct zt_vgem_fence_attach {
	uint32_t handle;
	uint32_t flags;
	uint32_t out_fence;
	uint32_t pad;
};

struct zt_vgem_fence_signal {
	uint32_t fence;
	uint32_t flags;
};

#define ZT_VGEM_FENCE_WRITE	0x1
#define ZT_IOCTL_VGEM_FENCE_ATTACH \
	DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct zt_vgem_fence_attach)
#define ZT_IOCTL_VGEM_FENCE_SIGNAL \
	DRM_IOW(DRM_COMMAND_BASE + 0x2, struct zt_vgem_fence_signal)

struct sync_call {
	int fd;
	uint64_t flags;
	int ret;
	atomic_int done;
};

static void *sync_call_run(void *arg)
{
	struct sync_call *c = arg;

	c->ret = zt_sync(c->fd, c->flags);
	atomic_store(&c->done, 1);
	return NULL;
}

/*
 * SYNC_START with @flags while a vgem fence (@fence_flags) is pending on
 * @handle: it must still wait after 300 ms, with no cache sync counted,
 * and return 0 with one counted once the fence is signalled.
 */
static void expect_sync_waits(struct __test_metadata *_metadata, int drm,
			      uint32_t handle, uint32_t fence_flags, int fd,
			      uint64_t flags)
{
	struct zt_vgem_fence_attach att = { .handle = handle, .flags = fence_flags };
	struct sync_call c = { .fd = fd, .flags = DMA_BUF_SYNC_START | flags };
	struct zt_vgem_fence_signal sig = { 0 };
	struct zt_stats before, during, after;
	pthread_t th;

	ASSERT_EQ(0, ioctl(drm, ZT_IOCTL_VGEM_FENCE_ATTACH, &att))
		TH_LOG("VGEM_FENCE_ATTACH: %s", strerror(errno));
	ASSERT_EQ(0, zt_stats_read(&before));
	ASSERT_EQ(0, pthread_create(&th, NULL, sync_call_run, &c));
	usleep(300 * 1000);
	ASSERT_EQ(0, zt_stats_read(&during));
	EXPECT_EQ(0, atomic_load(&c.done))
		TH_LOG("SYNC_START returned while a device still had the buffer");
	EXPECT_EQ(before.v[ZT_CPU_ACCESS_CALLS], during.v[ZT_CPU_ACCESS_CALLS])
		TH_LOG("the caches were synced before the fence signalled");
	sig.fence = att.out_fence;
	EXPECT_EQ(0, ioctl(drm, ZT_IOCTL_VGEM_FENCE_SIGNAL, &sig));
	EXPECT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(0, c.ret);
	ASSERT_EQ(0, zt_stats_read(&after));
	EXPECT_EQ(before.v[ZT_CPU_ACCESS_CALLS] + 1, after.v[ZT_CPU_ACCESS_CALLS]);
	EXPECT_EQ(0, zt_sync(fd, DMA_BUF_SYNC_END | flags));
}

/*
 * A device's access still pending on the buffer, as an importer's fence
 * on the reservation: SYNC_START waits for it before zcap syncs the
 * caches for the CPU (the dma-buf core waits too, but only after the
 * exporter's sync). A CPU read waits for a pending write; a CPU write
 * for a pending read too, while a CPU read passes a pending read.
 */
TEST_F(vgem, sync_waits_for_fences)
{
	const size_t size = 16 * self->page;
	struct zt_vgem_fence_attach att = { 0 };
	struct zt_vgem_fence_signal sig = { 0 };
	struct zt_stats before, after;
	uint32_t handle;
	int pool, fd;

	pool = zt_pool_create(self->dev, size, 1, 0);
	ASSERT_LE(0, pool);
	fd = zt_export(pool, 0, RW_CLOEXEC, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, drmPrimeFDToHandle(self->drm, fd, &handle))
		TH_LOG("PRIME import: %s", strerror(errno));

	expect_sync_waits(_metadata, self->drm, handle, ZT_VGEM_FENCE_WRITE, fd,
			  DMA_BUF_SYNC_READ);
	expect_sync_waits(_metadata, self->drm, handle, 0, fd, DMA_BUF_SYNC_WRITE);

	/* A pending read does not hold up a CPU read. */
	att.handle = handle;
	ASSERT_EQ(0, ioctl(self->drm, ZT_IOCTL_VGEM_FENCE_ATTACH, &att));
	ASSERT_EQ(0, zt_stats_read(&before));
	EXPECT_EQ(0, zt_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(0, zt_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	ASSERT_EQ(0, zt_stats_read(&after));
	EXPECT_EQ(before.v[ZT_CPU_ACCESS_CALLS] + 2, after.v[ZT_CPU_ACCESS_CALLS]);
	sig.fence = att.out_fence;
	EXPECT_EQ(0, ioctl(self->drm, ZT_IOCTL_VGEM_FENCE_SIGNAL, &sig));

	EXPECT_EQ(0, drmCloseBufferHandle(self->drm, handle));
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, close(pool));
}

/* ---------------------------- importer ----------------------------- */

/* tests/importer/zcap_test_importer.c: maps a dma-buf via dma_buf_mmap(). */
#define ZT_IMPORTER_DEV		"/dev/zcap_test_importer"
#define ZT_IMPORTER_SET_FD	_IOW('z', 0x40, int32_t)

FIXTURE(importer) {
	struct zt_base base;
	int dev;
	int imp;
	size_t page;
};

FIXTURE_SETUP(importer)
{
	if (!base_setup(_metadata, &self->base))
		return;
	self->page = (size_t)sysconf(_SC_PAGESIZE);
	self->imp = open(ZT_IMPORTER_DEV, O_RDWR | O_CLOEXEC);
	if (self->imp < 0) {
		ASSERT_FALSE(zt_required("importer"))
			TH_LOG("no %s although the suite loaded it", ZT_IMPORTER_DEV);
		SKIP(return, "no %s (insmod zcap_test_importer.ko)", ZT_IMPORTER_DEV);
	}
	self->dev = zt_open_dev();
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN_PARENT(importer)
{
	base_check(_metadata, &self->base);
}

/*
 * An importer that maps through dma_buf_mmap() hands zcap a VMA made for
 * its own file, opened read-write here: a read-only dma-buf must still
 * map read-only (EACCES for PROT_WRITE, and no mprotect() to write
 * later), its bytes readable; the read-write dma-buf of the same buffer
 * maps writable through the same importer.
 */
TEST_F(importer, rdonly_stays_rdonly)
{
	const size_t size = 4 * self->page;
	int pool, rw, ro;
	uint8_t *zp, *p;

	ASSERT_EQ(0, zt_pool_export_map(self->dev, size, 1, 0, &pool, &rw, &zp));
	fill_pattern(zp, size, 0x5a);
	ro = zt_export(pool, 0, RO_CLOEXEC, NULL);
	ASSERT_LE(0, ro);

	ASSERT_EQ(0, ioctl(self->imp, ZT_IMPORTER_SET_FD, &ro));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, self->imp, 0);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("a read-only dma-buf mapped writable");
	if (p != MAP_FAILED) {
		EXPECT_EQ(0, munmap(p, size));
	} else {
		EXPECT_EQ(EACCES, errno);
	}
	/* zp's alone. */
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_MMAPS));

	p = mmap(NULL, size, PROT_READ, MAP_SHARED, self->imp, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("read-only through the importer: %s",
					strerror(errno));
	EXPECT_EQ(size / 4, check_pattern(p, size, 0x5a, 0));
	EXPECT_EQ(2, gauge_delta(_metadata, &self->base, ZT_MMAPS));
	EXPECT_EQ(-1, mprotect(p, size, PROT_READ | PROT_WRITE))
		TH_LOG("mprotect made a read-only dma-buf writable");
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, munmap(p, size));

	ASSERT_EQ(0, ioctl(self->imp, ZT_IMPORTER_SET_FD, &rw));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, self->imp, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("read-write through the importer: %s",
					strerror(errno));
	memset(p, 0xc3, self->page);
	EXPECT_EQ(0, zt_count_not(zp, self->page, 0xc3));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_MMAPS));

	EXPECT_EQ(0, munmap(zp, size));
	EXPECT_EQ(0, close(ro));
	EXPECT_EQ(0, close(rw));
	EXPECT_EQ(0, close(pool));
}

/* ------------------------------ vivid ------------------------------ */

#define VIVID_MAX_BUFS	8
#define VIVID_FRAMES	12
#define CANARY		0x5a

FIXTURE(vivid) {
	struct zt_base base;
	int dev;
	int vfd;
	unsigned int width, height, stride, sizeimage;
};

FIXTURE_VARIANT(vivid) {
	unsigned int inst;
	unsigned long allocator;	/* vivid's allocators= for inst */
	uint32_t pool_flags;		/* what this allocator needs */
};

FIXTURE_VARIANT_ADD(vivid, vmalloc) {
	.inst = 0,
	.allocator = 0,
	.pool_flags = 0,
};

FIXTURE_VARIANT_ADD(vivid, dma_contig) {
	.inst = 1,
	.allocator = 1,
	.pool_flags = ZCAP_POOL_CONTIGUOUS,
};

FIXTURE_SETUP(vivid)
{
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	unsigned long alloc;
	char bus[32];
	int input = 0, ret;

	if (!base_setup(_metadata, &self->base))
		return;
	snprintf(bus, sizeof(bus), "platform:vivid-%03u", variant->inst);
	self->vfd = zt_v4l2_open("vivid", bus);
	if (self->vfd < 0) {
		ASSERT_FALSE(zt_required("vivid"))
			TH_LOG("no vivid capture node on %s although the suite loaded vivid",
			       bus);
		SKIP(return, "no vivid capture node on %s", bus);
	}
	ret = zt_param_array_item("vivid", "allocators", variant->inst, &alloc);
	ASSERT_EQ(0, ret) TH_LOG("vivid allocators parameter: %s",
				 strerror(-ret));
	if (alloc != variant->allocator) {
		ASSERT_FALSE(zt_required("vivid"))
			TH_LOG("vivid instance %u uses allocator %lu, not %lu",
			       variant->inst, alloc, variant->allocator);
		SKIP(return, "load vivid with allocators=0,1");
	}
	self->dev = zt_open_dev();
	ASSERT_LE(0, self->dev);

	ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_S_INPUT, &input));
	fmt.fmt.pix.width = 640;
	fmt.fmt.pix.height = 480;
	fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	ASSERT_EQ(0, ioctl(self->vfd, VIDIOC_S_FMT, &fmt));
	ASSERT_EQ(640, fmt.fmt.pix.width);
	ASSERT_EQ(480, fmt.fmt.pix.height);
	ASSERT_EQ(V4L2_PIX_FMT_YUYV, fmt.fmt.pix.pixelformat);
	ASSERT_LE(640 * 2, fmt.fmt.pix.bytesperline);
	ASSERT_LE(fmt.fmt.pix.bytesperline * 480, fmt.fmt.pix.sizeimage);
	self->width = fmt.fmt.pix.width;
	self->height = fmt.fmt.pix.height;
	self->stride = fmt.fmt.pix.bytesperline;
	self->sizeimage = fmt.fmt.pix.sizeimage;

	ret = zt_v4l2_set_menu(self->vfd, "Test Pattern", "75% Colorbar");
	ASSERT_EQ(0, ret) TH_LOG("Test Pattern: %s", strerror(-ret));
	ret = zt_v4l2_set_menu(self->vfd, "OSD Text Mode", "None");
	ASSERT_EQ(0, ret) TH_LOG("OSD Text Mode: %s", strerror(-ret));
}

FIXTURE_TEARDOWN_PARENT(vivid)
{
	base_check(_metadata, &self->base);
}

static int vivid_reqbufs(int vfd, unsigned int count)
{
	struct v4l2_requestbuffers rb = {
		.count = count,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};

	return ioctl(vfd, VIDIOC_REQBUFS, &rb) ? -errno : (int)rb.count;
}

static int vivid_qbuf(int vfd, unsigned int index, int fd, size_t len)
{
	struct v4l2_buffer b = {
		.index = index,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
		.m.fd = fd,
		.length = (__u32)len,
	};

	return ioctl(vfd, VIDIOC_QBUF, &b) ? -errno : 0;
}

static int vivid_dqbuf(int vfd, struct v4l2_buffer *b)
{
	struct pollfd pfd = { .fd = vfd, .events = POLLIN };
	int ret;

	/* ~5 frames a second under TCG: a frame in 10 s or something broke. */
	ret = poll(&pfd, 1, 10000);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	memset(b, 0, sizeof(*b));
	b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b->memory = V4L2_MEMORY_DMABUF;
	return ioctl(vfd, VIDIOC_DQBUF, b) ? -errno : 0;
}

static int vivid_stream(int vfd, bool on)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	return ioctl(vfd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &type) ?
	       -errno : 0;
}

/* Fills a buffer with the canary, as the CPU, between SYNC_START/END. */
static int canary_fill(int fd, uint8_t *p, size_t len)
{
	int ret = zt_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);

	if (ret)
		return ret;
	memset(p, CANARY, len);
	return zt_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

TEST_F_TIMEOUT(vivid, capture, 150)
{
	int fds[VIVID_MAX_BUFS], pool, n, ret, frames, i;
	unsigned int seen[VIVID_MAX_BUFS] = { 0 }, indices_seen = 0;
	uint8_t *maps[VIVID_MAX_BUFS];
	struct zt_stats round, end, start;
	struct zcap_buf_export e;
	struct zcap_pool_info info;
	bool have_round = false;
	size_t size;
	char why[256];

	n = vivid_reqbufs(self->vfd, 4);
	ASSERT_LE(2, n) TH_LOG("REQBUFS(DMABUF): %s", strerror(-n));
	ASSERT_GE(VIVID_MAX_BUFS, n);

	/* The pool is sized from what the driver asked for, nothing else. */
	pool = zt_pool_create(self->dev, self->sizeimage, (uint32_t)n,
			      variant->pool_flags);
	ASSERT_LE(0, pool) TH_LOG("POOL_CREATE: %s", strerror(-pool));
	ASSERT_EQ(0, zt_pool_info(pool, &info));
	size = info.buffer_size;
	if (variant->pool_flags & ZCAP_POOL_CONTIGUOUS)
		EXPECT_EQ((uint32_t)n, info.sg_entries);
	for (i = 0; i < n; i++) {
		fds[i] = zt_export(pool, (uint32_t)i, RW_CLOEXEC, &e);
		ASSERT_LE(0, fds[i]);
		maps[i] = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			       fds[i], 0);
		ASSERT_NE(MAP_FAILED, maps[i]);
		ASSERT_EQ(0, canary_fill(fds[i], maps[i], size));
	}
	ASSERT_EQ(0, zt_stats_read(&start));

	for (i = 0; i < n; i++) {
		ret = vivid_qbuf(self->vfd, (unsigned int)i, fds[i], size);
		ASSERT_EQ(0, ret) TH_LOG("QBUF %d: %s", i, strerror(-ret));
	}
	/* vb2-vmalloc vmaps at QBUF; vb2-dma-contig attaches and maps. */
	if (variant->allocator == 0) {
		EXPECT_EQ(n, gauge_delta(_metadata, &self->base, ZT_VMAPS));
	} else {
		EXPECT_EQ(n, gauge_delta(_metadata, &self->base, ZT_ATTACHMENTS));
		EXPECT_EQ(n, gauge_delta(_metadata, &self->base, ZT_MAPPINGS));
	}
	ASSERT_EQ(0, vivid_stream(self->vfd, true));

	for (frames = 0; frames < VIVID_FRAMES; frames++) {
		struct v4l2_buffer b;
		unsigned int idx;
		uint8_t *p;

		ret = vivid_dqbuf(self->vfd, &b);
		ASSERT_EQ(0, ret) TH_LOG("DQBUF frame %d: %s", frames,
					 strerror(-ret));
		idx = b.index;
		ASSERT_GT((unsigned int)n, idx);
		EXPECT_EQ(fds[idx], b.m.fd);
		EXPECT_EQ(0, b.flags & V4L2_BUF_FLAG_ERROR);
		EXPECT_EQ(self->sizeimage, b.bytesused);
		p = maps[idx];

		/* Read what the driver wrote, through zcap, not V4L2. */
		ASSERT_EQ(0, zt_sync(fds[idx], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
		EXPECT_LT(b.bytesused / 2, zt_count_not(p, b.bytesused, CANARY))
			TH_LOG("frame %d (buffer %u) is still canary", frames,
			       idx);
		ret = zt_check_colorbar_yuyv(p, self->width, self->height,
					     self->stride, why, sizeof(why));
		EXPECT_EQ(0, ret) TH_LOG("frame %d (buffer %u): %s", frames,
					 idx, why);
		ASSERT_EQ(0, zt_sync(fds[idx], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
		ASSERT_EQ(0, canary_fill(fds[idx], p, size));

		if (!seen[idx]++)
			indices_seen++;
		/*
		 * Once every buffer has been through the driver, vb2 has all
		 * it needs mapped; the same dma-buf at the same index must not
		 * be mapped again.
		 */
		if (indices_seen == (unsigned int)n && !have_round) {
			ASSERT_EQ(0, zt_stats_read(&round));
			have_round = true;
		}
		ret = vivid_qbuf(self->vfd, idx, fds[idx], size);
		ASSERT_EQ(0, ret) TH_LOG("re-QBUF %u: %s", idx, strerror(-ret));
	}
	ASSERT_TRUE(have_round) TH_LOG("%d frames did not visit all %d buffers",
				       frames, n);
	ASSERT_EQ(0, zt_stats_read(&end));
	EXPECT_EQ(round.v[ZT_MAP_CALLS], end.v[ZT_MAP_CALLS]);
	EXPECT_EQ(round.v[ZT_VMAP_CALLS], end.v[ZT_VMAP_CALLS]);
	EXPECT_EQ(round.v[ZT_ATTACHMENTS], end.v[ZT_ATTACHMENTS]);
	/* At most one map (or vmap) per buffer over the whole stream. */
	EXPECT_GE(start.v[ZT_MAP_CALLS] + (uint64_t)n, end.v[ZT_MAP_CALLS]);
	EXPECT_GE(start.v[ZT_VMAP_CALLS] + (uint64_t)n, end.v[ZT_VMAP_CALLS]);
	EXPECT_EQ(start.v[ZT_DMABUFS_EXPORTED], end.v[ZT_DMABUFS_EXPORTED]);
	/* Two SYNC_START per frame at least reached the exporter. */
	EXPECT_LE(start.v[ZT_CPU_ACCESS_CALLS] + 2ULL * VIVID_FRAMES,
		  end.v[ZT_CPU_ACCESS_CALLS]);

	ASSERT_EQ(0, vivid_stream(self->vfd, false));
	ASSERT_EQ(0, vivid_reqbufs(self->vfd, 0));
	/* vb2 let go of everything; our own fds and mappings remain. */
	EXPECT_EQ(0, gauge_delta(_metadata, &self->base, ZT_ATTACHMENTS));
	EXPECT_EQ(0, gauge_delta(_metadata, &self->base, ZT_MAPPINGS));
	EXPECT_EQ(0, gauge_delta(_metadata, &self->base, ZT_VMAPS));
	EXPECT_EQ(n, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
	EXPECT_EQ(n, gauge_delta(_metadata, &self->base, ZT_MMAPS));

	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, munmap(maps[i], size));
		EXPECT_EQ(0, close(fds[i]));
	}
	EXPECT_EQ(0, close(pool));
}

/*
 * The pool kind the device does not need: vb2-dma-contig must refuse a
 * scattered buffer at QBUF (EFAULT: mapped, then found not contiguous)
 * with no kernel warning; vb2-vmalloc takes a contiguous one happily.
 */
/*
 * A capture queue that maps a read-only dma-buf for DMA (vb2-dma-contig,
 * DMA_FROM_DEVICE) fails its QBUF: zcap refuses the mapping. Nothing stays
 * attached or mapped, and the read-write dma-buf of the same buffer is then
 * taken at the same index. vb2-vmalloc only vmaps, which has no direction
 * and which the dma-buf core cannot see refused without a WARNING: that
 * variant is skipped, and Documentation/abi.md says so.
 */
TEST_F_TIMEOUT(vivid, rdonly_refused, 60)
{
	struct zcap_pool_info info;
	int n, pool, ro, rw, ret;
	size_t size;

	if (variant->allocator != 1)
		SKIP(return, "vb2-vmalloc vmaps, which a read-only dma-buf cannot refuse");
	n = vivid_reqbufs(self->vfd, 1);
	ASSERT_LE(1, n);
	pool = zt_pool_create(self->dev, self->sizeimage, 1, variant->pool_flags);
	ASSERT_LE(0, pool);
	ASSERT_EQ(0, zt_pool_info(pool, &info));
	size = info.buffer_size;
	ro = zt_export(pool, 0, RO_CLOEXEC, NULL);
	ASSERT_LE(0, ro);

	ret = vivid_qbuf(self->vfd, 0, ro, size);
	EXPECT_GT(0, ret) TH_LOG("vivid took a read-only dma-buf to capture into");
	expect_map_refused(_metadata, &self->base);

	rw = zt_export(pool, 0, RW_CLOEXEC, NULL);
	ASSERT_LE(0, rw);
	ret = vivid_qbuf(self->vfd, 0, rw, size);
	EXPECT_EQ(0, ret) TH_LOG("QBUF of the read-write dma-buf: %s",
				 strerror(-ret));
	ASSERT_EQ(0, vivid_reqbufs(self->vfd, 0));
	EXPECT_EQ(0, gauge_delta(_metadata, &self->base, ZT_ATTACHMENTS));
	EXPECT_EQ(0, close(rw));
	EXPECT_EQ(0, close(ro));
	EXPECT_EQ(0, close(pool));
}

TEST_F_TIMEOUT(vivid, other_pool_kind, 90)
{
	const uint32_t count = VIVID_MAX_BUFS;
	uint32_t flags = variant->pool_flags ^ ZCAP_POOL_CONTIGUOUS;
	int n, pool, fd, ret, refused = 0, i;
	struct zcap_pool_info info;
	size_t size;

	n = vivid_reqbufs(self->vfd, 2);
	ASSERT_LE(2, n);
	pool = zt_pool_create(self->dev, self->sizeimage, count, flags);
	ASSERT_LE(0, pool);
	ASSERT_EQ(0, zt_pool_info(pool, &info));
	size = info.buffer_size;

	if (variant->allocator == 1) {
		int good_pool, good;

		for (i = 0; i < (int)count; i++) {
			struct zcap_buf_export e;

			fd = zt_export(pool, (uint32_t)i, RW_CLOEXEC, &e);
			ASSERT_LE(0, fd);
			/*
			 * A scatter list merges adjacent pages, so more than
			 * one entry means pieces apart in memory.
			 */
			if (e.sg_entries == 1) {
				/* Contiguous by luck: proves nothing. */
				EXPECT_EQ(0, close(fd));
				continue;
			}
			ret = vivid_qbuf(self->vfd, 0, fd, size);
			EXPECT_EQ(-EFAULT, ret) TH_LOG("buffer %d in %u pieces: QBUF %s",
						       i, e.sg_entries,
						       strerror(-ret));
			refused++;
			EXPECT_EQ(0, close(fd));
			EXPECT_EQ(0, gauge_delta(_metadata, &self->base,
						 ZT_ATTACHMENTS));
			EXPECT_EQ(0, gauge_delta(_metadata, &self->base,
						 ZT_MAPPINGS));
		}
		EXPECT_LT(0, refused) TH_LOG("no scattered buffer among %u", count);

		/* The same index then takes a contiguous buffer. */
		good_pool = zt_pool_create(self->dev, self->sizeimage, 1,
					   ZCAP_POOL_CONTIGUOUS);
		ASSERT_LE(0, good_pool);
		good = zt_export(good_pool, 0, RW_CLOEXEC, NULL);
		ASSERT_LE(0, good);
		EXPECT_EQ(0, vivid_qbuf(self->vfd, 0, good, size));
		EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_MAPPINGS));
		ASSERT_EQ(0, vivid_reqbufs(self->vfd, 0));
		EXPECT_EQ(0, close(good));
		EXPECT_EQ(0, close(good_pool));
	} else {
		struct v4l2_buffer b;
		char why[256];
		int fds[VIVID_MAX_BUFS];
		uint8_t *maps[VIVID_MAX_BUFS];

		for (i = 0; i < n; i++) {
			fds[i] = zt_export(pool, (uint32_t)i, RW_CLOEXEC, NULL);
			ASSERT_LE(0, fds[i]);
			maps[i] = mmap(NULL, size, PROT_READ | PROT_WRITE,
				       MAP_SHARED, fds[i], 0);
			ASSERT_NE(MAP_FAILED, maps[i]);
			ASSERT_EQ(0, canary_fill(fds[i], maps[i], size));
			ret = vivid_qbuf(self->vfd, (unsigned int)i, fds[i], size);
			ASSERT_EQ(0, ret) TH_LOG("QBUF: %s", strerror(-ret));
		}
		ASSERT_EQ(0, vivid_stream(self->vfd, true));
		ret = vivid_dqbuf(self->vfd, &b);
		ASSERT_EQ(0, ret) TH_LOG("DQBUF: %s", strerror(-ret));
		ASSERT_GT((unsigned int)n, b.index);
		ASSERT_EQ(0, zt_sync(fds[b.index], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
		ret = zt_check_colorbar_yuyv(maps[b.index], self->width,
					     self->height, self->stride, why,
					     sizeof(why));
		EXPECT_EQ(0, ret) TH_LOG("%s", why);
		ASSERT_EQ(0, zt_sync(fds[b.index], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
		ASSERT_EQ(0, vivid_stream(self->vfd, false));
		ASSERT_EQ(0, vivid_reqbufs(self->vfd, 0));
		for (i = 0; i < n; i++) {
			EXPECT_EQ(0, munmap(maps[i], size));
			EXPECT_EQ(0, close(fds[i]));
		}
	}
	EXPECT_EQ(0, close(pool));
}

TEST_HARNESS_MAIN
