/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What each pixel format is: how many planes a fourcc has, how they sit in
 * memory blocks, and how many bytes of each line are visible; and which
 * fourccs are bitstreams. The fourccs are V4L2's (a zcap_format's are), but
 * nothing here talks to a device: the core's layouts (format.c) and the
 * sinks use it as much as the V4L2 code does. Internal to libzcap.
 */
#ifndef ZCAP_LIB_FMT_TABLE_H
#define ZCAP_LIB_FMT_TABLE_H

#include <stdbool.h>
#include <stdint.h>

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

#endif /* ZCAP_LIB_FMT_TABLE_H */
