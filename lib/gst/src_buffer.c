// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * zcapsrc's buffers: a zcap sample as a GstBuffer of GstDmaBufMemory, one
 * memory per block of the sample, each holding a reference to it. Every
 * plane's offset and stride go in a GstVideoMeta, offsets counted across
 * the buffer's memories as GStreamer counts them.
 *
 * A consumer that does not take GstVideoMeta reads planes at GStreamer's
 * default offsets and strides; when the device's layout differs (a wider
 * stride, a padded height) it gets a copy in that layout, as v4l2src
 * gives it.
 */
#include <string.h>

#include "gstzcap.h"

/*
 * Bytes of block @m a raw frame uses: to the end of its last line in its
 * last plane, as GStreamer sizes a frame (the allocator's block is larger,
 * rounded up to pages).
 */
static void trim_raw(GstMemory *mem, const struct zcap_format *fmt, guint m)
{
	gsize size = gst_memory_get_sizes(mem, NULL, NULL);
	uint64_t end = 0;

	if (!fmt)
		return;
	for (guint p = 0; p < fmt->n_planes; p++) {
		const struct zcap_plane_layout *pl = &fmt->planes[p];

		if (pl->mem == m)
			end = MAX(end, pl->offset + (uint64_t)pl->stride * pl->lines);
	}
	if (end && end < size)
		gst_memory_resize(mem, 0, end);
}

/* Where the data of block @m starts: its first plane's offset in it. */
static uint64_t block_data_offset(const struct zcap_format *fmt, guint m)
{
	for (guint p = 0; fmt && p < fmt->n_planes; p++)
		if (fmt->planes[p].mem == m)
			return fmt->planes[p].offset;
	return 0;
}

/*
 * A coded frame: the bytes used (counted from the block's start, as
 * V4L2's bytesused), from the block's data offset on.
 */
static gboolean trim_coded(GstMemory *mem, struct zcap_sample *s,
			   const struct zcap_format *fmt, guint m)
{
	gsize size = gst_memory_get_sizes(mem, NULL, NULL);
	uint64_t used = zcap_sample_bytesused(s, m);
	uint64_t off = block_data_offset(fmt, m);

	if (!used)
		used = size;
	if (used <= off || used > size)
		return FALSE;
	gst_memory_resize(mem, off, used - off);
	return TRUE;
}

/*
 * Every plane's offset (counted across the buffer's memories from @base)
 * and stride in @buf's GstVideoMeta: the one it has (a cached buffer's,
 * kept from frame to frame), or a new one.
 */
gboolean zcap_gst_buffer_set_meta(GstBuffer *buf, const gsize *base,
				  const struct zcap_format *fmt,
				  const struct zcap_gst_request *rq)
{
	gsize offsets[GST_VIDEO_MAX_PLANES] = { 0 };
	gint strides[GST_VIDEO_MAX_PLANES] = { 0 };
	guint n = fmt->n_planes;
	GstVideoMeta *vm;

	if (n != GST_VIDEO_INFO_N_PLANES(&rq->info))
		return FALSE;
	for (guint p = 0; p < n; p++) {
		offsets[p] = base[fmt->planes[p].mem] + fmt->planes[p].offset;
		strides[p] = fmt->planes[p].stride;
	}
	vm = gst_buffer_get_video_meta(buf);
	if (!vm)
		return gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE,
						      GST_VIDEO_INFO_FORMAT(&rq->info),
						      rq->width, rq->height, n,
						      offsets, strides) != NULL;
	vm->flags = GST_VIDEO_FRAME_FLAG_NONE;
	vm->format = GST_VIDEO_INFO_FORMAT(&rq->info);
	vm->width = rq->width;
	vm->height = rq->height;
	vm->n_planes = n;
	memcpy(vm->offset, offsets, sizeof(vm->offset));
	memcpy(vm->stride, strides, sizeof(vm->stride));
	gst_video_alignment_reset(&vm->alignment);
	return TRUE;
}

gboolean zcap_gst_memory_trim(GstMemory *mem, struct zcap_sample *s,
			      const struct zcap_format *fmt,
			      const struct zcap_gst_request *rq, guint m)
{
	if (rq->compressed)
		return trim_coded(mem, s, fmt, m);
	trim_raw(mem, fmt, m);
	return TRUE;
}

/*
 * Block @m as GstMemory: the dma-buf itself, or, for a sample of plain
 * memory (the V4L2 source fell back to the driver's MMAP buffers because
 * no dma-buf provider served), a copy of its bytes.
 */
static GstMemory *block_memory(GstAllocator *alloc, struct zcap_sample *s,
			       guint m)
{
	struct zcap_mem zm;
	gpointer copy;

	if (zcap_sample_mem(s, m, &zm))
		return NULL;
	if (zm.fd >= 0)
		return gst_zcap_allocator_wrap(alloc, s, m);
	if (zcap_sample_cpu_begin(s, ZCAP_ACCESS_READ))
		return NULL;
	copy = g_memdup2(zcap_sample_data(s, m), zm.length);
	zcap_sample_cpu_end(s);
	return gst_memory_new_wrapped(0, copy, zm.length, 0, zm.length, copy, g_free);
}

GstBuffer *zcap_gst_buffer_wrap(GstAllocator *alloc, struct zcap_sample *s,
				const struct zcap_format *fmt,
				const struct zcap_gst_request *rq)
{
	gsize base[ZCAP_MAX_PLANES] = { 0 }, total = 0;
	guint n = zcap_sample_n_mem(s);
	GstBuffer *buf = gst_buffer_new();

	for (guint m = 0; m < n && m < ZCAP_MAX_PLANES; m++) {
		GstMemory *mem = block_memory(alloc, s, m);

		if (!mem)
			goto fail;
		if (!zcap_gst_memory_trim(mem, s, fmt, rq, m)) {
			gst_memory_unref(mem);
			goto fail;
		}
		base[m] = total;
		total += gst_memory_get_sizes(mem, NULL, NULL);
		gst_buffer_append_memory(buf, mem);
	}
	if (!rq->compressed && (!fmt || !fmt->n_planes ||
				!zcap_gst_buffer_set_meta(buf, base, fmt, rq)))
		goto fail;
	return buf;
fail:
	gst_buffer_unref(buf);
	return NULL;
}

gboolean zcap_gst_layout_is_default(GstBuffer *zbuf,
				    const struct zcap_gst_request *rq)
{
	GstVideoMeta *vm;

	if (rq->compressed)
		return TRUE;
	vm = gst_buffer_get_video_meta(zbuf);
	if (!vm || gst_buffer_get_size(zbuf) < GST_VIDEO_INFO_SIZE(&rq->info))
		return FALSE;
	for (guint p = 0; p < vm->n_planes; p++)
		if (vm->offset[p] != GST_VIDEO_INFO_PLANE_OFFSET(&rq->info, p) ||
		    vm->stride[p] != GST_VIDEO_INFO_PLANE_STRIDE(&rq->info, p))
			return FALSE;
	return TRUE;
}

GstBuffer *zcap_gst_buffer_copy_default(GstBuffer *zbuf,
					const struct zcap_gst_request *rq)
{
	GstVideoInfo info = rq->info;
	GstVideoFrame from, to;
	GstBuffer *copy;
	gboolean ok;

	copy = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(&info), NULL);
	if (!copy)
		return NULL;
	if (!gst_video_frame_map(&from, &info, zbuf, GST_MAP_READ))
		goto fail;
	if (!gst_video_frame_map(&to, &info, copy, GST_MAP_WRITE)) {
		gst_video_frame_unmap(&from);
		goto fail;
	}
	ok = gst_video_frame_copy(&to, &from);
	gst_video_frame_unmap(&to);
	gst_video_frame_unmap(&from);
	if (ok)
		return copy;
fail:
	gst_buffer_unref(copy);
	return NULL;
}
