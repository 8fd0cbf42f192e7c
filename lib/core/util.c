// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Small helpers of the core that belong to no one object: the monotonic
 * clock, time limits for condition waits, and the page size. Every layer of the library may use
 * them, so they live here rather than in the allocator that used them
 * first (which made the providers depend on the allocator and back).
 */
#include <time.h>
#include <unistd.h>

#include "zcap_internal.h"

int64_t zcapi_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void zcapi_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int zcapi_cond_init(pthread_cond_t *c)
{
	pthread_condattr_t attr;
	int ret;

	ret = pthread_condattr_init(&attr);
	if (ret)
		return -ret;
	ret = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!ret)
		ret = pthread_cond_init(c, &attr);
	pthread_condattr_destroy(&attr);
	return -ret;
}

uint64_t zcapi_page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint64_t)ps : 4096;
}
