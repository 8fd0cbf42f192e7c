// SPDX-License-Identifier: LGPL-2.1-or-later
/* Frame layouts, layout constraints, fourcc names, format validation. */
#include <errno.h>
#include <string.h>

#include <linux/videodev2.h>

#include <zcap/format.h>

#include "tap.h"

static struct zcap_format fmt(uint32_t fourcc, uint32_t w, uint32_t h)
{
	struct zcap_format f = { .fourcc = fourcc, .width = w, .height = h };

	return f;
}

static bool plane_is(const struct zcap_format *f, uint32_t p, uint32_t mem,
		     uint32_t stride, uint32_t lines, uint64_t offset)
{
	const struct zcap_plane_layout *pl = &f->planes[p];
	bool good = pl->mem == mem && pl->stride == stride && pl->lines == lines &&
		    pl->offset == offset && pl->size == (uint64_t)stride * lines;

	if (!good)
		tap_diag("plane %u: mem %u stride %u lines %u offset %llu size %llu",
			 p, pl->mem, pl->stride, pl->lines,
			 (unsigned long long)pl->offset, (unsigned long long)pl->size);
	return good;
}

static void test_fourcc(void)
{
	char buf[5];
	uint32_t fcc = 0;

	ok(!strcmp(zcap_fourcc_str(V4L2_PIX_FMT_YUYV, buf), "YUYV"), "fourcc_str YUYV");
	ok(!strcmp(zcap_fourcc_str(V4L2_PIX_FMT_NV12M, buf), "NM12"), "fourcc_str NM12");
	ok(!strcmp(zcap_fourcc_str(0x01020304, buf), "????"), "unprintable bytes show as ?");
	ok(!strcmp(zcap_fourcc_str(V4L2_PIX_FMT_YUYV | (1u << 31), buf), "YUYV"),
	   "V4L2's big-endian bit is not part of the name");
	is(zcap_fourcc_parse("NV12", &fcc), 0, "parse NV12");
	is(fcc, V4L2_PIX_FMT_NV12, "parse NV12 gives V4L2_PIX_FMT_NV12");
	is(zcap_fourcc_parse("Y16", &fcc), 0, "parse a 3-letter name");
	is(fcc, V4L2_PIX_FMT_Y16, "\"Y16\" is V4L2's \"Y16 \"");
	is(zcap_fourcc_parse("", &fcc), -EINVAL, "parse \"\" -> -EINVAL");
	is(zcap_fourcc_parse("NV122", &fcc), -EINVAL, "parse 5 letters -> -EINVAL");
	is(zcap_fourcc_parse("N V", &fcc), -EINVAL, "parse with a space inside -> -EINVAL");
	is(zcap_fourcc_parse(NULL, &fcc), -EINVAL, "parse NULL -> -EINVAL");
	is(zcap_fourcc_parse("NV12", NULL), -EINVAL, "parse into NULL -> -EINVAL");
}

static void test_layouts(void)
{
	struct zcap_format f;
	struct zcap_layout_constraints c;

	f = fmt(V4L2_PIX_FMT_YUYV, 640, 480);
	is(zcap_format_layout(&f, NULL), 0, "YUYV 640x480 lays out");
	ok(f.n_planes == 1 && f.n_mem == 1 && plane_is(&f, 0, 0, 1280, 480, 0) &&
	   f.mem_size[0] == 614400 && f.mem_size[1] == 0,
	   "YUYV: one plane, stride 1280, 614400 bytes");
	is(zcap_format_validate(&f), 0, "YUYV layout validates");

	f = fmt(V4L2_PIX_FMT_YUYV, 641, 3);
	zcap_format_layout(&f, NULL);
	is(f.planes[0].stride, 1284, "YUYV odd width rounds to the macropixel (642 * 2)");

	f = fmt(V4L2_PIX_FMT_YUYV, 1000, 100);
	c = (struct zcap_layout_constraints){ .stride_align = 256, .height_align = 16 };
	zcap_format_layout(&f, &c);
	ok(plane_is(&f, 0, 0, 2048, 112, 0) && f.mem_size[0] == 2048 * 112,
	   "YUYV stride_align 256, height_align 16: stride 2048, 112 lines");
	ok(zcap_format_meets(&f, &c), "and it meets the constraints");

	f = fmt(V4L2_PIX_FMT_NV12, 1920, 1080);
	is(zcap_format_layout(&f, NULL), 0, "NV12 1920x1080 lays out");
	ok(f.n_planes == 2 && f.n_mem == 1 && plane_is(&f, 0, 0, 1920, 1080, 0) &&
	   plane_is(&f, 1, 0, 1920, 540, 1920 * 1080) && f.mem_size[0] == 3110400,
	   "NV12: Y then UV in block 0, 3110400 bytes (V4L2's sizeimage)");
	c = (struct zcap_layout_constraints){ .height_align = 16 };
	ok(!zcap_format_meets(&f, &c), "1080 lines do not meet height_align 16");
	zcap_format_layout(&f, &c);
	ok(plane_is(&f, 0, 0, 1920, 1088, 0) && plane_is(&f, 1, 0, 1920, 544, 1920 * 1088) &&
	   f.mem_size[0] == 1920 * 1088 * 3 / 2,
	   "NV12 height_align 16: 1088 + 544 lines, UV after the padded Y");
	ok(zcap_format_meets(&f, &c), "the padded layout meets height_align 16");
	is(zcap_format_validate(&f), 0, "padded NV12 validates");

	f = fmt(V4L2_PIX_FMT_NV12, 600, 400);
	c = (struct zcap_layout_constraints){ .offset_align = 4096 };
	zcap_format_layout(&f, &c);
	ok(plane_is(&f, 1, 0, 600, 200, 241664) && f.mem_size[0] == 241664 + 120000,
	   "NV12 offset_align 4096: UV at 241664 (240000 rounded up)");
	ok(zcap_format_meets(&f, &c), "and meets offset_align");

	f = fmt(V4L2_PIX_FMT_NV12M, 1920, 1080);
	is(zcap_format_layout(&f, NULL), 0, "NV12M lays out");
	ok(f.n_planes == 2 && f.n_mem == 2 && plane_is(&f, 0, 0, 1920, 1080, 0) &&
	   plane_is(&f, 1, 1, 1920, 540, 0) && f.mem_size[0] == 2073600 &&
	   f.mem_size[1] == 1036800,
	   "NV12M: each plane in its own block at offset 0");
	is(zcap_format_validate(&f), 0, "NV12M validates");

	f = fmt(V4L2_PIX_FMT_YUV420, 640, 480);
	is(zcap_format_layout(&f, NULL), 0, "YUV420 lays out");
	ok(f.n_planes == 3 && f.n_mem == 1 && plane_is(&f, 0, 0, 640, 480, 0) &&
	   plane_is(&f, 1, 0, 320, 240, 307200) && plane_is(&f, 2, 0, 320, 240, 384000) &&
	   f.mem_size[0] == 460800,
	   "YUV420: Y, U, V; chroma stride half the luma's (V4L2)");
	f = fmt(V4L2_PIX_FMT_YUV420, 600, 100);
	c = (struct zcap_layout_constraints){ .stride_align = 64 };
	zcap_format_layout(&f, &c);
	ok(plane_is(&f, 0, 0, 640, 100, 0) && plane_is(&f, 1, 0, 320, 50, 64000) &&
	   zcap_format_meets(&f, &c),
	   "YUV420 stride_align 64: luma 640 so that chroma 320 is aligned too");

	f = fmt(V4L2_PIX_FMT_RGB24, 1366, 768);
	is(zcap_format_layout(&f, NULL), 0, "RGB24 lays out");
	ok(plane_is(&f, 0, 0, 4098, 768, 0), "RGB24: 3 bytes per pixel");
	c = (struct zcap_layout_constraints){ .stride_align = 64, .height_align = 32 };
	zcap_format_layout(&f, &c);
	ok(plane_is(&f, 0, 0, 4160, 768, 0), "RGB24 stride_align 64: 4160");

	f = fmt(V4L2_PIX_FMT_YUV420M, 64, 64);
	zcap_format_layout(&f, NULL);
	ok(f.n_mem == 3 && plane_is(&f, 2, 2, 32, 32, 0) && f.mem_size[2] == 1024,
	   "YUV420M: three blocks");
}

static void test_errors(void)
{
	struct zcap_format f = fmt(V4L2_PIX_FMT_NV12, 0, 480);
	struct zcap_layout_constraints c = { .reserved = 1 };

	is(zcap_format_layout(&f, NULL), -EINVAL, "width 0 -> -EINVAL");
	f = fmt(V4L2_PIX_FMT_NV12, 640, 0);
	is(zcap_format_layout(&f, NULL), -EINVAL, "height 0 -> -EINVAL");
	f = fmt(V4L2_PIX_FMT_NV12, 1u << 20, 16);
	is(zcap_format_layout(&f, NULL), -EINVAL, "width 2^20 -> -EINVAL");
	f = fmt(V4L2_PIX_FMT_NV12, 64, 64);
	is(zcap_format_layout(&f, &c), -EINVAL, "reserved constraint field -> -EINVAL");
	c = (struct zcap_layout_constraints){ .offset_align = 48 };
	is(zcap_format_layout(&f, &c), -EINVAL, "offset_align not a power of two -> -EINVAL");
	is(zcap_format_layout(NULL, NULL), -EINVAL, "NULL format -> -EINVAL");
	f = fmt(V4L2_PIX_FMT_MJPEG, 640, 480);
	is(zcap_format_layout(&f, NULL), -ENOTSUP, "MJPEG (compressed) -> -ENOTSUP");
	ok(zcap_format_meets(&f, NULL), "meets(NULL constraints) is true");
	ok(!zcap_format_meets(NULL, &c), "meets(NULL format) is false");
}

static void test_validate(void)
{
	struct zcap_format good = fmt(V4L2_PIX_FMT_NV12, 64, 64), f;

	zcap_format_layout(&good, NULL);
	is(zcap_format_validate(&good), 0, "a computed layout validates");
	is(zcap_format_validate(NULL), -EINVAL, "NULL -> -EINVAL");

	f = good;
	f.planes[0].stride = 32;
	f.planes[0].size = 32 * 64;
	is(zcap_format_validate(&f), -EINVAL, "stride below the width's bytes -> -EINVAL");
	f = good;
	f.planes[1].offset = 100;
	is(zcap_format_validate(&f), -EINVAL, "overlapping planes -> -EINVAL");
	f = good;
	f.planes[1].mem = 1;
	is(zcap_format_validate(&f), -EINVAL, "plane in a block that is not there -> -EINVAL");
	f = good;
	f.mem_size[0] -= 1;
	is(zcap_format_validate(&f), -EINVAL, "plane past the end of its block -> -EINVAL");
	f = good;
	f.n_mem = 3;
	is(zcap_format_validate(&f), -EINVAL, "n_mem > n_planes -> -EINVAL");
	f = good;
	f.n_planes = 1;
	is(zcap_format_validate(&f), -EINVAL, "NV12 with one plane -> -EINVAL");
	f = good;
	f.flags = 1u << 31;
	is(zcap_format_validate(&f), -EINVAL, "an unknown format flag -> -EINVAL");
	f = good;
	f.flags = ZCAP_FORMAT_COMPRESSED;
	is(zcap_format_validate(&f), 0, "ZCAP_FORMAT_COMPRESSED is a known flag");
	f = good;
	f.interval_num = 1;
	is(zcap_format_validate(&f), -EINVAL, "half a frame interval -> -EINVAL");
	f = good;
	f.planes[1].size = 10;
	is(zcap_format_validate(&f), -EINVAL, "plane size below stride * lines -> -EINVAL");
	f = good;
	f.planes[1].lines = 16;
	f.planes[1].size = 64 * 16;
	is(zcap_format_validate(&f), -EINVAL, "too few chroma lines -> -EINVAL");
	f = fmt(ZCAP_FOURCC('Z', 'Z', 'Z', 'Z'), 10, 10);
	f.n_planes = 1;
	f.n_mem = 1;
	f.planes[0] = (struct zcap_plane_layout){ .stride = 10, .lines = 10, .size = 100 };
	f.mem_size[0] = 100;
	is(zcap_format_validate(&f), 0, "an unknown fourcc with a sane layout validates");
}

int main(void)
{
	test_fourcc();
	test_layouts();
	test_errors();
	test_validate();
	return tap_done();
}
