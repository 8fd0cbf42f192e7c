// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * zcappool: a pass-through element whose sink pad answers the ALLOCATION
 * query with a pool of zcap dma-bufs, so that the element upstream (say
 * v4l2src io-mode=dmabuf-import) fills zcap buffers.
 *
 * It is DirectShow's GetAllocator in GStreamer's words: downstream's
 * answer is asked first (the buffers it holds, its size, its alignment
 * and whether it takes GstVideoMeta), then our pool is proposed in its
 * place, sized from the caps and those requirements. Downstream's own
 * pools are not passed on: upstream would otherwise pick one.
 */
#include "gstzcap.h"

#define GST_CAT_DEFAULT zcap_gst_debug

enum {
	PROP_0,
	PROP_PROVIDER,
	PROP_MIN_BUFFERS,
};

struct _GstZcapPool {
	GstBaseTransform parent;
	enum zcap_provider provider;	/* property, under the object lock */
	guint min_buffers;		/* property: beyond downstream's */
	GstBufferPool *pool;		/* the last one proposed */
	gboolean saw_buffer;		/* the first buffer was looked at */
};

G_DEFINE_TYPE(GstZcapPool, zcap_gst_pool, GST_TYPE_BASE_TRANSFORM)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink",
	GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("video/x-raw"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE("src",
	GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS("video/x-raw"));

static GstBufferPool *configured_pool(GstZcapPool *self, GstCaps *caps,
				      const struct zcap_gst_downstream *d, guint *size,
				      guint *min)
{
	GstBufferPool *pool;
	GstStructure *config;
	GstVideoInfo info;

	if (!gst_video_info_from_caps(&info, caps))
		return NULL;
	GST_OBJECT_LOCK(self);
	pool = zcap_gst_buffer_pool_new(self->provider);
	*min = d->min + self->min_buffers;
	GST_OBJECT_UNLOCK(self);
	*size = MAX(d->size, GST_VIDEO_INFO_SIZE(&info));
	config = gst_buffer_pool_get_config(pool);
	gst_buffer_pool_config_set_params(config, caps, *size, *min, 0);
	gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
	if (d->has_align) {
		gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT);
		gst_buffer_pool_config_set_video_alignment(config, &d->align);
	}
	if (!gst_buffer_pool_set_config(pool, config)) {
		gst_object_unref(pool);
		return NULL;
	}
	/* The size the alignment made. */
	config = gst_buffer_pool_get_config(pool);
	gst_buffer_pool_config_get_params(config, NULL, size, NULL, NULL);
	gst_structure_free(config);
	return pool;
}

static gboolean zcap_gst_pool_propose_allocation(GstBaseTransform *trans,
						 GstQuery *decide_query G_GNUC_UNUSED,
						 GstQuery *query)
{
	GstZcapPool *self = ZCAP_GST_POOL(trans);
	struct zcap_gst_downstream d;
	GstBufferPool *pool;
	GstCaps *caps = NULL;
	gboolean need_pool;
	guint size, min;

	gst_query_parse_allocation(query, &caps, &need_pool);
	if (!caps)
		return FALSE;
	/* What downstream needs, in the query upstream will read. */
	if (!gst_pad_peer_query(GST_BASE_TRANSFORM_SRC_PAD(trans), query))
		GST_DEBUG_OBJECT(self, "downstream did not answer the ALLOCATION query");
	zcap_gst_take_downstream(query, &d);
	pool = configured_pool(self, caps, &d, &size, &min);
	if (!pool) {
		GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
				  ("Cannot make a zcap pool for %" GST_PTR_FORMAT, caps), (NULL));
		return FALSE;
	}
	gst_query_add_allocation_pool(query, pool, size, min, 0);
	GST_INFO_OBJECT(self, "proposed zcap pool: %u bytes, min %u (downstream holds %u)",
			size, min, d.min);
	GST_OBJECT_LOCK(self);
	gst_clear_object(&self->pool);
	self->pool = pool;
	GST_OBJECT_UNLOCK(self);
	return TRUE;
}

/* Passing through, it only looks at whether upstream took its pool. */
static GstFlowReturn zcap_gst_pool_transform_ip(GstBaseTransform *trans,
						GstBuffer *buf)
{
	GstZcapPool *self = ZCAP_GST_POOL(trans);

	if (!self->saw_buffer) {
		self->saw_buffer = TRUE;
		GST_INFO_OBJECT(self, "upstream %s zcap buffers",
				gst_is_zcap_memory(gst_buffer_peek_memory(buf, 0)) ?
				"fills" : "does not fill");
	}
	return GST_FLOW_OK;
}

static gboolean zcap_gst_pool_stop(GstBaseTransform *trans)
{
	GstZcapPool *self = ZCAP_GST_POOL(trans);

	GST_OBJECT_LOCK(self);
	gst_clear_object(&self->pool);
	self->saw_buffer = FALSE;
	GST_OBJECT_UNLOCK(self);
	return TRUE;
}

static void zcap_gst_pool_set_property(GObject *obj, guint id,
				       const GValue *value, GParamSpec *pspec)
{
	GstZcapPool *self = ZCAP_GST_POOL(obj);

	GST_OBJECT_LOCK(self);
	if (id == PROP_PROVIDER)
		self->provider = g_value_get_enum(value);
	else if (id == PROP_MIN_BUFFERS)
		self->min_buffers = g_value_get_uint(value);
	else
		G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
	GST_OBJECT_UNLOCK(self);
}

static void zcap_gst_pool_get_property(GObject *obj, guint id, GValue *value,
				       GParamSpec *pspec)
{
	GstZcapPool *self = ZCAP_GST_POOL(obj);

	GST_OBJECT_LOCK(self);
	if (id == PROP_PROVIDER)
		g_value_set_enum(value, self->provider);
	else if (id == PROP_MIN_BUFFERS)
		g_value_set_uint(value, self->min_buffers);
	else
		G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
	GST_OBJECT_UNLOCK(self);
}

static void zcap_gst_pool_finalize(GObject *obj)
{
	gst_clear_object(&ZCAP_GST_POOL(obj)->pool);
	G_OBJECT_CLASS(zcap_gst_pool_parent_class)->finalize(obj);
}

static void zcap_gst_pool_class_init(GstZcapPoolClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);
	GstElementClass *ec = GST_ELEMENT_CLASS(klass);
	GstBaseTransformClass *tc = GST_BASE_TRANSFORM_CLASS(klass);
	const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
			       GST_PARAM_MUTABLE_READY;

	oc->set_property = zcap_gst_pool_set_property;
	oc->get_property = zcap_gst_pool_get_property;
	oc->finalize = zcap_gst_pool_finalize;
	g_object_class_install_property(oc, PROP_PROVIDER,
		zcap_gst_provider_pspec("Where the pool's dma-bufs come from"));
	g_object_class_install_property(oc, PROP_MIN_BUFFERS,
		g_param_spec_uint("min-buffers", "Minimum buffers",
				  "Buffers the pool keeps beyond what downstream holds",
				  0, 64, 0, rw));
	gst_element_class_add_static_pad_template(ec, &sink_template);
	gst_element_class_add_static_pad_template(ec, &src_template);
	gst_element_class_set_static_metadata(ec, "zcap buffer pool",
		"Filter/Video", "Offers upstream a pool of zcap dma-bufs to fill, passes buffers through",
		"zcap developers");
	tc->passthrough_on_same_caps = TRUE;
	tc->transform_ip_on_passthrough = TRUE;
	tc->propose_allocation = zcap_gst_pool_propose_allocation;
	tc->transform_ip = zcap_gst_pool_transform_ip;
	tc->stop = zcap_gst_pool_stop;
}

static void zcap_gst_pool_init(GstZcapPool *self)
{
	self->provider = ZCAP_PROVIDER_AUTO;
	gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
}
