/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What zcap-capture says when something is not as asked: a device it
 * cannot use, a provider that is missing or refuses this user (with the
 * fix that works on the running kernel, provcheck.h), and why the CPU
 * copied bytes when the summary says it did.
 */
#ifndef ZCAP_TOOLS_CAPTURE_EXPLAIN_H
#define ZCAP_TOOLS_CAPTURE_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <zcap/allocator.h>

#include "capture_opts.h"

/* Why the source could not be made (@err its error), to stderr; 1. */
int zcap_capture_source_error(const struct zcap_capture_opts *o, int err);

/*
 * Why no provider could serve: each one @p stands for (AUTO: all three),
 * what is the matter and the fix, to @f. @root and @release as for
 * zcap_prov_check() (NULL: this machine).
 */
void zcap_capture_explain_providers(FILE *f, enum zcap_provider p, const char *root,
				    const char *release);

/*
 * "refused:  ..." lines to @f for every provider whose device exists but
 * refuses this user; how many. Checked after the capture: a refused
 * zcap.ko is worth saying even when another provider served.
 */
int zcap_capture_refused(FILE *f);

/* What the summary knows about the bytes the CPU copied. */
struct zcap_copy_facts {
	uint64_t source;	/* the source's: the driver's buffers copied out */
	uint64_t writer;	/* the writer's: bounced past a file system */
	bool dmabuf;		/* the allocator's buffers are dma-bufs */
	enum zcap_provider asked;	/* --provider */
	const char *output;	/* -o */
};

/*
 * One indented line per cause of copying into @buf (nothing when nothing
 * was copied); the length, as snprintf().
 */
int zcap_capture_copy_why(const struct zcap_copy_facts *c, char *buf, size_t len);

#endif /* ZCAP_TOOLS_CAPTURE_EXPLAIN_H */
