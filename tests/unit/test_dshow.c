// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * include/zcap/dshow.h, checked against what DirectShow documents for
 * IMemInputPin, IMemAllocator and IMediaSample, through that header: the
 * libzcap calls here only build the pins and allocators to wrap.
 *
 * GetAllocator returns the proposed allocator, after NotifyAllocator the
 * selected one, VFW_E_NO_ALLOCATOR and a NULL out-pointer when there is
 * none; the caller releases every interface it gets (LeakSanitizer at exit
 * says nothing was kept, AddressSanitizer that nothing was freed twice).
 * GetBuffer before Commit is VFW_E_NOT_COMMITTED; Decommit with a sample
 * out succeeds and the memory goes with the sample's last Release;
 * SetProperties meanwhile is VFW_E_BUFFERS_OUTSTANDING. NULL out-pointers
 * are E_POINTER. Release returns the new count.
 *
 * One test looks under the header (helpers.h's fake dma-buf provider):
 * GetPointer has no end call in DirectShow, so it must sync the dma-buf
 * for the CPU once and the sample's last Release sync it back.
 */
#include <errno.h>
#include <string.h>

#include <linux/videodev2.h>

#include <zcap/dshow.h>
#include <zcap/error.h>
#include <zcap/filter.h>
#include <zcap/pin.h>

#include "helpers.h"
#include "tap.h"

#define BAIL_OUT(msg) do {			\
	printf("Bail out! %s\n", msg);		\
	exit(1);				\
} while (0)

/* What the test input pin does. */
struct in_ctl {
	struct zcap_allocator *propose;	/* NULL: proposes nothing */
	bool has_req;
	struct zcap_alloc_requirements req;
	int received;
	int can_block;
};

static int in_propose(struct zcap_pin *pin, struct zcap_allocator **out)
{
	struct in_ctl *c = zcap_pin_priv(pin);

	if (!c->propose)
		return ZCAP_E_NO_ALLOCATOR;
	*out = zcap_allocator_ref(c->propose);
	return 0;
}

static int in_req(struct zcap_pin *pin, struct zcap_alloc_requirements *req)
{
	struct in_ctl *c = zcap_pin_priv(pin);

	if (!c->has_req)
		return ZCAP_E_NOT_IMPLEMENTED;
	*req = c->req;
	return 0;
}

static int in_receive(struct zcap_pin *pin, struct zcap_sample *s)
{
	(void)s;
	((struct in_ctl *)zcap_pin_priv(pin))->received++;
	return 0;
}

static int in_can_block(struct zcap_pin *pin)
{
	return ((struct in_ctl *)zcap_pin_priv(pin))->can_block;
}

static const struct zcap_input_pin_ops in_ops = {
	.propose_allocator = in_propose,
	.get_requirements = in_req,
	.receive = in_receive,
	.receive_can_block = in_can_block,
};

/* An output pin offering one YUYV format, to connect the input pin to. */
static int out_enum(struct zcap_pin *pin, uint32_t i, struct zcap_format *f)
{
	(void)pin;
	if (i)
		return -ENOENT;
	memset(f, 0, sizeof(*f));
	f->fourcc = V4L2_PIX_FMT_YUYV;
	f->width = 64;
	f->height = 32;
	return zcap_format_layout(f, NULL);
}

static int out_decide(struct zcap_pin *pin, struct zcap_allocator *a,
		      const struct zcap_alloc_requirements *req,
		      const struct zcap_format *fmt, struct zcap_alloc_props *props)
{
	(void)pin;
	(void)a;
	return zcap_alloc_props_decide(req, fmt, 2, props);
}

static const struct zcap_output_pin_ops out_ops = {
	.enum_format = out_enum,
	.decide_buffer_size = out_decide,
};

struct rig {
	struct zcap_filter *f;
	struct zcap_pin *in;
	struct in_ctl ic;
	IMemInputPin *pin;
};

static void rig_init(struct rig *r, const struct zcap_input_pin_ops *ops)
{
	memset(r, 0, sizeof(*r));
	r->ic.can_block = 1;
	zcap_filter_new("sink", NULL, NULL, &r->f);
	zcap_pin_new_input(r->f, "in", ops, &r->ic, &r->in);
	if (zcap_dshow_mem_input_pin(r->in, &r->pin) != S_OK)
		BAIL_OUT("zcap_dshow_mem_input_pin failed");
}

static void rig_fini(struct rig *r)
{
	zcap_filter_destroy(r->f);
	zcap_allocator_unref(r->ic.propose);
}

static struct zcap_allocator *new_mem(void)
{
	struct zcap_allocator *a = NULL;

	if (zcap_allocator_new_memory(&a))
		BAIL_OUT("zcap_allocator_new_memory failed");
	return a;
}

/* An IMemAllocator over a new memory allocator, the object's reference only. */
static IMemAllocator *new_dshow_allocator(void)
{
	struct zcap_allocator *a = new_mem();
	IMemAllocator *ia = NULL;

	if (zcap_dshow_allocator(a, &ia) != S_OK)
		BAIL_OUT("zcap_dshow_allocator failed");
	zcap_allocator_unref(a);
	return ia;
}

static void test_values(void)
{
	/* The numbers DirectShow programs compare against. */
	is(S_OK, 0, "S_OK");
	is(S_FALSE, 1, "S_FALSE");
	is(E_POINTER, (int32_t)0x80004003, "E_POINTER");
	is(E_INVALIDARG, (int32_t)0x80070057, "E_INVALIDARG");
	is(E_OUTOFMEMORY, (int32_t)0x8007000E, "E_OUTOFMEMORY");
	is(E_NOTIMPL, (int32_t)0x80004001, "E_NOTIMPL");
	is(E_FAIL, (int32_t)0x80004005, "E_FAIL");
	is(E_UNEXPECTED, (int32_t)0x8000FFFF, "E_UNEXPECTED");
	is(VFW_E_NOT_CONNECTED, (int32_t)0x80040209, "VFW_E_NOT_CONNECTED");
	is(VFW_E_NO_ALLOCATOR, (int32_t)0x8004020A, "VFW_E_NO_ALLOCATOR");
	is(VFW_E_ALREADY_COMMITTED, (int32_t)0x8004020F, "VFW_E_ALREADY_COMMITTED");
	is(VFW_E_BUFFERS_OUTSTANDING, (int32_t)0x80040210, "VFW_E_BUFFERS_OUTSTANDING");
	is(VFW_E_NOT_COMMITTED, (int32_t)0x80040211, "VFW_E_NOT_COMMITTED");
	is(VFW_E_SIZENOTSET, (int32_t)0x80040212, "VFW_E_SIZENOTSET");
	is(VFW_E_WRONG_STATE, (int32_t)0x80040227, "VFW_E_WRONG_STATE");
	is(VFW_E_TYPE_NOT_ACCEPTED, (int32_t)0x8004022A, "VFW_E_TYPE_NOT_ACCEPTED");
	is(VFW_E_TIMEOUT, (int32_t)0x8004022E, "VFW_E_TIMEOUT");
	ok(FAILED(VFW_E_NO_ALLOCATOR) && SUCCEEDED(S_FALSE), "FAILED / SUCCEEDED");
	is(sizeof(ALLOCATOR_PROPERTIES), 16, "ALLOCATOR_PROPERTIES is four 32-bit LONGs");
}

static void test_hresult_table(void)
{
	static const struct { int err; HRESULT hr; } want[] = {
		{ ZCAP_E_NO_ALLOCATOR, VFW_E_NO_ALLOCATOR },
		{ ZCAP_E_NOT_COMMITTED, VFW_E_NOT_COMMITTED },
		{ ZCAP_E_BUFFERS_OUTSTANDING, VFW_E_BUFFERS_OUTSTANDING },
		{ ZCAP_E_TIMEOUT, VFW_E_TIMEOUT },
		{ ZCAP_E_ALREADY_COMMITTED, VFW_E_ALREADY_COMMITTED },
		{ ZCAP_E_SIZE_NOT_SET, VFW_E_SIZENOTSET },
		{ ZCAP_E_NOT_CONNECTED, VFW_E_NOT_CONNECTED },
		{ ZCAP_E_ALREADY_CONNECTED, VFW_E_ALREADY_CONNECTED },
		{ ZCAP_E_NOT_IMPLEMENTED, E_NOTIMPL },
		{ ZCAP_E_TYPE_NOT_ACCEPTED, VFW_E_TYPE_NOT_ACCEPTED },
		{ ZCAP_E_WRONG_STATE, VFW_E_WRONG_STATE },
		{ ZCAP_E_END_OF_STREAM, VFW_E_SAMPLE_REJECTED_EOS },
		{ ZCAP_E_PROPS_REJECTED, E_FAIL },
		{ ZCAP_E_STALLED, E_FAIL },
		{ ZCAP_E_NO_SOURCE, E_FAIL },
		{ -EINVAL, E_INVALIDARG },
		{ -ENOMEM, E_OUTOFMEMORY },
		{ -EACCES, E_ACCESSDENIED },
		{ -ETIMEDOUT, VFW_E_TIMEOUT },
		{ -EXDEV, E_FAIL },
		{ 0, S_OK },
		{ 3, S_OK },
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!is(zcap_dshow_hresult(want[i].err), want[i].hr,
			"hresult(%d = %s)", want[i].err, zcap_strerror(want[i].err)))
			bad++;
	for (int e = ZCAP_E_BASE; e >= ZCAP_E_LAST; e--)
		if (SUCCEEDED(zcap_dshow_hresult(e)))
			bad++;
	is(bad, 0, "every ZCAP_E_* code is a failure HRESULT");
}

static void test_get_allocator(void)
{
	struct rig r;
	IMemAllocator *got = (void *)1, *again = NULL, *sel;

	rig_init(&r, &in_ops);
	r.ic.propose = new_mem();

	/* Before NotifyAllocator: the proposed one. */
	is(IMemInputPin_GetAllocator(r.pin, &got), S_OK, "GetAllocator before NotifyAllocator");
	ok(got && zcap_dshow_allocator_of(got) == r.ic.propose, "returns the proposed allocator");
	is(IMemInputPin_GetAllocator(r.pin, &again), S_OK, "GetAllocator again");
	ok(again == got, "the same object while the first lives");
	is(IMemAllocator_Release(again), 1, "Release returns the new count (1)");
	is(IMemAllocator_Release(got), 0, "the caller's last Release: 0");

	/* After NotifyAllocator: the selected one, the very interface given. */
	sel = new_dshow_allocator();
	is(IMemInputPin_NotifyAllocator(r.pin, sel, FALSE), S_OK, "NotifyAllocator with another allocator");
	got = NULL;
	is(IMemInputPin_GetAllocator(r.pin, &got), S_OK, "GetAllocator after NotifyAllocator");
	ok(got == sel, "returns the selected allocator's interface");
	ok(zcap_dshow_allocator_of(got) != r.ic.propose, "not the proposed one");
	is(IMemAllocator_Release(got), 1, "the caller's Release leaves ours (1)");
	is(IMemAllocator_Release(sel), 0, "our Release: 0");

	/* The pin keeps the selection without any interface alive. */
	got = NULL;
	is(IMemInputPin_GetAllocator(r.pin, &got), S_OK, "GetAllocator with no interface left");
	ok(got && zcap_dshow_allocator_of(got) != r.ic.propose, "still the selected allocator");
	if (got)
		IMemAllocator_Release(got);

	is(IMemInputPin_AddRef(r.pin), 2, "IMemInputPin AddRef returns 2");
	is(IMemInputPin_Release(r.pin), 1, "Release returns 1");
	is(IMemInputPin_Release(r.pin), 0, "the last Release returns 0");
	rig_fini(&r);
}

static void test_no_allocator(void)
{
	static const struct zcap_input_pin_ops bare = { 0 };
	struct rig r;
	IMemAllocator *got = (void *)1;

	rig_init(&r, &bare);
	is(IMemInputPin_GetAllocator(r.pin, &got), VFW_E_NO_ALLOCATOR,
	   "a pin with nothing to propose: VFW_E_NO_ALLOCATOR");
	ok(got == NULL, "and *ppAllocator is NULL");
	got = (void *)1;
	IMemInputPin_Release(r.pin);
	rig_fini(&r);

	rig_init(&r, &in_ops);	/* has the op, proposes nothing */
	is(IMemInputPin_GetAllocator(r.pin, &got), VFW_E_NO_ALLOCATOR,
	   "a propose op that has nothing: VFW_E_NO_ALLOCATOR");
	ok(got == NULL, "and *ppAllocator is NULL");
	IMemInputPin_Release(r.pin);
	rig_fini(&r);
}

static void test_e_pointer(void)
{
	struct rig r;
	IMemAllocator *a = new_dshow_allocator(), *none = (void *)1;
	IMediaSample *s = NULL;
	ALLOCATOR_PROPERTIES req = { 1, 4096, 1, 0 }, act;
	REFERENCE_TIME t;
	BYTE *p = (void *)1;
	LONG n = 7;

	rig_init(&r, &in_ops);
	is(IMemInputPin_GetAllocator(r.pin, NULL), E_POINTER, "GetAllocator(NULL)");
	is(IMemInputPin_NotifyAllocator(r.pin, NULL, FALSE), E_POINTER, "NotifyAllocator(NULL)");
	is(IMemInputPin_GetAllocatorRequirements(r.pin, NULL), E_POINTER, "GetAllocatorRequirements(NULL)");
	is(IMemInputPin_Receive(r.pin, NULL), E_POINTER, "Receive(NULL)");
	is(IMemInputPin_ReceiveMultiple(r.pin, NULL, 1, &n), E_POINTER, "ReceiveMultiple(NULL samples)");
	is(IMemInputPin_ReceiveMultiple(r.pin, &s, 1, NULL), E_POINTER, "ReceiveMultiple(NULL processed)");
	is(r.pin->lpVtbl->ReceiveCanBlock(NULL), E_POINTER, "a NULL This");

	is(IMemAllocator_SetProperties(a, NULL, &act), E_POINTER, "SetProperties(NULL request)");
	is(IMemAllocator_SetProperties(a, &req, NULL), E_POINTER, "SetProperties(NULL actual)");
	is(IMemAllocator_GetProperties(a, NULL), E_POINTER, "GetProperties(NULL)");
	is(IMemAllocator_GetBuffer(a, NULL, NULL, NULL, 0), E_POINTER, "GetBuffer(NULL)");
	is(IMemAllocator_ReleaseBuffer(a, NULL), E_POINTER, "ReleaseBuffer(NULL)");

	IMemAllocator_SetProperties(a, &req, &act);
	IMemAllocator_Commit(a);
	if (IMemAllocator_GetBuffer(a, &s, NULL, NULL, 0) != S_OK)
		BAIL_OUT("GetBuffer failed");
	is(IMediaSample_GetPointer(s, NULL), E_POINTER, "GetPointer(NULL)");
	is(IMediaSample_GetTime(s, NULL, &t), E_POINTER, "GetTime(NULL start)");
	is(IMediaSample_GetTime(s, &t, NULL), E_POINTER, "GetTime(NULL end)");
	is(s->lpVtbl->GetPointer(NULL, &p), E_POINTER, "GetPointer on a NULL This");
	IMediaSample_Release(s);

	is(zcap_dshow_mem_input_pin(r.in, NULL), E_POINTER, "zcap_dshow_mem_input_pin(NULL out)");
	is(zcap_dshow_allocator(NULL, &none), E_INVALIDARG, "zcap_dshow_allocator(NULL allocator)");
	ok(none == NULL, "sets *out to NULL");
	is(zcap_dshow_sample(NULL, NULL), E_POINTER, "zcap_dshow_sample(NULL out)");
	IMemAllocator_Decommit(a);
	IMemAllocator_Release(a);
	IMemInputPin_Release(r.pin);
	rig_fini(&r);
}

static void test_allocator_contract(void)
{
	IMemAllocator *a = new_dshow_allocator();
	ALLOCATOR_PROPERTIES req = { 2, 4096, 16, 0 }, act = { -1, -1, -1, -1 };
	IMediaSample *s1 = (void *)1, *s2 = NULL, *s3 = (void *)1;
	BYTE *p = NULL;

	is(IMemAllocator_GetProperties(a, &act), S_OK, "GetProperties before SetProperties");
	ok(!act.cBuffers && !act.cbBuffer, "reports nothing set");
	is(IMemAllocator_Commit(a), VFW_E_SIZENOTSET, "Commit before SetProperties: VFW_E_SIZENOTSET");
	req.cbAlign = 0;
	is(IMemAllocator_SetProperties(a, &req, &act), VFW_E_BADALIGN, "cbAlign 0: VFW_E_BADALIGN");
	req.cbAlign = 16;
	is(IMemAllocator_SetProperties(a, &req, &act), S_OK, "SetProperties");
	ok(act.cBuffers >= 2 && act.cbBuffer >= 4096 && act.cbAlign >= 16,
	   "actual at least as asked (%d x %d, align %d)", act.cBuffers, act.cbBuffer, act.cbAlign);

	is(IMemAllocator_GetBuffer(a, &s1, NULL, NULL, 0), VFW_E_NOT_COMMITTED,
	   "GetBuffer before Commit: VFW_E_NOT_COMMITTED");
	ok(s1 == NULL, "and *ppBuffer is NULL");
	is(IMemAllocator_Commit(a), S_OK, "Commit");
	is(IMemAllocator_SetProperties(a, &req, &act), VFW_E_ALREADY_COMMITTED,
	   "SetProperties while committed: VFW_E_ALREADY_COMMITTED");
	is(IMemAllocator_GetBuffer(a, &s1, NULL, NULL, 0), S_OK, "GetBuffer");
	is(IMemAllocator_GetBuffer(a, &s2, NULL, NULL, 0), S_OK, "GetBuffer the second");
	is(IMemAllocator_GetBuffer(a, &s3, NULL, NULL, AM_GBF_NOWAIT), VFW_E_TIMEOUT,
	   "none free and AM_GBF_NOWAIT: VFW_E_TIMEOUT");
	ok(s3 == NULL, "and *ppBuffer is NULL");
	is(IMediaSample_Release(s2), 0, "the sample's last Release returns 0");
	is(IMemAllocator_GetBuffer(a, &s2, NULL, NULL, AM_GBF_NOWAIT), S_OK,
	   "and its buffer is free again");
	is(IMemAllocator_ReleaseBuffer(a, s2), S_OK, "ReleaseBuffer of our own sample");
	is(IMediaSample_Release(s2), 0, "the buffer goes back on Release");

	is(IMemAllocator_Decommit(a), S_OK, "Decommit with a sample out succeeds");
	is(IMemAllocator_GetBuffer(a, &s2, NULL, NULL, 0), VFW_E_NOT_COMMITTED,
	   "GetBuffer after Decommit: VFW_E_NOT_COMMITTED");
	is(IMemAllocator_SetProperties(a, &req, &act), VFW_E_BUFFERS_OUTSTANDING,
	   "SetProperties with a sample out: VFW_E_BUFFERS_OUTSTANDING");
	/* The sample out is still the caller's to use. */
	is(IMediaSample_GetPointer(s1, &p), S_OK, "GetPointer on the sample out");
	ok(p && ((uintptr_t)p & 15) == 0, "a pointer aligned as asked");
	if (p)
		memset(p, 0xa5, 4096);
	ok(IMediaSample_GetSize(s1) >= 4096, "GetSize at least cbBuffer");
	is(IMediaSample_Release(s1), 0, "the last sample's Release");
	is(IMemAllocator_SetProperties(a, &req, &act), S_OK, "then SetProperties succeeds");
	is(IMemAllocator_Release(a), 0, "the allocator's last Release");
}

static IMediaSample *one_sample(IMemAllocator **ap)
{
	ALLOCATOR_PROPERTIES req = { 1, 1024, 1, 0 }, act;
	IMediaSample *s = NULL;

	*ap = new_dshow_allocator();
	if (IMemAllocator_SetProperties(*ap, &req, &act) ||
	    IMemAllocator_Commit(*ap) ||
	    IMemAllocator_GetBuffer(*ap, &s, NULL, NULL, 0))
		BAIL_OUT("one_sample failed");
	return s;
}

static void test_sample(void)
{
	IMemAllocator *a;
	IMediaSample *s = one_sample(&a), *none = (void *)1;
	REFERENCE_TIME start = 1000, end = 2000;
	LONG size = IMediaSample_GetSize(s);

	is(IMediaSample_AddRef(s), 2, "AddRef returns 2");
	is(IMediaSample_Release(s), 1, "Release returns 1");
	is(IMemAllocator_GetBuffer(a, &none, NULL, NULL, AM_GBF_NOWAIT), VFW_E_TIMEOUT,
	   "a referenced sample stays out");

	is(IMediaSample_GetTime(s, &start, &end), VFW_E_SAMPLE_TIME_NOT_SET, "no time yet");
	start = 1000;
	end = 2000;
	is(IMediaSample_SetTime(s, &start, &end), S_OK, "SetTime");
	start = end = 0;
	is(IMediaSample_GetTime(s, &start, &end), VFW_S_NO_STOP_TIME, "GetTime: a start, no stop");
	is(start, 1000, "the start set");
	is(end, 1001, "stop = start + 1, as DirectShow reports a missing stop");

	is(IMediaSample_IsSyncPoint(s), S_FALSE, "not a sync point");
	is(IMediaSample_SetSyncPoint(s, TRUE), S_OK, "SetSyncPoint(TRUE)");
	is(IMediaSample_IsSyncPoint(s), S_OK, "a sync point");
	is(IMediaSample_IsDiscontinuity(s), S_FALSE, "not a discontinuity");
	IMediaSample_SetDiscontinuity(s, TRUE);
	is(IMediaSample_IsDiscontinuity(s), S_OK, "a discontinuity");
	IMediaSample_SetSyncPoint(s, 0);
	is(IMediaSample_IsSyncPoint(s), S_FALSE, "SetSyncPoint(FALSE) clears it");
	is(IMediaSample_IsDiscontinuity(s), S_OK, "and only it");
	is(IMediaSample_IsPreroll(s), S_FALSE, "not preroll");
	IMediaSample_SetPreroll(s, TRUE);
	is(IMediaSample_IsPreroll(s), S_OK, "preroll");
	start = 1000;
	is(IMediaSample_GetTime(s, &start, &end), VFW_S_NO_STOP_TIME, "flags keep the time");

	ok(size >= 1024, "GetSize %d", size);
	is(IMediaSample_SetActualDataLength(s, 100), S_OK, "SetActualDataLength(100)");
	is(IMediaSample_GetActualDataLength(s), 100, "GetActualDataLength");
	is(IMediaSample_SetActualDataLength(s, size + 1), VFW_E_BUFFER_OVERFLOW,
	   "more than the buffer: VFW_E_BUFFER_OVERFLOW");
	is(IMediaSample_SetActualDataLength(s, -1), VFW_E_BUFFER_OVERFLOW, "negative: VFW_E_BUFFER_OVERFLOW");

	is(IMediaSample_Release(s), 0, "the last Release");
	is(IMemAllocator_GetBuffer(a, &s, NULL, NULL, AM_GBF_NOWAIT), S_OK,
	   "gave the buffer back to the allocator");
	is(IMediaSample_IsSyncPoint(s), S_FALSE, "a fresh sample has no flags");
	IMediaSample_Release(s);
	IMemAllocator_Decommit(a);
	is(IMemAllocator_Release(a), 0, "allocator Release");
}

static void test_get_pointer_sync(void)
{
	struct zcap_allocator *za = NULL;
	struct fake_prov *fp = NULL;
	ALLOCATOR_PROPERTIES req = { 1, 4096, 1, 0 }, act;
	IMemAllocator *a = NULL;
	IMediaSample *s = NULL;
	BYTE *p1 = NULL, *p2 = NULL;
	struct zcap_sample *zs;
	uint32_t n0;

	if (fake_allocator(&za, &fp) || zcap_dshow_allocator(za, &a) != S_OK)
		BAIL_OUT("fake allocator failed");
	zcap_allocator_unref(za);
	if (IMemAllocator_SetProperties(a, &req, &act) || IMemAllocator_Commit(a) ||
	    IMemAllocator_GetBuffer(a, &s, NULL, NULL, 0))
		BAIL_OUT("fake allocator sample failed");
	n0 = fp->n_syncs;
	is(IMediaSample_GetPointer(s, &p1), S_OK, "GetPointer on a dma-buf sample");
	is(IMediaSample_GetPointer(s, &p2), S_OK, "GetPointer again");
	ok(p1 && p1 == p2, "the same pointer");
	is(fp->n_syncs, n0 + 1, "one sync for the CPU");
	is(fp->syncs[n0].flags, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW, "read-write start");
	is(IMediaSample_AddRef(s), 2, "AddRef");
	is(IMediaSample_Release(s), 1, "a Release that is not the last");
	is(fp->n_syncs, n0 + 1, "does not end the CPU access");
	/* Someone downstream keeps the sample itself: the object's end is its own. */
	zs = zcap_sample_ref(zcap_dshow_sample_of(s));
	is(IMediaSample_Release(s), 0, "the last Release");
	is(fp->n_syncs, n0 + 2, "ends it, though the sample lives on");
	is(fp->syncs[n0 + 1].flags, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW, "read-write end");
	zcap_sample_unref(zs);
	is(fp->n_syncs, n0 + 2, "nothing left to end when the buffer goes back");
	IMemAllocator_Decommit(a);
	IMemAllocator_Release(a);
}

static void test_requirements(void)
{
	struct rig r;
	ALLOCATOR_PROPERTIES p = { -1, -1, -1, -1 };

	rig_init(&r, &in_ops);
	is(IMemInputPin_GetAllocatorRequirements(r.pin, &p), E_NOTIMPL,
	   "no requirements: E_NOTIMPL");
	r.ic.has_req = true;
	r.ic.req.props.count = 2;
	r.ic.req.props.size[0] = 8192;
	r.ic.req.props.align = 64;
	r.ic.req.props.prefix = 16;
	r.ic.req.held = 3;
	is(IMemInputPin_GetAllocatorRequirements(r.pin, &p), S_OK, "GetAllocatorRequirements");
	is(p.cBuffers, 4, "cBuffers: 3 held + 1 beats 2");
	is(p.cbBuffer, 8192, "cbBuffer");
	is(p.cbAlign, 64, "cbAlign");
	is(p.cbPrefix, 16, "cbPrefix");
	r.ic.req.held = UINT32_MAX;
	is(IMemInputPin_GetAllocatorRequirements(r.pin, &p), S_OK,
	   "GetAllocatorRequirements of a pin holding UINT32_MAX");
	is(p.cBuffers, INT32_MAX, "cBuffers: the most a LONG says, not held + 1 wrapped to 0");
	IMemInputPin_Release(r.pin);
	rig_fini(&r);
}

static void test_receive(void)
{
	/* An IMemAllocator and an IMediaSample that libzcap did not make. */
	static const IMemAllocatorVtbl fav;
	static const IMediaSampleVtbl fsv;
	IMemAllocator foreign_a = { &fav };
	IMediaSample foreign_s = { &fsv };
	struct zcap_filter *src;
	struct zcap_pin *out;
	IMemAllocator *a, *other;
	IMediaSample *s = one_sample(&a), *two[2] = { s, s };
	struct rig r;
	LONG n = 9;

	rig_init(&r, &in_ops);
	is(IMemInputPin_NotifyAllocator(r.pin, &foreign_a, FALSE), E_INVALIDARG,
	   "NotifyAllocator with an allocator libzcap did not make: E_INVALIDARG");
	is(IMemInputPin_Receive(r.pin, &foreign_s), E_INVALIDARG, "Receive of a foreign sample");
	is(IMemAllocator_ReleaseBuffer(a, &foreign_s), E_INVALIDARG, "ReleaseBuffer of a foreign sample");
	other = new_dshow_allocator();
	is(IMemAllocator_ReleaseBuffer(other, s), E_INVALIDARG,
	   "ReleaseBuffer of another allocator's sample");
	IMemAllocator_Release(other);
	is(IMemInputPin_Receive(r.pin, s), VFW_E_NOT_CONNECTED, "Receive unconnected: VFW_E_NOT_CONNECTED");
	is(IMemInputPin_ReceiveCanBlock(r.pin), S_OK, "ReceiveCanBlock: S_OK when it may block");
	r.ic.can_block = 0;
	is(IMemInputPin_ReceiveCanBlock(r.pin), S_FALSE, "S_FALSE when it never does");

	zcap_filter_new("src", NULL, NULL, &src);
	zcap_pin_new_output(src, "out", &out_ops, NULL, &out);
	r.ic.propose = new_mem();
	is(zcap_pin_connect(out, r.in, NULL), 0, "connect");
	is(IMemInputPin_Receive(r.pin, s), VFW_E_WRONG_STATE, "Receive while stopped: VFW_E_WRONG_STATE");
	zcap_filter_run(r.f);
	is(IMemInputPin_Receive(r.pin, s), S_OK, "Receive while running");
	is(IMemInputPin_ReceiveMultiple(r.pin, two, 2, &n), S_OK, "ReceiveMultiple of 2");
	is(n, 2, "2 processed");
	is(r.ic.received, 3, "the pin received 3");
	two[1] = NULL;
	is(IMemInputPin_ReceiveMultiple(r.pin, two, 2, &n), E_POINTER, "a NULL sample among them");
	is(n, 0, "none processed");
	is(r.ic.received, 3, "none received");
	is(IMemInputPin_ReceiveMultiple(r.pin, two, -1, &n), E_INVALIDARG, "a negative count");
	zcap_filter_stop(r.f);

	IMediaSample_Release(s);
	IMemAllocator_Decommit(a);
	IMemAllocator_Release(a);
	IMemInputPin_Release(r.pin);
	rig_fini(&r);
	zcap_filter_destroy(src);
}

static void test_wrap_checks(void)
{
	struct zcap_filter *f;
	struct zcap_pin *out;
	IMemInputPin *p = (void *)1;

	zcap_filter_new("src", NULL, NULL, &f);
	zcap_pin_new_output(f, "out", &out_ops, NULL, &out);
	is(zcap_dshow_mem_input_pin(out, &p), E_INVALIDARG, "an output pin is no IMemInputPin");
	ok(p == NULL, "and *out is NULL");
	ok(zcap_dshow_pin_of(NULL) == NULL && zcap_dshow_sample_of(NULL) == NULL &&
	   zcap_dshow_allocator_of(NULL) == NULL, "the _of lookups of NULL are NULL");
	zcap_filter_destroy(f);
}

int main(void)
{
	/* A GetBuffer that ignored AM_GBF_NOWAIT would block: fail instead. */
	alarm(60);
	test_values();
	test_hresult_table();
	test_get_allocator();
	test_no_allocator();
	test_e_pointer();
	test_allocator_contract();
	test_sample();
	test_get_pointer_sync();
	test_requirements();
	test_receive();
	test_wrap_checks();
	return tap_done();
}
