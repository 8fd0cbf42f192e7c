/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Simple consumers: write frames to a file or pipe, or only count them. */
#ifndef ZCAP_SINKS_H
#define ZCAP_SINKS_H

#include <stdint.h>

#include <zcap/filter.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A sink of your own: a filter with one input pin whose samples go to a
 * callback. The base does the rest every consumer needs: the pin, its
 * requirements (how many samples the callback holds at once, said once
 * here), the statistics (frames, bytes, copies, errors, latency, drops,
 * last_error) and the filter's no-op states. The file and null sinks are
 * made of it.
 */
struct zcap_sink_frame {
	/* The sample's layout, else the connection's; NULL: none known. */
	const struct zcap_format *fmt;
	/* In: the sample's payload bytes. The callback may set what it consumed. */
	uint64_t bytes;
	/* Bytes the callback copied with the CPU (0 on the zero-copy path). */
	uint64_t copied;
};

struct zcap_sink_ops {
	/*
	 * Each sample, on the producer's thread. 0: a frame (counted, with
	 * @fr's bytes and copies, and the latency); negative: a drop (counted,
	 * and kept as last_error). To keep the sample past the call, take a
	 * reference (zcap_sample_ref()): how many at once is cfg->held.
	 * It must return in bounded time, whatever happens downstream:
	 * zcap_graph_stop() stops the producer first, which waits for this
	 * call, and only then this filter (release). A callback waiting for
	 * its own stop hangs the graph's stop; one waiting for a display or a
	 * disk bounds its wait. Required.
	 */
	int (*receive)(void *user, struct zcap_sample *s, struct zcap_sink_frame *fr);
	/* The filter stops or its pin disconnects: drop every sample held. Optional. */
	void (*release)(void *user);
	/* The filter is destroyed (after release): free @user. Optional. */
	void (*destroy)(void *user);
	/*
	 * The allocator this sink proposes upstream (GetAllocator), with a
	 * reference for the caller, e.g. buffers a GPU or an encoder imports
	 * best. Optional: none, the producer's own is used.
	 */
	int (*propose_allocator)(void *user, struct zcap_allocator **out);
	/* EndOfStream from upstream. Optional. */
	int (*end_of_stream)(void *user);
};

struct zcap_sink_config {
	const char *name;	/* the filter's name; NULL: "sink" */
	/*
	 * Samples the callback holds at once, the one it is given included:
	 * its requirements (GetAllocatorRequirements), from which the
	 * producer sizes its buffer count. 0: 1.
	 */
	uint32_t held;
	uint32_t flags;		/* ZCAP_SINK_* */
	/*
	 * What the callback needs of a frame's layout (stride, padded
	 * height, plane offsets), part of its requirements as held is; all
	 * zero: nothing. Its reserved field must be 0.
	 */
	struct zcap_layout_constraints layout;
};
/* A receive error also ends the graph's wait with it (a full disk, a closed pipe). */
#define ZCAP_SINK_END_ON_ERROR	(1u << 0)
/*
 * A sample the device flagged bad (ZCAP_SAMPLE_ERROR) is not given to the
 * callback: it is counted in the stats' errors, not in its frames. For
 * sinks that record frames: a USB camera unplugged mid-frame gives back
 * its buffers flagged ERROR, holding half a frame or the stale frame of
 * their previous use, with the old bytes used.
 */
#define ZCAP_SINK_SKIP_ERRORS	(1u << 1)
#define ZCAP_SINK_FLAGS_ALL	(ZCAP_SINK_END_ON_ERROR | ZCAP_SINK_SKIP_ERRORS)

/*
 * Make a sink filter calling @ops with @user. -EINVAL without @cfg, @ops,
 * a receive op or @out, with unknown flags or layout.reserved set. On
 * failure @ops->destroy is not called: @user stays the caller's.
 */
int zcap_sink_new(const struct zcap_sink_config *cfg,
		  const struct zcap_sink_ops *ops, void *user,
		  struct zcap_filter **out);
/* The @user of a sink made by zcap_sink_new(); NULL for any other filter. */
void *zcap_sink_user(const struct zcap_filter *f);

/*
 * Write each frame's planes (visible lines only unless raw) to @path, or to
 * @fd when path is NULL (a pipe, stdout). Reads the dma-buf through a CPU
 * mapping bracketed by DMA_BUF_IOCTL_SYNC; copies nothing in memory.
 */
struct zcap_file_sink_config {
	const char *path;
	int fd;
	uint32_t flags;		/* ZCAP_FILE_SINK_* */
	uint32_t reserved[7];	/* must be 0 (EINVAL) */
};
#define ZCAP_FILE_SINK_RAW	(1u << 0) /* write whole planes, padding included */

int zcap_file_sink_new(const struct zcap_file_sink_config *cfg,
		       struct zcap_filter **out);

/*
 * What the file sink does with one sample, for consumers of their own:
 * write the visible lines of each plane of @s (every byte of each plane
 * with ZCAP_FILE_SINK_RAW) to @fd, honouring each plane's offset and
 * stride, inside zcap_sample_cpu_begin/end. A compressed format
 * (ZCAP_FORMAT_COMPRESSED) or a sample without a layout is written as
 * exactly its bytes used in each block, from where its plane starts (the
 * driver's data offset): one coded frame, so that frames written one
 * after the other make a stream (MJPEG: concatenated JPEGs). @fmt NULL:
 * the sample's own format. *written (may be NULL) gets the bytes written, *copied (may be
 * NULL) the bytes that went through a bounce buffer because @fd's file
 * system cannot write from a dma-buf mapping (EFAULT: 9p, O_DIRECT).
 * -EINVAL when the layout does not fit the sample's memory.
 */
struct zcap_sample;
int zcap_sample_write(struct zcap_sample *s, const struct zcap_format *fmt,
		      int fd, uint32_t flags, uint64_t *written, uint64_t *copied);

/*
 * Counts frames; holds each for hold_ms to act like a slow consumer.
 * held is what its requirements say it keeps at once (the source sizes
 * its buffer count from it); 0: 1, or 3 with hold_ms. Too few and the
 * source runs out of buffers and drops (and counts) frames.
 */
struct zcap_null_sink_config {
	uint32_t hold_ms;
	uint32_t held;
	uint32_t reserved[6];	/* must be 0 (EINVAL) */
};
int zcap_null_sink_new(const struct zcap_null_sink_config *cfg,
		       struct zcap_filter **out);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_SINKS_H */
