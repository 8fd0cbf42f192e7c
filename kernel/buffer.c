// SPDX-License-Identifier: GPL-2.0
/*
 * Buffers: their pages, and the dma_buf_ops of the dma-bufs exported for them.
 *
 * A buffer has up to two dma-bufs (read-write and read-only) over the same
 * pages, the same sg table and the same reservation object; attachments and
 * the kernel mapping belong to the buffer, so a CPU access through either
 * dma-buf syncs every device that has the memory mapped.
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <linux/zcap.h>

#include "compat.h"
#include "zcap.h"

struct zcap_attachment {
	struct list_head node;		/* in zcap_buffer.attachments */
	struct device *dev;
	struct sg_table sgt;		/* this attachment's copy */
	enum dma_data_direction dir;	/* valid while mapped */
	bool mapped;
};

/* Zeroed pages, charged to the memory cgroup of the pool's creator. */
#define ZCAP_GFP		(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT)

/*
 * High orders only shorten the scatter list, so they must be cheap: no
 * reclaim, no retry, no warning; the next order down is always there to fall
 * back on (as in the system dma-heap).
 */
#define ZCAP_GFP_HIGH_ORDER	((ZCAP_GFP | __GFP_NOWARN | __GFP_NORETRY) & \
				 ~__GFP_RECLAIM)

/*
 * Single pages and contiguous blocks may reclaim and compact, but a request
 * that cannot be met is the caller's ENOMEM: never the OOM killer's business,
 * nor a warning in the log that user space could trigger at will.
 */
#define ZCAP_GFP_MAY_FAIL	(ZCAP_GFP | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* 2 MiB, 64 KiB and single pages (with 4 KiB pages). */
static const unsigned int zcap_orders[] = { 9, 4, 0 };

/*
 * A buffer can be hundreds of thousands of pages, and the last close of a
 * pool frees all of its buffers in one go: let others run meanwhile, as
 * the allocation does. Every caller may sleep (ioctl, file release).
 */
static void zcap_free_pages(struct page **pages, unsigned int n)
{
	while (n--) {
		__free_page(pages[n]);
		if (!(n % 1024))
			cond_resched();
	}
}

/*
 * Each block is split so that every page has its own reference count: the
 * sg table may then merge or cut runs freely, vmap() takes single pages,
 * and freeing never needs to know the order a page came from.
 */
static void zcap_take_block(struct zcap_buffer *buf, unsigned int *n,
			    struct page *block, unsigned int order)
{
	unsigned int i;

	if (order)
		split_page(block, order);
	for (i = 0; i < (1U << order); i++)
		buf->pages[(*n)++] = nth_page(block, i);
}

static int zcap_alloc_scattered(struct zcap_buffer *buf)
{
	unsigned int n = 0, oi = 0;
	int ret;

	while (n < buf->npages) {
		unsigned int left = buf->npages - n;
		struct page *block = NULL;
		unsigned int order = 0;

		/* A pool can be a gigabyte: let a killed creator go. */
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err;
		}

		/*
		 * Orders that failed once are not tried again for this buffer
		 * (nor are orders larger than what is left): they would fail
		 * again, slowly.
		 */
		for (; oi < ARRAY_SIZE(zcap_orders); oi++) {
			order = min_t(unsigned int, zcap_orders[oi],
				      ZCAP_MAX_ORDER);
			if ((1U << order) > left)
				continue;
			block = alloc_pages(order ? ZCAP_GFP_HIGH_ORDER :
					    ZCAP_GFP_MAY_FAIL, order);
			if (block)
				break;
		}
		if (!block) {
			ret = -ENOMEM;
			goto err;
		}

		zcap_take_block(buf, &n, block, order);
		cond_resched();
	}
	return 0;

err:
	zcap_free_pages(buf->pages, n);
	return ret;
}

/*
 * One block of the smallest order that holds the buffer; the pages past its
 * end go straight back, as alloc_pages_exact() does. The caller has checked
 * the size against zcap_max_contig_bytes(), so the order exists.
 */
static int zcap_alloc_contiguous(struct zcap_buffer *buf)
{
	unsigned int order = get_order(buf->size);
	struct page *block;
	unsigned int i;

	/* Compaction for a large block can take a while: check first. */
	if (fatal_signal_pending(current))
		return -EINTR;

	block = alloc_pages(ZCAP_GFP_MAY_FAIL, order);
	if (!block)
		return -ENOMEM;

	if (order)
		split_page(block, order);
	for (i = 0; i < (1U << order); i++) {
		struct page *page = nth_page(block, i);

		if (i < buf->npages)
			buf->pages[i] = page;
		else
			__free_page(page);
	}
	return 0;
}

/*
 * Only a raised max_pool_bytes lets a buffer get this large. A buffer larger
 * than the machine's memory can never be allocated, and a page array over
 * INT_MAX bytes is one kvmalloc() refuses with a warning: both are ENOMEM
 * before anything is tried, whatever the caps say.
 */
bool zcap_buffer_size_possible(u64 size)
{
	u64 npages = size >> PAGE_SHIFT;

	return size <= SIZE_MAX && npages <= totalram_pages() &&
	       npages <= INT_MAX / sizeof(struct page *);
}

/*
 * The caller, zcap_pool_create(), has checked the size with
 * zcap_buffer_size_possible() once for all the pool's buffers.
 */
struct zcap_buffer *zcap_buffer_alloc(struct zcap_pool *pool)
{
	struct zcap_buffer *buf;
	int ret;

	buf = kzalloc(sizeof(*buf), ZCAP_GFP_META);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->size = pool->buffer_size;
	buf->npages = pool->buffer_size >> PAGE_SHIFT;

	buf->pages = kvmalloc_array(buf->npages, sizeof(*buf->pages),
				    ZCAP_GFP_META);
	if (!buf->pages) {
		ret = -ENOMEM;
		goto err_buf;
	}

	if (pool->flags & ZCAP_POOL_CONTIGUOUS)
		ret = zcap_alloc_contiguous(buf);
	else
		ret = zcap_alloc_scattered(buf);
	if (ret)
		goto err_pages_array;

	/* Physically adjacent pages share an entry, across blocks too. */
	ret = sg_alloc_table_from_pages(&buf->sgt, buf->pages, buf->npages, 0,
					buf->size, ZCAP_GFP_META);
	if (ret)
		goto err_pages;

	kref_init(&buf->ref);
	dma_resv_init(&buf->resv);
	mutex_init(&buf->lock);
	INIT_LIST_HEAD(&buf->attachments);
	kref_get(&pool->ref);
	buf->pool = pool;
	atomic64_inc(&zcap_stats.buffers);
	return buf;

err_pages:
	zcap_free_pages(buf->pages, buf->npages);
err_pages_array:
	kvfree(buf->pages);
err_buf:
	kfree(buf);
	return ERR_PTR(ret);
}

static void zcap_buffer_free(struct kref *ref)
{
	struct zcap_buffer *buf = container_of(ref, struct zcap_buffer, ref);
	struct zcap_pool *pool = buf->pool;

	WARN_ON(!list_empty(&buf->attachments));
	WARN_ON(buf->vmap_count);

	sg_free_table(&buf->sgt);
	zcap_free_pages(buf->pages, buf->npages);
	kvfree(buf->pages);
	mutex_destroy(&buf->lock);
	dma_resv_fini(&buf->resv);
	atomic64_sub(buf->size, &zcap_stats.bytes);
	atomic64_dec(&zcap_stats.buffers);
	kfree(buf);

	zcap_pool_put(pool);
}

void zcap_buffer_put(struct zcap_buffer *buf)
{
	kref_put(&buf->ref, zcap_buffer_free);
}

static int zcap_dmabuf_attach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	struct zcap_buffer *buf = dmabuf->priv;
	struct scatterlist *src, *dst;
	struct zcap_attachment *a;
	unsigned int i;
	int ret;

	a = kzalloc(sizeof(*a), ZCAP_GFP_META);
	if (!a)
		return -ENOMEM;

	/* Each device maps its own copy: DMA addresses are per device. */
	ret = sg_alloc_table(&a->sgt, buf->sgt.orig_nents, ZCAP_GFP_META);
	if (ret) {
		kfree(a);
		return ret;
	}
	dst = a->sgt.sgl;
	for_each_sgtable_sg(&buf->sgt, src, i) {
		sg_set_page(dst, sg_page(src), src->length, src->offset);
		dst = sg_next(dst);
	}
	a->dev = attach->dev;
	attach->priv = a;

	mutex_lock(&buf->lock);
	list_add(&a->node, &buf->attachments);
	mutex_unlock(&buf->lock);

	atomic64_inc(&zcap_stats.attachments);
	return 0;
}

static void zcap_dmabuf_detach(struct dma_buf *dmabuf,
			       struct dma_buf_attachment *attach)
{
	struct zcap_buffer *buf = dmabuf->priv;
	struct zcap_attachment *a = attach->priv;

	mutex_lock(&buf->lock);
	list_del(&a->node);
	/* An importer bug, but the DMA mapping must not outlive the pages. */
	if (WARN_ON_ONCE(a->mapped)) {
		dma_unmap_sgtable(a->dev, &a->sgt, a->dir, 0);
		atomic64_dec(&zcap_stats.mappings);
	}
	mutex_unlock(&buf->lock);

	sg_free_table(&a->sgt);
	kfree(a);
	atomic64_dec(&zcap_stats.attachments);
}

/*
 * A read-only dma-buf is read-only for devices too, not only for mmap(): a
 * capture queue that maps one for DMA must fail its QBUF rather than write
 * into memory its owner shared for reading, so mappings a device may write
 * through (DMA_FROM_DEVICE, DMA_BIDIRECTIONAL) are refused. vmap() cannot
 * be: its caller never says which way it will use the mapping, and the
 * dma-buf core WARNs on any vmap error (see Documentation/abi.md).
 */
static bool zcap_dmabuf_writable(struct dma_buf *dmabuf)
{
	return dmabuf->file->f_mode & FMODE_WRITE;
}

static struct sg_table *zcap_dmabuf_map(struct dma_buf_attachment *attach,
					enum dma_data_direction dir)
{
	struct zcap_buffer *buf = attach->dmabuf->priv;
	struct zcap_attachment *a = attach->priv;
	int ret;

	if (!zcap_dmabuf_writable(attach->dmabuf) && dir != DMA_TO_DEVICE) {
		atomic64_inc(&zcap_stats.map_calls);
		return ERR_PTR(-EACCES);
	}

	mutex_lock(&buf->lock);
	/* One copy of the table, so one mapping per attachment. */
	if (a->mapped) {
		ret = -EBUSY;
		goto out;
	}
	ret = dma_map_sgtable(a->dev, &a->sgt, dir, 0);
	if (ret)
		goto out;
	a->dir = dir;
	a->mapped = true;
out:
	mutex_unlock(&buf->lock);

	atomic64_inc(&zcap_stats.map_calls);
	if (ret)
		return ERR_PTR(ret);
	atomic64_inc(&zcap_stats.mappings);
	return &a->sgt;
}

static void zcap_dmabuf_unmap(struct dma_buf_attachment *attach,
			      struct sg_table *sgt,
			      enum dma_data_direction dir)
{
	struct zcap_buffer *buf = attach->dmabuf->priv;
	struct zcap_attachment *a = attach->priv;

	atomic64_inc(&zcap_stats.unmap_calls);

	mutex_lock(&buf->lock);
	if (!WARN_ON_ONCE(!a->mapped || sgt != &a->sgt)) {
		dma_unmap_sgtable(a->dev, &a->sgt, a->dir, 0);
		a->mapped = false;
		atomic64_dec(&zcap_stats.mappings);
	}
	mutex_unlock(&buf->lock);
}

/*
 * The DMA API wants a sync in the direction the memory was mapped in, not
 * the direction of the CPU access, so each attachment is synced with its own
 * mapping direction. The kernel mapping is an alias of the same pages: on
 * architectures with aliasing caches it is invalidated after the device's
 * data became visible, and flushed before the memory goes back to devices.
 */
static void zcap_vmap_sync(struct zcap_buffer *buf, bool for_cpu)
{
	size_t off, len;

	/* The range helpers take an int length. */
	for (off = 0; off < buf->size; off += len) {
		len = min_t(size_t, buf->size - off, SZ_1G);
		if (for_cpu)
			invalidate_kernel_vmap_range(buf->vaddr + off, len);
		else
			flush_kernel_vmap_range(buf->vaddr + off, len);
	}
}

/*
 * The dma-buf core waits for the buffer's fences only after this returns,
 * and a device still writing (a fence an importer attached) would then be
 * synced for the CPU too early: wait first, as the core does (a CPU write
 * waits for readers too), interruptibly.
 */
static int zcap_dmabuf_begin_cpu_access(struct dma_buf *dmabuf,
					enum dma_data_direction dir)
{
	bool write = dir == DMA_BIDIRECTIONAL || dir == DMA_TO_DEVICE;
	struct zcap_buffer *buf = dmabuf->priv;
	struct zcap_attachment *a;
	long ret;

	ret = dma_resv_wait_timeout(dmabuf->resv, dma_resv_usage_rw(write),
				    true, MAX_SCHEDULE_TIMEOUT);
	if (ret < 0)
		return ret;

	atomic64_inc(&zcap_stats.cpu_access_calls);

	mutex_lock(&buf->lock);
	list_for_each_entry(a, &buf->attachments, node)
		if (a->mapped)
			dma_sync_sgtable_for_cpu(a->dev, &a->sgt, a->dir);
	if (buf->vmap_count)
		zcap_vmap_sync(buf, true);
	mutex_unlock(&buf->lock);
	return 0;
}

static int zcap_dmabuf_end_cpu_access(struct dma_buf *dmabuf,
				      enum dma_data_direction dir)
{
	struct zcap_buffer *buf = dmabuf->priv;
	struct zcap_attachment *a;

	atomic64_inc(&zcap_stats.cpu_access_calls);

	mutex_lock(&buf->lock);
	if (buf->vmap_count)
		zcap_vmap_sync(buf, false);
	list_for_each_entry(a, &buf->attachments, node)
		if (a->mapped)
			dma_sync_sgtable_for_device(a->dev, &a->sgt, a->dir);
	mutex_unlock(&buf->lock);
	return 0;
}

/*
 * mmaps counts VMAs rather than mmap() calls: fork, mremap and a partial
 * munmap that splits a VMA all go through ->open, every unmap through
 * ->close, so the gauge is exact. The VMA pins the dma-buf file, hence the
 * buffer and the module, for as long as these can run.
 */
static void zcap_vm_open(struct vm_area_struct *vma)
{
	atomic64_inc(&zcap_stats.mmaps);
}

static void zcap_vm_close(struct vm_area_struct *vma)
{
	atomic64_dec(&zcap_stats.mmaps);
}

static const struct vm_operations_struct zcap_vm_ops = {
	.open = zcap_vm_open,
	.close = zcap_vm_close,
};

/*
 * The whole mapping is built here, so no fault handler is needed, and the
 * VMA is VM_PFNMAP, so core mm never treats the pages as its own (no
 * get_user_pages() pin, no page-cache or rmap state) while their owner is
 * the buffer. A read-only dma-buf maps read-only for good: mmap() refuses
 * PROT_WRITE on its file, but an importer's dma_buf_mmap() (a GEM object's
 * mmap) hands us a VMA made for the importer's own file, writable or not,
 * so the mode is checked here too, and VM_MAYWRITE dropped so that no
 * mprotect() adds write access later.
 *
 * vmf_insert_pfn() a page at a time rather than remap_pfn_range(): a
 * remap_pfn_range() over the whole VMA turns on x86 PAT tracking, and when
 * it then fails to allocate a page table its own error path WARNs in
 * untrack_pfn() (seen on 6.12), a warning any user could cause under
 * memory pressure. Pages of RAM need no PAT reservation; vmf_insert_pfn()
 * takes their cache mode from the PAT lookup as remap_pfn_range() does for a
 * part of a VMA. A failed insertion is ENOMEM, and mmap() unmaps what was
 * inserted.
 */
static int zcap_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct zcap_buffer *buf = dmabuf->priv;
	unsigned long addr = vma->vm_start;
	struct sg_page_iter iter;
	vm_fault_t fault;

	/*
	 * VM_MAYSHARE, not VM_SHARED: a shared mapping of a read-only file
	 * loses VM_SHARED but is still not a private copy-on-write one.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (!zcap_dmabuf_writable(dmabuf)) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		zcap_vm_flags_clear(vma, VM_MAYWRITE);
	}
	if (vma->vm_pgoff > buf->npages ||
	    vma_pages(vma) > buf->npages - vma->vm_pgoff)
		return -EINVAL;

	zcap_vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);

	for_each_sgtable_page(&buf->sgt, &iter, vma->vm_pgoff) {
		if (addr >= vma->vm_end)
			break;
		fault = vmf_insert_pfn(vma, addr,
				       page_to_pfn(sg_page_iter_page(&iter)));
		if (fault != VM_FAULT_NOPAGE)
			return fault == VM_FAULT_OOM ? -ENOMEM : -EFAULT;
		addr += PAGE_SIZE;
		if (!((addr - vma->vm_start) & (SZ_2M - 1)))
			cond_resched();
	}

	/* Only now: a failed mmap() never calls ->close. */
	vma->vm_ops = &zcap_vm_ops;
	zcap_vm_open(vma);
	return 0;
}

/*
 * Refcounted per buffer, not per dma-buf: the core counts vmaps of each
 * dma-buf and calls this once per dma-buf, but both dma-bufs of a buffer
 * share one kernel mapping.
 */
static int zcap_dmabuf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct zcap_buffer *buf = dmabuf->priv;
	int ret = 0;

	atomic64_inc(&zcap_stats.vmap_calls);

	mutex_lock(&buf->lock);
	if (!buf->vmap_count) {
		buf->vaddr = vmap(buf->pages, buf->npages, VM_MAP, PAGE_KERNEL);
		if (!buf->vaddr) {
			ret = -ENOMEM;
			goto out;
		}
	}
	buf->vmap_count++;
	iosys_map_set_vaddr(map, buf->vaddr);
	atomic64_inc(&zcap_stats.vmaps);
out:
	mutex_unlock(&buf->lock);
	return ret;
}

static void zcap_dmabuf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct zcap_buffer *buf = dmabuf->priv;

	mutex_lock(&buf->lock);
	if (!WARN_ON_ONCE(!buf->vmap_count || map->vaddr != buf->vaddr)) {
		if (!--buf->vmap_count) {
			vunmap(buf->vaddr);
			buf->vaddr = NULL;
		}
		atomic64_dec(&zcap_stats.vmaps);
	}
	mutex_unlock(&buf->lock);
}

static void zcap_dmabuf_release(struct dma_buf *dmabuf)
{
	struct zcap_buffer *buf = dmabuf->priv;

	atomic64_dec(&zcap_stats.dmabufs);
	zcap_buffer_put(buf);
}

static const struct dma_buf_ops zcap_dmabuf_ops = {
	.attach = zcap_dmabuf_attach,
	.detach = zcap_dmabuf_detach,
	.map_dma_buf = zcap_dmabuf_map,
	.unmap_dma_buf = zcap_dmabuf_unmap,
	.release = zcap_dmabuf_release,
	.begin_cpu_access = zcap_dmabuf_begin_cpu_access,
	.end_cpu_access = zcap_dmabuf_end_cpu_access,
	.mmap = zcap_dmabuf_mmap,
	.vmap = zcap_dmabuf_vmap,
	.vunmap = zcap_dmabuf_vunmap,
};

/* Called under pool->lock; the new dma-buf holds a buffer reference. */
struct dma_buf *zcap_buffer_export(struct zcap_buffer *buf, int accmode)
{
	/* Sets .owner = THIS_MODULE: a live dma-buf keeps zcap loaded. */
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dma_buf *dmabuf;

	exp_info.ops = &zcap_dmabuf_ops;
	exp_info.size = buf->size;
	exp_info.flags = accmode;
	exp_info.resv = &buf->resv;
	exp_info.priv = buf;

	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf))
		return dmabuf;

	kref_get(&buf->ref);
	atomic64_inc(&zcap_stats.dmabufs);
	atomic64_inc(&zcap_stats.dmabufs_exported);
	return dmabuf;
}
