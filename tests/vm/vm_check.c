// SPDX-License-Identifier: GPL-2.0
/*
 * Shared by consumers_run and kms_check, whose suites parse the same
 * "check:" lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <zcap/error.h>

#include "vm_check.h"

int failures;

void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("check: %s ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

void die(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
		zcap_strerror(err));
	exit(2);
}
