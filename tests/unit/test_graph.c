// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Filters and the graph: the state machine and its ops, run/stop order
 * (sinks first up, sources first down), events and zcap_graph_wait(),
 * stats snapshots under concurrency.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <linux/videodev2.h>

#include <zcap/error.h>
#include <zcap/graph.h>

#include "helpers.h"
#include "tap.h"

/* A log of ops called, across filters: "pause:sink run:sink ...". */
static char oplog[1024];

static void log_op(struct zcap_filter *f, const char *op)
{
	size_t n = strlen(oplog);

	snprintf(oplog + n, sizeof(oplog) - n, "%s%s:%s", n ? " " : "", op,
		 zcap_filter_name(f));
}

struct fctl {
	int fail_pause, fail_run;
	int post_after_ms;	/* a "streaming thread" posts this event */
	int post_err;
	bool deliver_eos;	/* and first sends end of stream downstream */
	pthread_t th;
	bool th_started;
	int destroyed;
};

static void *poster(void *arg)
{
	struct zcap_filter *f = arg;
	struct fctl *c = zcap_filter_priv(f);

	sleep_ms(c->post_after_ms);
	if (c->deliver_eos)
		zcap_pin_deliver_end_of_stream(zcap_filter_pin(f, ZCAP_PIN_OUTPUT, 0));
	zcap_filter_post_event(f, c->post_err);
	return NULL;
}

static int op_pause(struct zcap_filter *f)
{
	struct fctl *c = zcap_filter_priv(f);

	log_op(f, "pause");
	return c ? c->fail_pause : 0;
}

static int op_run(struct zcap_filter *f)
{
	struct fctl *c = zcap_filter_priv(f);

	log_op(f, "run");
	if (c && c->fail_run)
		return c->fail_run;
	if (c && c->post_after_ms) {
		pthread_create(&c->th, NULL, poster, f);
		c->th_started = true;
	}
	return 0;
}

static int op_stop(struct zcap_filter *f)
{
	struct fctl *c = zcap_filter_priv(f);

	log_op(f, "stop");
	if (c && c->th_started) {
		pthread_join(c->th, NULL);
		c->th_started = false;
	}
	return 0;
}

static void op_destroy(struct zcap_filter *f)
{
	struct fctl *c = zcap_filter_priv(f);

	if (c)
		c->destroyed++;
}

static const struct zcap_filter_ops ops = {
	.pause = op_pause, .run = op_run, .stop = op_stop, .destroy = op_destroy,
};

static int enum_yuyv(struct zcap_pin *pin, uint32_t i, struct zcap_format *f)
{
	(void)pin;
	if (i)
		return -ENOENT;
	memset(f, 0, sizeof(*f));
	f->fourcc = V4L2_PIX_FMT_YUYV;
	f->width = 16;
	f->height = 16;
	return zcap_format_layout(f, NULL);
}

static const struct zcap_output_pin_ops out_ops = { .enum_format = enum_yuyv };

/* The middle filter passes end of stream on, as a transform does. */
static int mid_eos(struct zcap_pin *in)
{
	return zcap_pin_deliver_end_of_stream(zcap_filter_pin(zcap_pin_filter(in),
							      ZCAP_PIN_OUTPUT, 0));
}

static const struct zcap_input_pin_ops mid_in_ops = { .end_of_stream = mid_eos };

static void test_states(void)
{
	struct zcap_filter *f = (void *)1;
	struct fctl c = { 0 };

	is(zcap_filter_new(NULL, &ops, NULL, &f), -EINVAL, "filter name NULL -> -EINVAL");
	ok(f == NULL, "*out NULL");
	is(zcap_filter_new("x", &ops, NULL, NULL), -EINVAL, "filter out NULL -> -EINVAL");
	zcap_filter_new("f", &ops, &c, &f);
	ok(!strcmp(zcap_filter_name(f), "f") && zcap_filter_priv(f) == &c, "filter getters");
	is(zcap_filter_state(f), ZCAP_STATE_STOPPED, "a new filter is stopped");
	oplog[0] = '\0';
	is(zcap_filter_pause(f), 0, "pause");
	is(zcap_filter_state(f), ZCAP_STATE_PAUSED, "paused");
	is(zcap_filter_pause(f), 0, "pause again: nothing to do");
	is(zcap_filter_run(f), 0, "run");
	is(zcap_filter_state(f), ZCAP_STATE_RUNNING, "running");
	is(zcap_filter_run(f), 0, "run again: nothing to do");
	is(zcap_filter_pause(f), ZCAP_E_WRONG_STATE, "pause a running filter -> WRONG_STATE");
	is(zcap_filter_stop(f), 0, "stop");
	is(zcap_filter_stop(f), 0, "stop again: nothing to do");
	ok(!strcmp(oplog, "pause:f run:f stop:f"), "each op once, in order: %s", oplog);
	oplog[0] = '\0';
	zcap_filter_run(f);
	zcap_filter_stop(f);
	ok(!strcmp(oplog, "pause:f run:f stop:f"), "run from stopped pauses first: %s", oplog);

	oplog[0] = '\0';
	c.fail_pause = -EIO;
	is(zcap_filter_pause(f), -EIO, "a failing pause op fails pause");
	is(zcap_filter_state(f), ZCAP_STATE_STOPPED, "and leaves the filter stopped");
	ok(!strcmp(oplog, "pause:f stop:f"), "after stop cleaned up: %s", oplog);
	c.fail_pause = 0;
	c.fail_run = -EIO;
	oplog[0] = '\0';
	is(zcap_filter_run(f), -EIO, "a failing run op fails run");
	is(zcap_filter_state(f), ZCAP_STATE_STOPPED, "stopped again");
	ok(!strcmp(oplog, "pause:f run:f stop:f"), "%s", oplog);
	c.fail_run = 0;

	is(zcap_filter_pause(NULL), -EINVAL, "pause(NULL) -> -EINVAL");
	is(zcap_filter_run(NULL), -EINVAL, "run(NULL) -> -EINVAL");
	is(zcap_filter_stop(NULL), -EINVAL, "stop(NULL) -> -EINVAL");
	is(zcap_filter_get_stats(f, NULL), -EINVAL, "get_stats(NULL) -> -EINVAL");
	ok(zcap_filter_stats_lock(NULL) == NULL, "stats_lock(NULL) -> NULL");
	zcap_filter_run(f);
	zcap_filter_destroy(f);
	is(c.destroyed, 1, "destroy stops a running filter and calls its destroy op");
	ok(strstr(oplog, "stop:f") != NULL, "stopped before destroyed");
	zcap_filter_destroy(NULL);

	{
		struct zcap_filter *bare;

		zcap_filter_new("bare", NULL, NULL, &bare);
		ok(zcap_filter_run(bare) == 0 && zcap_filter_state(bare) == ZCAP_STATE_RUNNING &&
		   zcap_filter_stop(bare) == 0, "a filter with no ops changes state all the same");
		zcap_filter_destroy(bare);
	}
}

struct stats_arg {
	struct zcap_filter *f;
	int n;
};

static void *count_frames(void *arg)
{
	struct stats_arg *s = arg;

	for (int i = 0; i < s->n; i++) {
		struct zcap_filter_stats *st = zcap_filter_stats_lock(s->f);

		st->frames++;
		st->bytes += 10;
		zcap_filter_stats_unlock(s->f);
	}
	return NULL;
}

static void test_stats(void)
{
	struct zcap_filter *f;
	struct zcap_filter_stats st;
	struct stats_arg a;
	pthread_t th[4];
	bool consistent = true;

	zcap_filter_new("stats", NULL, NULL, &f);
	zcap_filter_get_stats(f, &st);
	ok(st.frames == 0 && st.provider[0] == '\0', "stats start at zero");
	a = (struct stats_arg){ f, 20000 };
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, count_frames, &a);
	for (int i = 0; i < 200; i++) {
		zcap_filter_get_stats(f, &st);
		consistent &= st.bytes == st.frames * 10;
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	zcap_filter_get_stats(f, &st);
	ok(consistent, "snapshots taken while 4 threads count are consistent (bytes = 10 x frames)");
	ok(st.frames == 80000 && st.bytes == 800000, "no update lost: 80000 frames");
	zcap_filter_destroy(f);
}

/* src -> mid -> sink, with the pins the order is computed from. */
static void chain(struct zcap_graph *g, struct zcap_filter *f[3], struct fctl c[3])
{
	const char *names[3] = { "src", "mid", "sink" };
	struct zcap_pin *p;
	struct zcap_allocator *own;

	for (int i = 0; i < 3; i++) {
		zcap_filter_new(names[i], &ops, &c[i], &f[i]);
		if (i > 0)
			zcap_pin_new_input(f[i], "in", i == 1 ? &mid_in_ops : NULL, NULL, &p);
		if (i < 2)
			zcap_pin_new_output(f[i], "out", &out_ops, NULL, &p);
	}
	/* Added out of order: the graph must find the order itself. */
	zcap_graph_add(g, f[1]);
	zcap_graph_add(g, f[2]);
	zcap_graph_add(g, f[0]);
	(void)own;
	for (int i = 0; i < 2; i++)
		zcap_graph_connect(g, zcap_filter_pin(f[i], ZCAP_PIN_OUTPUT, 0),
				   zcap_filter_pin(f[i + 1], ZCAP_PIN_INPUT, 0), NULL);
}

static void test_graph_order(void)
{
	struct zcap_graph *g = (void *)1;
	struct zcap_filter *f[3];
	struct fctl c[3] = { 0 };

	is(zcap_graph_new(NULL), -EINVAL, "graph_new(NULL) -> -EINVAL");
	zcap_graph_new(&g);
	chain(g, f, c);
	is(zcap_graph_n_filters(g), 3, "3 filters");
	ok(zcap_pin_peer(zcap_filter_pin(f[0], ZCAP_PIN_OUTPUT, 0)) ==
	   zcap_filter_pin(f[1], ZCAP_PIN_INPUT, 0), "src -> mid connected");
	ok(zcap_graph_filter(g, 1) == f[2] && zcap_graph_filter(g, 3) == NULL, "graph_filter by index");
	is(zcap_graph_add(g, f[0]), -EEXIST, "adding a filter twice -> -EEXIST");
	{
		struct zcap_graph *g2;

		zcap_graph_new(&g2);
		is(zcap_graph_add(g2, f[0]), -EBUSY, "a filter of another graph -> -EBUSY");
		zcap_graph_destroy(g2);
	}
	oplog[0] = '\0';
	is(zcap_graph_run(g), 0, "graph run");
	ok(!strcmp(oplog, "pause:sink pause:mid pause:src run:sink run:mid run:src"),
	   "pauses then runs, sinks first: %s", oplog);
	oplog[0] = '\0';
	is(zcap_graph_stop(g), 0, "graph stop");
	ok(!strcmp(oplog, "stop:src stop:mid stop:sink"), "stops sources first: %s", oplog);

	oplog[0] = '\0';
	c[1].fail_pause = -ENOSPC;
	is(zcap_graph_run(g), -ENOSPC, "a filter failing to pause fails the run");
	ok(zcap_filter_state(f[0]) == ZCAP_STATE_STOPPED && zcap_filter_state(f[2]) == ZCAP_STATE_STOPPED,
	   "and the graph is stopped again: %s", oplog);
	c[1].fail_pause = 0;
	zcap_graph_run(g);
	zcap_graph_destroy(g);
	ok(c[0].destroyed && c[1].destroyed && c[2].destroyed,
	   "graph destroy stops and destroys every filter");
	zcap_graph_destroy(NULL);
}

/*
 * zcap_graph_wait() is DirectShow's EC_COMPLETE: the end of the stream
 * in the sink (a filter with no outputs and a connected input), after the
 * frames before it, not the source's posting it (a queue between the two
 * may still hold the last frames).
 */
static void test_graph_wait(void)
{
	struct zcap_graph *g;
	struct zcap_filter *f[3];
	struct fctl c[3] = { 0 };
	struct zcap_pin *sink_in;
	int64_t t0;

	zcap_graph_new(&g);
	chain(g, f, c);
	sink_in = zcap_filter_pin(f[2], ZCAP_PIN_INPUT, 0);
	c[0].post_after_ms = 100;
	c[0].post_err = ZCAP_E_END_OF_STREAM;
	c[0].deliver_eos = true;
	zcap_graph_run(g);
	t0 = now_ms();
	is(zcap_graph_wait(g, 0), ZCAP_E_TIMEOUT, "wait(0) before the end -> TIMEOUT at once");
	is(zcap_graph_wait(g, 5000), 0, "wait returns 0 when the end of stream reached the sink");
	ok(now_ms() - t0 >= 90 && now_ms() - t0 < 4000, "after the source's 100 ms (%lld)",
	   (long long)(now_ms() - t0));
	is(zcap_graph_wait(g, 0), 0, "and stays ended until the next run");
	zcap_graph_stop(g);

	c[0].post_after_ms = 50;
	c[0].post_err = -EIO;
	c[0].deliver_eos = false;
	zcap_graph_run(g);
	is(zcap_graph_wait(g, -1), -EIO, "an error posted by a filter ends the wait with it");
	zcap_graph_stop(g);

	c[0].post_after_ms = 0;
	zcap_graph_run(g);
	t0 = now_ms();
	is(zcap_graph_wait(g, 120), ZCAP_E_TIMEOUT, "nothing posted -> TIMEOUT");
	ok(now_ms() - t0 >= 110, "after the timeout (%lld ms)", (long long)(now_ms() - t0));
	zcap_filter_post_event(f[0], 0);
	is(zcap_graph_wait(g, 0), ZCAP_E_TIMEOUT,
	   "the source's end of stream alone does not end a graph with a sink");
	zcap_pin_end_of_stream(zcap_filter_pin(f[1], ZCAP_PIN_INPUT, 0));
	is(zcap_graph_wait(g, 0), 0, "its arrival at the sink does (the middle passed it on)");
	zcap_graph_stop(g);
	zcap_graph_run(g);
	is(zcap_graph_wait(g, 0), ZCAP_E_TIMEOUT, "a new run waits for a new end");
	zcap_pin_end_of_stream(sink_in);
	is(zcap_graph_wait(g, 0), 0, "the sink's own end of stream ends it");
	zcap_graph_stop(g);
	is(zcap_pin_end_of_stream(sink_in), ZCAP_E_WRONG_STATE,
	   "a stopped sink takes no end of stream");
	is(zcap_graph_wait(NULL, 0), -EINVAL, "wait(NULL) -> -EINVAL");
	zcap_graph_destroy(g);
}

/*
 * Run on a running graph (IMediaControl::Run): 0, no filter touched, and
 * an event posted before it still ends the next wait. It used to pause
 * the running filters, fail with WRONG_STATE, stop the whole graph and
 * forget the error.
 */
static void test_run_running(void)
{
	struct zcap_graph *g;
	struct zcap_filter *f[3], *late;
	struct fctl c[3] = { 0 }, cl = { 0 };

	zcap_graph_new(&g);
	chain(g, f, c);
	is(zcap_graph_run(g), 0, "run");
	zcap_filter_post_event(f[0], -EIO);
	oplog[0] = '\0';
	is(zcap_graph_run(g), 0, "run again while running -> 0");
	ok(!oplog[0], "no filter op was called: '%s'", oplog);
	for (int i = 0; i < 3; i++)
		is(zcap_filter_state(f[i]), ZCAP_STATE_RUNNING, "%s still running",
		   zcap_filter_name(f[i]));
	is(zcap_graph_wait(g, 0), -EIO, "the error posted before it still ends the wait");

	zcap_filter_new("late", &ops, &cl, &late);
	zcap_graph_add(g, late);
	oplog[0] = '\0';
	is(zcap_graph_run(g), 0, "run with a stopped filter added to the running graph");
	ok(!strcmp(oplog, "pause:late run:late"),
	   "only the stopped filter was paused and run: '%s'", oplog);
	is(zcap_filter_state(late), ZCAP_STATE_RUNNING, "it runs");
	is(zcap_filter_state(f[1]), ZCAP_STATE_RUNNING, "the others still run");
	zcap_graph_stop(g);
	zcap_graph_destroy(g);
}

static void test_two_sources(void)
{
	struct zcap_graph *g;
	struct zcap_filter *a, *b;
	struct fctl ca = { .post_after_ms = 30 }, cb = { .post_after_ms = 150 };

	zcap_graph_new(&g);
	zcap_filter_new("a", &ops, &ca, &a);
	zcap_filter_new("b", &ops, &cb, &b);
	zcap_graph_add(g, a);
	zcap_graph_add(g, b);
	zcap_graph_run(g);
	is(zcap_graph_wait(g, 80), ZCAP_E_TIMEOUT, "one of two sources ended: still waiting");
	is(zcap_graph_wait(g, 5000), 0, "both ended: done");
	zcap_graph_destroy(g);
}

/*
 * A graph whose source is missing (only a sink, or nothing) would never
 * end: run must fail, and wait must never report the end of a stream
 * that cannot start.
 */
static void test_no_source(void)
{
	struct zcap_graph *g;
	struct zcap_filter *sink;
	struct zcap_pin *p;
	struct fctl c = { 0 };

	zcap_graph_new(&g);
	is(zcap_graph_run(g), ZCAP_E_NO_SOURCE, "running an empty graph -> NO_SOURCE");
	is(zcap_graph_wait(g, 0), ZCAP_E_NO_SOURCE, "and waiting on it is not success");
	zcap_filter_new("sink", &ops, &c, &sink);
	zcap_pin_new_input(sink, "in", NULL, NULL, &p);
	zcap_graph_add(g, sink);
	oplog[0] = '\0';
	is(zcap_graph_run(g), ZCAP_E_NO_SOURCE, "a graph of only a sink (no source) -> NO_SOURCE");
	ok(!oplog[0] && zcap_filter_state(sink) == ZCAP_STATE_STOPPED,
	   "and no filter was started: %s", oplog);
	is(zcap_graph_wait(g, 0), ZCAP_E_NO_SOURCE, "wait on it -> NO_SOURCE, not 0");
	is(zcap_graph_wait(g, -1), ZCAP_E_NO_SOURCE, "even a wait without timeout returns at once");
	ok(strstr(zcap_strerror(ZCAP_E_NO_SOURCE), "source") != NULL,
	   "strerror says: %s", zcap_strerror(ZCAP_E_NO_SOURCE));
	zcap_graph_destroy(g);
}

static void test_graph_args(void)
{
	struct zcap_graph *g;
	struct zcap_filter *in, *out;
	struct zcap_pin *pi, *po;

	zcap_graph_new(&g);
	zcap_filter_new("out", NULL, NULL, &out);
	zcap_filter_new("in", NULL, NULL, &in);
	zcap_pin_new_output(out, "o", &out_ops, NULL, &po);
	zcap_pin_new_input(in, "i", NULL, NULL, &pi);
	zcap_graph_add(g, out);
	is(zcap_graph_connect(g, po, pi, NULL), -EINVAL, "connecting a filter that is not in the graph -> -EINVAL");
	is(zcap_graph_add(g, NULL), -EINVAL, "graph_add(NULL) -> -EINVAL");
	is(zcap_graph_add(NULL, in), -EINVAL, "graph_add to NULL -> -EINVAL");
	zcap_filter_destroy(out);
	is(zcap_graph_n_filters(g), 0, "a filter destroyed on its own leaves the graph");
	zcap_filter_destroy(in);
	zcap_graph_destroy(g);
}

int main(void)
{
	test_states();
	test_stats();
	test_graph_order();
	test_graph_wait();
	test_run_running();
	test_two_sources();
	test_no_source();
	test_graph_args();
	return tap_done();
}
