// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where the DRM sink shows its frames (KMS): a lit CRTC and a plane of
 * it that scans out the format, or with no CRTC lit a connector, a mode
 * and a CRTC to light with the first frame. Chosen at pause, and again
 * at each pause until a plane is found; a device with nothing to show on
 * keeps the imported buffers only.
 */
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "core/filter_util.h"
#include "drm_priv.h"

static bool plane_has_format(drmModePlane *p, uint32_t fourcc)
{
	uint32_t i;

	for (i = 0; i < p->count_formats; i++)
		if (p->formats[i] == fourcc)
			return true;
	return false;
}

/*
 * The mode of the frame's size if the connector has one, for a primary
 * plane must often cover the whole CRTC (vkms's does), else its
 * preferred mode.
 */
static const drmModeModeInfo *pick_mode(const drmModeConnector *conn,
					uint32_t w, uint32_t h)
{
	const drmModeModeInfo *best = NULL;
	int i;

	for (i = 0; i < conn->count_modes; i++) {
		const drmModeModeInfo *m = &conn->modes[i];
		bool fits = m->hdisplay == w && m->vdisplay == h;
		bool pref = m->type & DRM_MODE_TYPE_PREFERRED;

		if (fits && pref)
			return m;
		if (fits && (!best || best->hdisplay != w || best->vdisplay != h))
			best = m;
		else if (pref && !best)
			best = m;
	}
	return best ? best : (conn->count_modes ? &conn->modes[0] : NULL);
}

/*
 * No CRTC is lit (no console, no compositor): take a connected
 * connector and a CRTC one of its encoders can drive, to be lit with the
 * first frame. Returns the CRTC's index in @res, or -1.
 */
static int drm_pick_modeset(struct drm_sink *d, drmModeRes *res)
{
	int i, j, k, crtc_index = -1;

	for (i = 0; i < res->count_connectors && crtc_index < 0; i++) {
		drmModeConnector *conn = drmModeGetConnector(d->fd,
							     res->connectors[i]);
		const drmModeModeInfo *m;

		if (!conn)
			continue;
		m = conn->connection == DRM_MODE_CONNECTED ?
			pick_mode(conn, d->fmt.width, d->fmt.height) : NULL;
		for (j = 0; m && j < conn->count_encoders && crtc_index < 0; j++) {
			drmModeEncoder *e = drmModeGetEncoder(d->fd,
							      conn->encoders[j]);

			if (!e)
				continue;
			for (k = 0; k < res->count_crtcs; k++) {
				if (!(e->possible_crtcs & (1u << k)))
					continue;
				if (d->cfg.crtc_id && res->crtcs[k] != d->cfg.crtc_id)
					continue;
				crtc_index = k;
				d->crtc_id = res->crtcs[k];
				d->connector_id = conn->connector_id;
				d->mode = *m;
				d->crtc_w = m->hdisplay;
				d->crtc_h = m->vdisplay;
				break;
			}
			drmModeFreeEncoder(e);
		}
		drmModeFreeConnector(conn);
	}
	if (crtc_index >= 0) {
		d->need_modeset = true;
		zcapi_filter_note(d->f, "no active CRTC: setting %s on CRTC %u, connector %u",
				  d->mode.name, d->crtc_id, d->connector_id);
	}
	return crtc_index;
}

/*
 * Find an active CRTC and a plane on it that scans out our format; with
 * none active, light one. A device with no CRTC to light (no display
 * attached, render-only) keeps the imported handles only.
 */
void zcapi_drm_pick_output(struct drm_sink *d)
{
	drmModePlaneRes *pr = NULL;
	drmModeRes *res;
	drmModeCrtc *c;
	int crtc_index = -1;
	int i;

	d->kms = false;
	res = drmModeGetResources(d->fd);
	if (!res) {
		zcapi_filter_note(d->f, "render-only device: buffers are imported, not shown");
		return;
	}
	for (i = 0; i < res->count_crtcs; i++) {
		if (d->cfg.crtc_id && res->crtcs[i] != d->cfg.crtc_id)
			continue;
		c = drmModeGetCrtc(d->fd, res->crtcs[i]);
		if (!c)
			continue;
		if (c->mode_valid) {
			crtc_index = i;
			d->crtc_id = c->crtc_id;
			d->crtc_w = c->mode.hdisplay;
			d->crtc_h = c->mode.vdisplay;
		}
		drmModeFreeCrtc(c);
		if (crtc_index >= 0)
			break;
	}
	if (crtc_index < 0)
		crtc_index = drm_pick_modeset(d, res);
	drmModeFreeResources(res);
	if (crtc_index < 0) {
		zcapi_filter_note(d->f, "no active CRTC: buffers are imported, not shown");
		return;
	}
	drmSetClientCap(d->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	pr = drmModeGetPlaneResources(d->fd);
	for (i = 0; pr && i < (int)pr->count_planes; i++) {
		drmModePlane *p;

		if (d->cfg.plane_id && pr->planes[i] != d->cfg.plane_id)
			continue;
		p = drmModeGetPlane(d->fd, pr->planes[i]);
		if (!p)
			continue;
		if ((p->possible_crtcs & (1u << crtc_index)) &&
		    plane_has_format(p, d->drm_fourcc))
			d->plane_id = p->plane_id;
		drmModeFreePlane(p);
		if (d->plane_id)
			break;
	}
	if (pr)
		drmModeFreePlaneResources(pr);
	if (!d->plane_id) {
		zcapi_filter_note(d->f,
				  "no plane of CRTC %u scans out this format: buffers are imported, not shown",
				  d->crtc_id);
		d->need_modeset = false;
		return;
	}
	d->kms = true;
}
