// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * IMediaSample over a sample: the buffer, its times and flags, CPU access
 * (dshow_object.h says what every object here is).
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <zcap/dshow.h>

#include "core/zcap_internal.h"
#include "dshow_object.h"

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

	return o ? zcapi_dshow_add_ref(&o->refs) : 0;
}

/* The last Release ends the CPU access GetPointer began, then gives the buffer back. */
static ULONG sample_release(IMediaSample *p)
{
	struct dshow_sample *o = sample_obj(p);
	ULONG n;

	if (!o)
		return 0;
	n = zcapi_dshow_drop_ref(&o->refs);
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
	return zcapi_dshow_long(m.length);
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

	return o ? zcapi_dshow_long(zcap_sample_bytesused(o->s, 0)) : 0;
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
