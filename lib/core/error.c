// SPDX-License-Identifier: LGPL-2.1-or-later
/* zcap_strerror(): one static text per ZCAP_E_* code and per errno. */
#include <string.h>

#include "zcap_internal.h"

static const char *const zcap_texts[] = {
	[ZCAP_E_BASE - ZCAP_E_NO_ALLOCATOR] =
		"The input pin has no allocator to offer",
	[ZCAP_E_BASE - ZCAP_E_NOT_COMMITTED] =
		"The allocator is not committed",
	[ZCAP_E_BASE - ZCAP_E_BUFFERS_OUTSTANDING] =
		"Samples of the allocator are still outstanding",
	[ZCAP_E_BASE - ZCAP_E_TIMEOUT] =
		"No buffer became free in time",
	[ZCAP_E_BASE - ZCAP_E_ALREADY_COMMITTED] =
		"The allocator is already committed",
	[ZCAP_E_BASE - ZCAP_E_SIZE_NOT_SET] =
		"The allocator's properties were never set",
	[ZCAP_E_BASE - ZCAP_E_NOT_CONNECTED] =
		"The pin is not connected",
	[ZCAP_E_BASE - ZCAP_E_ALREADY_CONNECTED] =
		"The pin is already connected",
	[ZCAP_E_BASE - ZCAP_E_NOT_IMPLEMENTED] =
		"The pin does not implement this call",
	[ZCAP_E_BASE - ZCAP_E_TYPE_NOT_ACCEPTED] =
		"The peer pin does not accept this format",
	[ZCAP_E_BASE - ZCAP_E_PROPS_REJECTED] =
		"The allocator granted less than the connection needs",
	[ZCAP_E_BASE - ZCAP_E_WRONG_STATE] =
		"The filter is in the wrong state for this call",
	[ZCAP_E_BASE - ZCAP_E_DISCONNECTED] =
		"The device was disconnected (unplugged)",
	[ZCAP_E_BASE - ZCAP_E_NO_PROVIDER] =
		"No dma-buf provider could be opened (zcap.ko, dma-heap, udmabuf)",
	[ZCAP_E_BASE - ZCAP_E_NO_DMABUF] =
		"The device cannot import dma-bufs",
	[ZCAP_E_BASE - ZCAP_E_END_OF_STREAM] =
		"End of stream",
	[ZCAP_E_BASE - ZCAP_E_STALLED] =
		"The device delivered no frame in time",
	[ZCAP_E_BASE - ZCAP_E_NO_SOURCE] =
		"The graph has no source filter",
	[ZCAP_E_BASE - ZCAP_E_SOURCE_CHANGED] =
		"The signal at the device's input changed: set the format again",
};

/*
 * strerrordesc_np() returns glibc's static table entry: thread safe, no
 * buffer, unlike strerror(). A positive value is taken as an errno too,
 * for callers that pass errno straight in.
 */
const char *zcap_strerror(int err)
{
	const char *s;

	if (err == 0)
		return "Success";
	if (err <= ZCAP_E_BASE && err >= ZCAP_E_LAST) {
		s = zcap_texts[ZCAP_E_BASE - err];
		return s ? s : "Unknown zcap error";
	}
	if (err < ZCAP_E_LAST || (err < 0 && err > ZCAP_E_BASE && err < -4095))
		return "Unknown zcap error";
	s = strerrordesc_np(err < 0 ? -err : err);
	return s ? s : "Unknown error";
}
