/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device helpers for the zcap selftests (vgem through libdrm, vivid through
 * V4L2). Every helper returns a negative errno on failure.
 */
#ifndef ZCAP_SELFTEST_DEVICES_H
#define ZCAP_SELFTEST_DEVICES_H

#include <stddef.h>
#include <stdint.h>

/* An open vgem node (/dev/dri/card*, found by driver name), or -ENODEV. */
int zt_vgem_open(void);

/*
 * V4L2: a video capture node whose driver and bus_info match, opened
 * O_RDWR | O_NONBLOCK, or -ENODEV.
 */
int zt_v4l2_open(const char *driver, const char *bus_info);

/* Sets a menu control, both found by name, on the current value. */
int zt_v4l2_set_menu(int fd, const char *ctrl_name, const char *item_name);

/*
 * Checks a 640-pixel-wide YUYV frame for vivid's "75% Colorbar": eight bars
 * of equal width, flat inside, luma strictly falling from white to black,
 * every line alike.  0 or -EBADMSG with the reason in @why.
 */
int zt_check_colorbar_yuyv(const uint8_t *p, unsigned int width,
			   unsigned int height, unsigned int stride,
			   char *why, size_t len);

#endif /* ZCAP_SELFTEST_DEVICES_H */
