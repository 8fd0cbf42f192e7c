// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tools' log (toollog.h): ZCAP_DEBUG and -v to a level, and each line
 * of libzcap's log to standard error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "toollog.h"

int zcap_tool_log_level(const char *env, unsigned int verbose,
			enum zcap_log_level *out)
{
	enum zcap_log_level l = ZCAP_LOG_NONE, v = ZCAP_LOG_NONE;
	int ret = 0;

	if (env && *env && zcap_log_level_parse(env, &l)) {
		l = ZCAP_LOG_NONE;
		ret = -EINVAL;
	}
	/* -v shows the decisions, -vv what they were made from. */
	if (verbose)
		v = verbose > 1 ? ZCAP_LOG_DEBUG : ZCAP_LOG_INFO;
	*out = v > l ? v : l;
	return ret;
}

/* The prefix is the program's name: the line says who printed it. */
struct tool_log {
	const char *prog;
	FILE *f;
};

void zcap_tool_log_print(void *user, enum zcap_log_level level,
			 const char *filter, const char *msg)
{
	const struct tool_log *t = user;

	fprintf(t->f, "%s: %s: %s: %s\n", t->prog, zcap_log_level_name(level),
		filter, msg);
}

enum zcap_log_level zcap_tool_log_graph(struct zcap_graph *g, const char *prog,
					unsigned int verbose)
{
	/* One per process: a tool's graphs all print under its name. */
	static struct tool_log t;
	static bool warned;
	const char *env = getenv("ZCAP_DEBUG");
	enum zcap_log_level l;

	t.prog = prog;
	t.f = stderr;
	if (zcap_tool_log_level(env, verbose, &l) && !warned) {
		warned = true;
		fprintf(stderr, "%s: ZCAP_DEBUG='%s' is not a level (error, warn, info, debug or 0-4); ignored\n",
			prog, env);
	}
	if (l != ZCAP_LOG_NONE)
		zcap_graph_set_log(g, l, zcap_tool_log_print, &t);
	return l;
}
