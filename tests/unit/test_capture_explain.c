// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What zcap-capture says about copies (tools/capture_explain.c) and when
 * it may write escape codes (tools/term.c): each cause of a copy has its
 * line and nothing is said when nothing was copied; escape codes go to a
 * terminal with a TERM that has them, never to a pipe, never with TERM
 * unset or "dumb".
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture_explain.h"
#include "tap.h"
#include "term.h"

static void test_copy_why(void)
{
	struct zcap_copy_facts c = { .dmabuf = true, .asked = ZCAP_PROVIDER_AUTO,
				     .output = "/mnt/9p/out.raw" };
	char buf[1024];

	is(zcap_capture_copy_why(&c, buf, sizeof(buf)), 0, "nothing copied: nothing said");
	c.writer = 1843200;
	zcap_capture_copy_why(&c, buf, sizeof(buf));
	ok(strstr(buf, "1843200 by the writer: the file system of /mnt/9p/out.raw refuses writes from dma-buf mappings") &&
	   !strstr(buf, "by the source"), "a bounced write: the writer's line only ('%s')", buf);
	c.writer = 0;
	c.source = 614400;
	c.dmabuf = false;
	zcap_capture_copy_why(&c, buf, sizeof(buf));
	ok(strstr(buf, "614400 by the source: no dma-buf provider could be used here"),
	   "plain memory under auto: no provider ('%s')", buf);
	c.asked = ZCAP_PROVIDER_MEMORY;
	zcap_capture_copy_why(&c, buf, sizeof(buf));
	ok(strstr(buf, "--provider memory gives no dma-bufs"), "--provider memory: said so");
	c.dmabuf = true;
	c.writer = 10;
	zcap_capture_copy_why(&c, buf, sizeof(buf));
	ok(strstr(buf, "the driver cannot import these dma-bufs") && strstr(buf, "10 by the writer"),
	   "dma-bufs yet copied by the source: the driver's import; and the writer's");
	ok(zcap_capture_copy_why(&c, NULL, 0) > 0, "the length without a buffer, as snprintf");
	ok(zcap_capture_copy_why(NULL, buf, sizeof(buf)) < 0, "no facts: an error");
}

static void test_term(void)
{
	int pipefd[2], m, s = -1;

	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m >= 0 && !grantpt(m) && !unlockpt(m))
		s = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (s < 0) {
		tap_skip("no pseudo-terminal here", "escape codes on a terminal");
	} else {
		ok(zcap_tool_term_escapes(s, "xterm-256color"), "a terminal, TERM=xterm-256color: escapes");
		ok(!zcap_tool_term_escapes(s, "dumb"), "a terminal, TERM=dumb: none");
		ok(!zcap_tool_term_escapes(s, NULL), "a terminal, TERM unset: none");
		ok(!zcap_tool_term_escapes(s, ""), "a terminal, TERM empty: none");
		close(s);
	}
	if (m >= 0)
		close(m);
	if (pipe(pipefd) == 0) {
		ok(!zcap_tool_term_escapes(pipefd[1], "xterm"), "a pipe, TERM=xterm: none");
		close(pipefd[0]);
		close(pipefd[1]);
	}
}

int main(void)
{
	test_copy_why();
	test_term();
	return tap_done();
}
