/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pins: DirectShow's IPin and IMemInputPin.
 *
 * An output pin connects to an input pin with a format. The input pin's
 * requirements are asked first for their layout constraints, which take
 * part in agreeing the format. Once the input pin accepted the format
 * (ReceiveConnection), connecting decides the allocator as DirectShow's
 * CBaseOutputPin::DecideAllocator does:
 *  1. ask the input pin's requirements again, now that zcap_pin_format()
 *     answers on it (optional: ZCAP_E_NOT_IMPLEMENTED is a valid answer;
 *     a layout the agreed format does not meet refuses the format);
 *  2. ask the input pin for its allocator (GetAllocator); if it offers one,
 *     size it (decide_buffer_size) and notify the input pin of it;
 *  3. otherwise, or if that fails, take the output pin's own allocator,
 *     size it, and notify the input pin of that one.
 * The input pin's GetAllocator returns the allocator it proposes until
 * NotifyAllocator, and the selected one after; a pin with nothing to offer
 * returns ZCAP_E_NO_ALLOCATOR and no object. Every allocator handed out
 * carries a reference the caller releases with zcap_allocator_unref().
 * What the allocator granted is checked against what was asked, what the
 * input pin requires (count >= held + 1) and what the format needs
 * (mem_size): less is ZCAP_E_PROPS_REJECTED, and the next allocator is
 * tried.
 *
 * A stopped filter's input pin refuses samples (ZCAP_E_WRONG_STATE), as
 * CBaseInputPin::Receive does; an unconnected one ZCAP_E_NOT_CONNECTED.
 */
#ifndef ZCAP_PIN_H
#define ZCAP_PIN_H

#include <stdbool.h>
#include <stdint.h>

#include <zcap/allocator.h>
#include <zcap/format.h>
#include <zcap/sample.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zcap_pin;
struct zcap_filter;

enum zcap_pin_dir {
	ZCAP_PIN_INPUT,
	ZCAP_PIN_OUTPUT,
};

/* What a filter implements for one of its input pins. NULL = default. */
struct zcap_input_pin_ops {
	/* QueryAccept/ReceiveConnection: 0 or ZCAP_E_TYPE_NOT_ACCEPTED. NULL accepts any. */
	int (*accept_format)(struct zcap_pin *pin, const struct zcap_format *fmt);
	/*
	 * The allocator this pin proposes, with a reference for the caller,
	 * or ZCAP_E_NO_ALLOCATOR. NULL: the pin proposes nothing.
	 */
	int (*propose_allocator)(struct zcap_pin *pin, struct zcap_allocator **out);
	/* GetAllocatorRequirements; NULL: ZCAP_E_NOT_IMPLEMENTED. */
	int (*get_requirements)(struct zcap_pin *pin, struct zcap_alloc_requirements *req);
	/* NotifyAllocator: a chance to refuse it (non-zero) or to prepare for it. */
	int (*notify_allocator)(struct zcap_pin *pin, struct zcap_allocator *a, bool read_only);
	/*
	 * Receive one sample; the pin takes its own reference if it keeps it.
	 * NULL: the pin takes no samples (ZCAP_E_NOT_IMPLEMENTED).
	 */
	int (*receive)(struct zcap_pin *pin, struct zcap_sample *s);
	/* ReceiveCanBlock: 1 if receive may block, 0 if not. NULL: 1. */
	int (*receive_can_block)(struct zcap_pin *pin);
	/* EndOfStream from upstream. */
	int (*end_of_stream)(struct zcap_pin *pin);
	/*
	 * The connection is gone (or a connection attempt failed after the
	 * format was agreed); drop what belongs to it.
	 */
	void (*disconnect)(struct zcap_pin *pin);
};

/* What a filter implements for one of its output pins. */
struct zcap_output_pin_ops {
	/* The formats this pin offers, best first: fill @fmt for @index, -ENOENT past the end. */
	int (*enum_format)(struct zcap_pin *pin, uint32_t index, struct zcap_format *fmt);
	/*
	 * DecideBufferSize: merge the peer's requirements @req (zeroed when
	 * it had none) with the filter's own needs into @props to request.
	 */
	int (*decide_buffer_size)(struct zcap_pin *pin, struct zcap_allocator *a,
				  const struct zcap_alloc_requirements *req,
				  const struct zcap_format *fmt,
				  struct zcap_alloc_props *props);
	/* The output pin's own allocator (InitAllocator), with a reference. */
	int (*own_allocator)(struct zcap_pin *pin, struct zcap_allocator **out);
	/* Called once the allocator is decided (after NotifyAllocator). */
	int (*allocator_decided)(struct zcap_pin *pin, struct zcap_allocator *a);
	void (*disconnect)(struct zcap_pin *pin);
	/*
	 * CheckMediaType: can this pin produce @fmt exactly (planes, strides,
	 * offsets)? 0 or ZCAP_E_TYPE_NOT_ACCEPTED. Asked for a format given
	 * to zcap_pin_connect() and for an enumerated one that connect re-laid
	 * out (zcap_format_layout) to meet the input pin's layout
	 * requirements. NULL: only enumerated formats, as they are, and any
	 * format given to zcap_pin_connect().
	 */
	int (*query_format)(struct zcap_pin *pin, const struct zcap_format *fmt);
};

int zcap_pin_new_input(struct zcap_filter *owner, const char *name,
		       const struct zcap_input_pin_ops *ops, void *priv,
		       struct zcap_pin **out);
int zcap_pin_new_output(struct zcap_filter *owner, const char *name,
			const struct zcap_output_pin_ops *ops, void *priv,
			struct zcap_pin **out);
/* Disconnects first. */
void zcap_pin_destroy(struct zcap_pin *pin);

void *zcap_pin_priv(const struct zcap_pin *pin);
const char *zcap_pin_name(const struct zcap_pin *pin);
enum zcap_pin_dir zcap_pin_direction(const struct zcap_pin *pin);
struct zcap_filter *zcap_pin_filter(const struct zcap_pin *pin);
struct zcap_pin *zcap_pin_peer(const struct zcap_pin *pin);
/* The format of the connection; ZCAP_E_NOT_CONNECTED when none. */
int zcap_pin_format(const struct zcap_pin *pin, struct zcap_format *out);

/*
 * Connect @out to @in. @fmt may be NULL: the output pin's formats are
 * tried in order until the input pin accepts one. Decides the allocator.
 */
int zcap_pin_connect(struct zcap_pin *out, struct zcap_pin *in,
		     const struct zcap_format *fmt);
int zcap_pin_disconnect(struct zcap_pin *pin);

/* IMemInputPin, on an input pin. */
int zcap_pin_get_allocator(struct zcap_pin *in, struct zcap_allocator **out);
int zcap_pin_notify_allocator(struct zcap_pin *in, struct zcap_allocator *a,
			      bool read_only);
int zcap_pin_get_allocator_requirements(struct zcap_pin *in,
					struct zcap_alloc_requirements *req);
int zcap_pin_receive(struct zcap_pin *in, struct zcap_sample *s);
/* Receives samples in order; *done says how many were taken. */
int zcap_pin_receive_multiple(struct zcap_pin *in, struct zcap_sample **s,
			      uint32_t n, uint32_t *done);
int zcap_pin_receive_can_block(struct zcap_pin *in);
int zcap_pin_end_of_stream(struct zcap_pin *in);

/* On an output pin: the decided allocator (with a reference), and delivery. */
int zcap_pin_allocator(struct zcap_pin *out, struct zcap_allocator **a);
int zcap_pin_deliver(struct zcap_pin *out, struct zcap_sample *s);
int zcap_pin_deliver_end_of_stream(struct zcap_pin *out);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_PIN_H */
