// SPDX-License-Identifier: GPL-2.0
/*
 * What zcap-bench reports, in one place for the table and the CSV: the
 * paths' names, the figures of a path (where each comes from, how it is
 * printed) and the ratios between paths.
 */
#include <stddef.h>
#include <stdio.h>

#include "bench.h"

const char *const bench_path_key[BENCH_N_PATHS] = {
	[BENCH_PATH_A] = "a",
	[BENCH_PATH_B] = "b",
	[BENCH_PATH_C] = "c",
	[BENCH_PATH_HEAP] = "heap",
	[BENCH_PATH_UDMABUF] = "udmabuf",
};

const char *const bench_path_label[BENCH_N_PATHS] = {
	[BENCH_PATH_A] = "a  libzcap, zcap",
	[BENCH_PATH_B] = "b  MMAP + memcpy",
	[BENCH_PATH_C] = "c  raw DMABUF, zcap",
	[BENCH_PATH_HEAP] = "d  libzcap, dma-heap",
	[BENCH_PATH_UDMABUF] = "d  libzcap, udmabuf",
};

#define FIG(k, a, b, u, w, p, f, s) \
	{ k, a, b, u, w, p, offsetof(struct bench_result, f), s }

const struct bench_figure bench_figs[] = {
	FIG("fps", "fps", "", "frames/s", 6, 1, fps, FIG_ALWAYS),
	FIG("user_us", "user", "us/fr", "us/frame", 7, 1, user_us, FIG_ALWAYS),
	FIG("sys_us", "sys", "us/fr", "us/frame", 7, 1, sys_us, FIG_ALWAYS),
	FIG("cpu_us", "cpu", "us/fr", "us/frame", 7, 1, cpu_us, FIG_ALWAYS),
	FIG("poll_cpu_us", "in poll", "us/fr", "us/frame", 7, 1, wait_cpu_us, FIG_HOOKS),
	FIG("busy_us", "busy", "us/fr", "us/frame", 7, 1, busy_us, FIG_HOOKS),
	FIG("ioctl_us", "ioctl", "us/fr", "us/frame", 7, 1, ioctl_us, FIG_HOOKS),
	FIG("code_us", "code", "us/fr", "us/frame", 7, 1, code_us, FIG_HOOKS),
	FIG("copied", "copied", "B/fr", "bytes/frame", 9, 0, copied, FIG_HOOKS),
	FIG("allocs", "allocs", "/fr", "calls/frame", 6, 2, allocs, FIG_HOOKS),
	FIG("map_calls", "map", "/fr", "calls/frame", 5, 2, kp_map, FIG_MAP),
	FIG("vmap_calls", "vmap", "/fr", "calls/frame", 5, 2, kp_vmap, FIG_VMAP),
	FIG("latency_avg_ms", "lat avg", "ms", "ms", 7, 2, lat_avg_ms, FIG_LAT),
	FIG("latency_max_ms", "lat max", "ms", "ms", 7, 2, lat_max_ms, FIG_LAT),
};
const size_t bench_n_figs = sizeof(bench_figs) / sizeof(bench_figs[0]);

/*
 * map/vmap: the kprobe count @kprobe when there are kprobes (any exporter);
 * otherwise zcap's debugfs count @debugfs, which only sees zcap's own
 * dma-bufs.
 */
static bool map_calls(const struct bench_result *r, enum bench_path p,
		      double kprobe, double debugfs, double *v)
{
	if (r->have_kprobe)
		*v = kprobe;
	else if (r->have_zcap && (p == BENCH_PATH_A || p == BENCH_PATH_B ||
				  p == BENCH_PATH_C))
		*v = debugfs;
	else
		return false;
	return true;
}

bool bench_fig_value(const struct bench_figure *f, const struct bench_result *r,
		     enum bench_path p, double *v)
{
	if (r->status != BENCH_OK)
		return false;
	switch (f->src) {
	case FIG_MAP:
		return map_calls(r, p, r->kp_map, r->zcap_map, v);
	case FIG_VMAP:
		return map_calls(r, p, r->kp_vmap, r->zcap_vmap, v);
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

void bench_fmt_ratio(char *buf, size_t len, double num, double den)
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

const struct bench_ratio bench_ratios[] = {
	{ BENCH_PATH_A, BENCH_PATH_B, "a/b" },
	{ BENCH_PATH_A, BENCH_PATH_C, "a/c" },
	{ BENCH_PATH_A, BENCH_PATH_HEAP, "a/dma-heap" },
	{ BENCH_PATH_A, BENCH_PATH_UDMABUF, "a/udmabuf" },
};
const size_t bench_n_ratios = sizeof(bench_ratios) / sizeof(bench_ratios[0]);
