/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small TAP producer for the unit tests. Each check prints one
 * "ok N - ..." or "not ok N - ..." line; tap_done() prints the plan and
 * gives the exit status. tests/unit/run-tap turns a crash or a missing
 * plan into a failure, so a test that dies halfway is never silent.
 */
#ifndef ZCAP_TESTS_TAP_H
#define ZCAP_TESTS_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n;
static int tap_failed;

__attribute__((format(printf, 4, 5)))
static inline bool tap_check(bool pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return pass;
}

#define ok(cond, ...) tap_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Equality of integers, showing both sides when they differ. */
#define is(got, want, ...) ({						\
	long long _g = (long long)(got), _w = (long long)(want);	\
	bool _p = tap_check(_g == _w, __FILE__, __LINE__, __VA_ARGS__);	\
	if (!_p)							\
		printf("#   got %lld, want %lld\n", _g, _w);		\
	_p;								\
})

__attribute__((format(printf, 2, 3)))
static inline void tap_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

__attribute__((format(printf, 1, 2)))
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif /* ZCAP_TESTS_TAP_H */
