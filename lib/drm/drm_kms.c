// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where the DRM sink shows its frames (KMS), chosen at each pause: a lit
 * CRTC, or with none lit a connector, a mode and a CRTC to light; then
 * the planes of that CRTC that scan out the format, in the order the
 * first frame tries them (drm_show.c). A device with nothing to show on
 * keeps the imported buffers only.
 */
#include <errno.h>
#include <string.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include "drm_priv.h"

static bool plane_has_format(drmModePlane *p, uint32_t fourcc)
{
	uint32_t i;

	for (i = 0; i < p->count_formats; i++)
		if (p->formats[i] == fourcc)
			return true;
	return false;
}

/* DRM_PLANE_TYPE_*, from the plane's "type" property. */
static uint64_t plane_type(int fd, uint32_t plane_id)
{
	drmModeObjectProperties *props;
	uint64_t type = DRM_PLANE_TYPE_OVERLAY;
	uint32_t i;

	props = drmModeObjectGetProperties(fd, plane_id, DRM_MODE_OBJECT_PLANE);
	for (i = 0; props && i < props->count_props; i++) {
		drmModePropertyRes *p = drmModeGetProperty(fd, props->props[i]);

		if (p && !strcmp(p->name, "type"))
			type = props->prop_values[i];
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return type;
}

/*
 * The mode of the frame's size if the connector has one (the frame then
 * fills the screen unscaled, on any plane), else its preferred mode.
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

/* Connector @conn with mode @m on the first CRTC an encoder of it drives. */
static int pick_crtc_for(struct drm_sink *d, drmModeRes *res,
			 const drmModeConnector *conn, const drmModeModeInfo *m)
{
	int j, k, crtc_index = -1;

	for (j = 0; j < conn->count_encoders && crtc_index < 0; j++) {
		drmModeEncoder *e = drmModeGetEncoder(d->fd, conn->encoders[j]);

		for (k = 0; e && k < res->count_crtcs; k++) {
			if (!(e->possible_crtcs & (1u << k)))
				continue;
			if (d->cfg.crtc_id && res->crtcs[k] != d->cfg.crtc_id)
				continue;
			crtc_index = k;
			d->out.crtc_id = res->crtcs[k];
			d->out.connector_id = conn->connector_id;
			d->out.mode = *m;
			d->out.crtc_w = m->hdisplay;
			d->out.crtc_h = m->vdisplay;
			break;
		}
		drmModeFreeEncoder(e);
	}
	return crtc_index;
}

/*
 * Whether a CRTC drives @conn now: lighting another one with it would
 * take the connector away (the kernel moves it), and the CRTC that
 * showed it would stay dark after the sink stopped.
 */
static bool connector_driven(struct drm_sink *d, const drmModeConnector *conn)
{
	drmModeEncoder *e;
	bool driven;

	if (!conn->encoder_id)
		return false;
	e = drmModeGetEncoder(d->fd, conn->encoder_id);
	driven = e && e->crtc_id;
	drmModeFreeEncoder(e);
	return driven;
}

/*
 * No CRTC is lit (no console, no compositor), or not the configured
 * one: take a connected connector no CRTC drives and a CRTC one of its
 * encoders can drive, to be lit with the first frame. Returns the CRTC's
 * index in @res, or -1.
 */
static int pick_crtc_to_light(struct drm_sink *d, drmModeRes *res)
{
	int i, crtc_index = -1;

	for (i = 0; i < res->count_connectors && crtc_index < 0; i++) {
		drmModeConnector *conn = drmModeGetConnector(d->fd,
							     res->connectors[i]);
		const drmModeModeInfo *m;

		if (!conn)
			continue;
		m = conn->connection == DRM_MODE_CONNECTED &&
		    !connector_driven(d, conn) ?
			pick_mode(conn, d->fmt.width, d->fmt.height) : NULL;
		if (m)
			crtc_index = pick_crtc_for(d, res, conn, m);
		drmModeFreeConnector(conn);
	}
	if (crtc_index >= 0) {
		d->out.light = true;
		zcapi_drm_say(d, ZCAP_LOG_WARN, "no active CRTC: setting %s on CRTC %u, connector %u",
			      d->out.mode.name, d->out.crtc_id,
			      d->out.connector_id);
	}
	return crtc_index;
}

/*
 * The first lit CRTC (or the configured one, if lit), with what its
 * primary plane shows, to be put back at stop. Returns its index or -1.
 */
static int pick_lit_crtc(struct drm_sink *d, drmModeRes *res)
{
	int i, crtc_index = -1;

	for (i = 0; i < res->count_crtcs && crtc_index < 0; i++) {
		drmModeCrtc *c;

		if (d->cfg.crtc_id && res->crtcs[i] != d->cfg.crtc_id)
			continue;
		c = drmModeGetCrtc(d->fd, res->crtcs[i]);
		if (c && c->mode_valid) {
			crtc_index = i;
			d->out.crtc_id = c->crtc_id;
			d->out.crtc_w = c->mode.hdisplay;
			d->out.crtc_h = c->mode.vdisplay;
			d->out.found_fb = c->buffer_id;
			d->out.found_x = c->x;
			d->out.found_y = c->y;
		}
		drmModeFreeCrtc(c);
	}
	return crtc_index;
}

/*
 * How well plane @p, of DRM_PLANE_TYPE_* @type, suits frames of the
 * sink's size, lower first; -1 for none. A primary plane must often
 * cover the whole CRTC (vkms's, many others'): first for a frame of the
 * mode's size, after the overlays for any other. A plane on another
 * CRTC, or an overlay showing something, is another client's and is
 * left alone; cursor planes are too small to try.
 */
static int plane_rank(struct drm_sink *d, drmModePlane *p, uint64_t type,
		      int crtc_index)
{
	bool fills = d->fmt.width == d->out.crtc_w &&
		     d->fmt.height == d->out.crtc_h;

	if (!(p->possible_crtcs & (1u << crtc_index)) ||
	    !plane_has_format(p, d->drm_fourcc) ||
	    (p->crtc_id && p->crtc_id != d->out.crtc_id))
		return -1;
	if (type == DRM_PLANE_TYPE_PRIMARY)
		return fills ? 0 : 2;
	if (type != DRM_PLANE_TYPE_OVERLAY || p->fb_id)
		return -1;
	return 1;
}

/* Insert @id, of @rank, into the sorted candidates (@ranks beside them). */
static void add_plane(struct drm_output *o, int *ranks, uint32_t id,
		      int rank, bool primary)
{
	uint32_t i;

	if (o->n_planes == DRM_MAX_PLANES)
		return;
	for (i = o->n_planes; i > 0 && ranks[i - 1] > rank; i--) {
		o->planes[i] = o->planes[i - 1];
		o->primary[i] = o->primary[i - 1];
		ranks[i] = ranks[i - 1];
	}
	o->planes[i] = id;
	o->primary[i] = primary;
	ranks[i] = rank;
	o->n_planes++;
}

/* The planes of CRTC @crtc_index that take the format, best first. */
static void pick_planes(struct drm_sink *d, int crtc_index)
{
	int ranks[DRM_MAX_PLANES];
	drmModePlaneRes *pr;
	uint32_t i;

	drmSetClientCap(d->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	pr = drmModeGetPlaneResources(d->fd);
	for (i = 0; pr && i < pr->count_planes; i++) {
		drmModePlane *p;
		uint64_t type;
		int rank;

		if (d->cfg.plane_id && pr->planes[i] != d->cfg.plane_id)
			continue;
		p = drmModeGetPlane(d->fd, pr->planes[i]);
		if (!p)
			continue;
		type = plane_type(d->fd, p->plane_id);
		/* Where the lit CRTC's framebuffer goes back at stop. */
		if (type == DRM_PLANE_TYPE_PRIMARY && d->out.found_fb &&
		    p->crtc_id == d->out.crtc_id && p->fb_id == d->out.found_fb)
			d->out.found_plane = p->plane_id;
		rank = plane_rank(d, p, type, crtc_index);
		if (rank >= 0)
			add_plane(&d->out, ranks, p->plane_id, rank, rank != 1);
		drmModeFreePlane(p);
	}
	drmModeFreePlaneResources(pr);
}

/*
 * Find an active CRTC, or one to light, and the planes of it that scan
 * out our format. A device with no CRTC to light (no display attached,
 * render-only) keeps the imported handles only.
 */
void zcapi_drm_pick_output(struct drm_sink *d)
{
	drmModeRes *res;
	int crtc_index;
	uint32_t i;

	d->kms = false;
	memset(&d->out, 0, sizeof(d->out));
	res = drmModeGetResources(d->fd);
	if (!res) {
		zcapi_drm_say(d, ZCAP_LOG_WARN, "render-only device: buffers are imported, not shown");
		return;
	}
	/*
	 * Only the DRM master may set planes. With a display server
	 * running, it is; a sink that cannot become master still imports.
	 */
	if (!drmIsMaster(d->fd) && drmSetMaster(d->fd)) {
		zcapi_drm_say(d, ZCAP_LOG_WARN,
			      "not DRM master (%s; a display server runs?): buffers are imported, not shown",
			      strerror(errno));
		drmModeFreeResources(res);
		return;
	}
	crtc_index = pick_lit_crtc(d, res);
	if (crtc_index < 0)
		crtc_index = pick_crtc_to_light(d, res);
	drmModeFreeResources(res);
	if (crtc_index < 0) {
		zcapi_drm_say(d, ZCAP_LOG_WARN, "no active CRTC: buffers are imported, not shown");
		return;
	}
	pick_planes(d, crtc_index);
	if (!d->out.n_planes) {
		zcapi_drm_say(d, ZCAP_LOG_WARN,
			      "no plane of CRTC %u scans out this format: buffers are imported, not shown",
			      d->out.crtc_id);
		memset(&d->out, 0, sizeof(d->out));
		return;
	}
	for (i = 0; i < d->out.n_planes; i++)
		zcapi_drm_say(d, ZCAP_LOG_DEBUG,
			      "CRTC %u (%ux%u): plane %u (%s) takes the format",
			      d->out.crtc_id, d->out.crtc_w, d->out.crtc_h,
			      d->out.planes[i],
			      d->out.primary[i] ? "primary" : "overlay");
	d->kms = true;
}
