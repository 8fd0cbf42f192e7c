// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The log (zcap/log.h): a graph whose sink proposes an allocator that
 * grants too few buffers and whose source then tries the dma-buf
 * providers (open() interposed: /dev/zcap EACCES, the heap and udmabuf
 * missing) and falls back to plain memory must log each decision, in
 * order, with its level; the level threshold drops what is below it; a
 * filter's own log wins over its graph's and works outside a graph; the
 * note is still kept; level names parse.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>


#include <zcap/error.h>
#include <zcap/graph.h>
#include <zcap/log.h>

#include "core/filter_util.h"
#include "helpers.h"
#include "tap.h"

/* The providers' device nodes: none here, /dev/zcap not ours to open. */
int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (!strcmp(path, "/dev/zcap")) {
		errno = EACCES;
		return -1;
	}
	if (!strncmp(path, "/dev/dma_heap/", 14) || !strcmp(path, "/dev/udmabuf")) {
		errno = ENOENT;
		return -1;
	}
	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

#define MAX_LINES 32

struct log_rec {
	uint32_t n;
	enum zcap_log_level level[MAX_LINES];
	char line[MAX_LINES][300];
};

static void rec_fn(void *user, enum zcap_log_level level, const char *filter,
		   const char *msg)
{
	struct log_rec *r = user;

	if (r->n >= MAX_LINES)
		return;
	r->level[r->n] = level;
	snprintf(r->line[r->n], sizeof(r->line[0]), "%s: %s", filter, msg);
	r->n++;
}

/* The index of the first line at or after @from containing @s, or -1. */
static int find(const struct log_rec *r, uint32_t from, const char *s)
{
	for (uint32_t i = from; i < r->n; i++)
		if (strstr(r->line[i], s))
			return (int)i;
	return -1;
}

/* What the V4L2 source does: the dma-buf providers, else memory. */
static int src_own(struct zcap_pin *pin, struct zcap_allocator **out)
{
	struct zcap_filter *f = zcap_pin_filter(pin);
	int r = zcapi_allocator_new_dmabuf_log(f, ZCAP_PROVIDER_AUTO, out);

	if (r != ZCAP_E_NO_PROVIDER)
		return r;
	zcapi_filter_note(f, "no dma-buf provider could be opened; capturing with a copy");
	return zcap_allocator_new_memory(out);
}

static const struct zcap_output_pin_ops src_ops = {
	.enum_format = enum_yuyv_64x16,
	.own_allocator = src_own,
};

/* The sink's proposal: a fake dma-buf allocator that grants 2 at most. */
static int sink_propose(struct zcap_pin *pin, struct zcap_allocator **out)
{
	struct fake_prov *fp;
	int r = fake_allocator(out, &fp);

	(void)pin;
	if (!r)
		fp->max_count = 2;
	return r;
}

static int sink_req(struct zcap_pin *pin, struct zcap_alloc_requirements *req)
{
	(void)pin;
	req->held = 3;
	return 0;
}

static const struct zcap_input_pin_ops sink_ops = {
	.propose_allocator = sink_propose,
	.get_requirements = sink_req,
};

static void build(struct zcap_graph **g, struct zcap_pin **out,
		  struct zcap_pin **in)
{
	struct zcap_filter *src, *sink;

	zcap_graph_new(g);
	zcap_filter_new("src", NULL, NULL, &src);
	zcap_filter_new("sink", NULL, NULL, &sink);
	zcap_pin_new_output(src, "out", &src_ops, NULL, out);
	zcap_pin_new_input(sink, "in", &sink_ops, NULL, in);
	zcap_graph_add(*g, src);
	zcap_graph_add(*g, sink);
}

static void test_fallbacks_in_order(void)
{
	struct log_rec r = { 0 };
	struct zcap_pin *out, *in;
	struct zcap_graph *g;
	struct zcap_filter_stats st;
	int a, b, c, d, e, f, h;

	build(&g, &out, &in);
	is(zcap_graph_set_log(g, ZCAP_LOG_DEBUG, rec_fn, &r), 0, "graph log set (debug)");
	is(zcap_graph_connect(g, out, in, NULL), 0, "connected, on plain memory");
	for (uint32_t i = 0; i < r.n; i++)
		tap_diag("%s: %s", zcap_log_level_name(r.level[i]), r.line[i]);
	a = find(&r, 0, "in requires");
	b = find(&r, 0, "format agreed with in");
	c = find(&r, 0, "in proposes an allocator");
	d = find(&r, 0, "allocator refused: granted 2 x");
	e = find(&r, 0, "provider zcap: ");
	f = find(&r, 0, "provider udmabuf: ");
	h = find(&r, 0, "allocator chosen: memory");
	ok(a >= 0 && a < b && b < c && c < d && d < e && e < f && f < h,
	   "requirements, format, proposal, refusal, providers, choice: in order (%d %d %d %d %d %d %d)",
	   a, b, c, d, e, f, h);
	ok(a >= 0 && r.level[a] == ZCAP_LOG_DEBUG && b >= 0 && r.level[b] == ZCAP_LOG_INFO &&
	   d >= 0 && r.level[d] == ZCAP_LOG_WARN && h >= 0 && r.level[h] == ZCAP_LOG_INFO,
	   "levels: requirements debug, format info, refusal warn, choice info");
	ok(e >= 0 && r.level[e] == ZCAP_LOG_WARN && strstr(r.line[e], "group video") &&
	   !strncmp(r.line[e], "src: ", 5),
	   "the zcap.ko fallback is a warning of the source saying why (EACCES: group video)");
	ok(find(&r, 0, "asked 4 x") >= 0 && find(&r, 0, "granted 2 x") >= 0,
	   "properties asked and granted are logged");
	ok(find(&r, 0, "no dma-buf provider could be opened") > f,
	   "the note is logged too (a warning), after the providers");
	zcap_filter_get_stats(zcap_pin_filter(out), &st);
	ok(strstr(st.note, "no dma-buf provider") != NULL, "and kept in the note");
	zcap_graph_destroy(g);
}

static void test_level_filter(void)
{
	struct log_rec r = { 0 };
	struct zcap_pin *out, *in;
	struct zcap_graph *g;
	bool only = true;

	build(&g, &out, &in);
	is(zcap_graph_set_log(g, ZCAP_LOG_WARN, rec_fn, &r), 0, "graph log set (warn)");
	zcap_graph_connect(g, out, in, NULL);
	for (uint32_t i = 0; i < r.n; i++)
		only &= r.level[i] <= ZCAP_LOG_WARN;
	ok(r.n >= 4 && only, "warn: %u lines, none info or debug", r.n);
	is(zcap_graph_set_log(g, ZCAP_LOG_DEBUG + 1, rec_fn, &r), -EINVAL, "a bad level: EINVAL");
	is(zcap_graph_set_log(NULL, ZCAP_LOG_INFO, rec_fn, &r), -EINVAL, "no graph: EINVAL");
	r.n = 0;
	zcap_graph_set_log(g, ZCAP_LOG_NONE, rec_fn, &r);
	zcap_filter_log(zcap_pin_filter(out), ZCAP_LOG_ERROR, "x");
	is((int)r.n, 0, "none: nothing");
	zcap_graph_destroy(g);
}

static void test_filter_log(void)
{
	struct log_rec rg = { 0 }, rf = { 0 };
	struct zcap_filter *f, *lone;
	struct zcap_graph *g;

	zcap_graph_new(&g);
	zcap_filter_new("f", NULL, NULL, &f);
	zcap_graph_add(g, f);
	zcap_graph_set_log(g, ZCAP_LOG_DEBUG, rec_fn, &rg);
	zcap_filter_log(f, ZCAP_LOG_INFO, "to the graph %d", 1);
	is(zcap_filter_set_log(f, ZCAP_LOG_INFO, rec_fn, &rf), 0, "filter log set");
	zcap_filter_log(f, ZCAP_LOG_INFO, "to the filter");
	zcap_filter_log(f, ZCAP_LOG_DEBUG, "below the filter's level");
	ok(rg.n == 1 && !strcmp(rg.line[0], "f: to the graph 1") && rf.n == 1 &&
	   !strcmp(rf.line[0], "f: to the filter"),
	   "the filter's own log wins over the graph's, at its own level");
	zcap_filter_new("lone", NULL, NULL, &lone);
	zcap_filter_set_log(lone, ZCAP_LOG_ERROR, rec_fn, &rf);
	zcapi_filter_error(lone, -EIO, "dev", "read", false);
	ok(rf.n == 2 && rf.level[1] == ZCAP_LOG_ERROR && strstr(rf.line[1], "lone: dev: read"),
	   "a filter outside a graph logs to its own log (an error)");
	is(zcap_filter_set_log(NULL, ZCAP_LOG_INFO, rec_fn, &rf), -EINVAL, "no filter: EINVAL");
	zcap_filter_log(NULL, ZCAP_LOG_ERROR, "nothing");
	zcap_filter_destroy(lone);
	zcap_graph_destroy(g);
}

static void test_names(void)
{
	enum zcap_log_level l = ZCAP_LOG_NONE;

	ok(!zcap_log_level_parse("debug", &l) && l == ZCAP_LOG_DEBUG &&
	   !zcap_log_level_parse("2", &l) && l == ZCAP_LOG_WARN &&
	   !zcap_log_level_parse("warning", &l) && l == ZCAP_LOG_WARN &&
	   !zcap_log_level_parse("0", &l) && l == ZCAP_LOG_NONE,
	   "levels parse by name and 0-4");
	ok(zcap_log_level_parse("5", &l) == -EINVAL && zcap_log_level_parse("", &l) == -EINVAL &&
	   zcap_log_level_parse(NULL, &l) == -EINVAL && l == ZCAP_LOG_NONE,
	   "anything else: EINVAL, level untouched");
	ok(!strcmp(zcap_log_level_name(ZCAP_LOG_INFO), "info") &&
	   !strcmp(zcap_log_level_name((enum zcap_log_level)9), "?"), "names");
}

int main(void)
{
	test_fallbacks_in_order();
	test_level_filter();
	test_filter_log();
	test_names();
	return tap_done();
}
