// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel's system dma-heap (/dev/dma_heap/system): one allocation, and
 * so one dma-buf, per memory block. Its pages are not contiguous.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/dma-heap.h>

#include "providers.h"

#define DMA_HEAP_DEV "/dev/dma_heap/system"

struct heap_prov {
	int fd;
};

static int heap_grant(void *priv, struct zcap_alloc_props *p)
{
	(void)priv;
	p->flags &= ~ZCAP_PROPS_CONTIGUOUS;
	return zcapi_dmabuf_grant(p, zcapi_page_size(), ZCAP_MAX_BUFFERS, 0);
}

static int heap_alloc(void *priv, const struct zcap_alloc_props *p,
		      struct zcapi_block *blocks)
{
	struct heap_prov *h = priv;
	uint32_t i;
	int ret = 0;

	for (i = 0; i < p->count * p->n_mem; i++) {
		struct dma_heap_allocation_data data = { 0 };
		uint64_t offset;

		data.len = zcapi_dmabuf_block_size(p, i % p->n_mem, &offset);
		data.fd_flags = O_RDWR | O_CLOEXEC;
		do {
			ret = ioctl(h->fd, DMA_HEAP_IOCTL_ALLOC, &data);
		} while (ret < 0 && errno == EINTR);
		if (ret < 0) {
			ret = -errno;
			break;
		}
		blocks[i].fd = (int)data.fd;
		blocks[i].map_len = data.len;
		blocks[i].offset = offset;
		blocks[i].length = data.len - offset;
	}
	if (ret)
		zcapi_dmabuf_free(NULL, p, blocks);
	return ret;
}

static void heap_destroy(void *priv)
{
	struct heap_prov *h = priv;

	close(h->fd);
	free(h);
}

static const struct zcapi_provider_ops heap_ops = {
	.id = ZCAP_PROVIDER_DMA_HEAP,
	.dmabuf = true,
	.grant = heap_grant,
	.alloc = heap_alloc,
	.free = zcapi_dmabuf_free,
	.destroy = heap_destroy,
};

int zcapi_dma_heap_open(struct zcapi_provider *p, char *why, size_t len)
{
	struct heap_prov *h;
	int ret;

	memset(p, 0, sizeof(*p));
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	h->fd = open(DMA_HEAP_DEV, O_RDWR | O_CLOEXEC);
	if (h->fd < 0) {
		ret = -errno;
		/* Built in where it exists (CONFIG_DMABUF_HEAPS_SYSTEM). */
		zcapi_open_reason(why, len, DMA_HEAP_DEV, -ret,
				  "this kernel has no system heap: CONFIG_DMABUF_HEAPS_SYSTEM");
		free(h);
		return ret;
	}
	p->ops = &heap_ops;
	p->priv = h;
	snprintf(p->desc, sizeof(p->desc), "dma-heap (%s)", DMA_HEAP_DEV);
	return 0;
}
