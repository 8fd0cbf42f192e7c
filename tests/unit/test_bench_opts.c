// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zcap-bench's command line (tools/bench_opts.c): a path timeout is waited
 * for in milliseconds, an int, so one that would overflow it is refused
 * (it waited for ever), and a path list that names no path is a usage
 * error (it measured nothing and exited 0). A usage error exits 2, which
 * a child shows.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "tap.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

/* Parse @argv in a child: its exit status (0 when it parsed). */
static int parse_status(int argc, char **argv)
{
	struct bench_opts o;
	int st;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stderr))
			_exit(99);
		optind = 0;
		bench_parse_opts(argc, argv, &o);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int main(void)
{
	char *longest[] = { "zcap-bench", "--path-timeout", "2147483", NULL };
	char *overflow[] = { "zcap-bench", "--path-timeout", "2147484", NULL };
	char *no_path[] = { "zcap-bench", "-p", ",", NULL };
	char *one_path[] = { "zcap-bench", "-p", "a", NULL };
	struct bench_opts o;

	optind = 0;
	bench_parse_opts(ARGC(longest), longest, &o);
	ok(o.path_timeout_s == 2147483 && o.path_timeout_s * 1000 > 0,
	   "--path-timeout 2147483: the longest whose milliseconds fit an int");
	is(parse_status(ARGC(overflow), overflow), 2,
	   "--path-timeout 2147484: a usage error, not a negative wait");
	is(parse_status(ARGC(no_path), no_path), 2, "-p ',': no path, a usage error");
	optind = 0;
	bench_parse_opts(ARGC(one_path), one_path, &o);
	ok(o.paths[BENCH_PATH_A] && !o.paths[BENCH_PATH_B] && !o.paths[BENCH_PATH_C],
	   "-p a: path a alone");
	return tap_done();
}
