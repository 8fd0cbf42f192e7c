// SPDX-License-Identifier: GPL-2.0-or-later
/* zcap-capture's command line (capture_opts.h). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zcap/zcap.h>

#include "capture_opts.h"
#include "fourcc.h"

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
"  -f, --format FOURCC   pixel format, e.g. YUYV, NV12, NV12M (default: the driver's)\n"
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
"      --drm DEV         also import the frames into a DRM device (/dev/dri/cardN)\n"
"      --force-copy      consumers copy through their own buffers (to compare)\n"
"  -q, --quiet           no progress line, no summary\n"
"  -v, --verbose         print libzcap's log to stderr: each decision (-vv: and\n"
"                        what it was made from); ZCAP_DEBUG=LEVEL does the same\n"
"  -h, --help            this text\n"
"\n"
"Exit status: 0 when every requested frame was captured and written,\n"
"1 on an error, 2 on a usage error.\n", prog);
}

static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	exit(2);
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-')
		die_usage("invalid %s '%s'", what, s);
	return v;
}

static uint32_t parse_u32(const char *s, const char *what)
{
	uint64_t v = parse_u64(s, what);

	if (v > UINT32_MAX)
		die_usage("%s '%s' is too large", what, s);
	return (uint32_t)v;
}

void zcap_capture_parse_opts(int argc, char **argv, struct zcap_capture_opts *o)
{
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
		{ NULL, 0, NULL, 0 },
	};
	char *x;
	int c;

	memset(o, 0, sizeof(*o));
	o->device = "/dev/video0";
	o->provider = ZCAP_PROVIDER_AUTO;
	while ((c = getopt_long(argc, argv, "d:s:f:n:o:qvh", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->device = optarg;
			break;
		case 's':
			x = strchr(optarg, 'x');
			if (!x)
				x = strchr(optarg, 'X');
			if (!x)
				die_usage("invalid size '%s' (want WxH, e.g. 1280x720)", optarg);
			*x = '\0';
			o->width = parse_u32(optarg, "width");
			o->height = parse_u32(x + 1, "height");
			if (!o->width || !o->height)
				die_usage("invalid size %ux%u", o->width, o->height);
			break;
		case 'f':
			if (zcap_tool_parse_fourcc(optarg, &o->fourcc) < 0)
				die_usage("invalid format '%s' (want a fourcc such as YUYV, NV12 or NV12M)",
					  optarg);
			break;
		case O_STRIDE:
			o->stride = parse_u32(optarg, "stride");
			break;
		case O_FPS:
			o->fps = parse_u32(optarg, "frame rate");
			break;
		case 'n':
			o->frames = parse_u64(optarg, "frame count");
			if (!o->frames)
				die_usage("--frames must be at least 1");
			break;
		case 'o':
			o->output = optarg;
			break;
		case O_RAW:
			o->raw = true;
			break;
		case O_PNG:
			o->png = optarg;
			break;
		case O_PROVIDER:
			if (!strcmp(optarg, "auto"))
				o->provider = ZCAP_PROVIDER_AUTO;
			else if (!strcmp(optarg, "zcap"))
				o->provider = ZCAP_PROVIDER_ZCAP;
			else if (!strcmp(optarg, "heap") || !strcmp(optarg, "dma-heap"))
				o->provider = ZCAP_PROVIDER_DMA_HEAP;
			else if (!strcmp(optarg, "udmabuf"))
				o->provider = ZCAP_PROVIDER_UDMABUF;
			else if (!strcmp(optarg, "memory"))
				o->provider = ZCAP_PROVIDER_MEMORY;
			else
				die_usage("unknown provider '%s' (auto, zcap, heap, udmabuf, memory)",
					  optarg);
			break;
		case O_BUFFERS:
			o->extra = parse_u32(optarg, "buffer count");
			break;
		case O_TIMEOUT:
			o->timeout_ms = (int)parse_u32(optarg, "timeout");
			if (o->timeout_ms <= 0)
				die_usage("--timeout must be at least 1 ms");
			break;
		case O_ENCODE:
			o->encode = optarg;
			break;
		case O_PASSTHROUGH:
			o->passthrough = optarg;
			break;
		case O_DRM:
			o->drm = optarg;
			break;
		case O_FORCE_COPY:
			o->force_copy = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "Try '%s --help'.\n", prog);
			exit(2);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (o->raw && o->encode)
		die_usage("--raw applies to raw frames; with --encode, -o is the bitstream");
}
