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
	uint32_t reserved[8];
};

int zcap_v4l2_source_new(const struct zcap_v4l2_source_config *cfg,
			 struct zcap_filter **out);

/* Open and query only: the driver name and card, for messages. */
int zcap_v4l2_source_describe(struct zcap_filter *f, char *buf, uint32_t len);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_V4L2_SOURCE_H */
