/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * zcap-capture's consumers, as its command line asks for them: an encoder
 * (and the file of its bitstream), a V4L2 output, a DRM device, behind a
 * source, through a tee when there are several. Not part of libzcap: a
 * program wires its own graph; this is how the tools and their VM tests
 * wire theirs, with libzcap's public calls only.
 */
#ifndef ZCAP_TOOLS_CONSUMERS_H
#define ZCAP_TOOLS_CONSUMERS_H

#include <stdint.h>
#include <stdio.h>

#include <zcap/graph.h>
#include <zcap/pin.h>

struct consumers_config {
	const char *encode_device;	/* --encode DEV ("auto": zcap_m2m_find) */
	const char *encode_path;	/* -o FILE: the bitstream; NULL: no file */
	const char *passthrough_device;	/* --passthrough DEV */
	const char *drm_device;		/* --drm DEV */
	uint32_t flags;			/* ZCAP_CONSUMER_*, applied to each */
};

/*
 * Create the configured consumers, add them to @g and connect them to
 * @src_out. @extra_in are input pins of sinks the caller already added to
 * @g (its file or null sink), @n_extra of them. With more than one
 * consumer in all, a tee is put between the source and them. Returns the
 * number of consumers connected, or a negative error (filters already
 * added stay in @g and go with it); when a consumer could not be made,
 * *@failed (if @failed) names its device or file, else it is NULL (the
 * error came from connecting).
 */
int consumers_attach(struct zcap_graph *g, struct zcap_pin *src_out,
		     const struct consumers_config *cfg,
		     struct zcap_pin *const *extra_in, uint32_t n_extra,
		     const char **failed);

/*
 * One line per filter of @g: name, frames, drops, errors, bytes copied,
 * provider, and the filter's note when it has one.
 */
void consumers_print_summary(struct zcap_graph *g, FILE *out);

#endif /* ZCAP_TOOLS_CONSUMERS_H */
