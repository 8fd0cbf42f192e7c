/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the zcap GStreamer plugin's files share: the elements' types, the
 * device probe and format mapping (src_caps.c), GstBuffers from samples
 * (src_buffer.c) and the buffer pool of zcap memory (bufferpool.c).
 */
#ifndef ZCAP_GST_PLUGIN_H
#define ZCAP_GST_PLUGIN_H

#include <gst/base/gstpushsrc.h>
#include <gst/video/video.h>

#include <zcap/gst.h>
#include <zcap/zcap.h>

G_BEGIN_DECLS

/* ---- common.c --------------------------------------------------------- */

GST_DEBUG_CATEGORY_EXTERN(zcap_gst_debug);
void zcap_gst_debug_init(void);
/* The provider property's enum type. */
#define ZCAP_GST_TYPE_PROVIDER (zcap_gst_provider_get_type())
GType zcap_gst_provider_get_type(void);
/* The "provider" property both elements have (@blurb: a static string). */
GParamSpec *zcap_gst_provider_pspec(const char *blurb);

/* What downstream's ALLOCATION answer asks of the pool in its first entry. */
struct zcap_gst_downstream {
	guint size, min;		/* bytes per buffer; buffers it holds */
	gboolean has_align;
	GstVideoAlignment align;
};
/*
 * Read @d from downstream's answer in @query, then take every pool out
 * of it: the element answering offers its own (zcappool) or uses its own
 * (zcapsrc), and upstream or GstBaseSrc would otherwise take downstream's.
 */
void zcap_gst_take_downstream(GstQuery *query, struct zcap_gst_downstream *d);

/* ---- src_caps.c: a V4L2 capture device's formats as caps ---------------- */

#define ZCAP_GST_MAX_FORMATS 64

struct zcap_gst_probe {
	GstCaps *caps;		/* every format, size and rate the device offers */
	GstCaps *preferred;	/* the same with the driver's colorimetry */
	uint32_t fourccs[ZCAP_GST_MAX_FORMATS];	/* V4L2's order: the first wins */
	guint n_fourccs;
	char card[64];		/* for messages */
};

/* The caps every zcapsrc could give: the pad template's. */
GstCaps *zcap_gst_template_caps(void);
/* Open @device and list what it captures; FALSE with @error set. */
gboolean zcap_gst_probe(const char *device, struct zcap_gst_probe *out,
			GError **error);
void zcap_gst_probe_clear(struct zcap_gst_probe *p);
/* Fixation: @st without a colorimetry gets the driver's for its format and size. */
void zcap_gst_prefer_colorimetry(const struct zcap_gst_probe *p, GstStructure *st);

/* What fixed caps ask of the device: a fourcc it has, a size, a rate. */
struct zcap_gst_request {
	uint32_t fourcc;
	guint width, height;
	guint fps_n, fps_d;	/* 0/0: the driver's */
	gboolean compressed;	/* image/jpeg */
	GstVideoInfo info;	/* raw formats: GStreamer's default layout */
};
gboolean zcap_gst_caps_request(const struct zcap_gst_probe *p, GstCaps *caps,
			       struct zcap_gst_request *out);

/* ---- src_buffer.c: a GstBuffer over a sample --------------------------- */

/*
 * @s as a GstBuffer of zcap memory, one GstMemory per block, laid out as
 * @fmt says, with a GstVideoMeta for raw formats. NULL on failure.
 */
GstBuffer *zcap_gst_buffer_wrap(GstAllocator *alloc, struct zcap_sample *s,
				const struct zcap_format *fmt,
				const struct zcap_gst_request *rq);
/*
 * Block @m of @s as memory @mem holds it: a raw frame's bytes to the end
 * of its last line, a coded frame's bytes used. FALSE when the sample's
 * byte count does not fit the block.
 */
gboolean zcap_gst_memory_trim(GstMemory *mem, struct zcap_sample *s,
			      const struct zcap_format *fmt,
			      const struct zcap_gst_request *rq, guint m);
/*
 * @buf's GstVideoMeta for @fmt (plane offsets counted from @base, each
 * memory's start in the buffer): updated in place, or added.
 */
gboolean zcap_gst_buffer_set_meta(GstBuffer *buf, const gsize *base,
				  const struct zcap_format *fmt,
				  const struct zcap_gst_request *rq);
/*
 * Is @zbuf (from zcap_gst_buffer_wrap) in GStreamer's default layout for
 * @rq, so that a consumer without GstVideoMeta reads it right?
 */
gboolean zcap_gst_layout_is_default(GstBuffer *zbuf,
				    const struct zcap_gst_request *rq);
/* A copy of @zbuf in GStreamer's default layout, in system memory. */
GstBuffer *zcap_gst_buffer_copy_default(GstBuffer *zbuf,
					const struct zcap_gst_request *rq);

/* ---- src_cache.c: zcapsrc's GstBuffers, kept from frame to frame -------- */

struct zcap_gst_cache;
/* A cache of buffers over the samples of one stream; @alloc a GstZcapAllocator. */
struct zcap_gst_cache *zcap_gst_cache_new(GstAllocator *alloc);
/*
 * As zcap_gst_buffer_wrap(), from @s's buffer of the frame before when
 * there is one. NULL for a sample that is not all dma-bufs (wrap it
 * then), or a frame that does not fit its blocks.
 */
GstBuffer *zcap_gst_cache_buffer(struct zcap_gst_cache *c, struct zcap_sample *s,
				 const struct zcap_format *fmt,
				 const struct zcap_gst_request *rq);
/*
 * Of @in_use buffers going round, does GStreamer hold every one but the
 * frame just captured (some memory of each still in use), so that the
 * device has none to fill?
 */
gboolean zcap_gst_cache_held_all(struct zcap_gst_cache *c, guint in_use);
/* The stream is over: the caller's reference goes; buffers still out are freed when back. */
void zcap_gst_cache_close(struct zcap_gst_cache *c);

/* ---- bufferpool.c ------------------------------------------------------ */

#define ZCAP_GST_TYPE_BUFFER_POOL (zcap_gst_buffer_pool_get_type())
G_DECLARE_FINAL_TYPE(GstZcapBufferPool, zcap_gst_buffer_pool, ZCAP_GST,
		     BUFFER_POOL, GstBufferPool)
GstBufferPool *zcap_gst_buffer_pool_new(enum zcap_provider provider);

/* ---- the elements ------------------------------------------------------ */

#define ZCAP_GST_TYPE_SRC (zcap_gst_src_get_type())
G_DECLARE_FINAL_TYPE(GstZcapSrc, zcap_gst_src, ZCAP_GST, SRC, GstPushSrc)

#define ZCAP_GST_TYPE_POOL (zcap_gst_pool_get_type())
G_DECLARE_FINAL_TYPE(GstZcapPool, zcap_gst_pool, ZCAP_GST, POOL, GstBaseTransform)

G_END_DECLS

#endif /* ZCAP_GST_PLUGIN_H */
