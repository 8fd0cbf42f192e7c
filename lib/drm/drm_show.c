// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Showing frames on the output drm_kms.c picked, and putting it back.
 *
 * A CRTC nobody lit is lit with a black XRGB8888 framebuffer of the
 * mode's size, a format every primary plane scans out, so that neither
 * must the mode be the frame's size nor the primary plane take the
 * frame's format (YUYV, NV12).
 *
 * The first frame settles the plane and where on the CRTC it goes: each
 * candidate plane is tried with the frame scaled to fit (aspect kept,
 * centred), then unscaled and centred (its middle when larger than the
 * CRTC). Whether a plane scales, or may cover less than the whole CRTC,
 * only the driver knows, and says so by refusing.
 *
 * At stop the output goes back as found: a primary plane the sink took
 * over shows the framebuffer it showed before (the console's), a plane
 * the sink added is turned off, a CRTC it lit is turned off again.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "drm_priv.h"

/* Show @fb (0: nothing) on @plane: @src of the frame at @dst of the CRTC. */
static int set_plane(struct drm_sink *d, uint32_t plane, uint32_t fb,
		     const struct drm_rect *src, const struct drm_rect *dst)
{
	if (!fb)
		return drmModeSetPlane(d->fd, plane, d->out.crtc_id, 0, 0, 0, 0,
				       0, 0, 0, 0, 0, 0) ? -errno : 0;
	/* Source coordinates are 16.16 fixed point. */
	if (drmModeSetPlane(d->fd, plane, d->out.crtc_id, fb, 0,
			    (int32_t)dst->x, (int32_t)dst->y, dst->w, dst->h,
			    src->x << 16, src->y << 16, src->w << 16,
			    src->h << 16))
		return -errno;
	return 0;
}

/* The whole frame scaled to fit the CRTC, aspect kept, centred. */
static void geometry_fit(const struct drm_sink *d, struct drm_rect *src,
			 struct drm_rect *dst)
{
	uint64_t fw = d->fmt.width, fh = d->fmt.height;
	uint64_t cw = d->out.crtc_w, ch = d->out.crtc_h;

	*src = (struct drm_rect){ 0, 0, (uint32_t)fw, (uint32_t)fh };
	if (fw * ch <= cw * fh) {	/* narrower than the CRTC: full height */
		dst->h = (uint32_t)ch;
		dst->w = (uint32_t)(fw * ch / fh);
	} else {
		dst->w = (uint32_t)cw;
		dst->h = (uint32_t)(fh * cw / fw);
	}
	dst->w = dst->w ? dst->w : 1;
	dst->h = dst->h ? dst->h : 1;
	dst->x = (uint32_t)(cw - dst->w) / 2;
	dst->y = (uint32_t)(ch - dst->h) / 2;
}

/*
 * Unscaled and centred; a frame larger than the CRTC shows its middle,
 * from an even offset, for chroma planes have half the lines or columns.
 */
static void geometry_native(const struct drm_sink *d, struct drm_rect *src,
			    struct drm_rect *dst)
{
	uint32_t fw = d->fmt.width, fh = d->fmt.height;
	uint32_t cw = d->out.crtc_w, ch = d->out.crtc_h;
	uint32_t w = fw < cw ? fw : cw, h = fh < ch ? fh : ch;

	*src = (struct drm_rect){ ((fw - w) / 2) & ~1u, ((fh - h) / 2) & ~1u,
				  w, h };
	*dst = (struct drm_rect){ (cw - w) / 2, (ch - h) / 2, w, h };
}

/*
 * A black framebuffer of the mode's size. Most drivers hand out dumb
 * buffers zeroed, but nothing promises it: it is cleared here.
 */
static int black_fb_new(struct drm_sink *d)
{
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	struct drm_output *o = &d->out;
	uint64_t size, offset;
	void *map;
	int r;

	r = drmModeCreateDumbBuffer(d->fd, o->crtc_w, o->crtc_h, 32, 0,
				    &handles[0], &pitches[0], &size);
	if (r)
		return r;
	r = drmModeMapDumbBuffer(d->fd, handles[0], &offset);
	map = r ? MAP_FAILED : mmap(NULL, size, PROT_WRITE, MAP_SHARED,
				    d->fd, (off_t)offset);
	if (map == MAP_FAILED) {
		r = r ? r : -errno;
		goto err;
	}
	memset(map, 0, size);
	munmap(map, size);
	if (drmModeAddFB2(d->fd, o->crtc_w, o->crtc_h, DRM_FORMAT_XRGB8888,
			  handles, pitches, offsets, &o->black_fb, 0)) {
		r = -errno;
		goto err;
	}
	o->black_handle = handles[0];
	return 0;
err:
	drmModeDestroyDumbBuffer(d->fd, handles[0]);
	return r;
}

/*
 * Light the CRTC with the black framebuffer; on a driver without dumb
 * buffers, with the frame's own, which then must fill the mode and be
 * in a format the primary plane takes.
 */
static int light_crtc(struct drm_sink *d, const struct drm_buf *b)
{
	struct drm_output *o = &d->out;
	int r = black_fb_new(d);

	if (r)
		zcapi_drm_say(d, ZCAP_LOG_WARN,
			      "no black framebuffer for CRTC %u (%s): lighting it with the frame",
			      o->crtc_id, strerror(-r));
	if (drmModeSetCrtc(d->fd, o->crtc_id, r ? b->fb : o->black_fb, 0, 0,
			   &o->connector_id, 1, &o->mode))
		return -errno;
	o->lit = true;
	zcapi_drm_say(d, ZCAP_LOG_INFO, "lit CRTC %u: %s on connector %u",
		      o->crtc_id, o->mode.name, o->connector_id);
	return 0;
}

/* Try @b on each candidate plane and geometry; keep the first taken. */
static int place_first(struct drm_sink *d, const struct drm_buf *b)
{
	struct drm_output *o = &d->out;
	struct drm_rect src[2], dst[2];
	uint32_t i, g, n_geo;
	int r = -ENOENT;

	geometry_fit(d, &src[0], &dst[0]);
	geometry_native(d, &src[1], &dst[1]);
	n_geo = memcmp(&src[0], &src[1], sizeof(src[0])) ||
		memcmp(&dst[0], &dst[1], sizeof(dst[0])) ? 2 : 1;
	for (i = 0; i < o->n_planes; i++) {
		for (g = 0; g < n_geo; g++) {
			r = set_plane(d, o->planes[i], b->fb, &src[g], &dst[g]);
			zcapi_drm_say(d, r ? ZCAP_LOG_DEBUG : ZCAP_LOG_INFO,
				      "plane %u: frame %ux%u+%u+%u at %ux%u+%u+%u of CRTC %u: %s",
				      o->planes[i], src[g].w, src[g].h,
				      src[g].x, src[g].y, dst[g].w, dst[g].h,
				      dst[g].x, dst[g].y, o->crtc_id,
				      r ? strerror(-r) : "shown");
			if (r)
				continue;
			o->plane_id = o->planes[i];
			o->plane_primary = o->primary[i];
			o->src = src[g];
			o->dst = dst[g];
			return 0;
		}
	}
	zcapi_drm_say(d, ZCAP_LOG_WARN, "no plane of CRTC %u (%ux%u) shows a %ux%u frame: %s",
		      o->crtc_id, o->crtc_w, o->crtc_h, d->fmt.width,
		      d->fmt.height, strerror(-r));
	return r;
}

/* Called with d->lock held. */
int zcapi_drm_show(struct drm_sink *d, const struct drm_buf *b)
{
	struct drm_output *o = &d->out;
	int r;

	/* A frame no plane took: the next ones of the same size neither. */
	if (o->place_err)
		return o->place_err;
	if (o->plane_id)
		return set_plane(d, o->plane_id, b->fb, &o->src, &o->dst);
	r = o->light && !o->lit ? light_crtc(d, b) : 0;
	if (!r)
		r = place_first(d, b);
	o->place_err = r;
	return r;
}

/* Called with d->lock held. */
void zcapi_drm_put_back(struct drm_sink *d)
{
	struct drm_output *o = &d->out;
	struct drm_rect crtc = { 0, 0, o->crtc_w, o->crtc_h };
	struct drm_rect found = { o->found_x, o->found_y, o->crtc_w, o->crtc_h };
	bool restored = false;

	if (o->plane_id && o->plane_id == o->found_plane && !o->lit)
		restored = !set_plane(d, o->plane_id, o->found_fb, &found, &crtc);
	/* A CRTC turned off takes its primary plane with it. */
	if (o->plane_id && !restored && !(o->lit && o->plane_primary))
		set_plane(d, o->plane_id, 0, NULL, NULL);
	if (o->lit)
		drmModeSetCrtc(d->fd, o->crtc_id, 0, 0, 0, NULL, 0, NULL);
	if (o->black_fb)
		drmModeRmFB(d->fd, o->black_fb);
	if (o->black_handle)
		drmModeDestroyDumbBuffer(d->fd, o->black_handle);
	zcapi_drm_say(d, ZCAP_LOG_INFO, "CRTC %u: %s", o->crtc_id,
		      o->lit ? "turned off again" : restored ?
		      "its framebuffer from before is back" :
		      "the sink's plane is off");
	memset(o, 0, sizeof(*o));
	d->kms = false;
}
