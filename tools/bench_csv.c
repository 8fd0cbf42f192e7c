// SPDX-License-Identifier: GPL-2.0
/*
 * zcap-bench's CSV: one row per figure, "kernel,section,size,path,metric,
 * value,unit,note", so that runs on several kernels concatenate into one
 * file (tests/bench/bench.mk) and a plot picks rows without parsing tables.
 * A figure that is n/a has an empty value and says why in the note.
 */
#include <errno.h>
#include <stdio.h>

#include "bench.h"

/* Where the rows being written go, and the columns they share. */
struct csv {
	FILE *f;
	const char *kver;
	const char *section;	/* frame, ratio, pool, pool-ratio */
	const struct bench_size_run *s;
	const char *path;	/* a path's key, a ratio's or a provider's name */
};

static void csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		fputc(*s == '"' ? '\'' : *s, f);
	fputc('"', f);
}

static void csv_row(const struct csv *c, const char *metric, const char *value,
		    const char *unit, const char *note)
{
	fprintf(c->f, "%s,%s,%ux%u,%s,%s,%s,%s,", c->kver, c->section, c->s->w, c->s->h,
		c->path, metric, value, unit);
	csv_str(c->f, note ? note : "");
	fputc('\n', c->f);
}

static void csv_num(const struct csv *c, const char *metric, double v, const char *unit)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%.6g", v);
	csv_row(c, metric, buf, unit, NULL);
}

/* The figures of the table, then those it has no room for. */
static void csv_figures(const struct csv *c, const struct bench_result *r, enum bench_path p)
{
	const struct bench_figure *fig;
	double v;
	size_t i;

	for (i = 0; i < bench_n_figs; i++) {
		fig = &bench_figs[i];
		if (bench_fig_value(fig, r, p, &v))
			csv_num(c, fig->key, v, fig->unit);
		else
			csv_row(c, fig->key, "", fig->unit, "n/a");
	}
	csv_num(c, "latency_median_ms", r->lat_med_ms, "ms");
	if (bench_hooks_counting) {
		csv_num(c, "copy_calls", r->copy_calls, "calls/frame");
		csv_num(c, "frees", r->frees, "calls/frame");
		csv_num(c, "polls", r->polls, "calls/frame");
	}
	if (r->have_zcap) {
		csv_num(c, "zcap_map_calls", r->zcap_map, "calls/frame");
		csv_num(c, "zcap_vmap_calls", r->zcap_vmap, "calls/frame");
	}
	if (p == BENCH_PATH_A || p == BENCH_PATH_HEAP || p == BENCH_PATH_UDMABUF)
		csv_num(c, "libzcap_bytes_copied", r->lib_copied, "bytes/frame");
	csv_num(c, "dropped", r->sum.dropped, "frames");
	csv_num(c, "stale_timestamps", r->sum.stale, "frames");
}

static void csv_path(struct csv *c, enum bench_path p)
{
	const struct bench_result *r = &c->s->res[p];

	c->section = "frame";
	c->path = bench_path_key[p];
	if (r->status != BENCH_OK) {
		csv_row(c, "status", r->status == BENCH_NA ? "n/a" : "failed", "", r->note);
		return;
	}
	csv_row(c, "status", "ok", "", r->note);
	csv_num(c, "frames", (double)r->sum.frames, "frames");
	csv_num(c, "rounds", r->sum.windows, "runs");
	if (bench_hooks_counting)
		csv_num(c, "work_cpu_us", r->cpu_us - r->wait_cpu_us, "us/frame");
	csv_num(c, "buffers", r->buffers, "buffers");
	csv_row(c, "provider", r->provider, "", NULL);
	csv_figures(c, r, p);
}

static void csv_ratio(struct csv *c, const struct bench_ratio *q)
{
	const struct bench_result *a = &c->s->res[q->num];
	const struct bench_result *b = &c->s->res[q->den];
	const struct bench_figure *fig;
	char buf[32];
	double v, d;
	size_t i;

	if (!c->s->ran[q->num] || !c->s->ran[q->den] ||
	    a->status != BENCH_OK || b->status != BENCH_OK)
		return;
	c->section = "ratio";
	c->path = q->label;
	for (i = 0; i < bench_n_figs; i++) {
		fig = &bench_figs[i];
		if (!bench_fig_value(fig, a, q->num, &v) ||
		    !bench_fig_value(fig, b, q->den, &d))
			continue;
		bench_fmt_ratio(buf, sizeof(buf), v, d);
		if (d != 0)
			csv_num(c, fig->key, v / d, "ratio");
		else
			csv_row(c, fig->key, "", "ratio", buf);
	}
}

/* How zcap's pool compares with provider @r's at the same size. */
static void csv_pool_ratio(struct csv *c, const struct bench_pool_result *r,
			   const struct bench_pool_result *z)
{
	char lbl[32];

	snprintf(lbl, sizeof(lbl), "zcap/%s", c->path);
	c->section = "pool-ratio";
	c->path = lbl;
	csv_num(c, "create_ms_median", z->ms_median / r->ms_median, "ratio");
	if (z->have_sg && r->have_sg && r->sg_total)
		csv_num(c, "sg_entries", (double)z->sg_total / r->sg_total, "ratio");
}

static void csv_pool(struct csv *c, int p)
{
	const struct bench_pool_result *r = &c->s->pool[p];
	const struct bench_pool_result *z = &c->s->pool[BENCH_POOL_ZCAP];

	c->section = "pool";
	c->path = bench_pool_name(p);
	if (r->status != BENCH_OK) {
		csv_row(c, "status", r->status == BENCH_NA ? "n/a" : "failed", "", r->note);
		return;
	}
	csv_num(c, "buffer_bytes", (double)r->buffer_size, "bytes");
	csv_num(c, "buffers", r->count, "buffers");
	csv_num(c, "create_ms_median", r->ms_median, "ms");
	csv_num(c, "create_ms_min", r->ms_min, "ms");
	csv_num(c, "create_ms_max", r->ms_max, "ms");
	if (r->have_sg) {
		csv_num(c, "sg_entries", r->sg_total, "entries");
		csv_num(c, "sg_max_per_buffer", r->sg_max, "entries");
	} else {
		csv_row(c, "sg_entries", "", "entries", r->sg_note);
	}
	if (r->have_info_sg)
		csv_num(c, "pool_info_sg_entries", r->info_sg_total, "entries");
	if (p != BENCH_POOL_ZCAP && z->status == BENCH_OK)
		csv_pool_ratio(c, r, z);
}

int bench_write_csv(const char *path, const char *kver,
		    const struct bench_size_run *runs, uint32_t n)
{
	struct csv c = { .kver = kver };
	uint32_t i;
	size_t k;
	int p;

	c.f = fopen(path, "w");
	if (!c.f)
		return -errno;
	fprintf(c.f, "kernel,section,size,path,metric,value,unit,note\n");
	for (i = 0; i < n; i++) {
		c.s = &runs[i];
		for (p = 0; p < BENCH_N_PATHS; p++)
			if (c.s->ran[p])
				csv_path(&c, p);
		for (k = 0; k < bench_n_ratios; k++)
			csv_ratio(&c, &bench_ratios[k]);
		if (!c.s->pooled)
			continue;
		for (p = 0; p < BENCH_N_POOLS; p++)
			csv_pool(&c, p);
	}
	if (fclose(c.f) != 0)
		return -errno;
	return 0;
}
