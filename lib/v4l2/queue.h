/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One V4L2 buffer queue: the only code of libzcap that issues REQBUFS,
 * QUERYBUF, QBUF and DQBUF (make lint-layers checks). The V4L2 source's
 * capture queue, the output sink's and the encoder's OUTPUT queue and the
 * encoder's CAPTURE queue are each one of these. Internal to libzcap.
 *
 * Modelled on libcamera's V4L2VideoDevice with its V4L2BufferCache and on
 * GStreamer's gstv4l2bufferpool.c:
 *
 * - capture or output, single- or multi-planar (the buffer type says),
 *   MMAP (the driver's buffers, mapped once at REQBUFS) or DMABUF
 *   (samples' dma-bufs imported);
 * - as many slots as REQBUFS grants, however many that is: no
 *   VIDEO_MAX_FRAME cap, every array sized from the grant;
 * - DMABUF: the dma-buf to index cache. A sample's dma-bufs (identified by
 *   inode, which the kernel keeps unique while the dma-buf lives; an fd
 *   number can be reused, and recorded by the allocator at commit, so no
 *   syscall per frame) go back to the index they went to before, so
 *   that vb2 finds the dma-buf it attached and keeps its mapping. A new
 *   dma-buf takes an index never used, else evicts the least recently
 *   queued one that is free;
 * - each slot is FREE, QUEUED (the driver's, from QBUF to DQBUF; a DMABUF
 *   slot holds its sample's reference) or HELD (dequeued, its memory with
 *   the user: a capture MMAP buffer being read, an output MMAP buffer
 *   being filled), and changes state in one function, slot_set();
 * - STREAMOFF gives every queued buffer back and with it every sample the
 *   queue holds; release is STREAMOFF, unmapping, REQBUFS(0), and only then
 *   the samples, so the driver lets go of a dma-buf before its buffer can
 *   go back to anyone.
 *
 * Thread safety: any threads may queue while one dequeues (a consumer's
 * receive and its dequeueing thread; capture buffers recycled by whichever
 * thread releases them); setup is the owner's, with no thread running.
 * Streamoff and release may run while other threads queue (a consumer is
 * stopped while upstream still delivers): a call waiting for a free
 * buffer is woken and refused, ZCAP_E_WRONG_STATE; from the release's
 * STREAMOFF until the next reqbufs every queueing call is refused, and
 * release unmaps and frees the slots only once no call waits in the
 * queue. The dequeueing thread must have stopped before either.
 */
#ifndef ZCAP_LIB_V4L2_QUEUE_H
#define ZCAP_LIB_V4L2_QUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/types.h>

#include <linux/videodev2.h>

#include <zcap/allocator.h>
#include <zcap/sample.h>

enum zcapi_v4l2q_state {
	ZCAPI_V4L2Q_FREE,
	ZCAPI_V4L2Q_QUEUED,
	ZCAPI_V4L2Q_HELD,
};

struct zcapi_v4l2q_slot {
	enum zcapi_v4l2q_state state;
	bool bound;			/* DMABUF: ino[] names its dma-bufs */
	ino_t ino[ZCAP_MAX_PLANES];
	uint64_t last_used;		/* DMABUF: when last queued, for eviction */
	struct zcap_sample *sample;	/* DMABUF: the sample, while QUEUED */
	/*
	 * Capture DMABUF: the sample last queued here (not a reference:
	 * only compared) and that QBUF, which it takes again as it is
	 * (zcapi_v4l2q_requeue_sample()); NULL once other dma-bufs are
	 * bound here.
	 */
	const struct zcap_sample *last_sample;
	struct v4l2_buffer last_buf;
	struct v4l2_plane last_planes[ZCAP_MAX_PLANES];
	void *map[ZCAP_MAX_PLANES];	/* MMAP: the driver's buffer */
	size_t map_len[ZCAP_MAX_PLANES];
};

struct zcapi_v4l2q_stats {
	uint64_t hits;		/* DMABUF: a dma-buf back at its index */
	uint64_t requeues;	/* of those, by zcapi_v4l2q_requeue_sample() */
	uint64_t misses;	/* a dma-buf bound to an index (an import) */
	uint64_t evictions;	/* of those, at an index another dma-buf had */
};

struct zcapi_v4l2q {
	int fd;
	uint32_t type;
	bool mplane;
	bool output;
	uint32_t memory;	/* V4L2_MEMORY_MMAP or _DMABUF; 0 before reqbufs */
	uint32_t n_planes;	/* V4L2 planes (memory blocks) per buffer */
	uint32_t count;		/* slots: what REQBUFS granted */
	struct zcapi_v4l2q_slot *slots;
	/*
	 * count entries, made with the slots: streamoff and release gather
	 * the held samples here to drop them outside the lock, with no
	 * allocation that could fail and no cap that would leak any.
	 */
	struct zcap_sample **drop;
	/* Allocator buffers past the grant, taken and kept unused (park). */
	struct zcap_sample **parked;
	uint32_t n_parked;
	/*
	 * Written under the lock; read without it by zcapi_v4l2q_queued(),
	 * once per frame, which a lock would only make as stale.
	 */
	_Atomic uint32_t n_queued;
	bool streaming;
	/*
	 * Set by release with its STREAMOFF, cleared by reqbufs: no call
	 * takes a slot, since release is about to unmap and free them.
	 */
	bool closing;
	uint64_t clock;		/* QBUFs so far: last_used's clock */
	struct zcapi_v4l2q_stats stats;
	pthread_mutex_t lock;
	pthread_cond_t changed;	/* a slot became FREE, or streaming stopped */
	/*
	 * Threads waiting for a free slot (an output queue's frame): a slot
	 * freed per frame wakes no one in a capture queue, and a broadcast
	 * without a waiter is still code run per frame. Release waits for
	 * them to leave.
	 */
	uint32_t waiters;
};

/* What DQBUF returned; each array's first n_planes entries are set. */
struct zcapi_v4l2q_done {
	uint32_t index;
	uint32_t flags;		/* V4L2_BUF_FLAG_* */
	uint32_t sequence;
	uint32_t field;
	struct timeval timestamp;
	uint32_t n_planes;
	uint32_t bytesused[ZCAP_MAX_PLANES];	/* V4L2's: data_offset included */
	uint32_t data_offset[ZCAP_MAX_PLANES];	/* 0 single-planar */
	uint32_t length[ZCAP_MAX_PLANES];
	/* Capture MMAP: the driver's buffer, HELD until requeue or put. */
	const void *map[ZCAP_MAX_PLANES];
	/* Capture DMABUF: the filled sample; its reference is the caller's. */
	struct zcap_sample *sample;
};

int zcapi_v4l2q_init(struct zcapi_v4l2q *q, int fd, uint32_t type);
/* release, then the lock. The fd is the caller's. */
void zcapi_v4l2q_fini(struct zcapi_v4l2q *q);

/*
 * REQBUFS(@memory, @count) for buffers of @n_planes planes. Returns what
 * the driver granted (at least 1; it may be more or fewer than @count) or
 * a negative error: REQBUFS's (-EINVAL: the driver has no such memory),
 * -ENOMEM, -EPROTO (MMAP: QUERYBUF disagrees with @n_planes), mmap's, or
 * ZCAP_E_WRONG_STATE when buffers are already requested. MMAP buffers are
 * queried and mapped here. On failure nothing is left requested.
 */
int zcapi_v4l2q_reqbufs(struct zcapi_v4l2q *q, uint32_t memory,
			uint32_t count, uint32_t n_planes);
/*
 * streamoff, unmapping, REQBUFS(0), then the samples held and parked.
 * Queueing calls in other threads are refused from the STREAMOFF on, and
 * waited for when they wait for a buffer (see Thread safety).
 */
void zcapi_v4l2q_release(struct zcapi_v4l2q *q);

int zcapi_v4l2q_streamon(struct zcapi_v4l2q *q);
/*
 * STREAMOFF (when streaming or anything is queued): every slot is FREE
 * again and every sample the queue held is released. Failures (an
 * unplugged device) change nothing of that.
 */
void zcapi_v4l2q_streamoff(struct zcapi_v4l2q *q);

/*
 * DMABUF: QBUF @s's dma-bufs at their index (the cache). Capture: each
 * block whole, from offset 0 (V4L2 takes no data offset for capture).
 * Output: its payload (bytes used from its data offset; single-planar
 * V4L2 cannot say an offset: -EINVAL) and its capture time. The queue
 * holds a reference to @s until the buffer is dequeued or streaming stops.
 * -EBUSY when no index is free, or @s's is already queued; with @wait_ms
 * > 0, it waits that long for the device to give one back first, then
 * ZCAP_E_TIMEOUT. ZCAP_E_WRONG_STATE when it would wait and the queue
 * does not stream, when streaming stops while it waits, or once release
 * began.
 */
int zcapi_v4l2q_queue_sample(struct zcapi_v4l2q *q, struct zcap_sample *s,
			     int wait_ms);
/*
 * Capture DMABUF: queue_sample, but only while streaming with other
 * buffers queued, else -EAGAIN: a sample coming back in any thread goes
 * straight to the driver, and the streaming thread, which does not wait
 * on the device while nothing is queued, is woken (by the allocator's
 * wait fd) only when the queue was empty.
 */
int zcapi_v4l2q_recycle(struct zcapi_v4l2q *q, struct zcap_sample *s);
/*
 * Capture DMABUF: recycle @s at @index, the slot it was dequeued from,
 * with the QBUF it had there, nothing looked up or built: -EAGAIN unless
 * streaming with other buffers queued and @s the last sample queued there.
 * For the dequeuing thread, which knows both.
 */
int zcapi_v4l2q_requeue_sample(struct zcapi_v4l2q *q, uint32_t index,
			       struct zcap_sample *s);
/*
 * Output MMAP: wait up to @timeout_ms for a free buffer (ZCAP_E_TIMEOUT;
 * ZCAP_E_WRONG_STATE as for queue_sample), copy @s's payload to its
 * start, add the bytes to *@copied, QBUF.
 */
int zcapi_v4l2q_queue_copy(struct zcapi_v4l2q *q, struct zcap_sample *s,
			   int timeout_ms, uint64_t *copied);
/*
 * Output: queue_sample on a DMABUF queue, queue_copy on an MMAP one, the
 * memory read under the queue's lock (release in another thread resets
 * it).
 */
int zcapi_v4l2q_queue_out(struct zcapi_v4l2q *q, struct zcap_sample *s,
			  int wait_ms, uint64_t *copied);
/*
 * MMAP capture: QBUF buffer @index (FREE, or HELD after a dequeue);
 * ZCAP_E_WRONG_STATE once release began.
 */
int zcapi_v4l2q_requeue(struct zcapi_v4l2q *q, uint32_t index);
/* A HELD buffer the user is done with but does not queue again: FREE. */
void zcapi_v4l2q_put(struct zcapi_v4l2q *q, uint32_t index);

/*
 * DQBUF one buffer (the fd is non-blocking): 0 and *@d, -EAGAIN when none
 * is done, -EPROTO for an index the queue did not queue, or DQBUF's error
 * (-EPIPE: the last buffer was dequeued already). Output DMABUF: the
 * sample is released here, the device being done reading it. Capture MMAP
 * buffers become HELD; all others FREE.
 */
int zcapi_v4l2q_dequeue(struct zcapi_v4l2q *q, struct zcapi_v4l2q_done *d);

/*
 * Capture DMABUF fed from allocator @a (committed): queue every buffer @a
 * has free, and park (take and keep unused until release) those past the
 * slots the driver granted, so that @a only ever has buffers free that
 * can be queued. 0, or ZCAP_E_NOT_COMMITTED, or a queueing error.
 */
int zcapi_v4l2q_fill(struct zcapi_v4l2q *q, struct zcap_allocator *a);

uint32_t zcapi_v4l2q_queued(struct zcapi_v4l2q *q);
bool zcapi_v4l2q_is_dmabuf(const struct zcapi_v4l2q *q);

/*
 * Between queue.c and queue_sample.c only: one object in two files.
 *
 * cache_find: the index for dma-bufs @ino (q->n_planes of them), under
 * the lock: theirs, else one never used, else the least recently queued
 * free one; -EBUSY when every index is busy, or theirs is.
 * sample_plane: block @p of @s as a QBUF's plane *@vp, its inode in *@ino.
 * copy_in: @s's payload to the start of slot @sl's buffers, each plane's
 * bytes used in @b, the bytes copied in *@total.
 */
int zcapi_v4l2q_cache_find(struct zcapi_v4l2q *q, const ino_t *ino);
int zcapi_v4l2q_sample_plane(const struct zcapi_v4l2q *q, struct zcap_sample *s,
			      uint32_t p, struct v4l2_plane *vp, ino_t *ino);
int zcapi_v4l2q_copy_in(const struct zcapi_v4l2q *q,
			const struct zcapi_v4l2q_slot *sl, struct zcap_sample *s,
			struct v4l2_buffer *b, uint64_t *total);

#endif /* ZCAP_LIB_V4L2_QUEUE_H */
