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

/*
 * A frame stamped later than now gives no latency (the sink base counts
 * none for it); count it, to say why in the summary.
 */
static void check_stamp(struct zcap_capsink *cs, struct zcap_sample *s)
{
	struct timespec ts;
	int64_t t;

	if (zcap_sample_time(s, &t) < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec < t)
		cs->stamped_after_write++;
}

static int sink_receive(void *user, struct zcap_sample *s,
			struct zcap_sink_frame *fr)
{
	struct zcap_capsink *cs = user;
	int ret = 0;

	if (fr->fmt)
		png_hand_over(&cs->png, s, fr->fmt);
	fr->bytes = 0;
	if (cs->fd >= 0)
		ret = zcap_sample_write(s, fr->fmt, cs->fd, cs->flags, &fr->bytes,
					&fr->copied);
	if (ret == 0)
		check_stamp(cs, s);
	return ret;
}

static const struct zcap_sink_ops sink_ops = {
	.receive = sink_receive,
	/* No destroy: the zcap_capsink is the caller's. */
};

int zcap_capsink_new(struct zcap_capsink *cs, struct zcap_filter **out)
{
	/*
	 * Held: the frame being written, and the one the PNG worker holds.
	 * A write error (a full disk, a closed pipe) ends the capture.
	 */
	const struct zcap_sink_config cfg = {
		.name = "zcap-capture", .held = cs->png.path ? 2 : 1,
		.flags = ZCAP_SINK_END_ON_ERROR | ZCAP_SINK_SKIP_ERRORS,
	};
	int ret;

	ret = zcap_sink_new(&cfg, &sink_ops, cs, &cs->filter);
	if (ret < 0)
		return ret;
	if (cs->png.path)
		ret = png_start(&cs->png);
	if (ret < 0) {
		zcap_filter_destroy(cs->filter);
		cs->filter = NULL;
		return ret;
	}
	*out = cs->filter;
	return 0;
}
