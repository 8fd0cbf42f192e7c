// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Pins: DirectShow's IPin and IMemInputPin: the pin objects, their
 * allocator calls and delivery. Connecting them is pin_connect.c's.
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

struct zcap_pin *zcap_pin_peer(const struct zcap_pin *pin)
{
	struct zcap_pin *peer;

	if (!pin)
		return NULL;
	zcapi_pin_lock(pin);
	peer = pin->peer;
	zcapi_pin_unlock(pin);
	return peer;
}

int zcap_pin_format(const struct zcap_pin *pin, struct zcap_format *out)
{
	int ret = 0;

	if (!pin || !out)
		return -EINVAL;
	zcapi_pin_lock(pin);
	if (pin->peer)
		*out = pin->fmt;
	else
		ret = ZCAP_E_NOT_CONNECTED;
	zcapi_pin_unlock(pin);
	return ret;
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
	zcapi_pin_lock(in);
	a = zcap_allocator_ref(in->allocator);
	zcapi_pin_unlock(in);
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
	zcapi_pin_lock(in);
	old = in->allocator;
	in->allocator = zcap_allocator_ref(a);
	in->read_only = read_only;
	zcapi_pin_unlock(in);
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
	zcapi_pin_lock(in);
	connected = in->peer != NULL;
	zcapi_pin_unlock(in);
	if (!connected)
		return ZCAP_E_NOT_CONNECTED;
	/* CBaseInputPin::Receive: a stopped filter takes nothing. */
	if (zcapi_filter_stopped(in->filter) && in->filter)
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
	if (in->ops.in.end_of_stream)
		ret = in->ops.in.end_of_stream(in);
	/* Every frame before it was received: a renderer is done with them. */
	zcapi_filter_input_ended(in);
	return ret;
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
	zcapi_pin_lock(out);
	*a = zcap_allocator_ref(out->allocator);
	zcapi_pin_unlock(out);
	return *a ? 0 : ZCAP_E_NOT_CONNECTED;
}

void zcapi_pin_pass_allocator(struct zcap_pin *out, struct zcap_allocator *a)
{
	struct zcap_allocator *old;

	zcapi_pin_lock(out);
	old = out->allocator;
	out->allocator = out->peer ? zcap_allocator_ref(a) : NULL;
	zcapi_pin_unlock(out);
	zcap_allocator_unref(old);
}

static struct zcap_pin *output_peer(struct zcap_pin *out)
{
	struct zcap_pin *peer;

	zcapi_pin_lock(out);
	peer = out->peer;
	zcapi_pin_unlock(out);
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
