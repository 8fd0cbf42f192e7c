// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * udmabuf (/dev/udmabuf): dma-bufs over a memfd. One memfd holds every
 * block of a commit, sealed against shrinking as udmabuf requires; each
 * block becomes its own dma-buf and the memfd is closed (the dma-bufs pin
 * its pages).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/udmabuf.h>

#include "providers.h"

#define UDMABUF_DEV "/dev/udmabuf"
#define UDMABUF_LIMIT "/sys/module/udmabuf/parameters/size_limit_mb"

struct udmabuf_prov {
	int fd;
	uint64_t max_block;	/* module parameter size_limit_mb, 0: unknown */
};

static int udmabuf_grant(void *priv, struct zcap_alloc_props *p)
{
	struct udmabuf_prov *u = priv;

	p->flags &= ~ZCAP_PROPS_CONTIGUOUS;
	return zcapi_dmabuf_grant(p, zcapi_page_size(), ZCAP_MAX_BUFFERS,
				  u->max_block);
}

static int udmabuf_alloc(void *priv, const struct zcap_alloc_props *p,
			 struct zcapi_block *blocks)
{
	struct udmabuf_prov *u = priv;
	uint64_t total = 0, pos = 0;
	uint32_t i, n = p->count * p->n_mem;
	int memfd, ret = 0;

	for (i = 0; i < p->n_mem; i++) {
		uint64_t block = zcapi_dmabuf_block_size(p, i, NULL);

		/* total never exceeds the bound: the subtraction cannot wrap. */
		if (block > ((UINT64_MAX >> 1) - total) / p->count)
			return -EOVERFLOW;
		total += block * p->count;
	}
	memfd = memfd_create("zcap-udmabuf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0)
		return -errno;
	if (ftruncate(memfd, (off_t)total) < 0 ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		ret = -errno;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct udmabuf_create create = { 0 };
		uint64_t offset;
		int fd;

		create.memfd = (uint32_t)memfd;
		create.flags = UDMABUF_FLAGS_CLOEXEC;
		create.offset = pos;
		create.size = zcapi_dmabuf_block_size(p, i % p->n_mem, &offset);
		do {
			fd = ioctl(u->fd, UDMABUF_CREATE, &create);
		} while (fd < 0 && errno == EINTR);
		if (fd < 0) {
			ret = -errno;
			break;
		}
		blocks[i].fd = fd;
		blocks[i].map_len = create.size;
		blocks[i].offset = offset;
		blocks[i].length = create.size - offset;
		pos += create.size;
	}
	if (ret)
		zcapi_dmabuf_free(NULL, p, blocks);
out:
	close(memfd);
	return ret;
}

static void udmabuf_destroy(void *priv)
{
	struct udmabuf_prov *u = priv;

	close(u->fd);
	free(u);
}

static const struct zcapi_provider_ops udmabuf_ops = {
	.id = ZCAP_PROVIDER_UDMABUF,
	.dmabuf = true,
	.grant = udmabuf_grant,
	.alloc = udmabuf_alloc,
	.free = zcapi_dmabuf_free,
	.destroy = udmabuf_destroy,
};

/* udmabuf refuses a dma-buf above size_limit_mb: learn it to refuse early. */
static uint64_t read_limit(void)
{
	unsigned long long mb = 0;
	FILE *f = fopen(UDMABUF_LIMIT, "re");

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &mb) != 1)
		mb = 0;
	fclose(f);
	return mb << 20;
}

/*
 * Whether the running kernel ships udmabuf as a module, so that the advice
 * for a missing /dev/udmabuf is right: "modprobe udmabuf" where it would
 * work, the missing CONFIG_UDMABUF where it cannot (Debian's 6.1).
 */
static bool udmabuf_module_installed(void)
{
	static const char *const ext[] = { "", ".xz", ".zst", ".gz" };
	struct utsname u;
	char path[512];
	size_t i;

	if (uname(&u))
		return false;
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(path, sizeof(path),
			 "/lib/modules/%s/kernel/drivers/dma-buf/udmabuf.ko%s",
			 u.release, ext[i]);
		if (!access(path, F_OK))
			return true;
	}
	return false;
}

int zcapi_udmabuf_open(struct zcapi_provider *p, char *why, size_t len)
{
	struct udmabuf_prov *u;
	int ret;

	memset(p, 0, sizeof(*p));
	u = calloc(1, sizeof(*u));
	if (!u) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	u->fd = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	if (u->fd < 0) {
		ret = -errno;
		zcapi_open_reason(why, len, UDMABUF_DEV, -ret,
				  udmabuf_module_installed() ?
				  "udmabuf is not loaded: modprobe udmabuf" :
				  "this kernel has no udmabuf: CONFIG_UDMABUF");
		free(u);
		return ret;
	}
	u->max_block = read_limit();
	p->ops = &udmabuf_ops;
	p->priv = u;
	snprintf(p->desc, sizeof(p->desc), "udmabuf (%s, memfd-backed)",
		 UDMABUF_DEV);
	return 0;
}
