// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The tee out of memory: an allocation failure must never lose a
 * sample's reference, or the buffer never goes back to its allocator and
 * a decommit never completes. Failures are injected through
 * zcapi_tee_fail_allocs(); pins are wired by hand (no allocator
 * negotiation is needed to move samples).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <string.h>

#include <zcap/consumers.h>
#include <zcap/error.h>
#include <zcap/sinks.h>

#include "helpers.h"
#include "tap.h"

struct sink_ctl {
	int received;
	int block_first_ms;	/* the first receive blocks this long */
	atomic_int done;	/* receives returned */
	atomic_int done_at_eos;	/* done when end of stream came */
};

static int sink_receive(void *user, struct zcap_sample *s,
			struct zcap_sink_frame *fr)
{
	struct sink_ctl *c = user;

	(void)s;
	(void)fr;
	if (!c->received++ && c->block_first_ms)
		sleep_ms(c->block_first_ms);
	atomic_fetch_add(&c->done, 1);
	return 0;
}

static int sink_eos(void *user)
{
	struct sink_ctl *c = user;

	atomic_store(&c->done_at_eos, atomic_load(&c->done));
	return 0;
}

static const struct zcap_sink_ops sink_ops = {
	.receive = sink_receive, .end_of_stream = sink_eos,
};
static const struct zcap_sink_config sink_cfg = { .name = "sink" };

struct rig {
	struct zcap_allocator *a;
	struct zcap_filter *tee, *src, *sink[2];
	struct zcap_pin *src_out, *tee_in, *sink_in[2];
	struct sink_ctl c[2];
};

static void wire(struct zcap_pin *out, struct zcap_pin *in)
{
	out->peer = in;
	in->peer = out;
}

static void rig_init(struct rig *r, uint32_t n_out, uint32_t buffers)
{
	struct zcap_alloc_props p = props_1(buffers, 4096);

	memset(r, 0, sizeof(*r));
	zcap_allocator_new_memory(&r->a);
	zcap_allocator_set_properties(r->a, &p, NULL);
	zcap_allocator_commit(r->a);
	zcap_tee_new(n_out, &r->tee);
	r->tee_in = zcap_filter_pin(r->tee, ZCAP_PIN_INPUT, 0);
	zcap_filter_new("src", NULL, NULL, &r->src);
	zcap_pin_new_output(r->src, "out", NULL, NULL, &r->src_out);
	wire(r->src_out, r->tee_in);
	for (uint32_t i = 0; i < n_out; i++) {
		zcap_sink_new(&sink_cfg, &sink_ops, &r->c[i], &r->sink[i]);
		r->sink_in[i] = zcap_filter_pin(r->sink[i], ZCAP_PIN_INPUT, 0);
		wire(zcap_filter_pin(r->tee, ZCAP_PIN_OUTPUT, i), r->sink_in[i]);
		zcap_filter_run(r->sink[i]);
	}
	zcap_filter_run(r->tee);
}

static void rig_fini(struct rig *r)
{
	zcap_filter_destroy(r->tee);
	zcap_filter_destroy(r->src);
	for (int i = 0; i < 2; i++)
		zcap_filter_destroy(r->sink[i]);
	zcap_allocator_decommit(r->a);
	zcap_allocator_unref(r->a);
}

static void send(struct rig *r, uint32_t n)
{
	struct zcap_sample *s;

	for (uint32_t i = 0; i < n; i++) {
		if (zcap_allocator_get_buffer(r->a, 1000, &s))
			return;
		zcap_pin_receive(r->tee_in, s);
		zcap_sample_unref(s);
	}
}

/*
 * Samples still queued when stop gives up draining (a consumer stuck past
 * the 1 s limit) are released even when the allocation for that fails.
 */
static void test_stop_enomem(void)
{
	struct rig r;

	rig_init(&r, 1, 4);
	r.c[0].block_first_ms = 1500;
	send(&r, 4);
	zcapi_tee_fail_allocs(r.tee, 1);
	zcap_filter_stop(r.tee);
	is(free_buffers(r.a, 4), 4, "after stop out of memory every buffer is back");
	rig_fini(&r);
}

/* A queue that cannot grow drops the frame for that branch only. */
static void test_push_enomem(void)
{
	struct zcap_filter_stats st;
	struct rig r;

	rig_init(&r, 2, 4);
	zcapi_tee_fail_allocs(r.tee, 1);
	send(&r, 1);
	zcap_filter_stop(r.tee);
	is(r.c[1].received, 1, "the other branch still got the frame");
	is(r.c[0].received, 0, "the branch out of memory did not");
	zcap_filter_get_stats(r.tee, &st);
	is(st.dropped, 1, "and counted one drop");
	is(free_buffers(r.a, 4), 4, "every buffer is back");
	rig_fini(&r);
}

/*
 * The graph's end (EC_COMPLETE) waits for every branch: the source's end
 * of stream passes the tee at once, but a slow branch still has its last
 * frame, and the wait returns only once that sink had it and the end.
 */
static void test_wait_for_branches(void)
{
	struct zcap_graph *g;
	struct rig r;
	int64_t t0;

	rig_init(&r, 2, 4);
	r.c[0].block_first_ms = 300;
	zcap_graph_new(&g);
	zcap_graph_add(g, r.src);
	zcap_graph_add(g, r.tee);
	zcap_graph_add(g, r.sink[0]);
	zcap_graph_add(g, r.sink[1]);
	/* rig_init() ran them by hand: the graph runs them now. */
	zcap_filter_stop(r.tee);
	zcap_filter_stop(r.sink[0]);
	zcap_filter_stop(r.sink[1]);
	is(zcap_graph_run(g), 0, "source, tee and two sinks run");
	send(&r, 1);
	zcap_pin_deliver_end_of_stream(r.src_out);
	zcap_filter_post_event(r.src, ZCAP_E_END_OF_STREAM);
	t0 = now_ms();
	is(zcap_graph_wait(g, 5000), 0, "the graph ends");
	ok(atomic_load(&r.c[0].done) == 1 && atomic_load(&r.c[0].done_at_eos) == 1 &&
	   atomic_load(&r.c[1].done_at_eos) == 1,
	   "after both sinks had the frame, then the end of stream");
	ok(now_ms() - t0 >= 200, "the slow branch's 300 ms included (%lld ms)",
	   (long long)(now_ms() - t0));
	zcap_graph_stop(g);
	is(free_buffers(r.a, 4), 4, "every buffer is back");
	zcap_graph_destroy(g);
	zcap_allocator_decommit(r.a);
	zcap_allocator_unref(r.a);
}

/* ---- the tee in a graph, connected as zcap-capture connects it ---- */

static int enum_small_yuyv(struct zcap_pin *pin, uint32_t i,
			   struct zcap_format *f)
{
	(void)pin;
	if (i)
		return -ENOENT;
	memset(f, 0, sizeof(*f));
	f->fourcc = ZCAP_FOURCC('Y', 'U', 'Y', 'V');
	f->width = 64;
	f->height = 48;
	return zcap_format_layout(f, NULL);
}

static const struct zcap_output_pin_ops src_pin_ops = { .enum_format = enum_small_yuyv };

/* A consumer whose NotifyAllocator refuses while told to. */
static bool refuse_notify;

static int picky_notify(struct zcap_pin *in, struct zcap_allocator *a,
			bool read_only)
{
	(void)in;
	(void)a;
	(void)read_only;
	return refuse_notify ? ZCAP_E_PROPS_REJECTED : 0;
}

static const struct zcap_input_pin_ops picky_ops = { .notify_allocator = picky_notify };

static struct zcap_allocator *out_alloc(struct zcap_filter *f)
{
	struct zcap_allocator *a = NULL;

	zcap_pin_allocator(zcap_filter_pin(f, ZCAP_PIN_OUTPUT, 0), &a);
	zcap_allocator_unref(a);	/* the pin keeps one: compare only */
	return a;
}

static struct zcap_allocator *tee_out_alloc(struct zcap_filter *tee, uint32_t i)
{
	struct zcap_allocator *a = NULL;

	zcap_pin_allocator(zcap_filter_pin(tee, ZCAP_PIN_OUTPUT, i), &a);
	zcap_allocator_unref(a);
	return a;
}

/*
 * Consumers first said what they hold, then the source's pin connects
 * again so that it sizes its pool for them all (tools/consumers.c). The
 * new connection's allocator must be the one the tee's outputs commit:
 * they kept the first one, and a run committed two pools, one of them
 * never filled.
 */
static void test_reconnected_input(void)
{
	struct zcap_filter *src, *tee, *sink0, *picky;
	struct zcap_pin *src_out, *tee_in, *in0, *in1;
	struct zcap_allocator *first, *now;
	struct zcap_graph *g;

	zcap_graph_new(&g);
	zcap_filter_new("src", NULL, NULL, &src);
	zcap_pin_new_output(src, "out", &src_pin_ops, NULL, &src_out);
	zcap_tee_new(2, &tee);
	zcap_null_sink_new(NULL, &sink0);
	zcap_filter_new("picky", NULL, NULL, &picky);
	zcap_pin_new_input(picky, "in", &picky_ops, NULL, &in1);
	zcap_graph_add(g, src);
	zcap_graph_add(g, tee);
	zcap_graph_add(g, sink0);
	zcap_graph_add(g, picky);
	tee_in = zcap_filter_pin(tee, ZCAP_PIN_INPUT, 0);
	in0 = zcap_filter_pin(sink0, ZCAP_PIN_INPUT, 0);
	is(zcap_graph_connect(g, src_out, tee_in, NULL), 0, "source -> tee");
	is(zcap_graph_connect(g, zcap_filter_pin(tee, ZCAP_PIN_OUTPUT, 0), in0, NULL), 0,
	   "tee -> null sink");
	is(zcap_graph_connect(g, zcap_filter_pin(tee, ZCAP_PIN_OUTPUT, 1), in1, NULL), 0,
	   "tee -> a consumer of its own");
	ok(in0->read_only && in1->read_only,
	   "consumers connected to the tee are notified read-only (%d, %d)",
	   in0->read_only, in1->read_only);
	first = zcap_allocator_ref(out_alloc(src));

	is(zcap_pin_disconnect(src_out), 0, "the source's pin disconnects");
	ok(!tee_out_alloc(tee, 0) && !tee_out_alloc(tee, 1),
	   "the tee's outputs pass on no allocator without upstream");
	refuse_notify = true;
	ok(zcap_graph_connect(g, src_out, tee_in, NULL) != 0,
	   "a consumer refusing the new allocator fails the connection");
	ok(!tee_out_alloc(tee, 0),
	   "and the output that had moved to it is back to none");
	refuse_notify = false;
	is(zcap_graph_connect(g, src_out, tee_in, NULL), 0, "source -> tee again");
	now = out_alloc(src);
	ok(now && now != first, "the new connection has an allocator of its own");
	ok(tee_out_alloc(tee, 0) == now && tee_out_alloc(tee, 1) == now,
	   "both tee outputs decided on it");
	ok(in0->allocator == now && in1->allocator == now && in0->read_only &&
	   in1->read_only, "both consumers were told of it, read-only");

	is(zcap_graph_run(g), 0, "run");
	ok(zcap_allocator_committed(now), "the source's allocator is committed");
	ok(!zcap_allocator_committed(first),
	   "the first connection's allocator is not (no second pool)");
	zcap_graph_stop(g);
	zcap_allocator_unref(first);
	zcap_graph_destroy(g);
}

int main(void)
{
	test_stop_enomem();
	test_push_enomem();
	test_wait_for_branches();
	test_reconnected_input();
	return tap_done();
}
