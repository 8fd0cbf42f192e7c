// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Filters: DirectShow's IBaseFilter (CBaseFilter's state machine).
 *
 * State changes are serialised by state_lock, which is held across the
 * filter's pause/run/stop ops but is never taken by a streaming thread:
 * a stop op may join its thread while that thread reads the state,
 * posts events or updates stats, each of which has its own lock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zcap_internal.h"

int zcap_filter_new(const char *name, const struct zcap_filter_ops *ops,
		    void *priv, struct zcap_filter **out)
{
	struct zcap_filter *f;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!name)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->name = strdup(name);
	if (!f->name) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = -pthread_mutex_init(&f->lock, NULL);
	if (ret)
		goto err_name;
	ret = -pthread_mutex_init(&f->state_lock, NULL);
	if (ret)
		goto err_lock;
	ret = -pthread_mutex_init(&f->stats_lock, NULL);
	if (ret)
		goto err_state;
	ret = -pthread_mutex_init(&f->event_lock, NULL);
	if (ret)
		goto err_stats;
	ret = -pthread_mutex_init(&f->log_lock, NULL);
	if (ret)
		goto err_event;
	if (ops)
		f->ops = *ops;
	f->ops_id = ops;
	f->priv = priv;
	atomic_init(&f->state, ZCAP_STATE_STOPPED);
	*out = f;
	return 0;

err_event:
	pthread_mutex_destroy(&f->event_lock);
err_stats:
	pthread_mutex_destroy(&f->stats_lock);
err_state:
	pthread_mutex_destroy(&f->state_lock);
err_lock:
	pthread_mutex_destroy(&f->lock);
err_name:
	free(f->name);
err_free:
	free(f);
	return ret;
}

bool zcap_filter_is(const struct zcap_filter *f,
		    const struct zcap_filter_ops *ops)
{
	return f && ops && f->ops_id == ops;
}

void zcap_filter_destroy(struct zcap_filter *f)
{
	if (!f)
		return;
	zcap_filter_stop(f);
	/* A graph that owned it must not reach it any more. */
	zcap_filter_set_event_handler(f, NULL, NULL);
	if (f->graph)
		zcapi_graph_forget(f->graph, f);
	/* Pins first, while the filter's ops still have their state. */
	for (;;) {
		struct zcap_pin *pin = NULL;

		pthread_mutex_lock(&f->lock);
		if (f->n_pins)
			pin = f->pins[f->n_pins - 1];
		pthread_mutex_unlock(&f->lock);
		if (!pin)
			break;
		/* Takes itself off f->pins. */
		zcap_pin_destroy(pin);
	}
	if (f->ops.destroy)
		f->ops.destroy(f);
	free(f->pins);
	pthread_mutex_destroy(&f->log_lock);
	pthread_mutex_destroy(&f->event_lock);
	pthread_mutex_destroy(&f->stats_lock);
	pthread_mutex_destroy(&f->state_lock);
	pthread_mutex_destroy(&f->lock);
	free(f->name);
	free(f);
}

void *zcap_filter_priv(const struct zcap_filter *f)
{
	return f ? f->priv : NULL;
}

const char *zcap_filter_name(const struct zcap_filter *f)
{
	return f ? f->name : NULL;
}

int zcap_filter_add_pin(struct zcap_filter *f, struct zcap_pin *pin)
{
	struct zcap_pin **pins;
	int ret = 0;

	if (!f || !pin)
		return -EINVAL;
	pthread_mutex_lock(&f->lock);
	/* zcap_pin_new_*() with an owner already added it: nothing to do. */
	for (uint32_t i = 0; i < f->n_pins; i++)
		if (f->pins[i] == pin)
			goto out;
	if (pin->filter && pin->filter != f) {
		ret = -EBUSY;
		goto out;
	}
	if (zcap_filter_state(f) != ZCAP_STATE_STOPPED) {
		ret = ZCAP_E_WRONG_STATE;
		goto out;
	}
	pins = realloc(f->pins, (f->n_pins + 1) * sizeof(*pins));
	if (!pins) {
		ret = -ENOMEM;
		goto out;
	}
	f->pins = pins;
	f->pins[f->n_pins++] = pin;
	pin->filter = f;
out:
	pthread_mutex_unlock(&f->lock);
	return ret;
}

uint32_t zcap_filter_n_pins(const struct zcap_filter *f, enum zcap_pin_dir dir)
{
	uint32_t n = 0;

	if (!f)
		return 0;
	pthread_mutex_lock((pthread_mutex_t *)&f->lock);
	for (uint32_t i = 0; i < f->n_pins; i++)
		n += f->pins[i]->dir == dir;
	pthread_mutex_unlock((pthread_mutex_t *)&f->lock);
	return n;
}

struct zcap_pin *zcap_filter_pin(const struct zcap_filter *f,
				 enum zcap_pin_dir dir, uint32_t index)
{
	struct zcap_pin *pin = NULL;

	if (!f)
		return NULL;
	pthread_mutex_lock((pthread_mutex_t *)&f->lock);
	for (uint32_t i = 0; i < f->n_pins; i++) {
		if (f->pins[i]->dir != dir)
			continue;
		if (!index--) {
			pin = f->pins[i];
			break;
		}
	}
	pthread_mutex_unlock((pthread_mutex_t *)&f->lock);
	return pin;
}

enum zcap_state zcap_filter_state(const struct zcap_filter *f)
{
	if (!f)
		return ZCAP_STATE_STOPPED;
	return (enum zcap_state)atomic_load(&((struct zcap_filter *)f)->state);
}

/*
 * CBaseOutputPin::Active and Inactive: the allocator each output pin
 * decided is committed as its filter leaves STOPPED and decommitted once
 * it is back, by the core, so that no filter commits its own (and none
 * forgets to). Commit and decommit are idempotent: a tee's outputs share
 * their upstream's allocator.
 */
static void pins_inactive(struct zcap_filter *f, uint32_t n)
{
	struct zcap_allocator *a;

	for (uint32_t i = 0; i < n; i++) {
		if (zcap_pin_allocator(zcap_filter_pin(f, ZCAP_PIN_OUTPUT, i), &a))
			continue;
		zcap_allocator_decommit(a);
		zcap_allocator_unref(a);
	}
}

static int pins_active(struct zcap_filter *f)
{
	uint32_t i, n = zcap_filter_n_pins(f, ZCAP_PIN_OUTPUT);
	struct zcap_allocator *a;
	int ret = 0;

	for (i = 0; i < n && !ret; i++) {
		if (zcap_pin_allocator(zcap_filter_pin(f, ZCAP_PIN_OUTPUT, i), &a))
			continue;	/* not connected: nothing decided */
		ret = zcap_allocator_commit(a);
		zcap_filter_log(f, ret ? ZCAP_LOG_ERROR : ZCAP_LOG_DEBUG,
				"commit of the %s allocator: %s",
				zcap_provider_name(zcap_allocator_provider(a)),
				zcap_strerror(ret));
		zcap_allocator_unref(a);
	}
	if (ret)
		pins_inactive(f, i);
	return ret;
}

/* Leaving STOPPED: a new stream, whose end is still to come. */
static void eos_clear(struct zcap_filter *f)
{
	pthread_mutex_lock(&f->lock);
	for (uint32_t i = 0; i < f->n_pins; i++)
		f->pins[i]->eos = false;
	f->eos_posted = false;
	pthread_mutex_unlock(&f->lock);
}

/* Under f->lock: every connected input pin has had end of stream. */
static bool inputs_ended(const struct zcap_filter *f)
{
	bool any = false;

	for (uint32_t i = 0; i < f->n_pins; i++) {
		struct zcap_pin *p = f->pins[i];
		bool connected;

		if (p->dir != ZCAP_PIN_INPUT)
			return false;	/* not a renderer: its outputs carry it on */
		zcapi_pin_lock(p);
		connected = p->peer != NULL;
		zcapi_pin_unlock(p);
		if (connected && !p->eos)
			return false;
		any |= connected;
	}
	return any;
}

void zcapi_filter_input_ended(struct zcap_pin *in)
{
	struct zcap_filter *f = in->filter;
	bool post;

	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	in->eos = true;
	post = !f->eos_posted && inputs_ended(f);
	f->eos_posted |= post;
	pthread_mutex_unlock(&f->lock);
	/* Outside the lock: the graph's handler takes the graph's, then ours. */
	if (post)
		zcap_filter_post_event(f, ZCAP_E_END_OF_STREAM);
}

/* Under state_lock: a failed start must not leave anything half up. */
static int stop_locked(struct zcap_filter *f)
{
	int ret = 0;

	if (atomic_load(&f->state) == ZCAP_STATE_STOPPED)
		return 0;
	if (f->ops.stop)
		ret = f->ops.stop(f);
	/* After the op: its thread may still have been using them. */
	pins_inactive(f, zcap_filter_n_pins(f, ZCAP_PIN_OUTPUT));
	/* "Must not fail halfway": whatever it says, the filter is stopped. */
	atomic_store(&f->state, ZCAP_STATE_STOPPED);
	return ret;
}

static int pause_locked(struct zcap_filter *f)
{
	int ret = 0;

	switch (atomic_load(&f->state)) {
	case ZCAP_STATE_PAUSED:
		return 0;
	case ZCAP_STATE_RUNNING:
		/* No op takes a running filter back to paused. */
		return ZCAP_E_WRONG_STATE;
	default:
		break;
	}
	/* Before the op: a source requests device buffers of its allocator. */
	ret = pins_active(f);
	if (!ret)
		eos_clear(f);
	if (ret)
		return ret;
	/* Marked paused first so that the op's stop on failure runs. */
	atomic_store(&f->state, ZCAP_STATE_PAUSED);
	if (f->ops.pause)
		ret = f->ops.pause(f);
	if (ret)
		stop_locked(f);
	return ret;
}

int zcap_filter_pause(struct zcap_filter *f)
{
	int ret;

	if (!f)
		return -EINVAL;
	pthread_mutex_lock(&f->state_lock);
	ret = pause_locked(f);
	pthread_mutex_unlock(&f->state_lock);
	return ret;
}

int zcap_filter_run(struct zcap_filter *f)
{
	int ret = 0;

	if (!f)
		return -EINVAL;
	pthread_mutex_lock(&f->state_lock);
	if (atomic_load(&f->state) == ZCAP_STATE_RUNNING)
		goto out;
	/* CBaseFilter::Run from stopped pauses first. */
	ret = pause_locked(f);
	if (ret)
		goto out;
	atomic_store(&f->state, ZCAP_STATE_RUNNING);
	if (f->ops.run)
		ret = f->ops.run(f);
	if (ret)
		stop_locked(f);
out:
	pthread_mutex_unlock(&f->state_lock);
	return ret;
}

int zcap_filter_stop(struct zcap_filter *f)
{
	int ret;

	if (!f)
		return -EINVAL;
	pthread_mutex_lock(&f->state_lock);
	ret = stop_locked(f);
	pthread_mutex_unlock(&f->state_lock);
	return ret;
}

int zcap_filter_get_stats(struct zcap_filter *f, struct zcap_filter_stats *out)
{
	if (!f || !out)
		return -EINVAL;
	pthread_mutex_lock(&f->stats_lock);
	*out = f->stats;
	pthread_mutex_unlock(&f->stats_lock);
	return 0;
}

struct zcap_filter_stats *zcap_filter_stats_lock(struct zcap_filter *f)
{
	if (!f)
		return NULL;
	pthread_mutex_lock(&f->stats_lock);
	return &f->stats;
}

void zcap_filter_stats_unlock(struct zcap_filter *f)
{
	if (f)
		pthread_mutex_unlock(&f->stats_lock);
}

void zcap_filter_set_event_handler(struct zcap_filter *f, zcap_event_fn fn,
				   void *data)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->event_lock);
	f->event_fn = fn;
	f->event_data = data;
	pthread_mutex_unlock(&f->event_lock);
}

void zcap_filter_post_event(struct zcap_filter *f, int err)
{
	if (!f)
		return;
	/*
	 * Called under the lock so that a handler being replaced (a graph
	 * letting go of the filter) is never called after it was replaced.
	 */
	pthread_mutex_lock(&f->event_lock);
	if (f->event_fn)
		f->event_fn(f, err, f->event_data);
	pthread_mutex_unlock(&f->event_lock);
}

/* ---------------------------------------------------------------------
 * The log: the filter's own, else its graph's.
 */

int zcap_filter_set_log(struct zcap_filter *f, enum zcap_log_level level,
			zcap_log_fn fn, void *user)
{
	if (!f || level < ZCAP_LOG_NONE || level > ZCAP_LOG_DEBUG)
		return -EINVAL;
	pthread_mutex_lock(&f->log_lock);
	f->log.fn = level == ZCAP_LOG_NONE ? NULL : fn;
	f->log.user = user;
	f->log.level = level;
	pthread_mutex_unlock(&f->log_lock);
	return 0;
}

void zcap_filter_vlog(struct zcap_filter *f, enum zcap_log_level level,
		      const char *fmt, va_list ap)
{
	struct zcapi_log l;
	struct zcap_graph *g;
	char msg[256];

	if (!f || !fmt || level <= ZCAP_LOG_NONE || level > ZCAP_LOG_DEBUG)
		return;
	pthread_mutex_lock(&f->log_lock);
	l = f->log;
	pthread_mutex_unlock(&f->log_lock);
	if (!l.fn) {
		pthread_mutex_lock(&f->lock);
		g = f->graph;
		pthread_mutex_unlock(&f->lock);
		if (g)
			zcapi_graph_log(g, &l);
	}
	/* Filtered before formatting: a debug line costs nothing unwanted. */
	if (!l.fn || level > l.level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	l.fn(l.user, level, f->name, msg);
}

void zcap_filter_log(struct zcap_filter *f, enum zcap_log_level level,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zcap_filter_vlog(f, level, fmt, ap);
	va_end(ap);
}
