// SPDX-License-Identifier: GPL-2.0
/*
 * zcap-bench: measure the zero-copy capture path against the copy path
 * every simple capture program takes, against the bare V4L2 DMABUF loop,
 * and against the kernel's own dma-buf exporters, in one run, at several
 * frame sizes. Every figure is measured in this run (bench_hooks.c,
 * bench_kernel.c) and printed next to its ratio to the baseline measured in
 * the same run. Documentation/benchmarks.md says how each is taken.
 *
 * This file is the order of the runs: for each size every path in rounds,
 * then the pools; bench.h lists the other parts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"
#include "toolopt.h"

static const char *prog = BENCH_PROG;

static const enum zcap_provider lib_provider[BENCH_N_PATHS] = {
	[BENCH_PATH_A] = ZCAP_PROVIDER_ZCAP,
	[BENCH_PATH_HEAP] = ZCAP_PROVIDER_DMA_HEAP,
	[BENCH_PATH_UDMABUF] = ZCAP_PROVIDER_UDMABUF,
};

/* What one size's paths are asked for: the size, its rate, the limits. */
static void size_cfg(const struct bench_opts *o, int fd, uint32_t i,
		     struct bench_size_run *s, struct bench_cfg *c)
{
	const uint32_t yuyv = ZCAP_FOURCC('Y', 'U', 'Y', 'V');

	s->w = o->w[i];
	s->h = o->h[i];
	s->sizeimage = bench_dev_sizeimage(fd, yuyv, s->w, s->h);
	if (o->fps) {
		s->fps_num = 1;
		s->fps_den = o->fps;
	} else {
		bench_dev_fastest_interval(fd, yuyv, s->w, s->h, &s->fps_num, &s->fps_den);
	}
	memset(c, 0, sizeof(*c));
	c->device = o->device;
	c->fourcc = yuyv;
	c->width = s->w;
	c->height = s->h;
	c->fps_num = s->fps_num;
	c->fps_den = s->fps_den;
	c->warmup = o->warmup;
	c->timeout_ms = o->timeout_ms;
	c->path_timeout_s = o->path_timeout_s;
}

/* One window of path @p; @bufs learns how many buffers libzcap took. */
static void run_path(struct bench_cfg *c, uint32_t round, enum bench_path p,
		     struct bench_result *r, uint32_t *bufs)
{
	/* The raw paths use as many buffers as libzcap chose. */
	c->buffers = *bufs ? *bufs : 4;
	fprintf(stderr, "%s: %ux%u round %u path %s\n", prog, c->width, c->height,
		round + 1, bench_path_key[p]);
	switch (p) {
	case BENCH_PATH_B:
		bench_run_mmap_copy(c, r);
		break;
	case BENCH_PATH_C:
		bench_run_dmabuf_raw(c, r);
		break;
	default:
		bench_run_libzcap(c, lib_provider[p], r);
		if (p == BENCH_PATH_A && !*bufs && r->status == BENCH_OK)
			*bufs = r->buffers;
		break;
	}
}

/*
 * Every path at one size, in rounds: the load of the machine drifts
 * (other VMs, the host), so each path gets its share of every stretch of
 * time. 0, 1 when a path failed, or a negative errno (out of memory).
 */
static int run_size(const struct bench_opts *o, int fd, uint32_t i,
		    struct bench_size_run *s)
{
	struct bench_cfg c;
	uint32_t round, bufs = o->buffers;
	int p, status = 0;

	size_cfg(o, fd, i, s, &c);
	for (p = 0; p < BENCH_N_PATHS; p++) {
		if (!o->paths[p])
			continue;
		s->ran[p] = true;
		if (bench_result_init(&s->res[p], o->frames) < 0)
			return -ENOMEM;
	}
	for (round = 0; round < o->rounds; round++) {
		c.frames = o->frames / o->rounds + (round < o->frames % o->rounds);
		for (p = 0; p < BENCH_N_PATHS; p++)
			if (s->ran[p] && s->res[p].status == BENCH_OK)
				run_path(&c, round, p, &s->res[p], &bufs);
	}
	for (p = 0; p < BENCH_N_PATHS; p++) {
		if (!s->ran[p])
			continue;
		bench_result_finish(&s->res[p]);
		if (s->res[p].status == BENCH_FAILED)
			status = 1;
	}
	bench_print_size(o, s);
	return status;
}

/* Pool creation at each size, the providers interleaved; 1 if one failed. */
static int run_pools(const struct bench_opts *o, struct bench_size_run *runs)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	uint32_t i, round;
	int p, status = 0;

	for (i = 0; i < o->n_sizes; i++) {
		struct bench_size_run *s = &runs[i];
		uint64_t sz = ((uint64_t)s->sizeimage + pg - 1) / pg * pg;

		if (!sz)
			continue;
		fprintf(stderr, "%s: pools of %ux%u\n", prog, s->w, s->h);
		for (p = 0; p < BENCH_N_POOLS; p++)
			bench_pool_begin(p, sz, o->pool_count, o->pool_reps, &s->pool[p]);
		for (round = 0; round < o->pool_reps; round++)
			for (p = 0; p < BENCH_N_POOLS; p++)
				bench_pool_rep(&s->pool[p]);
		for (p = 0; p < BENCH_N_POOLS; p++) {
			bench_pool_end(&s->pool[p]);
			if (s->pool[p].status == BENCH_FAILED)
				status = 1;
		}
		s->pooled = true;
	}
	bench_print_pools(o, runs, o->n_sizes);
	return status;
}

/* Every size, the pools, the CSV: the exit status. */
static int run_all(const struct bench_opts *o, int fd, const char *kver,
		   struct bench_size_run *runs)
{
	uint32_t i;
	int ret, status = 0;

	for (i = 0; i < o->n_sizes; i++) {
		ret = run_size(o, fd, i, &runs[i]);
		if (ret < 0) {
			fprintf(stderr, "%s: out of memory\n", prog);
			return 1;
		}
		status |= ret;
	}
	if (o->pools)
		status |= run_pools(o, runs);
	if (o->csv) {
		ret = bench_write_csv(o->csv, kver, runs, o->n_sizes);
		if (ret < 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, o->csv, strerror(-ret));
			status = 1;
		}
	}
	return status;
}

int main(int argc, char **argv)
{
	struct bench_size_run *runs;
	struct bench_dev di;
	struct utsname un;
	struct bench_opts o;
	char why[BENCH_NOTE_LEN];
	uint32_t i;
	int p, fd, status, err;

	bench_parse_opts(argc, argv, &o);
	if (uname(&un) < 0)
		snprintf(un.release, sizeof(un.release), "unknown");
	fd = bench_dev_open(o.device, &di);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, o.device,
			fd == -ENOTTY ? "not a V4L2 device" : strerror(-fd));
		return 1;
	}
	runs = calloc(o.n_sizes, sizeof(*runs));
	if (!runs) {
		fprintf(stderr, "%s: out of memory\n", prog);
		bench_dev_restore(fd, &di);
		close(fd);
		return 1;
	}
	bench_kernel_init(why, sizeof(why));
	bench_print_header(&o, un.release, &di, why);
	status = run_all(&o, fd, un.release, runs);
	bench_kernel_exit();
	bench_dev_restore(fd, &di);
	close(fd);
	for (i = 0; i < o.n_sizes; i++)
		for (p = 0; p < BENCH_N_PATHS; p++)
			bench_result_release(&runs[i].res[p]);
	free(runs);
	/* A table that did not get out is no measurement. */
	err = zcap_tool_stdout_error();
	if (err && status == 0) {
		fprintf(stderr, "%s: writing the results: %s\n", prog, strerror(err));
		status = 1;
	}
	return status;
}
