// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Log levels by name (log.h). The log itself is the filter's and the
 * graph's (filter.c, graph.c): there is no process-wide logger, so two
 * graphs in one process log to two places.
 */
#include <errno.h>
#include <string.h>

#include <zcap/log.h>

static const char *const names[] = {
	[ZCAP_LOG_NONE] = "none",
	[ZCAP_LOG_ERROR] = "error",
	[ZCAP_LOG_WARN] = "warn",
	[ZCAP_LOG_INFO] = "info",
	[ZCAP_LOG_DEBUG] = "debug",
};

const char *zcap_log_level_name(enum zcap_log_level level)
{
	if ((unsigned int)level >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[level];
}

int zcap_log_level_parse(const char *s, enum zcap_log_level *out)
{
	if (!s || !out)
		return -EINVAL;
	if (s[0] >= '0' && s[0] <= '4' && !s[1]) {
		*out = (enum zcap_log_level)(s[0] - '0');
		return 0;
	}
	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*out = (enum zcap_log_level)i;
			return 0;
		}
	}
	/* "warning" is what people type as often as "warn". */
	if (!strcmp(s, "warning")) {
		*out = ZCAP_LOG_WARN;
		return 0;
	}
	return -EINVAL;
}
