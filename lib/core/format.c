// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Frame layouts. zcap_format_layout() follows V4L2's own conventions
 * (Documentation/userspace-api/media/v4l/pixfmt-*.rst) so that a layout it
 * computes is one a V4L2 driver can be asked for with a single
 * bytesperline: a chroma plane's stride is the luma stride scaled by the
 * plane's share of bytes (half for YUV420, equal for NV12), and the planes
 * of a single-memory format follow each other in order.
 */
#include <errno.h>
#include <string.h>

#include <linux/videodev2.h>

#include "fmt_table.h"
#include "zcap_internal.h"

/* Largest frame side we lay out: keeps every product inside 64 bits. */
#define MAX_SIDE 65536u

/*
 * The formats zcap_format_layout() lays out: those of the V4L2 table with
 * a width granularity.
 */
static const struct zcapi_fmt_info *find(uint32_t fourcc)
{
	const struct zcapi_fmt_info *d = zcapi_fmt_info_find(fourcc);

	return d && d->walign ? d : NULL;
}

const char *zcap_fourcc_str(uint32_t fourcc, char buf[5])
{
	if (!buf)
		return "????";
	for (int i = 0; i < 4; i++) {
		/* Bit 31 is V4L2's big-endian marker, not part of the name. */
		char c = (char)((fourcc >> (8 * i)) & (i == 3 ? 0x7f : 0xff));

		buf[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	buf[4] = '\0';
	return buf;
}

int zcap_fourcc_parse(const char *s, uint32_t *fourcc)
{
	char c[4] = { ' ', ' ', ' ', ' ' };
	size_t n;

	if (!s || !fourcc)
		return -EINVAL;
	n = strlen(s);
	if (!n || n > 4)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x21 || s[i] >= 0x7f)
			return -EINVAL;
		c[i] = s[i];
	}
	/* Short names are space padded, as V4L2's "Y16 " and "BA81" are. */
	*fourcc = ZCAP_FOURCC(c[0], c[1], c[2], c[3]);
	return 0;
}

static uint64_t round_up_nz(uint64_t v, uint64_t a)
{
	uint64_t r = v;

	/* Inputs are bounded (MAX_SIDE, 32-bit alignments): cannot overflow. */
	zcapi_round_up(v, a ? a : 1, &r);
	return r;
}

static uint64_t div_up(uint64_t v, uint64_t d)
{
	return (v + d - 1) / d;
}

/*
 * Stride of plane @p relative to plane 0 is bpp[p] / (hdiv[p] * bpp[0]):
 * 1/2 for YUV420 chroma, 1 for NV12's, 2 for NV24's.
 */
static void stride_ratio(const struct zcapi_fmt_info *d, uint32_t p, uint64_t *num,
			 uint64_t *den)
{
	*num = d->bpp[p];
	*den = (uint64_t)d->hdiv[p] * d->bpp[0];
	if (*num % *den == 0) {
		*num /= *den;
		*den = 1;
	} else if (*den % *num == 0) {
		*den /= *num;
		*num = 1;
	}
}

int zcap_format_layout(struct zcap_format *fmt,
		       const struct zcap_layout_constraints *c)
{
	const struct zcapi_fmt_info *d;
	struct zcap_layout_constraints lc = { 0 };
	uint64_t width, stride0, lines0, unit, end = 0;

	if (!fmt)
		return -EINVAL;
	if (c)
		lc = *c;
	if (!fmt->width || !fmt->height || fmt->width > MAX_SIDE ||
	    fmt->height > MAX_SIDE || lc.reserved ||
	    lc.stride_align > MAX_SIDE || lc.height_align > MAX_SIDE ||
	    (lc.offset_align && !zcapi_is_pow2(lc.offset_align)) ||
	    lc.offset_align > ZCAPI_MAX_ALIGN)
		return -EINVAL;
	d = find(fmt->fourcc);
	if (!d)
		return -ENOTSUP;

	width = round_up_nz(fmt->width, d->walign);
	/*
	 * Plane 0's stride is a multiple of stride_align times the largest
	 * divisor of the chroma strides, so that every plane's stride derived
	 * from it is a whole multiple of stride_align too.
	 */
	unit = 1;
	for (uint32_t p = 1; p < d->n_planes; p++) {
		uint64_t num, den;

		stride_ratio(d, p, &num, &den);
		if (den > unit)
			unit = den;
	}
	unit *= lc.stride_align ? lc.stride_align : 1;
	stride0 = round_up_nz(div_up(width * d->bpp[0], 8), unit);
	lines0 = round_up_nz(fmt->height, lc.height_align);
	if (stride0 > UINT32_MAX)
		return -EINVAL;

	memset(fmt->planes, 0, sizeof(fmt->planes));
	memset(fmt->mem_size, 0, sizeof(fmt->mem_size));
	fmt->flags = 0;
	fmt->n_planes = d->n_planes;
	fmt->n_mem = d->n_mem;
	for (uint32_t p = 0; p < d->n_planes; p++) {
		struct zcap_plane_layout *pl = &fmt->planes[p];
		uint64_t num, den;

		stride_ratio(d, p, &num, &den);
		pl->mem = d->n_mem == 1 ? 0 : p;
		pl->stride = (uint32_t)(stride0 * num / den);
		pl->lines = (uint32_t)div_up(lines0, d->vdiv[p]);
		pl->size = (uint64_t)pl->stride * pl->lines;
		if (d->n_mem == 1) {
			pl->offset = round_up_nz(end, lc.offset_align);
			end = pl->offset + pl->size;
			fmt->mem_size[0] = end;
		} else {
			pl->offset = 0;
			fmt->mem_size[p] = pl->size;
		}
	}
	return 0;
}

bool zcap_format_meets(const struct zcap_format *fmt,
		       const struct zcap_layout_constraints *c)
{
	const struct zcapi_fmt_info *d;

	if (!c)
		return true;
	if (!fmt || !fmt->n_planes || fmt->n_planes > ZCAP_MAX_PLANES)
		return false;
	d = find(fmt->fourcc);
	for (uint32_t p = 0; p < fmt->n_planes; p++) {
		const struct zcap_plane_layout *pl = &fmt->planes[p];

		if (c->stride_align && pl->stride % c->stride_align)
			return false;
		if (c->offset_align && pl->offset % c->offset_align)
			return false;
	}
	if (c->height_align) {
		uint64_t lines0 = fmt->planes[0].lines;

		if (lines0 % c->height_align)
			return false;
		/* Chroma planes padded along with the luma. */
		for (uint32_t p = 1; d && p < fmt->n_planes && p < d->n_planes; p++)
			if (fmt->planes[p].lines < div_up(lines0, d->vdiv[p]))
				return false;
	}
	return true;
}

int zcap_format_validate(const struct zcap_format *fmt)
{
	const struct zcapi_fmt_info *d;
	uint64_t width;

	if (!fmt || !fmt->width || !fmt->height || fmt->width > MAX_SIDE ||
	    fmt->height > MAX_SIDE || (fmt->flags & ~ZCAP_FORMAT_FLAGS_ALL))
		return -EINVAL;
	if (!fmt->n_planes || fmt->n_planes > ZCAP_MAX_PLANES ||
	    !fmt->n_mem || fmt->n_mem > fmt->n_planes)
		return -EINVAL;
	if ((fmt->interval_num == 0) != (fmt->interval_den == 0))
		return -EINVAL;
	d = find(fmt->fourcc);
	if (d && (d->n_planes != fmt->n_planes || d->n_mem != fmt->n_mem))
		return -EINVAL;
	width = d ? round_up_nz(fmt->width, d->walign) : fmt->width;

	for (uint32_t m = 0; m < ZCAP_MAX_PLANES; m++) {
		bool used = false;

		if (m >= fmt->n_mem) {
			if (fmt->mem_size[m])
				return -EINVAL;
			continue;
		}
		for (uint32_t p = 0; p < fmt->n_planes; p++)
			used |= fmt->planes[p].mem == m;
		if (!used)
			return -EINVAL;
	}
	for (uint32_t p = 0; p < ZCAP_MAX_PLANES; p++) {
		const struct zcap_plane_layout *pl = &fmt->planes[p];
		static const struct zcap_plane_layout zero;

		if (p >= fmt->n_planes) {
			if (memcmp(pl, &zero, sizeof(zero)))
				return -EINVAL;
			continue;
		}
		if (pl->mem >= fmt->n_mem || !pl->stride || !pl->lines ||
		    pl->reserved)
			return -EINVAL;
		if (pl->size < (uint64_t)pl->stride * pl->lines)
			return -EINVAL;
		if (pl->offset > fmt->mem_size[pl->mem] ||
		    pl->size > fmt->mem_size[pl->mem] - pl->offset)
			return -EINVAL;
		/* Planes of one block must not overlap. */
		for (uint32_t q = 0; q < p; q++) {
			const struct zcap_plane_layout *o = &fmt->planes[q];

			if (o->mem == pl->mem && pl->offset < o->offset + o->size &&
			    o->offset < pl->offset + pl->size)
				return -EINVAL;
		}
		if (d) {
			uint64_t bytes = div_up(width / d->hdiv[p] * d->bpp[p], 8);
			uint64_t lines = div_up(fmt->height, d->vdiv[p]);

			if (pl->stride < bytes || pl->lines < lines)
				return -EINVAL;
		}
	}
	return 0;
}
