// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What zcap-capture prints when a capture ends on an error
 * (tools/stopmsg.c). An unplug must read as Documentation/user-guide.md
 * says, "capture stopped: device disconnected", one line, whichever way
 * the V4L2 source saw it (vivid: POLLERR then DQBUF ENODEV; uvcvideo:
 * QBUF ENODEV) and whatever its note says; other errors keep their text
 * and the source's note. A consumer that stopped the capture is named
 * before the reason, and its note follows.
 */
#include <errno.h>
#include <string.h>

#include <zcap/zcap.h>

#include "stopmsg.h"
#include "tap.h"

#define GONE "zcap-capture: capture stopped: device disconnected\n"

static bool says_who(int err, const char *who, const char *note,
		     const char *want)
{
	char buf[512];

	zcap_capture_stop_message("zcap-capture", err, who, note, buf, sizeof(buf));
	if (strcmp(buf, want))
		tap_diag("got \"%s\"", buf);
	return !strcmp(buf, want);
}

/* What the camera's error says. */
static bool says(int err, const char *note, const char *want)
{
	return says_who(err, NULL, note, want);
}

int main(void)
{
	ok(says(ZCAP_E_DISCONNECTED, "/dev/video0 was disconnected", GONE),
	   "ZCAP_E_DISCONNECTED: '%.*s', nothing more", (int)strlen(GONE) - 1, GONE);
	ok(says(ZCAP_E_DISCONNECTED, "VIDIOC_DQBUF failed: No such device", GONE),
	   "the same whatever the note (vivid: DQBUF after POLLERR)");
	ok(says(ZCAP_E_DISCONNECTED, "VIDIOC_QBUF(DMABUF) index 2 failed: No such device",
		GONE), "the same (uvcvideo: QBUF)");
	ok(says(ZCAP_E_DISCONNECTED, "", GONE), "the same without a note");
	ok(says(-ENODEV, NULL, GONE) && says(-ENXIO, NULL, GONE),
	   "a bare ENODEV or ENXIO reads the same");
	ok(zcap_capture_is_disconnect(ZCAP_E_DISCONNECTED) &&
	   !zcap_capture_is_disconnect(-EIO) &&
	   !zcap_capture_is_disconnect(ZCAP_E_STALLED),
	   "EIO (a driver's fatal error) and a stall are not disconnects");
	ok(says(ZCAP_E_STALLED, "no frame from /dev/video0 in 5000 ms",
		"zcap-capture: capture stopped: The device delivered no frame in time\n"
		"zcap-capture: no frame from /dev/video0 in 5000 ms\n"),
	   "a stall keeps its text and the source's note, as before");
	ok(says(-EIO, "", "zcap-capture: capture stopped: Input/output error\n"),
	   "an error without a note is one line");
	ok(says(ZCAP_E_SOURCE_CHANGED,
		"the signal at /dev/video0's input changed (V4L2_EVENT_SOURCE_CHANGE): set the format again",
		"zcap-capture: capture stopped: the signal at the input changed (a new resolution, or none); start again to capture it\n"),
	   "the input's signal changed: one line, what to do");
	ok(says_who(ZCAP_E_DISCONNECTED, "v4l2-output(/dev/video5)",
		    "output: /dev/video5: The device was disconnected (unplugged)",
		    "zcap-capture: capture stopped: v4l2-output(/dev/video5): device disconnected\n"),
	   "a consumer unplugged: named, so that the camera is not blamed");
	ok(says_who(-EIO, "m2m-encoder(/dev/video9)", "encoder: DQBUF(CAPTURE): Input/output error",
		    "zcap-capture: capture stopped: m2m-encoder(/dev/video9): Input/output error\n"
		    "zcap-capture: encoder: DQBUF(CAPTURE): Input/output error\n"),
	   "a consumer's other error: named, with its note");
	return tap_done();
}
