// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tools' log (tools/toollog.c): ZCAP_DEBUG and -v/-vv to a level, and
 * a graph given that level prints each line to stderr as
 * "PROG: LEVEL: FILTER: MSG".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "toollog.h"

static void test_levels(void)
{
	enum zcap_log_level l;

	ok(!zcap_tool_log_level(NULL, 0, &l) && l == ZCAP_LOG_NONE, "nothing: no log");
	ok(!zcap_tool_log_level(NULL, 1, &l) && l == ZCAP_LOG_INFO, "-v: info");
	ok(!zcap_tool_log_level(NULL, 2, &l) && l == ZCAP_LOG_DEBUG, "-vv: debug");
	ok(!zcap_tool_log_level("warn", 0, &l) && l == ZCAP_LOG_WARN, "ZCAP_DEBUG=warn");
	ok(!zcap_tool_log_level("4", 1, &l) && l == ZCAP_LOG_DEBUG, "ZCAP_DEBUG=4 beats -v");
	ok(!zcap_tool_log_level("error", 2, &l) && l == ZCAP_LOG_DEBUG, "-vv beats ZCAP_DEBUG=error");
	ok(zcap_tool_log_level("loud", 1, &l) == -EINVAL && l == ZCAP_LOG_INFO,
	   "a bad ZCAP_DEBUG: EINVAL, -v still counts");
}

static void test_graph_prints(void)
{
	struct zcap_filter *f;
	struct zcap_graph *g;
	char buf[512] = "";
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	ssize_t n;

	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	setenv("ZCAP_DEBUG", "warn", 1);
	zcap_graph_new(&g);
	zcap_filter_new("cam", NULL, NULL, &f);
	zcap_graph_add(g, f);
	is((int)zcap_tool_log_graph(g, "zcap-test", 0), ZCAP_LOG_WARN, "ZCAP_DEBUG=warn: the graph logs warnings");
	zcap_filter_log(f, ZCAP_LOG_WARN, "a fallback");
	zcap_filter_log(f, ZCAP_LOG_INFO, "a decision");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	unsetenv("ZCAP_DEBUG");
	n = pread(fileno(tmp), buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	ok(!strcmp(buf, "zcap-test: warn: cam: a fallback\n"),
	   "stderr: the warning, not the info line ('%s')", buf);
	zcap_graph_destroy(g);
	fclose(tmp);
}

int main(void)
{
	test_levels();
	test_graph_prints();
	return tap_done();
}
