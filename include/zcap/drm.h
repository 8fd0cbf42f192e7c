/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The DRM/KMS sink. Not in libzcap but in libzcap-drm (pkg-config
 * zcap-drm; it links libzcap and libdrm), so that programs without a DRM
 * sink never load libdrm.
 */
#ifndef ZCAP_DRM_H
#define ZCAP_DRM_H

#include <stdint.h>

#include <zcap/consumers.h>
#include <zcap/filter.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * DRM sink through libdrm. Every pool buffer is imported once
 * (drmPrimeFDToHandle) and its handle kept for the stream. On a KMS device
 * each buffer also gets a framebuffer (drmModeAddFB2 with the DRM fourcc
 * of the V4L2 format and the negotiated pitches/offsets), and every frame
 * is shown on a plane (drmModeSetPlane), the previous frame being held
 * until the next one replaced it: scaled to fit the CRTC where the plane
 * scales, else unscaled and centred. With no CRTC lit it lights one
 * (black behind the frame). At stop the display is put back as found. On
 * a render-only device (vgem), or while another client (a display
 * server) is DRM master, it keeps the imported handles only.
 */
struct zcap_drm_sink_config {
	const char *device;	/* "/dev/dri/card0" */
	uint32_t crtc_id;	/* 0: the first active CRTC, else one to light */
	uint32_t plane_id;	/* 0: the first of that CRTC's planes to take the frame */
	uint32_t flags;		/* ZCAP_CONSUMER_PROPOSE_ALLOCATOR only */
	uint32_t reserved[8];	/* must be 0 (EINVAL) */
};

int zcap_drm_sink_new(const struct zcap_drm_sink_config *cfg,
		      struct zcap_filter **out);

/* What a DRM sink did, for tests and summaries; KMS fields until it stops. */
struct zcap_drm_sink_info {
	int fd;			/* the DRM fd the handles belong to (owned by the sink) */
	uint32_t kms;		/* 1 when frames go to a plane */
	uint64_t imports;	/* drmPrimeFDToHandle calls made */
	uint64_t framebuffers;	/* drmModeAddFB2 calls made */
	uint32_t n_buffers;	/* distinct buffers imported */
	uint32_t crtc_id;	/* the CRTC frames go to; 0 without KMS */
	uint32_t plane_id;	/* the plane the first frame settled on; 0 before */
	uint32_t reserved[5];
};

int zcap_drm_sink_info(struct zcap_filter *f, struct zcap_drm_sink_info *out);

/*
 * GEM handle of the buffer a sample of allocator index @index was imported
 * as; -ENOENT before it was seen. Valid while the sink is not stopped.
 */
int zcap_drm_sink_handle(struct zcap_filter *f, uint32_t index,
			 uint32_t *handle);

/* V4L2 pixel format -> DRM fourcc; 0 when there is no equivalent. */
uint32_t zcap_v4l2_to_drm_fourcc(uint32_t v4l2_fourcc);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_DRM_H */
