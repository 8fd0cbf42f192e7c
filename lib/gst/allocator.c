// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * GstZcapAllocator: GstDmaBufMemory over zcap samples (<zcap/gst.h>).
 *
 * A memory holds one reference to its sample, as GStreamer qdata on the
 * memory: GStreamer drops it when it frees the memory, which is when the
 * sample may go back to its allocator (and a capture source requeue it).
 * The fd stays the zcap allocator's (GST_FD_MEMORY_FLAG_DONT_CLOSE): it
 * lives as long as the sample's buffer, which the reference keeps.
 */
#include <errno.h>

#include <zcap/error.h>
#include <zcap/gst.h>

struct _GstZcapAllocator {
	GstDmaBufAllocator parent;
	enum zcap_provider provider;
};

struct _GstZcapAllocatorClass {
	GstDmaBufAllocatorClass parent_class;
};

G_DEFINE_TYPE(GstZcapAllocator, gst_zcap_allocator, GST_TYPE_DMABUF_ALLOCATOR)

GST_DEBUG_CATEGORY_STATIC(zcap_allocator_debug);
#define GST_CAT_DEFAULT zcap_allocator_debug

/*
 * The qdata keys, made in class_init: a zcap memory exists only once the
 * class does, and g_quark_from_static_string() takes a global lock and a
 * hash lookup, twice per frame otherwise.
 */
static GQuark sample_quark;
static GQuark block_quark;

/* Block @mem of @s as memory; with @owned, holding a reference to @s. */
static GstMemory *wrap_block(GstAllocator *alloc, struct zcap_sample *s,
			     guint mem, gboolean owned)
{
	struct zcap_mem m;
	GstMemory *gm;

	g_return_val_if_fail(GST_IS_ZCAP_ALLOCATOR(alloc), NULL);
	g_return_val_if_fail(s != NULL, NULL);
	if (zcap_sample_mem(s, mem, &m) || m.fd < 0 || !m.length)
		return NULL;
	gm = gst_fd_allocator_alloc(alloc, m.fd, m.offset + m.length,
				    GST_FD_MEMORY_FLAG_DONT_CLOSE);
	if (!gm)
		return NULL;
	gst_memory_resize(gm, m.offset, m.length);
	if (owned)
		gst_mini_object_set_qdata(GST_MINI_OBJECT(gm), sample_quark,
					  zcap_sample_ref(s),
					  (GDestroyNotify)zcap_sample_unref);
	else
		gst_mini_object_set_qdata(GST_MINI_OBJECT(gm), sample_quark, s,
					  NULL);
	gst_mini_object_set_qdata(GST_MINI_OBJECT(gm), block_quark,
				  GUINT_TO_POINTER(mem + 1), NULL);
	return gm;
}

GstMemory *gst_zcap_allocator_wrap(GstAllocator *alloc, struct zcap_sample *s,
				   guint mem)
{
	return wrap_block(alloc, s, mem, TRUE);
}

GstMemory *gst_zcap_allocator_wrap_unowned(GstAllocator *alloc,
					   struct zcap_sample *s, guint mem)
{
	return wrap_block(alloc, s, mem, FALSE);
}

/* The memory that carries the qdata: @mem itself, or what it was shared from. */
static GstMemory *wrapped_memory(GstMemory *mem)
{
	while (mem && mem->parent)
		mem = mem->parent;
	return mem;
}

gboolean gst_is_zcap_memory(GstMemory *mem)
{
	return mem && GST_IS_ZCAP_ALLOCATOR(mem->allocator);
}

struct zcap_sample *gst_zcap_memory_get_sample(GstMemory *mem)
{
	if (!gst_is_zcap_memory(mem))
		return NULL;
	return gst_mini_object_get_qdata(GST_MINI_OBJECT(wrapped_memory(mem)),
					 sample_quark);
}

guint gst_zcap_memory_get_block(GstMemory *mem)
{
	gpointer b;

	if (!gst_is_zcap_memory(mem))
		return 0;
	b = gst_mini_object_get_qdata(GST_MINI_OBJECT(wrapped_memory(mem)),
				      block_quark);
	return b ? GPOINTER_TO_UINT(b) - 1 : 0;
}

/* One committed buffer of @size bytes from a fresh one-buffer zcap pool. */
static int one_buffer(enum zcap_provider provider, gsize size,
		      const GstAllocationParams *params, struct zcap_sample **out)
{
	struct zcap_alloc_props props = {
		.count = 1,
		.n_mem = 1,
		.align = params->align + 1,
		.size = { size + params->prefix + params->padding },
	};
	struct zcap_allocator *za;
	int ret;

	ret = zcap_allocator_new_dmabuf(provider, &za);
	if (ret)
		return ret;
	ret = zcap_allocator_set_properties(za, &props, NULL);
	if (!ret)
		ret = zcap_allocator_commit(za);
	if (!ret)
		ret = zcap_allocator_get_buffer(za, 0, out);
	/* The sample keeps its buffer (and the allocator) until it is back. */
	zcap_allocator_decommit(za);
	zcap_allocator_unref(za);
	return ret;
}

static GstMemory *zcap_alloc(GstAllocator *alloc, gsize size,
			     GstAllocationParams *params)
{
	GstZcapAllocator *self = GST_ZCAP_ALLOCATOR(alloc);
	GstAllocationParams defaults;
	struct zcap_sample *s;
	GstMemory *mem;
	int ret;

	if (!params) {
		gst_allocation_params_init(&defaults);
		params = &defaults;
	}
	ret = one_buffer(self->provider, size, params, &s);
	if (ret) {
		GST_WARNING_OBJECT(self, "no zcap buffer of %" G_GSIZE_FORMAT
				   " bytes: %s", size, zcap_strerror(ret));
		return NULL;
	}
	mem = gst_zcap_allocator_wrap(alloc, s, 0);
	zcap_sample_unref(s);
	if (mem)
		gst_memory_resize(mem, params->prefix, size);
	return mem;
}

static void gst_zcap_allocator_class_init(GstZcapAllocatorClass *klass)
{
	GST_ALLOCATOR_CLASS(klass)->alloc = zcap_alloc;
	sample_quark = g_quark_from_static_string("GstZcapSample");
	block_quark = g_quark_from_static_string("GstZcapBlock");
	GST_DEBUG_CATEGORY_INIT(zcap_allocator_debug, "zcapallocator", 0,
				"zcap dma-buf memory");
}

static void gst_zcap_allocator_init(GstZcapAllocator *self)
{
	self->provider = ZCAP_PROVIDER_AUTO;
}

GstAllocator *gst_zcap_allocator_new(enum zcap_provider provider,
				     GError **error)
{
	GstZcapAllocator *self;
	char why[512];
	int ret;

	switch (provider) {
	case ZCAP_PROVIDER_AUTO:
	case ZCAP_PROVIDER_ZCAP:
	case ZCAP_PROVIDER_DMA_HEAP:
	case ZCAP_PROVIDER_UDMABUF:
		break;
	default:
		g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
			    "zcap: provider %d does not make dma-bufs", provider);
		return NULL;
	}
	why[0] = '\0';
	ret = zcap_provider_probe(provider, why, sizeof(why));
	if (ret) {
		g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
			    "zcap: no dma-buf provider: %s", why);
		return NULL;
	}
	self = g_object_new(GST_TYPE_ZCAP_ALLOCATOR, NULL);
	gst_object_ref_sink(self);
	self->provider = provider;
	return GST_ALLOCATOR(self);
}
