// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zcap-capture's command line (tools/capture_opts.c): counts are decimal
 * as in every tool ("010" is ten, "08" eight), a count starts with a
 * digit (no space, no sign: " -1" is no 2^64 - 1), and --buffers stops at
 * what a pool can hold. A usage error exits 2, which a child shows.
 */
#include <getopt.h>
#include <limits.h>
#include <string.h>

#include "capture_opts.h"
#include "child_status.h"
#include "tap.h"

/* Parse NULL-terminated @argv from the start (glibc: optind 0). */
static void parse(char **argv, struct zcap_capture_opts *o)
{
	optind = 0;
	zcap_capture_parse_opts(argv_count(argv), argv, o);
}

static void parse_in_child(void *argv)
{
	struct zcap_capture_opts o;

	parse(argv, &o);
}

int main(void)
{
	char *octal[] = { "zcap-capture", "-n", "010", "--fps", "08", NULL };
	char *spaced[] = { "zcap-capture", "-n", " -1", NULL };
	char *signed_[] = { "zcap-capture", "-n", "+5", NULL };
	char *bufs_max[] = { "zcap-capture", "--buffers", "256", NULL };
	char *bufs_over[] = { "zcap-capture", "--buffers", "257", NULL };
	char *bufs_wrap[] = { "zcap-capture", "--buffers", "4294967295", NULL };
	char *tmo_max[] = { "zcap-capture", "--timeout", "2147483647", NULL };
	char *tmo_over[] = { "zcap-capture", "--timeout", "2147483648", NULL };
	char *tmo_zero[] = { "zcap-capture", "--timeout", "0", NULL };
	struct zcap_capture_opts o;
	char err[256];

	parse(octal, &o);
	ok(o.frames == 10 && o.fps == 8, "-n 010 is 10 frames, --fps 08 is 8 (decimal): %llu, %u",
	   (unsigned long long)o.frames, o.fps);
	is(child_status(parse_in_child, spaced), 2, "-n ' -1': a usage error, not 2^64 - 1 frames");
	is(child_status(parse_in_child, signed_), 2, "-n +5: a usage error");
	parse(bufs_max, &o);
	is(o.extra, 256u, "--buffers 256");
	is(child_status(parse_in_child, bufs_over), 2, "--buffers 257: a usage error");
	is(child_status(parse_in_child, bufs_wrap), 2,
	   "--buffers 4294967295: a usage error, not a sum that wraps");
	parse(tmo_max, &o);
	is(o.timeout_ms, INT_MAX, "--timeout 2147483647");
	is(child_status_err(parse_in_child, tmo_over, err, sizeof(err)), 2,
	   "--timeout 2147483648: a usage error");
	err[strcspn(err, "\n")] = '\0';
	ok(strstr(err, "too large") && !strstr(err, "at least"),
	   "which says it is too large, not too small: %s", err);
	is(child_status_err(parse_in_child, tmo_zero, err, sizeof(err)), 2,
	   "--timeout 0: a usage error");
	err[strcspn(err, "\n")] = '\0';
	ok(strstr(err, "at least 1 ms") != NULL, "which says the least: %s", err);
	return tap_done();
}
