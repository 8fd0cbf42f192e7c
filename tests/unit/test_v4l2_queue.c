// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The V4L2 buffer queue (lib/v4l2/queue.h) on a fake device: ioctl() is
 * interposed for one memfd (the library's objects are linked into this
 * program), which plays a vb2 queue: REQBUFS grants up to a limit,
 * QUERYBUF places buffer i's planes in the memfd (so MMAP maps it),
 * QBUF/DQBUF keep a FIFO, STREAMOFF gives everything back, and any of
 * them can be made to fail. Capture and output, MMAP and DMABUF, single-
 * and multi-planar, more than VIDEO_MAX_FRAME slots, the dma-buf to index
 * cache (hits, misses, evictions), the slot states, and the error paths,
 * each of which must leave nothing requested, mapped or held. fstat() is
 * interposed too, to count it: a dma-buf's identity is read once, at
 * commit, never per QBUF.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <zcap/error.h>

#define FAKE_V4L2_FD
#include "fake_v4l2.h"
#include "helpers.h"
#include "tap.h"
#include "v4l2/queue.h"

#define MAX_BUFS	64
#define PLANES		2
#define BUF_LEN		8192

static struct {
	uint32_t max_grant;	/* REQBUFS grants at most this (0: MAX_BUFS) */
	uint32_t count, memory;
	uint32_t planes;	/* QUERYBUF's planes, mplane */
	bool queued[MAX_BUFS];
	uint32_t fifo[MAX_BUFS], head, n;
	struct v4l2_buffer last_qbuf;
	struct v4l2_plane last_planes[VIDEO_MAX_PLANES];
	int fail_req, fail_query_at, fail_qbuf;	/* errno to fail with */
	int bogus_dqbuf;	/* DQBUF returns an index never queued */
	uint32_t reqbufs0, streamoffs, seq;
} dev;

static void dev_reset(void)
{
	memset(&dev, 0, sizeof(dev));
	fake_fd = memfd_create("fake-v4l2", MFD_CLOEXEC);
	dev.fail_query_at = -1;
	dev.planes = 1;
	if (ftruncate(fake_fd, (off_t)MAX_BUFS * PLANES * BUF_LEN))
		tap_diag("ftruncate failed");
}

static int fake_reqbufs(struct v4l2_requestbuffers *r)
{
	uint32_t max = dev.max_grant ? dev.max_grant : MAX_BUFS;

	if (dev.fail_req && r->count)
		return fake_fail(dev.fail_req);
	dev.memory = r->memory;
	dev.n = 0;
	memset(dev.queued, 0, sizeof(dev.queued));
	if (!r->count)
		dev.reqbufs0++;
	r->count = r->count > max ? max : r->count;
	dev.count = r->count;
	return 0;
}

static int fake_querybuf(struct v4l2_buffer *b)
{
	if (b->index >= dev.count || (int)b->index == dev.fail_query_at)
		return fake_fail(EINVAL);
	if (!V4L2_TYPE_IS_MULTIPLANAR(b->type)) {
		b->length = BUF_LEN;
		b->m.offset = b->index * PLANES * BUF_LEN;
		return 0;
	}
	b->length = dev.planes;
	for (uint32_t p = 0; p < dev.planes; p++) {
		b->m.planes[p].length = BUF_LEN;
		b->m.planes[p].m.mem_offset = (b->index * PLANES + p) * BUF_LEN;
	}
	return 0;
}

static int fake_qbuf(struct v4l2_buffer *b)
{
	if (dev.fail_qbuf)
		return fake_fail(dev.fail_qbuf);
	if (b->index >= dev.count || dev.queued[b->index] || b->memory != dev.memory)
		return fake_fail(EINVAL);
	dev.queued[b->index] = true;
	dev.fifo[(dev.head + dev.n++) % MAX_BUFS] = b->index;
	dev.last_qbuf = *b;
	if (V4L2_TYPE_IS_MULTIPLANAR(b->type))
		memcpy(dev.last_planes, b->m.planes, b->length * sizeof(*b->m.planes));
	/* vb2 writes the buffer's state back into the caller's struct. */
	b->flags |= V4L2_BUF_FLAG_QUEUED | V4L2_BUF_FLAG_MAPPED;
	if (V4L2_TYPE_IS_MULTIPLANAR(b->type))
		for (uint32_t p = 0; p < b->length; p++)
			b->m.planes[p].bytesused = 1;
	return 0;
}

/* The oldest queued buffer comes back "filled": its index in byte 0. */
static int fake_dqbuf(struct v4l2_buffer *b)
{
	uint32_t i;

	if (!dev.n)
		return fake_fail(EAGAIN);
	i = dev.fifo[dev.head];
	dev.head = (dev.head + 1) % MAX_BUFS;
	dev.n--;
	dev.queued[i] = false;
	b->index = dev.bogus_dqbuf ? dev.count + 1 : i;
	b->sequence = dev.seq++;
	b->flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
	if (dev.memory == V4L2_MEMORY_MMAP &&
	    pwrite(fake_fd, &i, 1, (off_t)i * PLANES * BUF_LEN) != 1)
		tap_diag("pwrite failed");
	if (!V4L2_TYPE_IS_MULTIPLANAR(b->type)) {
		b->bytesused = 100 + i;
		b->length = BUF_LEN;
		return 0;
	}
	b->length = dev.planes;
	for (uint32_t p = 0; p < dev.planes; p++) {
		b->m.planes[p].bytesused = 100 + i;
		b->m.planes[p].data_offset = p;
		b->m.planes[p].length = BUF_LEN;
	}
	return 0;
}

static const struct fake_buf_ops buf_ops = {
	.reqbufs = fake_reqbufs,
	.querybuf = fake_querybuf,
	.qbuf = fake_qbuf,
	.dqbuf = fake_dqbuf,
};

static int fake_ioctl(unsigned long req, void *arg)
{
	int r;

	if (fake_buf_ioctl(&buf_ops, req, arg, &r))
		return r;
	switch (req) {
	case VIDIOC_STREAMON:
		return 0;
	case VIDIOC_STREAMOFF:
		dev.streamoffs++;
		dev.n = 0;
		memset(dev.queued, 0, sizeof(dev.queued));
		return 0;
	default:
		return fake_fail(ENOTTY);
	}
}

static unsigned int fstat_calls;

int fstat(int fd, struct stat *st)
{
	fstat_calls++;
	return (int)syscall(SYS_fstat, fd, st);
}

static struct zcap_allocator *committed(uint32_t count, uint32_t n_mem)
{
	struct zcap_alloc_props p = props_1(count, 4096);
	struct zcap_allocator *a;

	p.n_mem = n_mem;
	if (n_mem > 1)
		p.size[1] = 4096;
	fake_allocator(&a, NULL);
	zcap_allocator_set_properties(a, &p, NULL);
	zcap_allocator_commit(a);
	return a;
}

static void done_with(struct zcap_allocator *a)
{
	zcap_allocator_decommit(a);
	zcap_allocator_unref(a);
}

static int fd_of(struct zcap_sample *s, uint32_t m)
{
	struct zcap_mem mem;

	return zcap_sample_mem(s, m, &mem) ? -1 : mem.fd;
}

/* Capture MMAP: mapped once, HELD while read, requeued or put back. */
static void test_capture_mmap(uint32_t type, uint32_t planes)
{
	const char *k = V4L2_TYPE_IS_MULTIPLANAR(type) ? "mplane" : "single-planar";
	struct zcapi_v4l2q_done d;
	struct zcapi_v4l2q q;
	int r = 0;

	dev_reset();
	dev.planes = planes;
	zcapi_v4l2q_init(&q, fake_fd, type);
	is(zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_MMAP, 4, planes), 4,
	   "%s capture MMAP: 4 buffers granted", k);
	is(fake_live_maps("memfd:fake-v4l2"), (int)(4 * planes), "%s: each plane of each buffer mapped once", k);
	for (uint32_t i = 0; i < 4; i++)
		r |= zcapi_v4l2q_requeue(&q, i);
	ok(!r && zcapi_v4l2q_queued(&q) == 4, "%s: all four queued", k);
	is(zcapi_v4l2q_dequeue(&q, &d), 0, "%s: DQBUF", k);
	ok(d.index == 0 && q.slots[0].state == ZCAPI_V4L2Q_HELD && d.map[0] &&
	   ((const uint8_t *)d.map[0])[0] == 0 && !d.sample,
	   "%s: buffer 0 HELD, its mapping shows what the driver wrote", k);
	ok(d.bytesused[0] == 100 && d.length[0] == BUF_LEN &&
	   d.data_offset[planes - 1] == planes - 1 && d.sequence == 0,
	   "%s: bytes used, length, data offset and sequence as DQBUF said", k);
	is(zcapi_v4l2q_requeue(&q, 0), 0, "%s: HELD -> QUEUED", k);
	is(zcapi_v4l2q_requeue(&q, 0), -EBUSY, "%s: a QUEUED buffer is not queued twice", k);
	zcapi_v4l2q_dequeue(&q, &d);
	zcapi_v4l2q_put(&q, d.index);
	ok(d.index == 1 && q.slots[1].state == ZCAPI_V4L2Q_FREE &&
	   zcapi_v4l2q_queued(&q) == 3, "%s: HELD -> FREE by put", k);
	is(zcapi_v4l2q_requeue(&q, 1), 0, "%s: FREE -> QUEUED", k);
	is(zcapi_v4l2q_requeue(&q, 4), -EBUSY, "%s: no index 4", k);
	zcapi_v4l2q_streamoff(&q);
	ok(zcapi_v4l2q_queued(&q) == 0 && dev.streamoffs == 1 &&
	   q.slots[0].state == ZCAPI_V4L2Q_FREE, "%s: STREAMOFF: every slot FREE", k);
	zcapi_v4l2q_fini(&q);
	ok(fake_live_maps("memfd:fake-v4l2") == 0 && dev.reqbufs0 == 1 && !q.slots,
	   "%s: released: unmapped, REQBUFS(0), no slots", k);
	close(fake_fd);
}

/* One round: dequeue all @n, note where each allocator buffer was, refill. */
static bool round_trip(struct zcapi_v4l2q *q, struct zcap_allocator *a,
		       uint32_t n, int *where)
{
	struct zcapi_v4l2q_done d;
	bool same = true;

	for (uint32_t i = 0; i < n; i++) {
		if (zcapi_v4l2q_dequeue(q, &d) || !d.sample)
			return false;
		uint32_t k = zcap_sample_index(d.sample);

		if (where[k] >= 0 && where[k] != (int)d.index)
			same = false;
		where[k] = (int)d.index;
		zcap_sample_unref(d.sample);
	}
	return zcapi_v4l2q_fill(q, a) == 0 && same;
}

/* Capture DMABUF, two planes: each dma-buf pair back at its index. */
static void test_capture_dmabuf(void)
{
	struct zcap_allocator *a = committed(6, 2);
	struct zcapi_v4l2q q;
	int where[6] = { -1, -1, -1, -1, -1, -1 };
	bool stable = true;

	dev_reset();
	dev.planes = 2;
	zcapi_v4l2q_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	is(zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_DMABUF, 6, 2), 6, "capture DMABUF mplane: 6 granted");
	is(fake_live_maps("memfd:fake-v4l2"), 0, "DMABUF: nothing mapped");
	is(zcapi_v4l2q_fill(&q, a), 0, "fill: every free buffer queued");
	ok(zcapi_v4l2q_queued(&q) == 6 && free_buffers(a, 6) == 0,
	   "six queued, the queue holds all six samples");
	ok(dev.last_qbuf.length == 2 && dev.last_planes[0].length == 4096 &&
	   dev.last_planes[1].m.fd >= 0 && dev.last_planes[0].m.fd != dev.last_planes[1].m.fd &&
	   !dev.last_planes[0].bytesused, "QBUF: two planes, each its own dma-buf, whole");
	zcapi_v4l2q_streamon(&q);
	fstat_calls = 0;
	for (int r = 0; r < 3; r++)
		stable &= round_trip(&q, a, 6, where);
	ok(stable, "three rounds: each dma-buf pair back at the same index");
	is((int)fstat_calls, 0, "36 QBUFs: no fstat (identities known since commit)");
	ok(q.stats.misses == 6 && q.stats.hits == 18 && !q.stats.evictions,
	   "cache: 6 misses (imports), then only hits (%llu/%llu/%llu)",
	   (unsigned long long)q.stats.misses, (unsigned long long)q.stats.hits,
	   (unsigned long long)q.stats.evictions);
	zcapi_v4l2q_streamoff(&q);
	is(free_buffers(a, 6), 6, "STREAMOFF: every sample back to the allocator");
	zcapi_v4l2q_fini(&q);
	done_with(a);
	close(fake_fd);
}

/* Each dma-buf is fstat'ed once, at commit; unknown ones at QBUF. */
static void test_identity_once(void)
{
	struct zcap_allocator *a;
	struct zcapi_v4l2q q;
	struct zcap_sample *s;
	struct stat st;

	fstat_calls = 0;
	a = committed(3, 2);
	is((int)fstat_calls, 6, "commit: one fstat per dma-buf (3 buffers x 2 blocks)");
	zcap_allocator_get_buffer(a, 0, &s);
	fstat(fd_of(s, 1), &st);
	ok(s->blocks[1].ino && s->blocks[1].ino == st.st_ino &&
	   s->blocks[1].dev == st.st_dev, "the block's recorded identity is its dma-buf's");
	dev_reset();
	dev.planes = 2;
	zcapi_v4l2q_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_DMABUF, 3, 2);
	/* As if fstat had failed at commit: the queue falls back to it. */
	s->blocks[0].ino = 0;
	fstat_calls = 0;
	ok(zcapi_v4l2q_queue_sample(&q, s, 0) == 0 && fstat_calls == 1 &&
	   q.slots[0].ino[1] == st.st_ino,
	   "unknown identity: one fstat at QBUF, the known one none");
	fstat(fd_of(s, 0), &st);
	ok(q.slots[0].ino[0] == st.st_ino, "the fallback's inode is the dma-buf's");
	zcapi_v4l2q_fini(&q);
	zcap_sample_unref(s);
	done_with(a);
	close(fake_fd);
}

/* More slots than VIDEO_MAX_FRAME (Linux 6.8+ grants them): no cap. */
static void test_many_slots(void)
{
	uint32_t n = VIDEO_MAX_FRAME + 8, queued = 0;
	struct zcap_allocator *a = committed(n, 1);
	struct zcapi_v4l2q_done d;
	struct zcapi_v4l2q q;
	struct zcap_sample *s;

	dev_reset();
	zcapi_v4l2q_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_OUTPUT);
	is(zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_DMABUF, n, 1), (int)n,
	   "output DMABUF: %u slots", n);
	zcapi_v4l2q_streamon(&q);
	while (!zcap_allocator_get_buffer(a, 0, &s)) {
		queued += !zcapi_v4l2q_queue_sample(&q, s, 0);
		zcap_sample_unref(s);
	}
	ok(queued == n && zcapi_v4l2q_queued(&q) == n && free_buffers(a, n) == 0,
	   "%u samples queued and held", n);
	ok(!zcapi_v4l2q_dequeue(&q, &d) && !d.sample && free_buffers(a, n) == 1,
	   "output DQBUF: the device is done, its sample goes back");
	zcapi_v4l2q_streamoff(&q);
	is(free_buffers(a, n), n, "STREAMOFF: every held sample back, past VIDEO_MAX_FRAME");
	zcapi_v4l2q_fini(&q);
	done_with(a);
	close(fake_fd);

	dev_reset();
	zcapi_v4l2q_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_CAPTURE);
	is(zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_MMAP, n, 1), (int)n, "capture MMAP: %u slots", n);
	is(fake_live_maps("memfd:fake-v4l2"), (int)n, "%u buffers mapped", n);
	zcapi_v4l2q_fini(&q);
	is(fake_live_maps("memfd:fake-v4l2"), 0, "and unmapped");
	close(fake_fd);
}

/* Two indices, three dma-bufs: misses take the least recently queued. */
static void test_cache_eviction(void)
{
	struct zcap_allocator *a = committed(3, 1);
	struct zcapi_v4l2q_done d;
	struct zcap_sample *s[3];
	struct zcapi_v4l2q q;
	uint32_t ia, ib;

	for (int i = 0; i < 3; i++)
		zcap_allocator_get_buffer(a, 0, &s[i]);
	dev_reset();
	dev.max_grant = 2;
	zcapi_v4l2q_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_OUTPUT);
	is(zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_DMABUF, 3, 1), 2, "3 asked, 2 granted");
	zcapi_v4l2q_streamon(&q);
	zcapi_v4l2q_queue_sample(&q, s[0], 0);
	ia = dev.last_qbuf.index;
	zcapi_v4l2q_queue_sample(&q, s[1], 0);
	ib = dev.last_qbuf.index;
	ok(ia != ib && q.stats.misses == 2, "A and B: two misses, two indices");
	is(zcapi_v4l2q_queue_sample(&q, s[2], 0), -EBUSY, "C: every index busy");
	zcapi_v4l2q_dequeue(&q, &d);
	ok(!zcapi_v4l2q_queue_sample(&q, s[2], 0) && dev.last_qbuf.index == ia &&
	   q.stats.evictions == 1, "A done: C takes A's index (evicted)");
	zcapi_v4l2q_dequeue(&q, &d);
	ok(!zcapi_v4l2q_queue_sample(&q, s[0], 0) && dev.last_qbuf.index == ib &&
	   q.stats.evictions == 2, "B done: A again takes B's, the least recently queued");
	is(zcapi_v4l2q_queue_sample(&q, s[0], 0), -EBUSY, "A twice in the driver: refused");
	zcapi_v4l2q_dequeue(&q, &d);
	ok(!zcapi_v4l2q_queue_sample(&q, s[2], 0) && dev.last_qbuf.index == ia &&
	   q.stats.hits == 1, "C again: a hit at its index");
	zcapi_v4l2q_fini(&q);
	for (int i = 0; i < 3; i++)
		zcap_sample_unref(s[i]);
	is(free_buffers(a, 3), 3, "released: nothing held");
	done_with(a);
	close(fake_fd);
}

/* Output MMAP: the payload copied to the buffer's start, counted. */
static void test_output_copy(void)
{
	struct zcap_alloc_props p = props_1(1, 4096);
	struct zcapi_v4l2q_done d;
	struct zcap_allocator *a;
	struct zcap_sample *s;
	struct zcapi_v4l2q q;
	uint64_t copied = 0;
	uint8_t got[3] = { 0 };

	zcap_allocator_new_memory(&a);
	zcap_allocator_set_properties(a, &p, NULL);
	zcap_allocator_commit(a);
	zcap_allocator_get_buffer(a, 0, &s);
	zcap_sample_cpu_begin(s, ZCAP_ACCESS_WRITE);
	memcpy(zcap_sample_data(s, 0), "abc", 3);
	zcap_sample_cpu_end(s);
	zcap_sample_set_bytesused(s, 0, 3000);
	dev_reset();
	zcapi_v4l2q_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE);
	is(zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_MMAP, 2, 1), 2, "output MMAP mplane: 2 buffers");
	zcapi_v4l2q_streamon(&q);
	is(zcapi_v4l2q_queue_sample(&q, s, 0), ZCAP_E_WRONG_STATE, "no import on an MMAP queue");
	is(zcapi_v4l2q_queue_copy(&q, s, 0, &copied), 0, "copied and queued");
	ok(copied == 3000 && dev.last_planes[0].bytesused == 3000 &&
	   pread(fake_fd, got, 3, (off_t)dev.last_qbuf.index * PLANES * BUF_LEN) == 3 &&
	   !memcmp(got, "abc", 3), "3000 bytes, at the start of the device's buffer");
	zcapi_v4l2q_queue_copy(&q, s, 0, &copied);
	is(zcapi_v4l2q_queue_copy(&q, s, 0, &copied), ZCAP_E_TIMEOUT,
	   "both buffers in the driver: no wait, TIMEOUT");
	ok(!zcapi_v4l2q_dequeue(&q, &d) && q.slots[d.index].state == ZCAPI_V4L2Q_FREE,
	   "output DQBUF: the buffer is FREE again");
	is(zcapi_v4l2q_queue_copy(&q, s, 0, &copied), 0, "and takes the next copy");
	zcapi_v4l2q_fini(&q);
	zcap_sample_unref(s);
	done_with(a);
	close(fake_fd);
}

struct copy_wait {
	struct zcapi_v4l2q *q;
	struct zcap_sample *s;
	int ret;
};

static void *copy_waiting(void *arg)
{
	struct copy_wait *w = arg;
	uint64_t copied = 0;

	w->ret = zcapi_v4l2q_queue_copy(w->q, w->s, 10000, &copied);
	return NULL;
}

/*
 * A copy that waits for a free buffer is woken by the DQBUF that frees
 * one (a slot freed with no one waiting wakes no one). The fake device is
 * only touched by one thread at a time: the waiter is asleep in the queue
 * while this thread dequeues, and is joined before anything else.
 */
static void test_output_copy_waits(void)
{
	struct zcap_alloc_props p = props_1(1, 4096);
	struct zcapi_v4l2q_done d;
	struct zcap_allocator *a;
	struct copy_wait w = { 0 };
	struct zcapi_v4l2q q;
	uint64_t copied = 0;
	uint32_t waiters = 0;
	pthread_t t;

	zcap_allocator_new_memory(&a);
	zcap_allocator_set_properties(a, &p, NULL);
	zcap_allocator_commit(a);
	zcap_allocator_get_buffer(a, 0, &w.s);
	zcap_sample_set_bytesused(w.s, 0, 100);
	dev_reset();
	zcapi_v4l2q_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE);
	zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_MMAP, 2, 1);
	zcapi_v4l2q_streamon(&q);
	zcapi_v4l2q_queue_copy(&q, w.s, 0, &copied);
	zcapi_v4l2q_queue_copy(&q, w.s, 0, &copied);
	w.q = &q;
	if (!ok(!pthread_create(&t, NULL, copy_waiting, &w), "a copy waits for a free buffer"))
		goto out;
	for (int i = 0; i < 1000 && !waiters; i++) {
		usleep(1000);
		pthread_mutex_lock(&q.lock);
		waiters = q.waiters;
		pthread_mutex_unlock(&q.lock);
	}
	ok(waiters == 1, "it is waiting in the queue (%u waiter)", waiters);
	zcapi_v4l2q_dequeue(&q, &d);
	pthread_join(t, NULL);
	is(w.ret, 0, "the DQBUF that freed a buffer woke it: copied and queued");
	pthread_mutex_lock(&q.lock);
	is(q.waiters, 0, "no one waits after");
	pthread_mutex_unlock(&q.lock);
out:
	zcapi_v4l2q_fini(&q);
	zcap_sample_unref(w.s);
	done_with(a);
	close(fake_fd);
}

/* Six allocator buffers, four slots: two parked until release. */
static void test_parking(void)
{
	struct zcap_allocator *a = committed(6, 1);
	struct zcapi_v4l2q q;

	dev_reset();
	dev.max_grant = 4;
	zcapi_v4l2q_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_CAPTURE);
	is(zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_DMABUF, 6, 1), 4, "6 asked, 4 granted");
	is(zcapi_v4l2q_fill(&q, a), 0, "filled");
	ok(zcapi_v4l2q_queued(&q) == 4 && q.n_parked == 2 && free_buffers(a, 6) == 0,
	   "four queued, two parked: the allocator has none free to wake anyone");
	zcapi_v4l2q_release(&q);
	ok(free_buffers(a, 6) == 6 && dev.reqbufs0 == 1,
	   "release: REQBUFS(0), the queued and the parked back");
	zcapi_v4l2q_fini(&q);
	done_with(a);
	close(fake_fd);
}

/* Every failure leaves nothing requested, mapped or held. */
static void test_errors(void)
{
	struct zcap_allocator *a = committed(4, 1);
	struct zcap_alloc_props pp = props_1(2, 4096);
	struct zcapi_v4l2q_done d;
	struct zcap_allocator *b;
	struct zcapi_v4l2q q;
	struct zcap_sample *s;

	dev_reset();
	zcapi_v4l2q_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_CAPTURE);
	is(zcapi_v4l2q_dequeue(&q, &d), -EINVAL, "DQBUF before REQBUFS: EINVAL");
	dev.fail_req = EINVAL;
	ok(zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_DMABUF, 4, 1) == -EINVAL && !q.memory &&
	   !q.slots, "REQBUFS refused: its error, nothing kept");
	dev.fail_req = 0;
	dev.fail_query_at = 2;
	ok(zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_MMAP, 4, 1) == -EINVAL && !q.slots &&
	   fake_live_maps("memfd:fake-v4l2") == 0 && dev.reqbufs0 == 1,
	   "QUERYBUF fails at 2: the two mapped undone, REQBUFS(0)");
	dev.fail_query_at = -1;
	is(zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_MMAP, 4, 2), -EINVAL,
	   "two planes on a single-planar queue: EINVAL");
	is(zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_DMABUF, 4, 1), 4, "then granted");
	is(zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_DMABUF, 4, 1), ZCAP_E_WRONG_STATE,
	   "REQBUFS twice: WRONG_STATE");
	is(zcapi_v4l2q_dequeue(&q, &d), -EAGAIN, "nothing done: EAGAIN");
	dev.fail_qbuf = EIO;
	ok(zcapi_v4l2q_fill(&q, a) == -EIO && zcapi_v4l2q_queued(&q) == 0 &&
	   free_buffers(a, 4) == 4, "QBUF fails: its error, the sample not held");
	dev.fail_qbuf = 0;
	zcapi_v4l2q_fill(&q, a);
	dev.bogus_dqbuf = 1;
	is(zcapi_v4l2q_dequeue(&q, &d), -EPROTO, "DQBUF of an index never queued: EPROTO");
	dev.bogus_dqbuf = 0;
	zcapi_v4l2q_release(&q);
	is(free_buffers(a, 4), 4, "released after errors: every sample back");
	zcap_allocator_decommit(a);
	is(zcapi_v4l2q_fill(&q, a), ZCAP_E_NOT_COMMITTED, "fill from a decommitted allocator");
	zcapi_v4l2q_fini(&q);
	zcap_allocator_unref(a);
	close(fake_fd);

	dev_reset();
	dev.planes = 1;
	zcapi_v4l2q_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	ok(zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_MMAP, 2, 2) == -EPROTO && !q.slots &&
	   fake_live_maps("memfd:fake-v4l2") == 0, "QUERYBUF with fewer planes than the format: EPROTO, undone");
	zcapi_v4l2q_fini(&q);
	close(fake_fd);

	/* A capture buffer cannot start past its dma-buf's first byte. */
	pp.prefix = 64;
	fake_allocator(&b, NULL);
	zcap_allocator_set_properties(b, &pp, NULL);
	zcap_allocator_commit(b);
	zcap_allocator_get_buffer(b, 0, &s);
	dev_reset();
	zcapi_v4l2q_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_CAPTURE);
	zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_DMABUF, 2, 1);
	ok(zcapi_v4l2q_queue_sample(&q, s, 0) == -EINVAL && fd_of(s, 0) >= 0 &&
	   zcapi_v4l2q_queued(&q) == 0, "capture DMABUF at a data offset: EINVAL");
	zcapi_v4l2q_fini(&q);
	zcap_sample_unref(s);
	done_with(b);
	close(fake_fd);
}

/*
 * Capture DMABUF: a dequeued sample queued again at its own index, with
 * the QBUF it had there (as given, not as vb2 wrote it back), and only
 * while that is still its slot and other buffers are queued.
 */
static void test_requeue_sample(void)
{
	struct zcap_allocator *a = committed(3, 2);
	struct zcapi_v4l2q_done d, d2;
	struct zcapi_v4l2q q;
	uint64_t hits;

	dev_reset();
	dev.planes = 2;
	zcapi_v4l2q_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_DMABUF, 3, 2);
	zcapi_v4l2q_fill(&q, a);
	zcapi_v4l2q_streamon(&q);
	zcapi_v4l2q_dequeue(&q, &d);
	hits = q.stats.hits;
	memset(&dev.last_qbuf, 0xff, sizeof(dev.last_qbuf));
	ok(!zcapi_v4l2q_requeue_sample(&q, d.index, d.sample) &&
	   dev.last_qbuf.index == d.index && zcapi_v4l2q_queued(&q) == 3 &&
	   q.stats.hits == hits + 1 && q.stats.requeues == 1,
	   "requeued at index %u: a hit, three queued", d.index);
	ok(dev.last_qbuf.length == 2 && !dev.last_qbuf.flags &&
	   dev.last_planes[0].m.fd == fd_of(d.sample, 0) &&
	   dev.last_planes[1].m.fd == fd_of(d.sample, 1) &&
	   dev.last_planes[1].length == 4096 && !dev.last_planes[0].bytesused,
	   "its QBUF as first given: both dma-bufs whole, no flags written back");
	zcap_sample_unref(d.sample);
	is(free_buffers(a, 3), 0, "the queue holds it: nothing free");

	zcapi_v4l2q_dequeue(&q, &d);
	zcapi_v4l2q_dequeue(&q, &d2);
	is(zcapi_v4l2q_requeue_sample(&q, d.index, d2.sample), -EAGAIN,
	   "another sample at that index: refused");
	zcapi_v4l2q_requeue_sample(&q, d2.index, d2.sample);
	zcap_sample_unref(d2.sample);
	zcapi_v4l2q_dequeue(&q, &d2);
	zcap_sample_unref(d2.sample);
	zcapi_v4l2q_dequeue(&q, &d2);
	zcap_sample_unref(d2.sample);
	is(zcapi_v4l2q_requeue_sample(&q, d.index, d.sample), -EAGAIN,
	   "nothing queued: refused (the allocator's free list wakes the thread)");
	zcap_sample_unref(d.sample);
	zcapi_v4l2q_streamoff(&q);
	is(free_buffers(a, 3), 3, "every sample back");
	zcapi_v4l2q_fini(&q);
	done_with(a);
	close(fake_fd);
}

/* Requeue after the slot's dma-bufs changed: evicted, or a QBUF that failed. */
static void test_requeue_rebound(void)
{
	struct zcap_allocator *a = committed(3, 2);
	struct zcapi_v4l2q_done d;
	struct zcap_sample *s[3];
	struct zcapi_v4l2q q;
	uint32_t ia;

	for (int i = 0; i < 3; i++)
		zcap_allocator_get_buffer(a, 0, &s[i]);
	dev_reset();
	dev.planes = 2;
	dev.max_grant = 2;
	zcapi_v4l2q_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	zcapi_v4l2q_reqbufs(&q, V4L2_MEMORY_DMABUF, 3, 2);
	zcapi_v4l2q_queue_sample(&q, s[0], 0);
	ia = dev.last_qbuf.index;
	zcapi_v4l2q_queue_sample(&q, s[1], 0);
	zcapi_v4l2q_streamon(&q);
	zcapi_v4l2q_dequeue(&q, &d);			/* A */
	zcap_sample_unref(d.sample);
	zcapi_v4l2q_queue_sample(&q, s[2], 0);		/* C evicts A */
	zcapi_v4l2q_dequeue(&q, &d);			/* B */
	zcapi_v4l2q_requeue_sample(&q, d.index, s[1]);
	zcap_sample_unref(d.sample);
	zcapi_v4l2q_dequeue(&q, &d);			/* C, at A's index */
	ok(d.sample == s[2] && d.index == ia, "C dequeued from A's old index");
	is(zcapi_v4l2q_requeue_sample(&q, ia, s[0]), -EAGAIN,
	   "A at the index C took: refused");
	ok(!zcapi_v4l2q_requeue_sample(&q, ia, s[2]), "C there: taken");
	zcap_sample_unref(d.sample);

	zcapi_v4l2q_dequeue(&q, &d);			/* B */
	dev.fail_qbuf = EIO;
	is(zcapi_v4l2q_queue_sample(&q, s[1], 0), -EIO, "B's QBUF fails");
	dev.fail_qbuf = 0;
	is(zcapi_v4l2q_requeue_sample(&q, d.index, s[1]), -EAGAIN,
	   "after a failed QBUF the slot's saved one is forgotten");
	ok(!zcapi_v4l2q_queue_sample(&q, s[1], 0), "the cache's path takes it");
	zcap_sample_unref(d.sample);
	for (int i = 0; i < 3; i++)
		zcap_sample_unref(s[i]);
	zcapi_v4l2q_streamoff(&q);
	is(free_buffers(a, 3), 3, "STREAMOFF: every sample back");
	zcapi_v4l2q_fini(&q);
	done_with(a);
	close(fake_fd);
}

int main(void)
{
	test_capture_mmap(V4L2_BUF_TYPE_VIDEO_CAPTURE, 1);
	test_capture_mmap(V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, 2);
	test_capture_dmabuf();
	test_identity_once();
	test_many_slots();
	test_cache_eviction();
	test_requeue_sample();
	test_requeue_rebound();
	test_output_copy();
	test_output_copy_waits();
	test_parking();
	test_errors();
	return tap_done();
}
