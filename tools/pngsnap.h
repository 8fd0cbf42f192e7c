/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One captured frame to a PNG file: YUV and RGB formats converted to RGB. */
#ifndef ZCAP_TOOLS_PNGSNAP_H
#define ZCAP_TOOLS_PNGSNAP_H

#include <stdbool.h>
#include <stddef.h>

#include <zcap/zcap.h>

/* true when zcap_png_write() can convert @fourcc. */
bool zcap_png_supported(uint32_t fourcc);

/*
 * Write the frame in @s, laid out as @fmt (offset and stride per plane),
 * as an 8-bit RGB PNG to @path. Reads inside zcap_sample_cpu_begin/end.
 * On failure returns a negative errno and puts one line in @err.
 */
int zcap_png_write(const char *path, struct zcap_sample *s,
		   const struct zcap_format *fmt, char *err, size_t errlen);

#endif /* ZCAP_TOOLS_PNGSNAP_H */
