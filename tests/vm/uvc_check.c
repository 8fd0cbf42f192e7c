// SPDX-License-Identifier: GPL-2.0
/*
 * uvc_check: verify a capture of the emulated USB camera
 * (tests/vm/uvc_gadget.c), frame by frame.
 *
 * Usage: uvc_check --format YUYV|MJPEG --size WxH [--expect N] FILE
 *   FILE holds the frames back to back, as v4l2-ctl --stream-to writes
 *   them: W * H * 2 bytes per YUYV frame, each MJPEG frame's bytes used.
 *
 * YUYV frames must match tests/vm/uvc_pattern.h exactly. MJPEG frames
 * must run from SOI to EOI, carry the COM segment the gadget writes right
 * after SOI (frame number and size), and decode with libjpeg, without a
 * warning, to W x H. Frame numbers must increase strictly; gaps (frames
 * the capture dropped) are counted, not failed.
 *
 * Prints "frames=N bad=B first=A last=L gaps=G min=BYTES max=BYTES" on
 * stdout (N good frames numbered A to L, B bad ones) and every fault on
 * stderr. Exit status 0 when every frame is good and,
 * with --expect, there are exactly N; 1 otherwise; 2 on misuse.
 */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "uvc_pattern.h"

struct result {
	unsigned int frames, bad, gaps;
	uint32_t first, last;
	size_t min, max;
};

struct check {
	bool mjpeg;
	uint32_t w, h;
	long expect;
	struct result r;
};

/* ---- Frame numbers ---- */

static void count_frame(struct check *c, uint32_t n, size_t bytes)
{
	struct result *r = &c->r;

	if (r->frames && n <= r->last) {
		fprintf(stderr, "uvc_check: frame %u: number %u after %u\n",
			r->frames + r->bad, n, r->last);
		r->bad++;
		return;
	}
	if (r->frames)
		r->gaps += n - r->last - 1;
	else {
		r->first = n;
		r->min = r->max = bytes;
	}
	r->last = n;
	r->frames++;
	if (bytes < r->min)
		r->min = bytes;
	if (bytes > r->max)
		r->max = bytes;
}

/* ---- YUYV ---- */

static void check_yuyv(struct check *c, const uint8_t *buf, size_t len)
{
	size_t size = uvc_pat_yuyv_size(c->w, c->h);

	if (len % size) {
		fprintf(stderr, "uvc_check: %zu bytes is not a whole number of %zu-byte frames\n",
			len, size);
		c->r.bad++;
	}
	for (size_t off = 0; off + size <= len; off += size) {
		uint32_t n;
		size_t bad;

		if (uvc_pat_check(buf + off, size, c->w, c->h, &n, &bad) < 0) {
			fprintf(stderr, "uvc_check: frame %u (file offset %zu): header says frame %u, first wrong byte at %zu\n",
				c->r.frames + c->r.bad, off,
				uvc_pat_get(buf + off, 1), bad);
			c->r.bad++;
			continue;
		}
		count_frame(c, n, size);
	}
}

/* ---- MJPEG ---- */

/* Length of the JPEG at buf (SOI to EOI inclusive), or 0. */
static size_t jpeg_length(const uint8_t *buf, size_t len)
{
	size_t p = 2;

	if (len < 4 || buf[0] != 0xff || buf[1] != 0xd8)
		return 0;
	while (p + 1 < len) {
		uint8_t m;

		if (buf[p] != 0xff)
			return 0;
		m = buf[p + 1];
		if (m == 0xff) {		/* fill byte */
			p++;
			continue;
		}
		p += 2;
		if (m == 0xd9)
			return p;
		if (m == 0x01 || (m >= 0xd0 && m <= 0xd7))
			continue;
		if (p + 2 > len)
			return 0;
		p += (size_t)buf[p] << 8 | buf[p + 1];
		if (m != 0xda)
			continue;
		/* Entropy-coded data runs to the next marker that is not a
		 * stuffed 0xff00 or a restart marker. */
		while (p + 1 < len && !(buf[p] == 0xff && buf[p + 1] != 0 &&
					(buf[p + 1] < 0xd0 || buf[p + 1] > 0xd7)))
			p++;
	}
	return 0;
}

/* The frame number in the COM segment right after SOI, or -1. */
static long com_frame(const struct check *c, const uint8_t *buf, size_t len)
{
	char text[128], want[32];
	size_t tlen;
	char *end;
	unsigned long n;

	if (len < 6 || buf[2] != 0xff || buf[3] != 0xfe)
		return -1;
	tlen = ((size_t)buf[4] << 8 | buf[5]) - 2;
	if (tlen >= sizeof(text) || 6 + tlen > len)
		return -1;
	memcpy(text, buf + 6, tlen);
	text[tlen] = 0;
	if (strncmp(text, UVC_PAT_COM, strlen(UVC_PAT_COM)))
		return -1;
	errno = 0;
	n = strtoul(text + strlen(UVC_PAT_COM), &end, 10);
	snprintf(want, sizeof(want), " size=%ux%u", c->w, c->h);
	if (errno || n > UINT32_MAX || *end != ' ' || !strstr(end, want))
		return -1;
	return (long)n;
}

struct jerr {
	struct jpeg_error_mgr mgr;
	jmp_buf env;
	int warnings;
	char msg[JMSG_LENGTH_MAX];
};

static void jerr_exit(j_common_ptr cinfo)
{
	struct jerr *e = (struct jerr *)cinfo->err;

	e->mgr.format_message(cinfo, e->msg);
	longjmp(e->env, 1);
}

/* libjpeg reports corrupt data as warnings (level -1) and decodes on. */
static void jerr_emit(j_common_ptr cinfo, int level)
{
	struct jerr *e = (struct jerr *)cinfo->err;

	if (level < 0 && !e->warnings++)
		e->mgr.format_message(cinfo, e->msg);
}

/* Decode it all with d, set up; -1 on a libjpeg error (in e->msg). */
static int jpeg_run(struct jpeg_decompress_struct *d, struct jerr *e,
		    const uint8_t *buf, size_t len)
{
	JSAMPARRAY row;

	if (setjmp(e->env))
		return -1;
	jpeg_mem_src(d, buf, (unsigned long)len);
	jpeg_read_header(d, TRUE);
	jpeg_start_decompress(d);
	/* From libjpeg's pool: freed by jpeg_destroy_decompress(). */
	row = d->mem->alloc_sarray((j_common_ptr)d, JPOOL_IMAGE,
				   d->output_width * d->output_components, 1);
	while (d->output_scanline < d->output_height)
		jpeg_read_scanlines(d, row, 1);
	jpeg_finish_decompress(d);
	return 0;
}

/* 0 when libjpeg decodes it without a word and to the right size. */
static int jpeg_decode(const struct check *c, const uint8_t *buf, size_t len,
		       char *why, size_t whylen)
{
	struct jpeg_decompress_struct d;
	struct jerr e = { .warnings = 0 };
	int r = -1;

	d.err = jpeg_std_error(&e.mgr);
	e.mgr.error_exit = jerr_exit;
	e.mgr.emit_message = jerr_emit;
	jpeg_create_decompress(&d);
	if (jpeg_run(&d, &e, buf, len) < 0)
		snprintf(why, whylen, "libjpeg: %s", e.msg);
	else if (e.warnings)
		snprintf(why, whylen, "libjpeg warns: %s", e.msg);
	else if (d.output_width != c->w || d.output_height != c->h)
		snprintf(why, whylen, "decodes to %ux%u", d.output_width,
			 d.output_height);
	else
		r = 0;
	jpeg_destroy_decompress(&d);
	return r;
}

static void check_mjpeg(struct check *c, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		size_t n = jpeg_length(buf + off, len - off);
		long frame;
		char why[JMSG_LENGTH_MAX + 32] = "";

		if (!n) {
			fprintf(stderr, "uvc_check: frame %u (file offset %zu): no JPEG from SOI to EOI\n",
				c->r.frames + c->r.bad, off);
			c->r.bad++;
			return;
		}
		frame = com_frame(c, buf + off, n);
		if (frame < 0 || jpeg_decode(c, buf + off, n, why, sizeof(why)) < 0) {
			fprintf(stderr, "uvc_check: frame %u (file offset %zu, %zu bytes): %s\n",
				c->r.frames + c->r.bad, off, n,
				frame < 0 ? "no ZUVC COM segment of this size after SOI" : why);
			c->r.bad++;
		} else {
			count_frame(c, (uint32_t)frame, n);
		}
		off += n;
	}
}

/* ---- Main ---- */

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (!f)
		return NULL;
	do {
		if (*len == cap) {
			uint8_t *nb = realloc(buf, cap = cap ? 2 * cap : 1 << 20);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n > 0);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void usage(void)
{
	fprintf(stderr, "usage: uvc_check --format YUYV|MJPEG --size WxH [--expect N] FILE\n");
	exit(2);
}

static const char *parse_args(struct check *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 's' },
		{ "expect", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_fmt = false;
	int o;

	c->expect = -1;
	while ((o = getopt_long(argc, argv, "f:s:e:", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			if (strcmp(optarg, "YUYV") && strcmp(optarg, "MJPEG"))
				usage();
			c->mjpeg = !strcmp(optarg, "MJPEG");
			have_fmt = true;
			break;
		case 's':
			if (sscanf(optarg, "%ux%u", &c->w, &c->h) != 2 ||
			    !c->w || !c->h || c->w % 2)
				usage();
			break;
		case 'e':
			c->expect = strtol(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (!have_fmt || !c->w || optind != argc - 1)
		usage();
	return argv[optind];
}

int main(int argc, char **argv)
{
	struct check c = { .mjpeg = false };
	const char *path = parse_args(&c, argc, argv);
	size_t len;
	uint8_t *buf = read_file(path, &len);

	if (!buf) {
		fprintf(stderr, "uvc_check: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (c.mjpeg)
		check_mjpeg(&c, buf, len);
	else
		check_yuyv(&c, buf, len);
	free(buf);
	printf("frames=%u bad=%u first=%u last=%u gaps=%u min=%zu max=%zu\n",
	       c.r.frames, c.r.bad, c.r.first, c.r.last, c.r.gaps, c.r.min,
	       c.r.max);
	if (c.expect >= 0 && c.r.frames + c.r.bad != (unsigned long)c.expect) {
		fprintf(stderr, "uvc_check: %u frames, expected %ld\n",
			c.r.frames + c.r.bad, c.expect);
		return 1;
	}
	return c.r.bad || !c.r.frames ? 1 : 0;
}
