/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The content of the emulated USB camera's frames (tests/vm/uvc_gadget.c),
 * shared with the programs that check a capture of it (tests/vm/uvc_check.c).
 *
 * YUYV: a frame of W x H pixels is W * H * 2 bytes, read as 32-bit
 * little-endian words; word k sits at byte offset 4 * k.
 *   word 0   UVC_PAT_MAGIC ("ZUVC")
 *   word 1   N, the frame number (0 for the first frame of each stream)
 *   word 2   W | H << 16
 *   word 3   ~N
 *   word k   uvc_pat_base(W, H, k) ^ uvc_pat_key(N), for k >= 4
 * The base is a hash of the word's position and the frame size, so a
 * payload written at the wrong offset or taken from another frame size
 * shows; the key changes every word of the frame with its number, so a
 * payload left over from another frame shows too. A checker reads N from
 * word 1 and compares the whole frame with uvc_pat_word().
 *
 * MJPEG: baseline JPEG images of W x H; right after SOI comes a COM
 * segment whose text is "ZUVC frame=N" followed by " image=I size=WxH",
 * N being the frame number as above and I which of the gadget's
 * precomputed images (their sizes differ) carries the frame. The
 * buffer ends with EOI.
 */
#ifndef ZCAP_TESTS_UVC_PATTERN_H
#define ZCAP_TESTS_UVC_PATTERN_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define UVC_PAT_MAGIC 0x4356555au	/* "ZUVC" in little-endian order */
#define UVC_PAT_HEADER_WORDS 4
#define UVC_PAT_COM "ZUVC frame="

/* murmur3's finaliser: every input bit flips about half the output bits */
static inline uint32_t uvc_pat_mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

static inline uint32_t uvc_pat_base(uint32_t w, uint32_t h, uint32_t k)
{
	return uvc_pat_mix(k ^ uvc_pat_mix(w | h << 16));
}

static inline uint32_t uvc_pat_key(uint32_t n)
{
	return n * 0x9e3779b9u;		/* 2^32 / golden ratio: odd, so n <-> key */
}

/* Word k of frame n (host byte order). */
static inline uint32_t uvc_pat_word(uint32_t n, uint32_t w, uint32_t h,
				    uint32_t k)
{
	switch (k) {
	case 0:
		return UVC_PAT_MAGIC;
	case 1:
		return n;
	case 2:
		return w | h << 16;
	case 3:
		return ~n;
	default:
		return uvc_pat_base(w, h, k) ^ uvc_pat_key(n);
	}
}

static inline size_t uvc_pat_yuyv_size(uint32_t w, uint32_t h)
{
	return (size_t)w * h * 2;
}

static inline uint32_t uvc_pat_get(const uint8_t *buf, size_t k)
{
	uint32_t v;

	memcpy(&v, buf + 4 * k, sizeof(v));
	return le32toh(v);
}

static inline void uvc_pat_put(uint8_t *buf, size_t k, uint32_t v)
{
	v = htole32(v);
	memcpy(buf + 4 * k, &v, sizeof(v));
}

/*
 * Write frame n. base, if not NULL, holds uvc_pat_base(w, h, k) for every
 * k: a producer that computes it once per frame size saves the hashing.
 */
static inline void uvc_pat_fill(uint8_t *buf, uint32_t n, uint32_t w,
				uint32_t h, const uint32_t *base)
{
	size_t words = uvc_pat_yuyv_size(w, h) / 4;
	uint32_t key = uvc_pat_key(n);
	size_t k;

	for (k = 0; k < UVC_PAT_HEADER_WORDS; k++)
		uvc_pat_put(buf, k, uvc_pat_word(n, w, h, k));
	for (; k < words; k++)
		uvc_pat_put(buf, k, (base ? base[k] : uvc_pat_base(w, h, k)) ^ key);
}

/*
 * Check a frame of len bytes. Returns 0 and sets *n to its frame number
 * when it is exactly frame *n; else returns -1 and sets *bad to the byte
 * offset of the first word that differs (len when the size is wrong).
 */
static inline int uvc_pat_check(const uint8_t *buf, size_t len, uint32_t w,
				uint32_t h, uint32_t *n, size_t *bad)
{
	size_t words = uvc_pat_yuyv_size(w, h) / 4;
	size_t k;

	if (len != uvc_pat_yuyv_size(w, h)) {
		*bad = len;
		return -1;
	}
	*n = uvc_pat_get(buf, 1);
	for (k = 0; k < words; k++) {
		if (uvc_pat_get(buf, k) != uvc_pat_word(*n, w, h, k)) {
			*bad = 4 * k;
			return -1;
		}
	}
	return 0;
}

#endif /* ZCAP_TESTS_UVC_PATTERN_H */
