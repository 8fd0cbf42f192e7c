// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The filter graph: DirectShow's filter graph manager, IMediaControl
 * (run, stop) and IMediaEvent (wait for EC_COMPLETE or an error).
 *
 * Filters post events from their streaming threads; the graph collects
 * them under its own lock and wakes zcap_graph_wait() through a condition
 * variable. All state lives in the graph object.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zcap_internal.h"

struct graph_entry {
	struct zcap_filter *f;
	bool source;		/* no input pins */
	bool renderer;		/* no output pins, an input connected */
	bool ended;		/* posted end of stream since the last run */
};

struct zcap_graph {
	pthread_mutex_t lock;	/* filters, events */
	pthread_cond_t cond;	/* an event arrived */
	struct graph_entry *e;
	uint32_t n;
	int error;		/* first error posted since the last run */
	pthread_mutex_t log_lock;	/* log: taken from any filter's thread */
	struct zcapi_log log;
};

int zcap_graph_new(struct zcap_graph **out)
{
	struct zcap_graph *g;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	ret = -pthread_mutex_init(&g->lock, NULL);
	if (ret)
		goto err_free;
	ret = zcapi_cond_init(&g->cond);
	if (ret)
		goto err_lock;
	ret = -pthread_mutex_init(&g->log_lock, NULL);
	if (ret)
		goto err_cond;
	*out = g;
	return 0;

err_cond:
	pthread_cond_destroy(&g->cond);
err_lock:
	pthread_mutex_destroy(&g->lock);
err_free:
	free(g);
	return ret;
}

static void on_event(struct zcap_filter *f, int err, void *data)
{
	struct zcap_graph *g = data;

	pthread_mutex_lock(&g->lock);
	for (uint32_t i = 0; i < g->n; i++) {
		if (g->e[i].f != f)
			continue;
		if (!err || err == ZCAP_E_END_OF_STREAM)
			g->e[i].ended = true;
		else if (!g->error)
			g->error = err;
	}
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

int zcap_graph_add(struct zcap_graph *g, struct zcap_filter *f)
{
	struct graph_entry *e;
	int ret = 0;

	if (!g || !f)
		return -EINVAL;
	pthread_mutex_lock(&f->lock);
	if (f->graph) {
		ret = f->graph == g ? -EEXIST : -EBUSY;
		pthread_mutex_unlock(&f->lock);
		return ret;
	}
	f->graph = g;
	pthread_mutex_unlock(&f->lock);

	pthread_mutex_lock(&g->lock);
	e = realloc(g->e, (g->n + 1) * sizeof(*e));
	if (!e) {
		pthread_mutex_unlock(&g->lock);
		pthread_mutex_lock(&f->lock);
		f->graph = NULL;
		pthread_mutex_unlock(&f->lock);
		return -ENOMEM;
	}
	g->e = e;
	memset(&g->e[g->n], 0, sizeof(*e));
	g->e[g->n++].f = f;
	pthread_mutex_unlock(&g->lock);
	zcap_filter_set_event_handler(f, on_event, g);
	return 0;
}

static bool in_graph(struct zcap_graph *g, const struct zcap_filter *f)
{
	bool found = false;

	pthread_mutex_lock(&g->lock);
	for (uint32_t i = 0; i < g->n && !found; i++)
		found = g->e[i].f == f;
	pthread_mutex_unlock(&g->lock);
	return found;
}

int zcap_graph_connect(struct zcap_graph *g, struct zcap_pin *out,
		       struct zcap_pin *in, const struct zcap_format *fmt)
{
	if (!g || !out || !in)
		return -EINVAL;
	if (!in_graph(g, zcap_pin_filter(out)) || !in_graph(g, zcap_pin_filter(in)))
		return -EINVAL;
	return zcap_pin_connect(out, in, fmt);
}

int zcap_graph_reconnect(struct zcap_graph *g, struct zcap_pin *pin,
			 const struct zcap_format *fmt)
{
	struct zcap_pin *peer, *out, *in;
	struct zcap_format old;
	int ret;

	if (!g || !pin)
		return -EINVAL;
	peer = zcap_pin_peer(pin);
	if (!peer)
		return ZCAP_E_NOT_CONNECTED;
	if (!in_graph(g, zcap_pin_filter(pin)) || !in_graph(g, zcap_pin_filter(peer)))
		return -EINVAL;
	out = zcap_pin_direction(pin) == ZCAP_PIN_OUTPUT ? pin : peer;
	in = out == pin ? peer : pin;
	ret = zcap_pin_format(out, &old);
	if (!ret)
		ret = zcap_pin_disconnect(out);	/* stopped filters only */
	if (ret)
		return ret;
	ret = zcap_pin_connect(out, in, fmt);
	if (!ret) {
		zcap_filter_log(zcap_pin_filter(out), ZCAP_LOG_INFO, "%s reconnected to %s",
				zcap_pin_name(out), zcap_pin_name(in));
		return 0;
	}
	/* As it was, so that a refused change leaves a working graph. */
	zcap_filter_log(zcap_pin_filter(out), ZCAP_LOG_WARN,
			"reconnecting %s: %s; the previous connection is restored",
			zcap_pin_name(out), zcap_strerror(ret));
	if (zcap_pin_connect(out, in, &old))
		zcap_filter_log(zcap_pin_filter(out), ZCAP_LOG_ERROR,
				"%s: the previous connection could not be restored",
				zcap_pin_name(out));
	return ret;
}

/*
 * Order the filters downstream first: a filter comes after every filter
 * its output pins feed. Sinks start before their sources, so nothing is
 * delivered to a filter that is not ready; the reverse order stops
 * sources first. Filters are few: a simple quadratic pass will do.
 */
static int order_downstream_first(struct zcap_graph *g,
				  struct zcap_filter ***out, uint32_t *n_out)
{
	struct zcap_filter **order;
	bool *placed;
	uint32_t n = g->n, done = 0;

	order = calloc(n ? n : 1, sizeof(*order));
	placed = calloc(n ? n : 1, sizeof(*placed));
	if (!order || !placed) {
		free(order);
		free(placed);
		return -ENOMEM;
	}
	while (done < n) {
		bool progress = false;

		for (uint32_t i = 0; i < n; i++) {
			struct zcap_filter *f = g->e[i].f;
			uint32_t n_out_pins = zcap_filter_n_pins(f, ZCAP_PIN_OUTPUT);
			bool ready = true;

			if (placed[i])
				continue;
			for (uint32_t p = 0; p < n_out_pins && ready; p++) {
				struct zcap_pin *peer =
					zcap_pin_peer(zcap_filter_pin(f, ZCAP_PIN_OUTPUT, p));
				struct zcap_filter *down = zcap_pin_filter(peer);

				for (uint32_t j = 0; j < n && down; j++)
					if (g->e[j].f == down && !placed[j])
						ready = false;
			}
			if (!ready)
				continue;
			placed[i] = true;
			order[done++] = f;
			progress = true;
		}
		/* A cycle: place the rest as they come rather than never. */
		if (!progress) {
			for (uint32_t i = 0; i < n; i++)
				if (!placed[i]) {
					placed[i] = true;
					order[done++] = g->e[i].f;
				}
		}
	}
	free(placed);
	*out = order;
	*n_out = n;
	return 0;
}

int zcap_graph_stop(struct zcap_graph *g)
{
	struct zcap_filter **order;
	uint32_t n;
	int ret, err = 0;

	if (!g)
		return -EINVAL;
	pthread_mutex_lock(&g->lock);
	ret = order_downstream_first(g, &order, &n);
	pthread_mutex_unlock(&g->lock);
	if (ret)
		return ret;
	/* Sources first: nothing new flows while their consumers stop. */
	for (uint32_t i = n; i-- > 0;) {
		ret = zcap_filter_stop(order[i]);
		if (ret && !err)
			err = ret;
	}
	free(order);
	return err;
}

/* Did the last run find a filter without input pins? */
static bool graph_has_source(struct zcap_graph *g)
{
	bool found = false;

	pthread_mutex_lock(&g->lock);
	for (uint32_t i = 0; i < g->n && !found; i++)
		found = g->e[i].source;
	pthread_mutex_unlock(&g->lock);
	return found;
}

/* A filter with no output pins and a connected input: a sink of the graph. */
static bool is_renderer(struct zcap_filter *f)
{
	uint32_t i, n = zcap_filter_n_pins(f, ZCAP_PIN_INPUT);

	if (zcap_filter_n_pins(f, ZCAP_PIN_OUTPUT))
		return false;
	for (i = 0; i < n; i++)
		if (zcap_pin_peer(zcap_filter_pin(f, ZCAP_PIN_INPUT, i)))
			return true;
	return false;
}

/* Under g->lock: is every filter of a graph that has some running? */
static bool graph_running(struct zcap_graph *g)
{
	for (uint32_t i = 0; i < g->n; i++)
		if (zcap_filter_state(g->e[i].f) != ZCAP_STATE_RUNNING)
			return false;
	return g->n > 0;
}

int zcap_graph_run(struct zcap_graph *g)
{
	struct zcap_filter **order;
	uint32_t n, i;
	int ret;

	if (!g)
		return -EINVAL;
	pthread_mutex_lock(&g->lock);
	/*
	 * IMediaControl::Run on a running graph: S_OK, and nothing changes.
	 * Above all, events not yet waited for (an error, an end) are kept.
	 */
	if (graph_running(g)) {
		pthread_mutex_unlock(&g->lock);
		return 0;
	}
	ret = order_downstream_first(g, &order, &n);
	/* A new run waits for new events. */
	for (i = 0; i < g->n; i++) {
		g->e[i].ended = false;
		g->e[i].source = !zcap_filter_n_pins(g->e[i].f, ZCAP_PIN_INPUT);
		g->e[i].renderer = is_renderer(g->e[i].f);
	}
	g->error = 0;
	pthread_mutex_unlock(&g->lock);
	if (ret)
		return ret;
	/*
	 * Without a source nothing is ever produced nor ended: a missing
	 * camera must fail here, not "succeed" with an empty stream.
	 */
	if (!graph_has_source(g)) {
		free(order);
		return ZCAP_E_NO_SOURCE;
	}
	/* A filter added to a running graph: pause and run it, leave the rest. */
	for (i = 0; i < n && !ret; i++)
		if (zcap_filter_state(order[i]) != ZCAP_STATE_RUNNING)
			ret = zcap_filter_pause(order[i]);
	for (i = 0; i < n && !ret; i++)
		ret = zcap_filter_run(order[i]);
	free(order);
	if (ret)
		zcap_graph_stop(g);
	return ret;
}

/*
 * Under g->lock: 0 when every renderer ended (DirectShow's EC_COMPLETE:
 * the last frame reached every sink), or in a graph without one every
 * source; the error; or 1 to go on waiting. No source at all is never an
 * end of stream: no frame came.
 */
static int graph_done(struct zcap_graph *g)
{
	bool any_src = false, any_rend = false, srcs_ended = true;

	if (g->error)
		return g->error;
	for (uint32_t i = 0; i < g->n; i++) {
		if (g->e[i].renderer) {
			if (!g->e[i].ended)
				return 1;
			any_rend = true;
		}
		if (g->e[i].source) {
			srcs_ended &= g->e[i].ended;
			any_src = true;
		}
	}
	if (!any_src)
		return ZCAP_E_NO_SOURCE;
	return any_rend || srcs_ended ? 0 : 1;
}

int zcap_graph_wait(struct zcap_graph *g, int timeout_ms)
{
	struct timespec deadline;
	int ret, w = 0;

	if (!g)
		return -EINVAL;
	if (timeout_ms > 0)
		zcapi_deadline(&deadline, timeout_ms);
	pthread_mutex_lock(&g->lock);
	for (;;) {
		ret = graph_done(g);
		if (ret != 1)
			break;
		if (!timeout_ms || w == ETIMEDOUT) {
			ret = ZCAP_E_TIMEOUT;
			break;
		}
		if (timeout_ms < 0)
			w = pthread_cond_wait(&g->cond, &g->lock);
		else
			w = pthread_cond_timedwait(&g->cond, &g->lock, &deadline);
		if (w && w != ETIMEDOUT) {
			ret = -w;
			break;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return ret;
}

uint32_t zcap_graph_n_filters(const struct zcap_graph *g)
{
	uint32_t n;

	if (!g)
		return 0;
	pthread_mutex_lock((pthread_mutex_t *)&g->lock);
	n = g->n;
	pthread_mutex_unlock((pthread_mutex_t *)&g->lock);
	return n;
}

struct zcap_filter *zcap_graph_filter(const struct zcap_graph *g, uint32_t i)
{
	struct zcap_filter *f = NULL;

	if (!g)
		return NULL;
	pthread_mutex_lock((pthread_mutex_t *)&g->lock);
	if (i < g->n)
		f = g->e[i].f;
	pthread_mutex_unlock((pthread_mutex_t *)&g->lock);
	return f;
}

void zcapi_graph_forget(struct zcap_graph *g, struct zcap_filter *f)
{
	pthread_mutex_lock(&g->lock);
	for (uint32_t i = 0; i < g->n; i++) {
		if (g->e[i].f != f)
			continue;
		memmove(&g->e[i], &g->e[i + 1], (g->n - i - 1) * sizeof(*g->e));
		g->n--;
		break;
	}
	pthread_mutex_unlock(&g->lock);
}

int zcap_graph_set_log(struct zcap_graph *g, enum zcap_log_level level,
		       zcap_log_fn fn, void *user)
{
	if (!g || level < ZCAP_LOG_NONE || level > ZCAP_LOG_DEBUG)
		return -EINVAL;
	pthread_mutex_lock(&g->log_lock);
	g->log.fn = level == ZCAP_LOG_NONE ? NULL : fn;
	g->log.user = user;
	g->log.level = level;
	pthread_mutex_unlock(&g->log_lock);
	return 0;
}

void zcapi_graph_log(struct zcap_graph *g, struct zcapi_log *out)
{
	pthread_mutex_lock(&g->log_lock);
	*out = g->log;
	pthread_mutex_unlock(&g->log_lock);
}

void zcap_graph_destroy(struct zcap_graph *g)
{
	if (!g)
		return;
	zcap_graph_stop(g);
	/* Filters take themselves off the graph as they go. */
	for (;;) {
		struct zcap_filter *f = NULL;

		pthread_mutex_lock(&g->lock);
		if (g->n)
			f = g->e[g->n - 1].f;
		pthread_mutex_unlock(&g->lock);
		if (!f)
			break;
		zcap_filter_destroy(f);
	}
	free(g->e);
	pthread_mutex_destroy(&g->log_lock);
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	free(g);
}
