// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The core commits an output pin's decided allocator when its filter
 * leaves STOPPED and decommits it when the filter is stopped again
 * (CBaseOutputPin::Active/Inactive), so a source's pause op finds it
 * committed without committing it; a commit that fails fails the pause
 * before the op runs; an unconnected output pin is left alone.
 */
#include <errno.h>
#include <string.h>

#include <zcap/zcap.h>

#include "helpers.h"
#include "tap.h"

struct src {
	struct zcap_pin *out;
	int pauses;
	bool committed_in_pause;	/* what the pause op found */
};

static int src_pause(struct zcap_filter *f)
{
	struct src *c = zcap_filter_priv(f);
	struct zcap_allocator *a;

	c->pauses++;
	if (!zcap_pin_allocator(c->out, &a)) {
		c->committed_in_pause = zcap_allocator_committed(a);
		zcap_allocator_unref(a);
	}
	return 0;
}

static const struct zcap_filter_ops src_ops = { .pause = src_pause };

static struct fake_prov *fp;

/* The output pin's own allocator: a fake dma-buf one, failing on request. */
static int src_own(struct zcap_pin *pin, struct zcap_allocator **out)
{
	(void)pin;
	return fake_allocator(out, &fp);
}

static const struct zcap_output_pin_ops src_pin_ops = {
	.enum_format = enum_yuyv_64x16,
	.own_allocator = src_own,
};

static const struct zcap_input_pin_ops sink_pin_ops = { 0 };

static bool committed(struct zcap_pin *out)
{
	struct zcap_allocator *a;
	bool c;

	if (zcap_pin_allocator(out, &a))
		return false;
	c = zcap_allocator_committed(a);
	zcap_allocator_unref(a);
	return c;
}

int main(void)
{
	struct zcap_filter *fs, *fk, *lone;
	struct zcap_pin *in, *lone_out;
	struct src c = { 0 }, lc = { 0 };

	zcap_filter_new("src", &src_ops, &c, &fs);
	zcap_filter_new("sink", NULL, NULL, &fk);
	zcap_pin_new_output(fs, "out", &src_pin_ops, NULL, &c.out);
	zcap_pin_new_input(fk, "in", &sink_pin_ops, NULL, &in);
	is(zcap_pin_connect(c.out, in, NULL), 0, "connected on the output pin's own allocator");
	ok(!committed(c.out), "connecting commits nothing");
	is(zcap_filter_pause(fs), 0, "pause");
	ok(c.committed_in_pause && committed(c.out),
	   "the pause op found the decided allocator committed; it stays so");
	is(zcap_filter_run(fs), 0, "run");
	ok(committed(c.out), "running: committed");
	is(zcap_filter_stop(fs), 0, "stop");
	ok(!committed(c.out), "stopped: decommitted");

	/* A commit that fails: the pause fails, its op never runs. */
	fp->fail_alloc = -ENOMEM;
	c.pauses = 0;
	is(zcap_filter_pause(fs), -ENOMEM, "a failed commit fails the pause");
	ok(c.pauses == 0 && zcap_filter_state(fs) == ZCAP_STATE_STOPPED && !committed(c.out),
	   "without calling the pause op, still stopped");
	fp->fail_alloc = 0;

	/* An unconnected output pin has no allocator to commit. */
	zcap_filter_new("lone", &src_ops, &lc, &lone);
	zcap_pin_new_output(lone, "out", &src_pin_ops, NULL, &lone_out);
	lc.out = lone_out;
	ok(zcap_filter_pause(lone) == 0 && lc.pauses == 1 && !lc.committed_in_pause,
	   "an unconnected output pin: pause goes on, nothing committed");
	zcap_filter_destroy(lone);
	zcap_filter_destroy(fs);
	zcap_filter_destroy(fk);
	return tap_done();
}
