/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Media format of a connection (DirectShow's AM_MEDIA_TYPE for video).
 *
 * A frame is made of planes. Each plane lives in one memory block of the
 * buffer ("mem"): single-memory formats (YUYV, NV12) keep every plane in
 * block 0 at its own offset; V4L2's multi-memory formats (NV12M, YUV420M)
 * give each plane its own block, and so its own dma-buf.
 * Offset and stride travel with every plane of every sample, so a consumer
 * never has to guess them.
 */
#ifndef ZCAP_FORMAT_H
#define ZCAP_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZCAP_MAX_PLANES 4

#define ZCAP_FOURCC(a, b, c, d) \
	((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | \
	 ((uint32_t)(d) << 24))

struct zcap_plane_layout {
	uint32_t mem;		/* memory block that holds this plane */
	uint32_t stride;	/* bytes per line */
	uint32_t lines;		/* lines in the plane, vertical padding included */
	uint32_t reserved;
	uint64_t offset;	/* of the plane's first byte inside its block */
	uint64_t size;		/* bytes of the plane: stride * lines, at least */
};

struct zcap_format {
	uint32_t fourcc;	/* V4L2 pixel format (V4L2_PIX_FMT_*) */
	uint32_t width;		/* visible pixels */
	uint32_t height;	/* visible lines */
	uint32_t field;		/* V4L2 field order; 0 = progressive/any */
	uint32_t colorspace;	/* V4L2 colorspace; 0 = default */
	uint32_t n_planes;	/* 1..ZCAP_MAX_PLANES */
	uint32_t n_mem;		/* memory blocks per buffer, 1..n_planes */
	uint32_t flags;		/* ZCAP_FORMAT_* */
	struct zcap_plane_layout planes[ZCAP_MAX_PLANES];
	uint64_t mem_size[ZCAP_MAX_PLANES];	/* bytes each block must hold */
	/* Frame interval as a fraction of a second; 0/0 = unknown. */
	uint32_t interval_num;
	uint32_t interval_den;
};

/*
 * zcap_format.flags.
 *
 * COMPRESSED: a bitstream (MJPEG, H.264, ...) whose frames vary in size,
 * like DirectShow's media types without bFixedSizeSamples. A sample's data
 * is then the bytes used of each block (zcap_sample_bytesused()) from its
 * plane's offset, never stride x lines: the plane only says how large the
 * block may be (the driver's sizeimage).
 */
#define ZCAP_FORMAT_COMPRESSED	(1u << 0)
#define ZCAP_FORMAT_FLAGS_ALL	ZCAP_FORMAT_COMPRESSED

/*
 * Layout constraints a consumer can state beyond a byte count
 * (see zcap_alloc_requirements). 0 means "no constraint".
 */
struct zcap_layout_constraints {
	uint32_t stride_align;	/* stride a multiple of this (bytes) */
	uint32_t height_align;	/* lines padded to a multiple of this */
	uint32_t offset_align;	/* each plane's offset a multiple of this */
	uint32_t reserved;
};

/* "YUYV" for ZCAP_FOURCC('Y','U','Y','V'); buf must hold 5 bytes. */
const char *zcap_fourcc_str(uint32_t fourcc, char buf[5]);
/* Parse "YUYV", "NV12" ...; returns 0 or -EINVAL. */
int zcap_fourcc_parse(const char *s, uint32_t *fourcc);

/*
 * Fill planes, n_planes, n_mem and mem_size of @fmt for fourcc, width and
 * height, honouring @c (may be NULL). Knows the common packed and planar
 * YUV/RGB formats; -EINVAL for bad sizes, -ENOTSUP for an unknown fourcc.
 */
int zcap_format_layout(struct zcap_format *fmt,
		       const struct zcap_layout_constraints *c);

/* true when @fmt satisfies @c (NULL: always). */
bool zcap_format_meets(const struct zcap_format *fmt,
		       const struct zcap_layout_constraints *c);

/* Check that a format is self-consistent; 0 or -EINVAL. */
int zcap_format_validate(const struct zcap_format *fmt);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_FORMAT_H */
