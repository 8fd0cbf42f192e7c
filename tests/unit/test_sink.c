// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The sink base (zcap_sink_new(), sinks.h): its requirements say what the
 * config holds; each sample is counted (frames, bytes the callback says,
 * copies, errors, latency) or, on an error, dropped with last_error, the
 * graph's wait ended only with ZCAP_SINK_END_ON_ERROR; release on stop
 * and disconnect, destroy once; arguments checked. And the user guide's
 * callback consumer (tests/unit/guide_consumer.c, which must be the
 * guide's text) runs against a source that delivers a few frames.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>


#include <zcap/zcap.h>

#include "guide_consumer.c"
#include "helpers.h"
#include "tap.h"

#define FRAMES 5

/* ---- a source that delivers FRAMES samples on its own thread ---------- */

/* Samples with an odd sequence come flagged bad by the device. */
static bool odd_errors;

struct src {
	pthread_t th;
	bool started;
	struct zcap_pin *out;
};

static const struct zcap_output_pin_ops src_pin_ops = { .enum_format = enum_yuyv_64x16 };

static void *src_thread(void *arg)
{
	struct zcap_filter *f = arg;
	struct src *c = zcap_filter_priv(f);
	struct zcap_allocator *a;
	struct zcap_format fmt;
	int err = zcap_pin_allocator(c->out, &a);

	zcap_pin_format(c->out, &fmt);
	for (int i = 0; i < FRAMES && !err; i++) {
		struct zcap_sample *s;

		err = zcap_allocator_get_buffer(a, 1000, &s);
		if (err)
			break;
		zcap_sample_set_format(s, &fmt);
		zcap_sample_set_sequence(s, (uint64_t)i);
		zcap_sample_set_bytesused(s, 0, fmt.mem_size[0]);
		zcap_sample_set_flags(s, odd_errors && (i & 1) ? ZCAP_SAMPLE_ERROR : 0);
		/* A refused sample is the sink's to count, as for the V4L2 source. */
		zcap_pin_deliver(c->out, s);
		zcap_sample_unref(s);
	}
	zcap_allocator_unref(a);
	zcap_pin_deliver_end_of_stream(c->out);
	zcap_filter_post_event(f, err);
	return NULL;
}

static int src_pause(struct zcap_filter *f)
{
	struct src *c = zcap_filter_priv(f);
	struct zcap_allocator *a;
	int r = zcap_pin_allocator(c->out, &a);

	if (r)
		return r;
	r = zcap_allocator_commit(a);
	zcap_allocator_unref(a);
	return r;
}

static int src_run(struct zcap_filter *f)
{
	struct src *c = zcap_filter_priv(f);
	int r = -pthread_create(&c->th, NULL, src_thread, f);

	c->started = !r;
	return r;
}

static int src_stop(struct zcap_filter *f)
{
	struct src *c = zcap_filter_priv(f);
	struct zcap_allocator *a;

	if (c->started)
		pthread_join(c->th, NULL);
	c->started = false;
	if (!zcap_pin_allocator(c->out, &a)) {
		zcap_allocator_decommit(a);
		zcap_allocator_unref(a);
	}
	return 0;
}

static void src_destroy(struct zcap_filter *f)
{
	free(zcap_filter_priv(f));
}

static const struct zcap_filter_ops src_ops = {
	.pause = src_pause, .run = src_run, .stop = src_stop, .destroy = src_destroy,
};

static struct zcap_filter *new_src(void)
{
	struct src *c = calloc(1, sizeof(*c));
	struct zcap_filter *f;

	zcap_filter_new("src", &src_ops, c, &f);
	zcap_pin_new_output(f, "out", &src_pin_ops, NULL, &c->out);
	return f;
}

/* ---- a callback that fails on request, counts its releases ------------ */

struct ctl {
	int fail;		/* receive returns this */
	bool propose;		/* propose a fake dma-buf allocator */
	uint32_t received, released, destroyed, eos;
	struct zcap_sample *kept;
	enum zcap_provider served;	/* the provider of the samples received */
};

static int ctl_receive(void *user, struct zcap_sample *s, struct zcap_sink_frame *fr)
{
	struct ctl *c = user;

	c->received++;
	c->served = zcap_allocator_provider(zcap_sample_allocator(s));
	if (c->fail)
		return c->fail;
	if (!c->kept)
		c->kept = zcap_sample_ref(s);
	fr->bytes = 100;
	fr->copied = 7;
	return 0;
}

static void ctl_release(void *user)
{
	struct ctl *c = user;

	c->released++;
	zcap_sample_unref(c->kept);
	c->kept = NULL;
}

static void ctl_destroy(void *user)
{
	((struct ctl *)user)->destroyed++;
}

static int ctl_propose(void *user, struct zcap_allocator **out)
{
	struct ctl *c = user;

	return c->propose ? fake_allocator(out, NULL) : ZCAP_E_NO_ALLOCATOR;
}

static int ctl_eos(void *user)
{
	((struct ctl *)user)->eos++;
	return 0;
}

static const struct zcap_sink_ops ctl_ops = {
	.receive = ctl_receive, .release = ctl_release, .destroy = ctl_destroy,
	.propose_allocator = ctl_propose, .end_of_stream = ctl_eos,
};

/* The warnings the graph logged. */
static uint32_t warnings;

static void count_warnings(void *user, enum zcap_log_level level,
			   const char *filter, const char *msg)
{
	(void)user;
	(void)msg;
	if (level == ZCAP_LOG_WARN && !strcmp(filter, "ctl"))
		warnings++;
}

static void run_graph(struct ctl *c, uint32_t flags, int *wait_ret,
		      struct zcap_filter_stats *st)
{
	const struct zcap_sink_config cfg = { .name = "ctl", .held = 2, .flags = flags };
	struct zcap_alloc_requirements req;
	struct zcap_filter *src = new_src(), *sink;
	struct zcap_graph *g;

	zcap_graph_new(&g);
	warnings = 0;
	zcap_graph_set_log(g, ZCAP_LOG_WARN, count_warnings, NULL);
	zcap_graph_add(g, src);
	zcap_sink_new(&cfg, &ctl_ops, c, &sink);
	zcap_graph_add(g, sink);
	zcap_pin_get_allocator_requirements(zcap_filter_pin(sink, ZCAP_PIN_INPUT, 0), &req);
	if (req.held != 2)
		tap_diag("requirements: held %u", req.held);
	zcap_graph_connect(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0),
			   zcap_filter_pin(sink, ZCAP_PIN_INPUT, 0), NULL);
	zcap_graph_run(g);
	*wait_ret = zcap_graph_wait(g, 5000);
	zcap_graph_stop(g);
	zcap_filter_get_stats(sink, st);
	ok(zcap_sink_user(sink) == c && zcap_sink_user(src) == NULL,
	   "zcap_sink_user: the sink's user, NULL for another filter");
	zcap_graph_destroy(g);
}

static void test_counts(void)
{
	struct ctl c = { 0 };
	struct zcap_filter_stats st;
	int w;

	run_graph(&c, 0, &w, &st);
	ok(w == 0 && c.received == FRAMES && st.frames == FRAMES && !st.dropped,
	   "every sample to the callback, each a frame (%u)", c.received);
	ok(st.bytes == 100 * FRAMES && st.bytes_copied == 7 * FRAMES,
	   "bytes and copies as the callback said");
	ok(c.released >= 1 && !c.kept && c.destroyed == 1,
	   "the held sample released on stop, destroy called once");
	ok(c.eos == 1 && c.served == ZCAP_PROVIDER_MEMORY,
	   "end of stream reached the callback; nothing proposed: the producer's memory");
	memset(&c, 0, sizeof(c));
	c.propose = true;
	run_graph(&c, 0, &w, &st);
	ok(w == 0 && c.received == FRAMES && c.served == ZCAP_PROVIDER_DMA_HEAP,
	   "a proposed allocator is the one the samples come from");
}

static void test_errors(void)
{
	struct ctl c = { .fail = -ENOSPC };
	struct zcap_filter_stats st;
	int w;

	run_graph(&c, 0, &w, &st);
	ok(w == 0 && st.dropped >= 1 && st.last_error == -ENOSPC && !st.frames,
	   "an error: a drop and last_error, the stream goes on (%llu dropped)",
	   (unsigned long long)st.dropped);
	ok(warnings == st.dropped, "each drop is a warning in the log (%u)", warnings);
	memset(&c, 0, sizeof(c));
	c.fail = -ENOSPC;
	run_graph(&c, ZCAP_SINK_END_ON_ERROR, &w, &st);
	is(w, -ENOSPC, "END_ON_ERROR: the graph's wait ends with the error");
}

/* FRAMES is 5: samples 1 and 3 are flagged. */
static void test_skip_errors(void)
{
	struct ctl c = { 0 };
	struct zcap_filter_stats st;
	int w;

	odd_errors = true;
	run_graph(&c, 0, &w, &st);
	ok(w == 0 && c.received == FRAMES && st.frames == FRAMES && st.errors == 2,
	   "bad samples reach a callback by default, counted as frames and errors");
	memset(&c, 0, sizeof(c));
	run_graph(&c, ZCAP_SINK_SKIP_ERRORS, &w, &st);
	ok(w == 0 && c.received == FRAMES - 2 && st.frames == FRAMES - 2 &&
	   st.errors == 2 && !st.dropped,
	   "SKIP_ERRORS: the 2 bad samples never reach the callback, counted as errors (%u received)",
	   c.received);
	odd_errors = false;
}

static void test_args(void)
{
	const struct zcap_sink_config cfg = { 0 }, bad = { .flags = 1u << 2 };
	const struct zcap_sink_config bad_layout = { .layout.reserved = 1 };
	const struct zcap_sink_config laid = {
		.held = 3,
		.layout = { .stride_align = 256, .height_align = 16, .offset_align = 64 },
	};
	const struct zcap_sink_ops none = { 0 };
	struct zcap_alloc_requirements req;
	struct zcap_filter *f = (void *)1;
	struct ctl c = { 0 }, c2 = { 0 };

	is(zcap_sink_new(NULL, &ctl_ops, NULL, &f), -EINVAL, "no config: EINVAL");
	ok(f == NULL, "and *out NULL");
	is(zcap_sink_new(&cfg, NULL, NULL, &f), -EINVAL, "no ops: EINVAL");
	is(zcap_sink_new(&cfg, &none, NULL, &f), -EINVAL, "no receive: EINVAL");
	is(zcap_sink_new(&cfg, &ctl_ops, NULL, NULL), -EINVAL, "no out: EINVAL");
	is(zcap_sink_new(&bad, &ctl_ops, NULL, &f), -EINVAL, "unknown flags: EINVAL");
	is(zcap_sink_new(&cfg, &ctl_ops, &c, &f), 0, "defaults");
	zcap_pin_get_allocator_requirements(zcap_filter_pin(f, ZCAP_PIN_INPUT, 0), &req);
	ok(req.held == 1 && !strcmp(zcap_filter_name(f), "sink") &&
	   !req.layout.stride_align && !req.layout.height_align,
	   "held 0 is 1, name 'sink', no layout constraint");
	zcap_filter_destroy(f);
	is(zcap_sink_new(&bad_layout, &ctl_ops, NULL, &f), -EINVAL,
	   "layout.reserved set: EINVAL");
	is(zcap_sink_new(&laid, &ctl_ops, &c2, &f), 0, "layout constraints");
	zcap_pin_get_allocator_requirements(zcap_filter_pin(f, ZCAP_PIN_INPUT, 0), &req);
	ok(req.held == 3 && req.layout.stride_align == 256 &&
	   req.layout.height_align == 16 && req.layout.offset_align == 64,
	   "its requirements carry them with held 3");
	zcap_filter_destroy(f);
	ok(c.destroyed == 1 && zcap_sink_user(NULL) == NULL,
	   "destroyed with its filter; zcap_sink_user(NULL): NULL");
}

/* ---- the user guide's example ----------------------------------------- */

/* The guide's block after the marker line naming the example's file. */
static char *guide_block(void)
{
	static const char marker[] = "<!-- tests/unit/guide_consumer.c -->\n```c\n";
	char path[512], *text = NULL, *b, *e, *out = NULL;
	const char *me = __FILE__;
	size_t n = strlen(me) - strlen("tests/unit/test_sink.c");
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%.*sDocumentation/user-guide.md", (int)n, me);
	f = fopen(path, "r");
	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	text = calloc(1, (size_t)len + 1);
	if (!text || fread(text, 1, (size_t)len, f) != (size_t)len)
		goto out;
	b = strstr(text, marker);
	e = b ? strstr(b + sizeof(marker) - 1, "```\n") : NULL;
	if (e)
		out = strndup(b + sizeof(marker) - 1, (size_t)(e - b - (sizeof(marker) - 1)));
out:
	if (f)
		fclose(f);
	free(text);
	return out;
}

static char *example_file(void)
{
	char path[512], *text;
	const char *me = __FILE__;
	size_t n = strlen(me) - strlen("test_sink.c");
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%.*sguide_consumer.c", (int)n, me);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)len + 1);
	if (text && fread(text, 1, (size_t)len, f) != (size_t)len)
		text[0] = '\0';
	fclose(f);
	return text;
}

static void test_guide_example(void)
{
	struct counter c = { .last_fd = -2 };
	char *block = guide_block(), *file = example_file();
	const char *body = file ? strchr(file, '\n') : NULL;

	ok(block && body && !strcmp(block, body + 1),
	   "the user guide's example is tests/unit/guide_consumer.c (after its SPDX line)");
	is(capture_to_callback(new_src(), &c), 0, "the guide's consumer runs to the end of the stream");
	ok(c.frames == FRAMES && c.bytes == (uint64_t)FRAMES * 64 * 16 * 2 && c.last_fd == -1,
	   "it saw every frame, its bytes, its memory block (plain memory: fd -1)");
	free(block);
	free(file);
}

int main(void)
{
	test_counts();
	test_errors();
	test_skip_errors();
	test_args();
	test_guide_example();
	return tap_done();
}
