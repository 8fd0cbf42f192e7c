// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture_test: drives libzcap's V4L2 source the way the capture VM suite
 * needs, and checks what only a program inside the graph can see:
 *  - every sample carries a layout (planes, offsets, strides) that fits
 *    its memory (Documentation/users.md, lost offsets and strides);
 *  - buffer i always has the same dma-buf fds (Documentation/users.md,
 *    one dma-buf per index);
 *  - zcap.ko's debugfs map/vmap counters stop growing after the first
 *    round of buffers (the driver keeps its mapping);
 *  - every sample is back in the allocator after stop, and run -> stop ->
 *    run works in one process (Documentation/users.md, leaks and EBUSY
 *    on stop).
 * It prints "key value" lines for the suite to judge, and a last line
 * "result ok" or "result FAIL: why"; exit status 0 only with "result ok".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zcap/zcap.h>

#include "fourcc.h"
#include "zcap_stats.h"

#define MAX_INDEX 256

struct opts {
	struct zcap_v4l2_source_config cfg;
	const char *output;
	const char *sink;	/* check (default), file, null */
	uint32_t runs;
	uint32_t hold_ms;
	uint32_t flags;
	int wait_s;
	int expect_error;	/* the run must end with this; 0: at the end of the stream */
};

struct check_sink {
	struct zcap_filter *filter;	/* a zcap_sink_new() sink */
	int fd;
	uint32_t flags;
	uint32_t count;		/* allocator buffers */
	uint64_t frames;	/* this run */
	uint64_t round_at;	/* frame at which the first round is over */
	int64_t maps_round, vmaps_round, maps_end, vmaps_end;
	int fds[MAX_INDEX][ZCAP_MAX_PLANES];
	uint64_t offsets[ZCAP_MAX_PLANES];
	char fail[256];
	uint64_t written;
};

static char failure[512];

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(failure, sizeof(failure), fmt, ap);
	va_end(ap);
}

static int cs_receive(void *user, struct zcap_sample *s,
		      struct zcap_sink_frame *fr)
{
	struct check_sink *cs = user;
	const struct zcap_format *f = zcap_sample_format(s);
	uint32_t idx = zcap_sample_index(s), n_mem = zcap_sample_n_mem(s), m, p;
	struct zcap_mem mem;
	uint64_t written = 0;
	int ret;

	(void)fr;	/* the sample's own layout is what is checked here */
	cs->frames++;
	if (cs->frames == 1) {
		/* The suite waits for this line before it pulls the plug. */
		printf("first-frame\n");
		fflush(stdout);
	}
	if (!f || !f->n_planes) {
		snprintf(cs->fail, sizeof(cs->fail), "sample %u has no layout", idx);
		return 0;
	}
	for (p = 0; p < f->n_planes; p++) {
		const struct zcap_plane_layout *pl = &f->planes[p];

		if (pl->mem >= n_mem || zcap_sample_mem(s, pl->mem, &mem) < 0 ||
		    pl->offset + pl->size > mem.length) {
			snprintf(cs->fail, sizeof(cs->fail),
				 "plane %u (offset %" PRIu64 " size %" PRIu64
				 ") does not fit its memory", p, pl->offset, pl->size);
			return 0;
		}
		cs->offsets[p] = pl->offset;
	}
	if (idx < MAX_INDEX) {
		for (m = 0; m < n_mem && m < ZCAP_MAX_PLANES; m++) {
			if (zcap_sample_mem(s, m, &mem) < 0)
				continue;
			if (cs->fds[idx][m] == -2)
				cs->fds[idx][m] = mem.fd;
			else if (cs->fds[idx][m] != mem.fd && !cs->fail[0])
				snprintf(cs->fail, sizeof(cs->fail),
					 "buffer %u block %u changed fd %d -> %d",
					 idx, m, cs->fds[idx][m], mem.fd);
		}
	}
	if (cs->frames == cs->round_at) {
		cs->maps_round = zcap_stat("map_calls");
		cs->vmaps_round = zcap_stat("vmap_calls");
	}
	cs->maps_end = zcap_stat("map_calls");
	cs->vmaps_end = zcap_stat("vmap_calls");
	if (cs->fd >= 0) {
		ret = zcap_sample_write(s, NULL, cs->fd, cs->flags, &written, NULL);
		if (ret < 0) {
			snprintf(cs->fail, sizeof(cs->fail), "writing a frame: %s",
				 zcap_strerror(ret));
			return ret;
		}
		cs->written += written;
	}
	return 0;
}

/* cs lives on main()'s stack: no destroy op. */
static const struct zcap_sink_ops cs_ops = { .receive = cs_receive };

static void cs_reset(struct check_sink *cs)
{
	uint32_t i, m;

	cs->frames = 0;
	cs->written = 0;
	cs->maps_round = cs->vmaps_round = cs->maps_end = cs->vmaps_end = -1;
	for (i = 0; i < MAX_INDEX; i++)
		for (m = 0; m < ZCAP_MAX_PLANES; m++)
			cs->fds[i][m] = -2;
}

static void usage(void)
{
	fprintf(stderr,
"usage: capture_test -d DEV [-f FOURCC] [-s WxH] [--stride N] [-p PROVIDER]\n"
"       [-n FRAMES] [--runs N] [-o FILE] [--raw] [--sink check|file|null]\n"
"       [--hold-ms MS] [--wait S] [--timeout MS] [--extra N] [--fps N]\n"
"       [--expect-error disconnect|timeout|io]\n");
	exit(2);
}

static enum zcap_provider provider(const char *s)
{
	if (!strcmp(s, "auto"))
		return ZCAP_PROVIDER_AUTO;
	if (!strcmp(s, "zcap"))
		return ZCAP_PROVIDER_ZCAP;
	if (!strcmp(s, "heap"))
		return ZCAP_PROVIDER_DMA_HEAP;
	if (!strcmp(s, "udmabuf"))
		return ZCAP_PROVIDER_UDMABUF;
	if (!strcmp(s, "memory"))
		return ZCAP_PROVIDER_MEMORY;
	usage();
	return ZCAP_PROVIDER_AUTO;
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "stride", required_argument, NULL, 'S' },
		{ "runs", required_argument, NULL, 'r' },
		{ "raw", no_argument, NULL, 'R' },
		{ "sink", required_argument, NULL, 'k' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ "wait", required_argument, NULL, 'w' },
		{ "expect-disconnect", no_argument, NULL, 'D' },
		{ "expect-error", required_argument, NULL, 'E' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "extra", required_argument, NULL, 'X' },
		{ "fps", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->runs = 1;
	o->sink = "check";
	o->wait_s = 120;
	o->cfg.max_frames = 10;
	while ((c = getopt_long(argc, argv, "d:f:s:p:n:o:", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->cfg.device = optarg;
			break;
		case 'f':
			if (zcap_tool_parse_fourcc(optarg, &o->cfg.fourcc) < 0)
				usage();
			break;
		case 's':
			if (sscanf(optarg, "%ux%u", &o->cfg.width, &o->cfg.height) != 2)
				usage();
			break;
		case 'S':
			o->cfg.stride = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'p':
			o->cfg.provider = provider(optarg);
			break;
		case 'n':
			o->cfg.max_frames = strtoull(optarg, NULL, 0);
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'r':
			o->runs = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'R':
			o->flags |= ZCAP_FILE_SINK_RAW;
			break;
		case 'k':
			o->sink = optarg;
			break;
		case 'H':
			o->hold_ms = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'w':
			o->wait_s = atoi(optarg);
			break;
		case 'D':
			o->expect_error = ZCAP_E_DISCONNECTED;
			break;
		case 'E':
			if (!strcmp(optarg, "disconnect"))
				o->expect_error = ZCAP_E_DISCONNECTED;
			else if (!strcmp(optarg, "timeout"))
				o->expect_error = ZCAP_E_STALLED;
			else if (!strcmp(optarg, "io"))
				o->expect_error = -EIO;
			else
				usage();
			break;
		case 'T':
			o->cfg.timeout_ms = atoi(optarg);
			break;
		case 'X':
			o->cfg.extra_buffers = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'F':
			o->cfg.fps = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (!o->cfg.device || !o->runs || optind != argc)
		usage();
}

static void print_list(const char *key, const uint64_t *v, uint32_t n)
{
	uint32_t i;

	printf(" %s ", key);
	for (i = 0; i < n; i++)
		printf("%s%" PRIu64, i ? "," : "", v[i]);
}

int main(int argc, char **argv)
{
	struct zcap_filter *src = NULL, *snk = NULL;
	struct zcap_allocator *a = NULL;
	struct zcap_filter_stats sst, kst;
	struct zcap_graph *g = NULL;
	struct check_sink cs;
	struct zcap_format fmt;
	uint64_t list[ZCAP_MAX_PLANES];
	uint64_t prev_frames = 0, prev_copied = 0, prev_sink = 0, prev_bytes = 0;
	char desc[256], fcc[5];
	struct opts o;
	uint32_t r, p;
	int ret, waited;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse(argc, argv, &o);
	memset(&cs, 0, sizeof(cs));
	cs.fd = -1;
	cs.flags = o.flags;
	if (o.output && !strcmp(o.sink, "check")) {
		cs.fd = open(o.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (cs.fd < 0) {
			printf("result FAIL: %s: %s\n", o.output, strerror(errno));
			return 1;
		}
	}

	ret = zcap_graph_new(&g);
	if (ret < 0)
		goto err;
	ret = zcap_v4l2_source_new(&o.cfg, &src);
	if (ret < 0) {
		fail("zcap_v4l2_source_new: %s", zcap_strerror(ret));
		goto out;
	}
	ret = zcap_graph_add(g, src);
	if (ret < 0) {
		zcap_filter_destroy(src);
		goto err;
	}
	if (!strcmp(o.sink, "file")) {
		struct zcap_file_sink_config fc = {
			.path = o.output, .fd = -1, .flags = o.flags,
		};

		ret = zcap_file_sink_new(&fc, &snk);
	} else if (!strcmp(o.sink, "null")) {
		struct zcap_null_sink_config nc = { .hold_ms = o.hold_ms };

		ret = zcap_null_sink_new(&nc, &snk);
	} else {
		const struct zcap_sink_config kc = { .name = "capture-test", .held = 1 };

		ret = zcap_sink_new(&kc, &cs_ops, &cs, &cs.filter);
		snk = cs.filter;
	}
	if (ret < 0)
		goto err;
	ret = zcap_graph_add(g, snk);
	if (ret < 0) {
		zcap_filter_destroy(snk);
		goto err;
	}
	ret = zcap_graph_connect(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0),
				 zcap_filter_pin(snk, ZCAP_PIN_INPUT, 0), NULL);
	if (ret < 0) {
		zcap_filter_get_stats(src, &sst);
		fail("connect: %s (%s)", zcap_strerror(ret), sst.note);
		goto out;
	}
	zcap_pin_format(zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0), &fmt);
	zcap_pin_allocator(zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0), &a);
	zcap_v4l2_source_describe(src, desc, sizeof(desc));
	printf("device %s\n", desc);
	printf("format %s %ux%u planes %u mem %u", zcap_fourcc_str(fmt.fourcc, fcc),
	       fmt.width, fmt.height, fmt.n_planes, fmt.n_mem);
	for (p = 0; p < fmt.n_planes; p++)
		list[p] = fmt.planes[p].stride;
	print_list("stride", list, fmt.n_planes);
	for (p = 0; p < fmt.n_mem; p++)
		list[p] = fmt.mem_size[p];
	print_list("sizeimage", list, fmt.n_mem);
	printf("\n");
	printf("provider %s\n", zcap_provider_name(zcap_allocator_provider(a)));
	printf("describe %s\n", zcap_allocator_describe(a));
	printf("buffers %u\n", zcap_allocator_count(a));
	cs.count = zcap_allocator_count(a);
	/* Every buffer has been queued, filled and requeued once by then. */
	cs.round_at = 2 * (uint64_t)cs.count + 1;

	for (r = 1; r <= o.runs && !failure[0]; r++) {
		cs_reset(&cs);
		ret = zcap_graph_run(g);
		if (ret < 0) {
			zcap_filter_get_stats(src, &sst);
			fail("run %u: %s (%s)", r, zcap_strerror(ret), sst.note);
			break;
		}
		waited = 0;
		do {
			ret = zcap_graph_wait(g, 1000);
		} while (ret == ZCAP_E_TIMEOUT && ++waited < o.wait_s);
		zcap_graph_stop(g);
		zcap_filter_get_stats(src, &sst);
		zcap_filter_get_stats(snk, &kst);

		printf("run %u frames %" PRIu64 " sink_frames %" PRIu64
		       " dropped %" PRIu64 " errors %" PRIu64 " copied %" PRIu64
		       " bytes %" PRIu64 " written %" PRIu64 " outstanding %u",
		       r, sst.frames - prev_frames, kst.frames - prev_sink, sst.dropped,
		       sst.errors, sst.bytes_copied - prev_copied,
		       sst.bytes - prev_bytes, cs.written,
		       zcap_allocator_outstanding(a));
		if (!strcmp(o.sink, "check")) {
			printf(" maps_round %" PRId64 " maps_end %" PRId64
			       " vmaps_round %" PRId64 " vmaps_end %" PRId64,
			       cs.maps_round, cs.maps_end, cs.vmaps_round, cs.vmaps_end);
			print_list("offsets", cs.offsets, fmt.n_planes);
		}
		printf(" status %s\n", ret == 0 ? "eos" : zcap_strerror(ret));
		if (sst.note[0])
			printf("note %s\n", sst.note);
		if (sst.last_error)
			printf("last_error %s\n", zcap_strerror(sst.last_error));

		if (o.expect_error) {
			if (ret != o.expect_error)
				fail("run %u ended with '%s', not '%s'", r,
				     zcap_strerror(ret), zcap_strerror(o.expect_error));
		} else if (ret != 0 && ret != ZCAP_E_END_OF_STREAM) {
			fail("run %u: %s (%s)", r, zcap_strerror(ret), sst.note);
		} else if (sst.frames - prev_frames != o.cfg.max_frames) {
			fail("run %u: %" PRIu64 " frames, wanted %" PRIu64, r,
			     sst.frames - prev_frames, o.cfg.max_frames);
		} else if (kst.frames - prev_sink != o.cfg.max_frames) {
			fail("run %u: the sink got %" PRIu64 " frames", r,
			     kst.frames - prev_sink);
		}
		if (cs.fail[0])
			fail("run %u: %s", r, cs.fail);
		if (zcap_allocator_outstanding(a))
			fail("run %u: %u samples still out after stop", r,
			     zcap_allocator_outstanding(a));
		prev_frames = sst.frames;
		prev_copied = sst.bytes_copied;
		prev_sink = kst.frames;
		prev_bytes = sst.bytes;
	}
	goto out;
err:
	fail("%s", zcap_strerror(ret));
out:
	if (a)
		zcap_allocator_unref(a);
	zcap_graph_destroy(g);
	if (cs.fd >= 0 && close(cs.fd) < 0)
		fail("%s: %s", o.output, strerror(errno));
	if (failure[0]) {
		printf("result FAIL: %s\n", failure);
		return 1;
	}
	printf("result ok\n");
	return 0;
}
