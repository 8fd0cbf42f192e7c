// SPDX-License-Identifier: GPL-2.0-or-later
/* What zcap-capture says when a capture ends on an error (stopmsg.h). */
#include <errno.h>
#include <stdio.h>

#include <zcap/zcap.h>

#include "stopmsg.h"

bool zcap_capture_is_disconnect(int err)
{
	return err == ZCAP_E_DISCONNECTED || err == -ENODEV || err == -ENXIO;
}

int zcap_capture_stop_message(const char *prog, int err, const char *who,
			      const char *note, char *buf, size_t len)
{
	const char *sep = who ? ": " : "";

	who = who ? who : "";
	/*
	 * vivid's disconnect and a USB camera's unplug fail different calls
	 * first; the user is told one thing, and the summary's note says
	 * which call.
	 */
	if (zcap_capture_is_disconnect(err))
		return snprintf(buf, len, "%s: capture stopped: %s%sdevice disconnected\n",
				prog, who, sep);
	/* What to do is the user's: the frames to come are of another size. */
	if (err == ZCAP_E_SOURCE_CHANGED)
		return snprintf(buf, len, "%s: capture stopped: %s%sthe signal at the input changed (a new resolution, or none); start again to capture it\n",
				prog, who, sep);
	if (note && note[0])
		return snprintf(buf, len, "%s: capture stopped: %s%s%s\n%s: %s\n", prog,
				who, sep, zcap_strerror(err), prog, note);
	return snprintf(buf, len, "%s: capture stopped: %s%s%s\n", prog, who, sep,
			zcap_strerror(err));
}
