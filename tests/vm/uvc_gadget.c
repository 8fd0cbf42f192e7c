// SPDX-License-Identifier: GPL-2.0
/*
 * uvc_gadget: the camera's end of the emulated USB camera of the VM rig
 * (tests/vm/uvc-gadget.sh). The UVC gadget function (usb_f_uvc) handles
 * the USB side but leaves the camera to user space: it shows a V4L2 output
 * node, forwards the host's class requests as events, and sends whatever
 * frames are queued to that node. This program answers the requests
 * (probe/commit, and the two controls the function's default descriptors
 * announce) and, while the host streams, queues frames that a checker can
 * verify byte for byte: see tests/vm/uvc_pattern.h.
 *
 * Usage: uvc_gadget --device /dev/videoN [--stall-after N] [--count N]
 *                   [--payload BYTES]
 *   --device       the gadget's V4L2 output node
 *   --stall-after  send N frames in all, then none, but stay connected:
 *                  the host's capture stalls
 *   --count        after N frames in all have been sent (and half a
 *                  second for them to reach the host), close the node and
 *                  exit: the host sees the camera unplugged
 *   --payload      dwMaxPayloadTransferSize, the function's
 *                  streaming_maxpacket (default 3072)
 *
 * Frames are numbered from 0 in each stream and paced to the frame
 * interval the host committed (slower when the bus cannot keep up). The
 * formats, frame sizes and intervals are those of the function's
 * configfs descriptors, read back from the node.
 *
 * The node is never stopped with VIDIOC_STREAMOFF unless the host asked
 * (UVC_EVENT_STREAMOFF): on 6.12, a STREAMOFF the host did not request
 * completes a control transfer that is not pending and the kernel warns.
 * On a disconnect, SIGTERM or SIGINT the node is closed, which also lets
 * the gadget be unbound (unbinding waits for the close). A disconnect
 * ends the program: the camera was unplugged; start a new one to replug.
 *
 * Exit status: 0 after a disconnect, a signal or --count; 1 on errors.
 * Everything it has to say goes to stderr.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/videodev2.h>
#include <linux/usb/ch9.h>
#include <linux/usb/g_uvc.h>
#include <linux/usb/video.h>

#include <jpeglib.h>

#include "uvc_pattern.h"

#define NBUFS 4
#define NJPEGS 8		/* distinct MJPEG images per frame size */
#define MAX_FORMATS 4
#define MAX_FRAMES 8
#define MAX_INTERVALS 8
/* The rig's gadget has the UVC function alone: its first interface is
 * VideoControl, the other VideoStreaming. */
#define VC_INTERFACE 0
/*
 * The driver gives a buffer back once its last bytes are in USB requests,
 * not once they are on the bus: --count waits this long before it
 * closes the node, or the host would lose the end of the last frame.
 */
#define COUNT_LINGER_NS 500000000LL

struct jpeg_image {
	unsigned char *data;
	unsigned long size;
};

struct frame_desc {
	uint32_t width, height;
	uint32_t maxsize;		/* the node's sizeimage */
	unsigned int nintervals;
	uint32_t interval[MAX_INTERVALS];	/* 100 ns units */
	struct jpeg_image jpeg[NJPEGS];		/* MJPEG only */
};

struct format_desc {
	uint32_t fourcc;
	unsigned int nframes;
	struct frame_desc frame[MAX_FRAMES];
};

/* A VideoControl control: entity and selector as in the host's request. */
struct vc_control {
	uint8_t entity, selector, len;
	bool has_range;			/* answers GET_MIN and GET_MAX */
	int32_t min, max, res, def, cur;
};

struct stream {
	bool on;
	bool ended;			/* the function refuses buffers */
	const struct format_desc *fmt;
	const struct frame_desc *frame;
	uint32_t interval;
	unsigned int nbufs;
	void *mem[NBUFS];
	size_t len[NBUFS];
	bool queued[NBUFS];
	uint32_t *base;			/* YUYV: uvc_pat_base() of each word */
	uint32_t next;			/* number of the next frame to queue */
	uint32_t sent, errors;		/* frames given back by the driver */
	int64_t start_ns;
};

struct gadget {
	const char *device;
	int fd;
	long stall_after, count;
	uint32_t payload;
	unsigned int nformats;
	struct format_desc format[MAX_FORMATS];
	struct uvc_streaming_control probe, commit;
	bool pending;			/* a SET_CUR waits for its data */
	uint8_t pending_intf, pending_entity, pending_cs;
	struct vc_control control[2];
	struct stream s;
	long total_queued, total_sent;
	int64_t quit_ns;		/* --count: when to close the node */
	bool quit, failed;
};

static volatile sig_atomic_t stop_signal;

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("uvc_gadget: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r;
}

static const char *fourcc_str(uint32_t f, char buf[5])
{
	for (int i = 0; i < 4; i++)
		buf[i] = (char)(f >> (8 * i));
	buf[4] = 0;
	return buf;
}

/* ---- MJPEG: NJPEGS images per frame size, encoded once at startup ---- */

/*
 * Image j: a colour gradient, a white bar that moves with j, and noise
 * whose amplitude grows with j, encoded at a quality that grows with j:
 * the images differ in content and in size.
 */
static void draw_image(unsigned char *rgb, uint32_t w, uint32_t h,
		       unsigned int j)
{
	uint32_t seed = 0x12345678u + j;
	uint32_t bar = j * w / NJPEGS;

	for (uint32_t y = 0; y < h; y++) {
		for (uint32_t x = 0; x < w; x++) {
			unsigned char *p = rgb + 3 * ((size_t)y * w + x);
			int noise;

			seed = seed * 1103515245u + 12345u;
			noise = (int)((seed >> 16) % (8 * j + 1)) - (int)(4 * j);
			p[0] = (unsigned char)(x * 255 / w);
			p[1] = (unsigned char)(y * 255 / h);
			p[2] = (unsigned char)(32 * j);
			if (x >= bar && x < bar + w / 16)
				p[0] = p[1] = p[2] = 255;
			for (int c = 0; c < 3; c++) {
				int v = p[c] + noise;

				p[c] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
			}
		}
	}
}

static int encode_image(struct jpeg_image *img, const unsigned char *rgb,
			uint32_t w, uint32_t h, int quality)
{
	struct jpeg_compress_struct cinfo;
	struct jpeg_error_mgr jerr;

	/* libjpeg's default error handler exits: fine at startup. */
	cinfo.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&cinfo);
	img->data = NULL;
	img->size = 0;
	jpeg_mem_dest(&cinfo, &img->data, &img->size);
	cinfo.image_width = w;
	cinfo.image_height = h;
	cinfo.input_components = 3;
	cinfo.in_color_space = JCS_RGB;
	jpeg_set_defaults(&cinfo);
	jpeg_set_quality(&cinfo, quality, TRUE);
	jpeg_start_compress(&cinfo, TRUE);
	while (cinfo.next_scanline < h) {
		JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * w * 3);

		jpeg_write_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	return img->size > 4 ? 0 : -1;
}

static int make_jpegs(struct frame_desc *fr)
{
	unsigned char *rgb = malloc((size_t)fr->width * fr->height * 3);

	if (!rgb)
		return -1;
	for (unsigned int j = 0; j < NJPEGS; j++) {
		draw_image(rgb, fr->width, fr->height, j);
		if (encode_image(&fr->jpeg[j], rgb, fr->width, fr->height,
				 50 + 6 * (int)j) < 0 ||
		    fr->jpeg[j].size + 64 > fr->maxsize) {
			logmsg("%ux%u: image %u does not fit in %u bytes",
			       fr->width, fr->height, j, fr->maxsize);
			free(rgb);
			return -1;
		}
	}
	free(rgb);
	logmsg("MJPEG %ux%u: %d images of %lu to %lu bytes", fr->width,
	       fr->height, NJPEGS, fr->jpeg[0].size, fr->jpeg[NJPEGS - 1].size);
	return 0;
}

/* ---- What the function's descriptors offer, read back from the node ---- */

static void enum_intervals(struct gadget *g, uint32_t fourcc,
			   struct frame_desc *fr)
{
	struct v4l2_frmivalenum iv = {
		.pixel_format = fourcc,
		.width = fr->width,
		.height = fr->height,
	};

	for (iv.index = 0; iv.index < MAX_INTERVALS; iv.index++) {
		if (xioctl(g->fd, VIDIOC_ENUM_FRAMEINTERVALS, &iv) < 0 ||
		    iv.type != V4L2_FRMIVAL_TYPE_DISCRETE)
			break;
		/* The node reduces dwFrameInterval / 10^7; truncating
		 * gives 333333, 666666 and 1000000 back exactly. */
		fr->interval[iv.index] = (uint32_t)((uint64_t)iv.discrete.numerator *
			10000000 / iv.discrete.denominator);
	}
	fr->nintervals = iv.index;
}

static int frame_maxsize(struct gadget *g, uint32_t fourcc,
			 struct frame_desc *fr)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT };

	f.fmt.pix.pixelformat = fourcc;
	f.fmt.pix.width = fr->width;
	f.fmt.pix.height = fr->height;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	if (xioctl(g->fd, VIDIOC_TRY_FMT, &f) < 0)
		return -1;
	fr->maxsize = f.fmt.pix.sizeimage;
	return 0;
}

static int enum_frames(struct gadget *g, struct format_desc *fd)
{
	struct v4l2_frmsizeenum fs = { .pixel_format = fd->fourcc };

	for (fs.index = 0; fs.index < MAX_FRAMES; fs.index++) {
		struct frame_desc *fr = &fd->frame[fs.index];

		if (xioctl(g->fd, VIDIOC_ENUM_FRAMESIZES, &fs) < 0 ||
		    fs.type != V4L2_FRMSIZE_TYPE_DISCRETE)
			break;
		fr->width = fs.discrete.width;
		fr->height = fs.discrete.height;
		enum_intervals(g, fd->fourcc, fr);
		if (frame_maxsize(g, fd->fourcc, fr) < 0 || !fr->nintervals)
			return -1;
		if (fd->fourcc == V4L2_PIX_FMT_MJPEG && make_jpegs(fr) < 0)
			return -1;
	}
	fd->nframes = fs.index;
	return fd->nframes ? 0 : -1;
}

static int enum_formats(struct gadget *g)
{
	struct v4l2_fmtdesc f = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT };
	char cc[5];

	for (f.index = 0; f.index < MAX_FORMATS; f.index++) {
		struct format_desc *fd = &g->format[f.index];

		if (xioctl(g->fd, VIDIOC_ENUM_FMT, &f) < 0)
			break;
		fd->fourcc = f.pixelformat;
		if (fd->fourcc != V4L2_PIX_FMT_YUYV &&
		    fd->fourcc != V4L2_PIX_FMT_MJPEG) {
			logmsg("format %s: not one this program makes",
			       fourcc_str(fd->fourcc, cc));
			return -1;
		}
		if (enum_frames(g, fd) < 0) {
			logmsg("format %s: cannot read its frames",
			       fourcc_str(fd->fourcc, cc));
			return -1;
		}
	}
	g->nformats = f.index;
	return g->nformats ? 0 : -1;
}

/* ---- Probe and commit ---- */

static void fill_ctrl(const struct gadget *g, struct uvc_streaming_control *c,
		      unsigned int fmt, unsigned int frame, uint32_t interval)
{
	const struct frame_desc *fr = &g->format[fmt - 1].frame[frame - 1];

	memset(c, 0, sizeof(*c));
	c->bmHint = htole16(1);		/* dwFrameInterval is fixed */
	c->bFormatIndex = (uint8_t)fmt;
	c->bFrameIndex = (uint8_t)frame;
	c->dwFrameInterval = htole32(interval);
	c->dwMaxVideoFrameSize = htole32(fr->maxsize);
	c->dwMaxPayloadTransferSize = htole32(g->payload);
	c->dwClockFrequency = htole32(48000000);
	c->bmFramingInfo = 3;		/* FID and EOF in every header */
	c->bPreferedVersion = 1;
	c->bMinVersion = 1;
	c->bMaxVersion = 1;
}

static void default_ctrl(const struct gadget *g, struct uvc_streaming_control *c)
{
	fill_ctrl(g, c, 1, 1, g->format[0].frame[0].interval[0]);
}

/*
 * The configured interval nearest to what the host asked for. The node
 * gives the intervals as reduced fractions, which may be 1 off: a value
 * within 1 of a configured one is the host's own, from the descriptors.
 */
static uint32_t nearest_interval(const struct frame_desc *fr, uint32_t want)
{
	uint32_t best = fr->interval[0];

	if (!want)
		return best;
	for (unsigned int i = 0; i < fr->nintervals; i++) {
		uint32_t d = fr->interval[i] > want ? fr->interval[i] - want :
			want - fr->interval[i];
		uint32_t bd = best > want ? best - want : want - best;

		if (d < bd)
			best = fr->interval[i];
	}
	return (best > want ? best - want : want - best) <= 1 ? want : best;
}

static unsigned int clamp_index(unsigned int i, unsigned int n)
{
	return i < 1 ? 1 : i > n ? n : i;
}

/* What the host proposed (len bytes of a streaming control), made valid. */
static void negotiate(const struct gadget *g, struct uvc_streaming_control *out,
		      const uint8_t *data, size_t len)
{
	struct uvc_streaming_control in = { 0 };
	const struct format_desc *fd;
	unsigned int fmt, frame;

	memcpy(&in, data, len < sizeof(in) ? len : sizeof(in));
	fmt = clamp_index(in.bFormatIndex, g->nformats);
	fd = &g->format[fmt - 1];
	frame = clamp_index(in.bFrameIndex, fd->nframes);
	fill_ctrl(g, out, fmt, frame,
		  nearest_interval(&fd->frame[frame - 1],
				   le32toh(in.dwFrameInterval)));
}

static void put_value(struct uvc_request_data *r, int32_t v, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		r->data[i] = (uint8_t)((uint32_t)v >> (8 * i));
	r->length = (int32_t)len;
}

/* A request to the VideoStreaming interface; r->length < 0 stalls it. */
static void vs_request(struct gadget *g, uint8_t cs, uint8_t req,
		       struct uvc_request_data *r)
{
	struct uvc_streaming_control c;

	if (cs != UVC_VS_PROBE_CONTROL && cs != UVC_VS_COMMIT_CONTROL)
		return;
	switch (req) {
	case UVC_GET_CUR:
		c = cs == UVC_VS_PROBE_CONTROL ? g->probe : g->commit;
		break;
	case UVC_GET_MIN:
	case UVC_GET_MAX:
	case UVC_GET_DEF:
		default_ctrl(g, &c);
		break;
	case UVC_GET_LEN:
		put_value(r, sizeof(c), 2);
		return;
	case UVC_GET_INFO:
		put_value(r, 3, 1);	/* GET and SET supported */
		return;
	default:
		return;
	}
	memcpy(r->data, &c, sizeof(c));
	r->length = sizeof(c);
}

static struct vc_control *find_control(struct gadget *g, uint8_t entity,
				       uint8_t cs)
{
	for (size_t i = 0; i < sizeof(g->control) / sizeof(g->control[0]); i++)
		if (g->control[i].entity == entity && g->control[i].selector == cs)
			return &g->control[i];
	return NULL;
}

/* A request to the VideoControl interface; r->length < 0 stalls it. */
static void vc_request(struct gadget *g, uint8_t entity, uint8_t cs,
		       uint8_t req, struct uvc_request_data *r)
{
	struct vc_control *c = find_control(g, entity, cs);

	if (!c)
		return;
	switch (req) {
	case UVC_GET_INFO:
		put_value(r, 3, 1);
		break;
	case UVC_GET_LEN:
		put_value(r, c->len, 2);
		break;
	case UVC_GET_CUR:
		put_value(r, c->cur, c->len);
		break;
	case UVC_GET_DEF:
		put_value(r, c->def, c->len);
		break;
	case UVC_GET_RES:
		put_value(r, c->res, c->len);
		break;
	case UVC_GET_MIN:
	case UVC_GET_MAX:
		if (c->has_range)
			put_value(r, req == UVC_GET_MIN ? c->min : c->max, c->len);
		break;
	}
}

static void handle_setup(struct gadget *g, const struct usb_ctrlrequest *ctrl)
{
	struct uvc_request_data r = { .length = -EL2HLT };
	uint16_t index = le16toh(ctrl->wIndex);
	uint16_t wlen = le16toh(ctrl->wLength);
	uint8_t intf = index & 0xff, entity = index >> 8;
	uint8_t cs = le16toh(ctrl->wValue) >> 8;

	if ((ctrl->bRequestType & USB_TYPE_MASK) != USB_TYPE_CLASS) {
		/* the function handles the standard ones itself */
	} else if (ctrl->bRequest == UVC_SET_CUR) {
		/* The data stage comes as UVC_EVENT_DATA. */
		if ((intf == VC_INTERFACE && find_control(g, entity, cs)) ||
		    (intf != VC_INTERFACE && entity == 0 &&
		     (cs == UVC_VS_PROBE_CONTROL || cs == UVC_VS_COMMIT_CONTROL))) {
			g->pending = true;
			g->pending_intf = intf;
			g->pending_entity = entity;
			g->pending_cs = cs;
			r.length = wlen;
		}
	} else if (intf == VC_INTERFACE) {
		vc_request(g, entity, cs, ctrl->bRequest, &r);
	} else if (entity == 0) {
		vs_request(g, cs, ctrl->bRequest, &r);
	}
	if (r.length > wlen)
		r.length = wlen;
	if (xioctl(g->fd, UVCIOC_SEND_RESPONSE, &r) < 0)
		logmsg("UVCIOC_SEND_RESPONSE: %s", strerror(errno));
}

static void log_ctrl(const char *what, const uint8_t *data, size_t len,
		     const struct uvc_streaming_control *got)
{
	struct uvc_streaming_control in = { 0 };

	memcpy(&in, data, len < sizeof(in) ? len : sizeof(in));
	logmsg("%s: format %u frame %u interval %u asked, %u %u %u given",
	       what, in.bFormatIndex, in.bFrameIndex,
	       le32toh(in.dwFrameInterval), got->bFormatIndex,
	       got->bFrameIndex, le32toh(got->dwFrameInterval));
}

static void handle_data(struct gadget *g, const struct uvc_request_data *d)
{
	size_t len = d->length < 0 ? 0 : (size_t)d->length;
	struct vc_control *c;

	if (!g->pending) {
		logmsg("data stage with no SET_CUR before it");
		return;
	}
	g->pending = false;
	if (g->pending_intf == VC_INTERFACE) {
		c = find_control(g, g->pending_entity, g->pending_cs);
		if (c && len >= c->len) {
			c->cur = 0;
			for (unsigned int i = 0; i < c->len; i++)
				c->cur |= (int32_t)((uint32_t)d->data[i] << (8 * i));
		}
	} else if (g->pending_cs == UVC_VS_PROBE_CONTROL) {
		negotiate(g, &g->probe, d->data, len);
		log_ctrl("probe", d->data, len, &g->probe);
	} else {
		negotiate(g, &g->commit, d->data, len);
		g->probe = g->commit;
		log_ctrl("commit", d->data, len, &g->commit);
	}
}

/* ---- Streaming ---- */

static bool may_send(const struct gadget *g)
{
	return (g->stall_after < 0 || g->total_queued < g->stall_after) &&
		(g->count < 0 || g->total_queued < g->count);
}

static int free_buffer(const struct stream *s)
{
	for (unsigned int i = 0; i < s->nbufs; i++)
		if (!s->queued[i])
			return (int)i;
	return -1;
}

static size_t make_mjpeg(const struct stream *s, uint8_t *dst, size_t room)
{
	const struct jpeg_image *img = &s->frame->jpeg[s->next % NJPEGS];
	char text[80];
	size_t tlen, n;

	tlen = (size_t)snprintf(text, sizeof(text), UVC_PAT_COM "%u image=%u size=%ux%u",
				s->next, s->next % NJPEGS, s->frame->width,
				s->frame->height);
	n = 2 + 4 + tlen + img->size - 2;
	if (n > room)
		return 0;
	/* SOI, COM (its length counts itself, not the marker), the rest. */
	memcpy(dst, img->data, 2);
	dst[2] = 0xff;
	dst[3] = 0xfe;
	dst[4] = (uint8_t)((tlen + 2) >> 8);
	dst[5] = (uint8_t)(tlen + 2);
	memcpy(dst + 6, text, tlen);
	memcpy(dst + 6 + tlen, img->data + 2, img->size - 2);
	return n;
}

static int queue_frame(struct gadget *g, unsigned int i)
{
	struct stream *s = &g->s;
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
		.memory = V4L2_MEMORY_MMAP,
		.index = i,
		.field = V4L2_FIELD_NONE,
	};
	size_t n;

	if (s->fmt->fourcc == V4L2_PIX_FMT_YUYV) {
		n = uvc_pat_yuyv_size(s->frame->width, s->frame->height);
		if (n > s->len[i])
			return -1;
		uvc_pat_fill(s->mem[i], s->next, s->frame->width,
			     s->frame->height, s->base);
	} else {
		n = make_mjpeg(s, s->mem[i], s->len[i]);
		if (!n)
			return -1;
	}
	b.bytesused = (uint32_t)n;
	if (xioctl(g->fd, VIDIOC_QBUF, &b) < 0) {
		if (errno != ENODEV) {
			logmsg("VIDIOC_QBUF: %s", strerror(errno));
			return -1;
		}
		/*
		 * 6.1's function disables its endpoint when the host stops
		 * the stream, which cancels its queue, and only then sends
		 * STREAMOFF: the stream is over, the event on its way.
		 */
		logmsg("VIDIOC_QBUF: the function has ended the stream");
		s->ended = true;
		return 0;
	}
	s->queued[i] = true;
	s->next++;
	g->total_queued++;
	return 0;
}

/* Queue every frame that is due; returns ms until the next is, or -1. */
static int pump(struct gadget *g)
{
	struct stream *s = &g->s;

	while (s->on && !s->ended && may_send(g)) {
		int i = free_buffer(s);
		int64_t wait;

		if (i < 0)
			return -1;
		wait = s->start_ns + (int64_t)s->next * s->interval * 100 - now_ns();
		if (wait > 0)
			return (int)((wait + 999999) / 1000000);
		if (queue_frame(g, (unsigned int)i) < 0) {
			g->failed = true;
			return -1;
		}
	}
	return -1;
}

/* Take back what the driver has sent. */
static void reap(struct gadget *g)
{
	struct stream *s = &g->s;
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
		.memory = V4L2_MEMORY_MMAP,
	};

	while (s->on && xioctl(g->fd, VIDIOC_DQBUF, &b) == 0) {
		if (b.index >= s->nbufs)
			continue;
		s->queued[b.index] = false;
		if (b.flags & V4L2_BUF_FLAG_ERROR) {
			s->errors++;
			continue;
		}
		s->sent++;
		g->total_sent++;
		if (g->count >= 0 && g->total_sent == g->count) {
			logmsg("%ld frames sent (--count): unplugging", g->count);
			g->quit_ns = now_ns() + COUNT_LINGER_NS;
		}
	}
}

static void unmap_buffers(struct stream *s)
{
	for (unsigned int i = 0; i < s->nbufs; i++)
		if (s->mem[i] && s->mem[i] != MAP_FAILED)
			munmap(s->mem[i], s->len[i]);
	s->nbufs = 0;
	free(s->base);
	s->base = NULL;
}

static int map_buffers(struct gadget *g)
{
	struct stream *s = &g->s;
	struct v4l2_requestbuffers rb = {
		.count = NBUFS,
		.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
		.memory = V4L2_MEMORY_MMAP,
	};

	if (xioctl(g->fd, VIDIOC_REQBUFS, &rb) < 0 || !rb.count)
		return -1;
	s->nbufs = rb.count < NBUFS ? rb.count : NBUFS;
	for (unsigned int i = 0; i < s->nbufs; i++) {
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
			.memory = V4L2_MEMORY_MMAP,
			.index = i,
		};

		s->mem[i] = NULL;
		s->queued[i] = false;
		if (xioctl(g->fd, VIDIOC_QUERYBUF, &b) < 0)
			return -1;
		s->len[i] = b.length;
		s->mem[i] = mmap(NULL, b.length, PROT_READ | PROT_WRITE,
				 MAP_SHARED, g->fd, b.m.offset);
		if (s->mem[i] == MAP_FAILED)
			return -1;
	}
	return 0;
}

/* The pattern's base words for this frame size, computed once a stream. */
static int make_base(struct stream *s)
{
	size_t words = uvc_pat_yuyv_size(s->frame->width, s->frame->height) / 4;

	s->base = malloc(words * sizeof(*s->base));
	if (!s->base)
		return -1;
	for (size_t k = 0; k < words; k++)
		s->base[k] = uvc_pat_base(s->frame->width, s->frame->height,
					  (uint32_t)k);
	return 0;
}

static int set_format(struct gadget *g)
{
	struct stream *s = &g->s;
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT };

	f.fmt.pix.pixelformat = s->fmt->fourcc;
	f.fmt.pix.width = s->frame->width;
	f.fmt.pix.height = s->frame->height;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	f.fmt.pix.sizeimage = s->frame->maxsize;
	return xioctl(g->fd, VIDIOC_S_FMT, &f);
}

static int stream_on(struct gadget *g)
{
	struct stream *s = &g->s;
	int type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	const struct format_desc *fd;
	char cc[5];

	fd = &g->format[clamp_index(g->commit.bFormatIndex, g->nformats) - 1];
	s->fmt = fd;
	s->frame = &fd->frame[clamp_index(g->commit.bFrameIndex, fd->nframes) - 1];
	s->interval = le32toh(g->commit.dwFrameInterval);
	s->next = s->sent = s->errors = 0;
	s->ended = false;
	if (set_format(g) < 0 || map_buffers(g) < 0 ||
	    (fd->fourcc == V4L2_PIX_FMT_YUYV && make_base(s) < 0)) {
		logmsg("stream setup: %s", strerror(errno));
		return -1;
	}
	s->on = true;
	s->start_ns = now_ns();
	/* A first frame is ready when the host's first URBs arrive. */
	pump(g);
	if (g->failed || xioctl(g->fd, VIDIOC_STREAMON, &type) < 0) {
		logmsg("VIDIOC_STREAMON: %s", strerror(errno));
		return -1;
	}
	logmsg("streaming %s %ux%u, interval %u x 100 ns",
	       fourcc_str(fd->fourcc, cc), s->frame->width, s->frame->height,
	       s->interval);
	return 0;
}

static void stream_report(const struct stream *s, const char *why)
{
	double secs = (double)(now_ns() - s->start_ns) / 1e9;

	logmsg("stream ended (%s): %u frames sent, %u cancelled, %.1f fps",
	       why, s->sent, s->errors, secs > 0 ? s->sent / secs : 0.0);
}

/* The host stopped the stream: this is when STREAMOFF is expected. */
static int stream_off(struct gadget *g)
{
	struct v4l2_requestbuffers rb = {
		.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
		.memory = V4L2_MEMORY_MMAP,
	};
	int type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	int r = 0;

	if (!g->s.on)
		return 0;
	reap(g);
	stream_report(&g->s, "host");
	g->s.on = false;
	if (xioctl(g->fd, VIDIOC_STREAMOFF, &type) < 0) {
		logmsg("VIDIOC_STREAMOFF: %s", strerror(errno));
		r = -1;
	}
	unmap_buffers(&g->s);
	if (xioctl(g->fd, VIDIOC_REQBUFS, &rb) < 0)
		logmsg("VIDIOC_REQBUFS 0: %s", strerror(errno));
	return r;
}

/* ---- Events ---- */

static int handle_event(struct gadget *g, const struct v4l2_event *ev)
{
	const struct uvc_event *uev = (const void *)&ev->u.data;

	switch (ev->type) {
	case UVC_EVENT_CONNECT:
		logmsg("connected (speed %d)", (int)uev->speed);
		return 0;
	case UVC_EVENT_DISCONNECT:
		logmsg("disconnected");
		g->quit = true;
		return 0;
	case UVC_EVENT_SETUP:
		handle_setup(g, &uev->req);
		return 0;
	case UVC_EVENT_DATA:
		handle_data(g, &uev->data);
		return 0;
	case UVC_EVENT_STREAMON:
		return stream_on(g);
	case UVC_EVENT_STREAMOFF:
		return stream_off(g);
	default:
		return 0;
	}
}

static int handle_events(struct gadget *g)
{
	struct v4l2_event ev;

	while (!g->quit && xioctl(g->fd, VIDIOC_DQEVENT, &ev) == 0)
		if (handle_event(g, &ev) < 0)
			return -1;
	return 0;
}

static int subscribe(struct gadget *g)
{
	/* SETUP last: subscribing to it connects the gadget to the bus. */
	static const uint32_t types[] = {
		UVC_EVENT_CONNECT, UVC_EVENT_DISCONNECT, UVC_EVENT_STREAMON,
		UVC_EVENT_STREAMOFF, UVC_EVENT_DATA, UVC_EVENT_SETUP,
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct v4l2_event_subscription sub = { .type = types[i] };

		if (xioctl(g->fd, VIDIOC_SUBSCRIBE_EVENT, &sub) < 0) {
			logmsg("VIDIOC_SUBSCRIBE_EVENT: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* ---- Main loop ---- */

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* Shorten the poll timeout to the --count deadline; true once it passed. */
static bool count_done(const struct gadget *g, int *timeout)
{
	int64_t left;

	if (!g->quit_ns)
		return false;
	left = g->quit_ns - now_ns();
	if (left <= 0)
		return true;
	if (*timeout < 0 || *timeout > left / 1000000 + 1)
		*timeout = (int)(left / 1000000 + 1);
	return false;
}

/* One wait for the node: events, buffers back, or the next frame due. */
static int wait_once(struct gadget *g, int timeout, const sigset_t *unblocked)
{
	struct timespec ts = { timeout / 1000, (timeout % 1000) * 1000000L };
	struct pollfd p = {
		.fd = g->fd,
		.events = POLLPRI | (g->s.on ? POLLOUT : 0),
	};
	int r = ppoll(&p, 1, timeout < 0 ? NULL : &ts, unblocked);

	if (r < 0 && errno == EINTR)
		return 0;
	if (r < 0) {
		logmsg("ppoll: %s", strerror(errno));
		return -1;
	}
	if ((p.revents & POLLPRI) && handle_events(g) < 0)
		return -1;
	if (g->s.on && (p.revents & POLLOUT))
		reap(g);
	if ((p.revents & POLLERR) && !(p.revents & POLLPRI)) {
		logmsg("the node reports an error: giving up");
		return -1;
	}
	return 0;
}

static int serve(struct gadget *g, const sigset_t *unblocked)
{
	while (!stop_signal && !g->quit && !g->failed) {
		int timeout = pump(g);

		if (count_done(g, &timeout))
			g->quit = true;
		else if (wait_once(g, timeout, unblocked) < 0)
			return -1;
	}
	return g->failed ? -1 : 0;
}

static void init_controls(struct gadget *g)
{
	/* The function's default descriptors announce these two. */
	g->control[0] = (struct vc_control){
		.entity = 1, .selector = UVC_CT_AE_MODE_CONTROL, .len = 1,
		.res = 0x02, .def = 0x02, .cur = 0x02,	/* auto mode only */
	};
	g->control[1] = (struct vc_control){
		.entity = 2, .selector = UVC_PU_BRIGHTNESS_CONTROL, .len = 2,
		.has_range = true, .min = 0, .max = 255, .res = 1,
		.def = 128, .cur = 128,
	};
}

static void usage(void)
{
	fprintf(stderr, "usage: uvc_gadget --device /dev/videoN [--stall-after N]"
		" [--count N] [--payload BYTES]\n");
	exit(2);
}

static long number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 0);

	if (*s == 0 || *end != 0 || v < 0)
		usage();
	return v;
}

static void parse_args(struct gadget *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "stall-after", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "payload", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	g->stall_after = g->count = -1;
	g->payload = 3072;
	while ((c = getopt_long(argc, argv, "d:s:c:p:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			g->device = optarg;
			break;
		case 's':
			g->stall_after = number(optarg);
			break;
		case 'c':
			g->count = number(optarg);
			break;
		case 'p':
			g->payload = (uint32_t)number(optarg);
			break;
		default:
			usage();
		}
	}
	if (!g->device || optind != argc)
		usage();
}

int main(int argc, char **argv)
{
	static struct gadget g;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, unblocked;
	int status;

	parse_args(&g, argc, argv);
	init_controls(&g);
	/* Signals are taken only inside ppoll(): no wake-up is lost. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &unblocked);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	g.fd = open(g.device, O_RDWR | O_NONBLOCK);
	if (g.fd < 0) {
		logmsg("%s: %s", g.device, strerror(errno));
		return 1;
	}
	if (enum_formats(&g) < 0) {
		logmsg("%s: cannot read the formats the function offers", g.device);
		return 1;
	}
	default_ctrl(&g, &g.probe);
	g.commit = g.probe;
	if (subscribe(&g) < 0)
		return 1;
	logmsg("serving %s: %u formats", g.device, g.nformats);
	status = serve(&g, &unblocked) < 0 ? 1 : 0;
	if (g.s.on)
		stream_report(&g.s, stop_signal ? "signal" : g.quit ? "unplug" : "error");
	unmap_buffers(&g.s);
	/* No STREAMOFF: closing stops the stream and disconnects. */
	close(g.fd);
	logmsg("closed %s (%ld frames sent in all)", g.device, g.total_sent);
	return status;
}
