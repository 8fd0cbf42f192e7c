/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels zcap builds for (Linux 6.1 to 6.12,
 * and forward where the change is already known) lives here, so the rest of
 * the module is written against one API.
 */
#ifndef ZCAP_COMPAT_H
#define ZCAP_COMPAT_H

#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/version.h>

/*
 * 6.1 is the oldest kernel supported. Between 6.1 and 6.12 these need no
 * shim, as their headers show:
 * - struct dma_buf_ops has the same members (cache_sgt_mapping, pin/unpin,
 *   vmap/vunmap taking a struct iosys_map, which replaced struct dma_buf_map
 *   in 5.18), and iosys-map.h the same helpers.
 * - What moved is the locking around the callbacks: from 6.2 on ->vmap and
 *   ->map_dma_buf run under the dma_resv lock, in 6.1 ->vmap runs under
 *   dmabuf->lock and ->map_dma_buf under no lock for static attachments.
 *   zcap never relies on either: a per-buffer mutex, always taken last,
 *   guards its own state, and both dma-bufs of a buffer share that buffer's
 *   state, which no per-dma-buf lock could cover anyway.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "zcap needs Linux 6.1 or later"
#endif

/*
 * Largest order the buddy allocator hands out. MAX_ORDER was exclusive up
 * to 6.3, inclusive in 6.4 to 6.7, and is MAX_PAGE_ORDER since 6.8; through
 * all of it MAX_ORDER_NR_PAGES has been the page count of that largest block,
 * so deriving the order from it needs no version test.
 */
#define ZCAP_MAX_ORDER		ilog2(MAX_ORDER_NR_PAGES)

/* Symbol namespaces are string literals from 6.13 on. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define ZCAP_IMPORT_NS_DMA_BUF	MODULE_IMPORT_NS("DMA_BUF")
#else
#define ZCAP_IMPORT_NS_DMA_BUF	MODULE_IMPORT_NS(DMA_BUF)
#endif

/* vm_flags became read-only behind accessors in 6.3. */
static inline void zcap_vm_flags_set(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline void zcap_vm_flags_clear(struct vm_area_struct *vma,
				       vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

#endif /* ZCAP_COMPAT_H */
