// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What both elements use: the "zcap" debug category (libzcap's log goes
 * there too), the type of their provider property, and reading what
 * downstream answered to an ALLOCATION query.
 */
#include <string.h>

#include "gstzcap.h"

GST_DEBUG_CATEGORY(zcap_gst_debug);

void zcap_gst_debug_init(void)
{
	GST_DEBUG_CATEGORY_INIT(zcap_gst_debug, "zcap", 0, "zcap elements and libzcap");
}

GType zcap_gst_provider_get_type(void)
{
	static const GEnumValue values[] = {
		{ ZCAP_PROVIDER_AUTO, "zcap.ko, then the dma-heap, then udmabuf", "auto" },
		{ ZCAP_PROVIDER_ZCAP, "zcap.ko pools (/dev/zcap)", "zcap" },
		{ ZCAP_PROVIDER_DMA_HEAP, "The system dma-heap", "dma-heap" },
		{ ZCAP_PROVIDER_UDMABUF, "udmabuf over memfd", "udmabuf" },
		{ 0, NULL, NULL },
	};
	static GType type;

	if (g_once_init_enter(&type))
		g_once_init_leave(&type, g_enum_register_static("ZcapProvider", values));
	return type;
}

GParamSpec *zcap_gst_provider_pspec(const char *blurb)
{
	return g_param_spec_enum("provider", "Provider", blurb, ZCAP_GST_TYPE_PROVIDER,
				 ZCAP_PROVIDER_AUTO,
				 G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
				 GST_PARAM_MUTABLE_READY);
}

void zcap_gst_take_downstream(GstQuery *query, struct zcap_gst_downstream *d)
{
	GstBufferPool *pool = NULL;
	guint max;

	memset(d, 0, sizeof(*d));
	if (gst_query_get_n_allocation_pools(query) > 0)
		gst_query_parse_nth_allocation_pool(query, 0, &pool, &d->size, &d->min, &max);
	if (pool) {
		GstStructure *config = gst_buffer_pool_get_config(pool);

		d->has_align = gst_buffer_pool_config_has_option(config,
					GST_BUFFER_POOL_OPTION_VIDEO_ALIGNMENT) &&
			gst_buffer_pool_config_get_video_alignment(config, &d->align);
		gst_structure_free(config);
		gst_object_unref(pool);
	}
	while (gst_query_get_n_allocation_pools(query) > 0)
		gst_query_remove_nth_allocation_pool(query, 0);
}
