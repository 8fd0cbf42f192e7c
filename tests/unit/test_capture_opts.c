// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zcap-capture's command line (tools/capture_opts.c): counts are decimal
 * as in every tool ("010" is ten, "08" eight), a count starts with a
 * digit (no space, no sign: " -1" is no 2^64 - 1), and --buffers stops at
 * what a pool can hold. A usage error exits 2, which a child shows.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture_opts.h"
#include "tap.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

/* Parse @argv in this process: it must be valid. */
static void parse_ok(int argc, char **argv, struct zcap_capture_opts *o)
{
	optind = 0;	/* glibc: start over */
	zcap_capture_parse_opts(argc, argv, o);
}

/* Parse @argv in a child: its exit status (0 when it parsed). */
static int parse_status(int argc, char **argv)
{
	struct zcap_capture_opts o;
	int st;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* The usage message is the point, not the TAP stream's. */
		if (!freopen("/dev/null", "w", stderr))
			_exit(99);
		optind = 0;
		zcap_capture_parse_opts(argc, argv, &o);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int main(void)
{
	char *octal[] = { "zcap-capture", "-n", "010", "--fps", "08", NULL };
	char *spaced[] = { "zcap-capture", "-n", " -1", NULL };
	char *signed_[] = { "zcap-capture", "-n", "+5", NULL };
	char *bufs_max[] = { "zcap-capture", "--buffers", "256", NULL };
	char *bufs_over[] = { "zcap-capture", "--buffers", "257", NULL };
	char *bufs_wrap[] = { "zcap-capture", "--buffers", "4294967295", NULL };
	struct zcap_capture_opts o;

	parse_ok(ARGC(octal), octal, &o);
	ok(o.frames == 10 && o.fps == 8, "-n 010 is 10 frames, --fps 08 is 8 (decimal): %llu, %u",
	   (unsigned long long)o.frames, o.fps);
	is(parse_status(ARGC(spaced), spaced), 2, "-n ' -1': a usage error, not 2^64 - 1 frames");
	is(parse_status(ARGC(signed_), signed_), 2, "-n +5: a usage error");
	parse_ok(ARGC(bufs_max), bufs_max, &o);
	is(o.extra, 256u, "--buffers 256");
	is(parse_status(ARGC(bufs_over), bufs_over), 2, "--buffers 257: a usage error");
	is(parse_status(ARGC(bufs_wrap), bufs_wrap), 2,
	   "--buffers 4294967295: a usage error, not a sum that wraps");
	return tap_done();
}
