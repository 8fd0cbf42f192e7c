/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A V4L2 OUTPUT queue that takes frames from zcap samples: the OUTPUT
 * queue of a mem2mem encoder or of a video output device. Internal to
 * libzcap. Its format is set and checked here; its buffers are a
 * struct zcapi_v4l2q (queue.h).
 *
 * DMABUF mode imports the samples' dma-bufs: one V4L2 index per dma-buf
 * for the whole stream (the queue's cache), and each sample is held from
 * QBUF until DQBUF, so its buffer cannot go back to the capture driver
 * while the device reads it. MMAP mode copies each frame into the
 * device's own buffers and counts the bytes.
 */
#ifndef ZCAP_LIB_V4L2_OUTQ_H
#define ZCAP_LIB_V4L2_OUTQ_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/videodev2.h>

#include <zcap/allocator.h>
#include <zcap/format.h>
#include <zcap/sample.h>

#include "queue.h"
#include "v4l2_fmt.h"

struct zcapi_outq {
	int fd;
	uint32_t type;		/* V4L2_BUF_TYPE_VIDEO_OUTPUT(_MPLANE) */
	uint32_t n_planes;	/* V4L2 planes (memory blocks) per buffer, from S_FMT */
	struct v4l2_format fmt;
	struct zcapi_v4l2q q;	/* its buffers */
};

int zcapi_outq_init(struct zcapi_outq *q, int fd, uint32_t type);
void zcapi_outq_fini(struct zcapi_outq *q);

/*
 * S_FMT for @zf, then check that the device took exactly that layout
 * (fourcc, size, bytesperline, plane offsets): V4L2 has no way to tell a
 * device another layout, so a mismatch is ZCAP_E_TYPE_NOT_ACCEPTED.
 * @why gets a reason on failure.
 */
int zcapi_outq_set_format(struct zcapi_outq *q, const struct zcap_format *zf,
			 char *why, size_t why_len);

/*
 * Does @a's granted buffers hold what the device's format needs (after
 * set_format)? ZCAP_E_PROPS_REJECTED with a reason in @why if not: V4L2
 * refuses a dma-buf smaller than sizeimage at QBUF, far too late to say
 * it clearly.
 */
int zcapi_outq_check_allocator(struct zcapi_outq *q, struct zcap_allocator *a,
			       char *why, size_t why_len);

/* Bytes each V4L2 plane must hold (after set_format). */
uint32_t zcapi_outq_sizeimage(const struct zcapi_outq *q, uint32_t plane);

/*
 * REQBUFS: DMABUF with @count buffers when @dmabuf, falling back to MMAP
 * (mapping every buffer) when the device refuses; a note goes to @note.
 */
int zcapi_outq_reqbufs(struct zcapi_outq *q, bool dmabuf, uint32_t count,
		      char *note, size_t note_len);

int zcapi_outq_streamon(struct zcapi_outq *q);
/* STREAMOFF: every buffer comes back; held samples are released. */
void zcapi_outq_streamoff(struct zcapi_outq *q);
/* streamoff, unmap, REQBUFS(0); queue calls in other threads are refused. */
void zcapi_outq_release(struct zcapi_outq *q);

/*
 * Queue @s, waiting up to @timeout_ms for the device to give a buffer
 * back when all it granted are queued (then ZCAP_E_TIMEOUT: the frame is
 * the caller's to count as dropped). DMABUF: the sample is referenced
 * until its buffer is dequeued. MMAP: copies, adds the bytes to *@copied.
 * ZCAP_E_WRONG_STATE when the queue was stopped or released meanwhile,
 * in another thread (queue.h).
 */
int zcapi_outq_queue(struct zcapi_outq *q, struct zcap_sample *s,
		    int timeout_ms, uint64_t *copied);

/*
 * DQBUF one buffer (the fd is non-blocking): 0 and the buffer's flags in
 * *@flags, -EAGAIN when none is done, or the ioctl's error.
 */
int zcapi_outq_dequeue(struct zcapi_outq *q, uint32_t *flags);

bool zcapi_outq_is_dmabuf(const struct zcapi_outq *q);
/* Buffers requested (reqbufs done, release not yet). */
bool zcapi_outq_requested(const struct zcapi_outq *q);
uint32_t zcapi_outq_queued(struct zcapi_outq *q);

/* QUERYCAP: the node's capabilities (device_caps where the driver has them). */
int zcapi_outq_device_caps(int fd, uint32_t *caps);

/* A V4L2 control's value, or @def when the device has none. */
int32_t zcapi_outq_ctrl_get(int fd, uint32_t id, int32_t def);

#endif /* ZCAP_LIB_V4L2_OUTQ_H */
