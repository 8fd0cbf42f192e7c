/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pixel format names as people type them: a fourcc ("YUYV", "NM12") or the
 * V4L2 name of a multi-memory format ("NV12M"), whose fourcc differs.
 */
#ifndef ZCAP_TOOLS_FOURCC_H
#define ZCAP_TOOLS_FOURCC_H

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <zcap/format.h>

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
	size_t i;

	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (!strcasecmp(s, alias[i].name))
			return zcap_fourcc_parse(alias[i].fcc, fourcc);
	return zcap_fourcc_parse(s, fourcc);
}

#endif /* ZCAP_TOOLS_FOURCC_H */
