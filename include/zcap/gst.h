/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * zcap memory for GStreamer (libzcap-gst, pkg-config zcap-gst).
 *
 * A GstZcapAllocator is a GstDmaBufAllocator: every memory it makes is a
 * GstDmaBufMemory (gst_is_dmabuf_memory(), gst_dmabuf_memory_get_fd())
 * over one memory block of a zcap sample, and holds a reference to that
 * sample until GStreamer frees the memory. The sample goes back to its
 * zcap allocator then, never before: a V4L2 source requeues the buffer
 * only once every GstBuffer sharing it is gone.
 *
 * Two ways to use it:
 *   - gst_allocator_alloc() on it: each memory is a dma-buf of its own, a
 *     one-buffer zcap pool from the allocator's provider (zcap.ko, the
 *     system dma-heap or udmabuf), for applications that allocate memory
 *     one at a time;
 *   - gst_zcap_allocator_wrap(): a GstMemory over a sample you already
 *     have (from a zcap allocator, a zcap graph, a sink of your own); this
 *     is what the zcap elements (zcapsrc, zcappool) do.
 */
#ifndef ZCAP_GST_H
#define ZCAP_GST_H

#include <gst/gst.h>
#include <gst/allocators/allocators.h>

#include <zcap/allocator.h>
#include <zcap/sample.h>

G_BEGIN_DECLS

#define GST_TYPE_ZCAP_ALLOCATOR (gst_zcap_allocator_get_type())
#define GST_ZCAP_ALLOCATOR(obj) \
	(G_TYPE_CHECK_INSTANCE_CAST((obj), GST_TYPE_ZCAP_ALLOCATOR, GstZcapAllocator))
#define GST_IS_ZCAP_ALLOCATOR(obj) \
	(G_TYPE_CHECK_INSTANCE_TYPE((obj), GST_TYPE_ZCAP_ALLOCATOR))

typedef struct _GstZcapAllocator GstZcapAllocator;
typedef struct _GstZcapAllocatorClass GstZcapAllocatorClass;

GType gst_zcap_allocator_get_type(void);

/*
 * An allocator whose gst_allocator_alloc() takes dma-bufs from @provider
 * (ZCAP_PROVIDER_AUTO: zcap.ko, then the system dma-heap, then udmabuf;
 * ZCAP_PROVIDER_MEMORY and ZCAP_PROVIDER_V4L2 are refused). NULL, with
 * @error set (may be NULL) saying why no provider can serve, when none
 * can: the check is made here, not at the first allocation.
 */
GstAllocator *gst_zcap_allocator_new(enum zcap_provider provider,
				     GError **error);

/*
 * A GstDmaBufMemory over memory block @mem of @s, holding a reference to
 * @s until the memory is freed; @alloc a GstZcapAllocator. The memory's
 * offset and size are the block's data (zcap_sample_mem()). NULL when @s
 * is not a dma-buf sample or @mem is out of range.
 */
GstMemory *gst_zcap_allocator_wrap(GstAllocator *alloc, struct zcap_sample *s,
				   guint mem);

/*
 * As gst_zcap_allocator_wrap(), but the memory holds no reference to @s:
 * for a pool that keeps its memories from frame to frame and holds the
 * sample itself while a memory is in use (zcapsrc's buffer cache does,
 * from the memory's dispose). gst_zcap_memory_get_sample() returns @s,
 * which is valid only while the caller holds it.
 */
GstMemory *gst_zcap_allocator_wrap_unowned(GstAllocator *alloc,
					   struct zcap_sample *s, guint mem);

/* Is @mem memory of a GstZcapAllocator? */
gboolean gst_is_zcap_memory(GstMemory *mem);

/*
 * The zcap sample behind @mem (the parent's, for a shared sub-memory),
 * without a reference: valid while @mem is. NULL for other memory.
 */
struct zcap_sample *gst_zcap_memory_get_sample(GstMemory *mem);

/* The memory block of that sample @mem covers; 0 for other memory. */
guint gst_zcap_memory_get_block(GstMemory *mem);

G_END_DECLS

#endif /* ZCAP_GST_H */
