// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Connecting pins: CBaseOutputPin's connection logic (AgreeMediaType,
 * DecideAllocator) and disconnection. Part of the pin object (pin.c);
 * a file of its own because it is where the connection's decisions are
 * made, and one file should say them all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zcap_internal.h"

/* Connection decisions are logged by the output pin's filter: it decides. */
#define plog(out, level, ...) zcap_filter_log((out)->filter, level, __VA_ARGS__)

static const char *prov_name(const struct zcap_allocator *a)
{
	return zcap_provider_name(zcap_allocator_provider(a));
}

/* "count x size[+size...]" of @p, for the log. */
static const char *props_str(const struct zcap_alloc_props *p, char *buf,
			     size_t len)
{
	uint32_t n_mem = p->n_mem ? p->n_mem : 1;
	int used = snprintf(buf, len, "%u x %llu", p->count,
			    (unsigned long long)p->size[0]);

	for (uint32_t m = 1; m < n_mem && m < ZCAP_MAX_PLANES && used > 0 &&
	     (size_t)used < len; m++)
		used += snprintf(buf + used, len - (size_t)used, "+%llu",
				 (unsigned long long)p->size[m]);
	return buf;
}

/* ---------------------------------------------------------------------
 * Connection: format agreement and DecideAllocator.
 */

/* Did the allocator grant at least what was asked (@want)? */
static bool covers(const struct zcap_alloc_props *want,
		   const struct zcap_alloc_props *got)
{
	uint32_t want_mem = want->n_mem ? want->n_mem : 1;
	uint32_t got_mem = got->n_mem ? got->n_mem : 1;
	uint32_t want_align = want->align ? want->align : 1;
	uint32_t got_align = got->align ? got->align : 1;

	if (got->count < want->count || got_align < want_align ||
	    got->prefix < want->prefix || (want->flags & ~got->flags))
		return false;
	/* A bare count (n_mem 0, no sizes) says nothing about blocks. */
	if (want->n_mem && want_mem != got_mem)
		return false;
	for (uint32_t m = 0; m < ZCAP_MAX_PLANES; m++)
		if (want->size[m] && (m >= got_mem || got->size[m] < want->size[m]))
			return false;
	return true;
}

/*
 * Size @a for the connection (DecideBufferSize), check what it granted
 * against what was asked, what the input pin requires and what the format
 * needs, then offer it to the input pin (NotifyAllocator).
 */
static int try_allocator(struct zcap_pin *out, struct zcap_pin *in,
			 struct zcap_allocator *a,
			 const struct zcap_alloc_requirements *req,
			 const struct zcap_format *fmt)
{
	struct zcap_alloc_props props = { 0 }, got = { 0 }, need = { 0 };
	char b1[96], b2[96];
	uint64_t min_count;
	int ret;

	if (out->ops.out.decide_buffer_size)
		ret = out->ops.out.decide_buffer_size(out, a, req, fmt, &props);
	else
		ret = zcap_alloc_props_decide(req, fmt, 1, &props);
	if (ret)
		return ret;
	ret = zcap_allocator_set_properties(a, &props, &got);
	if (ret) {
		plog(out, ZCAP_LOG_WARN, "%s allocator: SetProperties(%s): %s",
		     prov_name(a), props_str(&props, b1, sizeof(b1)),
		     zcap_strerror(ret));
		return ret;
	}
	plog(out, ZCAP_LOG_INFO, "%s allocator: asked %s, granted %s",
	     prov_name(a), props_str(&props, b1, sizeof(b1)),
	     props_str(&got, b2, sizeof(b2)));

	need = req->props;
	min_count = (uint64_t)req->held + 1;
	if (need.count < min_count)
		need.count = min_count > UINT32_MAX ? UINT32_MAX : (uint32_t)min_count;
	for (uint32_t m = 0; m < fmt->n_mem; m++)
		if (need.size[m] < fmt->mem_size[m])
			need.size[m] = fmt->mem_size[m];
	need.n_mem = fmt->n_mem;
	if (!covers(&props, &got) || !covers(&need, &got)) {
		plog(out, ZCAP_LOG_WARN, "%s allocator refused: granted %s, needs %s",
		     prov_name(a), props_str(&got, b1, sizeof(b1)),
		     props_str(&need, b2, sizeof(b2)));
		return ZCAP_E_PROPS_REJECTED;
	}
	ret = zcap_pin_notify_allocator(in, a, out->read_only);
	if (ret)
		plog(out, ZCAP_LOG_WARN, "%s refused the %s allocator: %s",
		     zcap_pin_name(in), prov_name(a), zcap_strerror(ret));
	return ret;
}

static void drop_input_allocator(struct zcap_pin *in)
{
	struct zcap_allocator *a;

	zcapi_pin_lock(in);
	a = in->allocator;
	in->allocator = NULL;
	zcapi_pin_unlock(in);
	zcap_allocator_unref(a);
}

/* The output pin's own allocator (InitAllocator), or plain memory. */
static int own_allocator(struct zcap_pin *out, struct zcap_allocator **a)
{
	int ret;

	*a = NULL;
	if (!out->ops.out.own_allocator) {
		/* CBaseOutputPin::InitAllocator: a plain memory allocator. */
		plog(out, ZCAP_LOG_INFO, "%s has no allocator of its own: plain memory",
		     zcap_pin_name(out));
		return zcap_allocator_new_memory(a);
	}
	ret = out->ops.out.own_allocator(out, a);
	if (!ret && !*a)
		ret = ZCAP_E_NO_ALLOCATOR;
	if (ret)
		plog(out, ZCAP_LOG_ERROR, "%s's own allocator: %s",
		     zcap_pin_name(out), zcap_strerror(ret));
	return ret;
}

static int decide_allocator(struct zcap_pin *out, struct zcap_pin *in,
			    const struct zcap_alloc_requirements *req,
			    const struct zcap_format *fmt)
{
	struct zcap_allocator *a = NULL;
	int ret;

	/* The input pin's proposal first, the output pin's own otherwise. */
	ret = zcap_pin_get_allocator(in, &a);
	if (!ret) {
		plog(out, ZCAP_LOG_INFO, "%s proposes an allocator: %s",
		     zcap_pin_name(in), zcap_allocator_describe(a));
		ret = try_allocator(out, in, a, req, fmt);
		if (!ret)
			goto decided;
		zcap_allocator_unref(a);
		a = NULL;
		plog(out, ZCAP_LOG_WARN, "%s's allocator not taken (%s): trying %s's own",
		     zcap_pin_name(in), zcap_strerror(ret), zcap_pin_name(out));
	} else {
		plog(out, ZCAP_LOG_DEBUG, "%s proposes no allocator (%s)",
		     zcap_pin_name(in), zcap_strerror(ret));
	}
	ret = own_allocator(out, &a);
	if (ret)
		return ret;
	ret = try_allocator(out, in, a, req, fmt);
	if (ret) {
		zcap_allocator_unref(a);
		/* A warning: the next format may still connect. */
		plog(out, ZCAP_LOG_WARN, "no allocator for %s -> %s in this format: %s",
		     zcap_pin_name(out), zcap_pin_name(in), zcap_strerror(ret));
		return ret;
	}
decided:
	plog(out, ZCAP_LOG_INFO, "allocator chosen: %s (%s)", prov_name(a),
	     zcap_allocator_describe(a));
	zcapi_pin_lock(out);
	out->allocator = a;
	zcapi_pin_unlock(out);
	if (out->ops.out.allocator_decided) {
		ret = out->ops.out.allocator_decided(out, a);
		if (ret) {
			zcapi_pin_lock(out);
			out->allocator = NULL;
			zcapi_pin_unlock(out);
			zcap_allocator_unref(a);
			drop_input_allocator(in);
			return ret;
		}
	}
	return 0;
}

static void set_link(struct zcap_pin *out, struct zcap_pin *in,
		     const struct zcap_format *fmt)
{
	zcapi_pin_lock(out);
	out->peer = in;
	out->fmt = *fmt;
	zcapi_pin_unlock(out);
	zcapi_pin_lock(in);
	in->peer = out;
	in->fmt = *fmt;
	zcapi_pin_unlock(in);
}

/* Break the link and drop both allocators; @notify: tell the filters. */
static void break_link(struct zcap_pin *out, struct zcap_pin *in)
{
	struct zcap_allocator *ao, *ai;

	/* Filters drop what belongs to the connection while they can still see it. */
	if (out->ops.out.disconnect)
		out->ops.out.disconnect(out);
	if (in->ops.in.disconnect)
		in->ops.in.disconnect(in);
	zcapi_pin_lock(out);
	out->peer = NULL;
	ao = out->allocator;
	out->allocator = NULL;
	memset(&out->fmt, 0, sizeof(out->fmt));
	zcapi_pin_unlock(out);
	zcapi_pin_lock(in);
	in->peer = NULL;
	ai = in->allocator;
	in->allocator = NULL;
	in->read_only = false;
	memset(&in->fmt, 0, sizeof(in->fmt));
	zcapi_pin_unlock(in);
	zcap_allocator_unref(ao);
	zcap_allocator_unref(ai);
}

/*
 * The input pin's requirements (GetAllocatorRequirements) into *@req:
 * optional, so NOT_IMPLEMENTED is none (zeroed). -EINVAL for nonsense.
 */
static int requirements(struct zcap_pin *out, struct zcap_pin *in,
			struct zcap_alloc_requirements *req)
{
	int ret = zcap_pin_get_allocator_requirements(in, req);

	if (ret && ret != ZCAP_E_NOT_IMPLEMENTED)
		return ret;
	if (ret)
		plog(out, ZCAP_LOG_DEBUG, "%s states no requirements", zcap_pin_name(in));
	else
		plog(out, ZCAP_LOG_DEBUG, "%s requires %u buffers, holds %u, blocks of %llu",
		     zcap_pin_name(in), req->props.count, req->held,
		     (unsigned long long)req->props.size[0]);
	if (req->props.n_mem > ZCAP_MAX_PLANES || req->reserved ||
	    req->layout.reserved)
		return -EINVAL;
	return 0;
}

/*
 * One candidate format: make it meet the input pin's layout constraints
 * (re-laid out, if the output pin can produce that), let both pins check
 * it, link them and decide the allocator.
 */
static int try_format(struct zcap_pin *out, struct zcap_pin *in,
		      struct zcap_format *fmt, bool given,
		      const struct zcap_alloc_requirements *req)
{
	const struct zcap_layout_constraints *lc = &req->layout;
	struct zcap_alloc_requirements agreed;
	bool asked = false;
	char fcc[5];
	int ret;

	ret = zcap_format_validate(fmt);
	if (ret)
		return ret;
	if (!zcap_format_meets(fmt, lc)) {
		if (!out->ops.out.query_format)
			return ZCAP_E_TYPE_NOT_ACCEPTED;
		if (zcap_format_layout(fmt, lc))
			return ZCAP_E_TYPE_NOT_ACCEPTED;
		ret = out->ops.out.query_format(out, fmt);
		if (ret)
			return ret;
		asked = true;
	}
	if (given && !asked && out->ops.out.query_format) {
		ret = out->ops.out.query_format(out, fmt);
		if (ret)
			return ret;
	}
	if (in->ops.in.accept_format) {
		ret = in->ops.in.accept_format(in, fmt);
		if (ret)
			return ret;
	}
	plog(out, ZCAP_LOG_INFO, "format agreed with %s: %s %ux%u, %u plane(s)",
	     zcap_pin_name(in), zcap_fourcc_str(fmt->fourcc, fcc), fmt->width,
	     fmt->height, fmt->n_planes);
	set_link(out, in, fmt);
	/*
	 * DecideAllocator asks GetAllocatorRequirements after
	 * ReceiveConnection: the input pin now sees the format (a frame
	 * rate, a size) and may need more buffers for it than it could say
	 * before. Its layout must still be one this format meets.
	 */
	ret = requirements(out, in, &agreed);
	if (!ret && !zcap_format_meets(fmt, &agreed.layout)) {
		plog(out, ZCAP_LOG_WARN, "%s's layout constraints changed with the format",
		     zcap_pin_name(in));
		ret = ZCAP_E_TYPE_NOT_ACCEPTED;
	}
	if (!ret)
		ret = decide_allocator(out, in, &agreed, fmt);
	if (ret)
		break_link(out, in);
	return ret;
}

/* Errors after which the next format may still connect. */
static bool try_next(int err)
{
	return err == ZCAP_E_TYPE_NOT_ACCEPTED || err == ZCAP_E_PROPS_REJECTED;
}

int zcap_pin_connect(struct zcap_pin *out, struct zcap_pin *in,
		     const struct zcap_format *fmt)
{
	struct zcap_alloc_requirements req = { 0 };
	struct zcap_format cand;
	int ret, best = ZCAP_E_TYPE_NOT_ACCEPTED;

	if (!out || !in || out->dir != ZCAP_PIN_OUTPUT ||
	    in->dir != ZCAP_PIN_INPUT)
		return -EINVAL;
	if (out->filter && out->filter == in->filter)
		return -EINVAL;
	if (zcap_pin_peer(out) || zcap_pin_peer(in))
		return ZCAP_E_ALREADY_CONNECTED;
	if (!zcapi_filter_stopped(out->filter) || !zcapi_filter_stopped(in->filter))
		return ZCAP_E_WRONG_STATE;
	if (fmt && zcap_format_validate(fmt))
		return -EINVAL;

	/*
	 * Asked first for the layout constraints, which take part in
	 * agreeing the format (a stride the consumer can import), and again
	 * once it is agreed, for the allocator (try_format()).
	 */
	ret = requirements(out, in, &req);
	if (ret)
		return ret;

	if (fmt) {
		cand = *fmt;
		return try_format(out, in, &cand, true, &req);
	}
	if (!out->ops.out.enum_format)
		return ZCAP_E_TYPE_NOT_ACCEPTED;
	for (uint32_t i = 0;; i++) {
		memset(&cand, 0, sizeof(cand));
		ret = out->ops.out.enum_format(out, i, &cand);
		if (ret == -ENOENT)
			break;
		if (ret)
			return ret;
		ret = try_format(out, in, &cand, false, &req);
		if (!ret || !try_next(ret))
			return ret;
		/* Granted too little says more than "no format fitted". */
		if (ret == ZCAP_E_PROPS_REJECTED)
			best = ret;
	}
	return best;
}

void zcapi_pin_disconnect_force(struct zcap_pin *pin)
{
	struct zcap_pin *peer = zcap_pin_peer(pin);

	if (!peer)
		return;
	if (pin->dir == ZCAP_PIN_OUTPUT)
		break_link(pin, peer);
	else
		break_link(peer, pin);
}

int zcap_pin_disconnect(struct zcap_pin *pin)
{
	struct zcap_pin *peer;

	if (!pin)
		return -EINVAL;
	peer = zcap_pin_peer(pin);
	if (!peer)
		return ZCAP_E_NOT_CONNECTED;
	if (!zcapi_filter_stopped(pin->filter) || !zcapi_filter_stopped(peer->filter))
		return ZCAP_E_WRONG_STATE;
	zcapi_pin_disconnect_force(pin);
	return 0;
}
