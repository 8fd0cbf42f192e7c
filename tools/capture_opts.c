// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zcap-capture's command line (capture_opts.h). Numbers, sizes and the
 * usage error are read as every tool reads them (toolopt.h).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zcap/zcap.h>

#include "capture_opts.h"
#include "fourcc.h"
#include "toolopt.h"

#define CAPTURE_MAX_EXTRA_BUFFERS	256

static const char *prog = ZCAP_CAPTURE_PROG;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [options]\n"
"Capture frames from a V4L2 device with zero copy (dma-buf buffers imported\n"
"by the driver) and write them to a file and/or one frame to a PNG.\n"
"\n"
"  -d, --device PATH     capture device (default /dev/video0)\n"
"  -s, --size WxH        frame size, e.g. 1280x720 (default: the driver's)\n"
"  -f, --format FOURCC   pixel format, e.g. YUYV, NV12, NV12M, in any case\n"
"                        (default: the driver's)\n"
"      --stride N        bytes per line to ask the driver for\n"
"      --fps N           frame rate to ask the driver for\n"
"  -n, --frames N        stop after N frames (default: until Ctrl-C)\n"
"  -o, --output FILE     write every frame to FILE ('-' for standard output);\n"
"                        the visible lines of each plane, no padding; a compressed\n"
"                        format (MJPEG, H264) as the bytes the driver used\n"
"      --raw             write whole planes, stride padding included\n"
"      --png FILE        write the first frame as a PNG\n"
"      --provider P      buffers from: auto (default), zcap, heap, udmabuf, memory\n"
"                        (memory: no dma-buf; the driver's buffers are copied)\n"
"      --buffers N       buffers beyond what the driver and the writer need\n"
"      --timeout MS      give up when no frame comes for MS ms (default 5000)\n"
"      --encode DEV      also encode the frames with a V4L2 mem2mem encoder (DEV or\n"
"                        'auto'); -o then gets the bitstream instead of raw frames\n"
"      --passthrough DEV also play the frames on a V4L2 video output device\n"
"      --drm DEV         also import the frames into a DRM device (/dev/dri/cardN),\n"
"                        shown on its display when this program may set planes\n"
"      --force-copy      consumers copy through their own buffers (to compare)\n"
"  -q, --quiet           no progress line, no summary\n"
"  -v, --verbose         print libzcap's log to stderr: each decision (-vv: and\n"
"                        what it was made from); ZCAP_DEBUG=LEVEL does the same\n"
"      --version         print the version and exit\n"
"  -h, --help            print this text and exit\n"
"\n"
"Exit status: 0 when every requested frame was captured and written,\n"
"1 on an error, 2 on a usage error, 3 when the reader of the output closed it\n"
"(zcap-capture -o - | head): the summary still goes to stderr.\n", prog);
}

static uint32_t parse_u32(const char *s, const char *what)
{
	uint32_t v;
	int ret = zcap_tool_parse_u32(s, 10, 0, UINT32_MAX, &v);

	if (ret == -ERANGE)
		zcap_tool_die_usage(prog, "%s '%s' is too large", what, s);
	if (ret < 0)
		zcap_tool_die_usage(prog, "invalid %s '%s'", what, s);
	return v;
}

static enum zcap_provider parse_provider(const char *s)
{
	if (!strcmp(s, "auto"))
		return ZCAP_PROVIDER_AUTO;
	if (!strcmp(s, "zcap"))
		return ZCAP_PROVIDER_ZCAP;
	if (!strcmp(s, "heap") || !strcmp(s, "dma-heap"))
		return ZCAP_PROVIDER_DMA_HEAP;
	if (!strcmp(s, "udmabuf"))
		return ZCAP_PROVIDER_UDMABUF;
	if (!strcmp(s, "memory"))
		return ZCAP_PROVIDER_MEMORY;
	zcap_tool_die_usage(prog, "unknown provider '%s' (auto, zcap, heap, udmabuf, memory)", s);
}

enum { O_STRIDE = 256, O_FPS, O_RAW, O_PNG, O_PROVIDER, O_BUFFERS, O_TIMEOUT,
       O_ENCODE, O_PASSTHROUGH, O_DRM, O_FORCE_COPY };

static const struct option lopts[] = {
	{ "device", required_argument, NULL, 'd' },
	{ "size", required_argument, NULL, 's' },
	{ "format", required_argument, NULL, 'f' },
	{ "stride", required_argument, NULL, O_STRIDE },
	{ "fps", required_argument, NULL, O_FPS },
	{ "frames", required_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	{ "raw", no_argument, NULL, O_RAW },
	{ "png", required_argument, NULL, O_PNG },
	{ "provider", required_argument, NULL, O_PROVIDER },
	{ "buffers", required_argument, NULL, O_BUFFERS },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "encode", required_argument, NULL, O_ENCODE },
	{ "passthrough", required_argument, NULL, O_PASSTHROUGH },
	{ "drm", required_argument, NULL, O_DRM },
	{ "force-copy", no_argument, NULL, O_FORCE_COPY },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, ZCAP_TOOL_OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* The options that describe the frames asked of the driver. */
static bool parse_frame_opt(struct zcap_capture_opts *o, int c, const char *arg)
{
	uint64_t n;

	switch (c) {
	case 's':
		if (zcap_tool_parse_size(arg, 1, &o->width, &o->height) < 0)
			zcap_tool_die_usage(prog, "invalid size '%s' (want WxH, e.g. 1280x720)", arg);
		return true;
	case 'f':
		if (zcap_tool_parse_fourcc(arg, &o->fourcc) < 0)
			zcap_tool_die_usage(prog, "invalid format '%s' (want a fourcc such as YUYV, NV12 or NV12M)",
					    arg);
		return true;
	case O_STRIDE:
		o->stride = parse_u32(arg, "stride");
		return true;
	case O_FPS:
		o->fps = parse_u32(arg, "frame rate");
		return true;
	case 'n':
		if (zcap_tool_parse_u64(arg, 10, 1, UINT64_MAX, &n) < 0)
			zcap_tool_die_usage(prog, "invalid frame count '%s' (at least 1)", arg);
		o->frames = n;
		return true;
	case O_BUFFERS:
		o->extra = parse_u32(arg, "buffer count");
		/* No provider gives a pool more (zcap.ko's ZCAP_MAX_BUFFERS). */
		if (o->extra > CAPTURE_MAX_EXTRA_BUFFERS)
			zcap_tool_die_usage(prog, "buffer count '%s' is too large (at most %u)",
					    arg, CAPTURE_MAX_EXTRA_BUFFERS);
		return true;
	case O_TIMEOUT:
		n = parse_u32(arg, "timeout");
		if (!n)
			zcap_tool_die_usage(prog, "--timeout must be at least 1 ms");
		/* The library's timeouts are ints: more would wrap negative. */
		if (n > INT_MAX)
			zcap_tool_die_usage(prog, "timeout '%s' is too large (at most %d ms)",
					    arg, INT_MAX);
		o->timeout_ms = (int)n;
		return true;
	}
	return false;
}

/* Where the frames go and how the tool speaks. */
static bool parse_output_opt(struct zcap_capture_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'o':
		o->output = arg;
		return true;
	case O_RAW:
		o->raw = true;
		return true;
	case O_PNG:
		o->png = arg;
		return true;
	case O_PROVIDER:
		o->provider = parse_provider(arg);
		return true;
	case O_ENCODE:
		o->encode = arg;
		return true;
	case O_PASSTHROUGH:
		o->passthrough = arg;
		return true;
	case O_DRM:
		o->drm = arg;
		return true;
	case O_FORCE_COPY:
		o->force_copy = true;
		return true;
	case 'q':
		o->quiet = true;
		return true;
	case 'v':
		o->verbose++;
		return true;
	}
	return false;
}

void zcap_capture_parse_opts(int argc, char **argv, struct zcap_capture_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->device = "/dev/video0";
	o->provider = ZCAP_PROVIDER_AUTO;
	while ((c = getopt_long(argc, argv, "d:s:f:n:o:qvh", lopts, NULL)) != -1) {
		if (parse_frame_opt(o, c, optarg) || parse_output_opt(o, c, optarg))
			continue;
		switch (c) {
		case 'd':
			o->device = optarg;
			break;
		default:
			zcap_tool_std_opt(c, prog, usage);
		}
	}
	zcap_tool_no_operands(argc, argv, prog);
	if (o->raw && o->encode)
		zcap_tool_die_usage(prog, "--raw applies to raw frames; with --encode, -o is the bitstream");
}
