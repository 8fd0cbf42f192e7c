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

/* Counts frames; holds each for hold_ms to act like a slow consumer. */
struct zcap_null_sink_config {
	uint32_t hold_ms;
	uint32_t reserved[7];
};
int zcap_null_sink_new(const struct zcap_null_sink_config *cfg,
		       struct zcap_filter **out);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_SINKS_H */
