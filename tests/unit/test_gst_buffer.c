// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * zcapsrc's GstMemory over a sample's block (lib/gst/src_buffer.c), on
 * the host: a coded frame's memory starts at the data offset of the
 * first plane in that block and ends where the block's bytesused says,
 * in every block, not the first only.
 */
#include <gst/gst.h>

#include <zcap/zcap.h>

#include "gst/gstzcap.h"
#include "tap.h"

#define BLOCK 4096

/* A sample of two plain-memory blocks, as a two-block coded format has. */
static struct zcap_sample *two_block_sample(struct zcap_allocator **out)
{
	struct zcap_alloc_props p = { .count = 1, .n_mem = 2,
				      .size = { BLOCK, BLOCK } };
	struct zcap_alloc_props got;
	struct zcap_sample *s = NULL;

	if (zcap_allocator_new_memory(out) ||
	    zcap_allocator_set_properties(*out, &p, &got) ||
	    zcap_allocator_commit(*out) ||
	    zcap_allocator_get_buffer(*out, 0, &s))
		return NULL;
	return s;
}

/* Trim a fresh memory of @len bytes as block @m; its offset and size. */
static gboolean trim(struct zcap_sample *s, const struct zcap_format *fmt,
		     guint m, gsize len, gsize *offset, gsize *size)
{
	struct zcap_gst_request rq = { .compressed = TRUE };
	GstMemory *mem = gst_allocator_alloc(NULL, len, NULL);
	gboolean r = zcap_gst_memory_trim(mem, s, fmt, &rq, m);

	*size = gst_memory_get_sizes(mem, offset, NULL);
	gst_memory_unref(mem);
	return r;
}

int main(void)
{
	struct zcap_format fmt = { .n_planes = 2, .n_mem = 2 };
	struct zcap_allocator *a = NULL;
	struct zcap_sample *s;
	gsize off = 0, size = 0;
	gboolean r;

	gst_init(NULL, NULL);
	s = two_block_sample(&a);
	if (!ok(s != NULL, "a sample of two plain-memory blocks"))
		return tap_done();
	fmt.planes[0].mem = 0;
	fmt.planes[0].offset = 16;
	fmt.planes[1].mem = 1;
	fmt.planes[1].offset = 32;
	zcap_sample_set_bytesused(s, 0, 500);
	zcap_sample_set_bytesused(s, 1, 300);

	r = trim(s, &fmt, 0, BLOCK, &off, &size);
	ok(r && off == 16 && size == 484,
	   "block 0: from its data offset to bytesused (offset %zu, %zu bytes)",
	   off, size);
	r = trim(s, &fmt, 1, BLOCK, &off, &size);
	ok(r && off == 32 && size == 268,
	   "block 1: from its own plane's data offset, not 0 (offset %zu, %zu bytes)",
	   off, size);
	ok(!trim(s, &fmt, 1, 200, &off, &size),
	   "block 1: bytesused past the memory is no frame");
	ok(!zcap_sample_set_bytesused(s, 1, 32) &&
	   !trim(s, &fmt, 1, BLOCK, &off, &size),
	   "block 1: bytesused not past its data offset is no frame");

	zcap_sample_unref(s);
	zcap_allocator_decommit(a);
	zcap_allocator_unref(a);
	gst_deinit();
	return tap_done();
}
