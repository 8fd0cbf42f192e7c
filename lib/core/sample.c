// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Samples: DirectShow's IMediaSample over one buffer of an allocator.
 *
 * The reference count is atomic, and the holder that drops the last one
 * gives the buffer back (IMemAllocator::ReleaseBuffer). CPU access maps
 * each dma-buf once, for as long as the buffer's memory lives, and brackets
 * every access with DMA_BUF_IOCTL_SYNC.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/dma-buf.h>

#include "zcap_internal.h"

static uint64_t sync_flags(uint32_t access);

struct zcap_sample *zcap_sample_ref(struct zcap_sample *s)
{
	if (s)
		atomic_fetch_add(&s->refs, 1);
	return s;
}

void zcap_sample_unref(struct zcap_sample *s)
{
	struct zcap_allocator *a;

	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	/*
	 * A holder that forgot cpu_end must not leave the buffer in CPU
	 * access for the device that gets it next. With the last reference
	 * gone no one can begin access any more, and the decrement above
	 * made every earlier holder's begin and end visible: cpu_open says
	 * whether there is anything to end, without the lock every frame.
	 */
	if (atomic_load(&s->cpu_open)) {
		pthread_mutex_lock(&s->cpu_lock);
		if (s->cpu_depth) {
			s->cpu_depth = 0;
			atomic_store(&s->cpu_open, false);
			zcapi_sample_sync(s, DMA_BUF_SYNC_END | sync_flags(s->cpu_access));
			s->cpu_access = 0;
		}
		pthread_mutex_unlock(&s->cpu_lock);
	}
	/* Release may free @s (a decommit completing): read it first. */
	a = s->alloc;
	zcapi_allocator_release(a, s);
	zcap_allocator_unref(a);
}

void zcapi_sample_reset(struct zcap_sample *s)
{
	s->has_fmt = false;
	memset(s->bytesused, 0, sizeof(s->bytesused));
	s->time_ns = 0;
	s->sequence = 0;
	s->flags = 0;
}

uint32_t zcap_sample_index(const struct zcap_sample *s)
{
	return s ? s->index : UINT32_MAX;
}

struct zcap_allocator *zcap_sample_allocator(const struct zcap_sample *s)
{
	return s ? s->alloc : NULL;
}

uint32_t zcap_sample_n_mem(const struct zcap_sample *s)
{
	return s ? s->n_mem : 0;
}

int zcap_sample_mem(const struct zcap_sample *s, uint32_t mem,
		    struct zcap_mem *out)
{
	if (!s || !out || mem >= s->n_mem)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->fd = s->blocks[mem].fd;
	out->length = s->blocks[mem].length;
	out->offset = s->blocks[mem].offset;
	return 0;
}

int zcapi_sample_set_format_valid(struct zcap_sample *s,
				  const struct zcap_format *fmt)
{
	return zcapi_sample_set_format_tagged(s, fmt, 0);
}

int zcapi_sample_set_format_tagged(struct zcap_sample *s,
				   const struct zcap_format *fmt, uint64_t tag)
{
	uint32_t m;

	if (tag && s->fmt_tag == tag) {
		s->has_fmt = true;
		return 0;
	}
	/* A layout that does not fit the buffer would send readers past it. */
	if (fmt->n_mem != s->n_mem)
		return -EINVAL;
	for (m = 0; m < fmt->n_mem; m++)
		if (fmt->mem_size[m] > s->blocks[m].length)
			return -EINVAL;
	s->fmt = *fmt;
	s->fmt_tag = tag;
	s->has_fmt = true;
	return 0;
}

int zcap_sample_set_format(struct zcap_sample *s, const struct zcap_format *fmt)
{
	int ret;

	if (!s || !fmt)
		return -EINVAL;
	ret = zcap_format_validate(fmt);
	if (ret)
		return ret;
	return zcapi_sample_set_format_valid(s, fmt);
}

const struct zcap_format *zcap_sample_format(const struct zcap_sample *s)
{
	static const struct zcap_format none;

	if (!s)
		return NULL;
	return s->has_fmt ? &s->fmt : &none;
}

int zcap_sample_set_bytesused(struct zcap_sample *s, uint32_t mem,
			      uint64_t bytes)
{
	if (!s || mem >= s->n_mem || bytes > s->blocks[mem].length)
		return -EINVAL;
	s->bytesused[mem] = bytes;
	return 0;
}

uint64_t zcap_sample_bytesused(const struct zcap_sample *s, uint32_t mem)
{
	if (!s || mem >= s->n_mem)
		return 0;
	return s->bytesused[mem];
}

void zcap_sample_set_time(struct zcap_sample *s, int64_t time_ns)
{
	if (!s)
		return;
	s->time_ns = time_ns;
	s->flags |= ZCAP_SAMPLE_TIME_VALID;
}

int zcap_sample_time(const struct zcap_sample *s, int64_t *time_ns)
{
	if (!s || !time_ns)
		return -EINVAL;
	if (!(s->flags & ZCAP_SAMPLE_TIME_VALID))
		return -ENODATA;
	*time_ns = s->time_ns;
	return 0;
}

void zcap_sample_set_sequence(struct zcap_sample *s, uint64_t seq)
{
	if (s)
		s->sequence = seq;
}

uint64_t zcap_sample_sequence(const struct zcap_sample *s)
{
	return s ? s->sequence : 0;
}

void zcap_sample_set_flags(struct zcap_sample *s, uint32_t flags)
{
	if (!s)
		return;
	/* TIME_VALID follows set_time, so setting flags cannot lose the time. */
	s->flags = (flags & ~ZCAP_SAMPLE_TIME_VALID) |
		   (s->flags & ZCAP_SAMPLE_TIME_VALID);
}

uint32_t zcap_sample_flags(const struct zcap_sample *s)
{
	return s ? s->flags : 0;
}

static uint64_t sync_flags(uint32_t access)
{
	uint64_t f = 0;

	if (access & ZCAP_ACCESS_READ)
		f |= DMA_BUF_SYNC_READ;
	if (access & ZCAP_ACCESS_WRITE)
		f |= DMA_BUF_SYNC_WRITE;
	return f;
}

static int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };
	int ret;

	do {
		ret = ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
	} while (ret && (errno == EINTR || errno == EAGAIN));
	return ret ? -errno : 0;
}

/*
 * Sync every dma-buf of @s; on a failed START, END what was started so
 * that no block is left in CPU access.
 */
int zcapi_sample_sync(struct zcap_sample *s, uint64_t flags)
{
	const struct zcapi_provider_ops *ops = s->alloc->prov.ops;
	void *priv = s->alloc->prov.priv;
	int ret = 0, err;

	for (uint32_t m = 0; m < s->n_mem; m++) {
		struct zcapi_block *b = &s->blocks[m];

		if (b->fd < 0)
			continue;
		err = ops->sync ? ops->sync(priv, b, flags) :
				  dmabuf_sync(b->fd, flags);
		if (!err)
			continue;
		if (!(flags & DMA_BUF_SYNC_END)) {
			uint64_t undo = (flags & ~DMA_BUF_SYNC_START) |
					DMA_BUF_SYNC_END;

			for (uint32_t k = 0; k < m; k++) {
				struct zcapi_block *u = &s->blocks[k];

				if (u->fd < 0)
					continue;
				if (ops->sync)
					ops->sync(priv, u, undo);
				else
					dmabuf_sync(u->fd, undo);
			}
			return err;
		}
		/* END: hand back every other block anyway, report the first error. */
		if (!ret)
			ret = err;
	}
	return ret;
}

/* Map every dma-buf of @s that is not mapped yet; kept until its memory goes. */
static int map_blocks(struct zcap_sample *s)
{
	for (uint32_t m = 0; m < s->n_mem; m++) {
		struct zcapi_block *b = &s->blocks[m];
		void *p;

		if (b->map)
			continue;
		if (b->fd < 0)
			return -EINVAL;
		p = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 b->fd, 0);
		if (p == MAP_FAILED)
			return -errno;
		b->map = p;
		b->own_map = true;
		atomic_fetch_add(&s->alloc->map_calls, 1);
	}
	return 0;
}

int zcap_sample_cpu_begin(struct zcap_sample *s, uint32_t access)
{
	uint32_t want;
	int ret = 0;

	if (!s || !access ||
	    (access & ~(ZCAP_ACCESS_READ | ZCAP_ACCESS_WRITE)))
		return -EINVAL;
	pthread_mutex_lock(&s->cpu_lock);
	if (s->cpu_depth == UINT32_MAX) {
		ret = -EOVERFLOW;
		goto out;
	}
	want = s->cpu_access | access;
	/*
	 * Sync on the outermost begin, and again when a nested begin widens
	 * the access (READ then WRITE): the kernel has to know about writes.
	 */
	if (!s->cpu_depth) {
		ret = map_blocks(s);
		if (ret)
			goto out;
	}
	if (want != s->cpu_access) {
		ret = zcapi_sample_sync(s, DMA_BUF_SYNC_START | sync_flags(want));
		if (ret)
			goto out;
	}
	s->cpu_access = want;
	s->cpu_depth++;
	atomic_store(&s->cpu_open, true);
out:
	pthread_mutex_unlock(&s->cpu_lock);
	return ret;
}

int zcap_sample_cpu_end(struct zcap_sample *s)
{
	int ret = 0;

	if (!s)
		return -EINVAL;
	pthread_mutex_lock(&s->cpu_lock);
	if (!s->cpu_depth) {
		ret = -EINVAL;
		goto out;
	}
	if (--s->cpu_depth)
		goto out;
	atomic_store(&s->cpu_open, false);
	ret = zcapi_sample_sync(s, DMA_BUF_SYNC_END | sync_flags(s->cpu_access));
	s->cpu_access = 0;
out:
	pthread_mutex_unlock(&s->cpu_lock);
	return ret;
}

void *zcap_sample_data(const struct zcap_sample *s, uint32_t mem)
{
	if (!s || mem >= s->n_mem || !atomic_load(&s->cpu_open))
		return NULL;
	return (char *)s->blocks[mem].map + s->blocks[mem].offset;
}
