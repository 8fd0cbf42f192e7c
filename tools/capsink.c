// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zcap-capture's sink: every frame to the file, the first to a PNG
 * encoded on a worker thread (see capsink.h for why).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "capsink.h"
#include "pngsnap.h"

/* ---- the PNG worker ---------------------------------------------------- */

static struct zcap_sample *png_wait_frame(struct zcap_png_job *j)
{
	struct zcap_sample *s;

	pthread_mutex_lock(&j->lock);
	while (!j->s && !j->quit)
		pthread_cond_wait(&j->cond, &j->lock);
	/* A frame handed over before quit is still encoded. */
	s = j->s;
	j->s = NULL;
	pthread_mutex_unlock(&j->lock);
	return s;
}

static void *png_worker(void *arg)
{
	struct zcap_png_job *j = arg;
	struct zcap_sample *s = png_wait_frame(j);
	char msg[sizeof(j->msg)] = "";
	int err;

	if (!s)
		return NULL;
	if (j->before_encode)
		j->before_encode(j->hook_arg);
	/* fmt is only written before s was handed over. */
	err = zcap_png_write(j->path, s, &j->fmt, msg, sizeof(msg));
	/* The buffer goes back to the driver now. */
	zcap_sample_unref(s);
	pthread_mutex_lock(&j->lock);
	j->err = err;
	memcpy(j->msg, msg, sizeof(msg));
	j->done = true;
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

static int png_start(struct zcap_png_job *j)
{
	int ret;

	ret = -pthread_mutex_init(&j->lock, NULL);
	if (ret < 0)
		return ret;
	ret = -pthread_cond_init(&j->cond, NULL);
	if (ret == 0)
		ret = -pthread_create(&j->thread, NULL, png_worker, j);
	if (ret < 0) {
		pthread_cond_destroy(&j->cond);
		pthread_mutex_destroy(&j->lock);
		return ret;
	}
	j->started = true;
	return 0;
}

/* The first frame to the worker: a reference, no copy, no waiting. */
static void png_hand_over(struct zcap_png_job *j, struct zcap_sample *s,
			  const struct zcap_format *fmt)
{
	if (!j->started)
		return;
	pthread_mutex_lock(&j->lock);
	if (!j->taken) {
		j->fmt = *fmt;
		j->s = zcap_sample_ref(s);
		j->taken = true;
		pthread_cond_signal(&j->cond);
	}
	pthread_mutex_unlock(&j->lock);
}

void zcap_capsink_png_finish(struct zcap_capsink *cs)
{
	struct zcap_png_job *j = &cs->png;

	if (!j->started)
		return;
	pthread_mutex_lock(&j->lock);
	j->quit = true;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	pthread_join(j->thread, NULL);
	j->started = false;
	pthread_cond_destroy(&j->cond);
	pthread_mutex_destroy(&j->lock);
}

/* ---- the sink ------------------------------------------------------------ */

/* The layout of @s: its own, else the connection's (NULL: none). */
static const struct zcap_format *frame_format(struct zcap_pin *pin,
					      struct zcap_sample *s,
					      struct zcap_format *buf)
{
	const struct zcap_format *sf = zcap_sample_format(s);

	if (sf && sf->n_planes)
		return sf;
	return zcap_pin_format(pin, buf) == 0 ? buf : NULL;
}

static void count_latency(struct zcap_capsink *cs, struct zcap_filter_stats *st,
			  struct zcap_sample *s)
{
	struct timespec ts;
	int64_t t, d;

	if (zcap_sample_time(s, &t) < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	d = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec - t;
	if (d < 0) {
		cs->stamped_after_write++;
		return;
	}
	st->latency_ns_sum += (uint64_t)d;
	if ((uint64_t)d > st->latency_ns_max)
		st->latency_ns_max = (uint64_t)d;
	st->latency_samples++;
}

static void count_frame(struct zcap_capsink *cs, struct zcap_sample *s, int ret,
			uint64_t written, uint64_t copied)
{
	struct zcap_filter_stats *st = zcap_filter_stats_lock(cs->filter);

	if (ret == 0) {
		st->frames++;
		st->bytes += written;
		st->bytes_copied += copied;
		if (zcap_sample_flags(s) & ZCAP_SAMPLE_ERROR)
			st->errors++;
		count_latency(cs, st, s);
	} else {
		st->dropped++;
		st->last_error = ret;
	}
	zcap_filter_stats_unlock(cs->filter);
}

static int sink_receive(struct zcap_pin *pin, struct zcap_sample *s)
{
	struct zcap_capsink *cs = zcap_pin_priv(pin);
	struct zcap_format cf;
	const struct zcap_format *fmt = frame_format(pin, s, &cf);
	uint64_t written = 0, copied = 0;
	int ret = 0;

	if (fmt)
		png_hand_over(&cs->png, s, fmt);
	if (cs->fd >= 0)
		ret = zcap_sample_write(s, fmt, cs->fd, cs->flags, &written, &copied);
	count_frame(cs, s, ret, written, copied);
	if (ret < 0)
		zcap_filter_post_event(cs->filter, ret);
	return ret;
}

static int sink_requirements(struct zcap_pin *pin, struct zcap_alloc_requirements *req)
{
	struct zcap_capsink *cs = zcap_pin_priv(pin);

	memset(req, 0, sizeof(*req));
	/* The frame being written, and the one the PNG worker holds. */
	req->held = cs->png.path ? 2 : 1;
	return 0;
}

static const struct zcap_input_pin_ops sink_pin_ops = {
	.get_requirements = sink_requirements,
	.receive = sink_receive,
};

static int sink_nop(struct zcap_filter *f)
{
	(void)f;
	return 0;
}

static void sink_destroy(struct zcap_filter *f)
{
	(void)f;	/* the zcap_capsink is the caller's */
}

static const struct zcap_filter_ops sink_ops = {
	.pause = sink_nop,
	.run = sink_nop,
	.stop = sink_nop,
	.destroy = sink_destroy,
};

int zcap_capsink_new(struct zcap_capsink *cs, struct zcap_filter **out)
{
	int ret;

	ret = zcap_filter_new("zcap-capture", &sink_ops, cs, &cs->filter);
	if (ret < 0)
		return ret;
	ret = zcap_pin_new_input(cs->filter, "in", &sink_pin_ops, cs, &cs->pin);
	if (ret == 0 && cs->png.path)
		ret = png_start(&cs->png);
	if (ret < 0) {
		zcap_filter_destroy(cs->filter);
		cs->filter = NULL;
		return ret;
	}
	*out = cs->filter;
	return 0;
}
