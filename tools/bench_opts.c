// SPDX-License-Identifier: GPL-2.0
/*
 * zcap-bench's command line: its options, their defaults, their parsing
 * and --help. Numbers and sizes are read as every tool reads them
 * (toolopt.h).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/videodev2.h>

#include "bench.h"
#include "toolopt.h"

static const char *prog = BENCH_PROG;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [options]\n"
		"Measure zero-copy capture against the copy path, the raw DMABUF loop\n"
		"and the kernel's dma-buf exporters (Documentation/benchmarks.md).\n\n"
		"  -d, --device DEV     V4L2 capture device (default /dev/video0)\n"
		"  -s, --sizes LIST     WxH[,WxH...] (default 640x480,1280x720,1920x1080,3840x2160)\n"
		"  -n, --frames N       frames measured per path and size (default 100)\n"
		"  -w, --warmup N       frames before each measurement starts (default 5)\n"
		"  -r, --rounds N       split the frames in N runs, paths interleaved (default 4)\n"
		"  -p, --paths LIST     of a,b,c,d,heap,udmabuf (d = heap,udmabuf; default a,b,c,d)\n"
		"      --buffers N      V4L2 buffers of the raw paths (default: as many as libzcap took)\n"
		"      --fps N          frame rate to ask for (default: the fastest the driver offers)\n"
		"      --pool-count N   buffers per pool in the pool test (default 8)\n"
		"      --pool-reps N    pool creations per provider and size (default 9)\n"
		"      --no-pool        skip the pool test\n"
		"      --timeout MS     longest wait for one frame (default 5000)\n"
		"      --path-timeout S longest run of one path at one size (default 120)\n"
		"      --csv FILE       write every figure and ratio as CSV\n"
		"      --version        print the version and exit\n"
		"  -h, --help           print this text and exit\n", prog);
}

static void die_usage(const char *msg, const char *arg)
{
	zcap_tool_die_usage(prog, "%s '%s'", msg, arg);
}

/* Decimal, at least @min; half of 32 bits at most, as before any sum. */
static uint32_t parse_u32(const char *s, const char *what, uint32_t min)
{
	uint32_t v;

	if (zcap_tool_parse_u32(s, 10, min, UINT32_MAX / 2, &v) < 0)
		die_usage(what, s);
	return v;
}

static void parse_sizes(struct bench_opts *o, char *list)
{
	char *tok, *save = NULL;

	o->n_sizes = 0;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->n_sizes == BENCH_MAX_SIZES)
			die_usage("too many sizes in", tok);
		if (zcap_tool_parse_size(tok, 16, &o->w[o->n_sizes], &o->h[o->n_sizes]) < 0)
			die_usage("invalid size (want WxH, each at least 16)", tok);
		o->n_sizes++;
	}
	if (!o->n_sizes)
		die_usage("no size in", "");
}

static void parse_paths(struct bench_opts *o, char *list)
{
	char *tok, *save = NULL;
	int i;

	memset(o->paths, 0, sizeof(o->paths));
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "d")) {
			o->paths[BENCH_PATH_HEAP] = true;
			o->paths[BENCH_PATH_UDMABUF] = true;
			continue;
		}
		for (i = 0; i < BENCH_N_PATHS; i++) {
			if (!strcmp(tok, bench_path_key[i])) {
				o->paths[i] = true;
				break;
			}
		}
		if (i == BENCH_N_PATHS)
			die_usage("unknown path", tok);
	}
	for (i = 0; i < BENCH_N_PATHS; i++)
		if (o->paths[i])
			return;
	die_usage("no path in", "");
}

enum { O_BUFFERS = 256, O_FPS, O_POOL_COUNT, O_POOL_REPS, O_NO_POOL, O_TIMEOUT,
	O_PATH_TIMEOUT, O_CSV };

static const struct option lopts[] = {
	{ "device", required_argument, NULL, 'd' },
	{ "sizes", required_argument, NULL, 's' },
	{ "frames", required_argument, NULL, 'n' },
	{ "warmup", required_argument, NULL, 'w' },
	{ "rounds", required_argument, NULL, 'r' },
	{ "paths", required_argument, NULL, 'p' },
	{ "buffers", required_argument, NULL, O_BUFFERS },
	{ "fps", required_argument, NULL, O_FPS },
	{ "pool-count", required_argument, NULL, O_POOL_COUNT },
	{ "pool-reps", required_argument, NULL, O_POOL_REPS },
	{ "no-pool", no_argument, NULL, O_NO_POOL },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "path-timeout", required_argument, NULL, O_PATH_TIMEOUT },
	{ "csv", required_argument, NULL, O_CSV },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, ZCAP_TOOL_OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void set_defaults(struct bench_opts *o)
{
	char def_sizes[] = "640x480,1280x720,1920x1080,3840x2160";
	char def_paths[] = "a,b,c,d";

	memset(o, 0, sizeof(*o));
	o->device = "/dev/video0";
	o->frames = 100;
	o->warmup = 5;
	o->rounds = 4;
	o->pools = true;
	o->pool_count = 8;
	o->pool_reps = 9;
	o->timeout_ms = 5000;
	o->path_timeout_s = 120;
	parse_sizes(o, def_sizes);
	parse_paths(o, def_paths);
}

/* The options that take a count; false when @c is none of them. */
static bool parse_count(struct bench_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'n':
		o->frames = parse_u32(arg, "invalid frame count", 1);
		return true;
	case 'w':
		o->warmup = parse_u32(arg, "invalid warm-up (at least 1)", 1);
		return true;
	case 'r':
		o->rounds = parse_u32(arg, "invalid round count", 1);
		return true;
	case O_BUFFERS:
		o->buffers = parse_u32(arg, "invalid buffer count (2..32)", 2);
		if (o->buffers > VIDEO_MAX_FRAME)
			die_usage("invalid buffer count (2..32)", arg);
		return true;
	case O_FPS:
		o->fps = parse_u32(arg, "invalid frame rate", 1);
		return true;
	case O_POOL_COUNT:
		o->pool_count = parse_u32(arg, "invalid pool size (1..64)", 1);
		if (o->pool_count > 64)
			die_usage("invalid pool size (1..64)", arg);
		return true;
	case O_POOL_REPS:
		o->pool_reps = parse_u32(arg, "invalid repetition count", 1);
		return true;
	case O_TIMEOUT:
		o->timeout_ms = (int)parse_u32(arg, "invalid timeout", 1);
		return true;
	case O_PATH_TIMEOUT:
		/* Waited for in milliseconds, an int. */
		o->path_timeout_s = (int)parse_u32(arg, "invalid path timeout", 1);
		if (o->path_timeout_s > INT_MAX / 1000)
			die_usage("path timeout too long (at most 2147483 s)", arg);
		return true;
	}
	return false;
}

void bench_parse_opts(int argc, char **argv, struct bench_opts *o)
{
	int c;

	set_defaults(o);
	while ((c = getopt_long(argc, argv, "d:s:n:w:r:p:h", lopts, NULL)) != -1) {
		if (parse_count(o, c, optarg))
			continue;
		switch (c) {
		case 'd':
			o->device = optarg;
			break;
		case 's':
			parse_sizes(o, optarg);
			break;
		case 'p':
			parse_paths(o, optarg);
			break;
		case O_NO_POOL:
			o->pools = false;
			break;
		case O_CSV:
			o->csv = optarg;
			break;
		default:
			zcap_tool_std_opt(c, prog, usage);
		}
	}
	zcap_tool_no_operands(argc, argv, prog);
	if (o->rounds > o->frames)
		o->rounds = o->frames;
}
