// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The sink base (zcap_sink_new(), sinks.h): one input pin whose samples
 * go to a callback, as DirectShow's CBaseRenderer is the one base of its
 * renderers. What every consumer repeated lives here once: the pin, its
 * requirements, counting each sample in the statistics, and the states,
 * which a sink does not need (it holds nothing a stop must wait for
 * beyond what release gives back).
 *
 * The V4L2 output sink and the DRM sink are not made of it, and not only
 * because their layers may not use this one: they refuse formats
 * (accept_format), act on the allocator chosen (notify_allocator), do
 * work in pause and run (REQBUFS and STREAMON; the KMS output), and keep
 * statistics of their own: a failure is an error with its note, a device
 * only behind is a drop but no failure (the base counts every failure as
 * a drop, and nothing else). The output sink's pin operations are the
 * mem2mem encoder's too (v4l2_consumer.h). None of that is a sink
 * callback's business.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zcap/zcap.h>

#include "core/filter_util.h"

struct sink {
	struct zcap_sink_ops ops;
	void *user;
	uint32_t held;
	uint32_t flags;
	struct zcap_layout_constraints layout;
};

/* The layout of @s: its own, else the connection's (NULL: none). */
static const struct zcap_format *frame_format(struct zcap_pin *pin,
					      struct zcap_sample *s,
					      struct zcap_format *buf)
{
	const struct zcap_format *sf = zcap_sample_format(s);

	if (sf && sf->n_planes)
		return sf;
	if (zcap_pin_format(pin, buf) == 0 && buf->n_planes)
		return buf;
	return NULL;
}

static void count(struct zcap_filter *f, struct zcap_sample *s, int ret,
		  const struct zcap_sink_frame *fr)
{
	struct zcap_filter_stats *st = zcap_filter_stats_lock(f);

	if (ret == 0) {
		st->frames++;
		st->bytes += fr->bytes;
		st->bytes_copied += fr->copied;
		if (zcap_sample_flags(s) & ZCAP_SAMPLE_ERROR)
			st->errors++;
		zcapi_stats_latency(st, s);
	} else {
		st->dropped++;
		st->last_error = ret;
	}
	zcap_filter_stats_unlock(f);
}

/* ZCAP_SINK_SKIP_ERRORS: a bad frame is counted, never recorded. */
static void skip_error(struct zcap_filter *f, struct zcap_sample *s)
{
	struct zcap_filter_stats *st = zcap_filter_stats_lock(f);

	st->errors++;
	zcap_filter_stats_unlock(f);
	zcap_filter_log(f, ZCAP_LOG_INFO,
			"sample %llu skipped: the device flagged it bad",
			(unsigned long long)zcap_sample_sequence(s));
}

static int sink_receive(struct zcap_pin *pin, struct zcap_sample *s)
{
	struct sink *k = zcap_pin_priv(pin);
	struct zcap_filter *f = zcap_pin_filter(pin);
	struct zcap_sink_frame fr = { 0 };
	struct zcap_format cf;
	int ret;

	if ((k->flags & ZCAP_SINK_SKIP_ERRORS) &&
	    (zcap_sample_flags(s) & ZCAP_SAMPLE_ERROR)) {
		skip_error(f, s);
		return 0;
	}
	fr.fmt = frame_format(pin, s, &cf);
	fr.bytes = zcapi_sample_bytes(s);
	ret = k->ops.receive(k->user, s, &fr);
	if (ret > 0)
		ret = 0;
	count(f, s, ret, &fr);
	if (ret < 0) {
		zcap_filter_log(f, ZCAP_LOG_WARN, "sample %llu dropped: %s",
				(unsigned long long)zcap_sample_sequence(s),
				zcap_strerror(ret));
		if (k->flags & ZCAP_SINK_END_ON_ERROR)
			zcap_filter_post_event(f, ret);
	}
	return ret;
}

static int sink_requirements(struct zcap_pin *pin,
			     struct zcap_alloc_requirements *req)
{
	struct sink *k = zcap_pin_priv(pin);

	memset(req, 0, sizeof(*req));
	req->held = k->held;
	req->layout = k->layout;
	return 0;
}

static void sink_release(struct sink *k)
{
	if (k->ops.release)
		k->ops.release(k->user);
}

static void sink_disconnect(struct zcap_pin *pin)
{
	sink_release(zcap_pin_priv(pin));
}

static int sink_propose(struct zcap_pin *pin, struct zcap_allocator **out)
{
	struct sink *k = zcap_pin_priv(pin);

	*out = NULL;
	if (!k->ops.propose_allocator)
		return ZCAP_E_NO_ALLOCATOR;	/* the producer's own wins */
	return k->ops.propose_allocator(k->user, out);
}

static int sink_eos(struct zcap_pin *pin)
{
	struct sink *k = zcap_pin_priv(pin);

	return k->ops.end_of_stream ? k->ops.end_of_stream(k->user) : 0;
}

static const struct zcap_input_pin_ops sink_pin_ops = {
	.propose_allocator = sink_propose,
	.get_requirements = sink_requirements,
	.receive = sink_receive,
	.end_of_stream = sink_eos,
	.disconnect = sink_disconnect,
};

static int sink_nop(struct zcap_filter *f)
{
	(void)f;
	return 0;
}

static int sink_stop(struct zcap_filter *f)
{
	sink_release(zcap_filter_priv(f));
	return 0;
}

static void sink_destroy(struct zcap_filter *f)
{
	struct sink *k = zcap_filter_priv(f);

	if (!k)
		return;
	sink_release(k);
	if (k->ops.destroy)
		k->ops.destroy(k->user);
	free(k);
}

static const struct zcap_filter_ops sink_ops = {
	.pause = sink_nop,
	.run = sink_nop,
	.stop = sink_stop,
	.destroy = sink_destroy,
};

static bool config_ok(const struct zcap_sink_config *cfg)
{
	return !cfg->layout.reserved && !(cfg->flags & ~ZCAP_SINK_FLAGS_ALL);
}

int zcap_sink_new(const struct zcap_sink_config *cfg,
		  const struct zcap_sink_ops *ops, void *user,
		  struct zcap_filter **out)
{
	struct zcap_filter *f;
	struct zcap_pin *pin;
	struct sink *k;
	int ret;

	if (out)
		*out = NULL;
	if (!cfg || !ops || !ops->receive || !out || !config_ok(cfg))
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->ops = *ops;
	k->user = user;
	k->held = cfg->held ? cfg->held : 1;
	k->flags = cfg->flags;
	k->layout = cfg->layout;
	ret = zcap_filter_new(cfg->name ? cfg->name : "sink", &sink_ops, k, &f);
	if (ret < 0) {
		free(k);
		return ret;
	}
	ret = zcap_pin_new_input(f, "in", &sink_pin_ops, k, &pin);
	if (ret < 0) {
		/* @user is still the caller's: destroy must not free it. */
		k->ops.destroy = NULL;
		k->ops.release = NULL;
		zcap_filter_destroy(f);
		return ret;
	}
	*out = f;
	return 0;
}

void *zcap_sink_user(const struct zcap_filter *f)
{
	const struct sink *k;

	if (!zcap_filter_is(f, &sink_ops))
		return NULL;
	k = zcap_filter_priv(f);
	return k->user;
}
