/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What zcap-capture says when a capture ends on an error. */
#ifndef ZCAP_TOOLS_STOPMSG_H
#define ZCAP_TOOLS_STOPMSG_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Is @err, what zcap_graph_wait() returned, an unplugged device?
 * ZCAP_E_DISCONNECTED, however the V4L2 source saw it (DQBUF or QBUF
 * failing with ENODEV, poll's POLLERR/POLLHUP), and a bare ENODEV or
 * ENXIO from a filter that did not map it.
 */
bool zcap_capture_is_disconnect(int err);

/*
 * The lines zcap-capture prints to standard error for a capture that
 * ended on @err: "PROG: capture stopped: REASON", then "PROG: NOTE" with
 * the failing filter's @note (may be NULL or empty) when it says more. An
 * unplug of the camera is always the one line "PROG: capture stopped:
 * device disconnected", as Documentation/user-guide.md quotes it; a
 * change of the input's signal (ZCAP_E_SOURCE_CHANGED) is one line too,
 * since its note only repeats it. @who names a consumer that ended the capture ("v4l2-output(/dev/video5)"),
 * NULL for the camera: then the reason reads "WHO: REASON". Returns
 * snprintf()'s count.
 */
int zcap_capture_stop_message(const char *prog, int err, const char *who,
			      const char *note, char *buf, size_t len);

#endif /* ZCAP_TOOLS_STOPMSG_H */
