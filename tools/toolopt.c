// SPDX-License-Identifier: GPL-2.0-or-later
/* What the tools' command lines share (toolopt.h). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zcap/version.h>

#include "toolopt.h"

int zcap_tool_parse_u64(const char *s, int base, uint64_t min, uint64_t max,
			uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !out || min > max)
		return -EINVAL;
	/*
	 * Digits first: strtoull() would skip spaces and take a sign ("-1"
	 * as a huge number, " -1" too); a count is never negative.
	 */
	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (end == s || *end)
		return -EINVAL;
	if (errno || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int zcap_tool_parse_u32(const char *s, int base, uint32_t min, uint32_t max,
			uint32_t *out)
{
	uint64_t v;
	int ret;

	if (!out)
		return -EINVAL;
	ret = zcap_tool_parse_u64(s, base, min, max, &v);
	if (ret < 0)
		return ret;
	*out = (uint32_t)v;
	return 0;
}

int zcap_tool_parse_size(const char *s, uint32_t min, uint32_t *w, uint32_t *h)
{
	char buf[32], *x;
	int ret;

	if (!s || !w || !h || strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	x = strpbrk(buf, "xX");
	if (!x)
		return -EINVAL;
	*x = '\0';
	ret = zcap_tool_parse_u32(buf, 10, min, UINT32_MAX, w);
	if (ret < 0)
		return ret;
	return zcap_tool_parse_u32(x + 1, 10, min, UINT32_MAX, h);
}

void zcap_tool_die_usage(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	exit(2);
}

void zcap_tool_print_version(FILE *f, const char *prog)
{
	fprintf(f, "%s %s\n", prog, zcap_version());
}

/*
 * The exit status of --help and --version: 0 only if what they printed
 * reached standard output (zcap-capture --help > /dev/full is an error).
 */
static int printed_status(const char *prog)
{
	int err = zcap_tool_stdout_error();

	if (!err)
		return 0;
	fprintf(stderr, "%s: writing to standard output: %s\n", prog, strerror(err));
	return 1;
}

void zcap_tool_std_opt(int c, const char *prog, void (*usage)(FILE *f))
{
	switch (c) {
	case 'h':
		usage(stdout);
		exit(printed_status(prog));
	case ZCAP_TOOL_OPT_VERSION:
		zcap_tool_print_version(stdout, prog);
		exit(printed_status(prog));
	case '?':
	case ':':
		fprintf(stderr, "Try '%s --help'.\n", prog);
		exit(2);
	}
	/* An option in a tool's table that its switch forgot. */
	zcap_tool_die_usage(prog, "option %d is not handled", c);
}

int zcap_tool_stdout_error(void)
{
	if (fflush(stdout) == EOF)
		return errno ? errno : EIO;
	return ferror(stdout) ? EIO : 0;
}

void zcap_tool_no_operands(int argc, char **argv, const char *prog)
{
	if (optind < argc)
		zcap_tool_die_usage(prog, "unexpected argument '%s'", argv[optind]);
}
