// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A caller-driven V4L2 source (ZCAP_V4L2_SOURCE_CALLER_THREAD): the
 * caller's thread takes the streaming loop's turns (v4l2_stream.c), so a
 * frame goes from DQBUF to the consumer in one thread, and, released
 * there, back to the driver (the allocator's recycler) in the same one:
 * GStreamer's v4l2src works this way, and a hand-over between threads
 * per frame (a futex wake and two context switches) costs more than the
 * rest of the frame's path.
 *
 * One pump at a time (pump_lock, which stop takes too around STREAMOFF:
 * a pump that comes after finds the source stopped);
 * the stop eventfd doubles as the interrupt, since a stop is one.
 */
#include <errno.h>

#include "core/zcap_internal.h"
#include "v4l2_priv.h"

static int64_t now_ms(void)
{
	return zcapi_now_ns() / 1000000;
}

/* Turns until a frame went downstream, @timeout_ms passed, or it ended. */
static int pump_locked(struct v4l2_src *src, int timeout_ms)
{
	int64_t until = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	uint64_t before = src->delivered;
	int ret, left = timeout_ms;

	if (!src->streaming)
		return ZCAP_E_WRONG_STATE;
	if (src->ended)
		return src->ended;
	for (;;) {
		ret = zcapi_v4l2_stream_turn(src, left);
		if (ret == ZCAPI_V4L2_STOP)
			return -EINTR;
		if (ret) {
			zcapi_v4l2_stream_end(src, ret);
			src->ended = ret == 1 ? ZCAP_E_END_OF_STREAM : ret;
			/* The last frame first; the end at the next call. */
			return src->delivered != before ? 1 : src->ended;
		}
		if (src->delivered != before)
			return 1;
		if (timeout_ms >= 0) {
			int64_t rest = until - now_ms();

			if (rest <= 0)
				return 0;
			left = (int)rest;
		}
	}
}

int zcap_v4l2_source_pump(struct zcap_filter *f, int timeout_ms)
{
	struct v4l2_src *src = zcapi_v4l2_src_of(f);
	int ret;

	if (!src || !(src->cfg.flags & ZCAP_V4L2_SOURCE_CALLER_THREAD))
		return -EINVAL;
	pthread_mutex_lock(&src->pump_lock);
	ret = pump_locked(src, timeout_ms);
	pthread_mutex_unlock(&src->pump_lock);
	return ret;
}

int zcap_v4l2_source_interrupt(struct zcap_filter *f, bool on)
{
	struct v4l2_src *src = zcapi_v4l2_src_of(f);

	if (!src || !(src->cfg.flags & ZCAP_V4L2_SOURCE_CALLER_THREAD))
		return -EINVAL;
	zcapi_v4l2_stop_signal(src, on);
	return 0;
}
