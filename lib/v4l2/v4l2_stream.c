// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The V4L2 source's streaming thread.
 *
 * DMABUF mode: buffer i of the allocator is always queued at V4L2 index i
 * with the same dma-buf fds, so vb2 finds the dma-buf it already attached
 * and keeps its mapping (Documentation/users.md, one dma-buf per index).
 * A buffer goes back to the driver only once every holder released its
 * sample, which is exactly when the allocator hands it out again
 * (Documentation/users.md, requeue under a reader).
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
#include <time.h>
#include <unistd.h>

#include "v4l2_priv.h"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int device_error(int err)
{
	/*
	 * The device is gone (unplug): say so in our own words. A queue the
	 * driver flagged as broken (vb2_queue_error: DQBUF's EIO) stays -EIO,
	 * which is not a disconnect.
	 */
	if (err == -ENODEV || err == -ENXIO)
		return ZCAP_E_DISCONNECTED;
	return err;
}

static int qbuf_dmabuf(struct v4l2_src *src, uint32_t index, struct zcap_sample *s)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer b;
	int ret;

	memset(&b, 0, sizeof(b));
	memset(planes, 0, sizeof(planes));
	b.type = src->type;
	b.memory = V4L2_MEMORY_DMABUF;
	b.index = index;
	ret = zcapi_v4l2_buf_set_dmabufs(&b, planes, src->mplane, s,
					 src->fmt.n_mem);
	if (ret)
		return ret;
	return zcapi_v4l2_ioctl(src->fd, VIDIOC_QBUF, &b);
}

static int qbuf_mmap(struct v4l2_src *src, uint32_t index)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer b;

	memset(&b, 0, sizeof(b));
	memset(planes, 0, sizeof(planes));
	b.type = src->type;
	b.memory = V4L2_MEMORY_MMAP;
	b.index = index;
	if (src->mplane) {
		b.m.planes = planes;
		b.length = src->fmt.n_mem;
	}
	return zcapi_v4l2_ioctl(src->fd, VIDIOC_QBUF, &b);
}

/* Queue every buffer whose sample is free again. */
static int queue_free(struct v4l2_src *src)
{
	struct zcap_sample *s;
	uint32_t i;
	int ret;

	for (i = 0; i < src->nbufs; i++) {
		if (src->queued[i])
			continue;
		ret = zcap_allocator_get_buffer_index(src->alloc, i, &s);
		if (ret == ZCAP_E_NOT_COMMITTED)
			return ret;
		if (ret < 0)
			continue;	/* still held downstream */
		ret = qbuf_dmabuf(src, i, s);
		if (ret < 0) {
			zcap_sample_unref(s);
			zcapi_v4l2_note(src, "VIDIOC_QBUF(DMABUF) index %u failed: %s",
				      i, strerror(-ret));
			return device_error(ret);
		}
		src->queued[i] = s;
		src->n_queued++;
	}
	return 0;
}

/*
 * Allocator buffers the driver has no index for (REQBUFS granted fewer)
 * are taken once and kept, so that the allocator's wait fd only wakes us
 * for buffers we can queue.
 */
static void park_extra(struct v4l2_src *src)
{
	uint32_t i;

	for (i = src->nbufs; i < src->n_alloc; i++)
		if (!src->parked[i])
			zcap_allocator_get_buffer_index(src->alloc, i, &src->parked[i]);
}

static void fill_sample(struct v4l2_src *src, struct zcap_sample *s,
			const struct v4l2_buffer *b, const struct v4l2_plane *planes,
			uint64_t *payload)
{
	struct zcap_format sf = src->sample_fmt;
	uint32_t flags = 0, m, seq = b->sequence;
	int64_t t;

	*payload = 0;
	for (m = 0; m < src->fmt.n_mem; m++) {
		uint32_t used = src->mplane ? planes[m].bytesused : b->bytesused;
		uint32_t doff = src->mplane ? planes[m].data_offset : 0;

		if (doff > used)
			doff = used;
		zcap_sample_set_bytesused(s, m, used);
		*payload += used - doff;
		/*
		 * The driver may start the data past the start of the buffer
		 * (vivid does, on purpose); the offset travels with the sample
		 * (Documentation/users.md, lost offsets and strides).
		 */
		zcapi_fmt_add_data_offset(&sf, m, doff);
	}
	zcap_sample_set_format(s, &sf);

	if ((b->flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) ==
	    V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC) {
		t = (int64_t)b->timestamp.tv_sec * 1000000000LL +
		    (int64_t)b->timestamp.tv_usec * 1000LL;
	} else {
		/* A copied or unknown clock says nothing about capture time here. */
		t = now_ns();
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

/* Copy the frame of MMAP buffer @index into @s. */
static int copy_frame(struct v4l2_src *src, struct zcap_sample *s, uint32_t index,
		      const struct v4l2_buffer *b, const struct v4l2_plane *planes,
		      uint64_t *copied)
{
	uint32_t m;
	int ret;

	*copied = 0;
	ret = zcap_sample_cpu_begin(s, ZCAP_ACCESS_WRITE);
	if (ret < 0)
		return ret;
	for (m = 0; m < src->fmt.n_mem; m++) {
		uint64_t used = src->mplane ? planes[m].bytesused : b->bytesused;
		struct zcap_mem mem;
		void *dst = zcap_sample_data(s, m);

		ret = zcap_sample_mem(s, m, &mem);
		if (ret < 0 || !dst) {
			ret = ret < 0 ? ret : -EFAULT;
			break;
		}
		if (used > src->mmaps[index].len[m])
			used = src->mmaps[index].len[m];
		if (used > mem.length)
			used = mem.length;
		memcpy(dst, src->mmaps[index].addr[m], used);
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

static int dqbuf(struct v4l2_src *src, struct v4l2_buffer *b,
		 struct v4l2_plane *planes)
{
	memset(b, 0, sizeof(*b));
	memset(planes, 0, sizeof(*planes) * VIDEO_MAX_PLANES);
	b->type = src->type;
	b->memory = src->mode == V4L2_SRC_DMABUF ? V4L2_MEMORY_DMABUF :
						   V4L2_MEMORY_MMAP;
	if (src->mplane) {
		b->m.planes = planes;
		b->length = VIDEO_MAX_PLANES;
	}
	return zcapi_v4l2_ioctl(src->fd, VIDIOC_DQBUF, b);
}

/*
 * Dequeue every finished buffer. Returns 0, 1 at the end of the stream,
 * or an error that ends streaming.
 */
static int handle_frames(struct v4l2_src *src, int64_t *last_frame)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer b;
	struct zcap_sample *s;
	uint64_t payload, copied;
	int ret, qret, eos;

	for (;;) {
		ret = dqbuf(src, &b, planes);
		if (ret == -EAGAIN)
			return 0;
		if (ret < 0) {
			if (ret == -EIO)
				zcapi_v4l2_note(src, "the driver reported a fatal streaming error (VIDIOC_DQBUF: EIO)");
			else
				zcapi_v4l2_note(src, "VIDIOC_DQBUF failed: %s", strerror(-ret));
			return device_error(ret);
		}
		*last_frame = now_ns();
		if (b.index >= src->nbufs)
			return -EPROTO;

		if (src->mode == V4L2_SRC_DMABUF) {
			s = src->queued[b.index];
			src->queued[b.index] = NULL;
			src->n_queued--;
			if (!s)
				return -EPROTO;
			fill_sample(src, s, &b, planes, &payload);
			eos = deliver(src, s, payload, 0);
			zcap_sample_unref(s);
			if (eos)
				return 1;
			continue;
		}

		src->n_queued--;
		ret = zcap_allocator_get_buffer(src->alloc, 0, &s);
		if (ret == ZCAP_E_NOT_COMMITTED)
			return ret;
		if (ret < 0) {
			/* Every sample is held downstream: this frame is lost. */
			struct zcap_filter_stats *st = zcap_filter_stats_lock(src->filter);

			st->dropped++;
			zcap_filter_stats_unlock(src->filter);
			src->pending_discont = true;
			ret = qbuf_mmap(src, b.index);
			if (ret < 0)
				return device_error(ret);
			src->n_queued++;
			continue;
		}
		ret = copy_frame(src, s, b.index, &b, planes, &copied);
		if (ret == 0)
			fill_sample(src, s, &b, planes, &payload);
		/* The copy is done: the driver can fill its buffer again. */
		qret = qbuf_mmap(src, b.index);
		if (qret == 0)
			src->n_queued++;
		if (ret < 0) {
			zcap_sample_unref(s);
			zcapi_v4l2_note(src, "copying a frame failed: %s", zcap_strerror(ret));
			return ret;
		}
		eos = deliver(src, s, payload, copied);
		zcap_sample_unref(s);
		if (eos)
			return 1;
		if (qret < 0) {
			zcapi_v4l2_note(src, "VIDIOC_QBUF(MMAP) failed: %s", strerror(-qret));
			return device_error(qret);
		}
	}
}

static void *stream_thread(void *arg)
{
	struct v4l2_src *src = arg;
	int64_t last_frame = now_ns();
	int64_t timeout_ns = (int64_t)src->cfg.timeout_ms * 1000000LL;
	struct pollfd pfd[3];
	uint32_t was_queued;
	int ret = 0, n, wait_ms;

	for (;;) {
		if (src->mode == V4L2_SRC_DMABUF) {
			was_queued = src->n_queued;
			ret = queue_free(src);
			if (ret < 0)
				break;
			/* The frame clock starts when the driver has a buffer again. */
			if (!was_queued && src->n_queued)
				last_frame = now_ns();
		}

		pfd[0].fd = src->stop_fd;
		pfd[0].events = POLLIN;
		/*
		 * vb2 reports POLLERR on a queue with nothing queued; only
		 * wait on the device while it has a buffer to fill.
		 */
		pfd[1].fd = src->n_queued ? src->fd : -1;
		pfd[1].events = POLLIN | POLLPRI;
		pfd[2].fd = -1;
		if (src->mode == V4L2_SRC_DMABUF && src->n_queued < src->nbufs)
			pfd[2].fd = zcap_allocator_wait_fd(src->alloc);
		pfd[2].events = POLLIN;
		for (n = 0; n < 3; n++)
			pfd[n].revents = 0;

		wait_ms = -1;
		if (src->n_queued) {
			int64_t left = last_frame + timeout_ns - now_ns();

			wait_ms = left > 0 ? (int)((left + 999999) / 1000000) : 0;
		}
		n = poll(pfd, 3, wait_ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (pfd[0].revents)
			break;	/* asked to stop: not an error */
		if (n == 0) {
			if (src->n_queued && now_ns() - last_frame >= timeout_ns) {
				zcapi_v4l2_note(src, "no frame from %s in %d ms",
					      src->device, src->cfg.timeout_ms);
				ret = ZCAP_E_STALLED;
				break;
			}
			continue;
		}
		if (pfd[1].revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)) {
			ret = handle_frames(src, &last_frame);
			if (ret != 0)
				break;
			if (pfd[1].revents & (POLLERR | POLLHUP | POLLNVAL)) {
				/* Error reported but DQBUF had nothing to say. */
				zcapi_v4l2_note(src, "%s reported an error while streaming",
					      src->device);
				ret = ZCAP_E_DISCONNECTED;
				break;
			}
		}
	}

	if (ret == 1) {
		zcap_pin_deliver_end_of_stream(src->pin);
		zcap_filter_post_event(src->filter, ZCAP_E_END_OF_STREAM);
	} else if (ret < 0 && ret != ZCAP_E_NOT_COMMITTED) {
		struct zcap_filter_stats *st = zcap_filter_stats_lock(src->filter);

		st->last_error = ret;
		/*
		 * One note for an unplug, whichever call saw it first: vivid's
		 * disconnect fails DQBUF after POLLERR, uvcvideo's often QBUF
		 * first, after returning the queued buffers flagged ERROR.
		 */
		if (ret == ZCAP_E_DISCONNECTED)
			snprintf(st->note, sizeof(st->note), "%s was disconnected",
				 src->device);
		zcap_filter_stats_unlock(src->filter);
		zcap_filter_post_event(src->filter, ret);
	}
	return NULL;
}

int zcapi_v4l2_stream_start(struct v4l2_src *src)
{
	uint32_t i;
	uint64_t v;
	int ret;

	if (src->streaming)
		return 0;
	/* A stop request left over from the last run must not end this one. */
	while (read(src->stop_fd, &v, sizeof(v)) == sizeof(v))
		;
	src->delivered = 0;
	src->have_seq = false;
	src->pending_discont = false;
	src->n_queued = 0;

	if (src->mode == V4L2_SRC_DMABUF) {
		park_extra(src);
		ret = queue_free(src);
		if (ret < 0)
			goto err;
	} else {
		for (i = 0; i < src->nbufs; i++) {
			ret = qbuf_mmap(src, i);
			if (ret < 0) {
				zcapi_v4l2_note(src, "VIDIOC_QBUF(MMAP) failed: %s",
					      strerror(-ret));
				goto err;
			}
			src->n_queued++;
		}
	}
	ret = zcapi_v4l2_ioctl(src->fd, VIDIOC_STREAMON, &src->type);
	if (ret < 0) {
		zcapi_v4l2_note(src, "VIDIOC_STREAMON failed: %s", strerror(-ret));
		goto err;
	}
	src->streaming = true;
	ret = -pthread_create(&src->thread, NULL, stream_thread, src);
	if (ret < 0) {
		zcapi_v4l2_stream_stop(src);
		return ret;
	}
	src->thread_started = true;
	return 0;
err:
	src->streaming = true;
	zcapi_v4l2_stream_stop(src);
	return ret;
}

/*
 * Stop streaming: the thread first, then STREAMOFF, which hands every
 * queued buffer back; the samples we held for them return to the
 * allocator. The V4L2 buffers themselves stay requested (see
 * release_queue() for REQBUFS(0)).
 */
void zcapi_v4l2_stream_stop(struct v4l2_src *src)
{
	uint64_t one = 1;
	uint32_t i;

	if (src->thread_started) {
		if (pthread_equal(pthread_self(), src->thread)) {
			/*
			 * An event handler stops us from our own thread: posting
			 * the event is the thread's last use of src, so letting
			 * it finish on its own is safe; joining would deadlock.
			 */
			pthread_detach(src->thread);
		} else {
			/* Cannot fail short of a counter at 2^64 - 2. */
			(void)!write(src->stop_fd, &one, sizeof(one));
			pthread_join(src->thread, NULL);
		}
		src->thread_started = false;
	}
	if (!src->streaming)
		return;
	zcapi_v4l2_ioctl(src->fd, VIDIOC_STREAMOFF, &src->type);
	src->streaming = false;
	for (i = 0; src->queued && i < src->nbufs; i++) {
		if (src->queued[i]) {
			zcap_sample_unref(src->queued[i]);
			src->queued[i] = NULL;
		}
	}
	src->n_queued = 0;
}
