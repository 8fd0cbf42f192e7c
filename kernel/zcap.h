/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zcap internals shared by main.c, pool.c, buffer.c and debugfs.c.
 *
 * Object graph and references:
 *
 *   pool file --(1 ref)--> zcap_pool <--(1 ref each)-- zcap_buffer
 *   pool file --(1 ref each)--> zcap_buffer
 *   pool file --(1 ref each)--> cached dma-buf --(1 ref)--> zcap_buffer
 *
 * A buffer's pages go when its last reference does: the pool file's (dropped
 * on release) and one per live dma-buf (dropped in dma_buf_ops.release). The
 * pool struct goes after its file and every buffer, so it is freed last.
 */
#ifndef ZCAP_INTERNAL_H
#define ZCAP_INTERNAL_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/dma-resv.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

struct dma_buf;
struct zcap_pool_create;

/*
 * The module's version, as modinfo shows it: PACKAGE_VERSION of dkms.conf
 * and the Debian packages' upstream version (the packaging test checks all
 * three agree).
 */
#define ZCAP_MODULE_VERSION	"0.1.0"

/*
 * Metadata (buffer and attachment structs, page arrays, sg tables) grows
 * with the buffer and is charged like its pages, and like them it must fail
 * with ENOMEM rather than wake the OOM killer: a memory cgroup that leaves
 * room for the pages but not for the next page array would otherwise kill
 * the creator (the memcg charge path skips the OOM killer only for
 * __GFP_RETRY_MAYFAIL and __GFP_NORETRY).
 */
#define ZCAP_GFP_META		(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | \
				 __GFP_NOWARN)

/* Index into zcap_buffer.dmabuf: one dma-buf per access mode. */
enum zcap_access {
	ZCAP_ACCESS_RDWR,
	ZCAP_ACCESS_RDONLY,
	ZCAP_ACCESS_MODES,
};

struct zcap_pool;

struct zcap_buffer {
	struct kref ref;
	struct zcap_pool *pool;		/* holds a pool reference */
	size_t size;
	unsigned int npages;
	struct page **pages;		/* npages independent (split) pages */
	struct sg_table sgt;		/* built once; attachments copy it */

	/*
	 * Shared by both dma-bufs of the buffer: they describe the same
	 * memory, so a fence added through one must be seen through the other.
	 */
	struct dma_resv resv;

	struct mutex lock;		/* attachments, vmap_count, vaddr */
	struct list_head attachments;
	unsigned int vmap_count;
	void *vaddr;

	/*
	 * Cached dma-bufs, under pool->lock. Each slot holds a dma-buf
	 * reference until the pool file is released.
	 */
	struct dma_buf *dmabuf[ZCAP_ACCESS_MODES];
};

struct zcap_pool {
	struct kref ref;
	struct mutex lock;		/* zcap_buffer.dmabuf[] of every buffer */
	u64 buffer_size;
	u32 count;
	u32 flags;
	u32 sg_entries;
	u32 max_sg_entries;
	struct zcap_buffer *bufs[];	/* valid until the pool file is released */
};

/* Gauges go back to zero when everything is freed; counters only grow. */
struct zcap_stats {
	atomic64_t pools;
	atomic64_t buffers;
	atomic64_t bytes;		/* also the max_total_bytes reservation */
	atomic64_t dmabufs;
	atomic64_t attachments;
	atomic64_t mappings;
	atomic64_t vmaps;
	atomic64_t mmaps;
	atomic64_t pools_created;
	atomic64_t dmabufs_exported;
	atomic64_t map_calls;
	atomic64_t unmap_calls;
	atomic64_t vmap_calls;
	atomic64_t cpu_access_calls;
};

extern struct zcap_stats zcap_stats;

/* main.c: module parameters, read with READ_ONCE(). */
extern u64 zcap_max_pool_bytes;
extern u64 zcap_max_total_bytes;
u64 zcap_max_contig_bytes(void);

/* pool.c */
int zcap_pool_create(const struct zcap_pool_create *req, u64 buffer_size,
		     u64 total_bytes, struct zcap_pool_create __user *uarg);
void zcap_pool_put(struct zcap_pool *pool);

/* buffer.c */
bool zcap_buffer_size_possible(u64 size);
struct zcap_buffer *zcap_buffer_alloc(struct zcap_pool *pool);
void zcap_buffer_put(struct zcap_buffer *buf);
struct dma_buf *zcap_buffer_export(struct zcap_buffer *buf, int accmode);

/* debugfs.c */
void zcap_debugfs_init(void);
void zcap_debugfs_exit(void);

#endif /* ZCAP_INTERNAL_H */
