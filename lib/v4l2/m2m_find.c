// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * zcap_m2m_find(): the first mem2mem video node that encodes to (or
 * decodes from) a coded format, for programs that are not told which.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <zcap/consumers.h>

#include "v4l2_outq.h"

/* Is @fourcc among the formats of queue @type? @raw: is there a raw one? */
static bool queue_has(int fd, uint32_t type, uint32_t fourcc, bool *raw)
{
	struct v4l2_fmtdesc d;
	bool found = false;
	uint32_t i;

	for (i = 0;; i++) {
		memset(&d, 0, sizeof(d));
		d.index = i;
		d.type = type;
		if (zcapi_v4l2_ioctl(fd, VIDIOC_ENUM_FMT, &d))
			break;
		if (d.pixelformat == fourcc)
			found = true;
		if (raw && !(d.flags & V4L2_FMT_FLAG_COMPRESSED))
			*raw = true;
	}
	return found;
}

int zcap_m2m_find(uint32_t coded_fourcc, int encoder, char *path, size_t len)
{
	char dev[32];
	int i, fd;

	if (!path || !len)
		return -EINVAL;
	for (i = 0; i < 64; i++) {
		uint32_t caps, out_t, cap_t;
		bool raw = false, ok;

		snprintf(dev, sizeof(dev), "/dev/video%d", i);
		fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (zcapi_outq_device_caps(fd, &caps)) {
			close(fd);
			continue;
		}
		if (caps & V4L2_CAP_VIDEO_M2M_MPLANE) {
			out_t = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
			cap_t = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
		} else if (caps & V4L2_CAP_VIDEO_M2M) {
			out_t = V4L2_BUF_TYPE_VIDEO_OUTPUT;
			cap_t = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		} else {
			close(fd);
			continue;
		}
		if (encoder)
			ok = queue_has(fd, cap_t, coded_fourcc, NULL) &&
			     (queue_has(fd, out_t, 0, &raw), raw);
		else
			ok = queue_has(fd, out_t, coded_fourcc, NULL) &&
			     (queue_has(fd, cap_t, 0, &raw), raw);
		close(fd);
		if (ok) {
			if ((size_t)snprintf(path, len, "%s", dev) >= len)
				return -ENAMETOOLONG;
			return 0;
		}
	}
	return -ENODEV;
}
