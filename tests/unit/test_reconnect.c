// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reconnecting is a graph operation (zcap_graph_reconnect(), DirectShow's
 * IFilterGraph2::ReconnectEx): the same two pins, a new format, the
 * allocator decided again; a refused format leaves the old connection;
 * running filters, an unconnected pin and a pin outside the graph are
 * refused.
 */
#include <errno.h>
#include <string.h>

#include <zcap/zcap.h>

#include "helpers.h"
#include "tap.h"

/* Takes any format but 48 pixels wide. */
static int in_accept(struct zcap_pin *pin, const struct zcap_format *f)
{
	(void)pin;
	return f->width == 48 ? ZCAP_E_TYPE_NOT_ACCEPTED : 0;
}

static const struct zcap_input_pin_ops in_ops = { .accept_format = in_accept };
static const struct zcap_output_pin_ops out_ops = { .enum_format = enum_yuyv_64x16 };

static struct zcap_format yuyv(uint32_t w)
{
	struct zcap_format f = { .fourcc = V4L2_PIX_FMT_YUYV, .width = w, .height = 16 };

	zcap_format_layout(&f, NULL);
	return f;
}

static uint64_t block_size(struct zcap_pin *out)
{
	struct zcap_alloc_props p = { 0 };
	struct zcap_allocator *a;

	if (zcap_pin_allocator(out, &a))
		return 0;
	zcap_allocator_get_properties(a, &p);
	zcap_allocator_unref(a);
	return p.size[0];
}

int main(void)
{
	struct zcap_filter *src, *sink, *other;
	struct zcap_pin *out, *in, *lone;
	struct zcap_format f = yuyv(256), got;
	struct zcap_graph *g;

	zcap_graph_new(&g);
	zcap_filter_new("src", NULL, NULL, &src);
	zcap_filter_new("sink", NULL, NULL, &sink);
	zcap_pin_new_output(src, "out", &out_ops, NULL, &out);
	zcap_pin_new_input(sink, "in", &in_ops, NULL, &in);
	zcap_graph_add(g, src);
	zcap_graph_add(g, sink);
	is(zcap_graph_connect(g, out, in, NULL), 0, "connected at 64x16");
	is((long long)block_size(out), 64 * 16 * 2, "the allocator holds 64x16 frames");

	is(zcap_graph_reconnect(g, in, &f), 0, "reconnect from the input pin at 256x16");
	ok(!zcap_pin_format(out, &got) && got.width == 256 && zcap_pin_peer(in) == out,
	   "the same pins, the new format");
	is((long long)block_size(out), 256 * 16 * 2, "the allocator decided again, for 256x16");

	f = yuyv(48);
	is(zcap_graph_reconnect(g, out, &f), ZCAP_E_TYPE_NOT_ACCEPTED, "a refused format: the error");
	ok(!zcap_pin_format(in, &got) && got.width == 256 && block_size(out) == 256 * 16 * 2,
	   "and the previous connection, as it was");

	zcap_filter_pause(src);
	is(zcap_graph_reconnect(g, out, NULL), ZCAP_E_WRONG_STATE, "a paused filter: WRONG_STATE");
	ok(zcap_pin_peer(out) == in, "still connected");
	zcap_filter_stop(src);

	zcap_filter_new("other", NULL, NULL, &other);
	zcap_pin_new_output(other, "out", &out_ops, NULL, &lone);
	zcap_graph_add(g, other);
	is(zcap_graph_reconnect(g, lone, NULL), ZCAP_E_NOT_CONNECTED, "an unconnected pin: NOT_CONNECTED");
	is(zcap_graph_reconnect(NULL, out, NULL), -EINVAL, "no graph: EINVAL");
	is(zcap_graph_reconnect(g, NULL, NULL), -EINVAL, "no pin: EINVAL");
	zcap_graph_destroy(g);
	return tap_done();
}
