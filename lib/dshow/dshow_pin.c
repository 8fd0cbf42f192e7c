// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * IMemInputPin over an input pin: its allocator, requirements and
 * receive (dshow_object.h says what every object here is).
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <zcap/dshow.h>

#include "dshow_object.h"

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

	return o ? zcapi_dshow_add_ref(&o->refs) : 0;
}

static ULONG pin_release(IMemInputPin *p)
{
	struct dshow_pin *o = pin_obj(p);
	ULONG n;

	if (!o)
		return 0;
	n = zcapi_dshow_drop_ref(&o->refs);
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
	/* One beyond what it holds, as connecting asks; saturated, not 0. */
	if (req.held && req.props.count <= req.held)
		req.props.count = req.held < UINT32_MAX ? req.held + 1 : UINT32_MAX;
	zcapi_dshow_props(&req.props, out);
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
