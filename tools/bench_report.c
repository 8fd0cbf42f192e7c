// SPDX-License-Identifier: GPL-2.0
/*
 * zcap-bench's tables on standard output: what the run is, one table per
 * size (a row per path, then the ratios, then what went wrong), and the
 * pool creation table. Each is flushed when printed: a run takes minutes
 * and a table should be read as soon as its size is done.
 */
#include <stdio.h>

#include "bench.h"

void bench_print_header(const struct bench_opts *o, const char *kver,
			const struct bench_dev *di, const char *kernel_why)
{
	printf("zcap-bench on Linux %s: %s (%s) at %s, YUYV\n", kver, di->card,
	       di->driver, o->device);
	printf("per frame, over %u frames per path and size, in %u rounds with the paths\n"
	       "interleaved, each round after %u warm-up frames\n", o->frames, o->rounds,
	       o->warmup);
	if (bench_kernel_have_kprobes())
		printf("map/vmap: calls of dma_buf_map_attachment()/dma_buf_vmap() (kprobes), any exporter\n");
	else
		printf("map/vmap: zcap debugfs%s (no kprobes: %s)\n",
		       bench_kernel_have_zcap_stats() ? "" : " (unavailable)", kernel_why);
	if (!bench_hooks_counting)
		printf("in poll, busy, ioctl, code, copied, allocs: not counted (a build without the counting\n"
		       "wrappers: the build tree's zcap-bench has them)\n");
	if (di->vivid)
		printf("latency: from vivid's %s timestamp to the consumer having the frame\n",
		       di->tstamp_set ? "start-of-frame" : "end-of-frame (could not switch to start)");
	fflush(stdout);
}

static void print_headings(const struct bench_opts *o, const struct bench_size_run *s)
{
	char buf[32];
	size_t f;

	if (s->fps_num)
		snprintf(buf, sizeof(buf), "%.3g", (double)s->fps_den / s->fps_num);
	else
		snprintf(buf, sizeof(buf), "the driver's");
	printf("\n== %ux%u YUYV: %u bytes/frame, %s fps asked, %u frames per path ==\n",
	       s->w, s->h, s->sizeimage, buf, o->frames);
	printf("%-22s %4s", "path", "bufs");
	for (f = 0; f < bench_n_figs; f++)
		printf(" %*s", bench_figs[f].width, bench_figs[f].h1);
	printf("\n%-22s %4s", "", "");
	for (f = 0; f < bench_n_figs; f++)
		printf(" %*s", bench_figs[f].width, bench_figs[f].h2);
	printf("\n");
}

static void print_path(const struct bench_result *r, enum bench_path p)
{
	double v;
	size_t f;

	printf("%-22s", bench_path_label[p]);
	if (r->status != BENCH_OK) {
		printf(" %s: %s\n", r->status == BENCH_NA ? "n/a" : "FAILED", r->note);
		return;
	}
	printf(" %4u", r->buffers);
	for (f = 0; f < bench_n_figs; f++) {
		if (bench_fig_value(&bench_figs[f], r, p, &v))
			printf(" %*.*f", bench_figs[f].width,
			       /* a fraction of a byte must not read as 0 */
			       v > 0 && v < 10 && v != (double)(uint64_t)v ?
			       2 : bench_figs[f].prec, v);
		else
			printf(" %*s", bench_figs[f].width, "n/a");
	}
	printf("\n");
}

static void print_ratio(const struct bench_size_run *s, const struct bench_ratio *q)
{
	const struct bench_result *a = &s->res[q->num];
	const struct bench_result *b = &s->res[q->den];
	const char *na;
	char buf[32];
	double v, d;
	size_t f;

	printf("%-22s %4s", q->label, "");
	if (a->status != BENCH_OK || b->status != BENCH_OK) {
		na = a->status == BENCH_NA || b->status == BENCH_NA ? "n/a" : "-";
		printf(" %s (%s %s)\n", na,
		       bench_path_key[a->status != BENCH_OK ? q->num : q->den],
		       (a->status != BENCH_OK ? a : b)->status == BENCH_NA ?
		       "is n/a here" : "failed");
		return;
	}
	for (f = 0; f < bench_n_figs; f++) {
		if (bench_fig_value(&bench_figs[f], a, q->num, &v) &&
		    bench_fig_value(&bench_figs[f], b, q->den, &d))
			bench_fmt_ratio(buf, sizeof(buf), v, d);
		else
			snprintf(buf, sizeof(buf), "n/a");
		printf(" %*s", bench_figs[f].width, buf);
	}
	printf("\n");
}

/* Below the table: drops, notes, and where the two map counters disagree. */
static void print_notes(const struct bench_result *r, enum bench_path p)
{
	const char *key = bench_path_key[p];

	if (r->sum.dropped || r->sum.stale || r->sum.errors || r->sum.no_time)
		printf("   %s: %u frames dropped by the driver, %u stale and %u missing timestamps, %u flagged bad\n",
		       key, r->sum.dropped, r->sum.stale, r->sum.no_time,
		       r->sum.errors);
	if (r->note[0])
		printf("   %s: %s\n", key, r->note);
	if (r->have_kprobe && r->have_zcap && p != BENCH_PATH_HEAP &&
	    p != BENCH_PATH_UDMABUF &&
	    (r->kp_map != r->zcap_map || r->kp_vmap != r->zcap_vmap))
		printf("   %s: zcap debugfs counted %.2f map and %.2f vmap calls per frame, the kprobes %.2f and %.2f\n",
		       key, r->zcap_map, r->zcap_vmap, r->kp_map, r->kp_vmap);
}

void bench_print_size(const struct bench_opts *o, const struct bench_size_run *s)
{
	size_t i;
	int p;

	print_headings(o, s);
	for (p = 0; p < BENCH_N_PATHS; p++)
		if (s->ran[p])
			print_path(&s->res[p], p);
	for (i = 0; i < bench_n_ratios; i++)
		if (s->ran[bench_ratios[i].num] && s->ran[bench_ratios[i].den])
			print_ratio(s, &bench_ratios[i]);
	for (p = 0; p < BENCH_N_PATHS; p++)
		if (s->ran[p] && s->res[p].status == BENCH_OK)
			print_notes(&s->res[p], p);
	fflush(stdout);
}

/* One provider's row at one size, and its ratios to zcap's. */
static void print_pool(const char *size, int p, const struct bench_pool_result *r,
		       const struct bench_pool_result *z)
{
	char r1[16], r2[16], sg[48];

	printf("%-10s %9llu  %-9s", p ? "" : size,
	       (unsigned long long)r->buffer_size, bench_pool_name(p));
	if (r->status != BENCH_OK) {
		printf(" %s: %s\n", r->status == BENCH_NA ? "n/a" : "FAILED",
		       r->note);
		return;
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
		bench_fmt_ratio(r1, sizeof(r1), z->ms_median, r->ms_median);
		if (z->have_sg && r->have_sg)
			bench_fmt_ratio(r2, sizeof(r2), z->sg_total, r->sg_total);
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

void bench_print_pools(const struct bench_opts *o, const struct bench_size_run *runs,
		       uint32_t n)
{
	char size[24];
	uint32_t i;
	int p;

	printf("\n== pool creation: %u buffers, median of %u runs, providers interleaved;\n"
	       "   sg entries as vgem imports them ==\n", o->pool_count, o->pool_reps);
	printf("%-10s %9s  %-9s %9s %9s %9s %11s %8s  %10s %10s\n", "size", "buf bytes",
	       "provider", "ms median", "min", "max", "sg entries", "max/buf",
	       "zcap/it ms", "zcap/it sg");
	for (i = 0; i < n; i++) {
		const struct bench_size_run *s = &runs[i];

		if (!s->pooled)
			continue;
		snprintf(size, sizeof(size), "%ux%u", s->w, s->h);
		for (p = 0; p < BENCH_N_POOLS; p++)
			print_pool(size, p, &s->pool[p], &s->pool[BENCH_POOL_ZCAP]);
	}
	fflush(stdout);
}
