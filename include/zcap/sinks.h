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
 * Write each frame's planes (visible lines only unless raw) to @path, or to
 * @fd when path is NULL (a pipe, stdout). Reads the dma-buf through a CPU
 * mapping bracketed by DMA_BUF_IOCTL_SYNC; copies nothing in memory.
 */
struct zcap_file_sink_config {
	const char *path;
	int fd;
	uint32_t flags;		/* ZCAP_FILE_SINK_* */
	uint32_t reserved[7];
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
	uint32_t reserved[6];
};
int zcap_null_sink_new(const struct zcap_null_sink_config *cfg,
		       struct zcap_filter **out);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_SINKS_H */
