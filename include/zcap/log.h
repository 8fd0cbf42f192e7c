/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The log: every decision libzcap makes (allocator proposed and chosen,
 * properties asked and granted, provider fallbacks and why, REQBUFS
 * grants, drops, errors), as lines with a level, to a callback the
 * application sets per graph (zcap_graph_set_log) or per filter
 * (zcap_filter_set_log). The library keeps no global state and prints
 * nothing itself: with no callback set, a line goes nowhere (warnings and
 * errors also stay in the filter's note, zcap_filter_stats.note).
 */
#ifndef ZCAP_LOG_H
#define ZCAP_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

enum zcap_log_level {
	ZCAP_LOG_NONE = 0,	/* as a threshold: nothing */
	ZCAP_LOG_ERROR,		/* streaming or a call failed */
	ZCAP_LOG_WARN,		/* a fallback, a drop, something refused */
	ZCAP_LOG_INFO,		/* a decision: allocator, grants, provider */
	ZCAP_LOG_DEBUG,		/* what each decision was made from */
};

/*
 * One line: @filter is the name of the filter it is about, @msg has no
 * trailing newline. Called from whichever thread decided: the one
 * connecting pins, pausing, running or stopping a filter or a graph, a
 * filter's streaming thread, or the one pumping a caller-driven source.
 * The callback may query libzcap (statistics, a filter's info, an
 * allocator's counts): no lock those take is held. It must not change
 * any filter's or graph's state (pause, run, stop, destroy, pump), for
 * the thread logging may be in the middle of such a change, as
 * DirectShow's filters must not from their own notifications.
 */
typedef void (*zcap_log_fn)(void *user, enum zcap_log_level level,
			    const char *filter, const char *msg);

/* "error", "warn", "info", "debug", "none"; "?" for anything else. */
const char *zcap_log_level_name(enum zcap_log_level level);
/*
 * For tools reading ZCAP_DEBUG: a name above or a digit 0-4 into *@out;
 * -EINVAL for anything else (and *@out untouched).
 */
int zcap_log_level_parse(const char *s, enum zcap_log_level *out);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_LOG_H */
