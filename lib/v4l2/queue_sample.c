// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The V4L2 buffer queue (queue.h), its sample side: the dma-buf to index
 * cache, a sample's blocks as the planes of a QBUF (capture and output),
 * its payload copied into an MMAP output buffer, and a capture queue fed
 * from an allocator. No ioctl here: queue.c issues them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zcap/error.h>

#include "core/filter_util.h"
#include "core/zcap_internal.h"
#include "queue.h"

/* @a and @b name the same @n dma-bufs (a loop: n is 1 nearly always). */
static bool same_ino(const ino_t *a, const ino_t *b, uint32_t n)
{
	for (uint32_t p = 0; p < n; p++)
		if (a[p] != b[p])
			return false;
	return true;
}

/*
 * The index of dma-bufs @ino: theirs (a hit), else one never used, else
 * the least recently queued free one (evicted: the driver drops its old
 * mapping at QBUF). -EBUSY when every index is busy, or theirs is.
 */
int zcapi_v4l2q_cache_find(struct zcapi_v4l2q *q, const ino_t *ino)
{
	int fresh = -1, lru = -1;
	uint32_t i, p;

	for (i = 0; i < q->count; i++) {
		struct zcapi_v4l2q_slot *sl = &q->slots[i];

		if (!sl->bound) {
			if (fresh < 0)
				fresh = (int)i;
		} else if (same_ino(sl->ino, ino, q->n_planes)) {
			/* Busy: the same dma-buf twice in the driver. */
			if (sl->state != ZCAPI_V4L2Q_FREE)
				return -EBUSY;
			q->stats.hits++;
			return (int)i;
		} else if (sl->state == ZCAPI_V4L2Q_FREE &&
			   (lru < 0 || sl->last_used < q->slots[lru].last_used)) {
			lru = (int)i;
		}
	}
	if (fresh < 0 && lru < 0)
		return -EBUSY;
	if (fresh < 0) {
		fresh = lru;
		q->stats.evictions++;
	}
	q->stats.misses++;
	for (p = 0; p < q->n_planes; p++)
		q->slots[fresh].ino[p] = ino[p];
	q->slots[fresh].bound = true;
	return fresh;
}

/*
 * What an output buffer gets of block @mem of @s: *@off gets where the
 * data starts (the capture driver's data offset), the return value its
 * length. A compressed frame's length is only in its bytes used; a sample
 * without any is taken whole, as its format's block (or the block itself).
 */
static uint64_t out_payload(const struct zcap_sample *s, uint32_t mem,
			    uint64_t *off)
{
	const struct zcap_format *zf = zcap_sample_format(s);
	struct zcap_mem m;

	if (zcap_sample_bytesused(s, mem))
		return zcapi_sample_payload(s, zf, mem, off);
	*off = 0;
	if (zf && zf->n_planes && mem < zf->n_mem && zf->mem_size[mem])
		return zf->mem_size[mem];
	return zcap_sample_mem(s, mem, &m) ? 0 : m.length;
}

/*
 * The inode of dma-buf block @b: the one its allocator recorded at commit
 * (no syscall), else fstat of its fd.
 */
static int block_ino(const struct zcapi_block *b, ino_t *ino)
{
	struct stat st;

	if (b->ino) {
		*ino = (ino_t)b->ino;
		return 0;
	}
	if (fstat(b->fd, &st))
		return -EBADF;
	*ino = st.st_ino;
	return 0;
}

/*
 * Block @p of @s as a V4L2 plane (@vp all set). Capture: the whole block,
 * which must start the dma-buf, and the same length every time (vb2 keeps
 * a dma-buf's mapping only when dma-buf and length are unchanged).
 * Output: the payload, where V4L2's bytesused counts the data offset too,
 * in the whole dma-buf.
 * The block is read in place: this runs for every buffer the driver gets.
 */
int zcapi_v4l2q_sample_plane(const struct zcapi_v4l2q *q, struct zcap_sample *s,
			      uint32_t p, struct v4l2_plane *vp, ino_t *ino)
{
	const struct zcapi_block *b;
	uint64_t off = 0, len;

	if (p >= s->n_mem)
		return -EINVAL;
	b = &s->blocks[p];
	if (b->fd < 0 || block_ino(b, ino))
		return -EBADF;
	memset(vp, 0, sizeof(*vp));
	vp->m.fd = b->fd;
	if (!q->output) {
		vp->length = (uint32_t)b->length;
		return b->offset ? -EINVAL : 0;
	}
	len = out_payload(s, p, &off);
	/* Single-planar V4L2 has no data offset. */
	if (!q->mplane && (b->offset || off))
		return -EINVAL;
	vp->data_offset = (uint32_t)(b->offset + off);
	vp->bytesused = (uint32_t)(b->offset + off + len);
	/*
	 * The whole dma-buf: a multi-planar OUTPUT queue checks bytesused
	 * against the length we give (vb2's __verify_length()), 0 fails
	 * every plane with data.
	 */
	vp->length = b->map_len > UINT32_MAX ? UINT32_MAX : (uint32_t)b->map_len;
	return 0;
}

/*
 * Copy @s's payload to the start of slot @sl's buffers, setting each
 * plane's bytes used in @b; *@total gets the bytes copied.
 */
int zcapi_v4l2q_copy_in(const struct zcapi_v4l2q *q,
			const struct zcapi_v4l2q_slot *sl, struct zcap_sample *s,
			struct v4l2_buffer *b, uint64_t *total)
{
	uint32_t p;
	int r;

	*total = 0;
	r = zcap_sample_cpu_begin(s, ZCAP_ACCESS_READ);
	if (r)
		return r;
	for (p = 0; p < q->n_planes; p++) {
		const uint8_t *src = zcap_sample_data(s, p);
		uint64_t off, n = out_payload(s, p, &off);

		if (!src) {
			r = -EFAULT;
			break;
		}
		if (n > sl->map_len[p])
			n = sl->map_len[p];
		/* The copy starts the device's buffer with the data itself. */
		memcpy(sl->map[p], src + off, n);
		*total += n;
		if (q->mplane)
			b->m.planes[p].bytesused = (uint32_t)n;
		else
			b->bytesused = (uint32_t)n;
	}
	zcap_sample_cpu_end(s);
	return r;
}

/*
 * Keep @s unused: a buffer of the allocator with no slot. The array is
 * made once per stream, for every buffer the allocator has past the slots.
 */
static int park(struct zcapi_v4l2q *q, struct zcap_allocator *a,
		struct zcap_sample *s)
{
	/* Only a buffer past the slots comes here: the allocator has more. */
	uint32_t cap = zcap_allocator_count(a) - q->count;

	if (!q->parked) {
		q->parked = calloc(cap, sizeof(*q->parked));
		if (!q->parked)
			return -ENOMEM;
	}
	if (q->n_parked >= cap)
		return -EPROTO;
	q->parked[q->n_parked++] = s;
	return 0;
}

int zcapi_v4l2q_fill(struct zcapi_v4l2q *q, struct zcap_allocator *a)
{
	struct zcap_sample *s;
	int r;

	for (;;) {
		r = zcap_allocator_get_buffer(a, 0, &s);
		if (r == ZCAP_E_TIMEOUT)
			return 0;	/* nothing free: the rest is downstream */
		if (r)
			return r;
		/*
		 * Parked past the grant: so that the allocator only ever has
		 * buffers free that can be queued, and its wait fd only wakes
		 * the streaming thread for those.
		 */
		if (zcap_sample_index(s) >= q->count) {
			r = park(q, a, s);
			if (r) {
				zcap_sample_unref(s);
				return r;
			}
			continue;
		}
		r = zcapi_v4l2q_queue_sample(q, s, 0);
		zcap_sample_unref(s);	/* queued, the queue holds its own */
		if (r)
			return r;
	}
}
