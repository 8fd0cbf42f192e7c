// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PNG snapshots of captured frames. YUV is taken as BT.601 limited range,
 * which is what V4L2 capture drivers default to for SDTV-sized and webcam
 * YUV formats; exact colour does not matter for a snapshot, the picture
 * does.
 */
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "pngsnap.h"

enum kind {
	K_PACKED_YUV,	/* 4:2:2 in 4-byte macropixels */
	K_SEMI,		/* Y plane + interleaved chroma plane */
	K_PLANAR,	/* Y, U, V planes */
	K_RGB,		/* packed RGB, 3 or 4 bytes per pixel */
	K_RGB565,
	K_GREY,
};

struct conv {
	uint32_t fourcc;
	enum kind kind;
	/* K_PACKED_YUV: byte of Y0, U, Y1, V; K_RGB: bytes per pixel and R, G, B */
	uint8_t a, b, c, d;
	/* K_SEMI/K_PLANAR: chroma subsampling and whether V comes first */
	uint8_t hdiv, vdiv, swap;
};

static const struct conv convs[] = {
	{ V4L2_PIX_FMT_YUYV, K_PACKED_YUV, 0, 1, 2, 3, 0, 0, 0 },
	{ V4L2_PIX_FMT_UYVY, K_PACKED_YUV, 1, 0, 3, 2, 0, 0, 0 },
	{ V4L2_PIX_FMT_YVYU, K_PACKED_YUV, 0, 3, 2, 1, 0, 0, 0 },
	{ V4L2_PIX_FMT_VYUY, K_PACKED_YUV, 1, 2, 3, 0, 0, 0, 0 },
	{ V4L2_PIX_FMT_NV12, K_SEMI, 0, 0, 0, 0, 2, 2, 0 },
	{ V4L2_PIX_FMT_NV21, K_SEMI, 0, 0, 0, 0, 2, 2, 1 },
	{ V4L2_PIX_FMT_NV16, K_SEMI, 0, 0, 0, 0, 2, 1, 0 },
	{ V4L2_PIX_FMT_NV61, K_SEMI, 0, 0, 0, 0, 2, 1, 1 },
	{ V4L2_PIX_FMT_NV24, K_SEMI, 0, 0, 0, 0, 1, 1, 0 },
	{ V4L2_PIX_FMT_NV42, K_SEMI, 0, 0, 0, 0, 1, 1, 1 },
	{ V4L2_PIX_FMT_NV12M, K_SEMI, 0, 0, 0, 0, 2, 2, 0 },
	{ V4L2_PIX_FMT_NV21M, K_SEMI, 0, 0, 0, 0, 2, 2, 1 },
	{ V4L2_PIX_FMT_NV16M, K_SEMI, 0, 0, 0, 0, 2, 1, 0 },
	{ V4L2_PIX_FMT_NV61M, K_SEMI, 0, 0, 0, 0, 2, 1, 1 },
	{ V4L2_PIX_FMT_YUV420, K_PLANAR, 0, 0, 0, 0, 2, 2, 0 },
	{ V4L2_PIX_FMT_YVU420, K_PLANAR, 0, 0, 0, 0, 2, 2, 1 },
	{ V4L2_PIX_FMT_YUV422P, K_PLANAR, 0, 0, 0, 0, 2, 1, 0 },
	{ V4L2_PIX_FMT_YUV420M, K_PLANAR, 0, 0, 0, 0, 2, 2, 0 },
	{ V4L2_PIX_FMT_YVU420M, K_PLANAR, 0, 0, 0, 0, 2, 2, 1 },
	{ V4L2_PIX_FMT_YUV422M, K_PLANAR, 0, 0, 0, 0, 2, 1, 0 },
	{ V4L2_PIX_FMT_YVU422M, K_PLANAR, 0, 0, 0, 0, 2, 1, 1 },
	{ V4L2_PIX_FMT_YUV444M, K_PLANAR, 0, 0, 0, 0, 1, 1, 0 },
	{ V4L2_PIX_FMT_YVU444M, K_PLANAR, 0, 0, 0, 0, 1, 1, 1 },
	{ V4L2_PIX_FMT_RGB24, K_RGB, 3, 0, 1, 2, 0, 0, 0 },
	{ V4L2_PIX_FMT_BGR24, K_RGB, 3, 2, 1, 0, 0, 0, 0 },
	/* Memory order, per the V4L2 RGB format tables. */
	{ V4L2_PIX_FMT_RGB32, K_RGB, 4, 1, 2, 3, 0, 0, 0 },
	{ V4L2_PIX_FMT_XRGB32, K_RGB, 4, 1, 2, 3, 0, 0, 0 },
	{ V4L2_PIX_FMT_ARGB32, K_RGB, 4, 1, 2, 3, 0, 0, 0 },
	{ V4L2_PIX_FMT_BGR32, K_RGB, 4, 2, 1, 0, 0, 0, 0 },
	{ V4L2_PIX_FMT_XBGR32, K_RGB, 4, 2, 1, 0, 0, 0, 0 },
	{ V4L2_PIX_FMT_ABGR32, K_RGB, 4, 2, 1, 0, 0, 0, 0 },
	{ V4L2_PIX_FMT_RGBX32, K_RGB, 4, 0, 1, 2, 0, 0, 0 },
	{ V4L2_PIX_FMT_RGBA32, K_RGB, 4, 0, 1, 2, 0, 0, 0 },
	{ V4L2_PIX_FMT_BGRX32, K_RGB, 4, 3, 2, 1, 0, 0, 0 },
	{ V4L2_PIX_FMT_BGRA32, K_RGB, 4, 3, 2, 1, 0, 0, 0 },
	{ V4L2_PIX_FMT_RGB565, K_RGB565, 0, 0, 0, 0, 0, 0, 0 },
	{ V4L2_PIX_FMT_GREY, K_GREY, 0, 0, 0, 0, 0, 0, 0 },
};

static const struct conv *find_conv(uint32_t fourcc)
{
	size_t i;

	for (i = 0; i < sizeof(convs) / sizeof(convs[0]); i++)
		if (convs[i].fourcc == fourcc)
			return &convs[i];
	return NULL;
}

bool zcap_png_supported(uint32_t fourcc)
{
	return find_conv(fourcc) != NULL;
}

static uint8_t clamp8(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

static void yuv_rgb(int y, int u, int v, uint8_t *rgb)
{
	int c = y - 16, d = u - 128, e = v - 128;

	rgb[0] = clamp8((298 * c + 409 * e + 128) >> 8);
	rgb[1] = clamp8((298 * c - 100 * d - 208 * e + 128) >> 8);
	rgb[2] = clamp8((298 * c + 516 * d + 128) >> 8);
}

/* Bytes of a line of plane @p that the conversion reads. */
static uint64_t line_bytes(const struct conv *cv, const struct zcap_format *f,
			   uint32_t p)
{
	uint32_t w = f->width, cw;

	switch (cv->kind) {
	case K_PACKED_YUV:
		return (uint64_t)(w + 1) / 2 * 4;
	case K_SEMI:
		cw = (w + cv->hdiv - 1) / cv->hdiv;
		return p == 0 ? w : (uint64_t)cw * 2;
	case K_PLANAR:
		cw = (w + cv->hdiv - 1) / cv->hdiv;
		return p == 0 ? w : cw;
	case K_RGB:
		return (uint64_t)w * cv->a;
	case K_RGB565:
		return (uint64_t)w * 2;
	case K_GREY:
		return w;
	}
	return 0;
}

static uint32_t plane_lines(const struct conv *cv, const struct zcap_format *f,
			    uint32_t p)
{
	if (p > 0 && (cv->kind == K_SEMI || cv->kind == K_PLANAR))
		return (f->height + cv->vdiv - 1) / cv->vdiv;
	return f->height;
}

static void convert_row(const struct conv *cv, const struct zcap_format *f,
			const uint8_t *const base[3], uint32_t y, uint8_t *out)
{
	const struct zcap_plane_layout *pl = f->planes;
	uint32_t x, w = f->width;
	const uint8_t *l0 = base[0] + (uint64_t)y * pl[0].stride;

	switch (cv->kind) {
	case K_PACKED_YUV:
		for (x = 0; x < w; x++) {
			const uint8_t *m = l0 + (x / 2) * 4;

			yuv_rgb(m[(x & 1) ? cv->c : cv->a], m[cv->b], m[cv->d], out + 3 * x);
		}
		break;
	case K_SEMI: {
		const uint8_t *c = base[1] + (uint64_t)(y / cv->vdiv) * pl[1].stride;

		for (x = 0; x < w; x++) {
			const uint8_t *uv = c + (x / cv->hdiv) * 2;

			yuv_rgb(l0[x], uv[cv->swap], uv[!cv->swap], out + 3 * x);
		}
		break;
	}
	case K_PLANAR: {
		const uint8_t *u = base[cv->swap ? 2 : 1] +
			(uint64_t)(y / cv->vdiv) * pl[cv->swap ? 2 : 1].stride;
		const uint8_t *v = base[cv->swap ? 1 : 2] +
			(uint64_t)(y / cv->vdiv) * pl[cv->swap ? 1 : 2].stride;

		for (x = 0; x < w; x++)
			yuv_rgb(l0[x], u[x / cv->hdiv], v[x / cv->hdiv], out + 3 * x);
		break;
	}
	case K_RGB:
		for (x = 0; x < w; x++) {
			const uint8_t *px = l0 + (uint64_t)x * cv->a;

			out[3 * x] = px[cv->b];
			out[3 * x + 1] = px[cv->c];
			out[3 * x + 2] = px[cv->d];
		}
		break;
	case K_RGB565:
		for (x = 0; x < w; x++) {
			uint16_t v = (uint16_t)(l0[2 * x] | (l0[2 * x + 1] << 8));

			out[3 * x] = (uint8_t)(((v >> 11) & 0x1f) * 255 / 31);
			out[3 * x + 1] = (uint8_t)(((v >> 5) & 0x3f) * 255 / 63);
			out[3 * x + 2] = (uint8_t)((v & 0x1f) * 255 / 31);
		}
		break;
	case K_GREY:
		for (x = 0; x < w; x++)
			out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = l0[x];
		break;
	}
}

struct png_ctx {
	char *err;
	size_t errlen;
	jmp_buf jmp;
};

static void png_error_fn(png_structp png, png_const_charp msg)
{
	struct png_ctx *ctx = png_get_error_ptr(png);

	snprintf(ctx->err, ctx->errlen, "libpng: %s", msg);
	longjmp(ctx->jmp, 1);
}

static void png_warn_fn(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/*
 * @path opened for the PNG; *@created says whether this call made it. A
 * failed write removes only a file it made: --png may name a device, a
 * FIFO or a link (/dev/full, /dev/stdout), never the tool's to delete.
 */
static FILE *open_png(const char *path, bool *created)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	FILE *fp;
	int e;

	*created = fd >= 0;
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	fp = fdopen(fd, "wb");
	if (!fp) {
		e = errno;
		close(fd);
		if (*created)
			unlink(path);
		errno = e;
	}
	return fp;
}

static int write_png(const char *path, const struct conv *cv,
		     const struct zcap_format *f, const uint8_t *const base[3],
		     char *err, size_t errlen)
{
	/* volatile: they are read after longjmp() back into this frame. */
	FILE *volatile fp = NULL;
	uint8_t *volatile row = NULL;
	png_structp png;
	png_infop info = NULL;
	struct png_ctx ctx = { .err = err, .errlen = errlen };
	volatile int ret = -EIO;
	bool created;
	uint32_t y;

	fp = open_png(path, &created);
	if (!fp) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	row = malloc((size_t)f->width * 3);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, png_error_fn,
				      png_warn_fn);
	if (png)
		info = png_create_info_struct(png);
	if (!row || !png || !info) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	if (setjmp(ctx.jmp)) {
		ret = -EIO;
		goto out;
	}
	png_init_io(png, fp);
	png_set_IHDR(png, info, f->width, f->height, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < f->height; y++) {
		convert_row(cv, f, base, y, row);
		png_write_row(png, row);
	}
	png_write_end(png, info);
	ret = 0;
out:
	if (png)
		png_destroy_write_struct(&png, info ? &info : NULL);
	free(row);
	if (fclose(fp) != 0 && ret == 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	}
	if (ret < 0 && created)
		unlink(path);
	return ret;
}

int zcap_png_write(const char *path, struct zcap_sample *s,
		   const struct zcap_format *f, char *err, size_t errlen)
{
	const struct conv *cv = find_conv(f->fourcc);
	const uint8_t *base[3] = { NULL, NULL, NULL };
	struct zcap_mem mem;
	uint32_t np, p;
	char fcc[5];
	int ret;

	if (!cv) {
		snprintf(err, errlen, "no PNG conversion for %s",
			 zcap_fourcc_str(f->fourcc, fcc));
		return -ENOTSUP;
	}
	np = cv->kind == K_SEMI ? 2 : cv->kind == K_PLANAR ? 3 : 1;
	if (f->n_planes < np || !f->width || !f->height) {
		snprintf(err, errlen, "the frame's layout has %u planes, %s needs %u",
			 f->n_planes, zcap_fourcc_str(f->fourcc, fcc), np);
		return -EINVAL;
	}
	/* Every byte we will read must be inside the sample's memory. */
	for (p = 0; p < np; p++) {
		const struct zcap_plane_layout *pl = &f->planes[p];
		uint64_t len = line_bytes(cv, f, p);
		uint32_t lines = plane_lines(cv, f, p);

		ret = zcap_sample_mem(s, pl->mem, &mem);
		if (ret < 0 || len > pl->stride ||
		    pl->offset + (uint64_t)(lines - 1) * pl->stride + len > mem.length) {
			snprintf(err, errlen, "plane %u does not fit its memory block", p);
			return -EINVAL;
		}
	}
	ret = zcap_sample_cpu_begin(s, ZCAP_ACCESS_READ);
	if (ret < 0) {
		snprintf(err, errlen, "CPU access to the frame: %s", zcap_strerror(ret));
		return ret;
	}
	for (p = 0; p < np; p++) {
		const uint8_t *d = zcap_sample_data(s, f->planes[p].mem);

		if (!d) {
			snprintf(err, errlen, "no CPU mapping of the frame");
			zcap_sample_cpu_end(s);
			return -EFAULT;
		}
		base[p] = d + f->planes[p].offset;
	}
	ret = write_png(path, cv, f, base, err, errlen);
	zcap_sample_cpu_end(s);
	return ret;
}
