// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the dma-buf providers (zcap, dma-heap, udmabuf) share: how props
 * become page-sized blocks, how blocks are given back, and how a device
 * that cannot be opened is explained to the user.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "providers.h"

void zcapi_open_reason(char *why, size_t len, const char *path, int err,
		       const char *missing)
{
	const char *text = strerrordesc_np(err);

	if (!why || !len)
		return;
	if (!text)
		text = "unknown error";
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		snprintf(why, len, "%s: %s (%s)", path, text, missing);
		break;
	case EACCES:
	case EPERM:
		snprintf(why, len,
			 "%s: permission denied (add yourself to group video and log in again, or install a udev rule giving it to group video)",
			 path);
		break;
	default:
		snprintf(why, len, "%s: %s", path, text);
		break;
	}
}

int zcapi_dmabuf_grant(struct zcap_alloc_props *p, uint64_t page,
		       uint32_t max_count, uint64_t max_block)
{
	uint64_t offset;

	if (p->count > max_count)
		p->count = max_count;
	/*
	 * The data starts at the prefix rounded up to the alignment; the
	 * block is offset + size rounded up to whole pages, and whatever the
	 * rounding adds is the caller's to use.
	 */
	if (!zcapi_round_up(p->prefix, p->align, &offset))
		return -EOVERFLOW;
	for (uint32_t m = 0; m < p->n_mem; m++) {
		uint64_t total;

		if (p->size[m] > UINT64_MAX - offset ||
		    !zcapi_round_up(offset + p->size[m], page, &total))
			return -EOVERFLOW;
		if (max_block && total > max_block)
			return -EFBIG;
		p->size[m] = total - offset;
	}
	return 0;
}

uint64_t zcapi_dmabuf_block_size(const struct zcap_alloc_props *p, uint32_t m,
				 uint64_t *offset)
{
	uint64_t off = 0;

	/* grant() checked that neither overflows. */
	zcapi_round_up(p->prefix, p->align, &off);
	if (offset)
		*offset = off;
	return off + p->size[m];
}

void zcapi_dmabuf_free(void *priv, const struct zcap_alloc_props *p,
		       struct zcapi_block *blocks)
{
	(void)priv;
	for (uint32_t i = 0; i < p->count * p->n_mem; i++) {
		if (blocks[i].fd >= 0)
			close(blocks[i].fd);
		blocks[i].fd = -1;
	}
}
