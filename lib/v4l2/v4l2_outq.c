// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A V4L2 OUTPUT queue fed with zcap samples, shared by the mem2mem encoder
 * and the video output sink.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <zcap/error.h>

#include "core/filter_util.h"
#include "v4l2_outq.h"
#include "core/zcap_internal.h"

int zcapi_outq_device_caps(int fd, uint32_t *caps)
{
	struct v4l2_capability cap;
	int r;

	r = zcapi_v4l2_ioctl(fd, VIDIOC_QUERYCAP, &cap);
	if (r)
		return r;
	*caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps :
							  cap.capabilities;
	return 0;
}

int32_t zcapi_outq_ctrl_get(int fd, uint32_t id, int32_t def)
{
	struct v4l2_control c = { .id = id };

	if (zcapi_v4l2_ioctl(fd, VIDIOC_G_CTRL, &c))
		return def;
	return c.value;
}

static bool outq_mplane(const struct zcapi_outq *q)
{
	return q->type == V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
}

int zcapi_outq_init(struct zcapi_outq *q, int fd, uint32_t type)
{
	int r;

	memset(q, 0, sizeof(*q));
	q->fd = fd;
	q->type = type;
	q->n_planes = 1;
	r = pthread_mutex_init(&q->lock, NULL);
	if (r)
		return -r;
	/* Monotonic, as outq_wait_free's deadline: wall-clock steps do not count. */
	r = zcapi_cond_init(&q->freed);
	if (r) {
		pthread_mutex_destroy(&q->lock);
		return r;
	}
	return 0;
}

void zcapi_outq_fini(struct zcapi_outq *q)
{
	zcapi_outq_release(q);
	pthread_cond_destroy(&q->freed);
	pthread_mutex_destroy(&q->lock);
}

/*
 * Planes that share one memory block must sit where V4L2 puts them: right
 * after each other, each as tall as the visible frame. Compare with the
 * unpadded layout of the same format.
 */
static int outq_check_offsets(const struct zcap_format *zf, uint32_t bpl,
			      char *why, size_t why_len)
{
	struct zcap_format ref;
	uint32_t p;

	if (zf->n_planes == 1 || zf->n_mem == zf->n_planes)
		return 0;
	memset(&ref, 0, sizeof(ref));
	ref.fourcc = zf->fourcc;
	ref.width = zf->width;
	ref.height = zf->height;
	if (zcap_format_layout(&ref, NULL) || ref.planes[0].stride != bpl) {
		snprintf(why, why_len,
			 "planar layout with stride %u is not V4L2's", bpl);
		return ZCAP_E_TYPE_NOT_ACCEPTED;
	}
	for (p = 0; p < zf->n_planes; p++) {
		if (zf->planes[p].offset != ref.planes[p].offset ||
		    zf->planes[p].stride != ref.planes[p].stride) {
			snprintf(why, why_len,
				 "plane %u at offset %llu stride %u, the device wants %llu/%u",
				 p, (unsigned long long)zf->planes[p].offset,
				 zf->planes[p].stride,
				 (unsigned long long)ref.planes[p].offset,
				 ref.planes[p].stride);
			return ZCAP_E_TYPE_NOT_ACCEPTED;
		}
	}
	return 0;
}

/*
 * Stride of the first plane that lives in memory block @mem; 0 for a
 * bitstream, which has no lines (V4L2's bytesperline for one).
 */
static uint32_t outq_mem_stride(const struct zcap_format *zf, uint32_t mem)
{
	uint32_t p;

	if (zf->flags & ZCAP_FORMAT_COMPRESSED)
		return 0;
	for (p = 0; p < zf->n_planes; p++)
		if (zf->planes[p].mem == mem)
			return zf->planes[p].stride;
	return 0;
}

/* A device's bytesperline for block @mem that is not @zf's; a bitstream has none. */
static bool outq_bpl_differs(const struct zcap_format *zf, uint32_t mem,
			     uint32_t bpl)
{
	return !(zf->flags & ZCAP_FORMAT_COMPRESSED) &&
	       bpl != outq_mem_stride(zf, mem);
}

int zcapi_outq_set_format(struct zcapi_outq *q, const struct zcap_format *zf,
			 char *why, size_t why_len)
{
	struct v4l2_format f;
	uint32_t i, bpl;
	int r;

	memset(&f, 0, sizeof(f));
	f.type = q->type;
	if (outq_mplane(q)) {
		struct v4l2_pix_format_mplane *mp = &f.fmt.pix_mp;

		mp->pixelformat = zf->fourcc;
		mp->width = zf->width;
		mp->height = zf->height;
		mp->field = zf->field ? zf->field : V4L2_FIELD_NONE;
		mp->colorspace = zf->colorspace;
		mp->num_planes = zf->n_mem;
		for (i = 0; i < zf->n_mem; i++) {
			mp->plane_fmt[i].bytesperline = outq_mem_stride(zf, i);
			mp->plane_fmt[i].sizeimage = zf->mem_size[i];
		}
	} else {
		struct v4l2_pix_format *pix = &f.fmt.pix;

		if (zf->n_mem != 1) {
			snprintf(why, why_len,
				 "%u memory blocks on a single-planar device",
				 zf->n_mem);
			return ZCAP_E_TYPE_NOT_ACCEPTED;
		}
		pix->pixelformat = zf->fourcc;
		pix->width = zf->width;
		pix->height = zf->height;
		pix->field = zf->field ? zf->field : V4L2_FIELD_NONE;
		pix->colorspace = zf->colorspace;
		pix->bytesperline = outq_mem_stride(zf, 0);
		pix->sizeimage = zf->mem_size[0];
	}
	r = zcapi_v4l2_ioctl(q->fd, VIDIOC_S_FMT, &f);
	if (r) {
		snprintf(why, why_len, "S_FMT: %s", strerror(-r));
		return r == -EBUSY ? ZCAP_E_WRONG_STATE : ZCAP_E_TYPE_NOT_ACCEPTED;
	}

	if (outq_mplane(q)) {
		const struct v4l2_pix_format_mplane *mp = &f.fmt.pix_mp;

		if (mp->pixelformat != zf->fourcc || mp->width != zf->width ||
		    mp->height != zf->height || mp->num_planes != zf->n_mem)
			goto changed;
		for (i = 0; i < zf->n_mem; i++) {
			if (outq_bpl_differs(zf, i, mp->plane_fmt[i].bytesperline)) {
				snprintf(why, why_len,
					 "the device wants bytesperline %u for plane %u, not %u",
					 mp->plane_fmt[i].bytesperline, i,
					 outq_mem_stride(zf, i));
				return ZCAP_E_TYPE_NOT_ACCEPTED;
			}
		}
		bpl = mp->plane_fmt[0].bytesperline;
		q->n_planes = mp->num_planes;
	} else {
		const struct v4l2_pix_format *pix = &f.fmt.pix;

		if (pix->pixelformat != zf->fourcc || pix->width != zf->width ||
		    pix->height != zf->height)
			goto changed;
		if (outq_bpl_differs(zf, 0, pix->bytesperline)) {
			snprintf(why, why_len,
				 "the device wants bytesperline %u, not %u",
				 pix->bytesperline, zf->planes[0].stride);
			return ZCAP_E_TYPE_NOT_ACCEPTED;
		}
		bpl = pix->bytesperline;
		q->n_planes = 1;
	}
	r = outq_check_offsets(zf, bpl, why, why_len);
	if (r)
		return r;
	q->fmt = f;
	return 0;

changed:
	{
		char a[5], b[5];
		uint32_t fcc = outq_mplane(q) ? f.fmt.pix_mp.pixelformat :
						f.fmt.pix.pixelformat;
		uint32_t w = outq_mplane(q) ? f.fmt.pix_mp.width : f.fmt.pix.width;
		uint32_t h = outq_mplane(q) ? f.fmt.pix_mp.height : f.fmt.pix.height;

		snprintf(why, why_len, "asked %s %ux%u, the device took %s %ux%u",
			 zcap_fourcc_str(zf->fourcc, a), zf->width, zf->height,
			 zcap_fourcc_str(fcc, b), w, h);
	}
	return ZCAP_E_TYPE_NOT_ACCEPTED;
}

uint32_t zcapi_outq_sizeimage(const struct zcapi_outq *q, uint32_t plane)
{
	if (outq_mplane(q))
		return plane < q->fmt.fmt.pix_mp.num_planes ?
			q->fmt.fmt.pix_mp.plane_fmt[plane].sizeimage : 0;
	return plane == 0 ? q->fmt.fmt.pix.sizeimage : 0;
}

int zcapi_outq_check_allocator(struct zcapi_outq *q, struct zcap_allocator *a,
			       char *why, size_t why_len)
{
	struct zcap_alloc_props got;
	uint32_t p;
	int r;

	r = zcap_allocator_get_properties(a, &got);
	if (r) {
		snprintf(why, why_len, "allocator has no properties: %s",
			 zcap_strerror(r));
		return r;
	}
	if (!zcap_allocator_is_dmabuf(a))
		return 0;	/* copied: any size is fine */
	if ((got.n_mem ? got.n_mem : 1) != q->n_planes) {
		snprintf(why, why_len, "%u memory blocks per buffer, the device takes %u",
			 got.n_mem ? got.n_mem : 1, q->n_planes);
		return ZCAP_E_PROPS_REJECTED;
	}
	for (p = 0; p < q->n_planes; p++) {
		if (got.size[p] < zcapi_outq_sizeimage(q, p)) {
			snprintf(why, why_len,
				 "buffers of %llu bytes, the device needs %u (sizeimage)",
				 (unsigned long long)got.size[p],
				 zcapi_outq_sizeimage(q, p));
			return ZCAP_E_PROPS_REJECTED;
		}
	}
	return 0;
}

static void outq_unmap(struct zcapi_outq *q)
{
	uint32_t i, p;

	for (i = 0; i < q->count; i++) {
		for (p = 0; p < ZCAP_MAX_PLANES; p++) {
			if (q->slots[i].map[p]) {
				munmap(q->slots[i].map[p], q->slots[i].map_len[p]);
				q->slots[i].map[p] = NULL;
			}
		}
	}
}

static int outq_map(struct zcapi_outq *q)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer b;
	uint32_t i, p;
	int r;

	for (i = 0; i < q->count; i++) {
		memset(&b, 0, sizeof(b));
		memset(planes, 0, sizeof(planes));
		b.type = q->type;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = i;
		if (outq_mplane(q)) {
			b.m.planes = planes;
			b.length = VIDEO_MAX_PLANES;
		}
		r = zcapi_v4l2_ioctl(q->fd, VIDIOC_QUERYBUF, &b);
		if (r)
			return r;
		for (p = 0; p < q->n_planes; p++) {
			size_t len = outq_mplane(q) ? planes[p].length : b.length;
			off_t off = outq_mplane(q) ? planes[p].m.mem_offset :
						      b.m.offset;
			void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
				       MAP_SHARED, q->fd, off);

			if (m == MAP_FAILED)
				return -errno;
			q->slots[i].map[p] = m;
			q->slots[i].map_len[p] = len;
		}
	}
	return 0;
}

static int outq_reqbufs(struct zcapi_outq *q, uint32_t memory, uint32_t count)
{
	struct v4l2_requestbuffers req = {
		.count = count,
		.type = q->type,
		.memory = memory,
	};
	int r;

	r = zcapi_v4l2_ioctl(q->fd, VIDIOC_REQBUFS, &req);
	if (r)
		return r;
	if (count && !req.count)
		return -ENOMEM;
	return (int)req.count;
}

int zcapi_outq_reqbufs(struct zcapi_outq *q, bool dmabuf, uint32_t count,
		      char *note, size_t note_len)
{
	int r = -EOPNOTSUPP;

	if (q->memory)
		return ZCAP_E_WRONG_STATE;
	if (dmabuf) {
		r = outq_reqbufs(q, V4L2_MEMORY_DMABUF, count);
		if (r >= 0) {
			q->memory = V4L2_MEMORY_DMABUF;
			if ((uint32_t)r < count)
				snprintf(note, note_len,
					 "device granted %d of %u DMABUF buffers: dma-bufs will be rebound",
					 r, count);
		} else {
			snprintf(note, note_len,
				 "device refused DMABUF (%s): copying into its MMAP buffers",
				 strerror(-r));
		}
	}
	if (r < 0) {
		r = outq_reqbufs(q, V4L2_MEMORY_MMAP, count);
		if (r < 0) {
			snprintf(note, note_len, "REQBUFS(MMAP) failed: %s",
				 strerror(-r));
			return r;
		}
		q->memory = V4L2_MEMORY_MMAP;
	}
	q->count = (uint32_t)r;
	q->slots = calloc(q->count, sizeof(*q->slots));
	q->drop = calloc(q->count ? q->count : 1, sizeof(*q->drop));
	if (!q->slots || !q->drop) {
		r = -ENOMEM;
		goto err_free;
	}
	if (q->memory == V4L2_MEMORY_MMAP) {
		r = outq_map(q);
		if (r) {
			snprintf(note, note_len, "mapping the device's buffers: %s",
				 strerror(-r));
			goto err_unmap;
		}
	}
	return 0;

err_unmap:
	outq_unmap(q);
err_free:
	free(q->slots);
	free(q->drop);
	q->slots = NULL;
	q->drop = NULL;
	outq_reqbufs(q, q->memory, 0);
	q->memory = 0;
	q->count = 0;
	return r;
}

int zcapi_outq_streamon(struct zcapi_outq *q)
{
	int type = (int)q->type;
	int r;

	r = zcapi_v4l2_ioctl(q->fd, VIDIOC_STREAMON, &type);
	if (!r)
		q->streaming = true;
	return r;
}

void zcapi_outq_streamoff(struct zcapi_outq *q)
{
	uint32_t i, n = 0;
	int type = (int)q->type;

	if (!q->slots || !q->drop)
		return;
	/* STREAMOFF hands every queued buffer back: nothing reads them now. */
	zcapi_v4l2_ioctl(q->fd, VIDIOC_STREAMOFF, &type);
	pthread_mutex_lock(&q->lock);
	q->streaming = false;
	for (i = 0; i < q->count; i++) {
		if (q->slots[i].held)
			q->drop[n++] = q->slots[i].held;
		q->slots[i].held = NULL;
		q->slots[i].queued = false;
	}
	q->n_queued = 0;
	pthread_cond_broadcast(&q->freed);
	pthread_mutex_unlock(&q->lock);
	for (i = 0; i < n; i++)
		zcap_sample_unref(q->drop[i]);
}

void zcapi_outq_release(struct zcapi_outq *q)
{
	if (!q->memory)
		return;
	zcapi_outq_streamoff(q);
	outq_unmap(q);
	outq_reqbufs(q, q->memory, 0);
	free(q->slots);
	free(q->drop);
	q->slots = NULL;
	q->drop = NULL;
	q->count = 0;
	q->memory = 0;
}

bool zcapi_outq_is_dmabuf(const struct zcapi_outq *q)
{
	return q->memory == V4L2_MEMORY_DMABUF;
}

uint32_t zcapi_outq_queued(struct zcapi_outq *q)
{
	uint32_t n;

	pthread_mutex_lock(&q->lock);
	n = q->n_queued;
	pthread_mutex_unlock(&q->lock);
	return n;
}

static void outq_fill_common(struct zcapi_outq *q, struct zcap_sample *s,
			     struct v4l2_buffer *b, struct v4l2_plane *planes,
			     uint32_t index)
{
	int64_t t;

	memset(b, 0, sizeof(*b));
	b->type = q->type;
	b->memory = q->memory;
	b->index = index;
	b->field = V4L2_FIELD_NONE;
	/* mem2mem drivers copy the timestamp to the coded buffer. */
	if (!zcap_sample_time(s, &t) && t >= 0) {
		b->timestamp.tv_sec = t / 1000000000;
		b->timestamp.tv_usec = (t % 1000000000) / 1000;
	}
	if (outq_mplane(q)) {
		memset(planes, 0, sizeof(*planes) * VIDEO_MAX_PLANES);
		b->m.planes = planes;
		b->length = q->n_planes;
	}
}

/*
 * The data of block @mem of @s: *@off gets where it starts (the capture
 * driver's data offset), the return value its length. A compressed
 * frame's length is only in its bytes used; a sample without any is
 * taken whole, as its format's block (or the block itself).
 */
static uint64_t outq_payload(const struct zcap_sample *s, uint32_t mem,
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

static int outq_find_slot(struct zcapi_outq *q, const ino_t *ino)
{
	uint32_t i, p;
	int free_slot = -1, evict = -1;

	for (i = 0; i < q->count; i++) {
		struct zcapi_outq_slot *sl = &q->slots[i];

		if (!sl->bound) {
			if (free_slot < 0)
				free_slot = (int)i;
			continue;
		}
		for (p = 0; p < q->n_planes; p++)
			if (sl->ino[p] != ino[p])
				break;
		if (p == q->n_planes)
			return (int)i;
		if (!sl->queued && evict < 0)
			evict = (int)i;
	}
	/*
	 * A new dma-buf: a never used index, else one not in the driver
	 * (the driver drops its old mapping of that index on QBUF).
	 */
	if (free_slot < 0)
		free_slot = evict;
	if (free_slot < 0)
		return -EBUSY;
	memcpy(q->slots[free_slot].ino, ino, sizeof(q->slots[free_slot].ino));
	q->slots[free_slot].bound = true;
	q->binds++;
	return free_slot;
}

static int outq_queue_dmabuf(struct zcapi_outq *q, struct zcap_sample *s)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct zcap_mem mem[ZCAP_MAX_PLANES];
	uint64_t off[ZCAP_MAX_PLANES], len[ZCAP_MAX_PLANES];
	ino_t ino[ZCAP_MAX_PLANES] = { 0 };
	struct v4l2_buffer b;
	struct stat st;
	uint32_t p;
	int idx, r;

	if (zcap_sample_n_mem(s) < q->n_planes)
		return -EINVAL;
	for (p = 0; p < q->n_planes; p++) {
		r = zcap_sample_mem(s, p, &mem[p]);
		if (r)
			return r;
		if (mem[p].fd < 0 || fstat(mem[p].fd, &st))
			return -EBADF;
		len[p] = outq_payload(s, p, &off[p]);
		/* Single-planar V4L2 has no data offset. */
		if (!outq_mplane(q) && (mem[p].offset || off[p]))
			return -EINVAL;
		ino[p] = st.st_ino;
	}

	pthread_mutex_lock(&q->lock);
	idx = outq_find_slot(q, ino);
	if (idx < 0) {
		r = idx;
		goto out;
	}
	if (q->slots[idx].queued) {
		/* The same dma-buf twice in the driver: upstream broke the contract. */
		r = -EBUSY;
		goto out;
	}
	outq_fill_common(q, s, &b, planes, (uint32_t)idx);
	if (outq_mplane(q)) {
		/* V4L2's bytesused counts the data offset too. */
		for (p = 0; p < q->n_planes; p++) {
			planes[p].m.fd = mem[p].fd;
			planes[p].data_offset = (uint32_t)(mem[p].offset + off[p]);
			planes[p].bytesused = (uint32_t)(mem[p].offset + off[p] +
							 len[p]);
		}
	} else {
		b.m.fd = mem[0].fd;
		b.bytesused = (uint32_t)len[0];
	}
	r = zcapi_v4l2_ioctl(q->fd, VIDIOC_QBUF, &b);
	if (r)
		goto out;
	q->slots[idx].queued = true;
	q->slots[idx].held = zcap_sample_ref(s);
	q->n_queued++;
out:
	pthread_mutex_unlock(&q->lock);
	return r;
}

static int outq_wait_free(struct zcapi_outq *q, int timeout_ms)
{
	struct timespec until;
	uint32_t i;

	zcapi_deadline(&until, timeout_ms);
	for (;;) {
		for (i = 0; i < q->count; i++)
			if (!q->slots[i].queued)
				return (int)i;
		if (!q->streaming)
			return ZCAP_E_WRONG_STATE;
		if (pthread_cond_timedwait(&q->freed, &q->lock, &until) == ETIMEDOUT)
			return ZCAP_E_TIMEOUT;
	}
}

static int outq_queue_copy(struct zcapi_outq *q, struct zcap_sample *s,
			   int timeout_ms, uint64_t *copied)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer b;
	uint64_t total = 0;
	uint32_t p;
	int idx, r;

	if (zcap_sample_n_mem(s) < q->n_planes)
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	idx = outq_wait_free(q, timeout_ms);
	if (idx < 0) {
		r = idx;
		goto out;
	}
	r = zcap_sample_cpu_begin(s, ZCAP_ACCESS_READ);
	if (r)
		goto out;
	outq_fill_common(q, s, &b, planes, (uint32_t)idx);
	for (p = 0; p < q->n_planes; p++) {
		const uint8_t *src = zcap_sample_data(s, p);
		uint64_t off, n = outq_payload(s, p, &off);

		if (!src) {
			r = -EFAULT;
			break;
		}
		if (n > q->slots[idx].map_len[p])
			n = q->slots[idx].map_len[p];
		/* The copy starts the device's buffer with the data itself. */
		memcpy(q->slots[idx].map[p], src + off, n);
		total += n;
		if (outq_mplane(q))
			planes[p].bytesused = (uint32_t)n;
		else
			b.bytesused = (uint32_t)n;
	}
	zcap_sample_cpu_end(s);
	if (r)
		goto out;
	*copied += total;
	r = zcapi_v4l2_ioctl(q->fd, VIDIOC_QBUF, &b);
	if (r)
		goto out;
	q->slots[idx].queued = true;
	q->n_queued++;
out:
	pthread_mutex_unlock(&q->lock);
	return r;
}

int zcapi_outq_queue(struct zcapi_outq *q, struct zcap_sample *s,
		    int timeout_ms, uint64_t *copied)
{
	if (q->memory == V4L2_MEMORY_DMABUF)
		return outq_queue_dmabuf(q, s);
	if (q->memory == V4L2_MEMORY_MMAP)
		return outq_queue_copy(q, s, timeout_ms, copied);
	return ZCAP_E_WRONG_STATE;
}

int zcapi_outq_dequeue(struct zcapi_outq *q, uint32_t *flags)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct zcap_sample *held = NULL;
	struct v4l2_buffer b;
	int r;

	memset(&b, 0, sizeof(b));
	memset(planes, 0, sizeof(planes));
	b.type = q->type;
	b.memory = q->memory;
	if (outq_mplane(q)) {
		b.m.planes = planes;
		b.length = VIDEO_MAX_PLANES;
	}
	r = zcapi_v4l2_ioctl(q->fd, VIDIOC_DQBUF, &b);
	if (r)
		return r;
	pthread_mutex_lock(&q->lock);
	if (b.index < q->count && q->slots[b.index].queued) {
		held = q->slots[b.index].held;
		q->slots[b.index].held = NULL;
		q->slots[b.index].queued = false;
		q->n_queued--;
		pthread_cond_broadcast(&q->freed);
	}
	pthread_mutex_unlock(&q->lock);
	/* The device is done reading: now the buffer may go back upstream. */
	if (held)
		zcap_sample_unref(held);
	if (flags)
		*flags = b.flags;
	return 0;
}
