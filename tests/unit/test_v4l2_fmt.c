// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The V4L2 format table: a driver's G_FMT answer as a zcap_format. A
 * bitstream (MJPEG from a USB camera, H.264, an unknown format without
 * lines, one the driver flags compressed) must come out flagged
 * ZCAP_FORMAT_COMPRESSED, so that writers take its bytes used rather than
 * its whole buffer; raw formats keep their lines.
 */
#include <string.h>

#include <linux/videodev2.h>

#include <zcap/format.h>

#include "fake_v4l2.h"
#include "tap.h"
#include "v4l2/v4l2_fmt.h"

static bool compressed(const struct zcap_format *f)
{
	return f->flags & ZCAP_FORMAT_COMPRESSED;
}

/* One plane per block, covering the block: what a bitstream may fill. */
static bool whole_block(const struct zcap_format *f, uint64_t size)
{
	return f->n_planes == 1 && f->n_mem == 1 && f->planes[0].offset == 0 &&
	       f->planes[0].size == size && f->mem_size[0] == size &&
	       zcap_format_validate(f) == 0;
}

static void test_mjpeg(void)
{
	struct v4l2_format vf = fake_pix(V4L2_PIX_FMT_MJPEG, 640, 480, 0, 614400);
	struct zcap_format f;

	/* What uvcvideo answers for MJPEG: no bytesperline. */
	is(zcapi_fmt_from_v4l2(&vf, false, &f), 0, "MJPEG 640x480 (uvcvideo) converts");
	ok(compressed(&f), "MJPEG is flagged compressed: its frames are bytes used");
	ok(whole_block(&f, 614400), "one plane of sizeimage bytes that validates");

	vf = fake_pix(V4L2_PIX_FMT_MJPEG, 640, 480, 1280, 614400);
	zcapi_fmt_from_v4l2(&vf, false, &f);
	ok(compressed(&f) && whole_block(&f, 614400) && f.planes[0].lines == 1,
	   "MJPEG with a bytesperline is still one compressed block, not 480 lines");

	vf = fake_pix(V4L2_PIX_FMT_JPEG, 320, 240, 0, 153600);
	zcapi_fmt_from_v4l2(&vf, false, &f);
	ok(compressed(&f), "JPEG is compressed");
	ok(zcapi_fmt_is_compressed(V4L2_PIX_FMT_H264) &&
	   zcapi_fmt_is_compressed(V4L2_PIX_FMT_FWHT) &&
	   zcapi_fmt_is_compressed(V4L2_PIX_FMT_HEVC),
	   "H264, FWHT and HEVC are in the table of bitstreams");
	ok(!zcapi_fmt_is_compressed(V4L2_PIX_FMT_YUYV), "YUYV is not");
}

static void test_flagged_and_unknown(void)
{
	uint32_t zzzz = ZCAP_FOURCC('Z', 'Z', 'Z', 'Z');
	struct v4l2_format vf = fake_pix(zzzz, 640, 480, 0, 100000);
	struct zcap_format f;

	zcapi_fmt_from_v4l2(&vf, false, &f);
	ok(compressed(&f) && whole_block(&f, 100000),
	   "an unknown fourcc without bytesperline is a compressed block");

	vf = fake_pix(zzzz, 640, 480, 1280, 614400);
	zcapi_fmt_from_v4l2(&vf, false, &f);
	ok(!compressed(&f) && f.planes[0].stride == 1280 && f.planes[0].lines == 480,
	   "an unknown fourcc with bytesperline keeps its lines (raw, as before)");

	zcapi_fmt_from_v4l2(&vf, true, &f);
	ok(compressed(&f) && whole_block(&f, 614400),
	   "the same with the driver's V4L2_FMT_FLAG_COMPRESSED is a compressed block");
}

static void test_mplane_h264(void)
{
	struct v4l2_format vf;
	struct zcap_format f;

	memset(&vf, 0, sizeof(vf));
	vf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	vf.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_H264;
	vf.fmt.pix_mp.width = 1920;
	vf.fmt.pix_mp.height = 1080;
	vf.fmt.pix_mp.num_planes = 1;
	vf.fmt.pix_mp.plane_fmt[0].sizeimage = 1 << 20;
	is(zcapi_fmt_from_v4l2(&vf, false, &f), 0, "H264 multi-planar converts");
	ok(compressed(&f) && whole_block(&f, 1 << 20), "and is one compressed block");
}

static void test_raw(void)
{
	struct v4l2_format vf = fake_pix(V4L2_PIX_FMT_YUYV, 640, 480, 1280, 614400);
	struct zcap_format f;

	zcapi_fmt_from_v4l2(&vf, false, &f);
	ok(!compressed(&f) && f.planes[0].stride == 1280 && f.planes[0].lines == 480,
	   "YUYV: raw, 480 lines of 1280 bytes");
	is(zcapi_fmt_visible_bytes(&f, 0), 1280, "YUYV: every byte of a line is visible");
}

int main(void)
{
	test_mjpeg();
	test_flagged_and_unknown();
	test_mplane_h264();
	test_raw();
	return tap_done();
}
