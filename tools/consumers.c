// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * zcap-capture's consumers behind a source (consumers.h). Moved out of
 * libzcap: how a command line maps to filters is the tool's business, and
 * everything here is public libzcap API.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <zcap/consumers.h>
#include <zcap/drm.h>
#include <zcap/sinks.h>

#include "consumers.h"

#define MAX_CONSUMERS 8

/* The consumers' input pins, and the encoder and its file to join later. */
struct attach {
	struct zcap_graph *g;
	struct zcap_pin *ins[MAX_CONSUMERS];
	uint32_t n;
	struct zcap_filter *enc, *file;
	const char *failed;	/* the consumer being made */
};

/*
 * Add @f, made with result @made, to the graph (which then owns it); with
 * @input, its input pin joins the consumers.
 */
static int add_filter(struct attach *at, int made, struct zcap_filter *f,
		      bool input)
{
	int r;

	if (made)
		return made;
	r = zcap_graph_add(at->g, f);
	if (r) {
		zcap_filter_destroy(f);
		return r;
	}
	if (input)
		at->ins[at->n++] = zcap_filter_pin(f, ZCAP_PIN_INPUT, 0);
	return 0;
}

/* The encoder ("auto": the first FWHT encoder there is) and its file. */
static int add_encoder(struct attach *at, const struct consumers_config *cfg)
{
	struct zcap_m2m_encoder_config ec = { .flags = cfg->flags };
	struct zcap_file_sink_config fc = { .path = cfg->encode_path, .fd = -1 };
	char path[32];
	int r;

	ec.device = cfg->encode_device;
	at->failed = cfg->encode_device;
	if (!strcmp(cfg->encode_device, "auto")) {
		at->failed = "an FWHT encoder (--encode auto)";
		r = zcap_m2m_find(V4L2_PIX_FMT_FWHT, 1, path, sizeof(path));
		if (r)
			return r;
		ec.device = path;
	}
	r = zcap_m2m_encoder_new(&ec, &at->enc);
	r = add_filter(at, r, at->enc, true);
	if (r || !cfg->encode_path)
		return r;
	/* "-o -", as without --encode: standard output. */
	if (!strcmp(cfg->encode_path, "-")) {
		fc.path = NULL;
		fc.fd = STDOUT_FILENO;
	}
	at->failed = cfg->encode_path;
	r = zcap_file_sink_new(&fc, &at->file);
	return add_filter(at, r, at->file, false);
}

static int add_sinks(struct attach *at, const struct consumers_config *cfg)
{
	struct zcap_filter *f;
	int r;

	if (cfg->passthrough_device) {
		struct zcap_v4l2_output_config oc = {
			.device = cfg->passthrough_device,
			.flags = cfg->flags,
		};

		at->failed = cfg->passthrough_device;
		r = zcap_v4l2_output_sink_new(&oc, &f);
		r = add_filter(at, r, f, true);
		if (r)
			return r;
	}
	if (cfg->drm_device) {
		struct zcap_drm_sink_config dc = {
			.device = cfg->drm_device,
			.flags = cfg->flags & ZCAP_CONSUMER_PROPOSE_ALLOCATOR,
		};

		at->failed = cfg->drm_device;
		r = zcap_drm_sink_new(&dc, &f);
		return add_filter(at, r, f, true);
	}
	return 0;
}

/* Source -> tee -> every consumer. */
static int connect_tee(struct attach *at, struct zcap_pin *src_out)
{
	struct zcap_filter *tee;
	struct zcap_pin *tee_in;
	uint32_t i;
	int r;

	r = zcap_tee_new(at->n, &tee);
	r = add_filter(at, r, tee, false);
	if (r)
		return r;
	tee_in = zcap_filter_pin(tee, ZCAP_PIN_INPUT, 0);
	r = zcap_graph_connect(at->g, src_out, tee_in, NULL);
	for (i = 0; !r && i < at->n; i++)
		r = zcap_graph_connect(at->g, zcap_filter_pin(tee, ZCAP_PIN_OUTPUT, i),
				       at->ins[i], NULL);
	if (r)
		return r;
	/*
	 * Now that every consumer said what it holds, let the source size
	 * its pool again for all of them together.
	 */
	r = zcap_pin_disconnect(src_out);
	if (r)
		return r;
	return zcap_graph_connect(at->g, src_out, tee_in, NULL);
}

int consumers_attach(struct zcap_graph *g, struct zcap_pin *src_out,
		     const struct consumers_config *cfg,
		     struct zcap_pin *const *extra_in, uint32_t n_extra,
		     const char **failed)
{
	struct attach at = { .g = g };
	uint32_t i;
	int r;

	if (failed)
		*failed = NULL;
	if (!g || !src_out || !cfg || (n_extra && !extra_in))
		return -EINVAL;
	if (n_extra > MAX_CONSUMERS - 3)
		return -E2BIG;
	r = cfg->encode_device ? add_encoder(&at, cfg) : 0;
	if (!r)
		r = add_sinks(&at, cfg);
	if (r) {
		if (failed)
			*failed = at.failed;
		return r;
	}
	for (i = 0; i < n_extra; i++)
		at.ins[at.n++] = extra_in[i];

	if (at.n == 1)
		r = zcap_graph_connect(g, src_out, at.ins[0], NULL);
	else if (at.n > 1)
		r = connect_tee(&at, src_out);
	if (r)
		return r;
	if (at.enc && at.file)
		r = zcap_graph_connect(g, zcap_filter_pin(at.enc, ZCAP_PIN_OUTPUT, 0),
				       zcap_filter_pin(at.file, ZCAP_PIN_INPUT, 0),
				       NULL);
	return r ? r : (int)at.n;
}

void consumers_print_summary(struct zcap_graph *g, FILE *out)
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
