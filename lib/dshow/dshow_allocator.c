// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * IMemAllocator over an allocator, one object per allocator while it
 * lives (dshow_object.h says what every object here is).
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <zcap/dshow.h>

#include "core/zcap_internal.h"
#include "dshow_object.h"

struct dshow_allocator {
	IMemAllocator iface;		/* first */
	atomic_uint refs;
	struct zcap_allocator *a;
};

static const IMemAllocatorVtbl allocator_vtbl;

static struct dshow_allocator *allocator_obj(IMemAllocator *p)
{
	return p && p->lpVtbl == &allocator_vtbl ? (struct dshow_allocator *)p : NULL;
}

struct zcap_allocator *zcap_dshow_allocator_of(IMemAllocator *p)
{
	struct dshow_allocator *o = allocator_obj(p);

	return o ? o->a : NULL;
}

static ULONG allocator_add_ref(IMemAllocator *p)
{
	struct dshow_allocator *o = allocator_obj(p);

	return o ? zcapi_dshow_add_ref(&o->refs) : 0;
}

static ULONG allocator_release(IMemAllocator *p)
{
	struct dshow_allocator *o = allocator_obj(p);
	ULONG n;

	if (!o)
		return 0;
	n = zcapi_dshow_drop_ref(&o->refs);
	if (n)
		return n;
	/* GetAllocator may have made a successor already: leave that one. */
	pthread_mutex_lock(&o->a->lock);
	if (o->a->dshow == o)
		o->a->dshow = NULL;
	pthread_mutex_unlock(&o->a->lock);
	zcap_allocator_unref(o->a);
	free(o);
	return 0;
}

/*
 * DirectShow wants a power-of-two alignment (0 is not one: VFW_E_BADALIGN)
 * and no negative sizes; libzcap then rounds as its provider needs.
 */
static HRESULT allocator_set_properties(IMemAllocator *p,
					const ALLOCATOR_PROPERTIES *req,
					ALLOCATOR_PROPERTIES *actual)
{
	struct dshow_allocator *o = allocator_obj(p);
	struct zcap_alloc_props want = { .n_mem = 1 }, got;
	int ret;

	if (!o || !req || !actual)
		return E_POINTER;
	if (req->cbAlign <= 0 || !zcapi_is_pow2((uint64_t)req->cbAlign))
		return VFW_E_BADALIGN;
	if (req->cBuffers < 0 || req->cbBuffer < 0 || req->cbPrefix < 0)
		return E_INVALIDARG;
	want.count = (uint32_t)req->cBuffers;
	want.size[0] = (uint64_t)req->cbBuffer;
	want.align = (uint32_t)req->cbAlign;
	want.prefix = (uint32_t)req->cbPrefix;
	ret = zcap_allocator_set_properties(o->a, &want, &got);
	if (ret)
		return zcap_dshow_hresult(ret);
	zcapi_dshow_props(&got, actual);
	return S_OK;
}

/* Before SetProperties DirectShow reports zeros, not an error. */
static HRESULT allocator_get_properties(IMemAllocator *p,
					ALLOCATOR_PROPERTIES *out)
{
	struct dshow_allocator *o = allocator_obj(p);
	struct zcap_alloc_props got;
	int ret;

	if (!o || !out)
		return E_POINTER;
	memset(out, 0, sizeof(*out));
	ret = zcap_allocator_get_properties(o->a, &got);
	if (ret == ZCAP_E_SIZE_NOT_SET)
		return S_OK;
	if (ret)
		return zcap_dshow_hresult(ret);
	zcapi_dshow_props(&got, out);
	return S_OK;
}

static HRESULT allocator_commit(IMemAllocator *p)
{
	struct dshow_allocator *o = allocator_obj(p);

	return o ? zcap_dshow_hresult(zcap_allocator_commit(o->a)) : E_POINTER;
}

static HRESULT allocator_decommit(IMemAllocator *p)
{
	struct dshow_allocator *o = allocator_obj(p);

	return o ? zcap_dshow_hresult(zcap_allocator_decommit(o->a)) : E_POINTER;
}

/* The sample object takes its own reference; ours from get_buffer is dropped. */
static HRESULT allocator_get_buffer(IMemAllocator *p, IMediaSample **out,
				    REFERENCE_TIME *start, REFERENCE_TIME *end,
				    DWORD flags)
{
	struct dshow_allocator *o = allocator_obj(p);
	struct zcap_sample *s;
	HRESULT hr;
	int ret;

	(void)start;
	(void)end;
	if (!o || !out)
		return E_POINTER;
	*out = NULL;
	ret = zcap_allocator_get_buffer(o->a, flags & AM_GBF_NOWAIT ? 0 : -1, &s);
	if (ret)
		return zcap_dshow_hresult(ret);
	hr = zcap_dshow_sample(s, out);
	zcap_sample_unref(s);
	return hr;
}

static HRESULT allocator_release_buffer(IMemAllocator *p, IMediaSample *sample)
{
	struct dshow_allocator *o = allocator_obj(p);
	struct zcap_sample *s = zcap_dshow_sample_of(sample);

	if (!o || !sample)
		return E_POINTER;
	if (!s || zcap_sample_allocator(s) != o->a)
		return E_INVALIDARG;
	return S_OK;
}

static const IMemAllocatorVtbl allocator_vtbl = {
	.AddRef = allocator_add_ref,
	.Release = allocator_release,
	.SetProperties = allocator_set_properties,
	.GetProperties = allocator_get_properties,
	.Commit = allocator_commit,
	.Decommit = allocator_decommit,
	.GetBuffer = allocator_get_buffer,
	.ReleaseBuffer = allocator_release_buffer,
};

/*
 * One object per allocator while it lives: the selected allocator that
 * GetAllocator returns is the very IMemAllocator that NotifyAllocator
 * was given, as DirectShow code compares them.
 */
HRESULT zcap_dshow_allocator(struct zcap_allocator *a, IMemAllocator **out)
{
	struct dshow_allocator *o;
	HRESULT hr = S_OK;

	if (!out)
		return E_POINTER;
	*out = NULL;
	if (!a)
		return E_INVALIDARG;
	pthread_mutex_lock(&a->lock);
	o = a->dshow;
	if (!o || !zcapi_dshow_get_unless_zero(&o->refs)) {
		o = calloc(1, sizeof(*o));
		if (o) {
			o->iface.lpVtbl = &allocator_vtbl;
			atomic_init(&o->refs, 1);
			o->a = zcap_allocator_ref(a);
			a->dshow = o;
		} else {
			hr = E_OUTOFMEMORY;
		}
	}
	pthread_mutex_unlock(&a->lock);
	if (o)
		*out = &o->iface;
	return hr;
}
