/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Filters: DirectShow's IBaseFilter. A filter owns pins and has a state.
 * Concrete filters: v4l2_source.h, sinks.h.
 */
#ifndef ZCAP_FILTER_H
#define ZCAP_FILTER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <zcap/log.h>
#include <zcap/pin.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zcap_filter;

enum zcap_state {
	ZCAP_STATE_STOPPED,
	ZCAP_STATE_PAUSED,	/* output pins' allocators committed, not streaming */
	ZCAP_STATE_RUNNING,
};

/* What a filter did; every field counts since the filter was created. */
struct zcap_filter_stats {
	uint64_t frames;	/* samples produced (source) or consumed (sink) */
	uint64_t dropped;	/* frames lost: sequence gaps at a source, refusals at a sink */
	uint64_t errors;	/* samples flagged ZCAP_SAMPLE_ERROR */
	uint64_t bytes;		/* payload bytes produced or consumed */
	uint64_t bytes_copied;	/* bytes the CPU copied (0 on the zero-copy path) */
	uint64_t latency_ns_sum;	/* capture time to consumption, summed */
	uint64_t latency_ns_max;
	uint64_t latency_samples;	/* samples that had a capture time */
	uint64_t map_calls;	/* dma-buf CPU mappings made */
	int last_error;		/* the error that ended streaming, or 0 */
	uint32_t reserved;
	char provider[32];	/* allocator provider that served, "" if none */
	char note[128];		/* one line for the user, e.g. why a fallback happened */
};

struct zcap_filter_ops {
	/*
	 * STOPPED -> PAUSED: prepare the device. The core has committed the
	 * allocator each connected output pin decided (CBaseOutputPin::Active)
	 * before this, and decommits it after stop (Inactive).
	 */
	int (*pause)(struct zcap_filter *f);
	/* PAUSED -> RUNNING: start streaming. */
	int (*run)(struct zcap_filter *f);
	/* any -> STOPPED: stop, return every buffer. Must not fail halfway. */
	int (*stop)(struct zcap_filter *f);
	void (*destroy)(struct zcap_filter *f);
};

int zcap_filter_new(const char *name, const struct zcap_filter_ops *ops,
		    void *priv, struct zcap_filter **out);
/* Stops, disconnects and destroys pins, then the filter. NULL is fine. */
void zcap_filter_destroy(struct zcap_filter *f);

void *zcap_filter_priv(const struct zcap_filter *f);
/*
 * Was @f made with the ops table @ops (the very table, by address)? How a
 * library of filters recognises its own before it reads their priv:
 * names are the user's to choose. false for NULL.
 */
bool zcap_filter_is(const struct zcap_filter *f,
		    const struct zcap_filter_ops *ops);
const char *zcap_filter_name(const struct zcap_filter *f);
int zcap_filter_add_pin(struct zcap_filter *f, struct zcap_pin *pin);
uint32_t zcap_filter_n_pins(const struct zcap_filter *f, enum zcap_pin_dir dir);
struct zcap_pin *zcap_filter_pin(const struct zcap_filter *f,
				 enum zcap_pin_dir dir, uint32_t index);

enum zcap_state zcap_filter_state(const struct zcap_filter *f);
int zcap_filter_pause(struct zcap_filter *f);
int zcap_filter_run(struct zcap_filter *f);
int zcap_filter_stop(struct zcap_filter *f);

/* Stats: a snapshot, thread safe. */
int zcap_filter_get_stats(struct zcap_filter *f, struct zcap_filter_stats *out);
/* For filter implementations: the live stats under the filter's lock. */
struct zcap_filter_stats *zcap_filter_stats_lock(struct zcap_filter *f);
void zcap_filter_stats_unlock(struct zcap_filter *f);

/*
 * The filter's own log (log.h): lines at @level and above (ZCAP_LOG_ERROR
 * is the most important) go to @fn. It takes precedence over the log of
 * the graph the filter is in, and is how a filter outside any graph logs.
 * @fn NULL or ZCAP_LOG_NONE: none of its own (the graph's, if any).
 * -EINVAL on a bad level.
 */
int zcap_filter_set_log(struct zcap_filter *f, enum zcap_log_level level,
			zcap_log_fn fn, void *user);
/*
 * Log one line about @f (printf-style), for filter implementations: to the
 * filter's log, else its graph's, else nowhere. Thread safe.
 */
void zcap_filter_log(struct zcap_filter *f, enum zcap_log_level level,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void zcap_filter_vlog(struct zcap_filter *f, enum zcap_log_level level,
		      const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/*
 * Events from a filter's streaming thread to whoever runs the graph:
 * end of stream (err 0 or ZCAP_E_END_OF_STREAM) or a fatal error.
 *
 * The handler runs on that streaming thread (a sink's events on its
 * source's), under the filter's event lock: it must return promptly and
 * must not stop, pause, run or destroy the filter, its graph or a filter
 * upstream of it, since stopping them joins the very thread it runs on.
 * Hand the event to another thread instead, as the graph does (its
 * handler records the event for zcap_graph_wait()). DirectShow asks the
 * same of a streaming thread that notifies the filter graph manager.
 */
typedef void (*zcap_event_fn)(struct zcap_filter *f, int err, void *data);
void zcap_filter_set_event_handler(struct zcap_filter *f, zcap_event_fn fn,
				   void *data);
void zcap_filter_post_event(struct zcap_filter *f, int err);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_FILTER_H */
