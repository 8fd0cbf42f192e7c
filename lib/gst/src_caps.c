// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * zcapsrc's caps: what a V4L2 capture device offers (VIDIOC_ENUM_FMT,
 * _FRAMESIZES, _FRAMEINTERVALS) as GStreamer caps, and back from fixed
 * caps to the fourcc, size and rate to ask the device for.
 *
 * V4L2's multi-memory fourccs (NV12M: each plane a dma-buf of its own)
 * map to the same GStreamer format as their single-memory twins: a
 * GstBuffer of several memories with a GstVideoMeta says the same thing.
 * Where a device has both, the first it lists wins.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "gstzcap.h"

struct fmt_map {
	uint32_t fourcc;
	GstVideoFormat gst;	/* UNKNOWN: image/jpeg */
};

static const struct fmt_map fmt_maps[] = {
	{ V4L2_PIX_FMT_YUYV, GST_VIDEO_FORMAT_YUY2 },
	{ V4L2_PIX_FMT_UYVY, GST_VIDEO_FORMAT_UYVY },
	{ V4L2_PIX_FMT_YVYU, GST_VIDEO_FORMAT_YVYU },
	{ V4L2_PIX_FMT_VYUY, GST_VIDEO_FORMAT_VYUY },
	{ V4L2_PIX_FMT_NV12, GST_VIDEO_FORMAT_NV12 },
	{ V4L2_PIX_FMT_NV12M, GST_VIDEO_FORMAT_NV12 },
	{ V4L2_PIX_FMT_NV21, GST_VIDEO_FORMAT_NV21 },
	{ V4L2_PIX_FMT_NV21M, GST_VIDEO_FORMAT_NV21 },
	{ V4L2_PIX_FMT_NV16, GST_VIDEO_FORMAT_NV16 },
	{ V4L2_PIX_FMT_NV16M, GST_VIDEO_FORMAT_NV16 },
	{ V4L2_PIX_FMT_NV61, GST_VIDEO_FORMAT_NV61 },
	{ V4L2_PIX_FMT_NV61M, GST_VIDEO_FORMAT_NV61 },
	{ V4L2_PIX_FMT_YUV420, GST_VIDEO_FORMAT_I420 },
	{ V4L2_PIX_FMT_YUV420M, GST_VIDEO_FORMAT_I420 },
	{ V4L2_PIX_FMT_YVU420, GST_VIDEO_FORMAT_YV12 },
	{ V4L2_PIX_FMT_YVU420M, GST_VIDEO_FORMAT_YV12 },
	{ V4L2_PIX_FMT_YUV422P, GST_VIDEO_FORMAT_Y42B },
	{ V4L2_PIX_FMT_RGB24, GST_VIDEO_FORMAT_RGB },
	{ V4L2_PIX_FMT_BGR24, GST_VIDEO_FORMAT_BGR },
	{ V4L2_PIX_FMT_XBGR32, GST_VIDEO_FORMAT_BGRx },
	{ V4L2_PIX_FMT_ABGR32, GST_VIDEO_FORMAT_BGRA },
	{ V4L2_PIX_FMT_XRGB32, GST_VIDEO_FORMAT_xRGB },
	{ V4L2_PIX_FMT_ARGB32, GST_VIDEO_FORMAT_ARGB },
	{ V4L2_PIX_FMT_RGB565, GST_VIDEO_FORMAT_RGB16 },
	{ V4L2_PIX_FMT_GREY, GST_VIDEO_FORMAT_GRAY8 },
	{ V4L2_PIX_FMT_MJPEG, GST_VIDEO_FORMAT_UNKNOWN },
	{ V4L2_PIX_FMT_JPEG, GST_VIDEO_FORMAT_UNKNOWN },
};

static const struct fmt_map *fmt_map_of(uint32_t fourcc)
{
	for (guint i = 0; i < G_N_ELEMENTS(fmt_maps); i++)
		if (fmt_maps[i].fourcc == fourcc)
			return &fmt_maps[i];
	return NULL;
}

GstCaps *zcap_gst_template_caps(void)
{
	GstCaps *caps = gst_caps_new_empty();

	for (guint i = 0; i < G_N_ELEMENTS(fmt_maps); i++) {
		GstStructure *st;

		if (fmt_maps[i].gst == GST_VIDEO_FORMAT_UNKNOWN)
			st = gst_structure_new_empty("image/jpeg");
		else
			st = gst_structure_new("video/x-raw", "format", G_TYPE_STRING,
					       gst_video_format_to_string(fmt_maps[i].gst),
					       NULL);
		gst_structure_set(st, "width", GST_TYPE_INT_RANGE, 1, G_MAXINT,
				  "height", GST_TYPE_INT_RANGE, 1, G_MAXINT,
				  "framerate", GST_TYPE_FRACTION_RANGE, 0, 1,
				  G_MAXINT, 1, NULL);
		caps = gst_caps_merge_structure(caps, st);
	}
	return caps;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret;
}

/*
 * The rates of stepwise (or continuous) intervals: a rate is the inverse
 * of an interval, the longest interval the lowest rate. One rate when
 * the bounds meet: GStreamer has no range of one (a CRITICAL, and no
 * field). A zero or a figure past G_MAXINT says nothing: any rate.
 */
static void set_rate_range(GstStructure *st, const struct v4l2_frmival_stepwise *sw)
{
	const struct v4l2_fract *lo = &sw->max, *hi = &sw->min;
	gint cmp;

	if (!lo->numerator || !lo->denominator || !hi->numerator || !hi->denominator ||
	    MAX(MAX(lo->numerator, lo->denominator), MAX(hi->numerator, hi->denominator)) >
	    G_MAXINT) {
		gst_structure_set(st, "framerate", GST_TYPE_FRACTION_RANGE, 0, 1,
				  G_MAXINT, 1, NULL);
		return;
	}
	cmp = gst_util_fraction_compare(lo->denominator, lo->numerator,
					hi->denominator, hi->numerator);
	if (cmp > 0) {		/* min and max swapped: the same range */
		lo = &sw->min;
		hi = &sw->max;
	}
	if (!cmp)
		gst_structure_set(st, "framerate", GST_TYPE_FRACTION, lo->denominator,
				  lo->numerator, NULL);
	else
		gst_structure_set(st, "framerate", GST_TYPE_FRACTION_RANGE,
				  lo->denominator, lo->numerator, hi->denominator,
				  hi->numerator, NULL);
}

/* The rates of one size: a list of discrete ones, or a range. */
static void set_rates(int fd, uint32_t fourcc, guint w, guint h, GstStructure *st)
{
	struct v4l2_frmivalenum fi = { .pixel_format = fourcc, .width = w, .height = h };
	GValue list = G_VALUE_INIT, v = G_VALUE_INIT;

	g_value_init(&list, GST_TYPE_LIST);
	g_value_init(&v, GST_TYPE_FRACTION);
	for (; xioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &fi) == 0; fi.index++) {
		if (fi.type != V4L2_FRMIVAL_TYPE_DISCRETE) {
			set_rate_range(st, &fi.stepwise);
			goto out;
		}
		if (!fi.discrete.numerator)
			continue;
		gst_value_set_fraction(&v, fi.discrete.denominator, fi.discrete.numerator);
		gst_value_list_append_value(&list, &v);
	}
	if (gst_value_list_get_size(&list) == 1)
		gst_structure_set_value(st, "framerate", gst_value_list_get_value(&list, 0));
	else if (gst_value_list_get_size(&list) > 1)
		gst_structure_set_value(st, "framerate", &list);
	else	/* the driver does not say: any */
		gst_structure_set(st, "framerate", GST_TYPE_FRACTION_RANGE, 0, 1,
				  G_MAXINT, 1, NULL);
out:
	g_value_unset(&v);
	g_value_unset(&list);
}

/* V4L2's colorspace as GStreamer's primaries, matrix and transfer defaults. */
static gboolean colorspace_defaults(uint32_t cs, GstVideoColorimetry *c)
{
	static const struct {
		uint32_t cs;
		GstVideoColorPrimaries primaries;
		GstVideoColorMatrix matrix;
		GstVideoTransferFunction transfer;
	} map[] = {
		{ V4L2_COLORSPACE_SMPTE170M, GST_VIDEO_COLOR_PRIMARIES_SMPTE170M,
		  GST_VIDEO_COLOR_MATRIX_BT601, GST_VIDEO_TRANSFER_BT709 },
		{ V4L2_COLORSPACE_REC709, GST_VIDEO_COLOR_PRIMARIES_BT709,
		  GST_VIDEO_COLOR_MATRIX_BT709, GST_VIDEO_TRANSFER_BT709 },
		{ V4L2_COLORSPACE_SRGB, GST_VIDEO_COLOR_PRIMARIES_BT709,
		  GST_VIDEO_COLOR_MATRIX_BT601, GST_VIDEO_TRANSFER_SRGB },
		{ V4L2_COLORSPACE_JPEG, GST_VIDEO_COLOR_PRIMARIES_BT709,
		  GST_VIDEO_COLOR_MATRIX_BT601, GST_VIDEO_TRANSFER_SRGB },
		{ V4L2_COLORSPACE_OPRGB, GST_VIDEO_COLOR_PRIMARIES_ADOBERGB,
		  GST_VIDEO_COLOR_MATRIX_BT601, GST_VIDEO_TRANSFER_ADOBERGB },
		{ V4L2_COLORSPACE_BT2020, GST_VIDEO_COLOR_PRIMARIES_BT2020,
		  GST_VIDEO_COLOR_MATRIX_BT2020, GST_VIDEO_TRANSFER_BT2020_12 },
		{ V4L2_COLORSPACE_470_SYSTEM_M, GST_VIDEO_COLOR_PRIMARIES_BT470M,
		  GST_VIDEO_COLOR_MATRIX_BT601, GST_VIDEO_TRANSFER_BT709 },
		{ V4L2_COLORSPACE_470_SYSTEM_BG, GST_VIDEO_COLOR_PRIMARIES_BT470BG,
		  GST_VIDEO_COLOR_MATRIX_BT601, GST_VIDEO_TRANSFER_BT709 },
		{ V4L2_COLORSPACE_SMPTE240M, GST_VIDEO_COLOR_PRIMARIES_SMPTE240M,
		  GST_VIDEO_COLOR_MATRIX_SMPTE240M, GST_VIDEO_TRANSFER_SMPTE240M },
	};

	for (guint i = 0; i < G_N_ELEMENTS(map); i++) {
		if (map[i].cs != cs)
			continue;
		c->primaries = map[i].primaries;
		c->matrix = map[i].matrix;
		c->transfer = map[i].transfer;
		return TRUE;
	}
	return FALSE;	/* DEFAULT, RAW: the driver does not say */
}

/* What the driver says beyond its colorspace overrides the defaults. */
static void colorimetry_overrides(uint32_t enc, uint32_t xfer, GstVideoColorimetry *c)
{
	switch (enc) {
	case V4L2_YCBCR_ENC_601: c->matrix = GST_VIDEO_COLOR_MATRIX_BT601; break;
	case V4L2_YCBCR_ENC_709: c->matrix = GST_VIDEO_COLOR_MATRIX_BT709; break;
	case V4L2_YCBCR_ENC_BT2020: c->matrix = GST_VIDEO_COLOR_MATRIX_BT2020; break;
	case V4L2_YCBCR_ENC_SMPTE240M: c->matrix = GST_VIDEO_COLOR_MATRIX_SMPTE240M; break;
	default: break;
	}
	switch (xfer) {
	case V4L2_XFER_FUNC_709: c->transfer = GST_VIDEO_TRANSFER_BT709; break;
	case V4L2_XFER_FUNC_SRGB: c->transfer = GST_VIDEO_TRANSFER_SRGB; break;
	case V4L2_XFER_FUNC_OPRGB: c->transfer = GST_VIDEO_TRANSFER_ADOBERGB; break;
	case V4L2_XFER_FUNC_SMPTE240M: c->transfer = GST_VIDEO_TRANSFER_SMPTE240M; break;
	case V4L2_XFER_FUNC_NONE: c->transfer = GST_VIDEO_TRANSFER_GAMMA10; break;
	case V4L2_XFER_FUNC_SMPTE2084: c->transfer = GST_VIDEO_TRANSFER_SMPTE2084; break;
	default: break;
	}
}

/*
 * The colorimetry the driver gives @m at @w x @h (VIDIOC_TRY_FMT), in
 * @st, as v4l2src says it: consumers convert colours by it. Nothing when
 * the driver leaves the colorspace to the default.
 */
static void set_colorimetry(int fd, uint32_t type, const struct fmt_map *m,
			    guint w, guint h, GstStructure *st)
{
	struct v4l2_format f = { .type = type };
	uint32_t cs, enc, quant, xfer;
	GstVideoColorimetry c = { 0 };
	gboolean rgb;
	gchar *str;

	if (m->gst == GST_VIDEO_FORMAT_UNKNOWN)
		return;
	if (type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE) {
		f.fmt.pix_mp = (struct v4l2_pix_format_mplane){
			.pixelformat = m->fourcc, .width = w, .height = h };
	} else {
		f.fmt.pix = (struct v4l2_pix_format){
			.pixelformat = m->fourcc, .width = w, .height = h };
	}
	if (xioctl(fd, VIDIOC_TRY_FMT, &f))
		return;
	if (type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE) {
		cs = f.fmt.pix_mp.colorspace;
		enc = f.fmt.pix_mp.ycbcr_enc;
		quant = f.fmt.pix_mp.quantization;
		xfer = f.fmt.pix_mp.xfer_func;
	} else {
		cs = f.fmt.pix.colorspace;
		enc = f.fmt.pix.ycbcr_enc;
		quant = f.fmt.pix.quantization;
		xfer = f.fmt.pix.xfer_func;
	}
	if (!colorspace_defaults(cs, &c))
		return;
	colorimetry_overrides(enc, xfer, &c);
	rgb = GST_VIDEO_FORMAT_INFO_IS_RGB(gst_video_format_get_info(m->gst));
	if (rgb)
		c.matrix = GST_VIDEO_COLOR_MATRIX_RGB;
	if (quant == V4L2_QUANTIZATION_FULL_RANGE ||
	    (quant == V4L2_QUANTIZATION_DEFAULT && (rgb || cs == V4L2_COLORSPACE_JPEG)))
		c.range = GST_VIDEO_COLOR_RANGE_0_255;
	else
		c.range = GST_VIDEO_COLOR_RANGE_16_235;
	str = gst_video_colorimetry_to_string(&c);
	if (str)
		gst_structure_set(st, "colorimetry", G_TYPE_STRING, str, NULL);
	g_free(str);
}

static GstStructure *new_structure(const struct fmt_map *m)
{
	if (m->gst == GST_VIDEO_FORMAT_UNKNOWN)
		return gst_structure_new("image/jpeg", "parsed", G_TYPE_BOOLEAN,
					 TRUE, NULL);
	return gst_structure_new("video/x-raw", "format", G_TYPE_STRING,
				 gst_video_format_to_string(m->gst), NULL);
}

/*
 * One dimension of stepwise (or continuous: step 1) sizes: min, min +
 * step, ... up to max. GStreamer says that as a range in multiples of
 * the step, as gstv4l2object.c does, when min is one; else as the plain
 * range (the driver rounds what it is asked). One value when there is
 * one size: GStreamer has no range of one (a CRITICAL, and no field). A
 * size is at least 1, at most G_MAXINT.
 */
static void set_dimension(GstStructure *st, const char *field, guint32 min,
			  guint32 max, guint32 step)
{
	GValue v = G_VALUE_INIT;

	step = CLAMP(step, 1, G_MAXINT);
	if (!min)
		min = step;	/* the smallest size of the steps that is one */
	max = MIN(max, G_MAXINT);
	if (max > min)
		max -= (max - min) % step;	/* the largest size of the steps */
	if (max <= min) {
		gst_structure_set(st, field, G_TYPE_INT, (gint)MIN(min, G_MAXINT), NULL);
		return;
	}
	g_value_init(&v, GST_TYPE_INT_RANGE);
	if (min % step == 0)	/* then max is one too */
		gst_value_set_int_range_step(&v, (gint)min, (gint)max, (gint)step);
	else
		gst_value_set_int_range(&v, (gint)min, (gint)max);
	gst_structure_take_value(st, field, &v);
}

/*
 * Every size of one format, with its rates, into @p's caps; and the same
 * with the driver's colorimetry into its preferred caps. The colorimetry
 * is a preference, not a constraint: a V4L2 element downstream lists the
 * colorimetries it probed its own way (6.1's vicodec none that vivid
 * gives), and a constraint would fail such a link.
 */
static void add_sizes(int fd, uint32_t type, const struct fmt_map *m,
		      struct zcap_gst_probe *p)
{
	struct v4l2_frmsizeenum fs = { .pixel_format = m->fourcc };
	GstStructure *st, *pref;
	guint w, h;

	for (; xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs) == 0; fs.index++) {
		st = new_structure(m);
		if (fs.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
			w = fs.discrete.width;
			h = fs.discrete.height;
			gst_structure_set(st, "width", G_TYPE_INT, w, "height",
					  G_TYPE_INT, h, NULL);
		} else {
			w = fs.stepwise.max_width;
			h = fs.stepwise.max_height;
			set_dimension(st, "width", fs.stepwise.min_width, w,
				      fs.stepwise.step_width);
			set_dimension(st, "height", fs.stepwise.min_height, h,
				      fs.stepwise.step_height);
		}
		set_rates(fd, m->fourcc, w, h, st);
		pref = gst_structure_copy(st);
		set_colorimetry(fd, type, m, w, h, pref);
		p->caps = gst_caps_merge_structure(p->caps, st);
		p->preferred = gst_caps_merge_structure(p->preferred, pref);
		if (fs.type != V4L2_FRMSIZE_TYPE_DISCRETE)
			break;
	}
}

void zcap_gst_prefer_colorimetry(const struct zcap_gst_probe *p, GstStructure *st)
{
	if (!p->preferred || gst_structure_has_field(st, "colorimetry"))
		return;
	for (guint i = 0; i < gst_caps_get_size(p->preferred); i++) {
		const GstStructure *pref = gst_caps_get_structure(p->preferred, i);
		const gchar *c = gst_structure_get_string(pref, "colorimetry");

		if (c && gst_structure_can_intersect(st, pref)) {
			gst_structure_set(st, "colorimetry", G_TYPE_STRING, c, NULL);
			return;
		}
	}
}

static gboolean probe_fd(int fd, struct zcap_gst_probe *p, GError **error)
{
	struct v4l2_capability cap = { 0 };
	struct v4l2_fmtdesc d = { 0 };
	uint32_t caps;

	if (xioctl(fd, VIDIOC_QUERYCAP, &cap)) {
		g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
			    "not a V4L2 device (VIDIOC_QUERYCAP: %s)", g_strerror(errno));
		return FALSE;
	}
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
	if (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE)
		d.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	else if (caps & V4L2_CAP_VIDEO_CAPTURE)
		d.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	else {
		g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
			    "%s is not a video capture device", cap.card);
		return FALSE;
	}
	g_strlcpy(p->card, (const char *)cap.card, sizeof(p->card));
	p->caps = gst_caps_new_empty();
	p->preferred = gst_caps_new_empty();
	for (; xioctl(fd, VIDIOC_ENUM_FMT, &d) == 0; d.index++) {
		const struct fmt_map *m = fmt_map_of(d.pixelformat);

		if (!m || p->n_fourccs == ZCAP_GST_MAX_FORMATS)
			continue;
		p->fourccs[p->n_fourccs++] = m->fourcc;
		add_sizes(fd, d.type, m, p);
	}
	if (gst_caps_is_empty(p->caps)) {
		g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
			    "%s offers no format zcapsrc knows", p->card);
		return FALSE;
	}
	return TRUE;
}

gboolean zcap_gst_probe(const char *device, struct zcap_gst_probe *out,
			GError **error)
{
	gboolean ok;
	int fd;

	memset(out, 0, sizeof(*out));
	fd = open(device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		g_set_error(error, GST_RESOURCE_ERROR,
			    errno == ENOENT ? GST_RESOURCE_ERROR_NOT_FOUND :
			    GST_RESOURCE_ERROR_OPEN_READ_WRITE,
			    "cannot open %s: %s", device, g_strerror(errno));
		return FALSE;
	}
	ok = probe_fd(fd, out, error);
	close(fd);
	if (!ok)
		zcap_gst_probe_clear(out);
	return ok;
}

void zcap_gst_probe_clear(struct zcap_gst_probe *p)
{
	gst_clear_caps(&p->caps);
	gst_clear_caps(&p->preferred);
	p->n_fourccs = 0;
}

/* The device's first fourcc that gives @st's format. */
static uint32_t fourcc_for(const struct zcap_gst_probe *p, const GstStructure *st,
			   gboolean *compressed)
{
	gboolean jpeg = gst_structure_has_name(st, "image/jpeg");
	GstVideoFormat want = GST_VIDEO_FORMAT_UNKNOWN;

	if (!jpeg)
		want = gst_video_format_from_string(gst_structure_get_string(st, "format"));
	*compressed = jpeg;
	for (guint i = 0; i < p->n_fourccs; i++) {
		const struct fmt_map *m = fmt_map_of(p->fourccs[i]);

		if (jpeg ? m->gst == GST_VIDEO_FORMAT_UNKNOWN : m->gst == want)
			return m->fourcc;
	}
	return 0;
}

gboolean zcap_gst_caps_request(const struct zcap_gst_probe *p, GstCaps *caps,
			       struct zcap_gst_request *out)
{
	GstStructure *st;
	gint w = 0, h = 0, n = 0, d = 0;

	memset(out, 0, sizeof(*out));
	if (!gst_caps_is_fixed(caps))
		return FALSE;
	st = gst_caps_get_structure(caps, 0);
	out->fourcc = fourcc_for(p, st, &out->compressed);
	if (!out->fourcc || !gst_structure_get_int(st, "width", &w) ||
	    !gst_structure_get_int(st, "height", &h) || w <= 0 || h <= 0)
		return FALSE;
	if (!out->compressed && !gst_video_info_from_caps(&out->info, caps))
		return FALSE;
	if (gst_structure_get_fraction(st, "framerate", &n, &d) && n > 0 && d > 0) {
		out->fps_n = n;
		out->fps_d = d;
	}
	out->width = w;
	out->height = h;
	return TRUE;
}
