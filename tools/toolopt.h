/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the tools' command lines share: numbers and sizes as people type
 * them, the usage error that ends a tool, and --version. Each tool keeps
 * its own option table and words: only the checks are common, so that
 * "1280x720" or a count means the same to every tool.
 */
#ifndef ZCAP_TOOLS_TOOLOPT_H
#define ZCAP_TOOLS_TOOLOPT_H

#include <stdint.h>
#include <stdio.h>

/*
 * An unsigned number in @base (0: C's prefixes, 0x10 or 010) from @min to
 * @max, the whole of @s. -EINVAL when @s is not one (a sign, a suffix,
 * nothing), -ERANGE when it is out of range.
 */
int zcap_tool_parse_u64(const char *s, int base, uint64_t min, uint64_t max,
			uint64_t *out);
int zcap_tool_parse_u32(const char *s, int base, uint32_t min, uint32_t max,
			uint32_t *out);

/*
 * "WxH" (or "WXH") in decimal, each at least @min. @s is not changed.
 * -EINVAL when it is not a size, -ERANGE when a side is below @min.
 */
int zcap_tool_parse_size(const char *s, uint32_t min, uint32_t *w, uint32_t *h);

/*
 * "PROG: MESSAGE" and "Try 'PROG --help'." on stderr, then exit status 2,
 * the tools' usage error.
 */
void zcap_tool_die_usage(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* getopt_long()'s value for --version, the same in every tool. */
#define ZCAP_TOOL_OPT_VERSION 0x1000

/*
 * What every tool does with an option its own switch did not take:
 * -h/--help (@usage on stdout, exit 0), --version (exit 0), or one getopt
 * refused (it said why; "Try 'PROG --help'.", exit 2). Never returns.
 */
void zcap_tool_std_opt(int c, const char *prog, void (*usage)(FILE *f))
	__attribute__((noreturn));

/* After getopt: no operand is taken; one is a usage error. */
void zcap_tool_no_operands(int argc, char **argv, const char *prog);

/*
 * Flush standard output: 0 when everything written to it got out, else
 * the errno of the write that failed (EIO when stdio no longer says).
 */
int zcap_tool_stdout_error(void);

/*
 * --version: "PROG VERSION" on @f, VERSION being zcap_version(), the
 * libzcap the tool runs on (the tools link it statically: the version
 * they were built from, zcap.ko's).
 */
void zcap_tool_print_version(FILE *f, const char *prog);

#endif /* ZCAP_TOOLS_TOOLOPT_H */
