/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Samples: DirectShow's IMediaSample.
 *
 * A sample is one buffer of an allocator, reference counted. The holder
 * that drops the last reference gives the buffer back to its allocator
 * (IMemAllocator::ReleaseBuffer), which is what lets a capture source
 * requeue it: never while anyone still reads it.
 *
 * CPU access to a dma-buf must be bracketed by zcap_sample_cpu_begin() and
 * zcap_sample_cpu_end() (DMA_BUF_IOCTL_SYNC), or the CPU may read stale
 * cache lines of a frame a device just wrote.
 */
#ifndef ZCAP_SAMPLE_H
#define ZCAP_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

#include <zcap/format.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zcap_sample;
struct zcap_allocator;

/* Sample flags. */
#define ZCAP_SAMPLE_SYNC_POINT		(1u << 0) /* key frame */
#define ZCAP_SAMPLE_DISCONTINUITY	(1u << 1) /* frames were lost before this one */
#define ZCAP_SAMPLE_ERROR		(1u << 2) /* the device flagged it (V4L2_BUF_FLAG_ERROR) */
#define ZCAP_SAMPLE_PREROLL		(1u << 3)
#define ZCAP_SAMPLE_END_OF_STREAM	(1u << 4) /* last sample of the stream */
#define ZCAP_SAMPLE_TIME_VALID		(1u << 5) /* time_ns is set */

/* One memory block of a sample's buffer. */
struct zcap_mem {
	int fd;			/* dma-buf fd, -1 for plain memory; owned by the allocator */
	uint32_t reserved;
	uint64_t length;	/* usable bytes (after the prefix) */
	uint64_t offset;	/* of the data (after the prefix) inside fd */
};

/* CPU access modes for zcap_sample_cpu_begin(). */
#define ZCAP_ACCESS_READ	(1u << 0)
#define ZCAP_ACCESS_WRITE	(1u << 1)

struct zcap_sample *zcap_sample_ref(struct zcap_sample *s);
/* Drop a reference; the last one returns the buffer to its allocator. */
void zcap_sample_unref(struct zcap_sample *s);

uint32_t zcap_sample_index(const struct zcap_sample *s);
struct zcap_allocator *zcap_sample_allocator(const struct zcap_sample *s);
uint32_t zcap_sample_n_mem(const struct zcap_sample *s);
int zcap_sample_mem(const struct zcap_sample *s, uint32_t mem, struct zcap_mem *out);

/*
 * The layout of the frame in this sample (offsets, strides per plane).
 * Set by the producer; a sample that has none reports n_planes 0.
 */
int zcap_sample_set_format(struct zcap_sample *s, const struct zcap_format *fmt);
const struct zcap_format *zcap_sample_format(const struct zcap_sample *s);

/*
 * Bytes of valid data in memory block @mem (IMediaSample::SetActualDataLength),
 * counted from the block's start as V4L2's bytesused is: a data offset (the
 * first plane's offset in the block) is part of it. For a compressed format
 * it is the only thing that says how long a frame is.
 */
int zcap_sample_set_bytesused(struct zcap_sample *s, uint32_t mem, uint64_t bytes);
uint64_t zcap_sample_bytesused(const struct zcap_sample *s, uint32_t mem);

void zcap_sample_set_time(struct zcap_sample *s, int64_t time_ns);
/* Capture time in ns (CLOCK_MONOTONIC); -ENODATA when not set. */
int zcap_sample_time(const struct zcap_sample *s, int64_t *time_ns);
void zcap_sample_set_sequence(struct zcap_sample *s, uint64_t seq);
uint64_t zcap_sample_sequence(const struct zcap_sample *s);
void zcap_sample_set_flags(struct zcap_sample *s, uint32_t flags);
uint32_t zcap_sample_flags(const struct zcap_sample *s);

/*
 * CPU access. begin maps the buffer if needed (kept mapped while the
 * allocator is committed) and syncs it for the CPU; end syncs it back for
 * devices. Calls nest per sample; the pointer is valid between them.
 */
int zcap_sample_cpu_begin(struct zcap_sample *s, uint32_t access);
int zcap_sample_cpu_end(struct zcap_sample *s);
/* CPU pointer to block @mem's data, or NULL outside begin/end. */
void *zcap_sample_data(const struct zcap_sample *s, uint32_t mem);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_SAMPLE_H */
