/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * State of a V4L2 source, shared between the control side (v4l2_source.c:
 * open, format, buffers, filter and pin ops) and the streaming thread
 * (v4l2_stream.c). Internal to libzcap.
 */
#ifndef ZCAP_LIB_V4L2_PRIV_H
#define ZCAP_LIB_V4L2_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/videodev2.h>

#include <zcap/zcap.h>

#include "queue.h"
#include "v4l2_fmt.h"

struct v4l2_src {
	struct zcap_filter *filter;
	struct zcap_pin *pin;
	struct zcap_v4l2_source_config cfg;
	char *device;
	int fd;
	uint32_t type;			/* V4L2_BUF_TYPE_VIDEO_CAPTURE(_MPLANE) */
	bool mplane;
	char driver[16];
	char card[32];
	uint32_t min_buffers;		/* V4L2_CID_MIN_BUFFERS_FOR_CAPTURE or 2 */

	struct zcap_format fmt;		/* the driver's answer to S_FMT/G_FMT */
	struct zcap_format sample_fmt;	/* fmt with the padding decided at connect */

	struct zcap_allocator *alloc;	/* decided allocator, one reference */
	/*
	 * The capture queue: DMABUF (the allocator's dma-bufs imported, zero
	 * copy) or MMAP (the driver's buffers, copied into samples); no
	 * buffers requested while q.memory is 0.
	 */
	struct zcapi_v4l2q q;
	bool q_ready;			/* q initialised */
	uint32_t nbufs;			/* buffers in use: DMABUF, the allocator's the queue has slots for */
	bool streaming;

	pthread_t thread;
	bool thread_started;
	int stop_fd;			/* eventfd: wakes the thread to stop */
	/*
	 * Held by a caller-driven source's pump (v4l2_pump.c) and by
	 * stop around STREAMOFF; streaming changes under it.
	 */
	pthread_mutex_t pump_lock;
	int ended;			/* caller-driven: how streaming ended; 0 */

	/* Streaming thread (or the pumping caller) only. */
	int64_t last_frame;		/* the frame clock: when the last frame came */
	bool frame_came;		/* since the last wait: wait the whole timeout */
	bool fmt_checked;		/* checked_fmt passed zcap_format_validate() */
	struct zcap_format checked_fmt;
	uint32_t checked_doff[ZCAP_MAX_PLANES];	/* data offsets it was made with */
	uint64_t fmt_tag;		/* checked_fmt's (zcapi_sample_set_format_tagged) */
	uint64_t delivered;
	uint32_t last_seq;
	bool have_seq;
	bool pending_discont;
	bool warned_clock;
};

/*
 * v4l2_source_dev.c: open the device, check it captures and streams,
 * negotiate format and frame rate (src->fmt), and make the queue.
 */
ZCAP_HIDDEN int zcapi_v4l2_src_open(struct v4l2_src *src);

/* v4l2_source.c; zcapi_v4l2_src_of: @f's source, NULL if it is none. */
ZCAP_HIDDEN struct v4l2_src *zcapi_v4l2_src_of(struct zcap_filter *f);
ZCAP_HIDDEN void zcapi_v4l2_note(struct v4l2_src *src, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* v4l2_stream.c */
ZCAP_HIDDEN int zcapi_v4l2_stream_start(struct v4l2_src *src);
ZCAP_HIDDEN void zcapi_v4l2_stream_stop(struct v4l2_src *src);
/*
 * One turn of the streaming loop: queue the buffers that came back, wait
 * for the device (at most @max_ms; -1: until the frame clock runs out),
 * dequeue and deliver a frame. 0 to go on, ZCAPI_V4L2_STOP when a stop
 * was asked, 1 at the end of the stream (the last frame delivered), or the
 * error that ends streaming.
 */
#define ZCAPI_V4L2_STOP 2
ZCAP_HIDDEN int zcapi_v4l2_stream_turn(struct v4l2_src *src, int max_ms);
/*
 * The stop eventfd, which wakes whoever takes the turns (the streaming
 * thread, or a pump, for which it is also the interrupt): @on sets it,
 * else it is cleared.
 */
ZCAP_HIDDEN void zcapi_v4l2_stop_signal(struct v4l2_src *src, bool on);
/* Say how streaming ended (a turn's 1 or error) to the pin and the graph. */
ZCAP_HIDDEN void zcapi_v4l2_stream_end(struct v4l2_src *src, int ret);

#endif /* ZCAP_LIB_V4L2_PRIV_H */
