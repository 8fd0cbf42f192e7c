// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zcap-bench's command line (tools/bench_opts.c): a path timeout is waited
 * for in milliseconds, an int, so one that would overflow it is refused
 * (it waited for ever), and a path list that names no path is a usage
 * error (it measured nothing and exited 0). A usage error exits 2, which
 * a child shows.
 */
#include <getopt.h>

#include "bench.h"
#include "child_status.h"
#include "tap.h"

/* Parse NULL-terminated @argv from the start (glibc: optind 0). */
static void parse(char **argv, struct bench_opts *o)
{
	optind = 0;
	bench_parse_opts(argv_count(argv), argv, o);
}

static void parse_in_child(void *argv)
{
	struct bench_opts o;

	parse(argv, &o);
}

int main(void)
{
	char *longest[] = { "zcap-bench", "--path-timeout", "2147483", NULL };
	char *overflow[] = { "zcap-bench", "--path-timeout", "2147484", NULL };
	char *no_path[] = { "zcap-bench", "-p", ",", NULL };
	char *one_path[] = { "zcap-bench", "-p", "a", NULL };
	struct bench_opts o;

	parse(longest, &o);
	ok(o.path_timeout_s == 2147483 && o.path_timeout_s * 1000 > 0,
	   "--path-timeout 2147483: the longest whose milliseconds fit an int");
	is(child_status(parse_in_child, overflow), 2,
	   "--path-timeout 2147484: a usage error, not a negative wait");
	is(child_status(parse_in_child, no_path), 2, "-p ',': no path, a usage error");
	parse(one_path, &o);
	ok(o.paths[BENCH_PATH_A] && !o.paths[BENCH_PATH_B] && !o.paths[BENCH_PATH_C],
	   "-p a: path a alone");
	return tap_done();
}
