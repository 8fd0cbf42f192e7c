// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The V4L2 buffer queue (queue.h), its device side: slots and their
 * states, REQBUFS and the MMAP mappings, QBUF, DQBUF, streaming and
 * teardown. The only file of libzcap that issues REQBUFS, QUERYBUF, QBUF
 * and DQBUF; what a queue takes of a sample is queue_sample.c's.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/zcap_internal.h"
#include "queue.h"
#include "v4l2_fmt.h"

#define FREE	ZCAPI_V4L2Q_FREE
#define QUEUED	ZCAPI_V4L2Q_QUEUED
#define HELD	ZCAPI_V4L2Q_HELD

int zcapi_v4l2q_init(struct zcapi_v4l2q *q, int fd, uint32_t type)
{
	int r;

	memset(q, 0, sizeof(*q));
	q->fd = fd;
	q->type = type;
	q->mplane = V4L2_TYPE_IS_MULTIPLANAR(type);
	q->output = V4L2_TYPE_IS_OUTPUT(type);
	q->n_planes = 1;
	r = -pthread_mutex_init(&q->lock, NULL);
	if (r)
		return r;
	/* Monotonic, as the deadline of a wait for a free buffer. */
	r = zcapi_cond_init(&q->changed);
	if (r)
		pthread_mutex_destroy(&q->lock);
	return r;
}

void zcapi_v4l2q_fini(struct zcapi_v4l2q *q)
{
	zcapi_v4l2q_release(q);
	pthread_cond_destroy(&q->changed);
	pthread_mutex_destroy(&q->lock);
}

/* Under the lock, which orders the writers: no read-modify-write needed. */
static void queued_add(struct zcapi_v4l2q *q, int d)
{
	uint32_t n = atomic_load_explicit(&q->n_queued, memory_order_relaxed);

	atomic_store_explicit(&q->n_queued, n + (uint32_t)d, memory_order_relaxed);
}

/*
 * Every state change of a slot, under the lock, with what goes with it:
 * the count of queued buffers, the clock of the cache, the sample a
 * DMABUF slot holds while QUEUED (@s, a reference the slot takes over),
 * and waking whoever waits for a free buffer. Returns the sample the slot
 * held, for the caller to hand on or release outside the lock.
 */
static struct zcap_sample *slot_set(struct zcapi_v4l2q *q,
				    struct zcapi_v4l2q_slot *sl,
				    enum zcapi_v4l2q_state to,
				    struct zcap_sample *s)
{
	struct zcap_sample *had = sl->sample;

	if (sl->state == QUEUED)
		queued_add(q, -1);
	sl->sample = NULL;
	if (to == QUEUED) {
		queued_add(q, 1);
		sl->last_used = ++q->clock;
		sl->sample = s;
	} else if (to == FREE && sl->state != FREE && q->waiters) {
		pthread_cond_broadcast(&q->changed);
	}
	sl->state = to;
	return had;
}

static void drop_samples(struct zcap_sample **v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		zcap_sample_unref(v[i]);
		v[i] = NULL;
	}
}

/* A v4l2_buffer of this queue at @index, planes pointed at for mplane. */
static void buf_init(const struct zcapi_v4l2q *q, struct v4l2_buffer *b,
		     struct v4l2_plane *planes, uint32_t index)
{
	memset(b, 0, sizeof(*b));
	b->type = q->type;
	b->memory = q->memory;
	b->index = index;
	if (q->mplane) {
		/* Per frame: a single-planar queue has no planes to clear. */
		memset(planes, 0, sizeof(*planes) * VIDEO_MAX_PLANES);
		b->m.planes = planes;
		b->length = VIDEO_MAX_PLANES;
	}
}

/* ---- buffers ------------------------------------------------------------ */

static int do_reqbufs(struct zcapi_v4l2q *q, uint32_t memory, uint32_t count,
		      uint32_t *granted)
{
	struct v4l2_requestbuffers rb;
	int r;

	memset(&rb, 0, sizeof(rb));
	rb.type = q->type;
	rb.memory = memory;
	rb.count = count;
	r = zcapi_v4l2_ioctl(q->fd, VIDIOC_REQBUFS, &rb);
	if (!r && granted)
		*granted = rb.count;
	return r;
}

/* QUERYBUF and mmap every plane of every slot. */
static int map_slots(struct zcapi_v4l2q *q)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	int prot = q->output ? PROT_READ | PROT_WRITE : PROT_READ;
	struct v4l2_buffer b;
	uint32_t i, p;
	int r;

	for (i = 0; i < q->count; i++) {
		buf_init(q, &b, planes, i);
		r = zcapi_v4l2_ioctl(q->fd, VIDIOC_QUERYBUF, &b);
		if (r)
			return r;
		if ((q->mplane ? b.length : 1) != q->n_planes)
			return -EPROTO;
		for (p = 0; p < q->n_planes; p++) {
			size_t len = q->mplane ? planes[p].length : b.length;
			off_t off = q->mplane ? planes[p].m.mem_offset : b.m.offset;
			void *m = mmap(NULL, len, prot, MAP_SHARED, q->fd, off);

			if (m == MAP_FAILED)
				return -errno;
			q->slots[i].map[p] = m;
			q->slots[i].map_len[p] = len;
		}
	}
	return 0;
}

static void unmap_slots(struct zcapi_v4l2q *q)
{
	for (uint32_t i = 0; i < q->count; i++) {
		for (uint32_t p = 0; p < ZCAP_MAX_PLANES; p++) {
			if (q->slots[i].map[p])
				munmap(q->slots[i].map[p], q->slots[i].map_len[p]);
			q->slots[i].map[p] = NULL;
		}
	}
}

int zcapi_v4l2q_reqbufs(struct zcapi_v4l2q *q, uint32_t memory,
			uint32_t count, uint32_t n_planes)
{
	uint32_t granted = 0;
	int r;

	if (q->memory)
		return ZCAP_E_WRONG_STATE;
	if (!n_planes || n_planes > ZCAP_MAX_PLANES || (!q->mplane && n_planes > 1))
		return -EINVAL;
	r = do_reqbufs(q, memory, count, &granted);
	if (r)
		return r;
	q->memory = memory;
	q->n_planes = n_planes;
	q->closing = false;
	r = -ENOMEM;
	if (!granted)
		goto err;
	/* As many slots as granted: no cap of ours. */
	q->slots = calloc(granted, sizeof(*q->slots));
	q->drop = calloc(granted, sizeof(*q->drop));
	if (!q->slots || !q->drop)
		goto err;
	q->count = granted;
	if (memory == V4L2_MEMORY_MMAP) {
		r = map_slots(q);
		if (r)
			goto err;
	}
	return granted > INT_MAX ? INT_MAX : (int)granted;
err:
	zcapi_v4l2q_release(q);
	return r;
}

/*
 * STREAMOFF when streaming or anything is queued (it is what gives queued
 * buffers back), under the lock so that no QBUF slips in after it. Every
 * slot is FREE after; the samples they held are gathered in q->drop:
 * returns how many. The waiters are woken to find the queue stopped.
 * @closing (release): from the same critical section on, no call takes a
 * slot, and this returns only once the waiters have left, so that the
 * slots and their mappings are release's alone.
 */
static uint32_t stop_streaming(struct zcapi_v4l2q *q, bool closing)
{
	int type = (int)q->type;
	struct zcap_sample *s;
	uint32_t i, n = 0;

	pthread_mutex_lock(&q->lock);
	if (q->streaming || q->n_queued)
		zcapi_v4l2_ioctl(q->fd, VIDIOC_STREAMOFF, &type);
	q->streaming = false;
	if (closing)
		q->closing = true;
	for (i = 0; i < q->count; i++) {
		s = slot_set(q, &q->slots[i], FREE, NULL);
		if (s)
			q->drop[n++] = s;
	}
	pthread_cond_broadcast(&q->changed);
	while (closing && q->waiters)
		pthread_cond_wait(&q->changed, &q->lock);
	pthread_mutex_unlock(&q->lock);
	return n;
}

void zcapi_v4l2q_streamoff(struct zcapi_v4l2q *q)
{
	drop_samples(q->drop, stop_streaming(q, false));
}

int zcapi_v4l2q_streamon(struct zcapi_v4l2q *q)
{
	int type = (int)q->type;
	int r;

	r = zcapi_v4l2_ioctl(q->fd, VIDIOC_STREAMON, &type);
	if (!r) {
		pthread_mutex_lock(&q->lock);
		q->streaming = true;
		pthread_mutex_unlock(&q->lock);
	}
	return r;
}

void zcapi_v4l2q_release(struct zcapi_v4l2q *q)
{
	struct zcap_sample **drop = q->drop, **parked = q->parked;
	uint32_t n_drop, n_parked = q->n_parked;

	if (!q->memory)
		return;
	/* Other threads may be queueing: from here on they are refused. */
	n_drop = stop_streaming(q, true);
	/* Mappings first: REQBUFS(0) fails with EBUSY on 6.1 while one lives. */
	unmap_slots(q);
	do_reqbufs(q, q->memory, 0, NULL);
	pthread_mutex_lock(&q->lock);
	free(q->slots);
	q->slots = NULL;
	q->drop = NULL;
	q->parked = NULL;
	q->n_parked = 0;
	q->count = 0;
	q->n_queued = 0;
	q->memory = 0;
	pthread_mutex_unlock(&q->lock);
	/* The driver let go of the dma-bufs: now their buffers may go back. */
	drop_samples(drop, n_drop);
	drop_samples(parked, n_parked);
	free(drop);
	free(parked);
}

/*
 * QBUF @b (from qbuf_init) at its index, whose slot must be @from; the
 * slot is QUEUED after, holding @s (a new reference) if not NULL. None
 * once release began: it would free the slot with the reference in it.
 * Under the lock.
 */
static int qbuf(struct zcapi_v4l2q *q, struct v4l2_buffer *b,
		enum zcapi_v4l2q_state from, struct zcap_sample *s)
{
	struct zcapi_v4l2q_slot *sl;
	int r;

	if (q->closing)
		return ZCAP_E_WRONG_STATE;
	if (b->index >= q->count)
		return -EINVAL;
	sl = &q->slots[b->index];
	if (sl->state != from)
		return -EBUSY;
	r = zcapi_v4l2_ioctl(q->fd, VIDIOC_QBUF, b);
	if (!r)
		slot_set(q, sl, QUEUED, s ? zcap_sample_ref(s) : NULL);
	return r;
}

/*
 * A QBUF's buffer at @index: @n_planes planes for mplane; output buffers
 * carry @s's capture time (mem2mem drivers copy it to the coded buffer).
 */
static void qbuf_init(const struct zcapi_v4l2q *q, struct v4l2_buffer *b,
		      struct v4l2_plane *planes, uint32_t index,
		      const struct zcap_sample *s)
{
	int64_t t;

	buf_init(q, b, planes, index);
	if (q->mplane)
		b->length = q->n_planes;
	if (!q->output)
		return;
	b->field = V4L2_FIELD_NONE;
	if (s && !zcap_sample_time(s, &t) && t >= 0) {
		b->timestamp.tv_sec = t / 1000000000;
		b->timestamp.tv_usec = (t % 1000000000) / 1000;
	}
}

/*
 * A QBUF of @s's dma-bufs into @b (its index left to the caller), *@ino
 * their identities, for the cache.
 */
static int sample_buffer(const struct zcapi_v4l2q *q, struct zcap_sample *s,
			 struct v4l2_buffer *b, struct v4l2_plane *planes,
			 ino_t *ino)
{
	struct v4l2_plane vp;
	uint32_t p;
	int r;

	if (q->memory != V4L2_MEMORY_DMABUF)
		return ZCAP_E_WRONG_STATE;
	if (zcap_sample_n_mem(s) < q->n_planes)
		return -EINVAL;
	qbuf_init(q, b, planes, 0, s);
	for (p = 0; p < q->n_planes; p++) {
		r = zcapi_v4l2q_sample_plane(q, s, p, q->mplane ? &planes[p] : &vp,
					     &ino[p]);
		if (r)
			return r;
	}
	if (!q->mplane) {
		b->m.fd = vp.m.fd;
		b->length = vp.length;
		b->bytesused = vp.bytesused;
	}
	return 0;
}

/* Streaming with other buffers queued, as a recycled buffer needs. Under the lock. */
static bool busy(const struct zcapi_v4l2q *q)
{
	return q->streaming && q->n_queued;
}

/* Capture: @s's QBUF @b at slot @sl, for zcapi_v4l2q_requeue_sample(). */
static void slot_remember(const struct zcapi_v4l2q *q,
			  struct zcapi_v4l2q_slot *sl, const struct v4l2_buffer *b,
			  const struct v4l2_plane *planes,
			  const struct zcap_sample *s)
{
	sl->last_sample = s;
	sl->last_buf = *b;
	if (q->mplane)
		memcpy(sl->last_planes, planes, q->n_planes * sizeof(*planes));
}

/*
 * Sleep until a slot changes state (a DQBUF frees one, a STREAMOFF) or
 * @until: 0 to look again, ZCAP_E_TIMEOUT, or ZCAP_E_WRONG_STATE when the
 * queue does not stream, before the sleep or after it. The STREAMOFF that
 * wakes a waiter frees every slot, but for the queue to stop (or release
 * to unmap and free them), not for the waiter to take one. Under the
 * lock: counted as a waiter, the only kind of caller a freed slot
 * signals, and the one release waits for.
 */
static int wait_slot_change(struct zcapi_v4l2q *q, const struct timespec *until)
{
	int r;

	if (!q->streaming || q->closing)
		return ZCAP_E_WRONG_STATE;
	q->waiters++;
	r = pthread_cond_timedwait(&q->changed, &q->lock, until);
	q->waiters--;
	/* The last one out lets release go on (stop_streaming()). */
	if (q->closing && !q->waiters)
		pthread_cond_broadcast(&q->changed);
	if (!q->streaming || q->closing)
		return ZCAP_E_WRONG_STATE;
	return r == ETIMEDOUT ? ZCAP_E_TIMEOUT : 0;
}

/*
 * The index for dma-bufs @ino, waiting up to @wait_ms (0: not at all) for
 * the device to give one back: an output queue may have been granted
 * fewer indices than upstream has buffers. None once release began.
 * Under the lock.
 */
static int find_index(struct zcapi_v4l2q *q, const ino_t *ino, int wait_ms)
{
	struct timespec until;
	int idx, r;

	if (q->closing)
		return ZCAP_E_WRONG_STATE;
	if (wait_ms > 0)
		zcapi_deadline(&until, wait_ms);
	for (;;) {
		idx = zcapi_v4l2q_cache_find(q, ino);
		if (idx != -EBUSY || wait_ms <= 0)
			return idx;
		r = wait_slot_change(q, &until);
		if (r == ZCAP_E_TIMEOUT) {
			/* One more look: a buffer may have come with it. */
			idx = zcapi_v4l2q_cache_find(q, ino);
			return idx == -EBUSY ? ZCAP_E_TIMEOUT : idx;
		}
		if (r)
			return r;
	}
}

/*
 * QBUF @s at its index (waiting up to @wait_ms for one); with
 * @busy_only, only while busy() (-EAGAIN otherwise). Under the lock, the
 * QBUF built too: release, in another thread, resets the memory.
 */
static int sample_locked(struct zcapi_v4l2q *q, struct zcap_sample *s,
			 bool busy_only, int wait_ms)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	ino_t ino[ZCAP_MAX_PLANES];
	struct v4l2_buffer b;
	int idx, r;

	r = sample_buffer(q, s, &b, planes, ino);
	if (r)
		return r;
	if (busy_only && !busy(q))
		return -EAGAIN;
	idx = find_index(q, ino, wait_ms);
	if (idx < 0)
		return idx;
	b.index = (uint32_t)idx;
	/* As given, before QBUF writes the buffer's state back into it. */
	if (!q->output)
		slot_remember(q, &q->slots[idx], &b, planes, s);
	r = qbuf(q, &b, FREE, s);
	if (r)
		q->slots[idx].last_sample = NULL;
	return r;
}

static int queue_sample(struct zcapi_v4l2q *q, struct zcap_sample *s,
			bool busy_only, int wait_ms)
{
	int r;

	pthread_mutex_lock(&q->lock);
	r = sample_locked(q, s, busy_only, wait_ms);
	pthread_mutex_unlock(&q->lock);
	return r;
}

int zcapi_v4l2q_requeue_sample(struct zcapi_v4l2q *q, uint32_t index,
			       struct zcap_sample *s)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct zcapi_v4l2q_slot *sl;
	struct v4l2_buffer b;
	int r = -EAGAIN;

	pthread_mutex_lock(&q->lock);
	if (!busy(q) || index >= q->count)
		goto out;
	sl = &q->slots[index];
	if (sl->state != FREE || !s || sl->last_sample != s)
		goto out;
	b = sl->last_buf;
	if (q->mplane) {
		memcpy(planes, sl->last_planes, q->n_planes * sizeof(*planes));
		b.m.planes = planes;
	}
	r = qbuf(q, &b, FREE, s);
	if (!r) {
		q->stats.hits++;
		q->stats.requeues++;
	}
out:
	pthread_mutex_unlock(&q->lock);
	return r;
}

int zcapi_v4l2q_queue_sample(struct zcapi_v4l2q *q, struct zcap_sample *s,
			     int wait_ms)
{
	return queue_sample(q, s, false, wait_ms);
}

int zcapi_v4l2q_recycle(struct zcapi_v4l2q *q, struct zcap_sample *s)
{
	return queue_sample(q, s, true, 0);
}

/*
 * The first FREE slot, waiting up to @timeout_ms for one; none once
 * release began. Under the lock.
 */
static int wait_free(struct zcapi_v4l2q *q, int timeout_ms)
{
	struct timespec until;
	uint32_t i;
	int r;

	if (q->closing)
		return ZCAP_E_WRONG_STATE;
	zcapi_deadline(&until, timeout_ms);
	for (;;) {
		for (i = 0; i < q->count; i++)
			if (q->slots[i].state == FREE)
				return (int)i;
		r = wait_slot_change(q, &until);
		if (r)
			return r;
	}
}

/*
 * Output MMAP: @s copied into a free buffer and QBUF. Under the lock, the
 * copy too: release, in another thread, unmaps the buffers once it has
 * the lock and no caller is left waiting, never under a copy.
 */
static int copy_locked(struct zcapi_v4l2q *q, struct zcap_sample *s,
		       int timeout_ms, uint64_t *copied)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer b;
	uint64_t total;
	int idx, r;

	if (q->memory != V4L2_MEMORY_MMAP || !q->output)
		return ZCAP_E_WRONG_STATE;
	if (zcap_sample_n_mem(s) < q->n_planes)
		return -EINVAL;
	idx = wait_free(q, timeout_ms);
	if (idx < 0)
		return idx;
	qbuf_init(q, &b, planes, (uint32_t)idx, s);
	r = zcapi_v4l2q_copy_in(q, &q->slots[idx], s, &b, &total);
	if (r)
		return r;
	*copied += total;
	return qbuf(q, &b, FREE, NULL);
}

int zcapi_v4l2q_queue_copy(struct zcapi_v4l2q *q, struct zcap_sample *s,
			   int timeout_ms, uint64_t *copied)
{
	int r;

	pthread_mutex_lock(&q->lock);
	r = copy_locked(q, s, timeout_ms, copied);
	pthread_mutex_unlock(&q->lock);
	return r;
}

int zcapi_v4l2q_queue_out(struct zcapi_v4l2q *q, struct zcap_sample *s,
			  int wait_ms, uint64_t *copied)
{
	int r;

	/* The memory read under the lock: release, in another thread, resets it. */
	pthread_mutex_lock(&q->lock);
	if (q->memory == V4L2_MEMORY_MMAP)
		r = copy_locked(q, s, wait_ms, copied);
	else
		r = sample_locked(q, s, false, wait_ms);
	pthread_mutex_unlock(&q->lock);
	return r;
}

int zcapi_v4l2q_requeue(struct zcapi_v4l2q *q, uint32_t index)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer b;
	int r = -EBUSY;

	if (q->memory != V4L2_MEMORY_MMAP || q->output)
		return ZCAP_E_WRONG_STATE;
	pthread_mutex_lock(&q->lock);
	qbuf_init(q, &b, planes, index, NULL);
	if (index < q->count && q->slots[index].state != QUEUED)
		r = qbuf(q, &b, q->slots[index].state, NULL);
	pthread_mutex_unlock(&q->lock);
	return r;
}

void zcapi_v4l2q_put(struct zcapi_v4l2q *q, uint32_t index)
{
	pthread_mutex_lock(&q->lock);
	if (index < q->count && q->slots[index].state == HELD)
		slot_set(q, &q->slots[index], FREE, NULL);
	pthread_mutex_unlock(&q->lock);
}

/* ---- DQBUF --------------------------------------------------------------- */

/*
 * What DQBUF said of @b, in *@d: its first n_planes entries of each array
 * (no more: this runs for every frame). A plane the driver did not report
 * reads as empty.
 */
static void done_init(const struct zcapi_v4l2q *q, const struct v4l2_buffer *b,
		      struct zcapi_v4l2q_done *d)
{
	uint32_t p;

	d->index = b->index;
	d->flags = b->flags;
	d->sequence = b->sequence;
	d->field = b->field;
	d->timestamp = b->timestamp;
	d->n_planes = q->n_planes;
	d->sample = NULL;
	if (!q->mplane) {
		d->bytesused[0] = b->bytesused;
		d->data_offset[0] = 0;
		d->length[0] = b->length;
		d->map[0] = NULL;
		return;
	}
	for (p = 0; p < q->n_planes; p++) {
		const struct v4l2_plane *vp = &b->m.planes[p];
		bool given = p < b->length;

		d->bytesused[p] = given ? vp->bytesused : 0;
		d->data_offset[p] = given ? vp->data_offset : 0;
		d->length[p] = given ? vp->length : 0;
		d->map[p] = NULL;
	}
}

int zcapi_v4l2q_dequeue(struct zcapi_v4l2q *q, struct zcapi_v4l2q_done *d)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct zcapi_v4l2q_slot *sl;
	struct zcap_sample *s;
	struct v4l2_buffer b;
	bool held;
	int r;

	if (!q->memory)
		return -EINVAL;
	buf_init(q, &b, planes, 0);
	r = zcapi_v4l2_ioctl(q->fd, VIDIOC_DQBUF, &b);
	if (r)
		return r;
	done_init(q, &b, d);
	pthread_mutex_lock(&q->lock);
	if (b.index >= q->count || q->slots[b.index].state != QUEUED) {
		pthread_mutex_unlock(&q->lock);
		return -EPROTO;
	}
	sl = &q->slots[b.index];
	/* A capture MMAP buffer stays the user's while it reads it. */
	held = !q->output && q->memory == V4L2_MEMORY_MMAP;
	s = slot_set(q, sl, held ? HELD : FREE, NULL);
	for (uint32_t p = 0; held && p < q->n_planes; p++)
		d->map[p] = sl->map[p];
	pthread_mutex_unlock(&q->lock);
	/* Output: the device is done reading, the buffer may go back upstream. */
	if (q->output)
		zcap_sample_unref(s);
	else
		d->sample = s;
	return 0;
}

uint32_t zcapi_v4l2q_queued(struct zcapi_v4l2q *q)
{
	return atomic_load_explicit(&q->n_queued, memory_order_relaxed);
}

bool zcapi_v4l2q_is_dmabuf(const struct zcapi_v4l2q *q)
{
	return q->memory == V4L2_MEMORY_DMABUF;
}
