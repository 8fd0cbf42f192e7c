// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The DRM sink's buffers: each capture buffer's dma-bufs become GEM
 * handles by PRIME import once, by buffer index, for as long as the same
 * dma-bufs come back at that index; on KMS each also gets its
 * framebuffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include <zcap/error.h>

#include "drm_priv.h"

/* Called with d->lock held. */
void zcapi_drm_buf_release(struct drm_sink *d, struct drm_buf *b)
{
	uint32_t m, k;

	if (!b->valid)
		return;
	if (b->fb)
		drmModeRmFB(d->fd, b->fb);
	for (m = 0; m < b->n_mem; m++) {
		/* Blocks of one dma-buf share a handle: close it once. */
		for (k = 0; k < m; k++)
			if (b->handle[k] == b->handle[m])
				break;
		if (k == m && b->handle[m])
			drmCloseBufferHandle(d->fd, b->handle[m]);
	}
	memset(b, 0, sizeof(*b));
}

/*
 * KMS: @b's framebuffer, with the DRM fourcc of the format and the
 * negotiated pitches and offsets (the blocks' @mem offsets added).
 */
static int drm_buf_add_fb(struct drm_sink *d, struct drm_buf *b,
			  const struct zcap_mem *mem)
{
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	uint32_t p;

	for (p = 0; p < d->fmt.n_planes && p < 4; p++) {
		uint32_t bm = d->fmt.planes[p].mem;

		handles[p] = b->handle[bm];
		pitches[p] = d->fmt.planes[p].stride;
		offsets[p] = (uint32_t)(mem[bm].offset + d->fmt.planes[p].offset);
	}
	if (drmModeAddFB2(d->fd, d->fmt.width, d->fmt.height, d->drm_fourcc,
			  handles, pitches, offsets, &b->fb, 0))
		return -errno;
	d->framebuffers++;
	return 0;
}

/* Called with d->lock held. Import @s's buffer unless it already is. */
int zcapi_drm_buf_get(struct drm_sink *d, struct zcap_sample *s,
		       struct drm_buf **out)
{
	uint32_t idx = zcap_sample_index(s);
	uint32_t n_mem = zcap_sample_n_mem(s);
	struct zcap_mem mem[ZCAP_MAX_PLANES];
	ino_t ino[ZCAP_MAX_PLANES] = { 0 };
	struct drm_buf *b;
	struct stat st;
	uint32_t m;
	int r;

	if (!n_mem || n_mem > ZCAP_MAX_PLANES)
		return -EINVAL;
	for (m = 0; m < n_mem; m++) {
		r = zcap_sample_mem(s, m, &mem[m]);
		if (r)
			return r;
		if (mem[m].fd < 0)
			return ZCAP_E_NO_DMABUF;
		if (fstat(mem[m].fd, &st))
			return -errno;
		ino[m] = st.st_ino;
	}
	if (idx >= d->n_bufs) {
		uint32_t n = idx + 8;
		struct drm_buf *nb = realloc(d->bufs, n * sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		memset(nb + d->n_bufs, 0, (n - d->n_bufs) * sizeof(*nb));
		d->bufs = nb;
		d->n_bufs = n;
	}
	b = &d->bufs[idx];
	if (b->valid && b->n_mem == n_mem &&
	    !memcmp(b->ino, ino, sizeof(ino))) {
		*out = b;
		return b->fb_err;
	}
	/* A new buffer at this index (first round, or a new pool). */
	zcapi_drm_buf_release(d, b);
	for (m = 0; m < n_mem; m++) {
		r = drmPrimeFDToHandle(d->fd, mem[m].fd, &b->handle[m]);
		d->imports++;
		if (r) {
			r = -errno;
			b->n_mem = m;
			b->valid = true;
			zcapi_drm_buf_release(d, b);
			return r;
		}
	}
	b->n_mem = n_mem;
	memcpy(b->ino, ino, sizeof(ino));
	b->valid = true;
	if (d->kms) {
		/*
		 * Refused (a pitch the display engine cannot scan): kept
		 * imported, and refused again without a new import.
		 */
		b->fb_err = drm_buf_add_fb(d, b, mem);
		if (b->fb_err)
			return b->fb_err;
	}
	*out = b;
	return 0;
}
