/* SPDX-License-Identifier: GPL-2.0 */
/* Checks and fatal errors of the C programs the VM suites run. */
#ifndef ZCAP_VM_CHECK_H
#define ZCAP_VM_CHECK_H

#include <stdbool.h>

/* How many checks failed so far: the program's exit status follows it. */
extern int failures;

/* "check: ok ..." or "check: FAIL ..." on stdout, counted in failures. */
void check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A setup step failed (@err a negative errno): exit status 2. */
void die(const char *what, int err) __attribute__((noreturn));

#endif /* ZCAP_VM_CHECK_H */
