/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Zero-copy consumers: a V4L2 mem2mem encoder, a V4L2 video output
 * (passthrough), and a tee that feeds one stream to several of them. The
 * DRM/KMS sink is <zcap/drm.h>, in its own library (libzcap-drm), so that
 * only its users link libdrm.
 *
 * Every consumer here imports the upstream dma-bufs as they are: the same
 * dma-buf always lands at the same V4L2 index or GEM handle, and a sample
 * is held until the device is done with it, so the capture driver never
 * refills a buffer a consumer still reads. A consumer that cannot import
 * (REQBUFS(V4L2_MEMORY_DMABUF) refused, an upstream without dma-bufs, or
 * ZCAP_CONSUMER_FORCE_COPY) copies through its device's own buffers,
 * counts the bytes in zcap_filter_stats.bytes_copied and says why in
 * zcap_filter_stats.note.
 */
#ifndef ZCAP_CONSUMERS_H
#define ZCAP_CONSUMERS_H

#include <stddef.h>
#include <stdint.h>

#include <zcap/filter.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Flags shared by the consumer configs below and in <zcap/drm.h>. */
#define ZCAP_CONSUMER_FORCE_COPY	(1u << 0) /* never import: device buffers + counted copy */
#define ZCAP_CONSUMER_PROPOSE_ALLOCATOR	(1u << 1) /* offer a dma-buf allocator upstream */

/*
 * Encoder for V4L2 stateful mem2mem encoders (the "stateful encoder"
 * interface of the V4L2 spec), e.g. vicodec's FWHT encoder.
 *
 * Input pin "in": raw frames in a format the encoder's OUTPUT queue takes,
 * with the encoder's own bytesperline. By default it proposes no allocator
 * and takes the upstream one; ZCAP_CONSUMER_PROPOSE_ALLOCATOR makes it
 * propose a dma-buf allocator (for upstreams that have none of their own).
 * Its requirements: V4L2_CID_MIN_BUFFERS_FOR_OUTPUT + queue_depth buffers,
 * each at least the OUTPUT sizeimage.
 *
 * Output pin "out": the coded bitstream, one sample per CAPTURE buffer,
 * from a plain memory allocator. Copying the bitstream out of the CAPTURE
 * buffer is the only CPU copy on this path, and the only bytes it counts
 * in bytes_copied (raw frames are never copied unless it fell back).
 *
 * At end of stream, and at stop, it drains the encoder (V4L2_ENC_CMD_STOP,
 * until a buffer flagged V4L2_BUF_FLAG_LAST or DQBUF's EPIPE) so no
 * queued frame is lost. Encoder errors (V4L2_BUF_FLAG_ERROR, a failing
 * ioctl) are counted and posted as filter events.
 */
struct zcap_m2m_encoder_config {
	const char *device;	/* the encoder's video node; see zcap_m2m_find() */
	uint32_t coded_fourcc;	/* CAPTURE format; 0: V4L2_PIX_FMT_FWHT */
	uint32_t flags;		/* ZCAP_CONSUMER_* */
	uint32_t queue_depth;	/* raw frames the encoder may hold; 0: 2 */
	uint32_t capture_buffers; /* bitstream buffers; 0: 4 */
	uint32_t gop_size;	/* V4L2_CID_MPEG_VIDEO_GOP_SIZE; 0: driver default */
	uint32_t reserved[7];	/* must be 0 (EINVAL) */
};

int zcap_m2m_encoder_new(const struct zcap_m2m_encoder_config *cfg,
			 struct zcap_filter **out);

/*
 * Find a mem2mem video node: an encoder (raw OUTPUT, @coded_fourcc on
 * CAPTURE) or a decoder (@coded_fourcc on OUTPUT). Writes "/dev/videoN"
 * to @path. -ENODEV when there is none.
 */
int zcap_m2m_find(uint32_t coded_fourcc, int encoder, char *path, size_t len);

/*
 * V4L2 video output sink (passthrough): queues each frame on a video
 * output device's OUTPUT queue, importing the dma-bufs
 * (V4L2_MEMORY_DMABUF, one index per dma-buf for the whole stream), and
 * holds each sample until the device gives the buffer back.
 */
struct zcap_v4l2_output_config {
	const char *device;	/* "/dev/video1" */
	uint32_t flags;		/* ZCAP_CONSUMER_* */
	uint32_t queue_depth;	/* frames the device may hold; 0: 2 */
	uint32_t reserved[8];	/* must be 0 (EINVAL) */
};

int zcap_v4l2_output_sink_new(const struct zcap_v4l2_output_config *cfg,
			      struct zcap_filter **out);

/*
 * Tee (DirectShow's infinite pin tee, without copies): one input "in",
 * @n_outputs outputs "out0".."outN-1". Every output delivers the same
 * samples, read-only; each output has its own queue and thread, so a slow
 * consumer delays no other one: it keeps its samples longer, the source
 * runs short of free buffers and drops (and counts) frames, and no frame
 * is requeued while any consumer still holds it.
 *
 * Connect the input first, then the outputs: each output raises the
 * upstream allocator's count by what its consumer holds.
 */
int zcap_tee_new(uint32_t n_outputs, struct zcap_filter **out);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_CONSUMERS_H */
