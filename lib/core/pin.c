// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Pins: DirectShow's IPin and IMemInputPin, and CBaseOutputPin's
 * connection logic (AgreeMediaType, DecideAllocator).
 *
 * Connection management (connect, disconnect, notify) belongs to the
 * thread that builds the graph, as in DirectShow; streaming calls
 * (deliver, receive) come from the filters' threads. Each pin's lock
 * keeps what the getters read consistent; no lock is held across a call
 * into a filter.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zcap_internal.h"

static int pin_new(struct zcap_filter *owner, const char *name,
		   enum zcap_pin_dir dir, const void *ops, size_t ops_size,
		   void *priv, struct zcap_pin **out)
{
	struct zcap_pin *pin;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!name)
		return -EINVAL;
	pin = calloc(1, sizeof(*pin));
	if (!pin)
		return -ENOMEM;
	pin->name = strdup(name);
	if (!pin->name) {
		free(pin);
		return -ENOMEM;
	}
	ret = -pthread_mutex_init(&pin->lock, NULL);
	if (ret) {
		free(pin->name);
		free(pin);
		return ret;
	}
	pin->dir = dir;
	if (ops)
		memcpy(&pin->ops, ops, ops_size);
	pin->priv = priv;
	if (owner) {
		ret = zcap_filter_add_pin(owner, pin);
		if (ret) {
			zcap_pin_destroy(pin);
			return ret;
		}
	}
	*out = pin;
	return 0;
}

int zcap_pin_new_input(struct zcap_filter *owner, const char *name,
		       const struct zcap_input_pin_ops *ops, void *priv,
		       struct zcap_pin **out)
{
	return pin_new(owner, name, ZCAP_PIN_INPUT, ops, sizeof(*ops), priv,
		       out);
}

int zcap_pin_new_output(struct zcap_filter *owner, const char *name,
			const struct zcap_output_pin_ops *ops, void *priv,
			struct zcap_pin **out)
{
	return pin_new(owner, name, ZCAP_PIN_OUTPUT, ops, sizeof(*ops), priv,
		       out);
}

void zcap_pin_destroy(struct zcap_pin *pin)
{
	struct zcap_filter *f;

	if (!pin)
		return;
	zcapi_pin_disconnect_force(pin);
	f = pin->filter;
	if (f) {
		pthread_mutex_lock(&f->lock);
		for (uint32_t i = 0; i < f->n_pins; i++) {
			if (f->pins[i] != pin)
				continue;
			memmove(&f->pins[i], &f->pins[i + 1],
				(f->n_pins - i - 1) * sizeof(*f->pins));
			f->n_pins--;
			break;
		}
		pthread_mutex_unlock(&f->lock);
	}
	/* An allocator notified outside a connection is ours to drop too. */
	zcap_allocator_unref(pin->allocator);
	pthread_mutex_destroy(&pin->lock);
	free(pin->name);
	free(pin);
}

void *zcap_pin_priv(const struct zcap_pin *pin)
{
	return pin ? pin->priv : NULL;
}

const char *zcap_pin_name(const struct zcap_pin *pin)
{
	return pin ? pin->name : NULL;
}

enum zcap_pin_dir zcap_pin_direction(const struct zcap_pin *pin)
{
	return pin ? pin->dir : ZCAP_PIN_INPUT;
}

struct zcap_filter *zcap_pin_filter(const struct zcap_pin *pin)
{
	return pin ? pin->filter : NULL;
}

static void pin_lock(const struct zcap_pin *pin)
{
	pthread_mutex_lock((pthread_mutex_t *)&pin->lock);
}

static void pin_unlock(const struct zcap_pin *pin)
{
	pthread_mutex_unlock((pthread_mutex_t *)&pin->lock);
}

struct zcap_pin *zcap_pin_peer(const struct zcap_pin *pin)
{
	struct zcap_pin *peer;

	if (!pin)
		return NULL;
	pin_lock(pin);
	peer = pin->peer;
	pin_unlock(pin);
	return peer;
}

int zcap_pin_format(const struct zcap_pin *pin, struct zcap_format *out)
{
	int ret = 0;

	if (!pin || !out)
		return -EINVAL;
	pin_lock(pin);
	if (pin->peer)
		*out = pin->fmt;
	else
		ret = ZCAP_E_NOT_CONNECTED;
	pin_unlock(pin);
	return ret;
}

static bool filter_stopped(const struct zcap_filter *f)
{
	return !f || zcap_filter_state(f) == ZCAP_STATE_STOPPED;
}

/* ---------------------------------------------------------------------
 * IMemInputPin.
 */

int zcap_pin_get_allocator(struct zcap_pin *in, struct zcap_allocator **out)
{
	struct zcap_allocator *a = NULL;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!in || in->dir != ZCAP_PIN_INPUT)
		return -EINVAL;
	/* After NotifyAllocator: the selected one, not the proposal. */
	pin_lock(in);
	a = zcap_allocator_ref(in->allocator);
	pin_unlock(in);
	if (a) {
		*out = a;
		return 0;
	}
	if (!in->ops.in.propose_allocator)
		return ZCAP_E_NO_ALLOCATOR;
	ret = in->ops.in.propose_allocator(in, &a);
	if (ret) {
		/* Whatever a failing pin left in @a is not ours to hand on. */
		return ret;
	}
	if (!a)
		return ZCAP_E_NO_ALLOCATOR;
	*out = a;
	return 0;
}

int zcap_pin_notify_allocator(struct zcap_pin *in, struct zcap_allocator *a,
			      bool read_only)
{
	struct zcap_allocator *old;
	int ret;

	if (!in || !a || in->dir != ZCAP_PIN_INPUT)
		return -EINVAL;
	if (in->ops.in.notify_allocator) {
		ret = in->ops.in.notify_allocator(in, a, read_only);
		if (ret)
			return ret;
	}
	pin_lock(in);
	old = in->allocator;
	in->allocator = zcap_allocator_ref(a);
	in->read_only = read_only;
	pin_unlock(in);
	zcap_allocator_unref(old);
	return 0;
}

int zcap_pin_get_allocator_requirements(struct zcap_pin *in,
					struct zcap_alloc_requirements *req)
{
	int ret;

	if (!in || !req || in->dir != ZCAP_PIN_INPUT)
		return -EINVAL;
	memset(req, 0, sizeof(*req));
	if (!in->ops.in.get_requirements)
		return ZCAP_E_NOT_IMPLEMENTED;
	ret = in->ops.in.get_requirements(in, req);
	if (ret)
		memset(req, 0, sizeof(*req));
	return ret;
}

static int input_ready(struct zcap_pin *in)
{
	bool connected;

	if (!in || in->dir != ZCAP_PIN_INPUT)
		return -EINVAL;
	pin_lock(in);
	connected = in->peer != NULL;
	pin_unlock(in);
	if (!connected)
		return ZCAP_E_NOT_CONNECTED;
	/* CBaseInputPin::Receive: a stopped filter takes nothing. */
	if (filter_stopped(in->filter) && in->filter)
		return ZCAP_E_WRONG_STATE;
	return 0;
}

int zcap_pin_receive(struct zcap_pin *in, struct zcap_sample *s)
{
	int ret;

	if (!s)
		return -EINVAL;
	ret = input_ready(in);
	if (ret)
		return ret;
	if (!in->ops.in.receive)
		return ZCAP_E_NOT_IMPLEMENTED;
	return in->ops.in.receive(in, s);
}

int zcap_pin_receive_multiple(struct zcap_pin *in, struct zcap_sample **s,
			      uint32_t n, uint32_t *done)
{
	uint32_t i;
	int ret = 0;

	if (done)
		*done = 0;
	if (!in || !done || (n && !s))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!s[i])
			return -EINVAL;
	for (i = 0; i < n; i++) {
		ret = zcap_pin_receive(in, s[i]);
		if (ret)
			break;
		(*done)++;
	}
	return ret;
}

int zcap_pin_receive_can_block(struct zcap_pin *in)
{
	if (!in || in->dir != ZCAP_PIN_INPUT)
		return -EINVAL;
	if (!in->ops.in.receive_can_block)
		return 1;
	return in->ops.in.receive_can_block(in);
}

int zcap_pin_end_of_stream(struct zcap_pin *in)
{
	int ret = input_ready(in);

	if (ret)
		return ret;
	if (!in->ops.in.end_of_stream)
		return 0;
	return in->ops.in.end_of_stream(in);
}

/* ---------------------------------------------------------------------
 * Output pins.
 */

int zcap_pin_allocator(struct zcap_pin *out, struct zcap_allocator **a)
{
	if (!a)
		return -EINVAL;
	*a = NULL;
	if (!out || out->dir != ZCAP_PIN_OUTPUT)
		return -EINVAL;
	pin_lock(out);
	*a = zcap_allocator_ref(out->allocator);
	pin_unlock(out);
	return *a ? 0 : ZCAP_E_NOT_CONNECTED;
}

static struct zcap_pin *output_peer(struct zcap_pin *out)
{
	struct zcap_pin *peer;

	pin_lock(out);
	peer = out->peer;
	pin_unlock(out);
	return peer;
}

int zcap_pin_deliver(struct zcap_pin *out, struct zcap_sample *s)
{
	struct zcap_pin *peer;

	if (!out || !s || out->dir != ZCAP_PIN_OUTPUT)
		return -EINVAL;
	peer = output_peer(out);
	if (!peer)
		return ZCAP_E_NOT_CONNECTED;
	return zcap_pin_receive(peer, s);
}

int zcap_pin_deliver_end_of_stream(struct zcap_pin *out)
{
	struct zcap_pin *peer;

	if (!out || out->dir != ZCAP_PIN_OUTPUT)
		return -EINVAL;
	peer = output_peer(out);
	if (!peer)
		return ZCAP_E_NOT_CONNECTED;
	return zcap_pin_end_of_stream(peer);
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
	uint64_t min_count;
	int ret;

	if (out->ops.out.decide_buffer_size)
		ret = out->ops.out.decide_buffer_size(out, a, req, fmt, &props);
	else
		ret = zcap_alloc_props_decide(req, fmt, 1, &props);
	if (ret)
		return ret;
	ret = zcap_allocator_set_properties(a, &props, &got);
	if (ret)
		return ret;

	need = req->props;
	min_count = (uint64_t)req->held + 1;
	if (need.count < min_count)
		need.count = min_count > UINT32_MAX ? UINT32_MAX : (uint32_t)min_count;
	for (uint32_t m = 0; m < fmt->n_mem; m++)
		if (need.size[m] < fmt->mem_size[m])
			need.size[m] = fmt->mem_size[m];
	need.n_mem = fmt->n_mem;
	if (!covers(&props, &got) || !covers(&need, &got))
		return ZCAP_E_PROPS_REJECTED;
	return zcap_pin_notify_allocator(in, a, false);
}

static void drop_input_allocator(struct zcap_pin *in)
{
	struct zcap_allocator *a;

	pin_lock(in);
	a = in->allocator;
	in->allocator = NULL;
	pin_unlock(in);
	zcap_allocator_unref(a);
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
		ret = try_allocator(out, in, a, req, fmt);
		if (!ret)
			goto decided;
		zcap_allocator_unref(a);
		a = NULL;
	}
	if (out->ops.out.own_allocator) {
		ret = out->ops.out.own_allocator(out, &a);
		if (!ret && !a)
			ret = ZCAP_E_NO_ALLOCATOR;
	} else {
		/* CBaseOutputPin::InitAllocator: a plain memory allocator. */
		ret = zcap_allocator_new_memory(&a);
	}
	if (ret)
		return ret;
	ret = try_allocator(out, in, a, req, fmt);
	if (ret) {
		zcap_allocator_unref(a);
		return ret;
	}
decided:
	pin_lock(out);
	out->allocator = a;
	pin_unlock(out);
	if (out->ops.out.allocator_decided) {
		ret = out->ops.out.allocator_decided(out, a);
		if (ret) {
			pin_lock(out);
			out->allocator = NULL;
			pin_unlock(out);
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
	pin_lock(out);
	out->peer = in;
	out->fmt = *fmt;
	pin_unlock(out);
	pin_lock(in);
	in->peer = out;
	in->fmt = *fmt;
	pin_unlock(in);
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
	pin_lock(out);
	out->peer = NULL;
	ao = out->allocator;
	out->allocator = NULL;
	memset(&out->fmt, 0, sizeof(out->fmt));
	pin_unlock(out);
	pin_lock(in);
	in->peer = NULL;
	ai = in->allocator;
	in->allocator = NULL;
	in->read_only = false;
	memset(&in->fmt, 0, sizeof(in->fmt));
	pin_unlock(in);
	zcap_allocator_unref(ao);
	zcap_allocator_unref(ai);
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
	bool asked = false;
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
	set_link(out, in, fmt);
	ret = decide_allocator(out, in, req, fmt);
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
	if (!filter_stopped(out->filter) || !filter_stopped(in->filter))
		return ZCAP_E_WRONG_STATE;
	if (fmt && zcap_format_validate(fmt))
		return -EINVAL;

	/* GetAllocatorRequirements is optional: NOT_IMPLEMENTED is no requirement. */
	ret = zcap_pin_get_allocator_requirements(in, &req);
	if (ret && ret != ZCAP_E_NOT_IMPLEMENTED)
		return ret;
	if (req.props.n_mem > ZCAP_MAX_PLANES || req.reserved ||
	    req.layout.reserved)
		return -EINVAL;

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
	if (!filter_stopped(pin->filter) || !filter_stopped(peer->filter))
		return ZCAP_E_WRONG_STATE;
	zcapi_pin_disconnect_force(pin);
	return 0;
}
