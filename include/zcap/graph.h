/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A filter graph: owns filters, connects them, runs them and waits for the
 * end (DirectShow's filter graph manager and IMediaControl/IMediaEvent).
 */
#ifndef ZCAP_GRAPH_H
#define ZCAP_GRAPH_H

#include <zcap/filter.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zcap_graph;

int zcap_graph_new(struct zcap_graph **out);
/* Stops the graph and destroys every filter in it. NULL is fine. */
void zcap_graph_destroy(struct zcap_graph *g);

/* The graph takes ownership of @f (destroyed with the graph). */
int zcap_graph_add(struct zcap_graph *g, struct zcap_filter *f);
int zcap_graph_connect(struct zcap_graph *g, struct zcap_pin *out,
		       struct zcap_pin *in, const struct zcap_format *fmt);

/*
 * Reconnect (IFilterGraph2::ReconnectEx): break @pin's connection and
 * connect the same two pins again with @fmt (NULL: agreed anew), deciding
 * the allocator again, e.g. after a filter's output format changed. Both
 * filters must be in @g (-EINVAL) and stopped (ZCAP_E_WRONG_STATE);
 * ZCAP_E_NOT_CONNECTED when @pin has no peer. When the new connection
 * cannot be made, the old one is made again with its format and the
 * error is returned.
 */
int zcap_graph_reconnect(struct zcap_graph *g, struct zcap_pin *pin,
			 const struct zcap_format *fmt);

/*
 * Pause every filter (sinks first), then run them (sinks first).
 * ZCAP_E_NO_SOURCE, with no filter started, when no filter of the graph
 * is a source (has no input pins).
 */
int zcap_graph_run(struct zcap_graph *g);
/* Stop every filter (sources first); every buffer is back after it. */
int zcap_graph_stop(struct zcap_graph *g);
/*
 * Wait until the stream reached its end in every sink (DirectShow's
 * EC_COMPLETE: each filter with no output pins and a connected input had
 * end of stream on every connected input, after every frame before it;
 * in a graph without such a filter, every source posted end of stream),
 * a filter posted an error, or timeout_ms passed (< 0: forever). Returns
 * 0 at the end of the stream, the error, or ZCAP_E_TIMEOUT;
 * ZCAP_E_NO_SOURCE at once when the last zcap_graph_run() found no source
 * (or the graph never ran).
 */
int zcap_graph_wait(struct zcap_graph *g, int timeout_ms);

/*
 * The graph's log (log.h): every filter of it without a log of its own
 * (zcap_filter_set_log) logs lines at @level and above to @fn, connecting
 * its pins included. @fn NULL or ZCAP_LOG_NONE: no log. -EINVAL on a bad
 * graph or level.
 */
int zcap_graph_set_log(struct zcap_graph *g, enum zcap_log_level level,
		       zcap_log_fn fn, void *user);

uint32_t zcap_graph_n_filters(const struct zcap_graph *g);
struct zcap_filter *zcap_graph_filter(const struct zcap_graph *g, uint32_t i);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_GRAPH_H */
