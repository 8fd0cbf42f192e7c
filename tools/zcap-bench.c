// SPDX-License-Identifier: GPL-2.0
/*
 * zcap-bench: measure the zero-copy capture path against the copy path
 * every simple capture program takes, against the bare V4L2 DMABUF loop,
 * and against the kernel's own dma-buf exporters, in one run, at several
 * frame sizes. Every figure is measured in this run (bench_hooks.c,
 * bench_kernel.c) and printed next to its ratio to the baseline measured in
 * the same run. Documentation/benchmarks.md says how each is taken.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "bench.h"

#define MAX_SIZES 8

static const char *prog = "zcap-bench";

struct opts {
	const char *device;
	uint32_t w[MAX_SIZES], h[MAX_SIZES];
	uint32_t n_sizes;
	uint32_t frames, warmup, rounds;
	uint32_t buffers;
	uint32_t fps;		/* 0: the fastest the driver offers per size */
	bool paths[BENCH_N_PATHS];
	bool pools;
	uint32_t pool_count, pool_reps;
	int timeout_ms, path_timeout_s;
	const char *csv;
};

static const char *const path_key[BENCH_N_PATHS] = {
	[BENCH_PATH_A] = "a",
	[BENCH_PATH_B] = "b",
	[BENCH_PATH_C] = "c",
	[BENCH_PATH_HEAP] = "heap",
	[BENCH_PATH_UDMABUF] = "udmabuf",
};

static const char *const path_label[BENCH_N_PATHS] = {
	[BENCH_PATH_A] = "a  libzcap, zcap",
	[BENCH_PATH_B] = "b  MMAP + memcpy",
	[BENCH_PATH_C] = "c  raw DMABUF, zcap",
	[BENCH_PATH_HEAP] = "d  libzcap, dma-heap",
	[BENCH_PATH_UDMABUF] = "d  libzcap, udmabuf",
};

/* ---- figures ----------------------------------------------------------- */

/* FIG_HOOKS: counted by the wrappers of bench_hooks.c, when it has them. */
enum fig_src { FIG_ALWAYS, FIG_HOOKS, FIG_MAP, FIG_VMAP, FIG_LAT };

struct figure {
	const char *key;	/* CSV metric */
	const char *h1, *h2;	/* table heading, two lines */
	const char *unit;
	int width, prec;
	size_t off;		/* double in struct bench_result */
	enum fig_src src;
};

#define FIG(k, a, b, u, w, p, f, s) \
	{ k, a, b, u, w, p, offsetof(struct bench_result, f), s }

static const struct figure figs[] = {
	FIG("fps", "fps", "", "frames/s", 6, 1, fps, FIG_ALWAYS),
	FIG("user_us", "user", "us/fr", "us/frame", 7, 1, user_us, FIG_ALWAYS),
	FIG("sys_us", "sys", "us/fr", "us/frame", 7, 1, sys_us, FIG_ALWAYS),
	FIG("cpu_us", "cpu", "us/fr", "us/frame", 7, 1, cpu_us, FIG_ALWAYS),
	FIG("poll_cpu_us", "in poll", "us/fr", "us/frame", 7, 1, wait_cpu_us, FIG_HOOKS),
	FIG("busy_us", "busy", "us/fr", "us/frame", 7, 1, busy_us, FIG_HOOKS),
	FIG("copied", "copied", "B/fr", "bytes/frame", 9, 0, copied, FIG_HOOKS),
	FIG("allocs", "allocs", "/fr", "calls/frame", 6, 2, allocs, FIG_HOOKS),
	FIG("map_calls", "map", "/fr", "calls/frame", 5, 2, kp_map, FIG_MAP),
	FIG("vmap_calls", "vmap", "/fr", "calls/frame", 5, 2, kp_vmap, FIG_VMAP),
	FIG("latency_avg_ms", "lat avg", "ms", "ms", 7, 2, lat_avg_ms, FIG_LAT),
	FIG("latency_max_ms", "lat max", "ms", "ms", 7, 2, lat_max_ms, FIG_LAT),
};
#define N_FIGS (sizeof(figs) / sizeof(figs[0]))

/*
 * map/vmap: the kprobe counts when there are kprobes (any exporter);
 * otherwise zcap's debugfs, which only sees zcap's own dma-bufs.
 */
static bool fig_value(const struct figure *f, const struct bench_result *r,
		      enum bench_path p, double *v)
{
	bool zcap_buffers = p == BENCH_PATH_A || p == BENCH_PATH_C;

	if (r->status != BENCH_OK)
		return false;
	switch (f->src) {
	case FIG_MAP:
		if (r->have_kprobe)
			*v = r->kp_map;
		else if (r->have_zcap && (zcap_buffers || p == BENCH_PATH_B))
			*v = r->zcap_map;
		else
			return false;
		return true;
	case FIG_VMAP:
		if (r->have_kprobe)
			*v = r->kp_vmap;
		else if (r->have_zcap && (zcap_buffers || p == BENCH_PATH_B))
			*v = r->zcap_vmap;
		else
			return false;
		return true;
	case FIG_LAT:
		if (!r->n_lat)
			return false;
		break;
	case FIG_HOOKS:
		if (!bench_hooks_counting)
			return false;
		break;
	case FIG_ALWAYS:
		break;
	}
	*v = *(const double *)((const char *)r + f->off);
	return true;
}

static void fmt_ratio(char *buf, size_t len, double num, double den)
{
	double q;

	if (num == 0 && den == 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (den == 0) {
		snprintf(buf, len, "inf");
		return;
	}
	q = num / den;
	if (q > 0 && q < 0.01)
		snprintf(buf, len, "<0.01");
	else
		snprintf(buf, len, "%.2f", q);
}

/* ---- options ----------------------------------------------------------- */

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
		"  -h, --help\n", prog);
}

static void die_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "%s: %s '%s'\n", prog, msg, arg);
	fprintf(stderr, "Try '%s --help'.\n", prog);
	exit(2);
}

static uint32_t parse_u32(const char *s, const char *what, uint32_t min)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX / 2 || v < min)
		die_usage(what, s);
	return (uint32_t)v;
}

static void parse_sizes(struct opts *o, char *list)
{
	char *tok, *save = NULL, *x;

	o->n_sizes = 0;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->n_sizes == MAX_SIZES)
			die_usage("too many sizes in", tok);
		x = strchr(tok, 'x');
		if (!x)
			die_usage("invalid size (want WxH)", tok);
		*x = '\0';
		o->w[o->n_sizes] = parse_u32(tok, "invalid width", 16);
		o->h[o->n_sizes] = parse_u32(x + 1, "invalid height", 16);
		o->n_sizes++;
	}
	if (!o->n_sizes)
		die_usage("no size in", "");
}

static void parse_paths(struct opts *o, char *list)
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
			if (!strcmp(tok, path_key[i])) {
				o->paths[i] = true;
				break;
			}
		}
		if (i == BENCH_N_PATHS)
			die_usage("unknown path", tok);
	}
}

enum { O_BUFFERS = 256, O_FPS, O_POOL_COUNT, O_POOL_REPS, O_NO_POOL, O_TIMEOUT,
	O_PATH_TIMEOUT, O_CSV };

static void parse_opts(int argc, char **argv, struct opts *o)
{
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
		{ NULL, 0, NULL, 0 },
	};
	char def_sizes[] = "640x480,1280x720,1920x1080,3840x2160";
	char def_paths[] = "a,b,c,d";
	int c;

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
	while ((c = getopt_long(argc, argv, "d:s:n:w:r:p:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->device = optarg;
			break;
		case 's':
			parse_sizes(o, optarg);
			break;
		case 'n':
			o->frames = parse_u32(optarg, "invalid frame count", 1);
			break;
		case 'w':
			o->warmup = parse_u32(optarg, "invalid warm-up (at least 1)", 1);
			break;
		case 'r':
			o->rounds = parse_u32(optarg, "invalid round count", 1);
			break;
		case 'p':
			parse_paths(o, optarg);
			break;
		case O_BUFFERS:
			o->buffers = parse_u32(optarg, "invalid buffer count (2..32)", 2);
			if (o->buffers > VIDEO_MAX_FRAME)
				die_usage("invalid buffer count (2..32)", optarg);
			break;
		case O_FPS:
			o->fps = parse_u32(optarg, "invalid frame rate", 1);
			break;
		case O_POOL_COUNT:
			o->pool_count = parse_u32(optarg, "invalid pool size (1..64)", 1);
			if (o->pool_count > 64)
				die_usage("invalid pool size (1..64)", optarg);
			break;
		case O_POOL_REPS:
			o->pool_reps = parse_u32(optarg, "invalid repetition count", 1);
			break;
		case O_NO_POOL:
			o->pools = false;
			break;
		case O_TIMEOUT:
			o->timeout_ms = (int)parse_u32(optarg, "invalid timeout", 1);
			break;
		case O_PATH_TIMEOUT:
			o->path_timeout_s = (int)parse_u32(optarg, "invalid path timeout", 1);
			break;
		case O_CSV:
			o->csv = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "Try '%s --help'.\n", prog);
			exit(2);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument", argv[optind]);
	if (o->rounds > o->frames)
		o->rounds = o->frames;
}

/* ---- the device -------------------------------------------------------- */

struct dev_info {
	char driver[16];
	char card[32];
	bool vivid;
	struct v4l2_control tstamp;	/* vivid's Timestamp Source, to restore */
	bool tstamp_set;
};

/* A control's id by its name, or 0. */
static uint32_t find_ctrl(int fd, const char *name)
{
	struct v4l2_queryctrl q;

	memset(&q, 0, sizeof(q));
	q.id = V4L2_CTRL_FLAG_NEXT_CTRL;
	while (ioctl(fd, VIDIOC_QUERYCTRL, &q) == 0) {
		if (!strcmp((const char *)q.name, name))
			return q.id;
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	return 0;
}

/*
 * vivid stamps a frame "End of Frame" by default: the time it started to
 * draw it plus 9/10 of a frame period, whether or not drawing took that
 * long, which makes a latency up to a frame period too short (or
 * negative). "Start of Exposure" stamps the moment it starts drawing: the
 * latency is then the driver's own drawing time plus ours, the same for
 * every path.
 */
static int dev_open(const char *device, struct dev_info *di)
{
	struct v4l2_capability cap;
	struct v4l2_control ctl;
	int fd;

	memset(di, 0, sizeof(*di));
	fd = open(device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&cap, 0, sizeof(cap));
	if (ioctl(fd, VIDIOC_QUERYCAP, &cap) < 0) {
		close(fd);
		return errno == ENOTTY ? -ENOTTY : -errno;
	}
	snprintf(di->driver, sizeof(di->driver), "%s", (const char *)cap.driver);
	snprintf(di->card, sizeof(di->card), "%s", (const char *)cap.card);
	di->vivid = !strcmp(di->driver, "vivid");
	if (di->vivid) {
		memset(&ctl, 0, sizeof(ctl));
		ctl.id = find_ctrl(fd, "Timestamp Source");
		if (ctl.id && ioctl(fd, VIDIOC_G_CTRL, &ctl) == 0) {
			di->tstamp = ctl;
			ctl.value = 1;
			di->tstamp_set = ioctl(fd, VIDIOC_S_CTRL, &ctl) == 0;
		}
	}
	return fd;
}

static void dev_restore(int fd, struct dev_info *di)
{
	if (di->tstamp_set)
		ioctl(fd, VIDIOC_S_CTRL, &di->tstamp);
}

/* The shortest frame interval the driver offers at this size, or 0/0. */
static void fastest_interval(int fd, uint32_t fourcc, uint32_t w, uint32_t h,
			     uint32_t *num, uint32_t *den)
{
	struct v4l2_frmivalenum fi;

	*num = 0;
	*den = 0;
	memset(&fi, 0, sizeof(fi));
	fi.pixel_format = fourcc;
	fi.width = w;
	fi.height = h;
	for (fi.index = 0; ioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &fi) == 0; fi.index++) {
		struct v4l2_fract f = fi.type == V4L2_FRMIVAL_TYPE_DISCRETE ?
				      fi.discrete : fi.stepwise.min;

		if (!f.denominator)
			continue;
		if (!*den || (uint64_t)f.numerator * *den < (uint64_t)*num * f.denominator) {
			*num = f.numerator;
			*den = f.denominator;
		}
		if (fi.type != V4L2_FRMIVAL_TYPE_DISCRETE)
			break;
	}
}

static uint32_t sizeimage(int fd, uint32_t fourcc, uint32_t w, uint32_t h)
{
	struct v4l2_format f;

	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	f.fmt.pix.width = w;
	f.fmt.pix.height = h;
	f.fmt.pix.pixelformat = fourcc;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	if (ioctl(fd, VIDIOC_TRY_FMT, &f) < 0 || f.fmt.pix.width != w ||
	    f.fmt.pix.height != h)
		return 0;
	return f.fmt.pix.sizeimage;
}

/* ---- output ------------------------------------------------------------ */

struct size_run {
	uint32_t w, h;
	uint32_t sizeimage;
	uint32_t fps_num, fps_den;
	bool ran[BENCH_N_PATHS];
	struct bench_result res[BENCH_N_PATHS];
	bool pooled;
	struct bench_pool_result pool[BENCH_N_POOLS];
};

static const struct {
	enum bench_path num, den;
	const char *label;
} ratios[] = {
	{ BENCH_PATH_A, BENCH_PATH_B, "a/b" },
	{ BENCH_PATH_A, BENCH_PATH_C, "a/c" },
	{ BENCH_PATH_A, BENCH_PATH_HEAP, "a/dma-heap" },
	{ BENCH_PATH_A, BENCH_PATH_UDMABUF, "a/udmabuf" },
};
#define N_RATIOS (sizeof(ratios) / sizeof(ratios[0]))

static void print_size(const struct opts *o, const struct size_run *s)
{
	char buf[32];
	const char *na;
	double v, d;
	size_t f, i;
	int p;

	if (s->fps_num)
		snprintf(buf, sizeof(buf), "%.3g", (double)s->fps_den / s->fps_num);
	else
		snprintf(buf, sizeof(buf), "the driver's");
	printf("\n== %ux%u YUYV: %u bytes/frame, %s fps asked, %u frames per path ==\n",
	       s->w, s->h, s->sizeimage, buf, o->frames);
	printf("%-22s %4s", "path", "bufs");
	for (f = 0; f < N_FIGS; f++)
		printf(" %*s", figs[f].width, figs[f].h1);
	printf("\n%-22s %4s", "", "");
	for (f = 0; f < N_FIGS; f++)
		printf(" %*s", figs[f].width, figs[f].h2);
	printf("\n");
	for (p = 0; p < BENCH_N_PATHS; p++) {
		const struct bench_result *r = &s->res[p];

		if (!s->ran[p])
			continue;
		printf("%-22s", path_label[p]);
		if (r->status != BENCH_OK) {
			printf(" %s: %s\n", r->status == BENCH_NA ? "n/a" : "FAILED", r->note);
			continue;
		}
		printf(" %4u", r->buffers);
		for (f = 0; f < N_FIGS; f++) {
			if (fig_value(&figs[f], r, p, &v))
				printf(" %*.*f", figs[f].width,
				       /* a fraction of a byte must not read as 0 */
				       v > 0 && v < 10 && v != (double)(uint64_t)v ?
				       2 : figs[f].prec, v);
			else
				printf(" %*s", figs[f].width, "n/a");
		}
		printf("\n");
	}
	for (i = 0; i < N_RATIOS; i++) {
		const struct bench_result *a = &s->res[ratios[i].num];
		const struct bench_result *b = &s->res[ratios[i].den];

		if (!s->ran[ratios[i].num] || !s->ran[ratios[i].den])
			continue;
		printf("%-22s %4s", ratios[i].label, "");
		if (a->status != BENCH_OK || b->status != BENCH_OK) {
			na = a->status == BENCH_NA || b->status == BENCH_NA ? "n/a" : "-";
			printf(" %s (%s %s)\n", na,
			       path_key[a->status != BENCH_OK ? ratios[i].num : ratios[i].den],
			       (a->status != BENCH_OK ? a : b)->status == BENCH_NA ?
			       "is n/a here" : "failed");
			continue;
		}
		for (f = 0; f < N_FIGS; f++) {
			if (fig_value(&figs[f], a, ratios[i].num, &v) &&
			    fig_value(&figs[f], b, ratios[i].den, &d))
				fmt_ratio(buf, sizeof(buf), v, d);
			else
				snprintf(buf, sizeof(buf), "n/a");
			printf(" %*s", figs[f].width, buf);
		}
		printf("\n");
	}
	for (p = 0; p < BENCH_N_PATHS; p++) {
		const struct bench_result *r = &s->res[p];

		if (!s->ran[p] || r->status != BENCH_OK)
			continue;
		if (r->sum.dropped || r->sum.stale || r->sum.errors || r->sum.no_time)
			printf("   %s: %u frames dropped by the driver, %u stale and %u missing timestamps, %u flagged bad\n",
			       path_key[p], r->sum.dropped, r->sum.stale, r->sum.no_time,
			       r->sum.errors);
		if (r->note[0])
			printf("   %s: %s\n", path_key[p], r->note);
		if (r->have_kprobe && r->have_zcap && p != BENCH_PATH_HEAP &&
		    p != BENCH_PATH_UDMABUF &&
		    (r->kp_map != r->zcap_map || r->kp_vmap != r->zcap_vmap))
			printf("   %s: zcap debugfs counted %.2f map and %.2f vmap calls per frame, the kprobes %.2f and %.2f\n",
			       path_key[p], r->zcap_map, r->zcap_vmap, r->kp_map, r->kp_vmap);
	}
	fflush(stdout);
}

static void print_pools(const struct opts *o, const struct size_run *runs, uint32_t n)
{
	char r1[16], r2[16], sg[48];
	uint32_t i;
	int p;

	printf("\n== pool creation: %u buffers, median of %u runs, providers interleaved;\n"
	       "   sg entries as vgem imports them ==\n", o->pool_count, o->pool_reps);
	printf("%-10s %9s  %-9s %9s %9s %9s %11s %8s  %10s %10s\n", "size", "buf bytes",
	       "provider", "ms median", "min", "max", "sg entries", "max/buf",
	       "zcap/it ms", "zcap/it sg");
	for (i = 0; i < n; i++) {
		const struct size_run *s = &runs[i];
		const struct bench_pool_result *z = &s->pool[BENCH_POOL_ZCAP];
		char size[24];

		if (!s->pooled)
			continue;
		snprintf(size, sizeof(size), "%ux%u", s->w, s->h);
		for (p = 0; p < BENCH_N_POOLS; p++) {
			const struct bench_pool_result *r = &s->pool[p];

			printf("%-10s %9llu  %-9s", p ? "" : size,
			       (unsigned long long)r->buffer_size, bench_pool_name(p));
			if (r->status != BENCH_OK) {
				printf(" %s: %s\n", r->status == BENCH_NA ? "n/a" : "FAILED",
				       r->note);
				continue;
			}
			if (r->have_sg)
				snprintf(sg, sizeof(sg), "%u", r->sg_total);
			else
				snprintf(sg, sizeof(sg), "n/a");
			printf(" %9.2f %9.2f %9.2f %11s", r->ms_median, r->ms_min, r->ms_max, sg);
			if (r->have_sg)
				printf(" %8u", r->sg_max);
			else
				printf(" %8s", "n/a");
			if (p != BENCH_POOL_ZCAP && z->status == BENCH_OK) {
				fmt_ratio(r1, sizeof(r1), z->ms_median, r->ms_median);
				if (z->have_sg && r->have_sg)
					fmt_ratio(r2, sizeof(r2), z->sg_total, r->sg_total);
				else
					snprintf(r2, sizeof(r2), "n/a");
				printf("  %10s %10s", r1, r2);
			}
			printf("\n");
			if (!r->have_sg)
				printf("%-10s %9s  %-9s sg entries n/a: %s\n", "", "", "", r->sg_note);
			if (r->have_info_sg && (!r->have_sg || r->info_sg_total != r->sg_total ||
						r->info_sg_max != r->sg_max))
				printf("%-10s %9s  %-9s ZCAP_IOC_POOL_INFO says %u sg entries, at most %u per buffer\n",
				       "", "", "", r->info_sg_total, r->info_sg_max);
		}
	}
	fflush(stdout);
}

static void csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		fputc(*s == '"' ? '\'' : *s, f);
	fputc('"', f);
}

static void csv_row(FILE *f, const char *kver, const char *section,
		    const struct size_run *s, const char *path, const char *metric,
		    const char *value, const char *unit, const char *note)
{
	fprintf(f, "%s,%s,%ux%u,%s,%s,%s,%s,", kver, section, s->w, s->h, path, metric,
		value, unit);
	csv_str(f, note ? note : "");
	fputc('\n', f);
}

static void csv_num(FILE *f, const char *kver, const char *section,
		    const struct size_run *s, const char *path, const char *metric,
		    double v, const char *unit)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%.6g", v);
	csv_row(f, kver, section, s, path, metric, buf, unit, NULL);
}

static int write_csv(const char *path, const char *kver, const struct size_run *runs,
		     uint32_t n)
{
	char buf[32];
	double v, d;
	uint32_t i;
	size_t fi, k;
	int p;
	FILE *f;

	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "kernel,section,size,path,metric,value,unit,note\n");
	for (i = 0; i < n; i++) {
		const struct size_run *s = &runs[i];

		for (p = 0; p < BENCH_N_PATHS; p++) {
			const struct bench_result *r = &s->res[p];

			if (!s->ran[p])
				continue;
			if (r->status != BENCH_OK) {
				csv_row(f, kver, "frame", s, path_key[p], "status",
					r->status == BENCH_NA ? "n/a" : "failed", "", r->note);
				continue;
			}
			csv_row(f, kver, "frame", s, path_key[p], "status", "ok", "",
				r->note);
			csv_num(f, kver, "frame", s, path_key[p], "frames", (double)r->sum.frames,
				"frames");
			csv_num(f, kver, "frame", s, path_key[p], "rounds", r->sum.windows,
				"runs");
			if (bench_hooks_counting)
				csv_num(f, kver, "frame", s, path_key[p], "work_cpu_us",
					r->cpu_us - r->wait_cpu_us, "us/frame");
			csv_num(f, kver, "frame", s, path_key[p], "buffers", r->buffers, "buffers");
			csv_row(f, kver, "frame", s, path_key[p], "provider", r->provider, "", NULL);
			for (fi = 0; fi < N_FIGS; fi++) {
				if (fig_value(&figs[fi], r, p, &v))
					csv_num(f, kver, "frame", s, path_key[p], figs[fi].key, v,
						figs[fi].unit);
				else
					csv_row(f, kver, "frame", s, path_key[p], figs[fi].key,
						"", figs[fi].unit, "n/a");
			}
			csv_num(f, kver, "frame", s, path_key[p], "latency_median_ms",
				r->lat_med_ms, "ms");
			if (bench_hooks_counting) {
				csv_num(f, kver, "frame", s, path_key[p], "copy_calls",
					r->copy_calls, "calls/frame");
				csv_num(f, kver, "frame", s, path_key[p], "frees", r->frees,
					"calls/frame");
				csv_num(f, kver, "frame", s, path_key[p], "polls", r->polls,
					"calls/frame");
			}
			if (r->have_zcap) {
				csv_num(f, kver, "frame", s, path_key[p], "zcap_map_calls",
					r->zcap_map, "calls/frame");
				csv_num(f, kver, "frame", s, path_key[p], "zcap_vmap_calls",
					r->zcap_vmap, "calls/frame");
			}
			if (p == BENCH_PATH_A || p == BENCH_PATH_HEAP || p == BENCH_PATH_UDMABUF)
				csv_num(f, kver, "frame", s, path_key[p], "libzcap_bytes_copied",
					r->lib_copied, "bytes/frame");
			csv_num(f, kver, "frame", s, path_key[p], "dropped", r->sum.dropped,
				"frames");
			csv_num(f, kver, "frame", s, path_key[p], "stale_timestamps",
				r->sum.stale, "frames");
		}
		for (k = 0; k < N_RATIOS; k++) {
			const struct bench_result *a = &s->res[ratios[k].num];
			const struct bench_result *b = &s->res[ratios[k].den];

			if (!s->ran[ratios[k].num] || !s->ran[ratios[k].den] ||
			    a->status != BENCH_OK || b->status != BENCH_OK)
				continue;
			for (fi = 0; fi < N_FIGS; fi++) {
				if (!fig_value(&figs[fi], a, ratios[k].num, &v) ||
				    !fig_value(&figs[fi], b, ratios[k].den, &d))
					continue;
				fmt_ratio(buf, sizeof(buf), v, d);
				if (d != 0)
					csv_num(f, kver, "ratio", s, ratios[k].label, figs[fi].key,
						v / d, "ratio");
				else
					csv_row(f, kver, "ratio", s, ratios[k].label, figs[fi].key,
						"", "ratio", buf);
			}
		}
		if (!s->pooled)
			continue;
		for (p = 0; p < BENCH_N_POOLS; p++) {
			const struct bench_pool_result *r = &s->pool[p];
			const struct bench_pool_result *z = &s->pool[BENCH_POOL_ZCAP];
			const char *name = bench_pool_name(p);
			char lbl[32];

			if (r->status != BENCH_OK) {
				csv_row(f, kver, "pool", s, name, "status",
					r->status == BENCH_NA ? "n/a" : "failed", "", r->note);
				continue;
			}
			csv_num(f, kver, "pool", s, name, "buffer_bytes", (double)r->buffer_size,
				"bytes");
			csv_num(f, kver, "pool", s, name, "buffers", r->count, "buffers");
			csv_num(f, kver, "pool", s, name, "create_ms_median", r->ms_median, "ms");
			csv_num(f, kver, "pool", s, name, "create_ms_min", r->ms_min, "ms");
			csv_num(f, kver, "pool", s, name, "create_ms_max", r->ms_max, "ms");
			if (r->have_sg) {
				csv_num(f, kver, "pool", s, name, "sg_entries", r->sg_total, "entries");
				csv_num(f, kver, "pool", s, name, "sg_max_per_buffer", r->sg_max,
					"entries");
			} else {
				csv_row(f, kver, "pool", s, name, "sg_entries", "", "entries",
					r->sg_note);
			}
			if (r->have_info_sg)
				csv_num(f, kver, "pool", s, name, "pool_info_sg_entries",
					r->info_sg_total, "entries");
			if (p == BENCH_POOL_ZCAP || z->status != BENCH_OK)
				continue;
			snprintf(lbl, sizeof(lbl), "zcap/%s", name);
			csv_num(f, kver, "pool-ratio", s, lbl, "create_ms_median",
				z->ms_median / r->ms_median, "ratio");
			if (z->have_sg && r->have_sg && r->sg_total)
				csv_num(f, kver, "pool-ratio", s, lbl, "sg_entries",
					(double)z->sg_total / r->sg_total, "ratio");
		}
	}
	if (fclose(f) != 0)
		return -errno;
	return 0;
}

/* ---- main -------------------------------------------------------------- */

static const enum zcap_provider lib_provider[BENCH_N_PATHS] = {
	[BENCH_PATH_A] = ZCAP_PROVIDER_ZCAP,
	[BENCH_PATH_HEAP] = ZCAP_PROVIDER_DMA_HEAP,
	[BENCH_PATH_UDMABUF] = ZCAP_PROVIDER_UDMABUF,
};

int main(int argc, char **argv)
{
	const uint32_t yuyv = ZCAP_FOURCC('Y', 'U', 'Y', 'V');
	struct size_run *runs;
	struct dev_info di;
	struct bench_cfg c;
	struct utsname un;
	struct opts o;
	char why[BENCH_NOTE_LEN];
	uint32_t i, round;
	int p, fd, ret, status = 0;

	parse_opts(argc, argv, &o);
	if (uname(&un) < 0)
		snprintf(un.release, sizeof(un.release), "unknown");
	fd = dev_open(o.device, &di);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, o.device,
			fd == -ENOTTY ? "not a V4L2 device" : strerror(-fd));
		return 1;
	}
	runs = calloc(o.n_sizes, sizeof(*runs));
	if (!runs) {
		fprintf(stderr, "%s: out of memory\n", prog);
		dev_restore(fd, &di);
		close(fd);
		return 1;
	}
	bench_kernel_init(why, sizeof(why));

	printf("zcap-bench on Linux %s: %s (%s) at %s, YUYV\n", un.release, di.card,
	       di.driver, o.device);
	printf("per frame, over %u frames per path and size, in %u rounds with the paths\n"
	       "interleaved, each round after %u warm-up frames\n", o.frames, o.rounds,
	       o.warmup);
	if (bench_kernel_have_kprobes())
		printf("map/vmap: calls of dma_buf_map_attachment()/dma_buf_vmap() (kprobes), any exporter\n");
	else
		printf("map/vmap: zcap debugfs%s (no kprobes: %s)\n",
		       bench_kernel_have_zcap_stats() ? "" : " (unavailable)", why);
	if (!bench_hooks_counting)
		printf("in poll, busy, copied, allocs: not counted (a build without the counting\n"
		       "wrappers: the build tree's zcap-bench has them)\n");
	if (di.vivid)
		printf("latency: from vivid's %s timestamp to the consumer having the frame\n",
		       di.tstamp_set ? "start-of-frame" : "end-of-frame (could not switch to start)");
	fflush(stdout);

	for (i = 0; i < o.n_sizes; i++) {
		struct size_run *s = &runs[i];
		uint32_t bufs = o.buffers;

		s->w = o.w[i];
		s->h = o.h[i];
		s->sizeimage = sizeimage(fd, yuyv, s->w, s->h);
		if (o.fps) {
			s->fps_num = 1;
			s->fps_den = o.fps;
		} else {
			fastest_interval(fd, yuyv, s->w, s->h, &s->fps_num, &s->fps_den);
		}
		memset(&c, 0, sizeof(c));
		c.device = o.device;
		c.fourcc = yuyv;
		c.width = s->w;
		c.height = s->h;
		c.fps_num = s->fps_num;
		c.fps_den = s->fps_den;
		c.warmup = o.warmup;
		c.timeout_ms = o.timeout_ms;
		c.path_timeout_s = o.path_timeout_s;

		for (p = 0; p < BENCH_N_PATHS; p++) {
			if (!o.paths[p])
				continue;
			s->ran[p] = true;
			if (bench_result_init(&s->res[p], o.frames) < 0) {
				fprintf(stderr, "%s: out of memory\n", prog);
				status = 1;
				goto out;
			}
		}
		/*
		 * Rounds: the load of the machine drifts (other VMs, the host),
		 * so each path gets its share of every stretch of time.
		 */
		for (round = 0; round < o.rounds; round++) {
			c.frames = o.frames / o.rounds + (round < o.frames % o.rounds);
			for (p = 0; p < BENCH_N_PATHS; p++) {
				struct bench_result *r = &s->res[p];

				if (!s->ran[p] || r->status != BENCH_OK)
					continue;
				/* The raw paths use as many buffers as libzcap chose. */
				c.buffers = bufs ? bufs : 4;
				fprintf(stderr, "%s: %ux%u round %u path %s\n", prog, s->w, s->h,
					round + 1, path_key[p]);
				switch (p) {
				case BENCH_PATH_B:
					bench_run_mmap_copy(&c, r);
					break;
				case BENCH_PATH_C:
					bench_run_dmabuf_raw(&c, r);
					break;
				default:
					bench_run_libzcap(&c, lib_provider[p], r);
					if (p == BENCH_PATH_A && !bufs && r->status == BENCH_OK)
						bufs = r->buffers;
					break;
				}
			}
		}
		for (p = 0; p < BENCH_N_PATHS; p++) {
			if (!s->ran[p])
				continue;
			bench_result_finish(&s->res[p]);
			if (s->res[p].status == BENCH_FAILED)
				status = 1;
		}
		print_size(&o, s);
	}

	if (o.pools) {
		for (i = 0; i < o.n_sizes; i++) {
			struct size_run *s = &runs[i];
			uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
			uint64_t sz = ((uint64_t)s->sizeimage + pg - 1) / pg * pg;

			if (!sz)
				continue;
			fprintf(stderr, "%s: pools of %ux%u\n", prog, s->w, s->h);
			for (p = 0; p < BENCH_N_POOLS; p++)
				bench_pool_begin(p, sz, o.pool_count, o.pool_reps, &s->pool[p]);
			for (round = 0; round < o.pool_reps; round++)
				for (p = 0; p < BENCH_N_POOLS; p++)
					bench_pool_rep(&s->pool[p]);
			for (p = 0; p < BENCH_N_POOLS; p++) {
				bench_pool_end(&s->pool[p]);
				if (s->pool[p].status == BENCH_FAILED)
					status = 1;
			}
			s->pooled = true;
		}
		print_pools(&o, runs, o.n_sizes);
	}

	if (o.csv) {
		ret = write_csv(o.csv, un.release, runs, o.n_sizes);
		if (ret < 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, o.csv, strerror(-ret));
			status = 1;
		}
	}
out:
	bench_kernel_exit();
	dev_restore(fd, &di);
	close(fd);
	for (i = 0; i < o.n_sizes; i++)
		for (p = 0; p < BENCH_N_PATHS; p++)
			bench_result_release(&runs[i].res[p]);
	free(runs);
	return status;
}
