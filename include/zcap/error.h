/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * zcap error codes.
 *
 * Every libzcap call returns 0 (or a count) on success and a negative value
 * on failure: either a negated errno (-EINVAL, -ENOMEM, ...) or one of the
 * ZCAP_E_* codes below, which name the states of DirectShow's allocator
 * contract that no errno says. ZCAP_E_* values lie below -4095, outside the
 * errno range, so the two never collide.
 */
#ifndef ZCAP_ERROR_H
#define ZCAP_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum zcap_error {
	ZCAP_E_BASE = -5000,
	/* The input pin has no allocator to offer (VFW_E_NO_ALLOCATOR). */
	ZCAP_E_NO_ALLOCATOR = ZCAP_E_BASE,
	/* Buffers requested from an allocator that is not committed (VFW_E_NOT_COMMITTED). */
	ZCAP_E_NOT_COMMITTED = ZCAP_E_BASE - 1,
	/* SetProperties or teardown while samples are out (VFW_E_BUFFERS_OUTSTANDING). */
	ZCAP_E_BUFFERS_OUTSTANDING = ZCAP_E_BASE - 2,
	/* No buffer became free in time (VFW_E_TIMEOUT). */
	ZCAP_E_TIMEOUT = ZCAP_E_BASE - 3,
	/* SetProperties on a committed allocator (VFW_E_ALREADY_COMMITTED). */
	ZCAP_E_ALREADY_COMMITTED = ZCAP_E_BASE - 4,
	/* Commit before SetProperties (VFW_E_SIZENOTSET). */
	ZCAP_E_SIZE_NOT_SET = ZCAP_E_BASE - 5,
	/* The pin is not connected (VFW_E_NOT_CONNECTED). */
	ZCAP_E_NOT_CONNECTED = ZCAP_E_BASE - 6,
	/* The pin is already connected (VFW_E_ALREADY_CONNECTED). */
	ZCAP_E_ALREADY_CONNECTED = ZCAP_E_BASE - 7,
	/*
	 * The pin has no operation for this call (E_NOTIMPL): an optional one
	 * such as GetAllocatorRequirements (no requirements, not a failure),
	 * or Receive on an input pin made without a receive op.
	 */
	ZCAP_E_NOT_IMPLEMENTED = ZCAP_E_BASE - 8,
	/* The peer does not accept this format (VFW_E_TYPE_NOT_ACCEPTED). */
	ZCAP_E_TYPE_NOT_ACCEPTED = ZCAP_E_BASE - 9,
	/* The allocator granted less than the connection needs. */
	ZCAP_E_PROPS_REJECTED = ZCAP_E_BASE - 10,
	/* The filter is in the wrong state for this call (VFW_E_WRONG_STATE). */
	ZCAP_E_WRONG_STATE = ZCAP_E_BASE - 11,
	/* The device went away while in use (unplugged). */
	ZCAP_E_DISCONNECTED = ZCAP_E_BASE - 12,
	/* No dma-buf provider could be opened (zcap.ko, dma-heap, udmabuf). */
	ZCAP_E_NO_PROVIDER = ZCAP_E_BASE - 13,
	/* The device cannot import dma-bufs (REQBUFS(V4L2_MEMORY_DMABUF) refused). */
	ZCAP_E_NO_DMABUF = ZCAP_E_BASE - 14,
	/* The stream ended; nothing more will come. */
	ZCAP_E_END_OF_STREAM = ZCAP_E_BASE - 15,
	/*
	 * The device delivered no frame in time while buffers were queued.
	 * Distinct from ZCAP_E_TIMEOUT, which a caller's own wait returns.
	 */
	ZCAP_E_STALLED = ZCAP_E_BASE - 16,
	/*
	 * The graph has no source filter (none without input pins): nothing
	 * would ever produce a frame or end the stream, e.g. the camera's
	 * filter was never added. From zcap_graph_run() and zcap_graph_wait().
	 */
	ZCAP_E_NO_SOURCE = ZCAP_E_BASE - 17,
	/*
	 * The signal at the device's input changed while streaming
	 * (V4L2_EVENT_SOURCE_CHANGE: a new resolution, or no signal): its
	 * frames are no longer of the format set. Set it again
	 * (zcap_graph_reconnect()) and run.
	 */
	ZCAP_E_SOURCE_CHANGED = ZCAP_E_BASE - 18,
	ZCAP_E_LAST = ZCAP_E_SOURCE_CHANGED,
};

/*
 * A static, human-readable text for any value a libzcap call returns:
 * ZCAP_E_* codes, negated errnos, and 0. Never NULL.
 */
const char *zcap_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_ERROR_H */
