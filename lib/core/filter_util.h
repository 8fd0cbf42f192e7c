/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers libzcap's filters share (sources, sinks, the tee, the encoder):
 * statistics, notes and the allocator a pin holds. Internal to libzcap.
 */
#ifndef ZCAP_LIB_FILTER_UTIL_H
#define ZCAP_LIB_FILTER_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zcap/allocator.h>
#include <zcap/filter.h>
#include <zcap/sample.h>

/*
 * The reserved words of a public config are all 0. A caller built against
 * a newer libzcap may set a field this one does not know: that must fail
 * (-EINVAL), not be ignored.
 */
static inline bool zcapi_reserved_zero(const uint32_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (w[i])
			return false;
	return true;
}

#define ZCAPI_RESERVED_ZERO(words) \
	zcapi_reserved_zero((words), sizeof(words) / sizeof((words)[0]))

/*
 * Set the filter's note (printf-style) and log it as a warning; nothing
 * while @f is NULL.
 */
void zcapi_filter_note(struct zcap_filter *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void zcapi_filter_vnote(struct zcap_filter *f, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * Count error @err: errors, the first last_error, and the note
 * "@who: @what: <message>", also logged as an error. @post also ends the graph's wait for it
 * (zcap_filter_post_event).
 */
void zcapi_filter_error(struct zcap_filter *f, int err, const char *who,
			const char *what, bool post);

/* The provider behind @a, in the filter's statistics. */
void zcapi_filter_set_provider(struct zcap_filter *f,
			       const struct zcap_allocator *a);

/*
 * Add @s's capture-to-now latency to @st (held by zcap_filter_stats_lock),
 * when it has a capture time that is not in the future. A negative time
 * precedes the clock itself: no latency to count.
 */
void zcapi_stats_latency(struct zcap_filter_stats *st,
			 const struct zcap_sample *s);

/*
 * Count @s in the filter's statistics: a frame of @bytes (@copied of them
 * by the CPU) with its latency when @err is 0, else a drop.
 */
void zcapi_stats_frame(struct zcap_filter *f, const struct zcap_sample *s,
		       int err, uint64_t bytes, uint64_t copied);

/*
 * The data of block @mem of @s: *@off gets where it starts (the lowest
 * offset of @fmt's planes in that block: a driver's data offset; 0 without
 * a plane there), the return value how many bytes follow up to the bytes
 * used (V4L2's bytesused, which counts the data offset too). A bitstream's
 * frame is exactly this.
 */
uint64_t zcapi_sample_payload(const struct zcap_sample *s,
			      const struct zcap_format *fmt, uint32_t mem,
			      uint64_t *off);

/* The payload across @s's memory blocks, as laid out by its own format. */
uint64_t zcapi_sample_bytes(const struct zcap_sample *s);

/* Hold @a (may be NULL) in *@slot instead of what it held. */
void zcapi_allocator_set(struct zcap_allocator **slot,
			 struct zcap_allocator *a);

#endif /* ZCAP_LIB_FILTER_UTIL_H */
