// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Plain process memory (DirectShow's CMemAllocator): no dma-buf, so a
 * device that wants one gets a copy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zcap_internal.h"

static int memory_grant(void *priv, struct zcap_alloc_props *p)
{
	(void)priv;
	if (p->count > ZCAP_MAX_BUFFERS)
		p->count = ZCAP_MAX_BUFFERS;
	/* Virtual memory is never physically contiguous. */
	p->flags &= ~ZCAP_PROPS_CONTIGUOUS;
	return 0;
}

static void memory_free(void *priv, const struct zcap_alloc_props *p,
			struct zcapi_block *blocks)
{
	(void)priv;
	for (uint32_t i = 0; i < p->count * p->n_mem; i++) {
		free(blocks[i].alloc);
		blocks[i].alloc = NULL;
		blocks[i].map = NULL;
	}
}

static int memory_alloc(void *priv, const struct zcap_alloc_props *p,
			struct zcapi_block *blocks)
{
	size_t align = p->align;
	uint32_t i, n = p->count * p->n_mem;
	uint64_t offset;
	int ret = 0;

	(void)priv;
	/* posix_memalign wants a multiple of sizeof(void *). */
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (!zcapi_round_up(p->prefix, p->align, &offset))
		return -EOVERFLOW;
	for (i = 0; i < n; i++) {
		struct zcapi_block *b = &blocks[i];
		uint64_t size = p->size[i % p->n_mem];
		void *mem;

		if (size > SIZE_MAX - offset) {
			ret = -EOVERFLOW;
			break;
		}
		ret = -posix_memalign(&mem, align, offset + size);
		if (ret)
			break;
		/* Fresh buffers read as zero, as dma-buf providers' do. */
		memset(mem, 0, offset + size);
		b->fd = -1;
		b->alloc = mem;
		b->map = mem;
		b->map_len = offset + size;
		b->offset = offset;
		b->length = size;
	}
	if (ret) {
		while (i--) {
			free(blocks[i].alloc);
			blocks[i].alloc = NULL;
			blocks[i].map = NULL;
		}
	}
	return ret;
}

static const struct zcapi_provider_ops memory_ops = {
	.id = ZCAP_PROVIDER_MEMORY,
	.dmabuf = false,
	.grant = memory_grant,
	.alloc = memory_alloc,
	.free = memory_free,
};

int zcapi_memory_open(struct zcapi_provider *p)
{
	memset(p, 0, sizeof(*p));
	p->ops = &memory_ops;
	snprintf(p->desc, sizeof(p->desc), "memory (process memory, no dma-buf)");
	return 0;
}
