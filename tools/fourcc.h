/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pixel format names as people type and read them: a fourcc ("YUYV",
 * "NM12") or the V4L2 name of a multi-memory format ("NV12M"), whose fourcc
 * differs; in any case ("yuyv"), since a fourcc's case is rarely what sets
 * two formats apart. V4L2 marks the big-endian twin of a format with bit
 * 31 ("Y16 " and "Y16 " | 1 << 31): it is named "Y16 -BE", so the two are
 * never printed alike. Header-only: the VM test programs use it too.
 */
#ifndef ZCAP_TOOLS_FOURCC_H
#define ZCAP_TOOLS_FOURCC_H

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <zcap/format.h>

#define ZCAP_TOOL_FOURCC_BE (1u << 31)
/* "Y16 -BE" and its NUL. */
#define ZCAP_TOOL_FOURCC_LEN 8

static inline const char *zcap_tool_fourcc_name(uint32_t fourcc,
						char buf[ZCAP_TOOL_FOURCC_LEN])
{
	char fcc[5];

	snprintf(buf, ZCAP_TOOL_FOURCC_LEN, "%s%s", zcap_fourcc_str(fourcc, fcc),
		 (fourcc & ZCAP_TOOL_FOURCC_BE) ? "-BE" : "");
	return buf;
}

/* The fourcc of @s; "-BE" at its end (after the name or its padding) sets bit 31. */
static inline int zcap_tool_parse_fourcc(const char *s, uint32_t *fourcc)
{
	static const struct {
		const char *name;
		const char fcc[5];
	} alias[] = {
		{ "NV12M", "NM12" }, { "NV21M", "NM21" },
		{ "NV16M", "NM16" }, { "NV61M", "NM61" },
		{ "YUV420M", "YM12" }, { "YVU420M", "YM21" },
		{ "YUV422M", "YM16" }, { "YVU422M", "YM61" },
		{ "YUV444M", "YM24" }, { "YVU444M", "YM42" },
		{ "YUV420", "YU12" }, { "YVU420", "YV12" },
		{ "YUV422P", "422P" }, { "RGB24", "RGB3" }, { "BGR24", "BGR3" },
		/* What USB cameras call their compressed format. */
		{ "MJPEG", "MJPG" },
	};
	char name[8];
	size_t i, n = s ? strlen(s) : 0;
	uint32_t be = 0;
	int ret;

	if (n > 3 && n < sizeof(name) + 3 && !strcasecmp(s + n - 3, "-BE")) {
		/* "Y16 -BE" as printed: the padding is not part of the name. */
		while (n > 3 && s[n - 4] == ' ')
			n--;
		snprintf(name, sizeof(name), "%.*s", (int)(n - 3), s);
		s = name;
		be = ZCAP_TOOL_FOURCC_BE;
	}
	for (i = 0; s && i < sizeof(alias) / sizeof(alias[0]); i++)
		if (!strcasecmp(s, alias[i].name))
			s = alias[i].fcc;
	ret = zcap_fourcc_parse(s, fourcc);
	if (!ret)
		*fourcc |= be;
	return ret;
}

/* Two fourccs alike but for the case of their letters (and not equal). */
static inline int zcap_tool_fourcc_casecmp(uint32_t a, uint32_t b)
{
	int i;

	if ((a & ZCAP_TOOL_FOURCC_BE) != (b & ZCAP_TOOL_FOURCC_BE))
		return 1;
	for (i = 0; i < 4; i++)
		if (tolower((a >> (8 * i)) & 0x7f) != tolower((b >> (8 * i)) & 0x7f))
			return 1;
	return 0;
}

/*
 * The format of @have (a device's, @n of them) that @want names: itself
 * when the device has it, else the one alike but for case ("yuyv" finds
 * YUYV, "pbaa" pBAA). @want itself when none is (the device then says
 * what it refuses).
 */
static inline uint32_t zcap_tool_fourcc_match(uint32_t want, const uint32_t *have, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (have[i] == want)
			return want;
	for (i = 0; i < n; i++)
		if (!zcap_tool_fourcc_casecmp(have[i], want))
			return have[i];
	return want;
}

#endif /* ZCAP_TOOLS_FOURCC_H */
