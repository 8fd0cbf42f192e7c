// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Timed waits run on CLOCK_MONOTONIC: every condition variable the tee,
 * the V4L2 output queue and the mem2mem encoder make is a monotonic one,
 * the deadline helper counts from CLOCK_MONOTONIC, and a timed wait on
 * the output queue lasts its timeout. A wall-clock step (NTP, date -s)
 * then neither stretches nor cuts a timeout.
 *
 * pthread_cond_init is interposed (the library's objects are linked into
 * this program) to record the clock of each condvar made.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <linux/videodev2.h>

#include <zcap/consumers.h>
#include <zcap/error.h>

#include "helpers.h"
#include "tap.h"
#include "v4l2/v4l2_outq.h"

static int n_inits, n_realtime;

int pthread_cond_init(pthread_cond_t *restrict c,
		      const pthread_condattr_t *restrict attr)
{
	static int (*real)(pthread_cond_t *, const pthread_condattr_t *);
	clockid_t clk = CLOCK_REALTIME;

	if (!real)
		real = (int (*)(pthread_cond_t *, const pthread_condattr_t *))
			dlsym(RTLD_NEXT, "pthread_cond_init");
	if (attr)
		pthread_condattr_getclock(attr, &clk);
	n_inits++;
	if (clk != CLOCK_MONOTONIC)
		n_realtime++;
	return real(c, attr);
}

static void reset(void)
{
	n_inits = 0;
	n_realtime = 0;
}

static void test_deadline(void)
{
	struct timespec now, dl;
	int64_t d;

	clock_gettime(CLOCK_MONOTONIC, &now);
	zcapi_deadline(&dl, 1500);
	d = (int64_t)(dl.tv_sec - now.tv_sec) * 1000 +
	    (dl.tv_nsec - now.tv_nsec) / 1000000;
	ok(d >= 1490 && d < 2500, "zcapi_deadline(1500) is 1.5 s ahead of CLOCK_MONOTONIC (%lld ms)",
	   (long long)d);
	ok(dl.tv_nsec >= 0 && dl.tv_nsec < 1000000000L, "a normalised timespec");
}

static void test_condvars(void)
{
	struct zcap_m2m_encoder_config cfg = { .device = "/nonexistent/video99" };
	struct zcap_filter *f = NULL;
	struct zcapi_outq q;

	reset();
	is(zcap_tee_new(3, &f), 0, "tee made");
	ok(n_inits >= 4 && !n_realtime, "the tee's %d condvars are CLOCK_MONOTONIC (%d not)",
	   n_inits, n_realtime);
	zcap_filter_destroy(f);

	reset();
	is(zcapi_outq_init(&q, -1, V4L2_BUF_TYPE_VIDEO_OUTPUT), 0, "output queue made");
	ok(n_inits == 1 && !n_realtime, "its condvar is CLOCK_MONOTONIC (%d of %d not)",
	   n_realtime, n_inits);
	zcapi_outq_fini(&q);

	reset();
	f = NULL;
	ok(zcap_m2m_encoder_new(&cfg, &f) < 0 && !f, "encoder on a missing node fails");
	ok(n_inits >= 1 && !n_realtime, "but its condvar was CLOCK_MONOTONIC (%d of %d not)",
	   n_realtime, n_inits);
}

/*
 * The deadline and the condvar must agree: a monotonic deadline on a
 * realtime condvar is decades in the past (no wait at all), the reverse
 * never comes. An MMAP queue with every buffer in the driver waits.
 */
static void test_outq_timed_wait(void)
{
	struct zcap_alloc_props p = props_1(1, 4096);
	struct zcap_allocator *a;
	struct zcap_sample *s;
	struct zcapi_outq q;
	uint64_t copied = 0;
	int64_t t0, dt;

	zcap_allocator_new_memory(&a);
	zcap_allocator_set_properties(a, &p, NULL);
	zcap_allocator_commit(a);
	zcap_allocator_get_buffer(a, 0, &s);
	zcapi_outq_init(&q, -1, V4L2_BUF_TYPE_VIDEO_OUTPUT);
	q.q.memory = V4L2_MEMORY_MMAP;
	q.q.count = 1;
	q.q.slots = calloc(1, sizeof(*q.q.slots));
	q.q.slots[0].state = ZCAPI_V4L2Q_QUEUED;
	q.q.streaming = true;
	t0 = now_ms();
	is(zcapi_outq_queue(&q, s, 150, &copied), ZCAP_E_TIMEOUT,
	   "no free buffer -> TIMEOUT");
	dt = now_ms() - t0;
	ok(dt >= 140 && dt < 5000, "after the 150 ms timeout (%lld ms)", (long long)dt);
	q.q.slots[0].state = ZCAPI_V4L2Q_FREE;
	zcapi_outq_fini(&q);
	zcap_sample_unref(s);
	zcap_allocator_decommit(a);
	zcap_allocator_unref(a);
}

int main(void)
{
	test_deadline();
	test_condvars();
	test_outq_timed_wait();
	return tap_done();
}
