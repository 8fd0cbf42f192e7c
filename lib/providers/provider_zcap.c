// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * zcap.ko pools (/dev/zcap, include/uapi/linux/zcap.h).
 *
 * One pool per memory block index (NV12M's Y blocks in one pool, its UV
 * blocks in another, as a pool has one buffer size), each buffer exported
 * once read-write: that dma-buf fd is the buffer's for the allocator's
 * whole committed life, so an importer caching by dma-buf keeps its
 * mapping. The pool fd is closed once every buffer is exported: the
 * dma-bufs hold the pages (abi.md, "Lifetime"), nothing is ever exported
 * again, and an allocator of 256 buffers should not hold spare fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/zcap.h>

#include "providers.h"

#define ZCAP_DEV "/dev/zcap"

struct zcap_prov {
	int fd;
	struct zcap_version version;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

static int zcap_grant(void *priv, struct zcap_alloc_props *p)
{
	struct zcap_prov *z = priv;
	uint64_t block, pool_bytes;
	uint32_t max_count = z->version.max_buffers;
	int ret;

	if (!max_count || max_count > ZCAP_MAX_BUFFERS)
		max_count = ZCAP_MAX_BUFFERS;
	if ((p->flags & ZCAP_PROPS_CONTIGUOUS) &&
	    !(z->version.pool_flags & ZCAP_POOL_CONTIGUOUS))
		p->flags &= ~ZCAP_PROPS_CONTIGUOUS;
	ret = zcapi_dmabuf_grant(p, z->version.page_size, max_count, 0);
	if (ret)
		return ret;
	/*
	 * A contiguous buffer above what the buddy allocator gives is refused
	 * by the module (E2BIG); say so here, by granting the buffers without
	 * the flag, and DecideAllocator rejects them plainly.
	 */
	for (uint32_t m = 0; m < p->n_mem; m++) {
		block = zcapi_dmabuf_block_size(p, m, NULL);
		if ((p->flags & ZCAP_PROPS_CONTIGUOUS) &&
		    z->version.max_contig_bytes &&
		    block > z->version.max_contig_bytes)
			p->flags &= ~ZCAP_PROPS_CONTIGUOUS;
		/* Fewer buffers rather than a pool the module refuses (EFBIG). */
		if (z->version.max_pool_bytes) {
			pool_bytes = z->version.max_pool_bytes / block;
			if (!pool_bytes)
				return -EFBIG;
			if (pool_bytes < p->count)
				p->count = (uint32_t)pool_bytes;
		}
	}
	return 0;
}

static int zcap_alloc(void *priv, const struct zcap_alloc_props *p,
		      struct zcapi_block *blocks)
{
	struct zcap_prov *z = priv;
	uint32_t m, b;
	int ret = 0;

	for (m = 0; m < p->n_mem && !ret; m++) {
		struct zcap_pool_create create = { 0 };
		uint64_t offset, block = zcapi_dmabuf_block_size(p, m, &offset);

		create.buffer_size = block;
		create.count = p->count;
		create.flags = (p->flags & ZCAP_PROPS_CONTIGUOUS) ?
			       ZCAP_POOL_CONTIGUOUS : 0;
		create.fd_flags = O_CLOEXEC;
		ret = xioctl(z->fd, ZCAP_IOC_POOL_CREATE, &create);
		if (ret)
			break;
		for (b = 0; b < p->count; b++) {
			struct zcap_buf_export exp = { 0 };
			struct zcapi_block *blk = &blocks[b * p->n_mem + m];

			exp.index = b;
			exp.flags = O_RDWR | O_CLOEXEC;
			ret = xioctl(create.pool_fd, ZCAP_IOC_BUF_EXPORT, &exp);
			if (ret)
				break;
			blk->fd = exp.fd;
			blk->map_len = exp.size;
			blk->offset = offset;
			blk->length = exp.size - offset;
			if (exp.size < block) {
				ret = -EPROTO;
				break;
			}
		}
		close(create.pool_fd);
	}
	if (ret)
		zcapi_dmabuf_free(NULL, p, blocks);
	return ret;
}

static void zcap_destroy(void *priv)
{
	struct zcap_prov *z = priv;

	close(z->fd);
	free(z);
}

static const struct zcapi_provider_ops zcap_ops = {
	.id = ZCAP_PROVIDER_ZCAP,
	.dmabuf = true,
	.grant = zcap_grant,
	.alloc = zcap_alloc,
	.free = zcapi_dmabuf_free,
	.destroy = zcap_destroy,
};

int zcapi_zcap_open(struct zcapi_provider *p, char *why, size_t len)
{
	struct zcap_prov *z;
	int ret;

	memset(p, 0, sizeof(*p));
	z = calloc(1, sizeof(*z));
	if (!z) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	z->fd = open(ZCAP_DEV, O_RDWR | O_CLOEXEC);
	if (z->fd < 0) {
		ret = -errno;
		zcapi_open_reason(why, len, ZCAP_DEV, -ret,
				  "zcap.ko is not loaded: modprobe zcap");
		free(z);
		return ret;
	}
	ret = xioctl(z->fd, ZCAP_IOC_VERSION, &z->version);
	if (ret) {
		snprintf(why, len, "%s: ZCAP_IOC_VERSION: %s (not a zcap device?)",
			 ZCAP_DEV, zcap_strerror(ret));
		goto err;
	}
	if (z->version.abi_version != ZCAP_ABI_VERSION) {
		snprintf(why, len,
			 "%s: the module speaks ABI %u, libzcap ABI %u: update one of them",
			 ZCAP_DEV, z->version.abi_version, ZCAP_ABI_VERSION);
		ret = -EPROTO;
		goto err;
	}
	if (!z->version.page_size || !zcapi_is_pow2(z->version.page_size))
		z->version.page_size = (uint32_t)zcapi_page_size();
	p->ops = &zcap_ops;
	p->priv = z;
	snprintf(p->desc, sizeof(p->desc),
		 "zcap (%s, ABI %u, contiguous up to %llu KiB)", ZCAP_DEV,
		 z->version.abi_version,
		 (unsigned long long)(z->version.max_contig_bytes >> 10));
	return 0;

err:
	close(z->fd);
	free(z);
	return ret;
}
