// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * zcapsrc's caps of a device (lib/gst/src_caps.c), on the host: a fake
 * camera whose every format gives stepwise sizes and intervals, as
 * drivers give them. A stepwise range of one size or one interval is one
 * value (GStreamer has no range of one: it printed a CRITICAL and left
 * the field out), a minimum of 0 is no size, and the step is kept where
 * GStreamer can say it.
 */
#include <sys/mman.h>

#define FAKE_V4L2_SHIM
#include "fake_v4l2.h"

#include <gst/gst.h>

#include "gst/gstzcap.h"
#include "tap.h"

/* A format's stepwise sizes and intervals (0/0: interval any). */
struct fake_fmt {
	uint32_t fourcc;
	struct v4l2_frmsize_stepwise size;
	struct v4l2_frmival_stepwise ival;
};

static const struct fake_fmt fmts[] = {
	/* One size and one rate, given as ranges: 640x480 at 30 fps. */
	{ V4L2_PIX_FMT_YUYV, { 640, 640, 8, 480, 480, 8 }, { { 1, 30 }, { 1, 30 }, { 1, 1 } } },
	/* A sensor's grid: 16 to 1920 by 16, 16 to 1080 by 8; 1 to 60 fps. */
	{ V4L2_PIX_FMT_NV12, { 16, 1920, 16, 16, 1080, 8 }, { { 1, 60 }, { 1, 1 }, { 1, 60 } } },
	/* Minimums of 0, no interval: any size from 1 (heights from 2), any rate. */
	{ V4L2_PIX_FMT_GREY, { 0, 1280, 1, 0, 720, 2 }, { { 0, 0 }, { 0, 0 }, { 0, 0 } } },
	/* From 33 by 16: no multiples of 16, the plain range to the last step, 1905. */
	{ V4L2_PIX_FMT_RGB24, { 33, 1920, 16, 480, 481, 2 }, { { 1, 25 }, { 1, 25 }, { 0, 0 } } },
};

static int fake_enum_fmt(struct v4l2_fmtdesc *d)
{
	if (d->index >= G_N_ELEMENTS(fmts))
		return fake_fail(EINVAL);
	d->pixelformat = fmts[d->index].fourcc;
	return 0;
}

static const struct fake_fmt *fmt_of(uint32_t fourcc)
{
	for (guint i = 0; i < G_N_ELEMENTS(fmts); i++)
		if (fmts[i].fourcc == fourcc)
			return &fmts[i];
	return NULL;
}

static int fake_ioctl(unsigned long req, void *arg)
{
	struct v4l2_frmsizeenum *fs = arg;
	struct v4l2_frmivalenum *fi = arg;
	const struct fake_fmt *f;

	switch (req) {
	case VIDIOC_QUERYCAP:
		return fake_querycap_camera(arg);
	case VIDIOC_ENUM_FMT:
		return fake_enum_fmt(arg);
	case VIDIOC_ENUM_FRAMESIZES:
		f = fmt_of(fs->pixel_format);
		if (!f || fs->index)
			return fake_fail(EINVAL);
		fs->type = V4L2_FRMSIZE_TYPE_STEPWISE;
		fs->stepwise = f->size;
		return 0;
	case VIDIOC_ENUM_FRAMEINTERVALS:
		f = fmt_of(fi->pixel_format);
		if (!f || fi->index)
			return fake_fail(EINVAL);
		fi->type = V4L2_FRMIVAL_TYPE_STEPWISE;
		fi->stepwise = f->ival;
		return 0;
	default:	/* TRY_FMT: no colorimetry */
		return fake_fail(EINVAL);
	}
}

static short fake_revents(short events)
{
	(void)events;
	return 0;
}

/* CRITICALs and WARNINGs logged: a range GStreamer refused. */
static int complaints;

static void count_complaints(const gchar *domain, GLogLevelFlags level,
			     const gchar *msg, gpointer data)
{
	(void)data;
	if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) {
		complaints++;
		tap_diag("%s: %s", domain ? domain : "", msg);
	}
}

static const GstStructure *structure_of(GstCaps *caps, const char *format)
{
	for (guint i = 0; i < gst_caps_get_size(caps); i++) {
		const GstStructure *st = gst_caps_get_structure(caps, i);

		if (!g_strcmp0(gst_structure_get_string(st, "format"), format))
			return st;
	}
	return NULL;
}

/* @field of @st is the int range @min to @max by @step. */
static gboolean is_range(const GstStructure *st, const char *field, gint min,
			 gint max, gint step)
{
	const GValue *v = st ? gst_structure_get_value(st, field) : NULL;

	return v && GST_VALUE_HOLDS_INT_RANGE(v) && gst_value_get_int_range_min(v) == min &&
	       gst_value_get_int_range_max(v) == max &&
	       gst_value_get_int_range_step(v) == step;
}

/* @field of @st is the fraction range @a/@b to @c/@d. */
static gboolean is_rates(const GstStructure *st, gint a, gint b, gint c, gint d)
{
	const GValue *v = st ? gst_structure_get_value(st, "framerate") : NULL;
	const GValue *lo, *hi;

	if (!v || !GST_VALUE_HOLDS_FRACTION_RANGE(v))
		return FALSE;
	lo = gst_value_get_fraction_range_min(v);
	hi = gst_value_get_fraction_range_max(v);
	return gst_value_get_fraction_numerator(lo) == a &&
	       gst_value_get_fraction_denominator(lo) == b &&
	       gst_value_get_fraction_numerator(hi) == c &&
	       gst_value_get_fraction_denominator(hi) == d;
}

static void check_caps(GstCaps *caps)
{
	const GstStructure *st = structure_of(caps, "YUY2");
	gint w = 0, h = 0, n = 0, d = 0;
	gchar *str = gst_caps_to_string(caps);
	gboolean got;

	tap_diag("%s", str);
	g_free(str);
	got = st && gst_structure_get_int(st, "width", &w) &&
	      gst_structure_get_int(st, "height", &h);
	ok(got && w == 640 && h == 480,
	   "YUY2: sizes 640 to 640, 480 to 480 are 640x480, two ints (%dx%d)", w, h);
	got = st && gst_structure_get_fraction(st, "framerate", &n, &d);
	ok(got && n == 30 && d == 1,
	   "YUY2: intervals 1/30 to 1/30 are 30/1, a fraction (%d/%d)", n, d);
	st = structure_of(caps, "NV12");
	ok(is_range(st, "width", 16, 1920, 16) && is_range(st, "height", 16, 1080, 8),
	   "NV12: [16, 1920, 16] x [16, 1080, 8]: the steps kept");
	ok(is_rates(st, 1, 1, 60, 1), "NV12: intervals 1/60 to 1 are rates 1/1 to 60/1");
	st = structure_of(caps, "GRAY8");
	ok(is_range(st, "width", 1, 1280, 1) && is_range(st, "height", 2, 720, 2),
	   "GRAY8: minimums of 0 are the first step: [1, 1280] x [2, 720, 2]");
	ok(is_rates(st, 0, 1, G_MAXINT, 1), "GRAY8: zero intervals are any rate");
	st = structure_of(caps, "RGB");
	ok(is_range(st, "width", 33, 1905, 1),
	   "RGB: 33 to 1920 by 16 is the plain range to the last step, 33 to 1905");
	h = 0;
	got = st && gst_structure_get_int(st, "height", &h);
	ok(got && h == 480, "RGB: 480 to 481 by 2 is one height, 480 (%d)", h);
}

int main(void)
{
	int fd = memfd_create("fake-camera", MFD_CLOEXEC);
	struct zcap_gst_probe p;
	GError *err = NULL;
	struct stat st;
	gchar *path;

	gst_init(NULL, NULL);
	g_log_set_default_handler(count_complaints, NULL);
	if (!ok(fd >= 0 && !fstat(fd, &st), "a memfd for the fake camera"))
		return tap_done();
	fake_dev.ino = st.st_ino;
	path = g_strdup_printf("/proc/self/fd/%d", fd);
	if (ok(zcap_gst_probe(path, &p, &err), "probed: %s", err ? err->message : "")) {
		check_caps(p.caps);
		zcap_gst_probe_clear(&p);
	}
	is(complaints, 0, "no CRITICAL or WARNING from GStreamer");
	g_clear_error(&err);
	g_free(path);
	close(fd);
	return tap_done();
}
