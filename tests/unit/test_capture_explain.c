// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What zcap-capture says about copies (tools/capture_explain.c) and when
 * it may write escape codes (tools/term.c): each cause of a copy has its
 * line and nothing is said when nothing was copied; escape codes go to a
 * terminal with a TERM that has them, never to a pipe, never with TERM
 * unset or "dumb".
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
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

/* A root whose kernel has neither zcap.ko nor udmabuf (modules.dep empty). */
static void test_explain_providers(void)
{
	char root[] = "/tmp/zcap-explain-XXXXXX", path[128], *out = NULL;
	size_t len = 0;
	FILE *f;

	if (!mkdtemp(root))
		return;
	snprintf(path, sizeof(path), "%s/lib", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/lib/modules", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/lib/modules/R", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/lib/modules/R/modules.dep", root);
	f = fopen(path, "w");
	if (f)
		fclose(f);
	f = open_memstream(&out, &len);
	zcap_capture_explain_providers(f, ZCAP_PROVIDER_ZCAP, root, "R");
	zcap_capture_explain_providers(f, ZCAP_PROVIDER_UDMABUF, root, "R");
	fclose(f);
	ok(out && strstr(out, "zcap-capture: zcap: zcap.ko is not installed for this kernel; fix: install zcap-dkms") &&
	   strstr(out, "then sudo modprobe zcap (or another --provider: auto, zcap, heap, udmabuf, memory)\n"),
	   "--provider zcap on a kernel without it: how to install it, or another provider, one line");
	ok(out && strstr(out, "udmabuf: this kernel has no udmabuf (CONFIG_UDMABUF is not set); fix: another --provider, or a kernel with CONFIG_UDMABUF\n"),
	   "--provider udmabuf on a kernel without it: no modprobe, another provider said once");
	ok(out && !strstr(out, "modprobe udmabuf"), "no 'modprobe udmabuf' where it cannot work");
	tap_diag("%s", out ? out : "");
	free(out);
	snprintf(path, sizeof(path), "rm -rf %s", root);
	if (system(path) != 0)
		tap_diag("could not remove %s", root);
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
	test_explain_providers();
	test_term();
	return tap_done();
}
