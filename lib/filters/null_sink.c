// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Null sink: counts frames. With hold_ms it keeps each sample that long
 * before releasing it, like a consumer that is slow to give buffers back
 * (an encoder, a display holding the scanout buffer): the source must not
 * requeue a held buffer, and must have enough of them to keep capturing.
 * Samples are held without blocking receive(), so the source's thread
 * keeps running and the test sees real holding, not a stalled producer.
 * The pin, its requirements and the statistics are the sink base's
 * (sink.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zcap/zcap.h>

#include "core/filter_util.h"
#include "core/zcap_internal.h"


#define MAX_HELD 32

struct held {
	struct zcap_sample *s;
	int64_t release_ns;
};

struct null_sink {
	uint32_t hold_ms;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool thread_started;
	bool quit;
	struct held *q;			/* ring of held samples, oldest first */
	uint32_t q_cap, q_head, q_len;
};

/*
 * Release the oldest held sample. Called with ns->lock held; drops it for
 * the unref, which may wake the source.
 */
static void release_oldest(struct null_sink *ns)
{
	struct zcap_sample *s = ns->q[ns->q_head].s;

	ns->q_head = (ns->q_head + 1) % ns->q_cap;
	ns->q_len--;
	pthread_mutex_unlock(&ns->lock);
	zcap_sample_unref(s);
	pthread_mutex_lock(&ns->lock);
}

static void *release_thread(void *arg)
{
	struct null_sink *ns = arg;
	struct timespec ts;
	int64_t t;

	pthread_mutex_lock(&ns->lock);
	while (!ns->quit) {
		if (!ns->q_len) {
			pthread_cond_wait(&ns->cond, &ns->lock);
			continue;
		}
		t = ns->q[ns->q_head].release_ns;
		if (zcapi_now_ns() < t) {
			ts.tv_sec = t / 1000000000LL;
			ts.tv_nsec = t % 1000000000LL;
			pthread_cond_timedwait(&ns->cond, &ns->lock, &ts);
			continue;
		}
		release_oldest(ns);
	}
	pthread_mutex_unlock(&ns->lock);
	return NULL;
}

/* Release every held sample now (stop, disconnect, destroy). */
static void release_all(struct null_sink *ns)
{
	pthread_mutex_lock(&ns->lock);
	while (ns->q_len)
		release_oldest(ns);
	pthread_mutex_unlock(&ns->lock);
}

static int hold(struct null_sink *ns, struct zcap_sample *s)
{
	struct held *q;
	uint32_t i, cap;

	pthread_mutex_lock(&ns->lock);
	if (ns->q_len == ns->q_cap) {
		cap = ns->q_cap ? ns->q_cap * 2 : 8;
		q = calloc(cap, sizeof(*q));
		if (!q) {
			pthread_mutex_unlock(&ns->lock);
			return -ENOMEM;
		}
		for (i = 0; i < ns->q_len; i++)
			q[i] = ns->q[(ns->q_head + i) % ns->q_cap];
		free(ns->q);
		ns->q = q;
		ns->q_cap = cap;
		ns->q_head = 0;
	}
	i = (ns->q_head + ns->q_len) % ns->q_cap;
	ns->q[i].s = zcap_sample_ref(s);
	ns->q[i].release_ns = zcapi_now_ns() + (int64_t)ns->hold_ms * 1000000LL;
	ns->q_len++;
	pthread_cond_signal(&ns->cond);
	pthread_mutex_unlock(&ns->lock);
	return 0;
}

static int ns_receive(void *user, struct zcap_sample *s,
		      struct zcap_sink_frame *fr)
{
	struct null_sink *ns = user;

	(void)fr;	/* the base counts the payload */
	return ns->hold_ms ? hold(ns, s) : 0;
}

static void ns_release(void *user)
{
	release_all(user);
}

static void ns_free(void *user)
{
	struct null_sink *ns = user;

	if (ns->thread_started) {
		pthread_mutex_lock(&ns->lock);
		ns->quit = true;
		pthread_cond_signal(&ns->cond);
		pthread_mutex_unlock(&ns->lock);
		pthread_join(ns->thread, NULL);
	}
	release_all(ns);
	pthread_cond_destroy(&ns->cond);
	pthread_mutex_destroy(&ns->lock);
	free(ns->q);
	free(ns);
}

static const struct zcap_sink_ops ns_ops = {
	.receive = ns_receive,
	.release = ns_release,
	.destroy = ns_free,
};

int zcap_null_sink_new(const struct zcap_null_sink_config *cfg,
		       struct zcap_filter **out)
{
	struct zcap_sink_config sc = { .name = "null-sink" };
	struct null_sink *ns;
	pthread_condattr_t ca;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (cfg && !ZCAPI_RESERVED_ZERO(cfg->reserved))
		return -EINVAL;
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	ns->hold_ms = cfg ? cfg->hold_ms : 0;
	/*
	 * The caller says how many it holds, or a small default (the frame
	 * rate, which would say how many hold_ms keeps, is not asked).
	 */
	sc.held = cfg && cfg->held ? cfg->held : ns->hold_ms ? 3 : 1;
	if (sc.held > MAX_HELD)
		sc.held = MAX_HELD;
	pthread_mutex_init(&ns->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	ret = -pthread_cond_init(&ns->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (ret < 0) {
		pthread_mutex_destroy(&ns->lock);
		free(ns);
		return ret;
	}
	if (ns->hold_ms) {
		ret = -pthread_create(&ns->thread, NULL, release_thread, ns);
		if (ret < 0) {
			ns->thread_started = false;
			ns_free(ns);
			return ret;
		}
		ns->thread_started = true;
	}
	ret = zcap_sink_new(&sc, &ns_ops, ns, out);
	if (ret < 0)
		ns_free(ns);
	return ret;
}
