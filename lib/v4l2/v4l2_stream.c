// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The V4L2 source's streaming thread.
 *
 * DMABUF mode: each buffer of the allocator always goes back to the same
 * V4L2 index with the same dma-buf fds (the queue's cache, queue.h), so
 * vb2 finds the dma-buf it already attached and keeps its mapping
 * (Documentation/users.md, one dma-buf per index).
 * A buffer goes back to the driver only once every holder released its
 * sample (Documentation/users.md, requeue under a reader). The holder that
 * releases it last queues it, in its own thread (recycle()), as
 * GStreamer's v4l2 pool does: waking this thread for every frame's return
 * would cost two syscalls and a context switch per frame. Only a buffer
 * that comes back to an empty queue goes through the allocator's free
 * list and wakes this thread, which then restarts the frame clock.
 *
 * MMAP mode: the driver's buffers stay queued; each captured frame is
 * copied into a free sample and the driver's buffer requeued at once. The
 * copied bytes are counted, so "zero copy" is a measured claim.
 *
 * The thread waits in poll() on the device, the allocator (a buffer came
 * back) and a stop eventfd, and never blocks in an ioctl: the device is
 * opened O_NONBLOCK, so an unplug shows as POLLERR/ENODEV rather than a
 * DQBUF that never returns (Documentation/users.md, unplug while
 * streaming).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/zcap_internal.h"
#include "v4l2_events.h"
#include "v4l2_priv.h"

static int device_error(int err)
{
	/*
	 * The device is gone (unplug): say so in our own words. A queue the
	 * driver flagged as broken (vb2_queue_error) stays -EIO, which is not
	 * a disconnect.
	 */
	if (err == -ENODEV || err == -ENXIO)
		return ZCAP_E_DISCONNECTED;
	return err;
}

/*
 * Buffer ioctl @what failed with @err, which ends the stream: note it,
 * return the stream's error. A queue the driver flagged as broken fails
 * QBUF and DQBUF alike with EIO, and which of the two the source calls
 * first is a race: both say the same.
 */
static int buffer_ioctl_failed(struct v4l2_src *src, const char *what, int err)
{
	if (err == -EIO)
		zcapi_v4l2_note(src, "the driver reported a fatal streaming error (%s: EIO)",
				what);
	else
		zcapi_v4l2_note(src, "%s failed: %s", what, zcap_strerror(err));
	return device_error(err);
}

/*
 * DMABUF: queue every buffer whose sample is free again; the queue puts
 * each dma-buf back at its own index.
 */
static int queue_free(struct v4l2_src *src)
{
	int ret = zcapi_v4l2q_fill(&src->q, src->alloc);

	if (ret < 0 && ret != ZCAP_E_NOT_COMMITTED)
		return buffer_ioctl_failed(src, "VIDIOC_QBUF(DMABUF)", ret);
	return ret;
}

/* The buffer's capture time, when the driver stamps it on CLOCK_MONOTONIC. */
static bool driver_time(const struct zcapi_v4l2q_done *b, int64_t *t)
{
	if ((b->flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) !=
	    V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
		return false;
	*t = (int64_t)b->timestamp.tv_sec * 1000000000LL +
	     (int64_t)b->timestamp.tv_usec * 1000LL;
	return true;
}

/*
 * When the frame clock restarts: at the driver's stamp where it has one,
 * as a clock read can be a syscall (under TCG it is). Not at a stamp that
 * is no capture time: zero, or any on a buffer flagged ERROR, which
 * drivers give back unfilled, stamped at their last use or never. A clock
 * restarted at 0 called the next wait with no frame a stall.
 */
static int64_t frame_clock(const struct zcapi_v4l2q_done *b)
{
	int64_t t;

	if (!(b->flags & V4L2_BUF_FLAG_ERROR) && driver_time(b, &t) && t > 0)
		return t;
	return zcapi_now_ns();
}

/*
 * The bytes used of each block of @s, and its layout: the stream's, with
 * the data offsets the driver gave this frame. The driver may start the
 * data past the start of the buffer (vivid does, on purpose); the offset
 * travels with the sample (Documentation/users.md, lost offsets and
 * strides). Returns the payload.
 */
static uint64_t fill_layout(struct v4l2_src *src, struct zcap_sample *s,
			    const struct zcapi_v4l2q_done *b)
{
	uint32_t doff[ZCAP_MAX_PLANES] = { 0 }, n_mem = src->fmt.n_mem, m;
	bool same = src->fmt_checked;
	uint64_t payload = 0;
	struct zcap_format sf;

	for (m = 0; m < n_mem; m++) {
		uint32_t used = b->bytesused[m];

		doff[m] = b->data_offset[m] > used ? used : b->data_offset[m];
		same &= doff[m] == src->checked_doff[m];
		zcap_sample_set_bytesused(s, m, used);
		payload += used - doff[m];
	}
	/*
	 * The offsets are the same frame after frame: the layout made of
	 * them is built and validated once, not per frame.
	 */
	if (same) {
		zcapi_sample_set_format_tagged(s, &src->checked_fmt, src->fmt_tag);
		return payload;
	}
	sf = src->sample_fmt;
	for (m = 0; m < n_mem; m++)
		if (doff[m])
			zcapi_fmt_add_data_offset(&sf, m, doff[m]);
	if (!zcap_sample_set_format(s, &sf)) {
		src->checked_fmt = sf;
		memcpy(src->checked_doff, doff, sizeof(doff));
		src->fmt_tag = zcapi_allocator_fmt_tag(src->alloc);
		src->fmt_checked = true;
	}
	return payload;
}

static void fill_sample(struct v4l2_src *src, struct zcap_sample *s,
			const struct zcapi_v4l2q_done *b, uint64_t *payload)
{
	uint32_t flags = 0, seq = b->sequence;
	int64_t t;

	*payload = fill_layout(src, s, b);

	if (!driver_time(b, &t)) {
		/* A copied or unknown clock says nothing about capture time here. */
		t = zcapi_now_ns();
		if (!src->warned_clock) {
			src->warned_clock = true;
			zcapi_v4l2_note(src, "driver timestamps are not CLOCK_MONOTONIC; using dequeue time");
		}
	}
	zcap_sample_set_time(s, t);
	zcap_sample_set_sequence(s, seq);

	if (src->have_seq && seq != src->last_seq + 1) {
		uint32_t lost = seq - src->last_seq - 1;

		/* A backwards jump (driver restart) loses nothing we can count. */
		if (lost < (1u << 31)) {
			struct zcap_filter_stats *st = zcap_filter_stats_lock(src->filter);

			st->dropped += lost;
			zcap_filter_stats_unlock(src->filter);
			zcap_filter_log(src->filter, ZCAP_LOG_WARN,
					"sequence %u after %u: %u frame(s) dropped by the driver",
					seq, src->last_seq, lost);
		}
		flags |= ZCAP_SAMPLE_DISCONTINUITY;
	}
	if (src->pending_discont) {
		flags |= ZCAP_SAMPLE_DISCONTINUITY;
		src->pending_discont = false;
	}
	src->have_seq = true;
	src->last_seq = seq;
	if (b->flags & V4L2_BUF_FLAG_ERROR)
		flags |= ZCAP_SAMPLE_ERROR;
	if (b->flags & V4L2_BUF_FLAG_KEYFRAME || !(b->flags &
	    (V4L2_BUF_FLAG_PFRAME | V4L2_BUF_FLAG_BFRAME)))
		flags |= ZCAP_SAMPLE_SYNC_POINT;
	flags |= ZCAP_SAMPLE_TIME_VALID;
	if (src->cfg.max_frames && src->delivered + 1 >= src->cfg.max_frames)
		flags |= ZCAP_SAMPLE_END_OF_STREAM;
	zcap_sample_set_flags(s, flags);
}

/* Copy the frame of the dequeued MMAP buffer @b into @s. */
static int copy_frame(struct v4l2_src *src, struct zcap_sample *s,
		      const struct zcapi_v4l2q_done *b, uint64_t *copied)
{
	uint32_t m;
	int ret;

	*copied = 0;
	ret = zcap_sample_cpu_begin(s, ZCAP_ACCESS_WRITE);
	if (ret < 0)
		return ret;
	for (m = 0; m < src->fmt.n_mem; m++) {
		uint64_t used = b->bytesused[m];
		struct zcap_mem mem;
		void *dst = zcap_sample_data(s, m);

		ret = zcap_sample_mem(s, m, &mem);
		if (ret < 0 || !dst) {
			ret = ret < 0 ? ret : -EFAULT;
			break;
		}
		if (used > b->length[m])
			used = b->length[m];
		if (used > mem.length)
			used = mem.length;
		memcpy(dst, b->map[m], used);
		*copied += used;
	}
	zcap_sample_cpu_end(s);
	return ret < 0 ? ret : 0;
}

/* Deliver @s downstream; returns 1 when max_frames is reached. */
static int deliver(struct v4l2_src *src, struct zcap_sample *s, uint64_t payload,
		   uint64_t copied)
{
	struct zcap_filter_stats *st;
	uint32_t flags = zcap_sample_flags(s);
	int ret;

	st = zcap_filter_stats_lock(src->filter);
	st->frames++;
	st->bytes += payload;
	st->bytes_copied += copied;
	if (flags & ZCAP_SAMPLE_ERROR)
		st->errors++;
	zcap_filter_stats_unlock(src->filter);

	ret = zcap_pin_deliver(src->pin, s);
	if (ret < 0) {
		/* The consumer refused this one; it counts it, we go on. */
		src->pending_discont = true;
	}
	src->delivered++;
	return src->cfg.max_frames && src->delivered >= src->cfg.max_frames;
}

/*
 * MMAP: copy the frame of dequeued buffer @b into a free sample, give the
 * driver its buffer back, deliver. Returns 0, 1 at the end of the stream,
 * or an error that ends streaming.
 */
static int mmap_frame(struct v4l2_src *src, const struct zcapi_v4l2q_done *b)
{
	struct zcap_sample *s;
	uint64_t payload = 0, copied;
	int ret, qret, eos;

	ret = zcap_allocator_get_buffer(src->alloc, 0, &s);
	if (ret == ZCAP_E_NOT_COMMITTED)
		return ret;
	if (ret < 0) {
		/* Every sample is held downstream: this frame is lost. */
		struct zcap_filter_stats *st = zcap_filter_stats_lock(src->filter);

		st->dropped++;
		zcap_filter_stats_unlock(src->filter);
		zcap_filter_log(src->filter, ZCAP_LOG_WARN,
				"frame dropped: every buffer is held downstream");
		src->pending_discont = true;
		ret = zcapi_v4l2q_requeue(&src->q, b->index);
		return ret < 0 ? device_error(ret) : 0;
	}
	ret = copy_frame(src, s, b, &copied);
	if (ret == 0)
		fill_sample(src, s, b, &payload);
	/* The copy is done: the driver can fill its buffer again. */
	qret = zcapi_v4l2q_requeue(&src->q, b->index);
	if (ret < 0) {
		zcap_sample_unref(s);
		zcapi_v4l2_note(src, "copying a frame failed: %s", zcap_strerror(ret));
		return ret;
	}
	eos = deliver(src, s, payload, copied);
	zcap_sample_unref(s);
	if (eos)
		return 1;
	if (qret < 0)
		return buffer_ioctl_failed(src, "VIDIOC_QBUF(MMAP)", qret);
	return 0;
}

struct requeue_at {
	struct v4l2_src *src;
	uint32_t index;
};

static int requeue_at(void *ctx, struct zcap_sample *s)
{
	struct requeue_at *at = ctx;

	return zcapi_v4l2q_requeue_sample(&at->src->q, at->index, s);
}

/*
 * Done with dequeued DMABUF sample @s. When no one downstream kept it (a
 * sink that consumed it in place), it goes back at @index, the slot it
 * came from, at once: where its release would send it through the
 * allocator, the recycler and the cache, with none of them to run
 * (GStreamer's v4l2 pool queues a buffer back from its release alike).
 * Either way the source's reference goes.
 */
static void release_frame(struct v4l2_src *src, struct zcap_sample *s,
			  uint32_t index)
{
	struct requeue_at at = { .src = src, .index = index };

	zcapi_allocator_requeue_own(src->alloc, s, requeue_at, &at);
	zcap_sample_unref(s);
}

/*
 * Dequeue a finished buffer, or with @drain every one. Returns 0, 1 at
 * the end of the stream, or an error that ends streaming. One per wakeup
 * while streaming well: poll() says at once when more are done, and a
 * DQBUF that finds none would be a syscall per frame for nothing.
 */
static int handle_frames(struct v4l2_src *src, bool drain)
{
	struct zcapi_v4l2q_done b;
	uint64_t payload;
	int ret, eos;

	for (;;) {
		ret = zcapi_v4l2q_dequeue(&src->q, &b);
		if (ret == -EAGAIN)
			return 0;
		if (ret < 0)
			return buffer_ioctl_failed(src, "VIDIOC_DQBUF", ret);
		src->last_frame = frame_clock(&b);
		src->frame_came = true;
		if (!b.sample) {
			ret = mmap_frame(src, &b);
			if (ret != 0 || !drain)
				return ret;
			continue;
		}
		/* DMABUF: the sample the driver filled, ours to hand on. */
		fill_sample(src, b.sample, &b, &payload);
		eos = deliver(src, b.sample, payload, 0);
		if (eos)
			zcap_sample_unref(b.sample);
		else
			release_frame(src, b.sample, b.index);
		if (eos)
			return 1;
		if (!drain)
			return 0;
	}
}

/* Was a stop asked (and not yet taken back by a new run)? */
static bool stop_asked(struct v4l2_src *src)
{
	struct pollfd pfd = { .fd = src->stop_fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

void zcapi_v4l2_stream_end(struct v4l2_src *src, int ret)
{
	struct zcap_filter_stats *st;

	if (ret == 1) {
		zcap_pin_deliver_end_of_stream(src->pin);
		zcap_filter_post_event(src->filter, ZCAP_E_END_OF_STREAM);
		return;
	}
	/*
	 * NOT_COMMITTED: the stop decommitted the allocator under us, which
	 * is no error. Without a stop, someone else did (a filter downstream
	 * stopped on its own, the application): the stream is over, and
	 * whoever waits for the graph must hear it.
	 */
	if (ret >= 0 || (ret == ZCAP_E_NOT_COMMITTED && stop_asked(src)))
		return;
	st = zcap_filter_stats_lock(src->filter);
	st->last_error = ret;
	/*
	 * One note for an unplug, whichever call saw it first: vivid's
	 * disconnect fails DQBUF after POLLERR, uvcvideo's often QBUF first,
	 * after returning the queued buffers flagged ERROR.
	 */
	if (ret == ZCAP_E_DISCONNECTED)
		snprintf(st->note, sizeof(st->note), "%s was disconnected",
			 src->device);
	else if (ret == ZCAP_E_NOT_COMMITTED)
		snprintf(st->note, sizeof(st->note),
			 "the allocator was decommitted while %s streamed",
			 src->device);
	zcap_filter_stats_unlock(src->filter);
	zcap_filter_post_event(src->filter, ret);
}

/*
 * Wait for the device (@queued buffers queued), a buffer coming back to
 * the allocator or a stop request, at most until the frame clock runs out
 * and at most @max_ms (-1: no such bound). Returns poll's count (0: timed out) or -errno;
 * *@dev gets the device's revents, *@stop whether a stop was asked.
 */
static int wait_event(struct v4l2_src *src, uint32_t queued, int64_t timeout_ns,
		      int max_ms, short *dev, bool *stop)
{
	struct pollfd pfd[3] = {
		{ .fd = src->stop_fd, .events = POLLIN },
		/*
		 * vb2 reports POLLERR on a queue with nothing queued; only
		 * wait on the device while it has a buffer to fill.
		 */
		{ .fd = queued ? src->fd : -1, .events = POLLIN | POLLPRI },
		{ .fd = -1, .events = POLLIN },
	};
	int wait_ms = -1, n;

	if (zcapi_v4l2q_is_dmabuf(&src->q) && queued < src->nbufs)
		pfd[2].fd = zcap_allocator_wait_fd(src->alloc);
	if (queued && src->frame_came) {
		/* A frame just came: the whole timeout, with no clock read. */
		wait_ms = src->cfg.timeout_ms;
	} else if (queued) {
		int64_t left = src->last_frame + timeout_ns - zcapi_now_ns();

		wait_ms = left > 0 ? (int)((left + 999999) / 1000000) : 0;
	}
	src->frame_came = false;
	if (max_ms >= 0 && (wait_ms < 0 || wait_ms > max_ms))
		wait_ms = max_ms;
	n = poll(pfd, 3, wait_ms);
	*stop = n > 0 && pfd[0].revents;
	*dev = n > 0 ? pfd[1].revents : 0;
	return n < 0 ? -errno : n;
}

/* A wait that timed out: an error once the frame clock ran out. */
static int check_stall(struct v4l2_src *src, int64_t timeout_ns)
{
	if (!zcapi_v4l2q_queued(&src->q) || zcapi_now_ns() - src->last_frame < timeout_ns)
		return 0;
	zcapi_v4l2_note(src, "no frame from %s in %d ms", src->device,
			src->cfg.timeout_ms);
	return ZCAP_E_STALLED;
}

int zcapi_v4l2_stream_turn(struct v4l2_src *src, int max_ms)
{
	int64_t timeout_ns = (int64_t)src->cfg.timeout_ms * 1000000LL;
	uint32_t queued = zcapi_v4l2q_queued(&src->q);
	bool stop, failed;
	short dev;
	int ret, n;

	/*
	 * Buffers released in this thread or another went back to the
	 * driver already (recycle()): the free list has some only when the
	 * queue is not full.
	 */
	if (zcapi_v4l2q_is_dmabuf(&src->q) && queued < src->nbufs) {
		uint32_t before = queued;

		ret = queue_free(src);
		if (ret < 0)
			return ret;
		queued = zcapi_v4l2q_queued(&src->q);
		/* The frame clock starts when the driver has a buffer again. */
		if (!before && queued)
			src->last_frame = zcapi_now_ns();
	}
	n = wait_event(src, queued, timeout_ns, max_ms, &dev, &stop);
	if (n == -EINTR)
		return 0;
	if (n < 0)
		return n;
	if (stop)
		return ZCAPI_V4L2_STOP;	/* a stop asked for is not an error */
	if (n == 0)
		return check_stall(src, timeout_ns);
	/* Frames after a new signal are not of the format that was set. */
	if ((dev & POLLPRI) && zcapi_v4l2_events_source_changed(src->fd)) {
		zcapi_v4l2_note(src, "the signal at %s's input changed (V4L2_EVENT_SOURCE_CHANGE): set the format again",
				src->device);
		return ZCAP_E_SOURCE_CHANGED;
	}
	if (!(dev & (POLLIN | POLLERR | POLLHUP | POLLNVAL)))
		return 0;
	failed = dev & (POLLERR | POLLHUP | POLLNVAL);
	ret = handle_frames(src, failed);
	if (ret == 0 && failed) {
		/* Error reported but DQBUF had nothing to say. */
		zcapi_v4l2_note(src, "%s reported an error while streaming",
				src->device);
		ret = ZCAP_E_DISCONNECTED;
	}
	return ret;
}

static void *stream_thread(void *arg)
{
	struct v4l2_src *src = arg;
	int ret;

	do
		ret = zcapi_v4l2_stream_turn(src, -1);
	while (!ret);
	zcapi_v4l2_stream_end(src, ret == ZCAPI_V4L2_STOP ? 0 : ret);
	return NULL;
}

void zcapi_v4l2_stop_signal(struct v4l2_src *src, bool on)
{
	uint64_t v = 1;

	if (on) {
		/* Cannot fail short of a counter at 2^64 - 2. */
		(void)!write(src->stop_fd, &v, sizeof(v));
		return;
	}
	while (read(src->stop_fd, &v, sizeof(v)) == sizeof(v))
		;
}

/* The releasing holder's QBUF (zcapi_allocator_set_recycle()). */
static int recycle(void *ctx, struct zcap_sample *s)
{
	struct v4l2_src *src = ctx;

	/* Queued, the queue holds its own reference, as for any QBUF. */
	return zcapi_v4l2q_recycle(&src->q, s);
}

/* Give the driver every buffer it may fill before STREAMON. */
static int queue_all(struct v4l2_src *src)
{
	uint32_t i;
	int ret;

	if (zcapi_v4l2q_is_dmabuf(&src->q))
		return queue_free(src);
	for (i = 0; i < src->nbufs; i++) {
		ret = zcapi_v4l2q_requeue(&src->q, i);
		if (ret < 0)
			return buffer_ioctl_failed(src, "VIDIOC_QBUF(MMAP)", ret);
	}
	return 0;
}

int zcapi_v4l2_stream_start(struct v4l2_src *src)
{
	int ret;

	if (src->streaming)
		return 0;
	/* A stop request left over from the last run must not end this one. */
	zcapi_v4l2_stop_signal(src, false);
	src->delivered = 0;
	src->have_seq = false;
	src->pending_discont = false;
	src->ended = 0;
	src->fmt_checked = false;
	src->last_frame = zcapi_now_ns();
	zcapi_v4l2_events_subscribe(src->fd, src->filter);

	ret = queue_all(src);
	if (!ret) {
		ret = zcapi_v4l2q_streamon(&src->q);
		if (ret < 0)
			zcapi_v4l2_note(src, "VIDIOC_STREAMON failed: %s",
				      strerror(-ret));
	}
	if (ret < 0) {
		/* Whatever was queued comes back, and its sample with it. */
		zcapi_v4l2q_streamoff(&src->q);
		return ret;
	}
	pthread_mutex_lock(&src->pump_lock);
	src->streaming = true;
	pthread_mutex_unlock(&src->pump_lock);
	if (zcapi_v4l2q_is_dmabuf(&src->q))
		zcapi_allocator_set_recycle(src->alloc, recycle, src);
	/* Caller-driven: zcap_v4l2_source_pump() takes the turns. */
	if (src->cfg.flags & ZCAP_V4L2_SOURCE_CALLER_THREAD)
		return 0;
	ret = -pthread_create(&src->thread, NULL, stream_thread, src);
	if (ret < 0) {
		zcapi_v4l2_stream_stop(src);
		return ret;
	}
	src->thread_started = true;
	return 0;
}

/*
 * Stop streaming: the thread first, then STREAMOFF, which hands every
 * queued buffer back; the samples the queue held for them return to the
 * allocator. The V4L2 buffers themselves stay requested (see
 * release_queue() for REQBUFS(0)).
 */
void zcapi_v4l2_stream_stop(struct v4l2_src *src)
{
	/* Buffers released from here on go to the free list, not to src. */
	if (src->alloc)
		zcapi_allocator_set_recycle(src->alloc, NULL, NULL);
	if (src->thread_started) {
		if (pthread_equal(pthread_self(), src->thread)) {
			/*
			 * An event handler stops us from our own thread, which
			 * filter.h forbids: joining would deadlock. Let it end
			 * on its own at its next wait, told to stop.
			 */
			zcapi_v4l2_stop_signal(src, true);
			pthread_detach(src->thread);
		} else {
			zcapi_v4l2_stop_signal(src, true);
			pthread_join(src->thread, NULL);
		}
		src->thread_started = false;
	}
	/*
	 * Caller-driven: a pump running in another thread returns (-EINTR)
	 * and no other starts before STREAMOFF: the lock is held across it.
	 */
	if (src->cfg.flags & ZCAP_V4L2_SOURCE_CALLER_THREAD)
		zcapi_v4l2_stop_signal(src, true);
	pthread_mutex_lock(&src->pump_lock);
	if (src->streaming) {
		zcapi_v4l2q_streamoff(&src->q);
		src->streaming = false;
	}
	pthread_mutex_unlock(&src->pump_lock);
}
