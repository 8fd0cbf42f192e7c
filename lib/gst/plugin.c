// SPDX-License-Identifier: LGPL-2.1-or-later
/* The zcap GStreamer plugin (libgstzcap.so): zcapsrc and zcappool. */
#include "gstzcap.h"

/* GST_PLUGIN_DEFINE names the package that ships the plugin. */
#define PACKAGE "zcap"

static gboolean plugin_init(GstPlugin *plugin)
{
	zcap_gst_debug_init();
	return gst_element_register(plugin, "zcapsrc", GST_RANK_NONE, ZCAP_GST_TYPE_SRC) &&
	       gst_element_register(plugin, "zcappool", GST_RANK_NONE, ZCAP_GST_TYPE_POOL);
}

/* GST_PLUGIN_DEFINE leaves the descriptor's padding to zero initialization. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, zcap,
		  "Zero-copy capture into zcap dma-bufs", plugin_init,
		  ZCAP_GST_VERSION, "LGPL", "zcap", "Unknown package origin")
