// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The DRM sink's log lines said with its lock held (choosing the output,
 * placing a frame, putting the display back), kept until the lock is let
 * go: the log callback may query the sink (log.h), and
 * zcap_drm_sink_info() takes that lock.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/filter_util.h"
#include "drm_priv.h"

/* Called with d->lock held. */
void zcapi_drm_say(struct drm_sink *d, enum zcap_log_level level,
		   const char *fmt, ...)
{
	va_list ap;

	if (d->said.n == DRM_LOG_LINES)
		return;
	d->said.line[d->said.n].level = level;
	va_start(ap, fmt);
	vsnprintf(d->said.line[d->said.n].text,
		  sizeof(d->said.line[0].text), fmt, ap);
	va_end(ap);
	d->said.n++;
}

void zcapi_drm_log_said(struct drm_sink *d)
{
	struct drm_said said;
	uint32_t i;

	pthread_mutex_lock(&d->lock);
	said = d->said;
	d->said.n = 0;
	pthread_mutex_unlock(&d->lock);
	for (i = 0; i < said.n; i++) {
		if (said.line[i].level <= ZCAP_LOG_WARN)
			zcapi_filter_note(d->f, "%s", said.line[i].text);
		else
			zcap_filter_log(d->f, said.line[i].level, "%s",
					said.line[i].text);
	}
}
