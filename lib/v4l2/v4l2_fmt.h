/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * V4L2's side of formats: a zcap_format from the driver's v4l2_format,
 * the driver's data offset, and the EINTR-safe ioctl wrapper. Internal to
 * libzcap. What a pixel format is (planes, blocks, visible bytes) is the
 * core's: fmt_table.h.
 */
#ifndef ZCAP_LIB_V4L2_FMT_H
#define ZCAP_LIB_V4L2_FMT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <linux/videodev2.h>

#include <zcap/format.h>

#include "core/fmt_table.h"

#ifndef ZCAP_HIDDEN
#define ZCAP_HIDDEN __attribute__((visibility("hidden")))
#endif

/*
 * Build a zcap_format from the driver's answer to G_FMT. Each V4L2 plane
 * is a memory block of sizeimage bytes; the logical planes of a
 * single-block format (NV12, YUV420) follow each other in block 0 with
 * strides derived from bytesperline, as the V4L2 specification defines.
 * A bitstream (@compressed: the driver's ENUM_FMT flags it
 * V4L2_FMT_FLAG_COMPRESSED; a fourcc zcapi_fmt_is_compressed() knows; an
 * unknown fourcc without bytesperline) is one plane per block of
 * sizeimage bytes, flagged ZCAP_FORMAT_COMPRESSED.
 */
ZCAP_HIDDEN int zcapi_fmt_from_v4l2(const struct v4l2_format *vf,
				   bool compressed, struct zcap_format *out);

/*
 * The driver started block @mem's data @doff bytes in (V4L2's
 * data_offset): move its planes there. A bitstream's plane shrinks to the
 * rest of the block.
 */
ZCAP_HIDDEN void zcapi_fmt_add_data_offset(struct zcap_format *f, uint32_t mem,
					   uint32_t doff);

/*
 * ioctl that retries EINTR; returns 0 or -errno. Inline: every DQBUF and
 * QBUF of a frame goes through it, and a call into another object for a
 * loop around one syscall is not worth its file on the frame's walk.
 */
static inline int zcapi_v4l2_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

#endif /* ZCAP_LIB_V4L2_FMT_H */
