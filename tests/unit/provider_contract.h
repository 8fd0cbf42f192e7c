/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The allocator contract on a real dma-buf provider, through the public
 * API only: used on the host (tests/unit/test_providers.c, for whatever
 * provider this machine has) and in the VM (tests/vm/lib_providers.c, for
 * zcap.ko, the system dma-heap and udmabuf).
 */
#ifndef ZCAP_TESTS_PROVIDER_CONTRACT_H
#define ZCAP_TESTS_PROVIDER_CONTRACT_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include <zcap/zcap.h>

#include "tap.h"

#define PC_COUNT 4
#define PC_NMEM 2

/* A byte pattern that differs per buffer, block and offset. */
static inline uint8_t pc_byte(uint32_t idx, uint32_t m, uint64_t i)
{
	return (uint8_t)(idx * 31 + m * 7 + i * 13 + (i >> 8));
}

static inline bool pc_is_dmabuf(int fd, uint64_t need)
{
	struct dma_buf_sync sync = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };
	off_t size = lseek(fd, 0, SEEK_END);

	if (size < 0 || (uint64_t)size < need || ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync))
		return false;
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) == 0;
}

static inline bool pc_fill(struct zcap_sample *s, bool check)
{
	uint32_t idx = zcap_sample_index(s);
	bool good = true;

	if (zcap_sample_cpu_begin(s, check ? ZCAP_ACCESS_READ : ZCAP_ACCESS_WRITE))
		return false;
	for (uint32_t m = 0; m < zcap_sample_n_mem(s); m++) {
		struct zcap_mem mem = { .fd = -1 };
		uint8_t *p = zcap_sample_data(s, m);

		if (!p || zcap_sample_mem(s, m, &mem))
			good = false;
		for (uint64_t i = 0; p && i < mem.length; i++) {
			if (!check)
				p[i] = pc_byte(idx, m, i);
			else if (p[i] != pc_byte(idx, m, i))
				good = false;
		}
	}
	if (zcap_sample_cpu_end(s))
		good = false;
	return good && !zcap_sample_data(s, 0);
}

/* Read block @m of @s through a mapping of our own, not the library's. */
static inline bool pc_check_own_map(struct zcap_sample *s, uint32_t m)
{
	struct dma_buf_sync sync = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ };
	struct zcap_mem mem = { .fd = -1 };
	uint8_t *p;
	bool good = true;

	if (zcap_sample_mem(s, m, &mem))
		return false;
	p = mmap(NULL, mem.offset + mem.length, PROT_READ, MAP_SHARED, mem.fd, 0);
	if (p == MAP_FAILED)
		return false;
	ioctl(mem.fd, DMA_BUF_IOCTL_SYNC, &sync);
	for (uint64_t i = 0; i < mem.length; i++)
		if (p[mem.offset + i] != pc_byte(zcap_sample_index(s), m, i)) {
			good = false;
			break;
		}
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	ioctl(mem.fd, DMA_BUF_IOCTL_SYNC, &sync);
	munmap(p, mem.offset + mem.length);
	return good;
}

static inline int pc_propose(struct zcap_pin *pin, struct zcap_allocator **out)
{
	enum zcap_provider *p = zcap_pin_priv(pin);

	return zcap_allocator_new_dmabuf(*p, out);
}

static inline int pc_enum(struct zcap_pin *pin, uint32_t i, struct zcap_format *f)
{
	(void)pin;
	if (i)
		return -ENOENT;
	memset(f, 0, sizeof(*f));
	f->fourcc = ZCAP_FOURCC('N', 'M', '1', '2');
	f->width = 320;
	f->height = 240;
	return zcap_format_layout(f, NULL);
}

/*
 * Run the contract on provider @p; false when @p cannot be opened here
 * (one skip line says why).
 */
static inline bool provider_contract(enum zcap_provider p)
{
	const char *name = zcap_provider_name(p);
	struct zcap_allocator *a = NULL;
	struct zcap_alloc_props req = { .count = PC_COUNT, .n_mem = PC_NMEM,
					.align = 64, .prefix = 100 }, got;
	struct zcap_sample *s[PC_COUNT] = { 0 };
	int fds[PC_COUNT][PC_NMEM];
	long page = sysconf(_SC_PAGESIZE);
	char why[512];
	bool good;
	int ret;

	ret = zcap_provider_probe(p, why, sizeof(why));
	if (ret) {
		tap_skip(why, "%s: allocator contract", name);
		return false;
	}
	is(zcap_allocator_new_dmabuf(p, &a), 0, "%s: new_dmabuf", name);
	if (!a)
		return true;
	ok(zcap_allocator_provider(a) == p && zcap_allocator_is_dmabuf(a),
	   "%s: provider and is_dmabuf", name);
	tap_diag("%s: %s", name, zcap_allocator_describe(a));
	req.size[0] = 5000;
	req.size[1] = 3000;
	is(zcap_allocator_set_properties(a, &req, &got), 0, "%s: set_properties", name);
	ok(got.count == PC_COUNT && got.n_mem == PC_NMEM &&
	   (got.size[0] + 128) % page == 0 && got.size[0] >= 5000 &&
	   (got.size[1] + 128) % page == 0 && got.size[1] >= 3000,
	   "%s: granted blocks of whole pages, data at prefix 100 rounded to 64", name);
	is(zcap_allocator_commit(a), 0, "%s: commit", name);

	good = true;
	for (int i = 0; i < PC_COUNT; i++) {
		if (zcap_allocator_get_buffer(a, 0, &s[i])) {
			good = false;
			continue;
		}
		for (uint32_t m = 0; m < PC_NMEM; m++) {
			struct zcap_mem mem = { .fd = -1 };
			int fl, fdfl;

			good &= !zcap_sample_mem(s[i], m, &mem);
			fds[zcap_sample_index(s[i])][m] = mem.fd;
			fl = fcntl(mem.fd, F_GETFL);
			fdfl = fcntl(mem.fd, F_GETFD);
			good &= mem.offset == 128 && mem.length == got.size[m] &&
				pc_is_dmabuf(mem.fd, mem.offset + mem.length) &&
				fl >= 0 && (fl & O_ACCMODE) == O_RDWR &&
				fdfl >= 0 && (fdfl & FD_CLOEXEC);
		}
	}
	ok(good, "%s: %d buffers x %d blocks: each a read-write, close-on-exec dma-buf, data at 128",
	   name, PC_COUNT, PC_NMEM);
	good = true;
	for (int i = 0; i < PC_COUNT; i++)
		good &= s[i] && pc_fill(s[i], false);
	ok(good, "%s: CPU writes between cpu_begin/cpu_end (DMA_BUF_IOCTL_SYNC)", name);
	for (int i = 0; i < PC_COUNT; i++)
		zcap_sample_unref(s[i]);
	is(zcap_allocator_free_count(a), PC_COUNT, "%s: all back", name);

	good = true;
	for (int i = 0; i < PC_COUNT; i++) {
		zcap_allocator_get_buffer(a, 0, &s[i]);
		for (uint32_t m = 0; s[i] && m < PC_NMEM; m++) {
			struct zcap_mem mem = { .fd = -1 };

			good &= !zcap_sample_mem(s[i], m, &mem);
			good &= fds[zcap_sample_index(s[i])][m] == mem.fd;
		}
	}
	ok(good, "%s: the same dma-buf fd at the same index the next time round", name);
	good = true;
	for (int i = 0; i < PC_COUNT; i++)
		good &= s[i] && pc_fill(s[i], true);
	ok(good, "%s: the bytes survive, read back through the library's mapping", name);
	good = true;
	for (int i = 0; i < PC_COUNT; i++)
		for (uint32_t m = 0; s[i] && m < PC_NMEM; m++)
			good &= pc_check_own_map(s[i], m);
	ok(good, "%s: and through a mapping of the dma-buf fd of our own", name);

	zcap_allocator_decommit(a);
	is(zcap_allocator_outstanding(a), PC_COUNT, "%s: decommit with %d out", name, PC_COUNT);
	ok(pc_fill(s[0], true), "%s: a sample out after decommit still reads its bytes", name);
	for (int i = 0; i < PC_COUNT; i++)
		zcap_sample_unref(s[i]);
	is(zcap_allocator_outstanding(a), 0, "%s: all back after decommit", name);

	/* Contiguity: only zcap.ko can promise it. */
	req.flags = ZCAP_PROPS_CONTIGUOUS;
	req.count = 2;
	zcap_allocator_set_properties(a, &req, &got);
	if (p == ZCAP_PROVIDER_ZCAP) {
		ok(got.flags & ZCAP_PROPS_CONTIGUOUS, "%s: contiguous buffers granted", name);
		is(zcap_allocator_commit(a), 0, "%s: commit contiguous", name);
		zcap_allocator_get_buffer(a, 0, &s[0]);
		ok(s[0] && pc_fill(s[0], false) && pc_fill(s[0], true), "%s: contiguous buffer read/write", name);
		zcap_sample_unref(s[0]);
		zcap_allocator_decommit(a);
	} else {
		ok(!(got.flags & ZCAP_PROPS_CONTIGUOUS),
		   "%s: contiguity not granted (so DecideAllocator rejects it)", name);
	}
	zcap_allocator_unref(a);

	/* A pin backed by this provider proposes it, and connect decides it. */
	{
		struct zcap_input_pin_ops iops = { .propose_allocator = pc_propose };
		struct zcap_output_pin_ops oops = { .enum_format = pc_enum };
		struct zcap_filter *fo, *fi;
		struct zcap_pin *out, *in;
		struct zcap_allocator *d = NULL, *g = NULL;
		enum zcap_provider prov = p;

		zcap_filter_new("src", NULL, NULL, &fo);
		zcap_filter_new("sink", NULL, NULL, &fi);
		zcap_pin_new_output(fo, "out", &oops, NULL, &out);
		zcap_pin_new_input(fi, "in", &iops, &prov, &in);
		zcap_pin_get_allocator(in, &g);
		ok(g && zcap_allocator_provider(g) == p && zcap_allocator_is_dmabuf(g),
		   "%s: a pin backed by it proposes a %s dma-buf allocator", name, name);
		zcap_allocator_unref(g);
		is(zcap_pin_connect(out, in, NULL), 0, "%s: connect NV12M 320x240", name);
		zcap_pin_allocator(out, &d);
		ok(d && zcap_allocator_provider(d) == p && zcap_allocator_count(d) >= 1,
		   "%s: the decided allocator is the input pin's %s allocator", name, name);
		if (d && !zcap_allocator_commit(d)) {
			struct zcap_sample *x = NULL;
			struct zcap_mem m0, m1;

			zcap_allocator_get_buffer(d, 0, &x);
			ok(x && zcap_sample_n_mem(x) == 2 && !zcap_sample_mem(x, 0, &m0) &&
			   !zcap_sample_mem(x, 1, &m1) && m0.fd != m1.fd &&
			   m0.length >= 320 * 240 && m1.length >= 320 * 120,
			   "%s: NV12M: one dma-buf per block, sized for its plane", name);
			zcap_sample_unref(x);
			zcap_allocator_decommit(d);
		} else {
			ok(0, "%s: commit the decided allocator", name);
		}
		zcap_allocator_unref(d);
		zcap_filter_destroy(fi);
		zcap_filter_destroy(fo);
	}
	return true;
}

#endif /* ZCAP_TESTS_PROVIDER_CONTRACT_H */
