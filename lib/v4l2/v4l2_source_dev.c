// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The V4L2 source's device: opening it, what it can do (a capture node
 * that streams; the buffers its driver needs), and the format and frame
 * rate negotiated once, when the source is created. After S_FMT the
 * driver's G_FMT answer is the truth, and src->fmt is that.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "v4l2_priv.h"

static int src_open(struct v4l2_src *src)
{
	struct v4l2_capability cap;
	uint32_t caps;
	int ret;

	src->fd = open(src->device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (src->fd < 0)
		return -errno;

	memset(&cap, 0, sizeof(cap));
	ret = zcapi_v4l2_ioctl(src->fd, VIDIOC_QUERYCAP, &cap);
	if (ret < 0)
		/* ENOTTY: a character device that does not speak V4L2. */
		return ret;
	caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps :
							    cap.capabilities;
	snprintf(src->driver, sizeof(src->driver), "%s", (const char *)cap.driver);
	snprintf(src->card, sizeof(src->card), "%s", (const char *)cap.card);

	if (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE) {
		src->type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
		src->mplane = true;
	} else if (caps & V4L2_CAP_VIDEO_CAPTURE) {
		src->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		src->mplane = false;
	} else {
		zcapi_v4l2_note(src, "%s (%s) is not a video capture device",
			      src->device, src->card);
		return -EMEDIUMTYPE;
	}
	if (!(caps & V4L2_CAP_STREAMING)) {
		zcapi_v4l2_note(src, "%s (%s) cannot stream (no V4L2_CAP_STREAMING)",
			      src->device, src->card);
		return -EMEDIUMTYPE;
	}
	ret = zcapi_v4l2q_init(&src->q, src->fd, src->type);
	src->q_ready = !ret;
	return ret;
}

static void src_min_buffers(struct v4l2_src *src)
{
	struct v4l2_control ctrl = { .id = V4L2_CID_MIN_BUFFERS_FOR_CAPTURE };

	/* Most drivers do not have the control; two is what vb2 needs to stream. */
	src->min_buffers = 2;
	if (zcapi_v4l2_ioctl(src->fd, VIDIOC_G_CTRL, &ctrl) == 0 && ctrl.value > 0)
		src->min_buffers = (uint32_t)ctrl.value;
}

/*
 * Does the driver flag @fourcc as compressed? Its ENUM_FMT knows the
 * bitstreams our own table does not.
 */
static bool driver_compressed(struct v4l2_src *src, uint32_t fourcc)
{
	struct v4l2_fmtdesc d;

	memset(&d, 0, sizeof(d));
	d.type = src->type;
	for (; zcapi_v4l2_ioctl(src->fd, VIDIOC_ENUM_FMT, &d) == 0; d.index++)
		if (d.pixelformat == fourcc)
			return d.flags & V4L2_FMT_FLAG_COMPRESSED;
	return false;
}

/* @mp asks for the configured fourcc, size and stride; the rest is the driver's. */
static void ask_mplane(struct v4l2_pix_format_mplane *mp,
		       const struct zcap_v4l2_source_config *cfg)
{
	uint32_t p;

	if (cfg->fourcc && cfg->fourcc != mp->pixelformat) {
		mp->pixelformat = cfg->fourcc;
		/* Let the driver pick the planes of the new format. */
		for (p = 0; p < VIDEO_MAX_PLANES; p++)
			mp->plane_fmt[p].bytesperline = 0;
	}
	if (cfg->width)
		mp->width = cfg->width;
	if (cfg->height)
		mp->height = cfg->height;
	mp->plane_fmt[0].bytesperline = cfg->stride;
	for (p = 1; p < VIDEO_MAX_PLANES; p++)
		mp->plane_fmt[p].bytesperline = 0;
	for (p = 0; p < VIDEO_MAX_PLANES; p++)
		mp->plane_fmt[p].sizeimage = 0;
}

static void ask_single(struct v4l2_pix_format *pix,
		       const struct zcap_v4l2_source_config *cfg)
{
	if (cfg->fourcc)
		pix->pixelformat = cfg->fourcc;
	if (cfg->width)
		pix->width = cfg->width;
	if (cfg->height)
		pix->height = cfg->height;
	/* 0 asks the driver for its natural stride. */
	pix->bytesperline = cfg->stride;
	pix->sizeimage = 0;
}

/* S_FMT of the configuration, over the driver's current format. */
static int request_format(struct v4l2_src *src)
{
	const struct zcap_v4l2_source_config *cfg = &src->cfg;
	struct v4l2_format vf;
	int ret;

	memset(&vf, 0, sizeof(vf));
	vf.type = src->type;
	ret = zcapi_v4l2_ioctl(src->fd, VIDIOC_G_FMT, &vf);
	if (ret < 0)
		return ret;
	if (!cfg->fourcc && !cfg->width && !cfg->height && !cfg->stride)
		return 0;
	if (src->mplane)
		ask_mplane(&vf.fmt.pix_mp, cfg);
	else
		ask_single(&vf.fmt.pix, cfg);
	ret = zcapi_v4l2_ioctl(src->fd, VIDIOC_S_FMT, &vf);
	if (ret < 0)
		zcapi_v4l2_note(src, "VIDIOC_S_FMT failed: %s", strerror(-ret));
	return ret;
}

/*
 * The driver's final word, whatever S_FMT echoed (G_FMT): what it gives
 * against what was configured, and src->fmt.
 */
static int read_format(struct v4l2_src *src)
{
	const struct zcap_v4l2_source_config *cfg = &src->cfg;
	const struct v4l2_pix_format_mplane *mp;
	const struct v4l2_pix_format *pix;
	uint32_t fourcc, w, h, stride;
	struct v4l2_format vf;
	char a[5], b[5];
	int ret;

	memset(&vf, 0, sizeof(vf));
	vf.type = src->type;
	ret = zcapi_v4l2_ioctl(src->fd, VIDIOC_G_FMT, &vf);
	if (ret < 0)
		return ret;
	mp = &vf.fmt.pix_mp;
	pix = &vf.fmt.pix;
	fourcc = src->mplane ? mp->pixelformat : pix->pixelformat;
	w = src->mplane ? mp->width : pix->width;
	h = src->mplane ? mp->height : pix->height;
	stride = src->mplane ? mp->plane_fmt[0].bytesperline : pix->bytesperline;
	if (cfg->fourcc && fourcc != cfg->fourcc) {
		zcapi_v4l2_note(src, "%s does not capture %s (it offers %s)",
			      src->card, zcap_fourcc_str(cfg->fourcc, a),
			      zcap_fourcc_str(fourcc, b));
		return ZCAP_E_TYPE_NOT_ACCEPTED;
	}
	ret = zcapi_fmt_from_v4l2(&vf, driver_compressed(src, fourcc), &src->fmt);
	if (ret < 0) {
		zcapi_v4l2_note(src, "the driver's format %s %ux%u is inconsistent",
			      zcap_fourcc_str(fourcc, a), w, h);
		return ret;
	}
	if ((cfg->width && w != cfg->width) || (cfg->height && h != cfg->height))
		zcapi_v4l2_note(src, "the driver adjusted %ux%u to %ux%u",
			      cfg->width, cfg->height, w, h);
	else if (cfg->stride && stride != cfg->stride)
		zcapi_v4l2_note(src, "the driver adjusted stride %u to %u",
			      cfg->stride, stride);
	return 0;
}

static int src_set_rate(struct v4l2_src *src)
{
	struct v4l2_streamparm parm;
	int ret;

	memset(&parm, 0, sizeof(parm));
	parm.type = src->type;
	ret = zcapi_v4l2_ioctl(src->fd, VIDIOC_G_PARM, &parm);
	if (ret < 0) {
		if (src->cfg.fps)
			zcapi_v4l2_note(src, "the driver has no frame rate control; --fps ignored");
		return 0;
	}
	if (src->cfg.fps && (parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME)) {
		parm.parm.capture.timeperframe.numerator = 1;
		parm.parm.capture.timeperframe.denominator = src->cfg.fps;
		ret = zcapi_v4l2_ioctl(src->fd, VIDIOC_S_PARM, &parm);
		if (ret < 0)
			zcapi_v4l2_note(src, "VIDIOC_S_PARM %u fps failed: %s",
				      src->cfg.fps, strerror(-ret));
		memset(&parm, 0, sizeof(parm));
		parm.type = src->type;
		if (zcapi_v4l2_ioctl(src->fd, VIDIOC_G_PARM, &parm) < 0)
			return 0;
	} else if (src->cfg.fps) {
		zcapi_v4l2_note(src, "the driver cannot set the frame rate; --fps ignored");
	}
	src->fmt.interval_num = parm.parm.capture.timeperframe.numerator;
	src->fmt.interval_den = parm.parm.capture.timeperframe.denominator;
	return 0;
}

int zcapi_v4l2_src_open(struct v4l2_src *src)
{
	int ret;

	ret = src_open(src);
	if (ret < 0)
		return ret;
	src_min_buffers(src);
	ret = request_format(src);
	if (ret < 0)
		return ret;
	ret = read_format(src);
	if (ret < 0)
		return ret;
	return src_set_rate(src);
}
