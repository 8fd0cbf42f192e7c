/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A V4L2 capture source: any capture device, single- or multi-planar.
 *
 * On a dma-buf allocator it imports the buffers (V4L2_MEMORY_DMABUF),
 * always the same dma-buf at the same index, and delivers each captured
 * buffer downstream with no copy. On any other allocator it captures into
 * the driver's own buffers (V4L2_MEMORY_MMAP) and copies, counting the
 * bytes in zcap_filter_stats.bytes_copied.
 */
#ifndef ZCAP_V4L2_SOURCE_H
#define ZCAP_V4L2_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include <zcap/filter.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zcap_v4l2_source_config {
	const char *device;	/* "/dev/video0" */
	uint32_t fourcc;	/* 0: the driver's current format */
	uint32_t width, height;	/* 0: the driver's current size */
	uint32_t stride;	/* bytes per line to ask for; 0: the driver's choice */
	uint32_t fps;		/* 0: the driver's current rate */
	uint64_t max_frames;	/* end of stream after this many; 0: until stopped */
	uint32_t extra_buffers;	/* beyond the driver minimum and what consumers hold */
	enum zcap_provider provider;	/* for the source's own allocator */
	int timeout_ms;		/* no frame for this long is an error; 0: 5000 */
	uint32_t flags;		/* ZCAP_V4L2_SOURCE_*; others are -EINVAL */
	uint32_t reserved[7];	/* must be 0 */
};

/*
 * The caller's thread drives capture: running the graph starts no
 * streaming thread, and each zcap_v4l2_source_pump() waits for a frame
 * and delivers it downstream in the caller's thread, as GStreamer's
 * v4l2src captures in its own streaming thread. A frame then costs no
 * hand-over between threads.
 */
#define ZCAP_V4L2_SOURCE_CALLER_THREAD (1u << 0)

int zcap_v4l2_source_new(const struct zcap_v4l2_source_config *cfg,
			 struct zcap_filter **out);

/*
 * Caller-driven source (ZCAP_V4L2_SOURCE_CALLER_THREAD), running: wait up
 * to @timeout_ms (-1: until a frame, the frame clock's stall error or an
 * interrupt) for one frame and deliver it downstream in this thread.
 * Returns 1 (a frame was delivered), 0 (@timeout_ms passed), -EINTR
 * (interrupted, see below, or stopped), ZCAP_E_END_OF_STREAM (max_frames
 * delivered), ZCAP_E_WRONG_STATE (not running), -EINVAL (not such a
 * source), or the error that ended streaming (ZCAP_E_DISCONNECTED,
 * ZCAP_E_STALLED, ZCAP_E_SOURCE_CHANGED: the signal at the input changed,
 * set the format again, ...), which is also posted to the graph, as the
 * streaming thread would. One thread pumps
 * at a time (others wait). Buffers that consumers release (in any
 * thread) go back to the driver at once.
 */
int zcap_v4l2_source_pump(struct zcap_filter *f, int timeout_ms);

/*
 * @on: every pump, running or to come, returns -EINTR at once until
 * called again with @on false (GStreamer's unlock and unlock_stop).
 * Any thread. 0, or -EINVAL for a filter that is not a caller-driven
 * V4L2 source.
 */
int zcap_v4l2_source_interrupt(struct zcap_filter *f, bool on);

/*
 * Streaming: how many of its allocator's samples the source fills, that
 * is how many can be downstream at once. Importing dma-bufs, those the
 * driver granted (REQBUFS may grant fewer than the allocator has; the
 * rest stay idle); copying from the driver's own buffers, every one of
 * the allocator's. ZCAP_E_WRONG_STATE when not streaming, -EINVAL for a
 * filter that is not a V4L2 source. Call it in the thread that receives
 * the source's frames (a sink's callback, or the one that pumps): the
 * figure is set before the first frame.
 */
int zcap_v4l2_source_buffers(struct zcap_filter *f);

/* Open and query only: the driver name and card, for messages. */
int zcap_v4l2_source_describe(struct zcap_filter *f, char *buf, uint32_t len);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_V4L2_SOURCE_H */
