/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Allocators: DirectShow's IMemAllocator.
 *
 * Life of an allocator: set_properties (what the connection needs; the
 * allocator answers what it actually granted) -> commit (memory is taken)
 * -> get_buffer / sample release (streaming) -> decommit (samples still out
 * are freed when the last holder releases them; blocked get_buffer callers
 * wake with ZCAP_E_NOT_COMMITTED). An allocator may be committed again.
 *
 * Allocators are reference counted and thread safe. A buffer of a dma-buf
 * allocator keeps the same dma-buf fds for as long as the allocator is
 * committed, so a V4L2 driver that sees the same dma-buf at the same index
 * keeps its mapping.
 */
#ifndef ZCAP_ALLOCATOR_H
#define ZCAP_ALLOCATOR_H

#include <stdbool.h>
#include <stdint.h>

#include <zcap/format.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zcap_allocator;
struct zcap_sample;

/* Where buffer memory comes from. */
enum zcap_provider {
	ZCAP_PROVIDER_AUTO = 0,	/* first that works: ZCAP, DMA_HEAP, UDMABUF */
	ZCAP_PROVIDER_ZCAP,	/* /dev/zcap (zcap.ko) pools */
	ZCAP_PROVIDER_DMA_HEAP,	/* /dev/dma_heap/system */
	ZCAP_PROVIDER_UDMABUF,	/* /dev/udmabuf over memfd */
	ZCAP_PROVIDER_MEMORY,	/* plain process memory, no dma-buf */
	ZCAP_PROVIDER_V4L2,	/* a V4L2 device's own buffers (MMAP / EXPBUF) */
};

/* Flags of zcap_alloc_props. */
#define ZCAP_PROPS_CONTIGUOUS	(1u << 0) /* one physically contiguous block per buffer */

/* DirectShow's ALLOCATOR_PROPERTIES, with one size per memory block. */
struct zcap_alloc_props {
	uint32_t count;		/* cBuffers */
	uint32_t align;		/* cbAlign: data start alignment, power of two (0 = 1) */
	uint32_t prefix;	/* cbPrefix: bytes reserved before the data */
	uint32_t n_mem;		/* memory blocks per buffer (0 is taken as 1) */
	uint64_t size[ZCAP_MAX_PLANES];	/* cbBuffer of each block, prefix excluded */
	uint32_t flags;		/* ZCAP_PROPS_* */
	uint32_t reserved;
};

/*
 * What an input pin needs (IMemInputPin::GetAllocatorRequirements), in
 * more words than ALLOCATOR_PROPERTIES has: how many buffers it holds at
 * once, and layout constraints such as a padded height.
 */
struct zcap_alloc_requirements {
	struct zcap_alloc_props props;	/* minimums: count, size, align, prefix */
	uint32_t held;			/* buffers the consumer keeps at once */
	uint32_t reserved;
	struct zcap_layout_constraints layout;
};

/*
 * Create allocators. zcap_allocator_new_dmabuf() with ZCAP_PROVIDER_AUTO
 * tries zcap.ko, then the system dma-heap, then udmabuf, and returns
 * ZCAP_E_NO_PROVIDER when none can be opened (the reason of each is kept
 * and is in zcap_allocator_describe(); after a failure, in
 * zcap_provider_probe()). A named provider that cannot be opened returns
 * the errno of its failure (-ENOENT: no such device, -EACCES: permission).
 */
int zcap_allocator_new_memory(struct zcap_allocator **out);
int zcap_allocator_new_dmabuf(enum zcap_provider provider,
			      struct zcap_allocator **out);

struct zcap_allocator *zcap_allocator_ref(struct zcap_allocator *a);
void zcap_allocator_unref(struct zcap_allocator *a);

/*
 * SetProperties: ask for @req, learn what was granted in @actual (may be
 * NULL). Counts may be raised, sizes rounded up (to the page size for
 * dma-buf providers). ZCAP_E_ALREADY_COMMITTED once committed,
 * ZCAP_E_BUFFERS_OUTSTANDING while samples are out, -EINVAL on nonsense.
 */
int zcap_allocator_set_properties(struct zcap_allocator *a,
				  const struct zcap_alloc_props *req,
				  struct zcap_alloc_props *actual);
int zcap_allocator_get_properties(struct zcap_allocator *a,
				  struct zcap_alloc_props *out);

/* Commit takes the memory; ZCAP_E_SIZE_NOT_SET before set_properties. */
int zcap_allocator_commit(struct zcap_allocator *a);
/*
 * Decommit: no new buffers; blocked get_buffer callers wake with
 * ZCAP_E_NOT_COMMITTED; memory of samples still out is freed when the last
 * holder releases them.
 */
int zcap_allocator_decommit(struct zcap_allocator *a);
bool zcap_allocator_committed(struct zcap_allocator *a);

/*
 * GetBuffer: a free sample with one reference for the caller.
 * timeout_ms < 0 blocks, 0 does not block (ZCAP_E_TIMEOUT at once when
 * none is free), > 0 waits that long. ZCAP_E_NOT_COMMITTED when not
 * committed or decommitted while waiting.
 */
int zcap_allocator_get_buffer(struct zcap_allocator *a, int timeout_ms,
			      struct zcap_sample **out);
/* The sample of buffer @index, if it is free (for drivers that pick). */
int zcap_allocator_get_buffer_index(struct zcap_allocator *a, uint32_t index,
				    struct zcap_sample **out);

/*
 * An fd that polls readable while a buffer is free, for event loops that
 * wait on a device and on the allocator at once. Owned by the allocator.
 */
int zcap_allocator_wait_fd(struct zcap_allocator *a);

enum zcap_provider zcap_allocator_provider(const struct zcap_allocator *a);
const char *zcap_provider_name(enum zcap_provider p);
/* true when every buffer is a dma-buf (zero copy possible). */
bool zcap_allocator_is_dmabuf(const struct zcap_allocator *a);
/* Buffers granted (after set_properties), free now, and out now. */
uint32_t zcap_allocator_count(const struct zcap_allocator *a);
uint32_t zcap_allocator_free_count(struct zcap_allocator *a);
uint32_t zcap_allocator_outstanding(struct zcap_allocator *a);
/* One line saying what serves this allocator, and why others did not. */
const char *zcap_allocator_describe(const struct zcap_allocator *a);

/*
 * Can @p serve dma-buf allocators here? 0 when it can, else the error
 * zcap_allocator_new_dmabuf() would return; @buf (may be NULL) gets one
 * line saying what serves or why not and what to do about it, for each
 * provider ZCAP_PROVIDER_AUTO tries. This is where to learn why
 * zcap_allocator_new_dmabuf() returned ZCAP_E_NO_PROVIDER, as no allocator
 * is made then.
 */
int zcap_provider_probe(enum zcap_provider p, char *buf, uint32_t len);

/*
 * The usual DecideBufferSize: @props = what @fmt needs (n_mem blocks of
 * mem_size bytes) merged with the peer's @req (may be NULL): count at
 * least max(req count, @min_count + req held), each size at least both,
 * align, prefix and flags from @req. -EINVAL on a bad @fmt.
 */
int zcap_alloc_props_decide(const struct zcap_alloc_requirements *req,
			    const struct zcap_format *fmt, uint32_t min_count,
			    struct zcap_alloc_props *props);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_ALLOCATOR_H */
