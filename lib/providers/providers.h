/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The dma-buf providers (zcap.ko, the system dma-heap, udmabuf) and what
 * they share. Internal to libzcap: the core sees a provider only through
 * struct zcapi_provider (zcap_internal.h); choosing one is
 * provider_select.c's.
 */
#ifndef ZCAP_LIB_PROVIDERS_H
#define ZCAP_LIB_PROVIDERS_H

#include "core/zcap_internal.h"

/*
 * Open one provider. On failure @why (may be NULL) gets one line saying
 * why and what to do about it, and nothing is kept.
 */
ZCAP_INTERNAL int zcapi_zcap_open(struct zcapi_provider *p, char *why, size_t len);
ZCAP_INTERNAL int zcapi_dma_heap_open(struct zcapi_provider *p, char *why, size_t len);
ZCAP_INTERNAL int zcapi_udmabuf_open(struct zcapi_provider *p, char *why, size_t len);

/*
 * zcap_allocator_new_dmabuf(), logging each provider tried (why it failed,
 * or what serves) to @log's log (log.h); @log NULL: no log.
 */
ZCAP_INTERNAL int zcapi_allocator_new_dmabuf_log(struct zcap_filter *log,
						 enum zcap_provider provider,
						 struct zcap_allocator **out);

/*
 * Why @path could not be opened, and what to do: @missing is the advice
 * for a device that is not there (ENOENT, ENODEV, ENXIO); EACCES and EPERM
 * get the group video advice.
 */
ZCAP_INTERNAL void zcapi_open_reason(char *why, size_t len, const char *path,
				     int err, const char *missing);

/*
 * Grant @p in whole pages (dma-buf providers): count capped at @max_count,
 * each block's size raised so that prefix (rounded up to align) + size
 * fills whole pages. -EFBIG when a block would exceed @max_block (0: no
 * limit).
 */
ZCAP_INTERNAL int zcapi_dmabuf_grant(struct zcap_alloc_props *p, uint64_t page,
				     uint32_t max_count, uint64_t max_block);
/* Bytes of block @m of granted @p, and the data offset in it. */
ZCAP_INTERNAL uint64_t zcapi_dmabuf_block_size(const struct zcap_alloc_props *p,
					       uint32_t m, uint64_t *offset);
/* Close every block's dma-buf: the free op of the dma-buf providers. */
ZCAP_INTERNAL void zcapi_dmabuf_free(void *priv, const struct zcap_alloc_props *p,
				     struct zcapi_block *blocks);

#endif /* ZCAP_LIB_PROVIDERS_H */
