/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pixel format knowledge shared by the V4L2 source and the sinks: how many
 * planes a fourcc has, how they sit in memory blocks, and how many bytes of
 * each line are visible; and their ioctl wrapper. Internal to libzcap.
 */
#ifndef ZCAP_LIB_V4L2_FMT_H
#define ZCAP_LIB_V4L2_FMT_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/videodev2.h>

#include <zcap/format.h>

#ifndef ZCAP_HIDDEN
#define ZCAP_HIDDEN __attribute__((visibility("hidden")))
#endif

struct zcapi_fmt_info {
	uint32_t fourcc;
	uint8_t n_planes;	/* logical planes (Y, UV, ...) */
	uint8_t n_mem;		/* memory blocks: 1, or n_planes for the V4L2 "M" formats */
	uint8_t walign;		/* layout's width granularity; 0: not laid out */
	uint8_t bpp[ZCAP_MAX_PLANES];	/* bits per sample group of the plane, see below */
	uint8_t hdiv[ZCAP_MAX_PLANES];	/* horizontal subsampling of the plane */
	uint8_t vdiv[ZCAP_MAX_PLANES];	/* vertical subsampling of the plane */
};

/*
 * bpp counts bits per pixel of the plane *after* horizontal subsampling:
 * NV12's UV plane holds one Cb,Cr pair (16 bits) per two pixels, so
 * bpp 16, hdiv 2 and a line of width pixels is width bytes.
 */

/* NULL for a fourcc we do not know (compressed formats, exotic packings). */
ZCAP_HIDDEN const struct zcapi_fmt_info *zcapi_fmt_info_find(uint32_t fourcc);

/*
 * Visible bytes of one line and visible lines of plane @p of @fmt. For an
 * unknown fourcc the whole stride and the plane's lines are visible.
 */
ZCAP_HIDDEN uint64_t zcapi_fmt_visible_bytes(const struct zcap_format *fmt,
					    uint32_t p);
ZCAP_HIDDEN uint32_t zcapi_fmt_visible_lines(const struct zcap_format *fmt,
					    uint32_t p);

/* true for the bitstream fourccs we know (MJPEG, JPEG, H.264, FWHT, ...). */
ZCAP_HIDDEN bool zcapi_fmt_is_compressed(uint32_t fourcc);

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

/* ioctl that retries EINTR; returns 0 or -errno. */
ZCAP_HIDDEN int zcapi_v4l2_ioctl(int fd, unsigned long req, void *arg);

/* Multi-memory fourcc (NV12M, ...) -> V4L2 multi-planar only. */
ZCAP_HIDDEN bool zcapi_fmt_is_multi_mem(uint32_t fourcc);

struct zcap_sample;
/*
 * A CAPTURE QBUF of @s's first @n_mem dma-bufs: @b (and @planes, which it
 * points at, when @mplane) gets each block's fd and whole length. 0, or
 * zcap_sample_mem()'s error.
 */
ZCAP_HIDDEN int zcapi_v4l2_buf_set_dmabufs(struct v4l2_buffer *b,
					   struct v4l2_plane *planes, bool mplane,
					   struct zcap_sample *s, uint32_t n_mem);

#endif /* ZCAP_LIB_V4L2_FMT_H */
