// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zcap-info: what this machine offers for zero-copy capture: V4L2 capture
 * devices (formats, sizes, frame intervals), dma-buf providers (whether
 * each can be used, and if not why and the fix that works on this
 * kernel), libzcap's choice, and zcap's own counters when debugfs is
 * readable. As text, or as JSON (--json). The parts: info.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "info.h"
#include "toolopt.h"

static const char *prog = "zcap-info";

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [options]\n"
"List V4L2 capture devices (driver, card, formats, sizes, frame intervals),\n"
"the dma-buf providers zcap can use here (zcap.ko, dma-heap, udmabuf): for\n"
"each, whether you can use it, and if not why and what to do on this kernel;\n"
"and zcap.ko's debugfs counters when readable.\n"
"\n"
"  -d, --device DEV   this device only (exit status 1 if it is not a capture\n"
"                     device or cannot be opened)\n"
"  -j, --json         the same as one JSON object (see zcap-info(1))\n"
"      --version      print the version and exit\n"
"  -h, --help         print this text and exit\n", prog);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ZCAP_TOOL_OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const struct info_printer *p = &info_text;
	struct info_opts o = { 0 };
	int c, ret, err;

	while ((c = getopt_long(argc, argv, "d:jh", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.device = optarg;
			break;
		case 'j':
			p = &info_json;
			break;
		default:
			zcap_tool_std_opt(c, prog, usage);
		}
	}
	zcap_tool_no_operands(argc, argv, prog);
	ret = info_run(&o, p, stdout);
	if (ret < 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	err = zcap_tool_stdout_error();
	if (err) {
		fprintf(stderr, "%s: %s\n", prog, strerror(err));
		return 1;
	}
	return ret;
}
