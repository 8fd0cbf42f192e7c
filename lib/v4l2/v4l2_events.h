/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * V4L2_EVENT_SOURCE_CHANGE on a capture device: a driver sends it when
 * the signal at its input changes (an HDMI or analog receiver locking to
 * a new resolution, or losing its signal). The V4L2 source subscribes
 * when it starts streaming and, when poll says POLLPRI, takes the events:
 * the frames after such a change are not of the format that was set.
 * Internal to libzcap.
 */
#ifndef ZCAP_LIB_V4L2_EVENTS_H
#define ZCAP_LIB_V4L2_EVENTS_H

#include <stdbool.h>

#include <zcap/filter.h>

/*
 * Subscribe @fd to the event of its current input (logged to @f). A
 * driver without it (uvcvideo) refuses, and no event ever comes: that is
 * no error. Subscribing again is none either.
 */
void zcapi_v4l2_events_subscribe(int fd, struct zcap_filter *f);
/* Dequeue every pending event: did one say the source changed? */
bool zcapi_v4l2_events_source_changed(int fd);

#endif /* ZCAP_LIB_V4L2_EVENTS_H */
