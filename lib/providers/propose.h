/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a consumer's input pin proposes upstream. Inline, over the public
 * API only: the filters outside libzcap.so (the DRM sink's library) use
 * it as they are.
 */
#ifndef ZCAP_LIB_PROPOSE_H
#define ZCAP_LIB_PROPOSE_H

#include <stdint.h>

#include <zcap/allocator.h>
#include <zcap/consumers.h>
#include <zcap/error.h>

/*
 * An input pin's propose_allocator: a dma-buf allocator when @flags
 * (ZCAP_CONSUMER_*) ask for one, else ZCAP_E_NO_ALLOCATOR.
 */
static inline int zcapi_propose_dmabuf(uint32_t flags,
				       struct zcap_allocator **out)
{
	*out = NULL;
	if (!(flags & ZCAP_CONSUMER_PROPOSE_ALLOCATOR))
		return ZCAP_E_NO_ALLOCATOR;
	return zcap_allocator_new_dmabuf(ZCAP_PROVIDER_AUTO, out);
}

#endif /* ZCAP_LIB_PROPOSE_H */
