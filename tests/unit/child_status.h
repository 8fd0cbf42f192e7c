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

/*
 * @fn(@arg)'s exit status in a child: 0 when it returned, -1 if killed.
 * What it wrote to stderr goes to @err (NUL-terminated, cut to @len)
 * when not NULL, else nowhere.
 */
static inline int child_status_err(void (*fn)(void *arg), void *arg,
				   char *err, size_t len)
{
	FILE *tmp = err ? tmpfile() : NULL;
	size_t n = 0;
	int st;
	pid_t pid;

	if (err && (!tmp || !len))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (tmp ? dup2(fileno(tmp), 2) < 0 : !freopen("/dev/null", "w", stderr))
			_exit(99);
		fn(arg);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		st = -1;
	if (tmp) {
		rewind(tmp);
		n = fread(err, 1, len - 1, tmp);
		err[n] = '\0';
		fclose(tmp);
	}
	return st < 0 ? -1 : WEXITSTATUS(st);
}

static inline int child_status(void (*fn)(void *arg), void *arg)
{
	return child_status_err(fn, arg, NULL, 0);
}

#endif /* ZCAP_TESTS_CHILD_STATUS_H */
