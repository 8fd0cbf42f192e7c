// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * DecideAllocator asks the input pin's requirements after the format is
 * agreed (ReceiveConnection), as DirectShow's CBaseOutputPin does: a pin
 * that needs more buffers for a larger format can say so, and the
 * allocator decided is sized from that answer. A layout the agreed format
 * no longer meets refuses that format.
 */
#include <errno.h>
#include <string.h>

#include <zcap/zcap.h>

#include "helpers.h"
#include "tap.h"

static struct {
	uint32_t asked, asked_with_format;
	uint32_t stride_align_after;	/* the layout it asks once it sees the format */
} in_ctl;

/* Holds one buffer per 16 lines, which it can only know from the format. */
static int in_req(struct zcap_pin *pin, struct zcap_alloc_requirements *req)
{
	struct zcap_format f;

	in_ctl.asked++;
	if (zcap_pin_format(pin, &f))
		return 0;
	in_ctl.asked_with_format++;
	req->held = f.height / 16 + 4;
	req->layout.stride_align = in_ctl.stride_align_after;
	return 0;
}

static const struct zcap_input_pin_ops in_ops = { .get_requirements = in_req };
static const struct zcap_output_pin_ops out_ops = { .enum_format = enum_yuyv_64x16 };

static void pins(struct zcap_filter **a, struct zcap_filter **b,
		 struct zcap_pin **out, struct zcap_pin **in)
{
	memset(&in_ctl, 0, sizeof(in_ctl));
	zcap_filter_new("src", NULL, NULL, a);
	zcap_filter_new("sink", NULL, NULL, b);
	zcap_pin_new_output(*a, "out", &out_ops, NULL, out);
	zcap_pin_new_input(*b, "in", &in_ops, NULL, in);
}

int main(void)
{
	struct zcap_filter *a, *b;
	struct zcap_pin *out, *in;
	struct zcap_allocator *al;

	pins(&a, &b, &out, &in);
	is(zcap_pin_connect(out, in, NULL), 0, "connected");
	ok(in_ctl.asked >= 2 && in_ctl.asked_with_format == 1,
	   "requirements asked before (layout) and once after the format was agreed");
	zcap_pin_allocator(out, &al);
	ok(al && zcap_allocator_count(al) >= 16 / 16 + 4 + 1,
	   "the allocator is sized from the answer given with the format (%u buffers)",
	   al ? zcap_allocator_count(al) : 0);
	zcap_allocator_unref(al);
	zcap_filter_destroy(a);
	zcap_filter_destroy(b);

	/* 64x16 YUYV has a 128-byte stride: a 4096-byte alignment is not met. */
	pins(&a, &b, &out, &in);
	in_ctl.stride_align_after = 4096;
	is(zcap_pin_connect(out, in, NULL), ZCAP_E_TYPE_NOT_ACCEPTED,
	   "a layout the agreed format does not meet: the format is refused");
	ok(!zcap_pin_peer(out) && !zcap_pin_peer(in), "and nothing stays linked");
	zcap_filter_destroy(a);
	zcap_filter_destroy(b);
	return tap_done();
}
