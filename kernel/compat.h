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
 * 6.1 is the oldest kernel supported: dma_buf_ops take a struct iosys_map
 * since 5.18 (struct dma_buf_map before), and both 6.1 and 6.12 have the same
 * iosys_map helpers and the same dma_buf_ops members, so neither needs a shim.
 * What differs is who serialises ->vmap(): dmabuf->lock in 6.1, the dma_resv
 * lock from 6.2 on. zcap takes its own per-buffer lock, which is correct
 * under both rules.
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

#endif /* ZCAP_COMPAT_H */
