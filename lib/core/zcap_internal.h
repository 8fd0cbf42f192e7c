/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libzcap internals shared by the core files (allocator, providers,
 * samples, pins, filters, graph) and visible to the unit tests, which link
 * the library's objects directly. Nothing here is exported from
 * libzcap.so: every function carries ZCAP_INTERNAL and uses the zcapi_
 * prefix, outside the version script's zcap_* pattern.
 */
#ifndef ZCAP_LIB_INTERNAL_H
#define ZCAP_LIB_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/zcap.h>

#include <zcap/allocator.h>
#include <zcap/error.h>
#include <zcap/filter.h>
#include <zcap/format.h>
#include <zcap/graph.h>
#include <zcap/log.h>
#include <zcap/pin.h>
#include <zcap/sample.h>

#define ZCAP_INTERNAL __attribute__((visibility("hidden")))

#define ZCAPI_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Largest alignment a caller may ask for: 1 GiB keeps round-ups in range. */
#define ZCAPI_MAX_ALIGN (1u << 30)

/* Round @v up to a multiple of @a (any non-zero @a); false on overflow. */
static inline bool zcapi_round_up(uint64_t v, uint64_t a, uint64_t *out)
{
	uint64_t r = v % a;

	if (!r) {
		*out = v;
		return true;
	}
	if (v > UINT64_MAX - (a - r))
		return false;
	*out = v + (a - r);
	return true;
}

static inline bool zcapi_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* lib/core/util.c. Monotonic deadline @ms from now, for pthread_cond_timedwait. */
ZCAP_INTERNAL void zcapi_deadline(struct timespec *ts, int ms);
/* CLOCK_MONOTONIC in nanoseconds: the clock of V4L2's timestamps. */
ZCAP_INTERNAL int64_t zcapi_now_ns(void);
/* pthread condition variable on CLOCK_MONOTONIC. */
ZCAP_INTERNAL int zcapi_cond_init(pthread_cond_t *c);

/* ---------------------------------------------------------------------
 * Providers: where an allocator's memory comes from.
 */

/* One memory block of one buffer, as a provider made it. */
struct zcapi_block {
	int fd;			/* dma-buf (owned by the allocator), -1 for process memory */
	uint32_t reserved;
	void *alloc;		/* provider's own handle (memory provider: the allocation) */
	void *map;		/* CPU address of byte 0 of the block, NULL until mapped */
	uint64_t map_len;	/* bytes of the whole block (the dma-buf's size) */
	uint64_t offset;	/* data offset: prefix rounded up to align */
	uint64_t length;	/* usable bytes from offset on */
	bool own_map;		/* map is an mmap() of fd the allocator undoes */
	/*
	 * The dma-buf's identity (st_dev, st_ino), read once when the
	 * allocator's memory is made so that a V4L2 queue's dma-buf to index
	 * cache costs no syscall per frame; ino 0: unknown (process memory,
	 * or fstat failed).
	 */
	uint64_t dev;
	uint64_t ino;
};

struct zcapi_provider_ops {
	enum zcap_provider id;
	bool dmabuf;
	/*
	 * Turn validated props into what this provider grants: raise or cap
	 * counts, round sizes, drop flags it cannot honour.
	 */
	int (*grant)(void *priv, struct zcap_alloc_props *p);
	/*
	 * Take the memory of p->count buffers of p->n_mem blocks each:
	 * blocks[b * n_mem + m] (fd preset to -1). All or nothing: on failure
	 * it frees what it took.
	 */
	int (*alloc)(void *priv, const struct zcap_alloc_props *p,
		     struct zcapi_block *blocks);
	/* Give back what alloc took (mappings are already undone). */
	void (*free)(void *priv, const struct zcap_alloc_props *p,
		     struct zcapi_block *blocks);
	/*
	 * DMA_BUF_IOCTL_SYNC flags on one block. NULL: the ioctl itself
	 * (tests count the calls through their own).
	 */
	int (*sync)(void *priv, struct zcapi_block *b, uint64_t flags);
	void (*destroy)(void *priv);
};

/* An opened provider, ready to back an allocator. */
struct zcapi_provider {
	const struct zcapi_provider_ops *ops;
	void *priv;
	char desc[160];		/* what serves, e.g. "zcap (/dev/zcap, ABI 1)" */
};

/*
 * Plain process memory (lib/core/provider_memory.c): part of the core, as
 * DirectShow's CMemAllocator is the allocator of last resort of a
 * connection (lib/core/pin.c). Never fails.
 */
ZCAP_INTERNAL int zcapi_memory_open(struct zcapi_provider *p);

/* Page size, as the dma-buf providers round to it (lib/core/util.c). */
ZCAP_INTERNAL uint64_t zcapi_page_size(void);

/*
 * Build an allocator over an opened provider. It takes @p over on success;
 * on failure @p is left to the caller. @describe may be NULL (p->desc).
 */
ZCAP_INTERNAL int zcapi_allocator_new(const struct zcapi_provider *p,
				      const char *describe,
				      struct zcap_allocator **out);
/* The same, but @p is taken over (destroyed on failure) whatever happens. */
ZCAP_INTERNAL int zcapi_allocator_new_from(struct zcapi_provider *p,
					   const char *describe,
					   struct zcap_allocator **out);

/* Test hooks: the reference count and the CPU mappings made. */
ZCAP_INTERNAL long zcapi_allocator_refcount(const struct zcap_allocator *a);
ZCAP_INTERNAL uint64_t zcapi_allocator_map_calls(const struct zcap_allocator *a);

/* ---------------------------------------------------------------------
 * Allocator and samples.
 */

struct zcap_sample {
	atomic_uint refs;
	uint32_t index;
	struct zcap_allocator *alloc;
	uint32_t n_mem;
	bool is_free;			/* on the free list; under the allocator lock */
	struct zcapi_block *blocks;	/* n_mem blocks of this buffer */

	pthread_mutex_t cpu_lock;	/* nesting of cpu_begin/cpu_end */
	uint32_t cpu_depth;
	uint32_t cpu_access;		/* ZCAP_ACCESS_* of every open begin */
	atomic_bool cpu_open;		/* cpu_depth > 0, for zcap_sample_data() */

	/*
	 * Producer's metadata, reset when the buffer is released. The layout
	 * itself stays with the buffer, with its tag
	 * (zcapi_sample_set_format_tagged()): a source
	 * gives a buffer the same layout frame after frame, and copying it
	 * for every frame was the largest single piece of a frame's path.
	 */
	bool has_fmt;			/* fmt is the current frame's layout */
	uint64_t fmt_tag;		/* 0: fmt was set untagged */
	struct zcap_format fmt;
	uint64_t bytesused[ZCAP_MAX_PLANES];
	int64_t time_ns;
	uint64_t sequence;
	uint32_t flags;
};

/* The memory of one commit: lives until decommitted and every sample is back. */
struct zcapi_generation {
	struct zcap_alloc_props props;
	struct zcapi_block *blocks;
	struct zcap_sample *samples;
	uint32_t *free_q;		/* indices of free buffers, oldest first */
	uint32_t n_free;
};

struct zcap_allocator {
	atomic_long refs;
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* a buffer came back, or decommit */
	struct zcapi_provider prov;
	char describe[640];

	bool props_set;
	struct zcap_alloc_props props;	/* granted */
	bool committed;
	uint64_t commit_gen;		/* bumped by every commit and decommit */
	atomic_ullong fmt_tags;		/* the last layout tag handed out */
	struct zcapi_generation *gen;	/* NULL when no memory is held */
	uint32_t outstanding;

	int event_fd;			/* readable iff committed and a buffer is free */
	bool event_set;
	/*
	 * A capture queue's QBUF, called with a buffer as its last holder
	 * releases it (zcapi_allocator_set_recycle), under the lock.
	 */
	int (*recycle)(void *ctx, struct zcap_sample *s);
	void *recycle_ctx;
	atomic_ullong map_calls;

	/*
	 * Its live IMemAllocator object (lib/dshow/dshow_allocator.c),
	 * under the lock, so that one allocator is one COM object and
	 * pointers compare as in DirectShow. Not a reference: the object
	 * clears it when it goes.
	 */
	void *dshow;
};

/*
 * The allocator's lock (allocator.c, allocator_props.c); a const
 * allocator is still a lockable one.
 */
static inline void zcapi_allocator_lock(const struct zcap_allocator *a)
{
	pthread_mutex_lock((pthread_mutex_t *)&a->lock);
}

static inline void zcapi_allocator_unlock(const struct zcap_allocator *a)
{
	pthread_mutex_unlock((pthread_mutex_t *)&a->lock);
}

/* Sample release to its allocator (IMemAllocator::ReleaseBuffer). */
ZCAP_INTERNAL void zcapi_allocator_release(struct zcap_allocator *a,
					   struct zcap_sample *s);
/*
 * While committed, a released buffer goes to @recycle (a capture queue's
 * QBUF) in the releasing thread instead of to the free list, so the
 * streaming thread is not woken for it. @recycle gets it with no
 * reference and takes its own if it keeps it (returning 0); a nonzero
 * return puts the buffer on the free list as usual. It runs under the
 * allocator's lock and must not call into the allocator. NULL turns it
 * off: once this returns, no call is running or will start.
 */
ZCAP_INTERNAL void zcapi_allocator_set_recycle(struct zcap_allocator *a,
					       int (*recycle)(void *ctx,
							      struct zcap_sample *s),
					       void *ctx);
/*
 * zcap_sample_set_format() for a layout zcap_format_validate() passed
 * already (a source's, the same frame after frame): only whether it fits
 * @s's buffers is checked.
 */
ZCAP_INTERNAL int zcapi_sample_set_format_valid(struct zcap_sample *s,
						const struct zcap_format *fmt);
/*
 * The recycler's path without the release, for a producer that holds the
 * only reference to @s and knows where it goes: under the lock, while
 * committed with a recycler and @s in no CPU access (what
 * zcap_sample_unref() would check), @s's metadata is reset and
 * @requeue(@ctx, @s) takes its own reference. The caller then drops its
 * own, which is no longer the last; -EAGAIN (or @requeue's error) leaves
 * that unref to do the release as usual.
 */
ZCAP_INTERNAL int zcapi_allocator_requeue_own(struct zcap_allocator *a,
					      struct zcap_sample *s,
					      int (*requeue)(void *ctx,
							     struct zcap_sample *s),
					      void *ctx);
/*
 * A new tag for a layout that the samples of @a will be given, unchanged,
 * with zcapi_sample_set_format_tagged(): never 0, never one handed out
 * before by @a (whose samples are the only ones it can meet).
 */
ZCAP_INTERNAL uint64_t zcapi_allocator_fmt_tag(struct zcap_allocator *a);
/*
 * zcapi_sample_set_format_valid() of @fmt, known by @tag: a buffer that
 * had that layout before keeps it, with no copy and no check.
 */
ZCAP_INTERNAL int zcapi_sample_set_format_tagged(struct zcap_sample *s,
						 const struct zcap_format *fmt,
						 uint64_t tag);
/* Sample metadata back to "nothing set", for a fresh get_buffer. */
ZCAP_INTERNAL void zcapi_sample_reset(struct zcap_sample *s);
/* Sync @flags on every dma-buf of @s. */
ZCAP_INTERNAL int zcapi_sample_sync(struct zcap_sample *s, uint64_t flags);

/* ---------------------------------------------------------------------
 * Pins, filters, graph.
 */

struct zcap_pin {
	pthread_mutex_t lock;		/* peer, fmt, allocator */
	enum zcap_pin_dir dir;
	char *name;
	struct zcap_filter *filter;
	union {
		struct zcap_input_pin_ops in;
		struct zcap_output_pin_ops out;
	} ops;
	void *priv;

	struct zcap_pin *peer;
	struct zcap_format fmt;
	/* input: the notified allocator; output: the decided one */
	struct zcap_allocator *allocator;
	/*
	 * input: its samples are read-only (NotifyAllocator's bReadOnly);
	 * output: it passes on samples it does not own (a tee's), so its
	 * peer is notified read-only.
	 */
	bool read_only;
	/* Input: end of stream received since its filter left STOPPED (filter lock). */
	bool eos;
};

/* Where a filter's or a graph's log lines go. */
struct zcapi_log {
	zcap_log_fn fn;			/* NULL: nowhere */
	void *user;
	enum zcap_log_level level;	/* lines at this level and above */
};

struct zcap_filter {
	pthread_mutex_t lock;		/* pins, graph */
	pthread_mutex_t log_lock;	/* log */
	struct zcapi_log log;
	pthread_mutex_t state_lock;	/* serialises pause/run/stop */
	pthread_mutex_t stats_lock;
	pthread_mutex_t event_lock;
	char *name;
	struct zcap_filter_ops ops;
	const struct zcap_filter_ops *ops_id;	/* the table given: who made it */
	void *priv;
	_Atomic int state;		/* enum zcap_state */

	struct zcap_pin **pins;
	uint32_t n_pins;

	struct zcap_filter_stats stats;
	zcap_event_fn event_fn;
	void *event_data;
	struct zcap_graph *graph;
	bool eos_posted;		/* a renderer's end of stream, since it left STOPPED (lock) */
};

/* A pin's lock (pin.c, pin_connect.c): peer, fmt, allocator. */
static inline void zcapi_pin_lock(const struct zcap_pin *pin)
{
	pthread_mutex_lock((pthread_mutex_t *)&pin->lock);
}

static inline void zcapi_pin_unlock(const struct zcap_pin *pin)
{
	pthread_mutex_unlock((pthread_mutex_t *)&pin->lock);
}

/*
 * Input pin @in received end of stream (after its op ran). A renderer (a
 * filter with no output pins) posts ZCAP_E_END_OF_STREAM once each of its
 * connected input pins has, as DirectShow's renderers send EC_COMPLETE.
 */
ZCAP_INTERNAL void zcapi_filter_input_ended(struct zcap_pin *in);

/* No filter is a stopped one: a pin on its own takes nothing. */
static inline bool zcapi_filter_stopped(const struct zcap_filter *f)
{
	return !f || zcap_filter_state(f) == ZCAP_STATE_STOPPED;
}

/*
 * Disconnect even when a filter is not stopped: for destruction only,
 * where the alternative is a dangling peer.
 */
ZCAP_INTERNAL void zcapi_pin_disconnect_force(struct zcap_pin *pin);
/*
 * A pass-through filter's output, when connected, takes its input's new
 * allocator (NULL: none) as its decided one: pausing the filter commits
 * what that names, and the samples it passes on come from it.
 */
ZCAP_INTERNAL void zcapi_pin_pass_allocator(struct zcap_pin *out,
					    struct zcap_allocator *a);
/*
 * Tests only: the next @n allocations of tee @f fail as if out of memory
 * (fault injection for the paths that must not lose a sample).
 */
ZCAP_INTERNAL void zcapi_tee_fail_allocs(struct zcap_filter *f, uint32_t n);

/* The graph's log, for a filter of it with none of its own. */
ZCAP_INTERNAL void zcapi_graph_log(struct zcap_graph *g, struct zcapi_log *out);

/* The filter is being destroyed: the graph lets go of it. */
ZCAP_INTERNAL void zcapi_graph_forget(struct zcap_graph *g, struct zcap_filter *f);

#endif /* ZCAP_LIB_INTERNAL_H */
