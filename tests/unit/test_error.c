// SPDX-License-Identifier: LGPL-2.1-or-later
/* zcap_strerror(): a distinct static text for every code, never NULL. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <zcap/error.h>

#include "tap.h"

static void *hammer(void *arg)
{
	const char **out = arg;

	/* Static texts: the same pointer from any thread, no buffer to race on. */
	for (int i = 0; i < 1000; i++)
		out[i % 2] = zcap_strerror(i % 2 ? -ENOMEM : ZCAP_E_TIMEOUT);
	return NULL;
}

int main(void)
{
	const char *texts[ZCAP_E_BASE - ZCAP_E_LAST + 1];
	int n = ZCAP_E_BASE - ZCAP_E_LAST + 1;
	bool all = true, distinct = true, not_errno = true;
	const char *t1[2], *t2[2];
	pthread_t th1, th2;

	for (int i = 0; i < n; i++) {
		texts[i] = zcap_strerror(ZCAP_E_BASE - i);
		if (!texts[i] || !*texts[i] || strstr(texts[i], "Unknown"))
			all = false;
	}
	ok(all, "each of the %d ZCAP_E_* codes has its own text", n);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			if (!strcmp(texts[i], texts[j])) {
				distinct = false;
				tap_diag("%d and %d share \"%s\"", ZCAP_E_BASE - i,
					 ZCAP_E_BASE - j, texts[i]);
			}
	ok(distinct, "no two ZCAP_E_* texts are the same");
	for (int i = 0; i < n; i++)
		for (int e = 1; e < 134; e++)
			if (!strcmp(texts[i], zcap_strerror(-e)))
				not_errno = false;
	ok(not_errno, "no ZCAP_E_* text is an errno's text");

	ok(!strcmp(zcap_strerror(ZCAP_E_NO_ALLOCATOR),
		   "The input pin has no allocator to offer"),
	   "NO_ALLOCATOR says what VFW_E_NO_ALLOCATOR says");
	ok(!strcmp(zcap_strerror(0), "Success"), "0 is Success");
	ok(!strcmp(zcap_strerror(-EINVAL), "Invalid argument"), "-EINVAL");
	ok(!strcmp(zcap_strerror(-ENOENT), "No such file or directory"), "-ENOENT");
	ok(!strcmp(zcap_strerror(EACCES), "Permission denied"),
	   "a positive errno is taken as an errno");
	ok(zcap_strerror(-4000) != NULL && strstr(zcap_strerror(-4000), "Unknown"),
	   "an unassigned errno is Unknown, not NULL");
	ok(zcap_strerror(-4999) && zcap_strerror(ZCAP_E_LAST - 1) &&
	   zcap_strerror(INT_MIN) && zcap_strerror(INT_MAX),
	   "never NULL: gaps, below LAST, INT_MIN, INT_MAX");
	ok(zcap_strerror(ZCAP_E_TIMEOUT) == zcap_strerror(ZCAP_E_TIMEOUT) &&
	   zcap_strerror(-ENOMEM) == zcap_strerror(-ENOMEM),
	   "texts are static (same pointer every call)");

	pthread_create(&th1, NULL, hammer, t1);
	pthread_create(&th2, NULL, hammer, t2);
	pthread_join(th1, NULL);
	pthread_join(th2, NULL);
	ok(t1[0] == t2[0] && t1[1] == t2[1] && !strcmp(t1[1], "Cannot allocate memory"),
	   "thread safe: two threads get the same static texts");
	return tap_done();
}
