// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * COM-style IMemInputPin, IMemAllocator and IMediaSample objects over
 * pins, allocators and samples (include/zcap/dshow.h).
 *
 * Each object is its interface followed by a reference count and the
 * libzcap object it wraps; the interface is the first member, so the
 * interface pointer is the object's address. An object is recognised as
 * ours by its vtable, which is how a foreign IMemAllocator or IMediaSample
 * (one that has no libzcap object under it) is refused.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <zcap/dshow.h>

#include "core/zcap_internal.h"

static ULONG refs_add(atomic_uint *refs)
{
	return atomic_fetch_add(refs, 1) + 1;
}

static ULONG refs_drop(atomic_uint *refs)
{
	return atomic_fetch_sub(refs, 1) - 1;
}

/* A reference on an object that may be in its last Release: none if it is. */
static bool refs_get_unless_zero(atomic_uint *refs)
{
	unsigned int n = atomic_load(refs);

	while (n)
		if (atomic_compare_exchange_weak(refs, &n, n + 1))
			return true;
	return false;
}

/* ALLOCATOR_PROPERTIES has 32-bit fields: say at most that much. */
static LONG clamp_long(uint64_t v)
{
	return v > INT32_MAX ? INT32_MAX : (LONG)v;
}

static void props_to_dshow(const struct zcap_alloc_props *p,
			   ALLOCATOR_PROPERTIES *out)
{
	out->cBuffers = clamp_long(p->count);
	out->cbBuffer = clamp_long(p->size[0]);
	out->cbAlign = clamp_long(p->align ? p->align : 1);
	out->cbPrefix = clamp_long(p->prefix);
}

/* ---------------------------------------------------------------------
 * IMediaSample
 */

struct dshow_sample {
	IMediaSample iface;		/* first: see the top of the file */
	atomic_uint refs;
	struct zcap_sample *s;
	pthread_mutex_t lock;		/* cpu_open */
	bool cpu_open;			/* GetPointer began CPU access */
};

static const IMediaSampleVtbl sample_vtbl;

static struct dshow_sample *sample_obj(IMediaSample *p)
{
	return p && p->lpVtbl == &sample_vtbl ? (struct dshow_sample *)p : NULL;
}

struct zcap_sample *zcap_dshow_sample_of(IMediaSample *p)
{
	struct dshow_sample *o = sample_obj(p);

	return o ? o->s : NULL;
}

static ULONG sample_add_ref(IMediaSample *p)
{
	struct dshow_sample *o = sample_obj(p);

	return o ? refs_add(&o->refs) : 0;
}

/* The last Release ends the CPU access GetPointer began, then gives the buffer back. */
static ULONG sample_release(IMediaSample *p)
{
	struct dshow_sample *o = sample_obj(p);
	ULONG n;

	if (!o)
		return 0;
	n = refs_drop(&o->refs);
	if (n)
		return n;
	if (o->cpu_open)
		zcap_sample_cpu_end(o->s);
	zcap_sample_unref(o->s);
	pthread_mutex_destroy(&o->lock);
	free(o);
	return 0;
}

/*
 * DirectShow's pointer has no begin/end around it, so the first
 * GetPointer begins read-write CPU access (the dma-buf sync) and the
 * object's last Release ends it: the pointer is valid in between.
 */
static HRESULT sample_get_pointer(IMediaSample *p, BYTE **out)
{
	struct dshow_sample *o = sample_obj(p);
	int ret = 0;

	if (!o || !out)
		return E_POINTER;
	*out = NULL;
	pthread_mutex_lock(&o->lock);
	if (!o->cpu_open)
		ret = zcap_sample_cpu_begin(o->s, ZCAP_ACCESS_READ | ZCAP_ACCESS_WRITE);
	if (!ret)
		o->cpu_open = true;
	pthread_mutex_unlock(&o->lock);
	if (ret)
		return zcap_dshow_hresult(ret);
	*out = zcap_sample_data(o->s, 0);
	return S_OK;
}

static LONG sample_get_size(IMediaSample *p)
{
	struct dshow_sample *o = sample_obj(p);
	struct zcap_mem m;

	if (!o || zcap_sample_mem(o->s, 0, &m))
		return 0;
	return clamp_long(m.length);
}

/* libzcap keeps one time, the capture's: a start and no stop. */
static HRESULT sample_get_time(IMediaSample *p, REFERENCE_TIME *start,
			       REFERENCE_TIME *end)
{
	struct dshow_sample *o = sample_obj(p);
	int64_t ns;

	if (!o || !start || !end)
		return E_POINTER;
	if (zcap_sample_time(o->s, &ns))
		return VFW_E_SAMPLE_TIME_NOT_SET;
	*start = ns / 100;
	*end = *start + 1;
	return VFW_S_NO_STOP_TIME;
}

/* A time once set cannot be cleared in libzcap: no NULL start. */
static HRESULT sample_set_time(IMediaSample *p, REFERENCE_TIME *start,
			       REFERENCE_TIME *end)
{
	struct dshow_sample *o = sample_obj(p);

	(void)end;
	if (!o)
		return E_POINTER;
	if (!start)
		return E_NOTIMPL;
	if (*start > INT64_MAX / 100 || *start < INT64_MIN / 100)
		return E_INVALIDARG;
	zcap_sample_set_time(o->s, *start * 100);
	return S_OK;
}

static HRESULT sample_is_flag(IMediaSample *p, uint32_t flag)
{
	struct dshow_sample *o = sample_obj(p);

	if (!o)
		return E_POINTER;
	return zcap_sample_flags(o->s) & flag ? S_OK : S_FALSE;
}

static HRESULT sample_set_flag(IMediaSample *p, uint32_t flag, BOOL on)
{
	struct dshow_sample *o = sample_obj(p);
	uint32_t f;

	if (!o)
		return E_POINTER;
	f = zcap_sample_flags(o->s);
	zcap_sample_set_flags(o->s, on ? f | flag : f & ~flag);
	return S_OK;
}

static HRESULT sample_is_sync_point(IMediaSample *p)
{
	return sample_is_flag(p, ZCAP_SAMPLE_SYNC_POINT);
}

static HRESULT sample_set_sync_point(IMediaSample *p, BOOL on)
{
	return sample_set_flag(p, ZCAP_SAMPLE_SYNC_POINT, on);
}

static HRESULT sample_is_preroll(IMediaSample *p)
{
	return sample_is_flag(p, ZCAP_SAMPLE_PREROLL);
}

static HRESULT sample_set_preroll(IMediaSample *p, BOOL on)
{
	return sample_set_flag(p, ZCAP_SAMPLE_PREROLL, on);
}

static HRESULT sample_is_discontinuity(IMediaSample *p)
{
	return sample_is_flag(p, ZCAP_SAMPLE_DISCONTINUITY);
}

static HRESULT sample_set_discontinuity(IMediaSample *p, BOOL on)
{
	return sample_set_flag(p, ZCAP_SAMPLE_DISCONTINUITY, on);
}

static LONG sample_get_actual_data_length(IMediaSample *p)
{
	struct dshow_sample *o = sample_obj(p);

	return o ? clamp_long(zcap_sample_bytesused(o->s, 0)) : 0;
}

/* More than the buffer holds, or less than nothing, is an overflow in DirectShow. */
static HRESULT sample_set_actual_data_length(IMediaSample *p, LONG len)
{
	struct dshow_sample *o = sample_obj(p);

	if (!o)
		return E_POINTER;
	if (len < 0 || zcap_sample_set_bytesused(o->s, 0, (uint64_t)len))
		return VFW_E_BUFFER_OVERFLOW;
	return S_OK;
}

static const IMediaSampleVtbl sample_vtbl = {
	.AddRef = sample_add_ref,
	.Release = sample_release,
	.GetPointer = sample_get_pointer,
	.GetSize = sample_get_size,
	.GetTime = sample_get_time,
	.SetTime = sample_set_time,
	.IsSyncPoint = sample_is_sync_point,
	.SetSyncPoint = sample_set_sync_point,
	.IsPreroll = sample_is_preroll,
	.SetPreroll = sample_set_preroll,
	.GetActualDataLength = sample_get_actual_data_length,
	.SetActualDataLength = sample_set_actual_data_length,
	.IsDiscontinuity = sample_is_discontinuity,
	.SetDiscontinuity = sample_set_discontinuity,
};

HRESULT zcap_dshow_sample(struct zcap_sample *s, IMediaSample **out)
{
	struct dshow_sample *o;

	if (!out)
		return E_POINTER;
	*out = NULL;
	if (!s)
		return E_INVALIDARG;
	o = calloc(1, sizeof(*o));
	if (!o)
		return E_OUTOFMEMORY;
	if (pthread_mutex_init(&o->lock, NULL)) {
		free(o);
		return E_OUTOFMEMORY;
	}
	o->iface.lpVtbl = &sample_vtbl;
	atomic_init(&o->refs, 1);
	o->s = zcap_sample_ref(s);
	*out = &o->iface;
	return S_OK;
}

/* ---------------------------------------------------------------------
 * IMemAllocator
 */

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

	return o ? refs_add(&o->refs) : 0;
}

static ULONG allocator_release(IMemAllocator *p)
{
	struct dshow_allocator *o = allocator_obj(p);
	ULONG n;

	if (!o)
		return 0;
	n = refs_drop(&o->refs);
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
	props_to_dshow(&got, actual);
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
	props_to_dshow(&got, out);
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
	if (!o || !refs_get_unless_zero(&o->refs)) {
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

/* ---------------------------------------------------------------------
 * IMemInputPin
 */

struct dshow_pin {
	IMemInputPin iface;		/* first */
	atomic_uint refs;
	struct zcap_pin *pin;		/* not counted: its filter owns it */
};

static const IMemInputPinVtbl pin_vtbl;

static struct dshow_pin *pin_obj(IMemInputPin *p)
{
	return p && p->lpVtbl == &pin_vtbl ? (struct dshow_pin *)p : NULL;
}

struct zcap_pin *zcap_dshow_pin_of(IMemInputPin *p)
{
	struct dshow_pin *o = pin_obj(p);

	return o ? o->pin : NULL;
}

static ULONG pin_add_ref(IMemInputPin *p)
{
	struct dshow_pin *o = pin_obj(p);

	return o ? refs_add(&o->refs) : 0;
}

static ULONG pin_release(IMemInputPin *p)
{
	struct dshow_pin *o = pin_obj(p);
	ULONG n;

	if (!o)
		return 0;
	n = refs_drop(&o->refs);
	if (!n)
		free(o);
	return n;
}

/* A new IMemAllocator object for the caller over the pin's allocator. */
static HRESULT pin_get_allocator(IMemInputPin *p, IMemAllocator **out)
{
	struct dshow_pin *o = pin_obj(p);
	struct zcap_allocator *a;
	HRESULT hr;
	int ret;

	if (!o || !out)
		return E_POINTER;
	*out = NULL;
	ret = zcap_pin_get_allocator(o->pin, &a);
	if (ret)
		return zcap_dshow_hresult(ret);
	hr = zcap_dshow_allocator(a, out);
	zcap_allocator_unref(a);
	return hr;
}

static HRESULT pin_notify_allocator(IMemInputPin *p, IMemAllocator *alloc,
				    BOOL read_only)
{
	struct dshow_pin *o = pin_obj(p);
	struct zcap_allocator *a = zcap_dshow_allocator_of(alloc);

	if (!o || !alloc)
		return E_POINTER;
	/* A foreign allocator has no libzcap allocator to hand the pin. */
	if (!a)
		return E_INVALIDARG;
	return zcap_dshow_hresult(zcap_pin_notify_allocator(o->pin, a, read_only != 0));
}

/*
 * The pin needs held + 1 buffers at least (one it holds more than it
 * keeps, as the connection checks); ALLOCATOR_PROPERTIES only has the total.
 */
static HRESULT pin_get_allocator_requirements(IMemInputPin *p,
					      ALLOCATOR_PROPERTIES *out)
{
	struct dshow_pin *o = pin_obj(p);
	struct zcap_alloc_requirements req;
	int ret;

	if (!o || !out)
		return E_POINTER;
	memset(out, 0, sizeof(*out));
	ret = zcap_pin_get_allocator_requirements(o->pin, &req);
	if (ret)
		return zcap_dshow_hresult(ret);
	if (req.held && req.props.count < req.held + 1)
		req.props.count = req.held + 1;
	props_to_dshow(&req.props, out);
	return S_OK;
}

static HRESULT pin_receive(IMemInputPin *p, IMediaSample *sample)
{
	struct dshow_pin *o = pin_obj(p);
	struct zcap_sample *s = zcap_dshow_sample_of(sample);

	if (!o || !sample)
		return E_POINTER;
	if (!s)
		return E_INVALIDARG;
	return zcap_dshow_hresult(zcap_pin_receive(o->pin, s));
}

/* Every sample is checked before the first is received, as libzcap does. */
static HRESULT pin_receive_multiple(IMemInputPin *p, IMediaSample **samples,
				    LONG n, LONG *processed)
{
	struct dshow_pin *o = pin_obj(p);
	struct zcap_sample **s = NULL;
	uint32_t done = 0;
	HRESULT hr = S_OK;
	LONG i;

	if (!o || !processed || (n > 0 && !samples))
		return E_POINTER;
	*processed = 0;
	if (n < 0)
		return E_INVALIDARG;
	if (n && !(s = calloc((size_t)n, sizeof(*s))))
		return E_OUTOFMEMORY;
	for (i = 0; i < n && hr == S_OK; i++) {
		s[i] = zcap_dshow_sample_of(samples[i]);
		if (!s[i])
			hr = samples[i] ? E_INVALIDARG : E_POINTER;
	}
	if (hr == S_OK) {
		hr = zcap_dshow_hresult(zcap_pin_receive_multiple(o->pin, s,
								  (uint32_t)n, &done));
		*processed = (LONG)done;
	}
	free(s);
	return hr;
}

static HRESULT pin_receive_can_block(IMemInputPin *p)
{
	struct dshow_pin *o = pin_obj(p);
	int ret;

	if (!o)
		return E_POINTER;
	ret = zcap_pin_receive_can_block(o->pin);
	if (ret < 0)
		return zcap_dshow_hresult(ret);
	return ret ? S_OK : S_FALSE;
}

static const IMemInputPinVtbl pin_vtbl = {
	.AddRef = pin_add_ref,
	.Release = pin_release,
	.GetAllocator = pin_get_allocator,
	.NotifyAllocator = pin_notify_allocator,
	.GetAllocatorRequirements = pin_get_allocator_requirements,
	.Receive = pin_receive,
	.ReceiveMultiple = pin_receive_multiple,
	.ReceiveCanBlock = pin_receive_can_block,
};

HRESULT zcap_dshow_mem_input_pin(struct zcap_pin *pin, IMemInputPin **out)
{
	struct dshow_pin *o;

	if (!out)
		return E_POINTER;
	*out = NULL;
	if (!pin || zcap_pin_direction(pin) != ZCAP_PIN_INPUT)
		return E_INVALIDARG;
	o = calloc(1, sizeof(*o));
	if (!o)
		return E_OUTOFMEMORY;
	o->iface.lpVtbl = &pin_vtbl;
	atomic_init(&o->refs, 1);
	o->pin = pin;
	*out = &o->iface;
	return S_OK;
}
