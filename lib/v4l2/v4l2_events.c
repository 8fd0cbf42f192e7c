// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * V4L2_EVENT_SOURCE_CHANGE (v4l2_events.h). What the source does about
 * it is the streaming loop's (v4l2_stream.c): it ends the stream with
 * ZCAP_E_SOURCE_CHANGED, for the application to set the format again, as
 * v4l2src renegotiates.
 */
#include <zcap/log.h>

#include "v4l2_events.h"
#include "v4l2_fmt.h"

void zcapi_v4l2_events_subscribe(int fd, struct zcap_filter *f)
{
	struct v4l2_event_subscription sub = {
		.type = V4L2_EVENT_SOURCE_CHANGE,
	};
	int input = 0;

	/* The event's id is the input it happened on. */
	if (zcapi_v4l2_ioctl(fd, VIDIOC_G_INPUT, &input) || input < 0)
		input = 0;
	sub.id = (unsigned int)input;
	if (zcapi_v4l2_ioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub))
		return;
	zcap_filter_log(f, ZCAP_LOG_DEBUG,
			"subscribed to V4L2_EVENT_SOURCE_CHANGE of input %d", input);
}

bool zcapi_v4l2_events_source_changed(int fd)
{
	struct v4l2_event ev;
	unsigned int changes = 0;

	/* Non-blocking (the device is): ENOENT once none is left. */
	while (!zcapi_v4l2_ioctl(fd, VIDIOC_DQEVENT, &ev)) {
		if (ev.type == V4L2_EVENT_SOURCE_CHANGE)
			changes |= ev.u.src_change.changes;
	}
	return changes & V4L2_EVENT_SRC_CH_RESOLUTION;
}
