// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tee: one input, N outputs, every output delivering the very samples the
 * input received (no copy; consumers are notified read-only). Each output
 * has a queue and a thread, so a consumer that blocks in receive does not
 * hold up the frames the others were given. Every consumer gets every
 * frame the tee received: a queue holds its samples, so a consumer slower
 * than the camera for longer than the pool has room makes the source run
 * out of buffers and drop frames, for all consumers alike. A sample's
 * buffer goes back to its allocator, and so to the capture driver, only
 * when the last consumer dropped its reference.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zcap/consumers.h>
#include <zcap/error.h>

#include "core/filter_util.h"
#include "core/zcap_internal.h"

#define TEE_MAX_OUTPUTS		16
/* What an output not yet connected is assumed to hold (see get_requirements). */
#define TEE_DEFAULT_HELD	2
/*
 * At stop, what is queued still goes to the consumers, which are stopped
 * after the tee: without bound once the stream ended (every frame queued
 * before end of stream was accepted and should arrive), briefly when the
 * stream is cut in the middle.
 */
#define TEE_STOP_EOS_MS		30000
#define TEE_STOP_CUT_MS		1000

struct tee;

struct tee_out {
	struct tee *tee;
	struct zcap_pin *pin;
	pthread_t thread;
	bool thread_started;
	bool quit;
	pthread_cond_t cond;
	/* Ring of queued samples; NULL entries mark end of stream. */
	struct zcap_sample **q;
	uint32_t q_cap, q_head, q_len;
	bool busy;		/* a sample is being delivered */
	bool eos_queued;	/* end of stream waits in the queue */
};

struct tee {
	struct zcap_filter *f;
	struct zcap_pin *in;
	uint32_t n_out;
	struct tee_out out[TEE_MAX_OUTPUTS];
	struct zcap_allocator *alloc;	/* upstream's, passed through */
	pthread_mutex_t lock;		/* every output's queue */
	pthread_cond_t idle;		/* a queue became empty */
	bool running;
	uint32_t fail_allocs;		/* tests: fail this many allocations */
};

void zcapi_tee_fail_allocs(struct zcap_filter *f, uint32_t n)
{
	struct tee *t = zcap_filter_priv(f);

	pthread_mutex_lock(&t->lock);
	t->fail_allocs = n;
	pthread_mutex_unlock(&t->lock);
}

/* calloc, or a failure injected by zcapi_tee_fail_allocs(). Under t->lock. */
static void *tee_calloc(struct tee *t, size_t n, size_t size)
{
	if (t->fail_allocs) {
		t->fail_allocs--;
		return NULL;
	}
	return calloc(n, size);
}

/* A consumer refused a sample. */
static void tee_count_drop(struct tee *t)
{
	struct zcap_filter_stats *st = zcap_filter_stats_lock(t->f);

	st->dropped++;
	zcap_filter_stats_unlock(t->f);
}

/* Called with t->lock held. NULL queues end of stream. */
static int tee_push(struct tee_out *o, struct zcap_sample *s)
{
	struct zcap_sample **q;
	uint32_t i, cap;

	if (o->q_len == o->q_cap) {
		cap = o->q_cap ? o->q_cap * 2 : 8;
		q = tee_calloc(o->tee, cap, sizeof(*q));
		if (!q)
			return -ENOMEM;
		for (i = 0; i < o->q_len; i++)
			q[i] = o->q[(o->q_head + i) % o->q_cap];
		free(o->q);
		o->q = q;
		o->q_cap = cap;
		o->q_head = 0;
	}
	o->q[(o->q_head + o->q_len) % o->q_cap] = s ? zcap_sample_ref(s) : NULL;
	o->q_len++;
	if (!s)
		o->eos_queued = true;
	pthread_cond_signal(&o->cond);
	return 0;
}

static void *tee_out_thread(void *arg)
{
	struct tee_out *o = arg;
	struct tee *t = o->tee;
	struct zcap_sample *s;
	int r;

	pthread_mutex_lock(&t->lock);
	while (!o->quit) {
		if (!o->q_len) {
			pthread_cond_broadcast(&t->idle);
			pthread_cond_wait(&o->cond, &t->lock);
			continue;
		}
		s = o->q[o->q_head];
		o->q_head = (o->q_head + 1) % o->q_cap;
		o->q_len--;
		o->busy = true;
		pthread_mutex_unlock(&t->lock);
		if (s) {
			r = zcap_pin_deliver(o->pin, s);
			if (r && r != ZCAP_E_NOT_CONNECTED)
				tee_count_drop(t);
			zcap_sample_unref(s);
		} else if (zcap_pin_peer(o->pin)) {
			zcap_pin_deliver_end_of_stream(o->pin);
		}
		pthread_mutex_lock(&t->lock);
		if (!s)
			o->eos_queued = false;
		o->busy = false;
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/*
 * Release what an output still has queued (stop, its thread joined).
 * Called with t->lock held, dropped around each unref. One at a time, with
 * no array to allocate: running out of memory here must not keep samples.
 */
static void tee_flush(struct tee *t, struct tee_out *o)
{
	struct zcap_sample *s;

	while (o->q_len) {
		s = o->q[o->q_head];
		o->q_head = (o->q_head + 1) % o->q_cap;
		o->q_len--;
		if (!s)
			continue;
		pthread_mutex_unlock(&t->lock);
		zcap_sample_unref(s);
		pthread_mutex_lock(&t->lock);
	}
}

/* ---- input pin ------------------------------------------------------ */

static int tee_accept_format(struct zcap_pin *pin, const struct zcap_format *fmt)
{
	struct tee *t = zcap_pin_priv(pin);
	struct zcap_format cur;
	uint32_t i;

	/* Outputs already connected took one format: a reconnect keeps it. */
	for (i = 0; i < t->n_out; i++) {
		if (!zcap_pin_peer(t->out[i].pin))
			continue;
		if (zcap_pin_format(t->out[i].pin, &cur))
			continue;
		if (cur.fourcc != fmt->fourcc || cur.width != fmt->width ||
		    cur.height != fmt->height)
			return ZCAP_E_TYPE_NOT_ACCEPTED;
	}
	return 0;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/*
 * What all consumers need together: the largest sizes and alignments, the
 * largest minimum count, and the sum of what each holds, since they hold
 * buffers at the same time. An output not connected yet counts as a
 * consumer holding TEE_DEFAULT_HELD.
 */
static int tee_get_requirements(struct zcap_pin *pin,
				struct zcap_alloc_requirements *req)
{
	struct tee *t = zcap_pin_priv(pin);
	struct zcap_alloc_requirements r;
	struct zcap_pin *peer;
	uint32_t i, m;

	memset(req, 0, sizeof(*req));
	for (i = 0; i < t->n_out; i++) {
		peer = zcap_pin_peer(t->out[i].pin);
		if (!peer) {
			req->held += TEE_DEFAULT_HELD;
			continue;
		}
		if (zcap_pin_get_allocator_requirements(peer, &r)) {
			req->held += TEE_DEFAULT_HELD;
			continue;
		}
		req->props.count = max_u32(req->props.count, r.props.count);
		req->props.align = max_u32(req->props.align, r.props.align);
		req->props.prefix = max_u32(req->props.prefix, r.props.prefix);
		req->props.n_mem = max_u32(req->props.n_mem, r.props.n_mem);
		req->props.flags |= r.props.flags;
		for (m = 0; m < ZCAP_MAX_PLANES; m++)
			if (r.props.size[m] > req->props.size[m])
				req->props.size[m] = r.props.size[m];
		req->held += r.held;
		/* Alignments are powers of two: the largest meets them all. */
		req->layout.stride_align = max_u32(req->layout.stride_align,
						   r.layout.stride_align);
		req->layout.height_align = max_u32(req->layout.height_align,
						   r.layout.height_align);
		req->layout.offset_align = max_u32(req->layout.offset_align,
						   r.layout.offset_align);
	}
	return 0;
}

/*
 * An output and its consumer, if connected, move to upstream's allocator
 * @a (NULL: none; the consumer keeps what it was told until told again).
 */
static int tee_out_follow(struct tee_out *o, struct zcap_allocator *a)
{
	struct zcap_pin *peer = zcap_pin_peer(o->pin);
	int r;

	if (!peer)
		return 0;
	if (a) {
		r = zcap_pin_notify_allocator(peer, a, true);
		if (r)
			return r;
	}
	zcapi_pin_pass_allocator(o->pin, a);
	return 0;
}

/*
 * Consumers connected before a reconnect move to the new allocator, and
 * so do the outputs' decided ones: those are what pausing the tee
 * commits, and the old allocator committed would be a second pool that
 * nothing fills. All or nothing: when a consumer refuses it, the outputs
 * that already moved go back.
 */
static int tee_notify_allocator(struct zcap_pin *pin, struct zcap_allocator *a,
				bool read_only)
{
	struct tee *t = zcap_pin_priv(pin);
	uint32_t i, moved;
	int r = 0;

	(void)read_only;
	for (moved = 0; moved < t->n_out && !r; moved++)
		r = tee_out_follow(&t->out[moved], a);
	if (!r) {
		zcapi_allocator_set(&t->alloc, a);
		return 0;
	}
	for (i = 0; i + 1 < moved; i++)
		tee_out_follow(&t->out[i], t->alloc);
	return r;
}

static int tee_receive(struct zcap_pin *pin, struct zcap_sample *s)
{
	struct tee *t = zcap_pin_priv(pin);
	uint64_t bytes = zcapi_sample_bytes(s);
	uint32_t i, n = 0, failed = 0;
	int r = 0, err = 0;

	pthread_mutex_lock(&t->lock);
	if (!t->running) {
		pthread_mutex_unlock(&t->lock);
		return ZCAP_E_WRONG_STATE;
	}
	/*
	 * A queue that cannot grow drops the frame for its branch only (it
	 * took no reference); the other consumers still get it.
	 */
	for (i = 0; i < t->n_out; i++) {
		if (!zcap_pin_peer(t->out[i].pin))
			continue;
		r = tee_push(&t->out[i], s);
		if (r) {
			err = r;
			failed++;
			continue;
		}
		n++;
	}
	pthread_mutex_unlock(&t->lock);
	{
		struct zcap_filter_stats *st = zcap_filter_stats_lock(t->f);

		st->dropped += failed;
		st->frames++;
		st->bytes += bytes * n;
		zcap_filter_stats_unlock(t->f);
	}
	return n ? 0 : err;
}

static int tee_receive_can_block(struct zcap_pin *pin)
{
	(void)pin;
	return 0;
}

static int tee_end_of_stream(struct zcap_pin *pin)
{
	struct tee *t = zcap_pin_priv(pin);
	uint32_t i;
	int r = 0;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->n_out && !r; i++)
		if (zcap_pin_peer(t->out[i].pin))
			r = tee_push(&t->out[i], NULL);
	pthread_mutex_unlock(&t->lock);
	return r;
}

/*
 * Without upstream there is no allocator to pass on, nor to commit. The
 * filter's pins, not t->out[]: destroying the filter frees its outputs
 * before its input disconnects.
 */
static void tee_in_disconnect(struct zcap_pin *pin)
{
	struct tee *t = zcap_pin_priv(pin);
	uint32_t i, n = zcap_filter_n_pins(t->f, ZCAP_PIN_OUTPUT);

	for (i = 0; i < n; i++)
		zcapi_pin_pass_allocator(zcap_filter_pin(t->f, ZCAP_PIN_OUTPUT, i),
					 NULL);
	zcapi_allocator_set(&t->alloc, NULL);
}

static const struct zcap_input_pin_ops tee_in_ops = {
	.accept_format = tee_accept_format,
	.get_requirements = tee_get_requirements,
	.notify_allocator = tee_notify_allocator,
	.receive = tee_receive,
	.receive_can_block = tee_receive_can_block,
	.end_of_stream = tee_end_of_stream,
	.disconnect = tee_in_disconnect,
};

/* ---- output pins ---------------------------------------------------- */

static int tee_enum_format(struct zcap_pin *pin, uint32_t index,
			   struct zcap_format *fmt)
{
	struct tee_out *o = zcap_pin_priv(pin);

	if (index > 0)
		return -ENOENT;
	return zcap_pin_format(o->tee->in, fmt);
}

/*
 * Only the upstream allocator can serve: the tee passes its samples on.
 * The consumer's needs are merged in as far as they go before the source
 * set its buffers up; connect the input again after the outputs (as
 * zcap-capture does) and the source sizes its pool for every consumer.
 */
static int tee_decide_buffer_size(struct zcap_pin *pin, struct zcap_allocator *a,
				  const struct zcap_alloc_requirements *req,
				  const struct zcap_format *fmt,
				  struct zcap_alloc_props *props)
{
	struct tee_out *o = zcap_pin_priv(pin);
	uint32_t m;
	int r;

	(void)fmt;
	if (!o->tee->alloc || a != o->tee->alloc)
		return ZCAP_E_PROPS_REJECTED;
	r = zcap_allocator_get_properties(a, props);
	if (r)
		return r;
	for (m = 0; m < ZCAP_MAX_PLANES; m++)
		if (req->props.size[m] > props->size[m])
			return ZCAP_E_PROPS_REJECTED;
	if ((req->props.n_mem ? req->props.n_mem : 1) >
	    (props->n_mem ? props->n_mem : 1))
		return ZCAP_E_PROPS_REJECTED;
	return 0;
}

static int tee_own_allocator(struct zcap_pin *pin, struct zcap_allocator **out)
{
	struct tee_out *o = zcap_pin_priv(pin);

	*out = NULL;
	if (!o->tee->alloc)
		return ZCAP_E_NO_ALLOCATOR;
	*out = zcap_allocator_ref(o->tee->alloc);
	return 0;
}

static const struct zcap_output_pin_ops tee_out_ops = {
	.enum_format = tee_enum_format,
	.decide_buffer_size = tee_decide_buffer_size,
	.own_allocator = tee_own_allocator,
};

/* ---- filter --------------------------------------------------------- */

static void tee_stop_threads(struct tee *t)
{
	struct timespec until;
	uint32_t i;
	bool pending, ended = false;

	pthread_mutex_lock(&t->lock);
	t->running = false;
	for (i = 0; i < t->n_out; i++)
		ended |= t->out[i].eos_queued;
	/* Monotonic: a wall-clock step must not stretch or cut the drain. */
	zcapi_deadline(&until, ended ? TEE_STOP_EOS_MS : TEE_STOP_CUT_MS);
	for (;;) {
		pending = false;
		for (i = 0; i < t->n_out; i++)
			if (t->out[i].thread_started &&
			    (t->out[i].q_len || t->out[i].busy))
				pending = true;
		if (!pending ||
		    pthread_cond_timedwait(&t->idle, &t->lock, &until) == ETIMEDOUT)
			break;
	}
	for (i = 0; i < t->n_out; i++) {
		t->out[i].quit = true;
		pthread_cond_signal(&t->out[i].cond);
	}
	pthread_mutex_unlock(&t->lock);
	for (i = 0; i < t->n_out; i++) {
		if (t->out[i].thread_started)
			pthread_join(t->out[i].thread, NULL);
		t->out[i].thread_started = false;
	}
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->n_out; i++) {
		tee_flush(t, &t->out[i]);
		t->out[i].quit = false;
		t->out[i].eos_queued = false;
	}
	pthread_mutex_unlock(&t->lock);
}

static int tee_pause(struct zcap_filter *f)
{
	(void)f;
	return 0;
}

static int tee_run(struct zcap_filter *f)
{
	struct tee *t = zcap_filter_priv(f);
	uint32_t i;
	int r;

	for (i = 0; i < t->n_out; i++) {
		if (t->out[i].thread_started)
			continue;
		r = -pthread_create(&t->out[i].thread, NULL, tee_out_thread,
				    &t->out[i]);
		if (r) {
			tee_stop_threads(t);
			return r;
		}
		t->out[i].thread_started = true;
	}
	pthread_mutex_lock(&t->lock);
	t->running = true;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

static int tee_stop(struct zcap_filter *f)
{
	tee_stop_threads(zcap_filter_priv(f));
	return 0;
}

static void tee_destroy(struct zcap_filter *f)
{
	struct tee *t = zcap_filter_priv(f);
	uint32_t i;

	tee_stop_threads(t);
	for (i = 0; i < t->n_out; i++) {
		free(t->out[i].q);
		pthread_cond_destroy(&t->out[i].cond);
	}
	if (t->alloc)
		zcap_allocator_unref(t->alloc);
	pthread_cond_destroy(&t->idle);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static const struct zcap_filter_ops tee_ops = {
	.pause = tee_pause,
	.run = tee_run,
	.stop = tee_stop,
	.destroy = tee_destroy,
};

int zcap_tee_new(uint32_t n_outputs, struct zcap_filter **out)
{
	struct tee *t;
	char name[16];
	uint32_t i;
	int r;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!n_outputs || n_outputs > TEE_MAX_OUTPUTS)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	r = -pthread_mutex_init(&t->lock, NULL);
	if (r)
		goto err_free;
	r = zcapi_cond_init(&t->idle);
	if (r)
		goto err_lock;
	for (i = 0; i < n_outputs; i++) {
		t->out[i].tee = t;
		r = zcapi_cond_init(&t->out[i].cond);
		if (r)
			goto err_cond;
		t->n_out = i + 1;
	}
	r = zcap_filter_new("tee", &tee_ops, t, &t->f);
	if (r)
		goto err_cond;
	/* From here the filter owns t: zcap_filter_destroy() frees it. */
	r = zcap_pin_new_input(t->f, "in", &tee_in_ops, t, &t->in);
	if (r)
		goto err_filter;
	for (i = 0; i < t->n_out; i++) {
		snprintf(name, sizeof(name), "out%u", i);
		r = zcap_pin_new_output(t->f, name, &tee_out_ops, &t->out[i],
					&t->out[i].pin);
		if (r)
			goto err_filter;
		t->out[i].pin->read_only = true;
	}
	*out = t->f;
	return 0;

err_filter:
	zcap_filter_destroy(t->f);
	return r;
err_cond:
	for (i = 0; i < t->n_out; i++)
		pthread_cond_destroy(&t->out[i].cond);
	pthread_cond_destroy(&t->idle);
err_lock:
	pthread_mutex_destroy(&t->lock);
err_free:
	free(t);
	return r;
}
