/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a call that may exit() does, seen from outside: run it in a child
 * and take its exit status. For the tools' option parsers, whose usage
 * errors exit 2 (their message, not the TAP stream's, goes to /dev/null).
 */
#ifndef ZCAP_TESTS_CHILD_STATUS_H
#define ZCAP_TESTS_CHILD_STATUS_H

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* The arguments in a NULL-terminated @argv, program name included. */
static inline int argv_count(char **argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

/* @fn(@arg)'s exit status in a child: 0 when it returned, -1 if killed. */
static inline int child_status(void (*fn)(void *arg), void *arg)
{
	int st;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stderr))
			_exit(99);
		fn(arg);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

#endif /* ZCAP_TESTS_CHILD_STATUS_H */
