// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zcap-info --json: the same facts as the text (info.h), for programs.
 * One object: "version", "devices" (each with its formats, their sizes
 * and the frame intervals at each size), "providers" (each with its state
 * and, when it cannot be used, why and the fix) and "libzcap" (what
 * libzcap would choose). Strings are escaped byte by byte; a byte above
 * 0x7f becomes \u00XX, so that a driver's odd card name is still JSON.
 */
#include <errno.h>
#include <string.h>

#include <zcap/zcap.h>

#include "fourcc.h"
#include "info.h"

static void jstr(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p > 0x7e)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* "key": "value" (value NULL: null). */
static void jkv(FILE *f, const char *key, const char *value, bool comma)
{
	jstr(f, key);
	fputs(": ", f);
	if (value)
		jstr(f, value);
	else
		fputs("null", f);
	if (comma)
		fputs(", ", f);
}

static void json_begin(FILE *f)
{
	fprintf(f, "{\"version\": ");
	jstr(f, zcap_version());
	fprintf(f, ",\n \"devices\": [");
}

static void json_fract(FILE *f, const char *key, const struct v4l2_fract *q)
{
	fprintf(f, "\"%s\": [%u, %u]", key, q->numerator, q->denominator);
}

/* Intervals as [numerator, denominator] seconds per frame. */
static void json_intervals(FILE *f, const struct info_size *s)
{
	const struct v4l2_frmivalenum *iv;
	uint32_t i;

	fprintf(f, "\"intervals\": [");
	for (i = 0; i < s->n_ivals; i++) {
		iv = &s->ivals[i];
		fprintf(f, "%s{", i ? ", " : "");
		if (iv->type == V4L2_FRMIVAL_TYPE_DISCRETE) {
			json_fract(f, "interval", &iv->discrete);
		} else {
			json_fract(f, "min", &iv->stepwise.min);
			fputs(", ", f);
			json_fract(f, "max", &iv->stepwise.max);
			fputs(", ", f);
			json_fract(f, "step", &iv->stepwise.step);
		}
		fputc('}', f);
	}
	fputc(']', f);
}

static void json_size(FILE *f, const struct info_size *s)
{
	const struct v4l2_frmsizeenum *fs = &s->fs;

	if (fs->type == V4L2_FRMSIZE_TYPE_DISCRETE)
		fprintf(f, "{\"width\": %u, \"height\": %u, ", fs->discrete.width,
			fs->discrete.height);
	else
		fprintf(f, "{\"min_width\": %u, \"min_height\": %u, \"max_width\": %u, "
			"\"max_height\": %u, \"step_width\": %u, \"step_height\": %u, ",
			fs->stepwise.min_width, fs->stepwise.min_height,
			fs->stepwise.max_width, fs->stepwise.max_height,
			fs->stepwise.step_width, fs->stepwise.step_height);
	json_intervals(f, s);
	fputc('}', f);
}

static void json_format(FILE *f, const struct info_fmt *fm)
{
	char name[ZCAP_TOOL_FOURCC_LEN];
	uint32_t i;

	fprintf(f, "{");
	jkv(f, "fourcc", zcap_tool_fourcc_name(fm->desc.pixelformat, name), true);
	fprintf(f, "\"big_endian\": %s, \"code\": %u, ",
		(fm->desc.pixelformat & ZCAP_TOOL_FOURCC_BE) ? "true" : "false",
		fm->desc.pixelformat);
	jkv(f, "description", (const char *)fm->desc.description, true);
	fprintf(f, "\"compressed\": %s, \"sizes\": [",
		(fm->desc.flags & V4L2_FMT_FLAG_COMPRESSED) ? "true" : "false");
	for (i = 0; i < fm->n_sizes; i++) {
		fputs(i ? ", " : "", f);
		json_size(f, &fm->sizes[i]);
	}
	fprintf(f, "]}");
}

static void json_memory(FILE *f, const struct info_dev *d)
{
	static const struct {
		uint32_t cap;
		const char *name;
	} mems[] = {
		{ V4L2_BUF_CAP_SUPPORTS_MMAP, "mmap" },
		{ V4L2_BUF_CAP_SUPPORTS_USERPTR, "userptr" },
		{ V4L2_BUF_CAP_SUPPORTS_DMABUF, "dmabuf" },
	};
	size_t i;
	int n = 0;

	/* Unknown (REQBUFS failed, e.g. EBUSY): an empty list. */
	fprintf(f, "\"memory\": [");
	for (i = 0; i < sizeof(mems) / sizeof(mems[0]); i++)
		if (!d->reqbufs_err && (d->bufcaps & mems[i].cap))
			fprintf(f, "%s\"%s\"", n++ ? ", " : "", mems[i].name);
	fprintf(f, "], \"dmabuf_import\": %s",
		!d->reqbufs_err && (d->bufcaps & V4L2_BUF_CAP_SUPPORTS_DMABUF) ? "true" : "false");
}

static void json_device(FILE *f, const struct info_dev *d, bool first)
{
	uint32_t i;

	fprintf(f, "%s\n  {", first ? "" : ",");
	jkv(f, "path", d->path, true);
	if (d->open_err || d->querycap_err || !d->capture) {
		jkv(f, "error", d->open_err ? strerror(d->open_err) :
		    d->querycap_err == ENOTTY ? "not a V4L2 device" :
		    d->querycap_err ? strerror(d->querycap_err) : "not a video capture device",
		    false);
		fputc('}', f);
		return;
	}
	jkv(f, "card", (const char *)d->cap.card, true);
	jkv(f, "driver", (const char *)d->cap.driver, true);
	jkv(f, "bus_info", (const char *)d->cap.bus_info, true);
	fprintf(f, "\"multiplanar\": %s, \"streaming\": %s, ",
		d->type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE ? "true" : "false",
		(d->caps & V4L2_CAP_STREAMING) ? "true" : "false");
	json_memory(f, d);
	fprintf(f, ",\n   \"formats\": [");
	for (i = 0; i < d->n_fmts; i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		json_format(f, &d->fmts[i]);
	}
	fprintf(f, "]}");
}

static void json_devices_end(FILE *f, unsigned int found)
{
	(void)found;
	fprintf(f, "],\n \"providers\": [");
}

static void json_provider(FILE *f, const struct zcap_prov_check *c, bool first)
{
	fprintf(f, "%s\n  {", first ? "" : ",");
	jkv(f, "name", c->name, true);
	jkv(f, "device", c->path, true);
	fprintf(f, "\"available\": %s, ", c->state == ZCAP_PROV_OK ? "true" : "false");
	jkv(f, "state", zcap_prov_state_key(c->state), true);
	jkv(f, "module", zcap_kmod_state_name(c->kmod), true);
	jkv(f, "reason", c->state == ZCAP_PROV_OK ? NULL : c->why, true);
	jkv(f, "fix", c->fix[0] ? c->fix : NULL, false);
	fputc('}', f);
}

static void json_end(FILE *f, int lib_ret, const char *lib_describe)
{
	fprintf(f, "],\n \"libzcap\": {");
	if (lib_ret < 0) {
		fprintf(f, "\"available\": false, ");
		jkv(f, "error", lib_describe, false);
	} else {
		fprintf(f, "\"available\": true, ");
		jkv(f, "uses", lib_describe, false);
	}
	fprintf(f, "}}\n");
}

const struct info_printer info_json = {
	.begin = json_begin,
	.device = json_device,
	.devices_end = json_devices_end,
	.provider = json_provider,
	.end = json_end,
};
