// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The pixel format table: planes, memory blocks and subsampling of every
 * fourcc zcap lays out, and the bitstream fourccs.
 */
#include <stddef.h>

#include <linux/videodev2.h>

#include "fmt_table.h"

/*
 * @wa: the width granularity in pixels (macropixel) that
 * zcap_format_layout() rounds to; 0 for a format it does not lay out.
 */
#define PACKED(fcc, bits, wa) \
	{ .fourcc = (fcc), .n_planes = 1, .n_mem = 1, .walign = (wa), \
	  .bpp = { bits }, .hdiv = { 1 }, .vdiv = { 1 } }
/* Luma plane + interleaved chroma plane. */
#define SEMI(fcc, mem, h, v) \
	{ .fourcc = (fcc), .n_planes = 2, .n_mem = (mem), .walign = (h), \
	  .bpp = { 8, 16 }, .hdiv = { 1, (h) }, .vdiv = { 1, (v) } }
/* Luma plane + two chroma planes. */
#define PLANAR(fcc, mem, h, v) \
	{ .fourcc = (fcc), .n_planes = 3, .n_mem = (mem), .walign = (h), \
	  .bpp = { 8, 8, 8 }, .hdiv = { 1, (h), (h) }, .vdiv = { 1, (v), (v) } }

static const struct zcapi_fmt_info fmt_table[] = {
	PACKED(V4L2_PIX_FMT_YUYV, 16, 2),
	PACKED(V4L2_PIX_FMT_YVYU, 16, 2),
	PACKED(V4L2_PIX_FMT_UYVY, 16, 2),
	PACKED(V4L2_PIX_FMT_VYUY, 16, 2),
	PACKED(V4L2_PIX_FMT_GREY, 8, 1),
	PACKED(V4L2_PIX_FMT_Y10, 16, 1),
	PACKED(V4L2_PIX_FMT_Y12, 16, 1),
	PACKED(V4L2_PIX_FMT_Y16, 16, 1),
	PACKED(V4L2_PIX_FMT_RGB332, 8, 0),
	PACKED(V4L2_PIX_FMT_RGB565, 16, 1),
	PACKED(V4L2_PIX_FMT_RGB565X, 16, 1),
	PACKED(V4L2_PIX_FMT_RGB555, 16, 1),
	PACKED(V4L2_PIX_FMT_XRGB555, 16, 1),
	PACKED(V4L2_PIX_FMT_ARGB555, 16, 1),
	PACKED(V4L2_PIX_FMT_RGB555X, 16, 0),
	PACKED(V4L2_PIX_FMT_RGB444, 16, 0),
	PACKED(V4L2_PIX_FMT_XRGB444, 16, 0),
	PACKED(V4L2_PIX_FMT_ARGB444, 16, 0),
	PACKED(V4L2_PIX_FMT_RGB24, 24, 1),
	PACKED(V4L2_PIX_FMT_BGR24, 24, 1),
	PACKED(V4L2_PIX_FMT_HSV24, 24, 0),
	PACKED(V4L2_PIX_FMT_YUV24, 24, 0),
	PACKED(V4L2_PIX_FMT_RGB32, 32, 1),
	PACKED(V4L2_PIX_FMT_BGR32, 32, 1),
	PACKED(V4L2_PIX_FMT_XRGB32, 32, 1),
	PACKED(V4L2_PIX_FMT_XBGR32, 32, 1),
	PACKED(V4L2_PIX_FMT_ARGB32, 32, 1),
	PACKED(V4L2_PIX_FMT_ABGR32, 32, 1),
	PACKED(V4L2_PIX_FMT_RGBX32, 32, 1),
	PACKED(V4L2_PIX_FMT_BGRX32, 32, 1),
	PACKED(V4L2_PIX_FMT_RGBA32, 32, 1),
	PACKED(V4L2_PIX_FMT_BGRA32, 32, 1),
	PACKED(V4L2_PIX_FMT_HSV32, 32, 0),
	PACKED(V4L2_PIX_FMT_YUV32, 32, 1),
	PACKED(V4L2_PIX_FMT_AYUV32, 32, 0),
	PACKED(V4L2_PIX_FMT_XYUV32, 32, 0),
	PACKED(V4L2_PIX_FMT_VUYA32, 32, 0),
	PACKED(V4L2_PIX_FMT_VUYX32, 32, 0),
	PACKED(V4L2_PIX_FMT_YUV555, 16, 0),
	PACKED(V4L2_PIX_FMT_YUV565, 16, 0),
	PACKED(V4L2_PIX_FMT_SBGGR8, 8, 1),
	PACKED(V4L2_PIX_FMT_SGBRG8, 8, 1),
	PACKED(V4L2_PIX_FMT_SGRBG8, 8, 1),
	PACKED(V4L2_PIX_FMT_SRGGB8, 8, 1),
	PACKED(V4L2_PIX_FMT_SBGGR16, 16, 0),
	PACKED(V4L2_PIX_FMT_SGBRG16, 16, 0),
	PACKED(V4L2_PIX_FMT_SGRBG16, 16, 0),
	PACKED(V4L2_PIX_FMT_SRGGB16, 16, 0),
	SEMI(V4L2_PIX_FMT_NV12, 1, 2, 2),
	SEMI(V4L2_PIX_FMT_NV21, 1, 2, 2),
	SEMI(V4L2_PIX_FMT_NV16, 1, 2, 1),
	SEMI(V4L2_PIX_FMT_NV61, 1, 2, 1),
	SEMI(V4L2_PIX_FMT_NV24, 1, 1, 1),
	SEMI(V4L2_PIX_FMT_NV42, 1, 1, 1),
	SEMI(V4L2_PIX_FMT_NV12M, 2, 2, 2),
	SEMI(V4L2_PIX_FMT_NV21M, 2, 2, 2),
	SEMI(V4L2_PIX_FMT_NV16M, 2, 2, 1),
	SEMI(V4L2_PIX_FMT_NV61M, 2, 2, 1),
	PLANAR(V4L2_PIX_FMT_YUV420, 1, 2, 2),
	PLANAR(V4L2_PIX_FMT_YVU420, 1, 2, 2),
	PLANAR(V4L2_PIX_FMT_YUV422P, 1, 2, 1),
	PLANAR(V4L2_PIX_FMT_YUV420M, 3, 2, 2),
	PLANAR(V4L2_PIX_FMT_YVU420M, 3, 2, 2),
	PLANAR(V4L2_PIX_FMT_YUV422M, 3, 2, 1),
	PLANAR(V4L2_PIX_FMT_YVU422M, 3, 2, 1),
	PLANAR(V4L2_PIX_FMT_YUV444M, 3, 1, 1),
	PLANAR(V4L2_PIX_FMT_YVU444M, 3, 1, 1),
};

const struct zcapi_fmt_info *zcapi_fmt_info_find(uint32_t fourcc)
{
	size_t i;

	for (i = 0; i < sizeof(fmt_table) / sizeof(fmt_table[0]); i++)
		if (fmt_table[i].fourcc == fourcc)
			return &fmt_table[i];
	return NULL;
}

static uint32_t div_up(uint32_t a, uint32_t b)
{
	return (a + b - 1) / b;
}

uint64_t zcapi_fmt_visible_bytes(const struct zcap_format *fmt, uint32_t p)
{
	const struct zcapi_fmt_info *fi = zcapi_fmt_info_find(fmt->fourcc);
	uint64_t bytes;

	if (p >= fmt->n_planes)
		return 0;
	if (!fi || p >= fi->n_planes)
		return fmt->planes[p].stride;
	bytes = (uint64_t)div_up(fmt->width, fi->hdiv[p]) * fi->bpp[p] / 8;
	/* Never past the line, whatever the format claims. */
	if (fmt->planes[p].stride && bytes > fmt->planes[p].stride)
		bytes = fmt->planes[p].stride;
	return bytes;
}

uint32_t zcapi_fmt_visible_lines(const struct zcap_format *fmt, uint32_t p)
{
	const struct zcapi_fmt_info *fi = zcapi_fmt_info_find(fmt->fourcc);
	uint32_t lines;

	if (p >= fmt->n_planes)
		return 0;
	if (!fi || p >= fi->n_planes)
		return fmt->planes[p].lines;
	lines = div_up(fmt->height, fi->vdiv[p]);
	if (fmt->planes[p].lines && lines > fmt->planes[p].lines)
		lines = fmt->planes[p].lines;
	return lines;
}

/*
 * Bitstreams V4L2 drivers capture or encoders produce: frames of varying
 * size, where only the driver's bytesused says where one ends.
 */
static const uint32_t compressed_table[] = {
	V4L2_PIX_FMT_MJPEG, V4L2_PIX_FMT_JPEG, V4L2_PIX_FMT_DV,
	V4L2_PIX_FMT_MPEG, V4L2_PIX_FMT_MPEG1, V4L2_PIX_FMT_MPEG2,
	V4L2_PIX_FMT_MPEG4, V4L2_PIX_FMT_XVID, V4L2_PIX_FMT_H263,
	V4L2_PIX_FMT_H264, V4L2_PIX_FMT_H264_NO_SC, V4L2_PIX_FMT_H264_MVC,
	V4L2_PIX_FMT_HEVC, V4L2_PIX_FMT_VC1_ANNEX_G, V4L2_PIX_FMT_VC1_ANNEX_L,
	V4L2_PIX_FMT_VP8, V4L2_PIX_FMT_VP9, V4L2_PIX_FMT_FWHT,
};

bool zcapi_fmt_is_compressed(uint32_t fourcc)
{
	size_t i;

	for (i = 0; i < sizeof(compressed_table) / sizeof(compressed_table[0]); i++)
		if (compressed_table[i] == fourcc)
			return true;
	return false;
}
