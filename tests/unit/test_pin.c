// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Pins: GetAllocator before and after NotifyAllocator (with reference
 * counts), NO_ALLOCATOR, DecideAllocator's fallback to the output pin's
 * own allocator, requirements reconciliation and the check of what was
 * granted, format negotiation, disconnect, delivery.
 */
#include <errno.h>
#include <string.h>

#include <linux/videodev2.h>

#include <zcap/error.h>
#include <zcap/filter.h>
#include <zcap/pin.h>

#include "helpers.h"
#include "tap.h"

/* What a test input pin does, set per test. */
struct in_ctl {
	struct zcap_allocator *propose;	/* proposed (we keep our reference) */
	int propose_ret;
	bool has_req;
	int req_ret;
	struct zcap_alloc_requirements req;
	int notify_ret;
	int notified;
	struct zcap_allocator *notified_a;
	uint32_t accept_fourcc;		/* 0: any */
	int received;
	int fail_receive_at;		/* 1-based; 0: never */
	int eos;
	int disconnects;
};

/* What a test output pin does. */
struct out_ctl {
	struct zcap_format fmts[3];
	uint32_t n_fmts;
	struct zcap_allocator *own;	/* NULL: no own_allocator op result */
	bool query_ok;
	int queried;
	int decided;
	struct zcap_allocator *decided_a;
	struct zcap_alloc_props asked;
	int disconnects;
};

static int in_propose(struct zcap_pin *pin, struct zcap_allocator **out)
{
	struct in_ctl *c = zcap_pin_priv(pin);

	if (c->propose_ret)
		return c->propose_ret;
	*out = zcap_allocator_ref(c->propose);
	return 0;
}

static int in_req(struct zcap_pin *pin, struct zcap_alloc_requirements *req)
{
	struct in_ctl *c = zcap_pin_priv(pin);

	if (c->req_ret)
		return c->req_ret;
	if (!c->has_req)
		return ZCAP_E_NOT_IMPLEMENTED;
	*req = c->req;
	return 0;
}

static int in_notify(struct zcap_pin *pin, struct zcap_allocator *a, bool ro)
{
	struct in_ctl *c = zcap_pin_priv(pin);

	(void)ro;
	c->notified++;
	if (c->notify_ret && a == c->propose)
		return c->notify_ret;
	c->notified_a = a;
	return 0;
}

static int in_accept(struct zcap_pin *pin, const struct zcap_format *f)
{
	struct in_ctl *c = zcap_pin_priv(pin);

	return !c->accept_fourcc || f->fourcc == c->accept_fourcc ? 0 :
	       ZCAP_E_TYPE_NOT_ACCEPTED;
}

static int in_receive(struct zcap_pin *pin, struct zcap_sample *s)
{
	struct in_ctl *c = zcap_pin_priv(pin);

	(void)s;
	if (c->fail_receive_at && c->received + 1 == c->fail_receive_at)
		return -EPIPE;
	c->received++;
	return 0;
}

static int in_eos(struct zcap_pin *pin)
{
	((struct in_ctl *)zcap_pin_priv(pin))->eos++;
	return 0;
}

static int in_can_block(struct zcap_pin *pin)
{
	(void)pin;
	return 0;
}

static void in_disconnect(struct zcap_pin *pin)
{
	((struct in_ctl *)zcap_pin_priv(pin))->disconnects++;
}

static const struct zcap_input_pin_ops in_ops = {
	.accept_format = in_accept,
	.propose_allocator = in_propose,
	.get_requirements = in_req,
	.notify_allocator = in_notify,
	.receive = in_receive,
	.receive_can_block = in_can_block,
	.end_of_stream = in_eos,
	.disconnect = in_disconnect,
};

static int out_enum(struct zcap_pin *pin, uint32_t i, struct zcap_format *f)
{
	struct out_ctl *c = zcap_pin_priv(pin);

	if (i >= c->n_fmts)
		return -ENOENT;
	*f = c->fmts[i];
	return 0;
}

static int out_decide(struct zcap_pin *pin, struct zcap_allocator *a,
		      const struct zcap_alloc_requirements *req,
		      const struct zcap_format *fmt, struct zcap_alloc_props *props)
{
	struct out_ctl *c = zcap_pin_priv(pin);
	int ret;

	(void)a;
	/* A "driver" that needs 2 buffers of its own. */
	ret = zcap_alloc_props_decide(req, fmt, 2, props);
	c->asked = *props;
	return ret;
}

static int out_own(struct zcap_pin *pin, struct zcap_allocator **a)
{
	struct out_ctl *c = zcap_pin_priv(pin);

	if (!c->own)
		return ZCAP_E_NO_ALLOCATOR;
	*a = zcap_allocator_ref(c->own);
	return 0;
}

static int out_decided(struct zcap_pin *pin, struct zcap_allocator *a)
{
	struct out_ctl *c = zcap_pin_priv(pin);

	c->decided++;
	c->decided_a = a;
	return 0;
}

static void out_disconnect(struct zcap_pin *pin)
{
	((struct out_ctl *)zcap_pin_priv(pin))->disconnects++;
}

static int out_query(struct zcap_pin *pin, const struct zcap_format *f)
{
	struct out_ctl *c = zcap_pin_priv(pin);

	(void)f;
	c->queried++;
	return c->query_ok ? 0 : ZCAP_E_TYPE_NOT_ACCEPTED;
}

static const struct zcap_output_pin_ops out_ops = {
	.enum_format = out_enum,
	.decide_buffer_size = out_decide,
	.own_allocator = out_own,
	.allocator_decided = out_decided,
	.disconnect = out_disconnect,
};

static struct zcap_format make_fmt(uint32_t fourcc, uint32_t w, uint32_t h)
{
	struct zcap_format f = { .fourcc = fourcc, .width = w, .height = h };

	zcap_format_layout(&f, NULL);
	return f;
}

static struct zcap_allocator *new_mem(void)
{
	struct zcap_allocator *a = NULL;

	zcap_allocator_new_memory(&a);
	return a;
}

/* An output and an input pin in two filters, with fresh controls. */
struct rig {
	struct zcap_filter *fo, *fi;
	struct zcap_pin *out, *in;
	struct out_ctl oc;
	struct in_ctl ic;
};

static void rig_init(struct rig *r, const struct zcap_output_pin_ops *oops)
{
	memset(r, 0, sizeof(*r));
	zcap_filter_new("src", NULL, NULL, &r->fo);
	zcap_filter_new("sink", NULL, NULL, &r->fi);
	r->oc.fmts[0] = make_fmt(V4L2_PIX_FMT_YUYV, 64, 32);
	r->oc.n_fmts = 1;
	zcap_pin_new_output(r->fo, "out", oops ? oops : &out_ops, &r->oc, &r->out);
	zcap_pin_new_input(r->fi, "in", &in_ops, &r->ic, &r->in);
}

static void rig_fini(struct rig *r)
{
	zcap_filter_destroy(r->fi);
	zcap_filter_destroy(r->fo);
	zcap_allocator_unref(r->ic.propose);
	zcap_allocator_unref(r->oc.own);
}

static void test_get_allocator(void)
{
	struct rig r;
	struct zcap_allocator *got = (void *)1, *sel;

	rig_init(&r, NULL);
	/* Proposed: the pin's own, with a reference for the caller. */
	r.ic.propose = new_mem();
	is(zcap_pin_get_allocator(r.in, &got), 0, "GetAllocator returns the proposed allocator");
	ok(got == r.ic.propose, "the very one the pin proposes");
	is(zcapi_allocator_refcount(r.ic.propose), 2, "with a reference for the caller (2 = pin's + caller's)");
	zcap_allocator_unref(got);
	is(zcapi_allocator_refcount(r.ic.propose), 1, "the caller's unref gives it back");

	/* After NotifyAllocator: the selected one. */
	sel = new_mem();
	is(zcap_pin_notify_allocator(r.in, sel, false), 0, "NotifyAllocator with another allocator");
	is(zcapi_allocator_refcount(sel), 2, "the input pin keeps a reference on the selected allocator");
	is(zcap_pin_get_allocator(r.in, &got), 0, "GetAllocator after NotifyAllocator");
	ok(got == sel, "returns the SELECTED allocator, not the proposed one");
	is(zcapi_allocator_refcount(sel), 3, "again with a reference for the caller");
	is(zcapi_allocator_refcount(r.ic.propose), 1, "the proposed one was not even asked");
	zcap_allocator_unref(got);
	zcap_pin_notify_allocator(r.in, r.ic.propose, false);
	is(zcapi_allocator_refcount(sel), 1, "a second notify drops the pin's reference on the first");
	zcap_allocator_unref(sel);

	is(zcap_pin_get_allocator(r.out, &got), -EINVAL, "GetAllocator on an output pin -> -EINVAL");
	ok(got == NULL, "and *out NULL");
	is(zcap_pin_get_allocator(r.in, NULL), -EINVAL, "GetAllocator(out NULL) -> -EINVAL");
	is(zcap_pin_notify_allocator(r.in, NULL, false), -EINVAL, "NotifyAllocator(NULL) -> -EINVAL");
	is(zcap_pin_notify_allocator(r.out, r.ic.propose, false), -EINVAL, "NotifyAllocator on an output pin -> -EINVAL");
	rig_fini(&r);
	ok(1, "destroying a pin notified outside a connection drops its reference (LSan)");
}

static void test_no_allocator(void)
{
	struct zcap_filter *f;
	struct zcap_pin *bare;
	struct zcap_allocator *got = (void *)1;
	struct rig r;
	struct zcap_alloc_requirements req;

	zcap_filter_new("bare", NULL, NULL, &f);
	zcap_pin_new_input(f, "in", NULL, NULL, &bare);
	is(zcap_pin_get_allocator(bare, &got), ZCAP_E_NO_ALLOCATOR,
	   "a pin with nothing to offer -> NO_ALLOCATOR");
	ok(got == NULL, "and *out is set to NULL");
	is(zcap_pin_get_allocator_requirements(bare, &req), ZCAP_E_NOT_IMPLEMENTED,
	   "no requirements op -> NOT_IMPLEMENTED");
	is(zcap_pin_receive_can_block(bare), 1, "no receive_can_block op: may block");
	zcap_filter_destroy(f);

	rig_init(&r, NULL);
	r.ic.propose_ret = ZCAP_E_NO_ALLOCATOR;
	got = (void *)1;
	is(zcap_pin_get_allocator(r.in, &got), ZCAP_E_NO_ALLOCATOR, "a propose op answering NO_ALLOCATOR");
	ok(got == NULL, "*out NULL");
	is(zcap_pin_receive_can_block(r.in), 0, "receive_can_block from the op");
	rig_fini(&r);
}

/* An input pin with no receive op takes no samples: NOT_IMPLEMENTED. */
static void test_no_receive(void)
{
	struct zcap_alloc_props p = props_1(1, 64);
	struct zcap_allocator *a = new_mem();
	struct zcap_sample *s = NULL;
	struct zcap_pin *bare;
	struct rig r;

	rig_init(&r, NULL);
	r.oc.own = new_mem();
	zcap_pin_new_input(r.fi, "bare", NULL, NULL, &bare);
	zcap_allocator_set_properties(a, &p, NULL);
	zcap_allocator_commit(a);
	zcap_allocator_get_buffer(a, 0, &s);
	is(zcap_pin_connect(r.out, bare, NULL), 0, "an input pin without ops connects");
	zcap_filter_run(r.fi);
	is(zcap_pin_receive(bare, s), ZCAP_E_NOT_IMPLEMENTED,
	   "receive on a connected, running pin with no receive op -> NOT_IMPLEMENTED");
	is(zcap_pin_deliver(r.out, s), ZCAP_E_NOT_IMPLEMENTED,
	   "and deliver to it says the same");
	zcap_filter_stop(r.fi);
	zcap_sample_unref(s);
	zcap_allocator_unref(a);
	rig_fini(&r);
}

static void test_connect_input_allocator(void)
{
	struct rig r;
	struct zcap_allocator *got;
	struct zcap_alloc_props p;
	struct zcap_format f;

	rig_init(&r, NULL);
	r.ic.propose = new_mem();
	r.oc.own = new_mem();
	is(zcap_pin_connect(r.out, r.in, NULL), 0, "connect");
	ok(zcap_pin_peer(r.out) == r.in && zcap_pin_peer(r.in) == r.out, "peers");
	ok(zcap_pin_format(r.in, &f) == 0 && f.fourcc == V4L2_PIX_FMT_YUYV &&
	   zcap_pin_format(r.out, &f) == 0, "both pins know the format");
	ok(r.oc.decided_a == r.ic.propose && r.ic.notified_a == r.ic.propose,
	   "the input pin's proposal was chosen and notified");
	zcap_pin_allocator(r.out, &got);
	ok(got == r.ic.propose, "zcap_pin_allocator(out) is the proposal");
	zcap_allocator_unref(got);
	zcap_pin_get_allocator(r.in, &got);
	ok(got == r.ic.propose, "GetAllocator on the input pin now returns the selected one");
	zcap_allocator_unref(got);
	is(zcapi_allocator_refcount(r.ic.propose), 3, "references: test + output pin + input pin");
	is(zcapi_allocator_refcount(r.oc.own), 1, "own allocator untouched");
	zcap_allocator_get_properties(r.ic.propose, &p);
	ok(p.count == 2 && p.size[0] == 64 * 2 * 32, "sized by decide_buffer_size: 2 x 4096");
	is(zcap_pin_connect(r.out, r.in, NULL), ZCAP_E_ALREADY_CONNECTED, "connect again -> ALREADY_CONNECTED");

	is(zcap_pin_disconnect(r.in), 0, "disconnect (from the input side)");
	is(zcapi_allocator_refcount(r.ic.propose), 1, "disconnect releases the decided allocator on both sides");
	ok(r.ic.disconnects == 1 && r.oc.disconnects == 1, "both pins' disconnect ops ran");
	is(zcap_pin_allocator(r.out, &got), ZCAP_E_NOT_CONNECTED, "no decided allocator after disconnect");
	is(zcap_pin_format(r.in, &f), ZCAP_E_NOT_CONNECTED, "no format after disconnect");
	is(zcap_pin_disconnect(r.in), ZCAP_E_NOT_CONNECTED, "disconnect again -> NOT_CONNECTED");
	zcap_pin_get_allocator(r.in, &got);
	ok(got == r.ic.propose, "GetAllocator proposes again after disconnect");
	zcap_allocator_unref(got);
	rig_fini(&r);
}

static void test_connect_fallback(void)
{
	struct rig r;
	struct zcap_allocator *got = NULL;

	/* The input pin offers nothing: the output pin's own. */
	rig_init(&r, NULL);
	r.ic.propose_ret = ZCAP_E_NO_ALLOCATOR;
	r.oc.own = new_mem();
	is(zcap_pin_connect(r.out, r.in, NULL), 0, "connect with an input pin that has no allocator");
	ok(r.oc.decided_a == r.oc.own && r.ic.notified_a == r.oc.own,
	   "falls back to the output pin's own allocator and notifies it");
	zcap_pin_get_allocator(r.in, &got);
	ok(got == r.oc.own, "GetAllocator on the input pin returns the output pin's allocator");
	zcap_allocator_unref(got);
	zcap_pin_disconnect(r.out);
	is(zcapi_allocator_refcount(r.oc.own), 1, "disconnect releases it on both sides");
	rig_fini(&r);

	/* No own_allocator op either: a memory allocator (InitAllocator). */
	{
		struct zcap_output_pin_ops o = out_ops;

		o.own_allocator = NULL;
		rig_init(&r, &o);
		r.ic.propose_ret = ZCAP_E_NO_ALLOCATOR;
		is(zcap_pin_connect(r.out, r.in, NULL), 0, "connect with neither side offering");
		ok(r.oc.decided_a && zcap_allocator_provider(r.oc.decided_a) == ZCAP_PROVIDER_MEMORY,
		   "a default memory allocator is made");
		rig_fini(&r);
		ok(1, "and freed with the pins (LSan)");
	}

	/* The input pin refuses to be notified of its own proposal. */
	rig_init(&r, NULL);
	r.ic.propose = new_mem();
	r.oc.own = new_mem();
	r.ic.notify_ret = -EBUSY;
	is(zcap_pin_connect(r.out, r.in, NULL), 0, "connect when NotifyAllocator refuses the proposal");
	ok(r.oc.decided_a == r.oc.own, "the output pin's own allocator is used");
	is(zcapi_allocator_refcount(r.ic.propose), 1, "the refused proposal's reference is dropped");
	rig_fini(&r);

	/* A propose op that fails otherwise: fall back all the same. */
	rig_init(&r, NULL);
	r.ic.propose_ret = -ENOMEM;
	r.oc.own = new_mem();
	is(zcap_pin_connect(r.out, r.in, NULL), 0, "a failing proposal falls back too");
	ok(r.oc.decided_a == r.oc.own, "to the own allocator");
	rig_fini(&r);

	/* A committed proposal cannot be sized: ALREADY_COMMITTED -> own. */
	rig_init(&r, NULL);
	r.ic.propose = new_mem();
	r.oc.own = new_mem();
	{
		struct zcap_alloc_props p = props_1(1, 16);

		zcap_allocator_set_properties(r.ic.propose, &p, NULL);
		zcap_allocator_commit(r.ic.propose);
	}
	is(zcap_pin_connect(r.out, r.in, NULL), 0, "a committed proposal");
	ok(r.oc.decided_a == r.oc.own, "is passed over for the own allocator");
	rig_fini(&r);
}

static void test_requirements(void)
{
	struct rig r;
	struct zcap_alloc_props p;
	struct fake_prov *fp;
	struct zcap_allocator *stingy;

	rig_init(&r, NULL);
	r.ic.propose = new_mem();
	r.ic.has_req = true;
	r.ic.req.held = 3;
	r.ic.req.props.count = 4;
	r.ic.req.props.size[0] = 10000;
	r.ic.req.props.align = 128;
	r.ic.req.props.prefix = 32;
	is(zcap_pin_connect(r.out, r.in, NULL), 0, "connect with requirements");
	zcap_allocator_get_properties(r.ic.propose, &p);
	ok(p.count == 5 && p.size[0] == 10000 && p.align == 128 && p.prefix == 32,
	   "granted: count 5 (driver 2 + held 3), size 10000 (> sizeimage 4096), align 128, prefix 32");
	rig_fini(&r);

	/* Requirements smaller than the format: sizeimage wins. */
	rig_init(&r, NULL);
	r.ic.propose = new_mem();
	r.ic.has_req = true;
	r.ic.req.props.size[0] = 100;
	zcap_pin_connect(r.out, r.in, NULL);
	zcap_allocator_get_properties(r.ic.propose, &p);
	is(p.size[0], 4096, "size is never below the format's (sizeimage)");
	rig_fini(&r);

	/* The proposal grants fewer buffers than asked: rejected, own used. */
	rig_init(&r, NULL);
	fake_allocator(&stingy, &fp);
	fp->max_count = 2;
	r.ic.propose = stingy;
	r.oc.own = new_mem();
	r.ic.has_req = true;
	r.ic.req.held = 4;
	is(zcap_pin_connect(r.out, r.in, NULL), 0, "connect when the proposal grants 2 of 6 buffers");
	ok(r.oc.decided_a == r.oc.own, "granted less -> PROPS_REJECTED -> the output pin's own allocator");
	ok(r.ic.notified == 1 && r.ic.notified_a == r.oc.own,
	   "the input pin was notified of the fallback only");
	is(zcapi_allocator_refcount(stingy), 1, "the rejected allocator is released");
	zcap_allocator_get_properties(r.oc.own, &p);
	is(p.count, 6, "own allocator sized for driver 2 + held 4");
	rig_fini(&r);

	/* Both grant too little: the connection fails, nothing is left held. */
	rig_init(&r, NULL);
	fake_allocator(&stingy, &fp);
	fp->max_count = 2;
	r.ic.propose = stingy;
	{
		struct fake_prov *fp2;

		fake_allocator(&r.oc.own, &fp2);
		fp2->drop_contiguous = true;
	}
	r.ic.has_req = true;
	r.ic.req.held = 4;
	r.ic.req.props.flags = ZCAP_PROPS_CONTIGUOUS;
	is(zcap_pin_connect(r.out, r.in, NULL), ZCAP_E_PROPS_REJECTED,
	   "both allocators grant less (count; contiguity) -> PROPS_REJECTED");
	ok(!zcap_pin_peer(r.out) && !zcap_pin_peer(r.in), "pins left unconnected");
	ok(zcapi_allocator_refcount(stingy) == 1 && zcapi_allocator_refcount(r.oc.own) == 1,
	   "no reference left behind on either allocator");
	ok(r.ic.disconnects == 1 && r.oc.disconnects == 1, "the failed attempt was broken off with the disconnect ops");
	rig_fini(&r);

	/* A requirements op that fails for real fails the connection. */
	rig_init(&r, NULL);
	r.ic.req_ret = -EIO;
	is(zcap_pin_connect(r.out, r.in, NULL), -EIO, "requirements error -> connect fails with it");
	rig_fini(&r);
	rig_init(&r, NULL);
	r.ic.has_req = true;
	r.ic.req.reserved = 1;
	is(zcap_pin_connect(r.out, r.in, NULL), -EINVAL, "requirements with reserved set -> -EINVAL");
	rig_fini(&r);
}

static void test_layout_constraints(void)
{
	struct rig r;
	struct zcap_output_pin_ops o = out_ops;
	struct zcap_format f;
	struct zcap_alloc_props p;

	rig_init(&r, NULL);
	r.oc.fmts[0] = make_fmt(V4L2_PIX_FMT_NV12, 1920, 1080);
	r.ic.has_req = true;
	r.ic.req.layout.height_align = 16;
	is(zcap_pin_connect(r.out, r.in, NULL), ZCAP_E_TYPE_NOT_ACCEPTED,
	   "height_align 16 vs 1080 lines, output cannot re-lay out -> TYPE_NOT_ACCEPTED");
	rig_fini(&r);

	o.query_format = out_query;
	rig_init(&r, &o);
	r.oc.fmts[0] = make_fmt(V4L2_PIX_FMT_NV12, 1920, 1080);
	r.oc.query_ok = true;
	r.ic.propose = new_mem();
	r.ic.has_req = true;
	r.ic.req.layout.height_align = 16;
	r.ic.req.layout.stride_align = 256;
	is(zcap_pin_connect(r.out, r.in, NULL), 0, "an output pin that can produce the padded layout connects");
	zcap_pin_format(r.in, &f);
	ok(f.planes[0].lines == 1088 && f.planes[1].lines == 544 && f.planes[0].stride == 2048 &&
	   f.planes[1].offset == 2048 * 1088,
	   "connection format: 1088 + 544 lines, stride 2048, UV after the padding");
	is(r.oc.queried, 1, "the output pin was asked (query_format)");
	zcap_allocator_get_properties(r.ic.propose, &p);
	ok(p.size[0] >= 2048ull * 1088 * 3 / 2, "buffers sized for the padded layout (%llu)",
	   (unsigned long long)p.size[0]);
	rig_fini(&r);
}

static void test_negotiation(void)
{
	struct rig r;
	struct zcap_format f, given;

	rig_init(&r, NULL);
	r.oc.fmts[0] = make_fmt(V4L2_PIX_FMT_YUYV, 64, 32);
	r.oc.fmts[1] = make_fmt(V4L2_PIX_FMT_NV12, 64, 32);
	r.oc.fmts[2] = make_fmt(V4L2_PIX_FMT_RGB24, 64, 32);
	r.oc.n_fmts = 3;
	r.oc.own = new_mem();
	zcap_pin_connect(r.out, r.in, NULL);
	zcap_pin_format(r.in, &f);
	is(f.fourcc, V4L2_PIX_FMT_YUYV, "the first enumerated format the input accepts wins");
	zcap_pin_disconnect(r.out);
	r.ic.accept_fourcc = V4L2_PIX_FMT_NV12;
	zcap_pin_connect(r.out, r.in, NULL);
	zcap_pin_format(r.in, &f);
	is(f.fourcc, V4L2_PIX_FMT_NV12, "formats tried in enum order until accepted (NV12)");
	zcap_pin_disconnect(r.out);
	r.ic.accept_fourcc = V4L2_PIX_FMT_GREY;
	is(zcap_pin_connect(r.out, r.in, NULL), ZCAP_E_TYPE_NOT_ACCEPTED, "none accepted -> TYPE_NOT_ACCEPTED");
	given = make_fmt(V4L2_PIX_FMT_GREY, 16, 16);
	is(zcap_pin_connect(r.out, r.in, &given), 0, "a format given to connect is used as is");
	zcap_pin_format(r.out, &f);
	ok(f.fourcc == V4L2_PIX_FMT_GREY && f.width == 16, "the given format");
	zcap_pin_disconnect(r.out);
	given.n_mem = 0;
	is(zcap_pin_connect(r.out, r.in, &given), -EINVAL, "an invalid given format -> -EINVAL");
	r.ic.accept_fourcc = 0;
	r.oc.fmts[0].planes[0].stride = 1;
	is(zcap_pin_connect(r.out, r.in, NULL), -EINVAL, "an invalid enumerated format -> -EINVAL");
	rig_fini(&r);

	rig_init(&r, NULL);
	is(zcap_pin_connect(r.in, r.out, NULL), -EINVAL, "connect(in, out) -> -EINVAL");
	is(zcap_pin_connect(NULL, r.in, NULL), -EINVAL, "connect(NULL, in) -> -EINVAL");
	is(zcap_pin_connect(r.out, r.out, NULL), -EINVAL, "connect(out, out) -> -EINVAL");
	is(zcap_pin_connect(r.out, r.in, NULL), ZCAP_E_NO_ALLOCATOR,
	   "no allocator on either side -> NO_ALLOCATOR");
	ok(!zcap_pin_peer(r.out) && !zcap_pin_peer(r.in), "and no connection");
	r.oc.n_fmts = 0;
	is(zcap_pin_connect(r.out, r.in, NULL), ZCAP_E_TYPE_NOT_ACCEPTED, "no format at all -> TYPE_NOT_ACCEPTED");
	rig_fini(&r);
}

static void test_delivery(void)
{
	struct rig r;
	struct zcap_allocator *a = NULL;
	struct zcap_sample *s[3];
	uint32_t done = 99;

	rig_init(&r, NULL);
	r.oc.own = new_mem();
	a = new_mem();
	{
		struct zcap_alloc_props p = props_1(3, 64);

		zcap_allocator_set_properties(a, &p, NULL);
		zcap_allocator_commit(a);
	}
	for (int i = 0; i < 3; i++)
		zcap_allocator_get_buffer(a, 0, &s[i]);
	is(zcap_pin_deliver(r.out, s[0]), ZCAP_E_NOT_CONNECTED, "deliver on an unconnected output pin -> NOT_CONNECTED");
	is(zcap_pin_receive(r.in, s[0]), ZCAP_E_NOT_CONNECTED, "receive on an unconnected input pin -> NOT_CONNECTED");
	is(zcap_pin_deliver_end_of_stream(r.out), ZCAP_E_NOT_CONNECTED, "end of stream unconnected -> NOT_CONNECTED");
	zcap_pin_connect(r.out, r.in, NULL);
	is(zcap_pin_deliver(r.out, s[0]), ZCAP_E_WRONG_STATE, "deliver to a stopped filter -> WRONG_STATE");
	zcap_filter_run(r.fi);
	is(zcap_pin_disconnect(r.out), ZCAP_E_WRONG_STATE, "disconnect while a filter runs -> WRONG_STATE");
	is(zcap_pin_deliver(r.out, s[0]), 0, "deliver to a running filter");
	is(r.ic.received, 1, "the input pin received it");
	is(zcap_pin_receive_multiple(r.in, s, 3, &done), 0, "receive_multiple of 3");
	is(done, 3, "done = 3");
	r.ic.fail_receive_at = 6;
	is(zcap_pin_receive_multiple(r.in, s, 3, &done), -EPIPE, "receive_multiple stops at the first refusal");
	is(done, 1, "done = 1: the first was taken, the second refused");
	is(zcap_pin_receive_multiple(r.in, s, 3, NULL), -EINVAL, "receive_multiple(done NULL) -> -EINVAL");
	is(zcap_pin_receive_multiple(r.in, NULL, 3, &done), -EINVAL, "receive_multiple(NULL samples) -> -EINVAL");
	is(zcap_pin_receive_multiple(r.in, s, 0, &done), 0, "receive_multiple of 0");
	is(zcap_pin_deliver_end_of_stream(r.out), 0, "deliver end of stream");
	is(r.ic.eos, 1, "the input pin got it");
	is(zcap_pin_deliver(r.in, s[0]), -EINVAL, "deliver on an input pin -> -EINVAL");
	is(zcap_pin_receive(r.out, s[0]), -EINVAL, "receive on an output pin -> -EINVAL");
	is(zcap_pin_deliver(r.out, NULL), -EINVAL, "deliver(NULL) -> -EINVAL");
	zcap_filter_stop(r.fi);
	for (int i = 0; i < 3; i++)
		zcap_sample_unref(s[i]);
	zcap_allocator_unref(a);
	rig_fini(&r);
}

static void test_pin_basics(void)
{
	struct zcap_filter *f, *g;
	struct zcap_pin *p = (void *)1, *q;

	zcap_filter_new("f", NULL, NULL, &f);
	zcap_filter_new("g", NULL, NULL, &g);
	is(zcap_pin_new_input(f, NULL, NULL, NULL, &p), -EINVAL, "pin name NULL -> -EINVAL");
	ok(p == NULL, "*out NULL");
	is(zcap_pin_new_output(f, "x", NULL, NULL, NULL), -EINVAL, "pin out NULL -> -EINVAL");
	zcap_pin_new_output(f, "video", NULL, (void *)0x1234, &p);
	ok(!strcmp(zcap_pin_name(p), "video") && zcap_pin_priv(p) == (void *)0x1234 &&
	   zcap_pin_direction(p) == ZCAP_PIN_OUTPUT && zcap_pin_filter(p) == f,
	   "pin getters");
	is(zcap_filter_add_pin(f, p), 0, "adding a pin created with this owner again is a no-op");
	is(zcap_filter_n_pins(f, ZCAP_PIN_OUTPUT), 1, "one output pin");
	is(zcap_filter_add_pin(g, p), -EBUSY, "a pin of another filter -> -EBUSY");
	zcap_pin_new_input(NULL, "loose", NULL, NULL, &q);
	ok(zcap_pin_filter(q) == NULL, "a pin with no owner");
	is(zcap_filter_add_pin(f, q), 0, "adopted by add_pin");
	ok(zcap_filter_pin(f, ZCAP_PIN_INPUT, 0) == q && zcap_filter_pin(f, ZCAP_PIN_OUTPUT, 0) == p &&
	   zcap_filter_pin(f, ZCAP_PIN_INPUT, 1) == NULL, "filter_pin by direction and index");
	zcap_pin_destroy(q);
	is(zcap_filter_n_pins(f, ZCAP_PIN_INPUT), 0, "a destroyed pin leaves its filter");
	ok(zcap_pin_name(NULL) == NULL && zcap_pin_peer(NULL) == NULL && zcap_pin_priv(NULL) == NULL,
	   "pin getters take NULL");
	zcap_pin_destroy(NULL);
	zcap_filter_destroy(g);
	zcap_filter_destroy(f);
}

static void test_destroy_connected(void)
{
	struct rig r;

	rig_init(&r, NULL);
	r.ic.propose = new_mem();
	zcap_pin_connect(r.out, r.in, NULL);
	zcap_filter_destroy(r.fi);
	r.fi = NULL;
	ok(zcap_pin_peer(r.out) == NULL, "destroying the downstream filter disconnects the upstream pin");
	is(zcapi_allocator_refcount(r.ic.propose), 1, "and releases the allocator on both sides");
	rig_fini(&r);
}

int main(void)
{
	test_pin_basics();
	test_get_allocator();
	test_no_allocator();
	test_no_receive();
	test_connect_input_allocator();
	test_connect_fallback();
	test_requirements();
	test_layout_constraints();
	test_negotiation();
	test_delivery();
	test_destroy_connected();
	return tap_done();
}
