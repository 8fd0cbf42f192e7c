// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libzcap's filter-specific calls recognise their filters by identity,
 * not by name: a user filter named like an internal one ("drm(...)",
 * "v4l2-source") is refused, never cast to the internal struct.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zcap/drm.h>
#include <zcap/filter.h>
#include <zcap/v4l2_source.h>

#include "tap.h"
#include "v4l2/v4l2_priv.h"

int main(void)
{
	/* Zeroed private data, large enough to be read as either struct. */
	void *priv = calloc(1, 64 * 1024);
	struct zcap_drm_sink_info info;
	struct zcap_filter *f;
	char buf[256];

	zcap_filter_new("drm(/dev/dri/card0)", NULL, priv, &f);
	is(zcap_drm_sink_info(f, &info), -EINVAL,
	   "a user filter named \"drm(...)\" is not a DRM sink");
	zcap_filter_destroy(f);

	zcap_filter_new("v4l2-source", NULL, priv, &f);
	/* Even private data that points back at the filter does not fool it. */
	((struct v4l2_src *)priv)->filter = f;
	is(zcap_v4l2_source_describe(f, buf, sizeof(buf)), -EINVAL,
	   "a user filter named \"v4l2-source\" is not a V4L2 source");
	zcap_filter_destroy(f);
	free(priv);
	return tap_done();
}
