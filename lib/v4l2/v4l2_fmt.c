// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * V4L2's side of formats: the driver's v4l2_format as a zcap_format and
 * its data offsets (the ioctl wrapper is inline, in v4l2_fmt.h).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "v4l2_fmt.h"

static uint32_t div_up(uint32_t a, uint32_t b)
{
	return (a + b - 1) / b;
}

static int fill_unknown(const struct v4l2_plane_pix_format *pf, uint32_t n,
			bool compressed, struct zcap_format *out)
{
	uint32_t p;

	/*
	 * A compressed or unknown format: one plane per block covering the
	 * whole block. A bitstream has no lines, and only its flag tells
	 * writers to take the bytes the driver used, not the whole block.
	 */
	for (p = 0; p < n; p++) {
		struct zcap_plane_layout *pl = &out->planes[p];

		pl->mem = p;
		pl->offset = 0;
		pl->stride = compressed ? 0 : pf[p].bytesperline;
		pl->lines = pl->stride ? pf[p].sizeimage / pl->stride : 0;
		if (!pl->lines) {
			/* No line structure (a bitstream): one "line" of it all. */
			pl->stride = pf[p].sizeimage;
			pl->lines = 1;
		}
		pl->size = pf[p].sizeimage;
		out->mem_size[p] = pf[p].sizeimage;
	}
	out->n_planes = n;
	out->n_mem = n;
	/* Then the bytes of a frame are what the driver says it used. */
	if (compressed)
		out->flags |= ZCAP_FORMAT_COMPRESSED;
	return 0;
}

void zcapi_fmt_add_data_offset(struct zcap_format *f, uint32_t mem,
			       uint32_t doff)
{
	uint32_t p;

	for (p = 0; p < f->n_planes; p++) {
		struct zcap_plane_layout *pl = &f->planes[p];
		uint64_t room = 0;

		if (pl->mem != mem)
			continue;
		pl->offset += doff;
		if (f->mem_size[mem] > pl->offset)
			room = f->mem_size[mem] - pl->offset;
		/*
		 * A bitstream's plane is only what it may fill: the rest of
		 * its block, so the layout still fits the block.
		 */
		if ((f->flags & ZCAP_FORMAT_COMPRESSED) && room && pl->size > room) {
			pl->size = room;
			pl->stride = (uint32_t)room;
		}
	}
}

/*
 * The fourcc, size, field and colorspace of @vf into @out, its planes'
 * bytesperline and sizeimage into @pf: how many (memory blocks), or
 * -EINVAL for a type that is not capture or a plane count zcap cannot
 * hold.
 */
static int v4l2_planes(const struct v4l2_format *vf, struct zcap_format *out,
		       struct v4l2_plane_pix_format *pf)
{
	const struct v4l2_pix_format_mplane *mp = &vf->fmt.pix_mp;
	const struct v4l2_pix_format *pix = &vf->fmt.pix;
	uint32_t p;

	if (vf->type == V4L2_BUF_TYPE_VIDEO_CAPTURE) {
		out->fourcc = pix->pixelformat;
		out->width = pix->width;
		out->height = pix->height;
		out->field = pix->field;
		out->colorspace = pix->colorspace;
		pf[0].bytesperline = pix->bytesperline;
		pf[0].sizeimage = pix->sizeimage;
		return 1;
	}
	if (vf->type != V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE ||
	    mp->num_planes < 1 || mp->num_planes > ZCAP_MAX_PLANES)
		return -EINVAL;
	out->fourcc = mp->pixelformat;
	out->width = mp->width;
	out->height = mp->height;
	out->field = mp->field;
	out->colorspace = mp->colorspace;
	for (p = 0; p < mp->num_planes; p++)
		pf[p] = mp->plane_fmt[p];
	return mp->num_planes;
}

/* The planes of a format of the table @fi, laid out as V4L2 defines. */
static void layout_planes(const struct zcapi_fmt_info *fi, uint32_t n_mem,
			  const struct v4l2_plane_pix_format *pf,
			  struct zcap_format *out)
{
	uint64_t off = 0;
	uint32_t p;

	out->n_planes = fi->n_planes;
	out->n_mem = n_mem;
	for (p = 0; p < fi->n_planes; p++) {
		struct zcap_plane_layout *pl = &out->planes[p];

		pl->lines = div_up(out->height, fi->vdiv[p]);
		if (n_mem > 1) {
			pl->mem = p;
			pl->offset = 0;
			pl->stride = pf[p].bytesperline;
		} else {
			/*
			 * The V4L2 rule for single-block planar formats: the
			 * chroma lines are as long as the luma line scaled by
			 * the plane's share of bits per pixel.
			 */
			pl->mem = 0;
			pl->offset = off;
			pl->stride = (uint32_t)((uint64_t)pf[0].bytesperline *
						fi->bpp[p] / fi->hdiv[p] / fi->bpp[0]);
		}
		pl->size = (uint64_t)pl->stride * pl->lines;
		off += pl->size;
	}
	for (p = 0; p < n_mem; p++)
		out->mem_size[p] = pf[p].sizeimage;
}

int zcapi_fmt_from_v4l2(const struct v4l2_format *vf, bool compressed,
			struct zcap_format *out)
{
	struct v4l2_plane_pix_format pf[VIDEO_MAX_PLANES];
	const struct zcapi_fmt_info *fi;
	uint32_t n_mem, p;
	int r;

	memset(out, 0, sizeof(*out));
	memset(pf, 0, sizeof(pf));
	r = v4l2_planes(vf, out, pf);
	if (r < 0)
		return r;
	n_mem = (uint32_t)r;
	for (p = 0; p < n_mem; p++)
		if (!pf[p].sizeimage)
			return -EINVAL;

	fi = zcapi_fmt_info_find(out->fourcc);
	/* An unknown format without lines can only be a bitstream. */
	compressed = compressed || zcapi_fmt_is_compressed(out->fourcc) ||
		     (!fi && !pf[0].bytesperline);
	if (compressed || !fi || fi->n_mem != n_mem || !pf[0].bytesperline)
		return fill_unknown(pf, n_mem, compressed, out);
	layout_planes(fi, n_mem, pf, out);
	/* A driver whose sizeimage cannot hold its own planes is lying. */
	for (p = 0; p < out->n_planes; p++) {
		const struct zcap_plane_layout *pl = &out->planes[p];

		if (pl->offset + pl->size > out->mem_size[pl->mem])
			return -EINVAL;
	}
	return 0;
}
