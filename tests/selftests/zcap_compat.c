// SPDX-License-Identifier: GPL-2.0
/*
 * zcap from a 32-bit process on a 64-bit kernel: the uapi structures have
 * one layout for both (fixed-size types, natural alignment), and the
 * module answers through compat_ptr_ioctl. Built with -m32 -static, so it
 * needs no 32-bit library in the VM; built natively it checks the same
 * layout from the 64-bit side.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "kselftest_harness.h"
#include "zcap_test.h"
#include "zcap_util.h"

/* The layout abi.md promises, whatever the word size. */
#define ZT_LAYOUT(type, size, last, last_off)				\
	_Static_assert(sizeof(struct type) == (size),			\
		       #type " size");					\
	_Static_assert(offsetof(struct type, last) == (last_off),	\
		       #type " layout")

ZT_LAYOUT(zcap_version, 72, reserved, 40);
ZT_LAYOUT(zcap_pool_create, 56, reserved, 24);
ZT_LAYOUT(zcap_pool_info, 72, reserved, 40);
ZT_LAYOUT(zcap_buf_export, 56, reserved, 24);
_Static_assert(offsetof(struct zcap_pool_create, pool_fd) == 20, "pool_fd");
_Static_assert(offsetof(struct zcap_buf_export, size) == 16, "size");
_Static_assert(offsetof(struct zcap_version, max_contig_bytes) == 24,
	       "max_contig_bytes");

FIXTURE(compat) {
	struct zt_base base;
	int dev;
	size_t page;
};

FIXTURE_SETUP(compat)
{
	if (!base_setup(_metadata, &self->base))
		return;
	self->page = (size_t)sysconf(_SC_PAGESIZE);
	self->dev = zt_open_dev();
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", ZT_DEV_PATH,
				       strerror(-self->dev));
}

FIXTURE_TEARDOWN_PARENT(compat)
{
	base_check(_metadata, &self->base);
}

TEST_F(compat, word_size)
{
	TH_LOG("%zu-bit process", sizeof(long) * 8);
}

TEST_F(compat, version)
{
	struct zcap_version ver;

	version_check(_metadata, self->dev, self->page, &ver);
}

TEST_F(compat, pool_export_mmap)
{
	const size_t size = 4 * self->page;
	struct zcap_pool_create c = {
		.buffer_size = 3 * self->page + 1,
		.count = 2,
		.fd_flags = O_CLOEXEC,
	};
	struct zcap_pool_info info;
	struct zcap_buf_export e;
	uint32_t *w, *r;
	int pool, a, b;
	size_t i;

	pool = zt_pool_create_args(self->dev, &c);
	ASSERT_LE(0, pool) TH_LOG("POOL_CREATE: %s", strerror(-pool));
	EXPECT_EQ(pool, c.pool_fd);
	/* Every input field comes back as it went in. */
	EXPECT_EQ(3 * self->page + 1, c.buffer_size);
	EXPECT_EQ(2, c.count);
	EXPECT_EQ(O_CLOEXEC, c.fd_flags);

	memset(&info, 0xff, sizeof(info));
	ASSERT_EQ(0, zt_pool_info(pool, &info));
	EXPECT_EQ(size, info.buffer_size);
	EXPECT_EQ(2 * size, info.total_bytes);
	EXPECT_EQ(2, info.count);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(0, info.exported);
	EXPECT_EQ(0, info.pad);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, info.reserved[i]);

	a = zt_export(pool, 1, O_RDWR | O_CLOEXEC, &e);
	ASSERT_LE(0, a);
	EXPECT_EQ(a, e.fd);
	EXPECT_EQ(1, e.index);
	EXPECT_EQ(size, e.size);
	EXPECT_LE(1, e.sg_entries);
	b = zt_export(pool, 1, O_RDONLY | O_CLOEXEC, NULL);
	ASSERT_LE(0, b);

	w = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	ASSERT_NE(MAP_FAILED, w);
	r = mmap(NULL, size, PROT_READ, MAP_SHARED, b, 0);
	ASSERT_NE(MAP_FAILED, r);
	for (i = 0; i < size / 4; i++)
		w[i] = (uint32_t)(i * 2654435761u);
	EXPECT_EQ(0, zt_sync(b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(0, memcmp(w, r, size));
	EXPECT_EQ(0, zt_sync(b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	EXPECT_EQ(1, gauge_delta(_metadata, &self->base, ZT_POOLS));
	EXPECT_EQ(2, gauge_delta(_metadata, &self->base, ZT_DMABUFS));
	EXPECT_EQ(2, gauge_delta(_metadata, &self->base, ZT_MMAPS));

	EXPECT_EQ(0, munmap(r, size));
	EXPECT_EQ(0, munmap(w, size));
	EXPECT_EQ(0, close(b));
	EXPECT_EQ(0, close(a));
	EXPECT_EQ(0, close(pool));
}

TEST_F(compat, errors)
{
	struct zcap_pool_create c = {
		.buffer_size = self->page,
		.count = 1,
	};
	struct zcap_buf_export e = { .flags = O_RDWR };
	int pool;

	EXPECT_EQ(-1, ioctl(self->dev, ZCAP_IOC_VERSION, NULL));
	EXPECT_EQ(EFAULT, errno);
	c.reserved[3] = 1;
	EXPECT_EQ(-1, ioctl(self->dev, ZCAP_IOC_POOL_CREATE, &c));
	EXPECT_EQ(EINVAL, errno);
	c.reserved[3] = 0;
	c.buffer_size = UINT64_MAX;
	EXPECT_EQ(-1, ioctl(self->dev, ZCAP_IOC_POOL_CREATE, &c));
	EXPECT_EQ(EOVERFLOW, errno);
	c.buffer_size = self->page;

	pool = zt_pool_create_args(self->dev, &c);
	ASSERT_LE(0, pool);
	e.index = 1;
	EXPECT_EQ(-1, ioctl(pool, ZCAP_IOC_BUF_EXPORT, &e));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(pool, ZCAP_IOC_VERSION, &c));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(0, close(pool));
}

TEST_HARNESS_MAIN
