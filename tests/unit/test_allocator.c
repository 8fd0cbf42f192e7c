// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The allocator contract (IMemAllocator): properties, commit, get_buffer
 * with and without timeouts, release through the sample's last reference,
 * decommit with samples out, the wait fd, and the dma-buf CPU access
 * bracket, on the memory provider and on a fake dma-buf provider.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <zcap/allocator.h>
#include <zcap/error.h>
#include <zcap/sample.h>

#include "core/filter_util.h"
#include "helpers.h"
#include "tap.h"

static struct zcap_allocator *mem_alloc(uint32_t count, uint64_t size)
{
	struct zcap_allocator *a = NULL;
	struct zcap_alloc_props p = props_1(count, size);

	if (zcap_allocator_new_memory(&a) || zcap_allocator_set_properties(a, &p, NULL))
		abort();
	return a;
}

static bool fd_readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

static void test_args(void)
{
	struct zcap_allocator *a = NULL, *bad = (void *)1;
	struct zcap_alloc_props p = props_1(2, 100), got;
	struct zcap_sample *s = (void *)1;
	struct zcap_mem m;

	is(zcap_allocator_new_memory(NULL), -EINVAL, "new_memory(NULL) -> -EINVAL");
	is(zcap_allocator_new_dmabuf(ZCAP_PROVIDER_MEMORY, &bad), -EINVAL,
	   "new_dmabuf(MEMORY) -> -EINVAL");
	ok(bad == NULL, "and *out is NULL");
	is(zcap_allocator_new_dmabuf(ZCAP_PROVIDER_V4L2, &a), -EINVAL, "new_dmabuf(V4L2) -> -EINVAL");
	is(zcap_allocator_new_dmabuf(99, &a), -EINVAL, "new_dmabuf(99) -> -EINVAL");
	is(zcap_allocator_set_properties(NULL, &p, NULL), -EINVAL, "set_properties(NULL) -> -EINVAL");
	is(zcap_allocator_get_properties(NULL, &got), -EINVAL, "get_properties(NULL) -> -EINVAL");
	is(zcap_allocator_commit(NULL), -EINVAL, "commit(NULL) -> -EINVAL");
	is(zcap_allocator_decommit(NULL), -EINVAL, "decommit(NULL) -> -EINVAL");
	is(zcap_allocator_get_buffer(NULL, 0, &s), -EINVAL, "get_buffer(NULL) -> -EINVAL");
	ok(s == NULL, "and *out is NULL");
	is(zcap_allocator_wait_fd(NULL), -EINVAL, "wait_fd(NULL) -> -EINVAL");
	ok(!zcap_allocator_committed(NULL) && !zcap_allocator_count(NULL) &&
	   !zcap_allocator_free_count(NULL) && !zcap_allocator_outstanding(NULL) &&
	   !zcap_allocator_is_dmabuf(NULL) && zcap_allocator_describe(NULL) &&
	   zcap_allocator_ref(NULL) == NULL,
	   "getters take NULL");
	zcap_allocator_unref(NULL);
	zcap_sample_unref(NULL);
	ok(zcap_sample_ref(NULL) == NULL && zcap_sample_allocator(NULL) == NULL &&
	   zcap_sample_n_mem(NULL) == 0 && zcap_sample_mem(NULL, 0, &m) == -EINVAL &&
	   zcap_sample_cpu_begin(NULL, ZCAP_ACCESS_READ) == -EINVAL &&
	   zcap_sample_cpu_end(NULL) == -EINVAL && zcap_sample_data(NULL, 0) == NULL &&
	   zcap_sample_format(NULL) == NULL,
	   "sample calls take NULL");

	zcap_allocator_new_memory(&a);
	is(zcap_allocator_set_properties(a, NULL, NULL), -EINVAL, "set_properties(req NULL) -> -EINVAL");
	is(zcap_allocator_get_buffer(a, 0, NULL), -EINVAL, "get_buffer(out NULL) -> -EINVAL");
	p = props_1(0, 100);
	is(zcap_allocator_set_properties(a, &p, NULL), -EINVAL, "count 0 -> -EINVAL");
	p = props_1(2, 100);
	p.align = 3;
	is(zcap_allocator_set_properties(a, &p, NULL), -EINVAL, "align 3 -> -EINVAL");
	p = props_1(2, 100);
	p.n_mem = ZCAP_MAX_PLANES + 1;
	is(zcap_allocator_set_properties(a, &p, NULL), -EINVAL, "n_mem 5 -> -EINVAL");
	p = props_1(2, 0);
	is(zcap_allocator_set_properties(a, &p, NULL), -EINVAL, "size 0 -> -EINVAL");
	p = props_1(2, 100);
	p.size[1] = 100;
	is(zcap_allocator_set_properties(a, &p, NULL), -EINVAL, "a size for a block beyond n_mem -> -EINVAL");
	p = props_1(2, 100);
	p.flags = 1u << 7;
	is(zcap_allocator_set_properties(a, &p, NULL), -EINVAL, "unknown flag -> -EINVAL");
	p = props_1(2, 100);
	p.reserved = 1;
	is(zcap_allocator_set_properties(a, &p, NULL), -EINVAL, "reserved set -> -EINVAL");
	is(zcap_allocator_get_properties(a, &got), ZCAP_E_SIZE_NOT_SET,
	   "nothing was granted after refused requests: SIZE_NOT_SET");
	zcap_allocator_unref(a);
}

static void test_life(void)
{
	struct zcap_allocator *a = NULL;
	struct zcap_alloc_props p = props_1(300, 1000), got;
	struct zcap_sample *s[3], *x = (void *)1;
	int64_t t0;

	zcap_allocator_new_memory(&a);
	is(zcap_allocator_provider(a), ZCAP_PROVIDER_MEMORY, "memory allocator's provider");
	ok(!zcap_allocator_is_dmabuf(a), "memory is not dma-buf");
	ok(strstr(zcap_allocator_describe(a), "memory") != NULL, "describe: %s",
	   zcap_allocator_describe(a));
	is(zcap_allocator_commit(a), ZCAP_E_SIZE_NOT_SET, "commit before set_properties -> SIZE_NOT_SET");
	is(zcap_allocator_get_properties(a, &got), ZCAP_E_SIZE_NOT_SET, "get_properties before set -> SIZE_NOT_SET");
	is(zcap_allocator_get_buffer(a, 0, &x), ZCAP_E_NOT_COMMITTED, "get_buffer before commit -> NOT_COMMITTED");
	ok(x == NULL, "and *out is NULL");

	p.flags = ZCAP_PROPS_CONTIGUOUS;
	is(zcap_allocator_set_properties(a, &p, &got), 0, "set_properties 300 x 1000");
	ok(got.count == ZCAP_MAX_BUFFERS && got.n_mem == 1 && got.align == 1 &&
	   got.size[0] == 1000 && !(got.flags & ZCAP_PROPS_CONTIGUOUS),
	   "granted: count capped at %u, n_mem 0->1, align 0->1, no contiguity from malloc",
	   ZCAP_MAX_BUFFERS);
	memset(&p, 0, sizeof(p));
	zcap_allocator_get_properties(a, &p);
	ok(!memcmp(&p, &got, sizeof(p)), "get_properties returns what was granted");
	p = props_1(3, 1000);
	zcap_allocator_set_properties(a, &p, &got);
	is(zcap_allocator_count(a), 3, "set again: 3 buffers");
	is(zcap_allocator_commit(a), 0, "commit");
	ok(zcap_allocator_committed(a), "committed");
	is(zcap_allocator_commit(a), 0, "commit twice is fine");
	is(zcap_allocator_set_properties(a, &p, NULL), ZCAP_E_ALREADY_COMMITTED,
	   "set_properties when committed -> ALREADY_COMMITTED");
	is(zcap_allocator_free_count(a), 3, "3 free");
	for (int i = 0; i < 3; i++)
		zcap_allocator_get_buffer(a, 0, &s[i]);
	ok(s[0] && s[1] && s[2] && s[0] != s[1] && s[1] != s[2], "three distinct samples");
	is(zcap_allocator_outstanding(a), 3, "3 outstanding");
	t0 = now_ms();
	is(zcap_allocator_get_buffer(a, 0, &x), ZCAP_E_TIMEOUT, "non-blocking get with none free -> TIMEOUT");
	ok(now_ms() - t0 < 50, "at once");
	t0 = now_ms();
	is(zcap_allocator_get_buffer(a, 150, &x), ZCAP_E_TIMEOUT, "150 ms get with none free -> TIMEOUT");
	ok(now_ms() - t0 >= 140 && now_ms() - t0 < 2000, "after about 150 ms (%lld)",
	   (long long)(now_ms() - t0));

	zcap_allocator_decommit(a);
	ok(!zcap_allocator_committed(a), "decommitted with 3 out");
	is(zcap_allocator_set_properties(a, &p, NULL), ZCAP_E_BUFFERS_OUTSTANDING,
	   "set_properties with samples out -> BUFFERS_OUTSTANDING");
	is(zcap_allocator_get_buffer(a, 0, &x), ZCAP_E_NOT_COMMITTED, "get after decommit -> NOT_COMMITTED");
	ok(zcap_sample_mem(s[0], 0, &(struct zcap_mem){ 0 }) == 0, "a sample out stays usable after decommit");
	zcap_sample_unref(s[0]);
	zcap_sample_unref(s[1]);
	is(zcap_allocator_outstanding(a), 1, "1 outstanding");
	/* Re-commit while a decommit waits: the same buffers are taken up again. */
	is(zcap_allocator_commit(a), 0, "re-commit while one sample is out");
	is(zcap_allocator_free_count(a), 2, "the two returned ones are free");
	zcap_sample_unref(s[2]);
	is(zcap_allocator_free_count(a), 3, "the last one comes back into the new commit");
	zcap_allocator_decommit(a);
	is(zcap_allocator_outstanding(a), 0, "nothing out after full decommit");
	is(zcap_allocator_commit(a), 0, "commit again after a full decommit");
	is(zcap_allocator_get_buffer(a, -1, &x), 0, "blocking get with buffers free returns at once");
	zcap_sample_unref(x);
	zcap_allocator_unref(a);
}

static void test_index(void)
{
	struct zcap_allocator *a = mem_alloc(3, 64);
	struct zcap_sample *s = NULL, *t = (void *)1;

	is(zcap_allocator_get_buffer_index(a, 1, &s), ZCAP_E_NOT_COMMITTED,
	   "get_buffer_index before commit -> NOT_COMMITTED");
	zcap_allocator_commit(a);
	is(zcap_allocator_get_buffer_index(a, 1, &s), 0, "get_buffer_index 1");
	is(zcap_sample_index(s), 1, "sample 1 is index 1");
	is(zcap_allocator_get_buffer_index(a, 1, &t), -EBUSY, "index 1 again -> -EBUSY");
	ok(t == NULL, "and *out is NULL");
	is(zcap_allocator_get_buffer_index(a, 3, &t), -EINVAL, "index 3 of 3 -> -EINVAL");
	is(zcap_allocator_get_buffer_index(a, 0, NULL), -EINVAL, "out NULL -> -EINVAL");
	zcap_allocator_get_buffer(a, 0, &t);
	ok(t && zcap_sample_index(t) == 0, "get_buffer hands out the oldest free one (0)");
	zcap_sample_unref(t);
	zcap_sample_unref(s);
	zcap_allocator_unref(a);
}

/* Samples: refcounts, the allocator reference they hold, metadata. */
static void test_samples(void)
{
	struct zcap_allocator *a = mem_alloc(2, 4096);
	struct zcap_sample *s = NULL, *t = NULL;
	struct zcap_format f = { .fourcc = ZCAP_FOURCC('G', 'R', 'E', 'Y'), .width = 64, .height = 64 };
	int64_t ts = 0;
	long base;

	zcap_allocator_commit(a);
	base = zcapi_allocator_refcount(a);
	zcap_allocator_get_buffer(a, 0, &s);
	is(zcapi_allocator_refcount(a), base + 1, "a sample out holds a reference on its allocator");
	ok(zcap_sample_allocator(s) == a, "sample_allocator");
	ok(zcap_sample_ref(s) == s, "sample_ref returns the sample");
	zcap_sample_unref(s);
	is(zcap_allocator_free_count(a), 1, "one of two references dropped: still out");
	zcap_sample_ref(s);
	zcap_sample_ref(s);
	zcap_sample_unref(s);
	zcap_sample_unref(s);
	is(zcap_allocator_outstanding(a), 1, "balanced ref/unref: still out");
	zcap_sample_unref(s);
	is(zcap_allocator_free_count(a), 2, "last reference: back on the free list");
	is(zcapi_allocator_refcount(a), base, "and the allocator reference is dropped");

	zcap_allocator_get_buffer(a, 0, &s);
	is(zcap_sample_time(s, &ts), -ENODATA, "fresh sample: no time");
	zcap_sample_set_time(s, 12345);
	zcap_sample_set_flags(s, ZCAP_SAMPLE_SYNC_POINT);
	ok(zcap_sample_time(s, &ts) == 0 && ts == 12345, "time set, and kept by set_flags");
	ok(zcap_sample_flags(s) == (ZCAP_SAMPLE_SYNC_POINT | ZCAP_SAMPLE_TIME_VALID), "flags");
	zcap_sample_set_sequence(s, 77);
	is(zcap_sample_sequence(s), 77, "sequence");
	is(zcap_sample_set_bytesused(s, 0, 4096), 0, "bytesused = size");
	is(zcap_sample_set_bytesused(s, 0, 4097), -EINVAL, "bytesused > size -> -EINVAL");
	is(zcap_sample_set_bytesused(s, 1, 1), -EINVAL, "bytesused of block 1 of 1 -> -EINVAL");
	is(zcap_sample_bytesused(s, 0), 4096, "bytesused read back");
	is(zcap_sample_format(s)->n_planes, 0, "no format set: n_planes 0");
	zcap_format_layout(&f, NULL);
	is(zcap_sample_set_format(s, &f), 0, "set a 64x64 GREY format (4096 bytes)");
	ok(zcap_sample_format(s)->planes[0].stride == 64, "format read back");
	f.height = 65;
	zcap_format_layout(&f, NULL);
	is(zcap_sample_set_format(s, &f), -EINVAL, "a format larger than the buffer -> -EINVAL");
	is(zcap_sample_set_format(s, NULL), -EINVAL, "set_format(NULL) -> -EINVAL");
	zcap_sample_unref(s);
	zcap_allocator_get_buffer(a, 0, &t);
	zcap_allocator_get_buffer(a, 0, &s);
	ok(zcap_sample_flags(s) == 0 && zcap_sample_sequence(s) == 0 &&
	   zcap_sample_bytesused(s, 0) == 0 && zcap_sample_format(s)->n_planes == 0 &&
	   zcap_sample_time(s, &ts) == -ENODATA,
	   "a buffer handed out again comes with no stale metadata");
	zcap_sample_unref(t);

	/* The allocator outlives its last user reference while a sample is out. */
	zcap_allocator_unref(a);
	ok(zcap_sample_mem(s, 0, &(struct zcap_mem){ 0 }) == 0,
	   "sample usable after the user's last allocator unref");
	zcap_sample_unref(s);	/* frees the allocator: ASan checks */
	ok(1, "last sample unref frees the allocator");
}

/*
 * A tagged layout stays with the buffer: the same tag again takes no copy
 * (what a source gives every frame), the sample still reads "no layout"
 * between holders, and anything set untagged, or another tag, replaces it.
 */
static void test_tagged_layout(void)
{
	struct zcap_allocator *a = mem_alloc(1, 4096);
	struct zcap_format f = { .fourcc = ZCAP_FOURCC('G', 'R', 'E', 'Y'), .width = 64, .height = 32 };
	struct zcap_format g;
	struct zcap_sample *s;
	uint64_t tag, tag2;

	zcap_allocator_commit(a);
	tag = zcapi_allocator_fmt_tag(a);
	tag2 = zcapi_allocator_fmt_tag(a);
	ok(tag && tag2 && tag != tag2, "tags: never 0, never the same twice");
	zcap_format_layout(&f, NULL);
	f.planes[0].offset = 64;	/* a driver's data offset */
	f.mem_size[0] = 64 + 64 * 32;
	zcap_allocator_get_buffer(a, 0, &s);
	zcap_sample_set_bytesused(s, 0, 64 + 64 * 32);
	is(zcapi_sample_set_format_tagged(s, &f, tag), 0, "tagged layout set");
	is((long)zcapi_sample_bytes(s), 64 * 32, "payload: bytes used past the data offset");
	zcap_sample_unref(s);
	zcap_allocator_get_buffer(a, 0, &s);
	is(zcap_sample_format(s)->n_planes, 0, "released and taken again: no layout");
	is((long)zcapi_sample_bytes(s), 0, "and no payload");
	g = f;
	g.planes[0].offset = 0;		/* what a copy would take */
	is(zcapi_sample_set_format_tagged(s, &g, tag), 0, "the same tag again");
	ok(zcap_sample_format(s)->planes[0].offset == 64, "the buffer's layout kept, not copied");
	zcap_sample_set_bytesused(s, 0, 100);
	is((long)zcapi_sample_bytes(s), 36, "its data offset still counted");
	is(zcapi_sample_set_format_tagged(s, &g, tag2), 0, "another tag");
	ok(zcap_sample_format(s)->planes[0].offset == 0 &&
	   zcapi_sample_bytes(s) == 100, "copied, with its own data start");
	is(zcap_sample_set_format(s, &f), 0, "set untagged");
	is(zcapi_sample_set_format_tagged(s, &g, tag2), 0, "then the earlier tag");
	ok(zcap_sample_format(s)->planes[0].offset == 0, "copied again: untagged forgot the tag");
	g.mem_size[0] = 8192;
	is(zcapi_sample_set_format_tagged(s, &g, tag), -EINVAL,
	   "a new tag is checked against the buffer");
	zcap_sample_unref(s);
	zcap_allocator_unref(a);
}

struct requeue_rec {
	int calls, ret;
	uint64_t seq;
};

static int requeue_rec(void *ctx, struct zcap_sample *s)
{
	struct requeue_rec *r = ctx;

	r->calls++;
	r->seq = zcap_sample_sequence(s);
	if (!r->ret)
		zcap_sample_ref(s);	/* kept, as a queue keeps it */
	return r->ret;
}

static int recycle_never(void *ctx, struct zcap_sample *s)
{
	(void)ctx;
	(void)s;
	return -EAGAIN;
}

/*
 * The only holder hands its sample on with no release, as its release
 * would: only while committed with a recycler, the sample not shared and
 * not in CPU access; its metadata reset first.
 */
static void test_requeue_own(void)
{
	struct zcap_allocator *a = mem_alloc(2, 4096);
	struct requeue_rec r = { 0 };
	struct zcap_sample *s;

	zcap_allocator_commit(a);
	zcap_allocator_get_buffer(a, 0, &s);
	zcap_sample_set_sequence(s, 9);
	is(zcapi_allocator_requeue_own(a, s, requeue_rec, &r), -EAGAIN,
	   "no recycler: not requeued");
	zcapi_allocator_set_recycle(a, recycle_never, NULL);
	zcap_sample_ref(s);
	is(zcapi_allocator_requeue_own(a, s, requeue_rec, &r), -EAGAIN,
	   "a second holder: not requeued");
	zcap_sample_unref(s);
	zcap_sample_cpu_begin(s, ZCAP_ACCESS_READ);
	is(zcapi_allocator_requeue_own(a, s, requeue_rec, &r), -EAGAIN,
	   "in CPU access: not requeued");
	zcap_sample_cpu_end(s);
	is(r.calls, 0, "requeue never called so far");
	is(zcapi_allocator_requeue_own(a, s, requeue_rec, &r), 0, "the only holder: requeued");
	ok(r.calls == 1 && r.seq == 0, "once, its metadata reset before");
	zcap_sample_unref(s);
	ok(zcap_allocator_outstanding(a) == 1 && zcap_allocator_free_count(a) == 1,
	   "the caller's reference dropped: the requeuer holds it, still out");
	r.ret = -EBUSY;
	zcap_sample_set_sequence(s, 9);
	is(zcapi_allocator_requeue_own(a, s, requeue_rec, &r), -EBUSY,
	   "requeue's error returned");
	zcap_sample_unref(s);
	is(zcap_allocator_free_count(a), 2, "then the unref releases it as usual");
	zcap_allocator_get_buffer(a, 0, &s);
	zcap_allocator_decommit(a);
	is(zcapi_allocator_requeue_own(a, s, requeue_rec, &r), -EAGAIN,
	   "decommitted: not requeued");
	zcap_sample_unref(s);
	zcapi_allocator_set_recycle(a, NULL, NULL);
	zcap_allocator_unref(a);
}

static void test_memory_layout(void)
{
	struct zcap_allocator *a = NULL;
	struct zcap_alloc_props p = { .count = 2, .align = 256, .prefix = 100, .n_mem = 2 };
	struct zcap_sample *s;
	struct zcap_mem m;
	bool aligned = true;

	p.size[0] = 1000;
	p.size[1] = 500;
	zcap_allocator_new_memory(&a);
	zcap_allocator_set_properties(a, &p, NULL);
	zcap_allocator_commit(a);
	zcap_allocator_get_buffer(a, 0, &s);
	is(zcap_sample_n_mem(s), 2, "two blocks per buffer");
	zcap_sample_mem(s, 1, &m);
	ok(m.fd == -1 && m.length == 500 && m.offset == 256,
	   "memory block: fd -1, 500 bytes, data at the prefix rounded up to align (256)");
	is(zcap_sample_mem(s, 2, &m), -EINVAL, "mem 2 of 2 -> -EINVAL");
	ok(zcap_sample_data(s, 0) == NULL, "no CPU pointer outside begin/end");
	is(zcap_sample_cpu_begin(s, 0), -EINVAL, "cpu_begin with no access -> -EINVAL");
	is(zcap_sample_cpu_begin(s, 4), -EINVAL, "cpu_begin with an unknown access -> -EINVAL");
	is(zcap_sample_cpu_end(s), -EINVAL, "cpu_end without begin -> -EINVAL");
	is(zcap_sample_cpu_begin(s, ZCAP_ACCESS_WRITE), 0, "cpu_begin WRITE");
	for (uint32_t i = 0; i < 2; i++)
		aligned &= ((uintptr_t)zcap_sample_data(s, i) % 256) == 0;
	ok(aligned, "data pointers aligned to 256");
	memset(zcap_sample_data(s, 0), 0xab, 1000);
	memset(zcap_sample_data(s, 1), 0xcd, 500);
	ok(zcap_sample_data(s, 2) == NULL, "data of block 2 of 2 is NULL");
	is(zcap_sample_cpu_end(s), 0, "cpu_end");
	ok(zcap_sample_data(s, 0) == NULL, "pointer gone after end");
	zcap_sample_unref(s);
	zcap_allocator_unref(a);
}

/* dma-buf CPU access, on the fake provider that records syncs. */
static void test_cpu_access(void)
{
	struct zcap_allocator *a;
	struct fake_prov *f;
	struct zcap_alloc_props p = { .count = 2, .n_mem = 2 }, got;
	struct zcap_sample *s;
	struct zcap_mem m0, m1;
	int fds[2][2];
	bool stable = true;

	p.size[0] = 5000;
	p.size[1] = 100;
	p.prefix = 10;
	p.align = 64;
	fake_allocator(&a, &f);
	ok(zcap_allocator_is_dmabuf(a), "fake provider is dma-buf");
	zcap_allocator_set_properties(a, &p, &got);
	ok(got.size[0] == 8192 - 64 && got.size[1] == 4096 - 64 && got.prefix == 10 &&
	   got.align == 64,
	   "dma-buf grant: prefix rounded to align (64), blocks to whole pages");
	zcap_allocator_commit(a);
	zcap_allocator_get_buffer(a, 0, &s);
	zcap_sample_mem(s, 0, &m0);
	zcap_sample_mem(s, 1, &m1);
	ok(m0.fd >= 0 && m1.fd >= 0 && m0.fd != m1.fd && m0.offset == 64 &&
	   m0.length == 8192 - 64, "one fd per block, offset 64");

	f->n_syncs = 0;
	zcap_sample_cpu_begin(s, ZCAP_ACCESS_READ);
	ok(f->n_syncs == 2 && f->syncs[0].fd == m0.fd && f->syncs[1].fd == m1.fd &&
	   f->syncs[0].flags == (DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ) &&
	   f->syncs[1].flags == (DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ),
	   "begin(READ): SYNC_START|READ on every dma-buf of the sample");
	ok(zcap_sample_data(s, 0) != NULL && zcap_sample_data(s, 1) != NULL, "data pointers inside");
	zcap_sample_cpu_begin(s, ZCAP_ACCESS_READ);
	is(f->n_syncs, 2, "a nested begin(READ) syncs nothing more");
	zcap_sample_cpu_begin(s, ZCAP_ACCESS_WRITE);
	ok(f->n_syncs == 4 && f->syncs[2].flags == (DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW),
	   "a nested begin(WRITE) widens to SYNC_START|RW");
	memcpy(zcap_sample_data(s, 0), "zcap", 4);
	zcap_sample_cpu_end(s);
	zcap_sample_cpu_end(s);
	is(f->n_syncs, 4, "inner ends sync nothing");
	ok(zcap_sample_data(s, 0) != NULL, "pointer valid until the outermost end");
	zcap_sample_cpu_end(s);
	ok(f->n_syncs == 6 && f->syncs[4].flags == (DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW) &&
	   f->syncs[5].fd == m1.fd,
	   "outermost end: SYNC_END|RW on every dma-buf");
	ok(zcap_sample_data(s, 0) == NULL, "pointer NULL after end");

	f->n_syncs = 0;
	zcap_sample_cpu_begin(s, ZCAP_ACCESS_WRITE);
	ok(f->syncs[0].flags == (DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE),
	   "begin(WRITE): SYNC_START|WRITE");
	ok(!memcmp(zcap_sample_data(s, 0), "zcap", 4), "bytes written earlier are there");
	zcap_sample_cpu_end(s);
	ok(f->syncs[2].flags == (DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE), "end: SYNC_END|WRITE");
	is(zcapi_allocator_map_calls(a), 2, "each dma-buf mapped once over several begin/end");

	/* A START that fails on block 1 ends block 0 again and maps nothing new. */
	f->n_syncs = 0;
	f->fail_sync_fd = m1.fd;
	is(zcap_sample_cpu_begin(s, ZCAP_ACCESS_READ), -EIO, "a failing SYNC_START fails begin");
	ok(f->n_syncs == 3 && f->syncs[2].fd == m0.fd &&
	   f->syncs[2].flags == (DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ),
	   "and the block already started is ended again");
	ok(zcap_sample_data(s, 0) == NULL, "no pointer after a failed begin");
	f->fail_sync_fd = -1;

	/* A holder that forgets cpu_end: the release ends the access. */
	f->n_syncs = 0;
	zcap_sample_cpu_begin(s, ZCAP_ACCESS_READ);
	zcap_sample_unref(s);
	ok(f->n_syncs == 4 && (f->syncs[2].flags & DMA_BUF_SYNC_END),
	   "release of a sample still in CPU access issues SYNC_END");

	/* Stable fds: every buffer keeps its dma-bufs while committed. */
	for (int round = 0; round < 3; round++) {
		struct zcap_sample *x[2];

		for (int i = 0; i < 2; i++)
			zcap_allocator_get_buffer(a, 0, &x[i]);
		for (int i = 0; i < 2; i++) {
			uint32_t idx = zcap_sample_index(x[i]);
			struct zcap_mem m;

			zcap_sample_mem(x[i], 0, &m);
			if (round == 0)
				fds[idx][0] = m.fd;
			else
				stable &= fds[idx][0] == m.fd;
		}
		for (int i = 0; i < 2; i++)
			zcap_sample_unref(x[i]);
	}
	ok(stable, "the same dma-buf fd at the same index, cycle after cycle");
	is(f->allocs, 1, "one allocation for the whole commit");
	zcap_allocator_decommit(a);
	is(f->frees, 1, "decommit with nothing out frees at once");
	zcap_allocator_unref(a);
}

/* Decommit with a sample out frees its memory only when it comes back. */
static void test_decommit_outstanding(void)
{
	struct zcap_allocator *a;
	struct fake_prov *f;
	struct zcap_alloc_props p = props_1(2, 4096);
	struct zcap_sample *s;
	int destroyed = 0;

	fake_allocator(&a, &f);
	f->destroyed_flag = &destroyed;
	zcap_allocator_set_properties(a, &p, NULL);
	zcap_allocator_commit(a);
	zcap_allocator_get_buffer(a, 0, &s);
	zcap_sample_cpu_begin(s, ZCAP_ACCESS_WRITE);
	zcap_allocator_decommit(a);
	is(f->frees, 0, "decommit with a sample out frees nothing yet");
	memset(zcap_sample_data(s, 0), 1, 4096);
	ok(1, "its memory is still writable");
	zcap_sample_cpu_end(s);
	zcap_allocator_unref(a);
	ok(!destroyed, "the user's unref does not destroy an allocator with a sample out");
	is(f->frees, 0, "nor free its memory");
	zcap_sample_unref(s);
	ok(destroyed, "the last sample back frees the memory and the allocator");
}

struct waiter {
	struct zcap_allocator *a;
	int timeout;
	int ret;
	struct zcap_sample *s;
	atomic_int started;
};

static void *wait_buffer(void *arg)
{
	struct waiter *w = arg;

	atomic_store(&w->started, 1);
	w->ret = zcap_allocator_get_buffer(w->a, w->timeout, &w->s);
	return NULL;
}

static void test_blocking(void)
{
	struct zcap_allocator *a = mem_alloc(1, 64);
	struct zcap_sample *s;
	struct waiter w = { .a = a, .timeout = -1 };
	pthread_t th;
	int64_t t0;

	zcap_allocator_commit(a);
	zcap_allocator_get_buffer(a, 0, &s);
	pthread_create(&th, NULL, wait_buffer, &w);
	while (!atomic_load(&w.started))
		sleep_ms(1);
	sleep_ms(50);
	zcap_sample_unref(s);
	pthread_join(th, NULL);
	ok(w.ret == 0 && w.s && zcap_sample_index(w.s) == 0,
	   "a blocked get_buffer gets the buffer released by another thread");
	s = w.s;	/* still out: the next waiters find nothing free */

	/* Decommit wakes the blocked: NOT_COMMITTED, no sample. */
	w = (struct waiter){ .a = a, .timeout = -1, .s = (void *)1 };
	pthread_create(&th, NULL, wait_buffer, &w);
	while (!atomic_load(&w.started))
		sleep_ms(1);
	sleep_ms(50);
	t0 = now_ms();
	zcap_allocator_decommit(a);
	pthread_join(th, NULL);
	is(w.ret, ZCAP_E_NOT_COMMITTED, "decommit wakes a forever-blocked get_buffer with NOT_COMMITTED");
	ok(w.s == NULL && now_ms() - t0 < 1000, "promptly, with no sample");

	/* Decommit then commit at once still wakes the waiter of the old commit. */
	zcap_allocator_commit(a);
	w = (struct waiter){ .a = a, .timeout = 5000 };
	pthread_create(&th, NULL, wait_buffer, &w);
	while (!atomic_load(&w.started))
		sleep_ms(1);
	sleep_ms(50);
	zcap_allocator_decommit(a);
	zcap_allocator_commit(a);
	pthread_join(th, NULL);
	is(w.ret, ZCAP_E_NOT_COMMITTED, "a waiter of a commit that ended sees NOT_COMMITTED, even after a re-commit");
	ok(w.s == NULL, "with no sample");
	zcap_sample_unref(s);
	zcap_allocator_decommit(a);
	zcap_allocator_unref(a);
}

/* A release that holds the allocator's lock past a waiter's deadline. */
static int recycle_slowly(void *ctx, struct zcap_sample *s)
{
	(void)s;
	sleep_ms(*(int *)ctx);
	return -EAGAIN;	/* to the free list, as with no recycler */
}

/*
 * A timed wait that runs out while a buffer comes back: the condition
 * wait returns ETIMEDOUT once it has the lock again, the buffer is free
 * by then and is taken. That is a success, 0 with the sample; it was
 * ETIMEDOUT (positive) with the sample, which callers checking for
 * nonzero leaked.
 */
static void test_timeout_with_buffer(void)
{
	struct zcap_allocator *a = mem_alloc(1, 64);
	struct waiter w = { .a = a, .timeout = 50 };
	struct zcap_sample *s;
	int hold_ms = 200;
	pthread_t th;

	zcap_allocator_commit(a);
	zcap_allocator_get_buffer(a, 0, &s);
	zcapi_allocator_set_recycle(a, recycle_slowly, &hold_ms);
	pthread_create(&th, NULL, wait_buffer, &w);
	while (!atomic_load(&w.started))
		sleep_ms(1);
	sleep_ms(20);
	/* Holds the lock from about 20 ms to 220 ms: the deadline passes. */
	zcap_sample_unref(s);
	pthread_join(th, NULL);
	is(w.ret, 0, "a timed wait whose deadline passed as a buffer came back: 0");
	ok(w.s && zcap_sample_index(w.s) == 0, "with the buffer");
	zcapi_allocator_set_recycle(a, NULL, NULL);
	if (w.s)
		zcap_sample_unref(w.s);
	is(a->outstanding, 0u, "and it went back: nothing outstanding");
	zcap_allocator_decommit(a);
	zcap_allocator_unref(a);
}

static void test_wait_fd(void)
{
	struct zcap_allocator *a = mem_alloc(2, 64);
	struct zcap_sample *s[2];
	int fd = zcap_allocator_wait_fd(a);

	ok(fd >= 0, "wait_fd is an fd");
	ok(!fd_readable(fd), "not readable before commit");
	zcap_allocator_commit(a);
	ok(fd_readable(fd), "readable once committed with buffers free");
	zcap_allocator_get_buffer(a, 0, &s[0]);
	ok(fd_readable(fd), "still readable with one of two free");
	zcap_allocator_get_buffer(a, 0, &s[1]);
	ok(!fd_readable(fd), "not readable with none free");
	zcap_sample_unref(s[1]);
	ok(fd_readable(fd), "readable again after a release");
	zcap_allocator_decommit(a);
	ok(!fd_readable(fd), "not readable after decommit (nothing can be had)");
	zcap_sample_unref(s[0]);
	ok(!fd_readable(fd), "nor when the last sample comes back to a decommitted allocator");
	zcap_allocator_commit(a);
	ok(fd_readable(fd), "readable after re-commit");
	zcap_allocator_unref(a);
}

struct churn {
	struct zcap_allocator *a;
	int rounds;
	atomic_int *bad;
};

/* Takes buffers as the wait fd says one is there, holds, releases. */
static void *churn(void *arg)
{
	struct churn *c = arg;
	int fd = zcap_allocator_wait_fd(c->a);

	for (int i = 0; i < c->rounds; i++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct zcap_sample *s;
		int ret;

		if (poll(&pfd, 1, 2000) != 1) {
			atomic_fetch_add(c->bad, 1);	/* a buffer was free but the fd slept */
			continue;
		}
		ret = zcap_allocator_get_buffer(c->a, 0, &s);
		if (ret == ZCAP_E_TIMEOUT)
			continue;	/* another thread took it first: fine */
		if (ret) {
			atomic_fetch_add(c->bad, 1);
			continue;
		}
		zcap_sample_ref(s);
		zcap_sample_unref(s);
		zcap_sample_unref(s);
	}
	return NULL;
}

static void test_wait_fd_concurrent(void)
{
	struct zcap_allocator *a = mem_alloc(2, 64);
	atomic_int bad = 0;
	struct churn c = { .a = a, .rounds = 3000, .bad = &bad };
	pthread_t th[4];
	struct zcap_sample *s[2];

	zcap_allocator_commit(a);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, churn, &c);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	is(atomic_load(&bad), 0, "4 threads x 3000: the wait fd never slept while a buffer was free");
	ok(zcap_allocator_outstanding(a) == 0 && zcap_allocator_free_count(a) == 2 &&
	   fd_readable(zcap_allocator_wait_fd(a)),
	   "afterwards: all back, fd readable");
	zcap_allocator_get_buffer(a, 0, &s[0]);
	zcap_allocator_get_buffer(a, 0, &s[1]);
	ok(!fd_readable(zcap_allocator_wait_fd(a)), "and exact: unreadable once both are taken");
	zcap_sample_unref(s[0]);
	zcap_sample_unref(s[1]);
	zcap_allocator_unref(a);
}

static void test_alloc_failure(void)
{
	struct zcap_allocator *a;
	struct fake_prov *f;
	struct zcap_alloc_props p = props_1(2, 100);

	fake_allocator(&a, &f);
	f->fail_alloc = -ENOMEM;
	zcap_allocator_set_properties(a, &p, NULL);
	is(zcap_allocator_commit(a), -ENOMEM, "a provider that cannot allocate fails commit");
	ok(!zcap_allocator_committed(a), "and leaves it uncommitted");
	f->fail_alloc = 0;
	is(zcap_allocator_commit(a), 0, "a later commit can succeed");
	zcap_allocator_unref(a);
}

static void test_props_decide(void)
{
	struct zcap_format fmt = { .fourcc = ZCAP_FOURCC('N', 'V', '1', '2'), .width = 64, .height = 64 };
	struct zcap_alloc_requirements req = { 0 };
	struct zcap_alloc_props p;

	zcap_format_layout(&fmt, NULL);
	is(zcap_alloc_props_decide(NULL, &fmt, 3, &p), 0, "decide with no requirements");
	ok(p.count == 3 && p.n_mem == 1 && p.size[0] == 6144 && p.align == 0,
	   "count = producer's minimum, size = the format's");
	req.held = 4;
	req.props.count = 2;
	req.props.size[0] = 10000;
	req.props.align = 128;
	req.props.prefix = 16;
	req.props.flags = ZCAP_PROPS_CONTIGUOUS;
	zcap_alloc_props_decide(&req, &fmt, 3, &p);
	ok(p.count == 7 && p.size[0] == 10000 && p.align == 128 && p.prefix == 16 &&
	   p.flags == ZCAP_PROPS_CONTIGUOUS,
	   "count = minimum + held (7), size = the larger, align/prefix/flags from req");
	req.props.count = 9;
	zcap_alloc_props_decide(&req, &fmt, 3, &p);
	is(p.count, 9, "a larger requested count wins");
	is(zcap_alloc_props_decide(&req, NULL, 3, &p), -EINVAL, "no format -> -EINVAL");
	fmt.n_mem = 0;
	is(zcap_alloc_props_decide(&req, &fmt, 3, &p), -EINVAL, "bad format -> -EINVAL");
}

static void test_auto(void)
{
	struct zcap_allocator *a = (void *)1;
	char why[1024];
	int ret = zcap_provider_probe(ZCAP_PROVIDER_AUTO, why, sizeof(why));

	tap_diag("probe(AUTO): %d: %s", ret, why);
	if (!ret) {
		tap_skip("a dma-buf provider exists here", "AUTO with no provider -> NO_PROVIDER");
		tap_skip("a dma-buf provider exists here", "probe names each failed provider");
		tap_skip("a dma-buf provider exists here", "*out NULL after NO_PROVIDER");
	} else {
		is(zcap_allocator_new_dmabuf(ZCAP_PROVIDER_AUTO, &a), ZCAP_E_NO_PROVIDER,
		   "AUTO with no provider -> NO_PROVIDER");
		ok(strstr(why, "zcap: /dev/zcap") && strstr(why, "dma-heap: /dev/dma_heap/system") &&
		   strstr(why, "udmabuf: /dev/udmabuf") && strstr(why, "modprobe"),
		   "probe names each provider tried, why it failed and what to do");
		ok(a == NULL, "*out NULL after NO_PROVIDER");
	}
	is(zcap_provider_probe(ZCAP_PROVIDER_MEMORY, why, sizeof(why)), 0, "probe(MEMORY) works");
	is(zcap_provider_probe(ZCAP_PROVIDER_V4L2, why, sizeof(why)), -EINVAL, "probe(V4L2) -> -EINVAL");
	is(zcap_provider_probe(ZCAP_PROVIDER_AUTO, NULL, 10), -EINVAL, "probe(buf NULL, len 10) -> -EINVAL");
	ok(zcap_provider_probe(ZCAP_PROVIDER_AUTO, NULL, 0) == ret, "probe(NULL, 0) works");
	ok(!strcmp(zcap_provider_name(ZCAP_PROVIDER_ZCAP), "zcap") &&
	   !strcmp(zcap_provider_name(ZCAP_PROVIDER_DMA_HEAP), "dma-heap") &&
	   !strcmp(zcap_provider_name(ZCAP_PROVIDER_UDMABUF), "udmabuf") &&
	   !strcmp(zcap_provider_name(ZCAP_PROVIDER_MEMORY), "memory") &&
	   !strcmp(zcap_provider_name(99), "unknown"),
	   "provider names");
	{
		char r[256];

		zcapi_open_reason(r, sizeof(r), "/dev/x", EACCES, "x");
		ok(strstr(r, "permission denied") && strstr(r, "group video"),
		   "EACCES explained: %s", r);
		zcapi_open_reason(r, sizeof(r), "/dev/x", ENOENT, "load it");
		ok(strstr(r, "No such file") && strstr(r, "load it"), "ENOENT explained: %s", r);
	}
}

int main(void)
{
	test_args();
	test_life();
	test_index();
	test_samples();
	test_tagged_layout();
	test_requeue_own();
	test_memory_layout();
	test_cpu_access();
	test_decommit_outstanding();
	test_blocking();
	test_timeout_with_buffer();
	test_wait_fd();
	test_wait_fd_concurrent();
	test_alloc_failure();
	test_props_decide();
	test_auto();
	return tap_done();
}
