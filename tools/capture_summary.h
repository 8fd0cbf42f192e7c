/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * zcap-capture's summary: what was captured, written and copied (and why
 * the CPU copied, capture_explain.h), what served the buffers and which
 * provider refused this user, latency, notes, the consumers.
 */
#ifndef ZCAP_TOOLS_CAPTURE_SUMMARY_H
#define ZCAP_TOOLS_CAPTURE_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

#include <zcap/zcap.h>

#include "capsink.h"
#include "capture_opts.h"

/* How a capture went, as the summary and the exit status need it. */
struct zcap_capture_result {
	const struct zcap_capture_opts *o;
	struct zcap_filter_stats src, snk;	/* the source's and our sink's */
	struct zcap_format fmt;
	struct zcap_allocator *alloc;	/* the source's, or NULL */
	struct zcap_graph *g;
	bool consumers;			/* --encode, --passthrough or --drm */
	const struct zcap_capsink *cs;
	double secs;
	bool output_closed;		/* the reader of -o went away (EPIPE) */
};

void zcap_capture_summary(FILE *out, const struct zcap_capture_result *r);

#endif /* ZCAP_TOOLS_CAPTURE_SUMMARY_H */
