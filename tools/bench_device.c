// SPDX-License-Identifier: GPL-2.0
/*
 * zcap-bench's device: opened once for the whole run to name it, to ask
 * each size's fastest frame interval and image size, and to set vivid's
 * timestamps to the start of a frame (restored at the end).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "bench.h"

/* A control's id by its name, or 0. */
static uint32_t find_ctrl(int fd, const char *name)
{
	struct v4l2_queryctrl q;

	memset(&q, 0, sizeof(q));
	q.id = V4L2_CTRL_FLAG_NEXT_CTRL;
	while (ioctl(fd, VIDIOC_QUERYCTRL, &q) == 0) {
		if (!strcmp((const char *)q.name, name))
			return q.id;
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	return 0;
}

/*
 * vivid stamps a frame "End of Frame" by default: the time it started to
 * draw it plus 9/10 of a frame period, whether or not drawing took that
 * long, which makes a latency up to a frame period too short (or
 * negative). "Start of Exposure" stamps the moment it starts drawing: the
 * latency is then the driver's own drawing time plus ours, the same for
 * every path.
 */
int bench_dev_open(const char *device, struct bench_dev *di)
{
	struct v4l2_capability cap;
	struct v4l2_control ctl;
	int fd;

	memset(di, 0, sizeof(*di));
	fd = open(device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&cap, 0, sizeof(cap));
	if (ioctl(fd, VIDIOC_QUERYCAP, &cap) < 0) {
		close(fd);
		return errno == ENOTTY ? -ENOTTY : -errno;
	}
	snprintf(di->driver, sizeof(di->driver), "%s", (const char *)cap.driver);
	snprintf(di->card, sizeof(di->card), "%s", (const char *)cap.card);
	di->vivid = !strcmp(di->driver, "vivid");
	if (di->vivid) {
		memset(&ctl, 0, sizeof(ctl));
		ctl.id = find_ctrl(fd, "Timestamp Source");
		if (ctl.id && ioctl(fd, VIDIOC_G_CTRL, &ctl) == 0) {
			di->tstamp = ctl;
			ctl.value = 1;
			di->tstamp_set = ioctl(fd, VIDIOC_S_CTRL, &ctl) == 0;
		}
	}
	return fd;
}

void bench_dev_restore(int fd, const struct bench_dev *di)
{
	if (di->tstamp_set)
		ioctl(fd, VIDIOC_S_CTRL, &di->tstamp);
}

/* The shortest frame interval the driver offers at this size, or 0/0. */
void bench_dev_fastest_interval(int fd, uint32_t fourcc, uint32_t w, uint32_t h,
				uint32_t *num, uint32_t *den)
{
	struct v4l2_frmivalenum fi;

	*num = 0;
	*den = 0;
	memset(&fi, 0, sizeof(fi));
	fi.pixel_format = fourcc;
	fi.width = w;
	fi.height = h;
	for (fi.index = 0; ioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &fi) == 0; fi.index++) {
		struct v4l2_fract f = fi.type == V4L2_FRMIVAL_TYPE_DISCRETE ?
				      fi.discrete : fi.stepwise.min;

		if (!f.denominator)
			continue;
		if (!*den || (uint64_t)f.numerator * *den < (uint64_t)*num * f.denominator) {
			*num = f.numerator;
			*den = f.denominator;
		}
		if (fi.type != V4L2_FRMIVAL_TYPE_DISCRETE)
			break;
	}
}

uint32_t bench_dev_sizeimage(int fd, uint32_t fourcc, uint32_t w, uint32_t h)
{
	struct v4l2_format f;

	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	f.fmt.pix.width = w;
	f.fmt.pix.height = h;
	f.fmt.pix.pixelformat = fourcc;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	if (ioctl(fd, VIDIOC_TRY_FMT, &f) < 0 || f.fmt.pix.width != w ||
	    f.fmt.pix.height != h)
		return 0;
	return f.fmt.pix.sizeimage;
}
