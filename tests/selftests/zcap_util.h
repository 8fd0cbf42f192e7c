/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the zcap selftests that do not need the kselftest harness:
 * the harness defines global functions, so only zcap_test.c includes it.
 * Every helper returns a negative errno on failure and leaves nothing open.
 */
#ifndef ZCAP_SELFTEST_UTIL_H
#define ZCAP_SELFTEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/zcap.h>

#define ZT_DEV_PATH	"/dev/zcap"
#define ZT_STATS_PATH	"/sys/kernel/debug/zcap/stats"
#define ZT_PARAM_DIR	"/sys/module/zcap/parameters"

/* Order matters: the live gauges come first, then the lifetime counters. */
enum zt_stat {
	ZT_POOLS,
	ZT_BUFFERS,
	ZT_BYTES,
	ZT_DMABUFS,
	ZT_ATTACHMENTS,
	ZT_MAPPINGS,
	ZT_VMAPS,
	ZT_MMAPS,
	ZT_NR_GAUGES,
	ZT_POOLS_CREATED = ZT_NR_GAUGES,
	ZT_DMABUFS_EXPORTED,
	ZT_MAP_CALLS,
	ZT_UNMAP_CALLS,
	ZT_VMAP_CALLS,
	ZT_CPU_ACCESS_CALLS,
	ZT_NR_STATS,
};

struct zt_stats {
	uint64_t v[ZT_NR_STATS];
};

extern const char *const zt_stat_names[ZT_NR_STATS];

/* Reads debugfs; -EPROTO if any name of Documentation/abi.md is missing. */
int zt_stats_read(struct zt_stats *s);

/*
 * Polls until every gauge equals @want (releases that the kernel defers,
 * such as a final fput from a worker, get @timeout_ms to land).  Returns 0,
 * -ETIMEDOUT with @got holding the last reading, or a read error.
 */
int zt_stats_wait_gauges(const struct zt_stats *want, struct zt_stats *got,
			 int timeout_ms);

/* "name want->got" for every gauge that differs, into @buf. */
void zt_stats_diff(const struct zt_stats *want, const struct zt_stats *got,
		   char *buf, size_t len);

/*
 * Kernel virtual mappings made by zcap's code (vmap, kvmalloc), from
 * /proc/vmallocinfo (root only): a leak that no gauge shows.
 */
int zt_vmalloc_count(void);

/* Thin ioctl wrappers: an fd or 0 on success, -errno on failure. */
int zt_open_dev(void);
int zt_version(int dev, struct zcap_version *ver);
int zt_pool_create(int dev, uint64_t size, uint32_t count, uint32_t flags);
int zt_pool_create_args(int dev, struct zcap_pool_create *args);
int zt_pool_info(int pool, struct zcap_pool_info *info);
int zt_export(int pool, uint32_t index, uint32_t flags,
	      struct zcap_buf_export *out);
int zt_sync(int dmabuf, uint64_t flags);

/*
 * The setup most mapping tests share: a pool of @count buffers of @size,
 * buffer @index exported O_RDWR | O_CLOEXEC and mapped shared, read-write,
 * whole.  0 with all three held by the caller, or -errno with none open.
 */
int zt_pool_export_map(int dev, uint64_t size, uint32_t count,
		       uint32_t index, int *pool, int *fd, uint8_t **map);

/* Open file descriptors of this process. */
int zt_count_fds(void);

/* MemTotal of /proc/meminfo in bytes: the kernel's totalram_pages(). */
int zt_ram_bytes(uint64_t *bytes);

/* Module parameters of zcap (root only for writing). */
int zt_param_read(const char *name, uint64_t *val);
int zt_param_write(const char *name, uint64_t val);

/* The VmFlags line of the smaps entry that starts at @addr. */
int zt_vma_flags(const void *addr, char *buf, size_t len);
bool zt_vma_has_flag(const char *flags, const char *flag);

/* Environment ZCAP_TEST_REQUIRE="vgem,vivid": a missing device fails. */
bool zt_required(const char *what);

/* Returns 1 when /sys/module/@name exists, 0 when not. */
int zt_module_loaded(const char *name);

/* The @index-th comma separated value of a module parameter array. */
int zt_param_array_item(const char *module, const char *param,
			unsigned int index, unsigned long *val);

/* Number of bytes in @p..@p+@len that are not @byte. */
size_t zt_count_not(const uint8_t *p, size_t len, uint8_t byte);

#endif /* ZCAP_SELFTEST_UTIL_H */
