/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test doubles built on libzcap's internal provider interface: a provider
 * whose "dma-bufs" are memfds (mappable like the real thing) and whose
 * sync op records each DMA_BUF_IOCTL_SYNC the library would issue, with
 * knobs to grant less than asked or fail.
 */
#ifndef ZCAP_TESTS_HELPERS_H
#define ZCAP_TESTS_HELPERS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include <zcap/log.h>

#include "providers/providers.h"

#define FAKE_MAX_SYNCS 64

struct fake_sync {
	int fd;
	uint64_t flags;
};

struct fake_prov {
	uint32_t max_count;	/* grant at most this many buffers (0: any) */
	bool drop_contiguous;
	int fail_alloc;		/* alloc returns this */
	int fail_sync_fd;	/* fail a SYNC_START on this fd (-1: never) */
	uint32_t allocs, frees, destroyed;
	uint32_t n_syncs;
	struct fake_sync syncs[FAKE_MAX_SYNCS];
	int *destroyed_flag;	/* set when destroyed, outlives the provider */
};

static int fake_grant(void *priv, struct zcap_alloc_props *p)
{
	struct fake_prov *f = priv;

	if (f->max_count && p->count > f->max_count)
		p->count = f->max_count;
	if (f->drop_contiguous)
		p->flags &= ~ZCAP_PROPS_CONTIGUOUS;
	return zcapi_dmabuf_grant(p, zcapi_page_size(), ZCAP_MAX_BUFFERS, 0);
}

static int fake_alloc(void *priv, const struct zcap_alloc_props *p,
		      struct zcapi_block *blocks)
{
	struct fake_prov *f = priv;
	uint32_t i;

	if (f->fail_alloc)
		return f->fail_alloc;
	for (i = 0; i < p->count * p->n_mem; i++) {
		uint64_t off, size = zcapi_dmabuf_block_size(p, i % p->n_mem, &off);
		int fd = memfd_create("fake-dmabuf", MFD_CLOEXEC);

		if (fd < 0 || ftruncate(fd, (off_t)size)) {
			if (fd >= 0)
				close(fd);
			zcapi_dmabuf_free(NULL, p, blocks);
			return -ENOMEM;
		}
		blocks[i].fd = fd;
		blocks[i].map_len = size;
		blocks[i].offset = off;
		blocks[i].length = size - off;
	}
	f->allocs++;
	return 0;
}

static void fake_free(void *priv, const struct zcap_alloc_props *p,
		      struct zcapi_block *blocks)
{
	struct fake_prov *f = priv;

	f->frees++;
	zcapi_dmabuf_free(NULL, p, blocks);
}

static int fake_sync_op(void *priv, struct zcapi_block *b, uint64_t flags)
{
	struct fake_prov *f = priv;

	if (f->n_syncs < FAKE_MAX_SYNCS) {
		f->syncs[f->n_syncs].fd = b->fd;
		f->syncs[f->n_syncs].flags = flags;
		f->n_syncs++;
	}
	if (b->fd == f->fail_sync_fd && !(flags & DMA_BUF_SYNC_END))
		return -EIO;
	return 0;
}

static void fake_destroy(void *priv)
{
	struct fake_prov *f = priv;

	if (f->destroyed_flag)
		*f->destroyed_flag = 1;
	free(f);
}

static struct zcapi_provider_ops fake_ops = {
	.id = ZCAP_PROVIDER_DMA_HEAP,
	.dmabuf = true,
	.grant = fake_grant,
	.alloc = fake_alloc,
	.free = fake_free,
	.sync = fake_sync_op,
	.destroy = fake_destroy,
};

/* A fake dma-buf allocator; *fp stays valid while the allocator lives. */
static inline int fake_allocator(struct zcap_allocator **out, struct fake_prov **fp)
{
	struct zcapi_provider p = { .ops = &fake_ops };
	struct fake_prov *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return -ENOMEM;
	f->fail_sync_fd = -1;
	p.priv = f;
	snprintf(p.desc, sizeof(p.desc), "fake (memfd)");
	ret = zcapi_allocator_new(&p, NULL, out);
	if (ret) {
		free(f);
		return ret;
	}
	if (fp)
		*fp = f;
	return 0;
}

static inline struct zcap_alloc_props props_1(uint32_t count, uint64_t size)
{
	struct zcap_alloc_props p = { .count = count, .n_mem = 1 };

	p.size[0] = size;
	return p;
}

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * How many buffers of @a can be taken at once, at most @max: all of them
 * when nobody holds one. Every buffer taken is given back.
 */
static inline uint32_t free_buffers(struct zcap_allocator *a, uint32_t max)
{
	struct zcap_sample **s = calloc(max ? max : 1, sizeof(*s));
	uint32_t n = 0;

	if (!s)
		return 0;
	while (n < max && !zcap_allocator_get_buffer(a, 0, &s[n]))
		n++;
	for (uint32_t i = 0; i < n; i++)
		zcap_sample_unref(s[i]);
	free(s);
	return n;
}

/*
 * An output pin's enum_format offering one format, YUYV 64x16, for tests
 * that only need pins to connect.
 */
static inline int enum_yuyv_64x16(struct zcap_pin *pin, uint32_t i,
				  struct zcap_format *f)
{
	(void)pin;
	if (i)
		return -ENOENT;
	memset(f, 0, sizeof(*f));
	f->fourcc = V4L2_PIX_FMT_YUYV;
	f->width = 64;
	f->height = 16;
	return zcap_format_layout(f, NULL);
}

/* The log a test reads back: every line a zcap_log_fn was given. */
struct log_text {
	char buf[8192];
};

/* A zcap_log_fn appending "level: filter: msg" to the log_text @user. */
static inline void log_append(void *user, enum zcap_log_level level,
			      const char *filter, const char *msg)
{
	struct log_text *t = user;
	size_t n = strlen(t->buf);

	snprintf(t->buf + n, sizeof(t->buf) - n, "%s: %s: %s\n",
		 zcap_log_level_name(level), filter, msg);
}

#endif /* ZCAP_TESTS_HELPERS_H */
