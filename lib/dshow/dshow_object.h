/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the COM-style objects of lib/dshow/ share (include/zcap/dshow.h):
 * IMediaSample (dshow_sample.c), IMemAllocator (dshow_allocator.c) and
 * IMemInputPin (dshow_pin.c) over samples, allocators and pins.
 *
 * Each object is its interface followed by a reference count and the
 * libzcap object it wraps; the interface is the first member, so the
 * interface pointer is the object's address. An object is recognised as
 * ours by its vtable, which is how a foreign IMemAllocator or IMediaSample
 * (one that has no libzcap object under it) is refused.
 */
#ifndef ZCAP_DSHOW_OBJECT_H
#define ZCAP_DSHOW_OBJECT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <zcap/dshow.h>

static inline ULONG zcapi_dshow_add_ref(atomic_uint *refs)
{
	return atomic_fetch_add(refs, 1) + 1;
}

static inline ULONG zcapi_dshow_drop_ref(atomic_uint *refs)
{
	return atomic_fetch_sub(refs, 1) - 1;
}

/* A reference on an object that may be in its last Release: none if it is. */
static inline bool zcapi_dshow_get_unless_zero(atomic_uint *refs)
{
	unsigned int n = atomic_load(refs);

	while (n)
		if (atomic_compare_exchange_weak(refs, &n, n + 1))
			return true;
	return false;
}

/* ALLOCATOR_PROPERTIES has 32-bit fields: say at most that much. */
static inline LONG zcapi_dshow_long(uint64_t v)
{
	return v > INT32_MAX ? INT32_MAX : (LONG)v;
}

static inline void zcapi_dshow_props(const struct zcap_alloc_props *p,
				     ALLOCATOR_PROPERTIES *out)
{
	out->cBuffers = zcapi_dshow_long(p->count);
	out->cbBuffer = zcapi_dshow_long(p->size[0]);
	out->cbAlign = zcapi_dshow_long(p->align ? p->align : 1);
	out->cbPrefix = zcapi_dshow_long(p->prefix);
}

#endif /* ZCAP_DSHOW_OBJECT_H */
