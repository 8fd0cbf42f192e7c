// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Allocators: DirectShow's IMemAllocator (CBaseAllocator's life cycle)
 * over pluggable providers of memory.
 *
 * The memory of one commit is a "generation": buffers, their blocks and
 * their samples. Decommit with samples out keeps the generation until the
 * last one comes back (CBaseAllocator's m_bDecommitInProgress); a commit
 * in between simply takes it up again, so a buffer keeps its dma-bufs for
 * as long as anybody can see it.
 *
 * What a commit allocates, the properties, is allocator_props.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "zcap_internal.h"

/*
 * Keep the eventfd readable exactly while a buffer can be had. Every
 * change of committed or n_free happens under the lock and calls this,
 * so the fd's state never disagrees with the free list for long enough
 * that a poller could miss a buffer or spin on none.
 */
static void event_update(struct zcap_allocator *a)
{
	bool want = a->committed && a->gen && a->gen->n_free > 0;
	uint64_t v = 1;
	ssize_t n;

	if (want == a->event_set)
		return;
	if (want)
		n = write(a->event_fd, &v, sizeof(v));
	else
		n = read(a->event_fd, &v, sizeof(v));
	/* An eventfd write of 1 to a counter of 0, or a read of it, cannot fail. */
	if (n == (ssize_t)sizeof(v))
		a->event_set = want;
}

int zcapi_allocator_new(const struct zcapi_provider *p, const char *describe,
			struct zcap_allocator **out)
{
	struct zcap_allocator *a;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!p || !p->ops || !p->ops->grant || !p->ops->alloc || !p->ops->free)
		return -EINVAL;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->event_fd < 0) {
		ret = -errno;
		goto err_free;
	}
	ret = -pthread_mutex_init(&a->lock, NULL);
	if (ret)
		goto err_close;
	ret = zcapi_cond_init(&a->cond);
	if (ret)
		goto err_mutex;
	atomic_init(&a->refs, 1);
	atomic_init(&a->map_calls, 0);
	atomic_init(&a->fmt_tags, 0);
	a->prov = *p;
	snprintf(a->describe, sizeof(a->describe), "%s",
		 describe ? describe : p->desc);
	*out = a;
	return 0;

err_mutex:
	pthread_mutex_destroy(&a->lock);
err_close:
	close(a->event_fd);
err_free:
	free(a);
	return ret;
}

int zcapi_allocator_new_from(struct zcapi_provider *p, const char *describe,
			     struct zcap_allocator **out)
{
	int ret = zcapi_allocator_new(p, describe, out);

	if (ret && p->ops->destroy)
		p->ops->destroy(p->priv);
	return ret;
}

int zcap_allocator_new_memory(struct zcap_allocator **out)
{
	struct zcapi_provider p;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	ret = zcapi_memory_open(&p);
	if (ret)
		return ret;
	return zcapi_allocator_new_from(&p, NULL, out);
}

struct zcap_allocator *zcap_allocator_ref(struct zcap_allocator *a)
{
	if (a)
		atomic_fetch_add(&a->refs, 1);
	return a;
}

static void generation_free(struct zcap_allocator *a,
			    struct zcapi_generation *g)
{
	uint32_t n_blocks, i;

	if (!g)
		return;
	n_blocks = g->props.count * g->props.n_mem;
	for (i = 0; i < n_blocks; i++) {
		struct zcapi_block *b = &g->blocks[i];

		if (b->own_map && b->map)
			munmap(b->map, b->map_len);
		b->map = NULL;
		b->own_map = false;
	}
	a->prov.ops->free(a->prov.priv, &g->props, g->blocks);
	for (i = 0; i < g->props.count; i++)
		pthread_mutex_destroy(&g->samples[i].cpu_lock);
	free(g->samples);
	free(g->blocks);
	free(g->free_q);
	free(g);
}

void zcap_allocator_unref(struct zcap_allocator *a)
{
	if (!a || atomic_fetch_sub(&a->refs, 1) != 1)
		return;
	/*
	 * Every sample out holds a reference, so nothing is out now and the
	 * generation, if any, can go.
	 */
	generation_free(a, a->gen);
	if (a->prov.ops->destroy)
		a->prov.ops->destroy(a->prov.priv);
	close(a->event_fd);
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

long zcapi_allocator_refcount(const struct zcap_allocator *a)
{
	return a ? atomic_load(&a->refs) : 0;
}

uint64_t zcapi_allocator_map_calls(const struct zcap_allocator *a)
{
	return a ? atomic_load(&a->map_calls) : 0;
}

/*
 * Record each dma-buf's identity once, here, rather than have every QBUF
 * fstat it: a capture loop then makes no syscall per frame for it. A
 * block whose fstat fails stays unknown (ino 0) and its users fstat it.
 */
static void blocks_identify(struct zcapi_block *b, uint32_t n)
{
	struct stat st;
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (b[i].fd < 0 || fstat(b[i].fd, &st))
			continue;
		b[i].dev = (uint64_t)st.st_dev;
		b[i].ino = (uint64_t)st.st_ino;
	}
}

static int generation_new(struct zcap_allocator *a,
			  struct zcapi_generation **out)
{
	const struct zcap_alloc_props *p = &a->props;
	uint32_t n_blocks = p->count * p->n_mem;
	struct zcapi_generation *g;
	uint32_t i, inited = 0;
	int ret = -ENOMEM;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->props = *p;
	g->blocks = calloc(n_blocks, sizeof(*g->blocks));
	g->samples = calloc(p->count, sizeof(*g->samples));
	g->free_q = calloc(p->count, sizeof(*g->free_q));
	if (!g->blocks || !g->samples || !g->free_q)
		goto err;
	for (i = 0; i < n_blocks; i++)
		g->blocks[i].fd = -1;
	for (inited = 0; inited < p->count; inited++) {
		ret = -pthread_mutex_init(&g->samples[inited].cpu_lock, NULL);
		if (ret)
			goto err;
	}
	ret = a->prov.ops->alloc(a->prov.priv, p, g->blocks);
	if (ret)
		goto err;
	blocks_identify(g->blocks, n_blocks);
	for (i = 0; i < p->count; i++) {
		struct zcap_sample *s = &g->samples[i];

		atomic_init(&s->refs, 0);
		atomic_init(&s->cpu_open, false);
		s->index = i;
		s->alloc = a;
		s->n_mem = p->n_mem;
		s->blocks = &g->blocks[i * p->n_mem];
		s->is_free = true;
		g->free_q[i] = i;
	}
	g->n_free = p->count;
	*out = g;
	return 0;

err:
	for (i = 0; i < inited; i++)
		pthread_mutex_destroy(&g->samples[i].cpu_lock);
	free(g->free_q);
	free(g->samples);
	free(g->blocks);
	free(g);
	return ret;
}

int zcap_allocator_commit(struct zcap_allocator *a)
{
	int ret = 0;

	if (!a)
		return -EINVAL;
	zcapi_allocator_lock(a);
	if (!a->props_set) {
		ret = ZCAP_E_SIZE_NOT_SET;
		goto out;
	}
	if (a->committed)
		goto out;
	/*
	 * A decommit still waiting for samples leaves its generation: take it
	 * up again (same buffers, same dma-bufs) rather than allocate anew.
	 * Allocating under the lock is fine: nothing is out to come back.
	 */
	if (!a->gen) {
		ret = generation_new(a, &a->gen);
		if (ret)
			goto out;
	}
	a->committed = true;
	a->commit_gen++;
	event_update(a);
out:
	zcapi_allocator_unlock(a);
	return ret;
}

int zcap_allocator_decommit(struct zcap_allocator *a)
{
	struct zcapi_generation *g = NULL;

	if (!a)
		return -EINVAL;
	zcapi_allocator_lock(a);
	if (a->committed) {
		a->committed = false;
		a->commit_gen++;
		event_update(a);
		/* Waiters see the new generation and leave with NOT_COMMITTED. */
		pthread_cond_broadcast(&a->cond);
		if (!a->outstanding) {
			g = a->gen;
			a->gen = NULL;
		}
	}
	zcapi_allocator_unlock(a);
	generation_free(a, g);
	return 0;
}

bool zcap_allocator_committed(struct zcap_allocator *a)
{
	bool ret;

	if (!a)
		return false;
	zcapi_allocator_lock(a);
	ret = a->committed;
	zcapi_allocator_unlock(a);
	return ret;
}

/* Hand out @s (free, under the lock) with one reference for the caller. */
static struct zcap_sample *take(struct zcap_allocator *a, struct zcap_sample *s)
{
	struct zcapi_generation *g = a->gen;
	uint32_t i;

	for (i = 0; i < g->n_free; i++)
		if (g->free_q[i] == s->index)
			break;
	memmove(&g->free_q[i], &g->free_q[i + 1],
		(g->n_free - i - 1) * sizeof(*g->free_q));
	g->n_free--;
	s->is_free = false;
	a->outstanding++;
	event_update(a);
	zcapi_sample_reset(s);
	atomic_store(&s->refs, 1);
	/* The sample keeps its allocator alive, as DirectShow's do. */
	atomic_fetch_add(&a->refs, 1);
	return s;
}

int zcap_allocator_get_buffer(struct zcap_allocator *a, int timeout_ms,
			      struct zcap_sample **out)
{
	struct timespec deadline;
	uint64_t gen;
	int ret = 0;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!a)
		return -EINVAL;
	if (timeout_ms > 0)
		zcapi_deadline(&deadline, timeout_ms);
	zcapi_allocator_lock(a);
	gen = a->commit_gen;
	for (;;) {
		if (!a->committed || a->commit_gen != gen) {
			ret = ZCAP_E_NOT_COMMITTED;
			break;
		}
		if (a->gen->n_free) {
			*out = take(a, &a->gen->samples[a->gen->free_q[0]]);
			ret = 0;	/* even if the wait had just timed out */
			break;
		}
		if (ret == ETIMEDOUT || !timeout_ms) {
			ret = ZCAP_E_TIMEOUT;
			break;
		}
		if (timeout_ms < 0)
			ret = pthread_cond_wait(&a->cond, &a->lock);
		else
			ret = pthread_cond_timedwait(&a->cond, &a->lock, &deadline);
		/* ETIMEDOUT: look once more, a buffer may have come with it. */
		if (ret && ret != ETIMEDOUT) {
			ret = -ret;
			break;
		}
	}
	zcapi_allocator_unlock(a);
	return ret;
}

int zcap_allocator_get_buffer_index(struct zcap_allocator *a, uint32_t index,
				    struct zcap_sample **out)
{
	int ret = 0;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!a)
		return -EINVAL;
	zcapi_allocator_lock(a);
	if (!a->committed)
		ret = ZCAP_E_NOT_COMMITTED;
	else if (index >= a->gen->props.count)
		ret = -EINVAL;
	else if (!a->gen->samples[index].is_free)
		ret = -EBUSY;
	else
		*out = take(a, &a->gen->samples[index]);
	zcapi_allocator_unlock(a);
	return ret;
}

void zcapi_allocator_set_recycle(struct zcap_allocator *a,
				 int (*recycle)(void *ctx, struct zcap_sample *s),
				 void *ctx)
{
	zcapi_allocator_lock(a);
	a->recycle = recycle;
	a->recycle_ctx = ctx;
	zcapi_allocator_unlock(a);
}

/*
 * Hand released @s straight to the recycler, as if taken anew. Under the
 * lock. The sample stays outstanding, and keeps its allocator reference
 * (the one zcap_sample_unref() drops after this) as a taken one does.
 */
static bool recycled(struct zcap_allocator *a, struct zcap_sample *s)
{
	if (!a->committed || !a->recycle)
		return false;
	zcapi_sample_reset(s);
	/*
	 * Taken before the QBUF: the driver may fill the buffer and the
	 * streaming thread deliver and release it again before the recycler
	 * returns (that release then waits for this lock).
	 */
	atomic_fetch_add(&a->refs, 1);
	if (!a->recycle(a->recycle_ctx, s))
		return true;
	/* The caller of zcap_sample_unref() still holds one: not the last. */
	atomic_fetch_sub(&a->refs, 1);
	return false;
}

int zcapi_allocator_requeue_own(struct zcap_allocator *a,
				struct zcap_sample *s,
				int (*requeue)(void *ctx, struct zcap_sample *s),
				void *ctx)
{
	int r = -EAGAIN;

	/* As the release would: not while committing, not in CPU access. */
	zcapi_allocator_lock(a);
	if (a->committed && a->recycle && atomic_load(&s->refs) == 1 &&
	    !atomic_load(&s->cpu_open)) {
		zcapi_sample_reset(s);
		r = requeue(ctx, s);
	}
	zcapi_allocator_unlock(a);
	return r;
}

void zcapi_allocator_release(struct zcap_allocator *a, struct zcap_sample *s)
{
	struct zcapi_generation *g = NULL;

	zcapi_allocator_lock(a);
	if (recycled(a, s)) {
		zcapi_allocator_unlock(a);
		return;
	}
	a->gen->free_q[a->gen->n_free++] = s->index;
	s->is_free = true;
	a->outstanding--;
	if (a->committed) {
		event_update(a);
		pthread_cond_signal(&a->cond);
	} else if (!a->outstanding) {
		/* The decommit that waited for this sample completes. */
		g = a->gen;
		a->gen = NULL;
	}
	zcapi_allocator_unlock(a);
	generation_free(a, g);
}

uint64_t zcapi_allocator_fmt_tag(struct zcap_allocator *a)
{
	return atomic_fetch_add(&a->fmt_tags, 1) + 1;
}

int zcap_allocator_wait_fd(struct zcap_allocator *a)
{
	return a ? a->event_fd : -EINVAL;
}

enum zcap_provider zcap_allocator_provider(const struct zcap_allocator *a)
{
	return a ? a->prov.ops->id : ZCAP_PROVIDER_AUTO;
}

const char *zcap_provider_name(enum zcap_provider p)
{
	switch (p) {
	case ZCAP_PROVIDER_AUTO:
		return "auto";
	case ZCAP_PROVIDER_ZCAP:
		return "zcap";
	case ZCAP_PROVIDER_DMA_HEAP:
		return "dma-heap";
	case ZCAP_PROVIDER_UDMABUF:
		return "udmabuf";
	case ZCAP_PROVIDER_MEMORY:
		return "memory";
	case ZCAP_PROVIDER_V4L2:
		return "v4l2";
	}
	return "unknown";
}

bool zcap_allocator_is_dmabuf(const struct zcap_allocator *a)
{
	return a && a->prov.ops->dmabuf;
}

uint32_t zcap_allocator_count(const struct zcap_allocator *a)
{
	uint32_t n;

	if (!a)
		return 0;
	zcapi_allocator_lock(a);
	n = a->props_set ? a->props.count : 0;
	zcapi_allocator_unlock(a);
	return n;
}

uint32_t zcap_allocator_free_count(struct zcap_allocator *a)
{
	uint32_t n;

	if (!a)
		return 0;
	zcapi_allocator_lock(a);
	n = a->committed ? a->gen->n_free : 0;
	zcapi_allocator_unlock(a);
	return n;
}

uint32_t zcap_allocator_outstanding(struct zcap_allocator *a)
{
	uint32_t n;

	if (!a)
		return 0;
	zcapi_allocator_lock(a);
	n = a->outstanding;
	zcapi_allocator_unlock(a);
	return n;
}

const char *zcap_allocator_describe(const struct zcap_allocator *a)
{
	return a ? a->describe : "(no allocator)";
}
