/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The median of a benchmark's samples, for the benchmark programs of
 * tests/bench/ (zcap-gst-bench, frame-cost).
 */
#ifndef ZCAP_TESTS_BENCH_MEDIAN_H
#define ZCAP_TESTS_BENCH_MEDIAN_H

#include <stdlib.h>

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of @n values (n > 0), sorted in place. */
static inline double bench_median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(v[0]), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
