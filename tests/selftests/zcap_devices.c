// SPDX-License-Identifier: GPL-2.0
/*
 * Device helpers for the zcap selftests: finding vgem and vivid, setting
 * vivid's controls, and checking the frames vivid writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/videodev2.h>
#include <xf86drm.h>

#include "zcap_devices.h"

int zt_vgem_open(void)
{
	char path[64];
	int i, fd;

	for (i = 0; i < DRM_MAX_MINOR; i++) {
		drmVersionPtr ver;
		bool match;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		ver = drmGetVersion(fd);
		match = ver && ver->name && !strcmp(ver->name, "vgem");
		drmFreeVersion(ver);
		if (match)
			return fd;
		close(fd);
	}
	return -ENODEV;
}

int zt_v4l2_open(const char *driver, const char *bus_info)
{
	struct v4l2_capability cap;
	char path[64];
	int i, fd;

	for (i = 0; i < 64; i++) {
		__u32 caps;

		snprintf(path, sizeof(path), "/dev/video%d", i);
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (ioctl(fd, VIDIOC_QUERYCAP, &cap)) {
			close(fd);
			continue;
		}
		caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ?
		       cap.device_caps : cap.capabilities;
		if (!strcmp((const char *)cap.driver, driver) &&
		    !strcmp((const char *)cap.bus_info, bus_info) &&
		    (caps & V4L2_CAP_VIDEO_CAPTURE) &&
		    (caps & V4L2_CAP_STREAMING))
			return fd;
		close(fd);
	}
	return -ENODEV;
}

int zt_v4l2_set_menu(int fd, const char *ctrl_name, const char *item_name)
{
	struct v4l2_query_ext_ctrl qc = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };
	struct v4l2_ext_controls ctrls;
	struct v4l2_ext_control ctrl;
	struct v4l2_querymenu qm;
	int64_t i;

	while (!ioctl(fd, VIDIOC_QUERY_EXT_CTRL, &qc)) {
		if (qc.type == V4L2_CTRL_TYPE_MENU &&
		    !strcmp(qc.name, ctrl_name))
			goto found;
		qc.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	return -ENOENT;
found:
	for (i = qc.minimum; i <= qc.maximum; i++) {
		memset(&qm, 0, sizeof(qm));
		qm.id = qc.id;
		qm.index = (__u32)i;
		if (ioctl(fd, VIDIOC_QUERYMENU, &qm))
			continue;
		if (strcmp((const char *)qm.name, item_name))
			continue;
		memset(&ctrl, 0, sizeof(ctrl));
		ctrl.id = qc.id;
		ctrl.value = (__s32)i;
		memset(&ctrls, 0, sizeof(ctrls));
		ctrls.which = V4L2_CTRL_WHICH_CUR_VAL;
		ctrls.count = 1;
		ctrls.controls = &ctrl;
		return ioctl(fd, VIDIOC_S_EXT_CTRLS, &ctrls) ? -errno : 0;
	}
	return -ENOENT;
}

int zt_check_colorbar_yuyv(const uint8_t *p, unsigned int width,
			   unsigned int height, unsigned int stride,
			   char *why, size_t len)
{
	/*
	 * Limited-range BT.601 luma of the 75% bars is 180 162 131 112 84 65
	 * 35 16; the exact values depend on vivid's colour pipeline, so only
	 * the end points and the ordering are pinned down.
	 */
	const unsigned int bars = 8, bar_w = width / bars, edge = 4;
	uint8_t luma[8];
	unsigned int y, b, x;

	if (width % (bars * 2) || bar_w <= 2 * edge) {
		snprintf(why, len, "width %u cannot hold 8 bars", width);
		return -EINVAL;
	}
	for (y = 0; y < height; y++) {
		const uint8_t *line = p + (size_t)y * stride;

		for (b = 0; b < bars; b++) {
			/* Pixel pairs share chroma: stay on even pixels. */
			unsigned int x0 = b * bar_w + edge, x1 = (b + 1) * bar_w - edge;
			const uint8_t *ref = line + (size_t)x0 * 2;

			if (y == 0)
				luma[b] = ref[0];
			for (x = x0; x < x1; x += 2) {
				const uint8_t *px = line + (size_t)x * 2;

				if (memcmp(px, ref, 4)) {
					snprintf(why, len,
						 "line %u bar %u not flat at x=%u: %02x%02x%02x%02x vs %02x%02x%02x%02x",
						 y, b, x, px[0], px[1], px[2],
						 px[3], ref[0], ref[1], ref[2],
						 ref[3]);
					return -EBADMSG;
				}
			}
			if (ref[0] != luma[b]) {
				snprintf(why, len,
					 "line %u bar %u luma %u, line 0 has %u",
					 y, b, ref[0], luma[b]);
				return -EBADMSG;
			}
		}
	}
	for (b = 1; b < bars; b++) {
		if (luma[b] + 10 > luma[b - 1]) {
			snprintf(why, len,
				 "luma does not fall from bar %u (%u) to bar %u (%u)",
				 b - 1, luma[b - 1], b, luma[b]);
			return -EBADMSG;
		}
	}
	if (luma[0] < 170 || luma[0] > 190 || luma[7] < 14 || luma[7] > 18) {
		snprintf(why, len, "white bar luma %u, black bar luma %u",
			 luma[0], luma[7]);
		return -EBADMSG;
	}
	return 0;
}
