// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Helpers libzcap's filters share (see filter_util.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include <zcap/consumers.h>
#include <zcap/error.h>

#include "filter_util.h"

void zcapi_filter_vnote(struct zcap_filter *f, const char *fmt, va_list ap)
{
	struct zcap_filter_stats *st;
	va_list log_ap;

	if (!f)
		return;
	/* The note keeps the last one; the log keeps them all. */
	va_copy(log_ap, ap);
	zcap_filter_vlog(f, ZCAP_LOG_WARN, fmt, log_ap);
	va_end(log_ap);
	st = zcap_filter_stats_lock(f);
	vsnprintf(st->note, sizeof(st->note), fmt, ap);
	zcap_filter_stats_unlock(f);
}

void zcapi_filter_note(struct zcap_filter *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zcapi_filter_vnote(f, fmt, ap);
	va_end(ap);
}

void zcapi_filter_error(struct zcap_filter *f, int err, const char *who,
			const char *what, bool post)
{
	struct zcap_filter_stats *st = zcap_filter_stats_lock(f);

	st->errors++;
	if (!st->last_error)
		st->last_error = err;
	snprintf(st->note, sizeof(st->note), "%s: %s: %s", who, what,
		 zcap_strerror(err));
	zcap_filter_stats_unlock(f);
	zcap_filter_log(f, ZCAP_LOG_ERROR, "%s: %s: %s", who, what,
			zcap_strerror(err));
	if (post)
		zcap_filter_post_event(f, err);
}

void zcapi_filter_set_provider(struct zcap_filter *f,
			       const struct zcap_allocator *a)
{
	struct zcap_filter_stats *st = zcap_filter_stats_lock(f);

	if (!st)
		return;
	snprintf(st->provider, sizeof(st->provider), "%s",
		 zcap_provider_name(zcap_allocator_provider(a)));
	zcap_filter_stats_unlock(f);
}

void zcapi_stats_latency(struct zcap_filter_stats *st,
			 const struct zcap_sample *s)
{
	struct timespec ts;
	int64_t t, now;

	if (zcap_sample_time(s, &t) || t < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	if (now < t)
		return;
	st->latency_ns_sum += (uint64_t)(now - t);
	if ((uint64_t)(now - t) > st->latency_ns_max)
		st->latency_ns_max = (uint64_t)(now - t);
	st->latency_samples++;
}

void zcapi_stats_frame(struct zcap_filter *f, const struct zcap_sample *s,
		       int err, uint64_t bytes, uint64_t copied)
{
	struct zcap_filter_stats *st = zcap_filter_stats_lock(f);

	if (err) {
		st->dropped++;
	} else {
		st->frames++;
		st->bytes += bytes;
		st->bytes_copied += copied;
		zcapi_stats_latency(st, s);
	}
	zcap_filter_stats_unlock(f);
}

/* Where block @mem's data starts under @fmt: its lowest plane's offset, or 0. */
static uint64_t fmt_mem_start(const struct zcap_format *fmt, uint32_t mem)
{
	uint64_t start = UINT64_MAX;

	for (uint32_t p = 0; p < fmt->n_planes && p < ZCAP_MAX_PLANES; p++)
		if (fmt->planes[p].mem == mem && fmt->planes[p].offset < start)
			start = fmt->planes[p].offset;
	return start == UINT64_MAX ? 0 : start;
}

uint64_t zcapi_sample_payload(const struct zcap_sample *s,
			      const struct zcap_format *fmt, uint32_t mem,
			      uint64_t *off)
{
	uint64_t used = zcap_sample_bytesused(s, mem);
	uint64_t start = fmt ? fmt_mem_start(fmt, mem) : 0;

	if (start > used)
		start = used;
	*off = start;
	return used - start;
}

uint64_t zcapi_sample_bytes(const struct zcap_sample *s)
{
	const struct zcap_format *fmt = zcap_sample_format(s);
	uint64_t bytes = 0, off;

	for (uint32_t m = 0; m < zcap_sample_n_mem(s); m++)
		bytes += zcapi_sample_payload(s, fmt, m, &off);
	return bytes;
}

void zcapi_allocator_set(struct zcap_allocator **slot,
			 struct zcap_allocator *a)
{
	struct zcap_allocator *old = *slot;

	*slot = zcap_allocator_ref(a);
	zcap_allocator_unref(old);
}
