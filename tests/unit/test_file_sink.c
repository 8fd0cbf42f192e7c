// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The file sink and zcap_sample_write(): a compressed frame (MJPEG from a
 * USB camera fills ~19 KB of a 600 KB buffer) is written as exactly the
 * bytes the driver used, from its data offset, one frame after the other;
 * a raw frame as its visible lines, as before. The null sink counts the
 * same bytes. Pins are wired by hand: no allocator negotiation is needed
 * to move samples.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <zcap/zcap.h>

#include "fake_v4l2.h"
#include "helpers.h"
#include "tap.h"
#include "v4l2/v4l2_fmt.h"

#define W 640
#define H 480
#define SIZEIMAGE (W * H * 2)
#define JPEG_LEN 19000

struct rig {
	struct zcap_allocator *a;
	struct zcap_filter *src, *sink;
	struct zcap_pin *out, *in;
	char path[64];
	int fd;
};

static void rig_init(struct rig *r, bool null_sink)
{
	struct zcap_alloc_props p = props_1(2, SIZEIMAGE);
	struct zcap_file_sink_config fc = { .fd = -1 };

	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "/tmp/zcap-test-fs.XXXXXX");
	r->fd = mkstemp(r->path);
	fc.fd = r->fd;
	zcap_allocator_new_memory(&r->a);
	zcap_allocator_set_properties(r->a, &p, NULL);
	zcap_allocator_commit(r->a);
	zcap_filter_new("src", NULL, NULL, &r->src);
	zcap_pin_new_output(r->src, "out", NULL, NULL, &r->out);
	if (null_sink)
		zcap_null_sink_new(NULL, &r->sink);
	else
		zcap_file_sink_new(&fc, &r->sink);
	r->in = zcap_filter_pin(r->sink, ZCAP_PIN_INPUT, 0);
	r->out->peer = r->in;
	r->in->peer = r->out;
	zcap_filter_run(r->sink);
}

static void rig_fini(struct rig *r)
{
	zcap_filter_destroy(r->sink);
	zcap_filter_destroy(r->src);
	zcap_allocator_decommit(r->a);
	zcap_allocator_unref(r->a);
	close(r->fd);
	unlink(r->path);
}

/* What the V4L2 source makes of G_FMT for @fourcc. */
static struct zcap_format v4l2_format(uint32_t fourcc, uint32_t bpl)
{
	struct v4l2_format vf = fake_pix(fourcc, W, H, bpl, SIZEIMAGE);
	struct zcap_format f;

	zcapi_fmt_from_v4l2(&vf, false, &f);
	return f;
}

/*
 * A frame as a driver fills it: @doff bytes it skipped, then a "JPEG"
 * (SOI, a counter, EOI) of @len bytes, then stale bytes up to the end.
 */
static struct zcap_sample *frame(struct rig *r, const struct zcap_format *f,
				 uint32_t doff, uint32_t len, uint8_t seed)
{
	struct zcap_format sf = *f;
	struct zcap_sample *s;
	uint8_t *d;

	if (zcap_allocator_get_buffer(r->a, 0, &s))
		return NULL;
	zcap_sample_cpu_begin(s, ZCAP_ACCESS_WRITE);
	d = zcap_sample_data(s, 0);
	memset(d, 0xee, SIZEIMAGE);
	for (uint32_t i = 0; i < len; i++)
		d[doff + i] = (uint8_t)(seed + i * 7);
	d[doff] = 0xff;
	d[doff + 1] = 0xd8;
	d[doff + len - 2] = 0xff;
	d[doff + len - 1] = 0xd9;
	zcap_sample_cpu_end(s);
	/* As the V4L2 source's fill_sample() does. */
	zcapi_fmt_add_data_offset(&sf, 0, doff);
	if (zcap_sample_set_format(s, &sf))
		tap_diag("the frame's layout was refused");
	zcap_sample_set_bytesused(s, 0, doff + len);
	return s;
}

/* Does the file hold @len bytes at @at like frame() wrote them? */
static bool file_has(int fd, off_t at, uint32_t len, uint8_t seed)
{
	uint8_t *b = malloc(len);
	bool good = b && pread(fd, b, len, at) == (ssize_t)len &&
		    b[0] == 0xff && b[1] == 0xd8 && b[len - 2] == 0xff &&
		    b[len - 1] == 0xd9;

	for (uint32_t i = 2; good && i < len - 2; i++)
		good = b[i] == (uint8_t)(seed + i * 7);
	free(b);
	return good;
}

static off_t file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : st.st_size;
}

static void test_mjpeg_file(void)
{
	struct zcap_format f = v4l2_format(V4L2_PIX_FMT_MJPEG, 0);
	struct zcap_filter_stats st;
	struct zcap_sample *s;
	struct rig r;

	rig_init(&r, false);
	s = frame(&r, &f, 0, JPEG_LEN, 1);
	is(zcap_pin_receive(r.in, s), 0, "the file sink takes an MJPEG frame");
	zcap_sample_unref(s);
	s = frame(&r, &f, 0, JPEG_LEN - 1000, 2);
	zcap_pin_receive(r.in, s);
	zcap_sample_unref(s);
	is(file_size(r.fd), 2 * JPEG_LEN - 1000,
	   "the file is the two JPEGs' bytes used, not two %u-byte buffers", SIZEIMAGE);
	ok(file_has(r.fd, 0, JPEG_LEN, 1) &&
	   file_has(r.fd, JPEG_LEN, JPEG_LEN - 1000, 2),
	   "each JPEG from SOI to EOI, one after the other");
	zcap_filter_get_stats(r.sink, &st);
	ok(st.frames == 2 && st.bytes == 2 * JPEG_LEN - 1000,
	   "and the sink counts 2 frames of those bytes");
	rig_fini(&r);
}

static void test_data_offset(void)
{
	struct zcap_format f = v4l2_format(V4L2_PIX_FMT_MJPEG, 0);
	struct zcap_sample *s;
	uint64_t written = 0;
	struct rig r;

	rig_init(&r, false);
	s = frame(&r, &f, 128, JPEG_LEN, 3);
	ok(zcap_sample_format(s)->n_planes == 1 &&
	   zcap_sample_format(s)->planes[0].offset == 128,
	   "a compressed frame's layout takes a data offset into a full block");
	is(zcap_sample_write(s, NULL, r.fd, 1u << 5, &written, NULL), -EINVAL,
	   "zcap_sample_write with a flag it does not know: EINVAL");
	ok(file_size(r.fd) == 0, "and nothing written");
	is(zcap_sample_write(s, NULL, r.fd, 0, &written, NULL), 0,
	   "zcap_sample_write of a frame 128 bytes into its buffer");
	is(written, JPEG_LEN, "writes bytesused less the data offset");
	ok(file_size(r.fd) == JPEG_LEN && file_has(r.fd, 0, JPEG_LEN, 3),
	   "and starts at the data offset");
	zcap_sample_unref(s);
	rig_fini(&r);
}

/* A raw frame keeps today's behaviour: its visible lines, all of them. */
static void test_raw_unchanged(void)
{
	struct zcap_format f = v4l2_format(V4L2_PIX_FMT_YUYV, W * 2);
	struct zcap_sample *s;
	uint64_t written = 0;
	struct rig r;

	rig_init(&r, false);
	s = frame(&r, &f, 0, 100, 4);
	zcap_sample_write(s, NULL, r.fd, 0, &written, NULL);
	ok(written == SIZEIMAGE && file_size(r.fd) == SIZEIMAGE,
	   "YUYV: the whole frame, whatever bytesused says");
	zcap_sample_unref(s);
	rig_fini(&r);
}

/*
 * A layout the caller gives zcap_sample_write() is checked before any
 * byte is read: one with more planes than a format has, one whose lines
 * reach past the block only once (lines - 1) * stride is counted past
 * 32 bits. Both -EINVAL, nothing written.
 */
static void test_bad_layouts(void)
{
	struct zcap_format f = v4l2_format(V4L2_PIX_FMT_YUYV, W * 2);
	struct zcap_format many, wraps;
	struct zcap_sample *s;
	uint64_t written = 7;
	struct rig r;

	rig_init(&r, false);
	s = frame(&r, &f, 0, 100, 5);
	many = *zcap_sample_format(s);
	many.n_planes = ZCAP_MAX_PLANES + 1;
	is(zcap_sample_write(s, &many, r.fd, 0, &written, NULL), -EINVAL,
	   "a layout of %u planes: EINVAL", ZCAP_MAX_PLANES + 1);
	/* GREY, one byte a pixel: 65536-byte lines, 65537 of them. */
	wraps = *zcap_sample_format(s);
	wraps.fourcc = V4L2_PIX_FMT_GREY;
	wraps.width = 65536;
	wraps.height = 1;
	wraps.planes[0].stride = 65536;
	wraps.planes[0].lines = 65537;
	wraps.planes[0].size = 65536ull * 65537;
	wraps.mem_size[0] = wraps.planes[0].size;
	/* Raw: every line of the plane, its padding too. */
	is(zcap_sample_write(s, &wraps, r.fd, ZCAP_FILE_SINK_RAW, &written, NULL), -EINVAL,
	   "a plane that ends 2^32 bytes on, counted in 64 bits: EINVAL");
	ok(written == 0 && file_size(r.fd) == 0, "nothing written");
	zcap_sample_unref(s);
	rig_fini(&r);
}

static void test_null_sink_bytes(void)
{
	struct zcap_format f = v4l2_format(V4L2_PIX_FMT_MJPEG, 0);
	struct zcap_filter_stats st;
	struct zcap_sample *s;
	struct rig r;

	rig_init(&r, true);
	s = frame(&r, &f, 128, JPEG_LEN, 5);
	zcap_pin_receive(r.in, s);
	zcap_sample_unref(s);
	zcap_filter_get_stats(r.sink, &st);
	ok(st.frames == 1 && st.bytes == JPEG_LEN,
	   "the null sink counts the JPEG's bytes, not its data offset");
	rig_fini(&r);
}

int main(void)
{
	test_mjpeg_file();
	test_data_offset();
	test_raw_unchanged();
	test_bad_layouts();
	test_null_sink_bytes();
	return tap_done();
}
