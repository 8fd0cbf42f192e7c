// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the tools' command lines share (tools/toolopt.c) and how they read
 * pixel formats (tools/fourcc.h): numbers, sizes, fourccs in any case,
 * big-endian formats named apart.
 */
#include <errno.h>
#include <string.h>

#include <linux/videodev2.h>

#include "child_status.h"
#include "fourcc.h"
#include "tap.h"
#include "toolopt.h"

static void test_numbers(void)
{
	uint32_t v = 7, w, h;
	uint64_t big;

	ok(!zcap_tool_parse_u32("0x10", 0, 0, 100, &v) && v == 16, "base 0: 0x10 is 16");
	is(zcap_tool_parse_u32("0x10", 10, 0, 100, &v), -EINVAL, "base 10: 0x10 is not a number");
	is(zcap_tool_parse_u32("-1", 0, 0, UINT32_MAX, &v), -EINVAL, "-1 is not a count");
	is(zcap_tool_parse_u32(" -1", 10, 0, UINT32_MAX, &v), -EINVAL,
	   "' -1' is not a count either (strtoul would skip the space)");
	is(zcap_tool_parse_u32(" 1", 10, 0, 100, &v), -EINVAL, "a leading space is refused");
	is(zcap_tool_parse_u32("+1", 10, 0, 100, &v), -EINVAL, "a sign is refused");
	ok(!zcap_tool_parse_u32("010", 10, 0, 100, &v) && v == 10, "base 10: 010 is 10");
	is(zcap_tool_parse_u32("5k", 0, 0, 100, &v), -EINVAL, "a suffix is refused");
	is(zcap_tool_parse_u32("", 0, 0, 100, &v), -EINVAL, "nothing is refused");
	is(zcap_tool_parse_u32("101", 0, 0, 100, &v), -ERANGE, "above max: -ERANGE");
	is(zcap_tool_parse_u32("4294967296", 0, 0, UINT32_MAX, &v), -ERANGE, "2^32: -ERANGE");
	ok(!zcap_tool_parse_u64("18446744073709551615", 0, 1, UINT64_MAX, &big) &&
	   big == UINT64_MAX, "u64 max");
	ok(!zcap_tool_parse_size("1280x720", 1, &w, &h) && w == 1280 && h == 720, "1280x720");
	ok(!zcap_tool_parse_size("64X48", 16, &w, &h) && w == 64 && h == 48, "64X48");
	is(zcap_tool_parse_size("640", 1, &w, &h), -EINVAL, "640: no x");
	is(zcap_tool_parse_size("x480", 1, &w, &h), -EINVAL, "x480: no width");
	is(zcap_tool_parse_size("8x8", 16, &w, &h), -ERANGE, "8x8 below 16: -ERANGE");
}

static void test_fourccs(void)
{
	const uint32_t have[] = { V4L2_PIX_FMT_YUYV, (uint32_t)v4l2_fourcc('p', 'B', 'A', 'A'),
				  (uint32_t)v4l2_fourcc('a', 'b', 'c', 'd'), (uint32_t)v4l2_fourcc('A', 'B', 'C', 'D') };
	const uint32_t y16 = (uint32_t)v4l2_fourcc('Y', '1', '6', ' ');
	char name[ZCAP_TOOL_FOURCC_LEN];
	uint32_t f = 0;

	ok(!zcap_tool_parse_fourcc("yuyv", &f) &&
	   zcap_tool_fourcc_match(f, have, 4) == V4L2_PIX_FMT_YUYV,
	   "'yuyv' finds the device's YUYV");
	ok(!zcap_tool_parse_fourcc("PBAA", &f) &&
	   zcap_tool_fourcc_match(f, have, 4) == (uint32_t)v4l2_fourcc('p', 'B', 'A', 'A'),
	   "'PBAA' finds pBAA");
	ok(!zcap_tool_parse_fourcc("ABCD", &f) &&
	   zcap_tool_fourcc_match(f, have, 4) == (uint32_t)v4l2_fourcc('A', 'B', 'C', 'D'),
	   "an exact match wins over one alike but for case");
	ok(!zcap_tool_parse_fourcc("NV12", &f) &&
	   zcap_tool_fourcc_match(f, have, 4) == V4L2_PIX_FMT_NV12,
	   "a format the device lacks stays itself (the device refuses it)");
	ok(!zcap_tool_parse_fourcc("nv12m", &f) && f == V4L2_PIX_FMT_NV12M, "'nv12m' is NM12");
	ok(!zcap_tool_parse_fourcc("Y16-BE", &f) && f == (y16 | ZCAP_TOOL_FOURCC_BE),
	   "'Y16-BE' is Y16 with bit 31");
	ok(!zcap_tool_parse_fourcc("y16 -be", &f) &&
	   zcap_tool_fourcc_match(f, (uint32_t[]){ y16 | ZCAP_TOOL_FOURCC_BE }, 1) ==
	   (y16 | ZCAP_TOOL_FOURCC_BE), "'y16 -be' finds Y16 -BE");
	ok(!strcmp(zcap_tool_fourcc_name(y16 | ZCAP_TOOL_FOURCC_BE, name), "Y16 -BE"),
	   "bit 31 prints as 'Y16 -BE' ('%s')", name);
	ok(!strcmp(zcap_tool_fourcc_name(y16, name), "Y16 "), "Y16 prints as itself");
	ok(zcap_tool_fourcc_match(y16, (uint32_t[]){ y16 | ZCAP_TOOL_FOURCC_BE }, 1) == y16,
	   "Y16 does not find Y16 -BE: byte order is no case");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: zcap-test [options]\n");
}

/* --help (or --version, with @arg) printed into /dev/full. */
static void std_opt_full(void *arg)
{
	if (!freopen("/dev/full", "w", stdout))
		_exit(98);
	zcap_tool_std_opt(arg ? ZCAP_TOOL_OPT_VERSION : 'h', "zcap-test", usage);
}

static void std_opt_null(void *arg)
{
	if (!freopen("/dev/null", "w", stdout))
		_exit(98);
	zcap_tool_std_opt(arg ? ZCAP_TOOL_OPT_VERSION : 'h', "zcap-test", usage);
}

/* --help and --version succeed only when their text was written. */
static void test_std_opt(void)
{
	char err[256];

	is(child_status(std_opt_null, NULL), 0, "--help: exit 0");
	is(child_status(std_opt_null, "v"), 0, "--version: exit 0");
	is(child_status_err(std_opt_full, NULL, err, sizeof(err)), 1,
	   "--help into a full device: exit 1");
	err[strcspn(err, "\n")] = '\0';
	ok(strstr(err, "No space left") != NULL, "saying why: %s", err);
	is(child_status(std_opt_full, "v"), 1, "--version into a full device: exit 1");
}

int main(void)
{
	test_numbers();
	test_fourccs();
	test_std_opt();
	return tap_done();
}
