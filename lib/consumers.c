// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Helpers for programs that build consumers from a command line:
 * finding a mem2mem codec node, wiring encoder/passthrough/DRM consumers
 * behind a source (through a tee when there are several), and a summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <zcap/consumers.h>
#include <zcap/error.h>
#include <zcap/sinks.h>

#include "v4l2_outq.h"

#define MAX_CONSUMERS 8

/* Is @fourcc among the formats of queue @type? @raw: is there a raw one? */
static bool queue_has(int fd, uint32_t type, uint32_t fourcc, bool *raw)
{
	struct v4l2_fmtdesc d;
	bool found = false;
	uint32_t i;

	for (i = 0;; i++) {
		memset(&d, 0, sizeof(d));
		d.index = i;
		d.type = type;
		if (zcapi_v4l2_ioctl(fd, VIDIOC_ENUM_FMT, &d))
			break;
		if (d.pixelformat == fourcc)
			found = true;
		if (raw && !(d.flags & V4L2_FMT_FLAG_COMPRESSED))
			*raw = true;
	}
	return found;
}

int zcap_m2m_find(uint32_t coded_fourcc, int encoder, char *path, size_t len)
{
	char dev[32];
	int i, fd;

	if (!path || !len)
		return -EINVAL;
	for (i = 0; i < 64; i++) {
		uint32_t caps, out_t, cap_t;
		bool raw = false, ok;

		snprintf(dev, sizeof(dev), "/dev/video%d", i);
		fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (zcapi_outq_device_caps(fd, &caps)) {
			close(fd);
			continue;
		}
		if (caps & V4L2_CAP_VIDEO_M2M_MPLANE) {
			out_t = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
			cap_t = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
		} else if (caps & V4L2_CAP_VIDEO_M2M) {
			out_t = V4L2_BUF_TYPE_VIDEO_OUTPUT;
			cap_t = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		} else {
			close(fd);
			continue;
		}
		if (encoder)
			ok = queue_has(fd, cap_t, coded_fourcc, NULL) &&
			     (queue_has(fd, out_t, 0, &raw), raw);
		else
			ok = queue_has(fd, out_t, coded_fourcc, NULL) &&
			     (queue_has(fd, cap_t, 0, &raw), raw);
		close(fd);
		if (ok) {
			if ((size_t)snprintf(path, len, "%s", dev) >= len)
				return -ENAMETOOLONG;
			return 0;
		}
	}
	return -ENODEV;
}

/*
 * Add @f, made with result @made, to @g (which then owns it); with @ins,
 * its input pin joins them.
 */
static int add_filter(struct zcap_graph *g, int made, struct zcap_filter *f,
		      struct zcap_pin **ins, uint32_t *n)
{
	int r;

	if (made)
		return made;
	r = zcap_graph_add(g, f);
	if (r) {
		zcap_filter_destroy(f);
		return r;
	}
	if (ins)
		ins[(*n)++] = zcap_filter_pin(f, ZCAP_PIN_INPUT, 0);
	return 0;
}

int zcap_consumers_attach(struct zcap_graph *g, struct zcap_pin *src_out,
			  const struct zcap_consumers_config *cfg,
			  struct zcap_pin *const *extra_in, uint32_t n_extra)
{
	struct zcap_pin *ins[MAX_CONSUMERS];
	struct zcap_filter *f, *enc = NULL, *file = NULL, *tee;
	char path[32];
	uint32_t n = 0, i;
	int r;

	if (!g || !src_out || !cfg || (n_extra && !extra_in))
		return -EINVAL;
	if (n_extra > MAX_CONSUMERS - 3)
		return -E2BIG;

	if (cfg->encode_device) {
		struct zcap_m2m_encoder_config ec = { .flags = cfg->flags };

		ec.device = cfg->encode_device;
		if (!strcmp(cfg->encode_device, "auto")) {
			r = zcap_m2m_find(V4L2_PIX_FMT_FWHT, 1, path, sizeof(path));
			if (r)
				return r;
			ec.device = path;
		}
		r = zcap_m2m_encoder_new(&ec, &enc);
		r = add_filter(g, r, enc, ins, &n);
		if (r)
			return r;
		if (cfg->encode_path) {
			struct zcap_file_sink_config fc = {
				.path = cfg->encode_path,
				.fd = -1,
			};

			r = zcap_file_sink_new(&fc, &file);
			r = add_filter(g, r, file, NULL, NULL);
			if (r)
				return r;
		}
	}
	if (cfg->passthrough_device) {
		struct zcap_v4l2_output_config oc = {
			.device = cfg->passthrough_device,
			.flags = cfg->flags,
		};

		r = zcap_v4l2_output_sink_new(&oc, &f);
		r = add_filter(g, r, f, ins, &n);
		if (r)
			return r;
	}
	if (cfg->drm_device) {
		struct zcap_drm_sink_config dc = {
			.device = cfg->drm_device,
			.flags = cfg->flags & ZCAP_CONSUMER_PROPOSE_ALLOCATOR,
		};

		r = zcap_drm_sink_new(&dc, &f);
		r = add_filter(g, r, f, ins, &n);
		if (r)
			return r;
	}
	for (i = 0; i < n_extra; i++)
		ins[n++] = extra_in[i];

	if (n == 1) {
		r = zcap_graph_connect(g, src_out, ins[0], NULL);
		if (r)
			return r;
	} else if (n > 1) {
		r = zcap_tee_new(n, &tee);
		r = add_filter(g, r, tee, NULL, NULL);
		if (r)
			return r;
		r = zcap_graph_connect(g, src_out,
				       zcap_filter_pin(tee, ZCAP_PIN_INPUT, 0), NULL);
		if (r)
			return r;
		for (i = 0; i < n; i++) {
			r = zcap_graph_connect(g, zcap_filter_pin(tee, ZCAP_PIN_OUTPUT, i),
					       ins[i], NULL);
			if (r)
				return r;
		}
		/*
		 * Now that every consumer said what it holds, let the source
		 * size its pool again for all of them together.
		 */
		r = zcap_pin_disconnect(src_out);
		if (r)
			return r;
		r = zcap_graph_connect(g, src_out,
				       zcap_filter_pin(tee, ZCAP_PIN_INPUT, 0), NULL);
		if (r)
			return r;
	}
	if (enc && file) {
		r = zcap_graph_connect(g, zcap_filter_pin(enc, ZCAP_PIN_OUTPUT, 0),
				       zcap_filter_pin(file, ZCAP_PIN_INPUT, 0), NULL);
		if (r)
			return r;
	}
	return (int)n;
}

void zcap_consumers_print_summary(struct zcap_graph *g, FILE *out)
{
	struct zcap_filter_stats st;
	struct zcap_filter *f;
	uint32_t i;

	if (!g || !out)
		return;
	for (i = 0; i < zcap_graph_n_filters(g); i++) {
		f = zcap_graph_filter(g, i);
		if (zcap_filter_get_stats(f, &st))
			continue;
		fprintf(out, "%-32s frames %llu dropped %llu errors %llu bytes %llu copied %llu%s%s\n",
			zcap_filter_name(f), (unsigned long long)st.frames,
			(unsigned long long)st.dropped,
			(unsigned long long)st.errors,
			(unsigned long long)st.bytes,
			(unsigned long long)st.bytes_copied,
			st.provider[0] ? " provider " : "", st.provider);
		if (st.note[0])
			fprintf(out, "%-32s note: %s\n", "", st.note);
	}
}
