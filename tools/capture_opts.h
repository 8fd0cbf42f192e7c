/* SPDX-License-Identifier: GPL-2.0-or-later */
/* zcap-capture's command line: its options, their parsing and --help. */
#ifndef ZCAP_TOOLS_CAPTURE_OPTS_H
#define ZCAP_TOOLS_CAPTURE_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include <zcap/allocator.h>

/* The program's name, in its messages. */
#define ZCAP_CAPTURE_PROG "zcap-capture"

struct zcap_capture_opts {
	const char *device;
	const char *output;
	const char *png;
	uint32_t width, height, fourcc, stride, fps, extra;
	uint64_t frames;
	enum zcap_provider provider;
	int timeout_ms;
	bool raw;
	bool quiet;
	unsigned int verbose;	/* -v: the log at info, -vv: debug */
	/* Zero-copy consumers behind the source (zcap/consumers.h). */
	const char *encode, *passthrough, *drm;
	bool force_copy;
};

/*
 * Fill @o from the command line. --help prints the usage and exits 0; a
 * usage error says what is wrong and exits 2.
 */
void zcap_capture_parse_opts(int argc, char **argv, struct zcap_capture_opts *o);

#endif /* ZCAP_TOOLS_CAPTURE_OPTS_H */
