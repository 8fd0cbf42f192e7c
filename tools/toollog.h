/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tools' side of libzcap's log (zcap/log.h): the library keeps no
 * global state and reads no environment, so the tools read ZCAP_DEBUG and
 * their -v flags, and print the log to standard error.
 */
#ifndef ZCAP_TOOLS_TOOLLOG_H
#define ZCAP_TOOLS_TOOLLOG_H

#include <stdio.h>

#include <zcap/graph.h>
#include <zcap/log.h>

/*
 * The level to log at: @env (ZCAP_DEBUG's value, may be NULL: none) by
 * name or 0-4, raised by @verbose (-v: info, -vv: debug). -EINVAL, with
 * *@out ZCAP_LOG_NONE, when @env is set but not a level.
 */
int zcap_tool_log_level(const char *env, unsigned int verbose,
			enum zcap_log_level *out);

/* A zcap_log_fn printing "PROG: LEVEL: FILTER: MSG" to @user (a FILE *). */
void zcap_tool_log_print(void *user, enum zcap_log_level level,
			 const char *filter, const char *msg);

/*
 * Give @g the level of ZCAP_DEBUG and @verbose, printed to stderr under
 * @prog. A bad ZCAP_DEBUG is reported once and ignored. Returns the level.
 */
enum zcap_log_level zcap_tool_log_graph(struct zcap_graph *g, const char *prog,
					unsigned int verbose);

#endif /* ZCAP_TOOLS_TOOLLOG_H */
