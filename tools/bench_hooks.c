// SPDX-License-Identifier: GPL-2.0
/*
 * zcap-bench's counters in the process: wrappers around the allocator,
 * memcpy/memmove and poll, bound in at link time (-Wl,--wrap=SYMBOL, see
 * tests/bench/bench.mk), so that every call made by zcap-bench's own code
 * and by the statically linked libzcap goes through them. Calls that glibc
 * makes internally (inside fopen, printf, pthread_create) do not: those are
 * outside the measured loops anyway.
 *
 * And the measurement window: snapshots of every counter, taken by the
 * consumer when it gets the first and the last frame of the window.
 *
 * Built with ZCAP_BENCH_NO_HOOKS (the zcap-bench that `make install` and the
 * Debian package install, linked against libzcap.so, which no --wrap could
 * reach anyway), it has no wrapper at all: bench_hooks_counting is false,
 * the counters read 0 and zcap-bench prints "n/a" for what they would give.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench.h"

#ifndef ZCAP_BENCH_NO_HOOKS
const bool bench_hooks_counting = true;

static atomic_uint_fast64_t n_allocs, n_frees, n_copy_calls, n_copied;
static atomic_uint_fast64_t n_wait_ns, n_wait_cpu_ns, n_waits, n_ioctl_ns;
static _Thread_local bool capture_thread;

#define COUNT(c, v) atomic_fetch_add_explicit(&(c), (v), memory_order_relaxed)

void *__wrap_malloc(size_t n)
{
	COUNT(n_allocs, 1);
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t sz)
{
	COUNT(n_allocs, 1);
	return __real_calloc(n, sz);
}

void *__wrap_realloc(void *p, size_t n)
{
	COUNT(n_allocs, 1);
	return __real_realloc(p, n);
}

void __wrap_free(void *p)
{
	if (p)
		COUNT(n_frees, 1);
	__real_free(p);
}

int __wrap_posix_memalign(void **p, size_t align, size_t n)
{
	COUNT(n_allocs, 1);
	return __real_posix_memalign(p, align, n);
}

void *__wrap_aligned_alloc(size_t align, size_t n)
{
	COUNT(n_allocs, 1);
	return __real_aligned_alloc(align, n);
}

/* glibc's strdup calls its own malloc, which the wrapper cannot see. */
char *__wrap_strdup(const char *s)
{
	COUNT(n_allocs, 1);
	return __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	COUNT(n_allocs, 1);
	return __real_strndup(s, n);
}

void *__wrap_memcpy(void *d, const void *s, size_t n)
{
	COUNT(n_copy_calls, 1);
	COUNT(n_copied, n);
	return __real_memcpy(d, s, n);
}

void *__wrap_memmove(void *d, const void *s, size_t n)
{
	COUNT(n_copy_calls, 1);
	COUNT(n_copied, n);
	return __real_memmove(d, s, n);
}

#else
const bool bench_hooks_counting;
#endif /* ZCAP_BENCH_NO_HOOKS */

int64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#ifndef ZCAP_BENCH_NO_HOOKS
static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Every path blocks for the driver in poll() and nowhere else: the
 * library's streaming thread opens the device O_NONBLOCK and polls, and the
 * raw loops here do the same. So the capture thread's time in poll() is
 * the time it waited for frames. The CPU time it used in there is kept
 * apart: a driver that holds its queue lock while it fills a buffer (vivid
 * does) makes poll() spin on that mutex while the owner runs on another
 * CPU, which is the driver's cost, the same whatever path waits.
 */
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int64_t t0, c0;
	int ret, err;

	if (!capture_thread)
		return __real_poll(fds, n, timeout);
	t0 = bench_now_ns();
	c0 = thread_cpu_ns();
	ret = __real_poll(fds, n, timeout);
	err = errno;
	COUNT(n_wait_cpu_ns, (uint64_t)(thread_cpu_ns() - c0));
	COUNT(n_wait_ns, (uint64_t)(bench_now_ns() - t0));
	COUNT(n_waits, 1);
	errno = err;
	return ret;
}

/*
 * The capture thread's time in ioctl(): DQBUF and QBUF, and whatever
 * waits there for the driver's lock (vivid fills a frame holding the
 * lock QBUF and DQBUF take). Busy time less this is the code's own.
 */
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	void *arg;
	va_list ap;
	int64_t t0;
	int ret, err;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!capture_thread)
		return __real_ioctl(fd, req, arg);
	t0 = bench_now_ns();
	ret = __real_ioctl(fd, req, arg);
	err = errno;
	COUNT(n_ioctl_ns, (uint64_t)(bench_now_ns() - t0));
	errno = err;
	return ret;
}

void bench_hooks_capture_thread(void)
{
	capture_thread = true;
}

void bench_hooks_read(struct bench_hooks *h)
{
	h->allocs = atomic_load_explicit(&n_allocs, memory_order_relaxed);
	h->frees = atomic_load_explicit(&n_frees, memory_order_relaxed);
	h->copy_calls = atomic_load_explicit(&n_copy_calls, memory_order_relaxed);
	h->copied = atomic_load_explicit(&n_copied, memory_order_relaxed);
	h->wait_ns = atomic_load_explicit(&n_wait_ns, memory_order_relaxed);
	h->wait_cpu_ns = atomic_load_explicit(&n_wait_cpu_ns, memory_order_relaxed);
	h->waits = atomic_load_explicit(&n_waits, memory_order_relaxed);
	h->ioctl_ns = atomic_load_explicit(&n_ioctl_ns, memory_order_relaxed);
}
#else
void bench_hooks_capture_thread(void)
{
}

void bench_hooks_read(struct bench_hooks *h)
{
	memset(h, 0, sizeof(*h));
}
#endif /* ZCAP_BENCH_NO_HOOKS */

void bench_note(char *note, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(note, BENCH_NOTE_LEN, fmt, ap);
	va_end(ap);
}

/* ---- the window -------------------------------------------------------- */

/*
 * The kernel counters are read first when the window opens and last when
 * it closes, so that reading them (a few syscalls on debugfs and tracefs)
 * stays out of the CPU, time and allocation figures.
 */
void bench_snap_take(struct bench_snap *s, bool start)
{
	struct rusage ru;
	struct timespec ts;

	if (start)
		bench_kernel_read(&s->k);
	else
		s->mono_ns = bench_now_ns();
	if (start)
		bench_hooks_read(&s->h);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	s->cpu_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	getrusage(RUSAGE_SELF, &ru);
	s->user_us = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
	s->sys_us = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
	if (start) {
		s->mono_ns = bench_now_ns();
	} else {
		bench_hooks_read(&s->h);
		bench_kernel_read(&s->k);
	}
}

int bench_window_init(struct bench_window *w, uint32_t warmup, uint32_t frames)
{
	memset(w, 0, sizeof(*w));
	if (!warmup || !frames)
		return -EINVAL;
	w->warmup = warmup;
	w->frames = frames;
	w->prev_ts = -1;
	w->lat_ns = calloc(frames, sizeof(*w->lat_ns));
	return w->lat_ns ? 0 : -ENOMEM;
}

void bench_window_release(struct bench_window *w)
{
	free(w->lat_ns);
	w->lat_ns = NULL;
}

bool bench_window_frame(struct bench_window *w, int64_t ts_ns, uint32_t seq,
			bool error)
{
	int64_t now = bench_now_ns();
	uint32_t lost;

	if (w->done)
		return true;
	w->seen++;
	if (w->open) {
		if (w->have_prev && seq != w->prev_seq + 1) {
			lost = seq - w->prev_seq - 1;
			/* A backwards jump is a restart, not a loss. */
			if (lost < (1u << 31))
				w->dropped += lost;
		}
		if (error)
			w->errors++;
		if (ts_ns < 0) {
			w->no_time++;
		} else if (w->prev_ts >= 0 && ts_ns <= w->prev_ts) {
			/*
			 * vivid stamps a buffer just after vb2_buffer_done(): a
			 * consumer quick enough can see the previous stamp.
			 */
			w->stale++;
		} else if (now >= ts_ns && w->n_lat < w->frames) {
			w->lat_ns[w->n_lat++] = now - ts_ns;
		} else {
			w->no_time++;	/* a time in the future: wrong clock */
		}
	}
	w->have_prev = true;
	w->prev_seq = seq;
	if (ts_ns > w->prev_ts)
		w->prev_ts = ts_ns;

	if (!w->open && w->seen == w->warmup) {
		w->open = true;
		bench_snap_take(&w->start, true);
	} else if (w->open && w->seen == w->warmup + w->frames) {
		bench_snap_take(&w->end, false);
		w->done = true;
	}
	return w->done;
}

/* ---- results ---------------------------------------------------------- */

int bench_result_init(struct bench_result *r, uint32_t max_frames)
{
	memset(r, 0, sizeof(*r));
	r->status = BENCH_OK;
	r->sum.zcap = true;
	r->sum.kprobe = true;
	r->cap_lat = max_frames;
	r->lat_ns = calloc(max_frames ? max_frames : 1, sizeof(*r->lat_ns));
	return r->lat_ns ? 0 : -ENOMEM;
}

void bench_result_release(struct bench_result *r)
{
	free(r->lat_ns);
	r->lat_ns = NULL;
}

void bench_result_fail(struct bench_result *r, enum bench_status st, const char *fmt, ...)
{
	va_list ap;

	r->status = st;
	va_start(ap, fmt);
	vsnprintf(r->note, sizeof(r->note), fmt, ap);
	va_end(ap);
}

#define DELTA(f) ((int64_t)(e->f - s->f))

void bench_result_add(struct bench_result *r, const struct bench_window *w)
{
	const struct bench_snap *s = &w->start, *e = &w->end;
	struct bench_sums *t = &r->sum;
	uint32_t i;

	t->windows++;
	t->frames += w->frames;
	t->wall_ns += DELTA(mono_ns);
	t->wait_ns += DELTA(h.wait_ns);
	t->wait_cpu_ns += DELTA(h.wait_cpu_ns);
	t->ioctl_ns += DELTA(h.ioctl_ns);
	t->cpu_ns += DELTA(cpu_ns);
	t->user_us += DELTA(user_us);
	t->sys_us += DELTA(sys_us);
	t->copied += (uint64_t)DELTA(h.copied);
	t->copy_calls += (uint64_t)DELTA(h.copy_calls);
	t->allocs += (uint64_t)DELTA(h.allocs);
	t->frees += (uint64_t)DELTA(h.frees);
	t->polls += (uint64_t)DELTA(h.waits);
	t->zcap = t->zcap && s->k.zcap && e->k.zcap;
	t->zcap_map += (uint64_t)DELTA(k.zcap_map);
	t->zcap_vmap += (uint64_t)DELTA(k.zcap_vmap);
	t->kprobe = t->kprobe && s->k.kprobe && e->k.kprobe;
	t->kp_map += (uint64_t)DELTA(k.kp_map);
	t->kp_vmap += (uint64_t)DELTA(k.kp_vmap);
	t->dropped += w->dropped;
	t->stale += w->stale;
	t->errors += w->errors;
	t->no_time += w->no_time;
	for (i = 0; i < w->n_lat && r->n_lat < r->cap_lat; i++)
		r->lat_ns[r->n_lat++] = w->lat_ns[i];
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void bench_result_finish(struct bench_result *r)
{
	const struct bench_sums *t = &r->sum;
	double n = (double)t->frames;
	double sum = 0;
	uint32_t i;

	if (r->status != BENCH_OK || !t->frames) {
		if (r->status == BENCH_OK)
			bench_result_fail(r, BENCH_FAILED, "no frame measured");
		return;
	}
	r->fps = t->wall_ns > 0 ? n * 1e9 / (double)t->wall_ns : 0;
	r->user_us = (double)t->user_us / n;
	r->sys_us = (double)t->sys_us / n;
	r->cpu_us = (double)t->cpu_ns / n / 1e3;
	r->wait_cpu_us = (double)t->wait_cpu_ns / n / 1e3;
	r->busy_us = (double)(t->wall_ns - t->wait_ns) / n / 1e3;
	r->ioctl_us = (double)t->ioctl_ns / n / 1e3;
	r->code_us = r->busy_us - r->ioctl_us;
	r->copied = (double)t->copied / n;
	r->copy_calls = (double)t->copy_calls / n;
	r->allocs = (double)t->allocs / n;
	r->frees = (double)t->frees / n;
	r->polls = (double)t->polls / n;
	r->have_zcap = t->zcap;
	r->zcap_map = (double)t->zcap_map / n;
	r->zcap_vmap = (double)t->zcap_vmap / n;
	r->have_kprobe = t->kprobe;
	r->kp_map = (double)t->kp_map / n;
	r->kp_vmap = (double)t->kp_vmap / n;
	if (t->lib_frames)
		r->lib_copied = (double)t->lib_copied / (double)t->lib_frames;
	if (r->n_lat) {
		for (i = 0; i < r->n_lat; i++)
			sum += (double)r->lat_ns[i];
		qsort(r->lat_ns, r->n_lat, sizeof(*r->lat_ns), cmp_i64);
		r->lat_avg_ms = sum / r->n_lat / 1e6;
		r->lat_med_ms = (double)r->lat_ns[r->n_lat / 2] / 1e6;
		r->lat_max_ms = (double)r->lat_ns[r->n_lat - 1] / 1e6;
	}
}
