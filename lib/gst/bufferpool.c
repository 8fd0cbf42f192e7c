// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A GstBufferPool of zcap dma-bufs, for zcappool to offer upstream.
 *
 * Its buffers are memory of zcap samples: each GstBuffer holds one sample
 * for as long as the pool keeps the buffer, and gives it back to its zcap
 * allocator when the pool frees it. The samples come from zcap
 * allocators of the configured provider, one committed allocator (one
 * zcap pool) for as many buffers as the configuration allows; a pool
 * with no maximum that runs out takes another allocator of the same size
 * rather than fail, as GStreamer pools with max 0 grow.
 *
 * Buffers are laid out as GStreamer's default for the caps, with the
 * alignment in the configuration (GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT)
 * applied, and carry a GstVideoMeta when the configuration asks.
 */
#include "gstzcap.h"

#define GST_CAT_DEFAULT zcap_gst_debug

struct _GstZcapBufferPool {
	GstBufferPool parent;
	enum zcap_provider provider;
	GstAllocator *alloc;		/* GstZcapAllocator wrapping samples */

	/* From the configuration. */
	GstVideoInfo info;
	gboolean have_info;
	gboolean add_meta;
	guint size, min, max;

	GMutex lock;			/* zallocs, n_samples: acquire may race */
	GPtrArray *zallocs;		/* struct zcap_allocator *, committed */
	guint n_samples;		/* in all of them */
};

G_DEFINE_TYPE(GstZcapBufferPool, zcap_gst_buffer_pool, GST_TYPE_BUFFER_POOL)

static const gchar **zcap_pool_get_options(GstBufferPool *pool G_GNUC_UNUSED)
{
	static const gchar *options[] = {
		GST_BUFFER_POOL_OPTION_VIDEO_META,
		GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT,
		NULL
	};

	return options;
}

static gboolean zcap_pool_set_config(GstBufferPool *pool, GstStructure *config)
{
	GstZcapBufferPool *self = ZCAP_GST_BUFFER_POOL(pool);
	GstVideoAlignment align;
	GstCaps *caps = NULL;
	guint size, min, max;

	if (!gst_buffer_pool_config_get_params(config, &caps, &size, &min, &max))
		return FALSE;
	self->have_info = caps && gst_video_info_from_caps(&self->info, caps);
	if (self->have_info &&
	    gst_buffer_pool_config_has_option(config, GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT)) {
		gst_buffer_pool_config_get_video_alignment(config, &align);
		if (!gst_video_info_align(&self->info, &align))
			return FALSE;
		gst_buffer_pool_config_set_video_alignment(config, &align);
	}
	if (self->have_info)
		size = MAX(size, GST_VIDEO_INFO_SIZE(&self->info));
	if (!size)
		return FALSE;
	self->add_meta = self->have_info &&
		gst_buffer_pool_config_has_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
	self->size = size;
	self->min = min;
	self->max = max;
	gst_buffer_pool_config_set_params(config, caps, size, min, max);
	GST_DEBUG_OBJECT(self, "size %u, min %u, max %u, meta %d", size, min, max,
			 self->add_meta);
	return GST_BUFFER_POOL_CLASS(zcap_gst_buffer_pool_parent_class)->set_config(pool, config);
}

/* A committed zcap allocator of @count buffers of the configured size. */
static struct zcap_allocator *new_zalloc(GstZcapBufferPool *self, guint count)
{
	struct zcap_alloc_props props = { .count = count, .n_mem = 1, .size = { self->size } };
	struct zcap_alloc_props got;
	struct zcap_allocator *za;
	int ret;

	ret = zcap_allocator_new_dmabuf(self->provider, &za);
	if (ret) {
		GST_ERROR_OBJECT(self, "no dma-buf provider: %s", zcap_strerror(ret));
		return NULL;
	}
	ret = zcap_allocator_set_properties(za, &props, &got);
	if (!ret)
		ret = zcap_allocator_commit(za);
	if (ret) {
		GST_ERROR_OBJECT(self, "%u zcap buffers of %u bytes: %s", count,
				 self->size, zcap_strerror(ret));
		zcap_allocator_unref(za);
		return NULL;
	}
	GST_INFO_OBJECT(self, "%u buffers of %u bytes from %s", got.count, self->size,
			zcap_allocator_describe(za));
	g_ptr_array_add(self->zallocs, za);
	self->n_samples += got.count;
	return za;
}

/*
 * A free sample: from an allocator that has one, else a new allocator.
 * With a maximum, the first allocator holds that many. More are needed
 * only when the pool dropped a buffer whose memory lives on elsewhere
 * (GstBufferPool frees a returned buffer whose memory is shared): one
 * more buffer then stands in for it.
 */
static struct zcap_sample *take_sample(GstZcapBufferPool *self)
{
	struct zcap_allocator *za;
	struct zcap_sample *s;
	guint count;

	for (guint i = 0; i < self->zallocs->len; i++)
		if (!zcap_allocator_get_buffer(g_ptr_array_index(self->zallocs, i), 0, &s))
			return s;
	if (!self->max)
		count = MAX(self->min, 2);
	else if (self->n_samples < self->max)
		count = self->max - self->n_samples;
	else
		count = 1;
	GST_DEBUG_OBJECT(self, "no free buffer in %u allocator(s) of %u buffers: %u more",
			 self->zallocs->len, self->n_samples, count);
	za = new_zalloc(self, count);
	if (!za || zcap_allocator_get_buffer(za, 0, &s))
		return NULL;
	return s;
}

static GstFlowReturn zcap_pool_alloc_buffer(GstBufferPool *pool, GstBuffer **out,
					    GstBufferPoolAcquireParams *params G_GNUC_UNUSED)
{
	GstZcapBufferPool *self = ZCAP_GST_BUFFER_POOL(pool);
	struct zcap_sample *s;
	GstMemory *mem;
	GstBuffer *buf;

	g_mutex_lock(&self->lock);
	s = take_sample(self);
	g_mutex_unlock(&self->lock);

	if (!s)
		return GST_FLOW_ERROR;
	mem = gst_zcap_allocator_wrap(self->alloc, s, 0);
	zcap_sample_unref(s);
	if (!mem)
		return GST_FLOW_ERROR;
	gst_memory_resize(mem, 0, self->size);
	buf = gst_buffer_new();
	gst_buffer_append_memory(buf, mem);
	if (self->add_meta)
		gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE,
					       GST_VIDEO_INFO_FORMAT(&self->info),
					       GST_VIDEO_INFO_WIDTH(&self->info),
					       GST_VIDEO_INFO_HEIGHT(&self->info),
					       GST_VIDEO_INFO_N_PLANES(&self->info),
					       self->info.offset, self->info.stride);
	*out = buf;
	return GST_FLOW_OK;
}

static void free_zallocs(GstZcapBufferPool *self)
{
	g_mutex_lock(&self->lock);
	for (guint i = 0; i < self->zallocs->len; i++) {
		struct zcap_allocator *za = g_ptr_array_index(self->zallocs, i);

		zcap_allocator_decommit(za);
		zcap_allocator_unref(za);
	}
	g_ptr_array_set_size(self->zallocs, 0);
	self->n_samples = 0;
	g_mutex_unlock(&self->lock);
}

/* Every buffer is freed by the parent's stop: the allocators can go. */
static gboolean zcap_pool_stop(GstBufferPool *pool)
{
	GstZcapBufferPool *self = ZCAP_GST_BUFFER_POOL(pool);
	gboolean ok = GST_BUFFER_POOL_CLASS(zcap_gst_buffer_pool_parent_class)->stop(pool);

	free_zallocs(self);
	return ok;
}

static void zcap_pool_finalize(GObject *obj)
{
	GstZcapBufferPool *self = ZCAP_GST_BUFFER_POOL(obj);

	free_zallocs(self);
	g_ptr_array_unref(self->zallocs);
	g_mutex_clear(&self->lock);
	gst_object_unref(self->alloc);
	G_OBJECT_CLASS(zcap_gst_buffer_pool_parent_class)->finalize(obj);
}

static void zcap_gst_buffer_pool_class_init(GstZcapBufferPoolClass *klass)
{
	GstBufferPoolClass *pc = GST_BUFFER_POOL_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = zcap_pool_finalize;
	pc->get_options = zcap_pool_get_options;
	pc->set_config = zcap_pool_set_config;
	pc->alloc_buffer = zcap_pool_alloc_buffer;
	pc->stop = zcap_pool_stop;
}

static void zcap_gst_buffer_pool_init(GstZcapBufferPool *self)
{
	g_mutex_init(&self->lock);
	self->zallocs = g_ptr_array_new();
	self->alloc = g_object_new(GST_TYPE_ZCAP_ALLOCATOR, NULL);
	gst_object_ref_sink(self->alloc);
}

GstBufferPool *zcap_gst_buffer_pool_new(enum zcap_provider provider)
{
	GstZcapBufferPool *self = g_object_new(ZCAP_GST_TYPE_BUFFER_POOL, NULL);

	gst_object_ref_sink(self);
	self->provider = provider;
	return GST_BUFFER_POOL(self);
}
