// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the zcap selftests: debugfs counters, ioctl wrappers, procfs
 * inspection of mappings and module parameters. Plain libc only, so that
 * the 32-bit compat test links it too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "zcap_util.h"

const char *const zt_stat_names[ZT_NR_STATS] = {
	[ZT_POOLS]		= "pools",
	[ZT_BUFFERS]		= "buffers",
	[ZT_BYTES]		= "bytes",
	[ZT_DMABUFS]		= "dmabufs",
	[ZT_ATTACHMENTS]	= "attachments",
	[ZT_MAPPINGS]		= "mappings",
	[ZT_VMAPS]		= "vmaps",
	[ZT_MMAPS]		= "mmaps",
	[ZT_POOLS_CREATED]	= "pools_created",
	[ZT_DMABUFS_EXPORTED]	= "dmabufs_exported",
	[ZT_MAP_CALLS]		= "map_calls",
	[ZT_UNMAP_CALLS]	= "unmap_calls",
	[ZT_VMAP_CALLS]		= "vmap_calls",
	[ZT_CPU_ACCESS_CALLS]	= "cpu_access_calls",
};

int zt_stats_read(struct zt_stats *s)
{
	bool seen[ZT_NR_STATS] = { false };
	char name[64];
	uint64_t val;
	FILE *f;
	int i, ret = 0;

	f = fopen(ZT_STATS_PATH, "re");
	if (!f)
		return -errno;
	memset(s, 0, sizeof(*s));
	while (fscanf(f, "%63s %" SCNu64, name, &val) == 2) {
		for (i = 0; i < ZT_NR_STATS; i++) {
			if (!strcmp(name, zt_stat_names[i])) {
				s->v[i] = val;
				seen[i] = true;
			}
		}
	}
	if (ferror(f))
		ret = -EIO;
	fclose(f);
	for (i = 0; !ret && i < ZT_NR_STATS; i++)
		if (!seen[i])
			ret = -EPROTO;
	return ret;
}

static bool gauges_equal(const struct zt_stats *a, const struct zt_stats *b)
{
	return !memcmp(a->v, b->v, sizeof(a->v[0]) * ZT_NR_GAUGES);
}

int zt_stats_wait_gauges(const struct zt_stats *want, struct zt_stats *got,
			 int timeout_ms)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	int waited, ret;

	for (waited = 0;; waited += 10) {
		ret = zt_stats_read(got);
		if (ret)
			return ret;
		if (gauges_equal(want, got))
			return 0;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
	}
}

void zt_stats_diff(const struct zt_stats *want, const struct zt_stats *got,
		   char *buf, size_t len)
{
	size_t off = 0;
	int i, n;

	buf[0] = '\0';
	for (i = 0; i < ZT_NR_GAUGES && off < len; i++) {
		if (want->v[i] == got->v[i])
			continue;
		n = snprintf(buf + off, len - off, "%s%s %" PRIu64 "->%" PRIu64,
			     off ? ", " : "", zt_stat_names[i], want->v[i],
			     got->v[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

int zt_vmalloc_count(void)
{
	char line[512];
	int n = 0;
	FILE *f;

	f = fopen("/proc/vmallocinfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, " [zcap]");
	fclose(f);
	return n;
}

int zt_open_dev(void)
{
	int fd = open(ZT_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int zt_version(int dev, struct zcap_version *ver)
{
	return ioctl(dev, ZCAP_IOC_VERSION, ver) ? -errno : 0;
}

int zt_pool_create_args(int dev, struct zcap_pool_create *args)
{
	return ioctl(dev, ZCAP_IOC_POOL_CREATE, args) ? -errno : args->pool_fd;
}

int zt_pool_create(int dev, uint64_t size, uint32_t count, uint32_t flags)
{
	struct zcap_pool_create args = {
		.buffer_size = size,
		.count = count,
		.flags = flags,
		.fd_flags = O_CLOEXEC,
	};

	return zt_pool_create_args(dev, &args);
}

int zt_pool_info(int pool, struct zcap_pool_info *info)
{
	return ioctl(pool, ZCAP_IOC_POOL_INFO, info) ? -errno : 0;
}

int zt_export(int pool, uint32_t index, uint32_t flags,
	      struct zcap_buf_export *out)
{
	struct zcap_buf_export local, *exp = out ? out : &local;

	memset(exp, 0, sizeof(*exp));
	exp->index = index;
	exp->flags = flags;
	return ioctl(pool, ZCAP_IOC_BUF_EXPORT, exp) ? -errno : exp->fd;
}

int zt_pool_export_map(int dev, uint64_t size, uint32_t count,
		       uint32_t index, int *pool, int *fd, uint8_t **map)
{
	void *p;
	int ret;

	*pool = zt_pool_create(dev, size, count, 0);
	if (*pool < 0)
		return *pool;
	*fd = zt_export(*pool, index, O_RDWR | O_CLOEXEC, NULL);
	if (*fd < 0) {
		ret = *fd;
		goto close_pool;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto close_fd;
	}
	*map = p;
	return 0;

close_fd:
	close(*fd);
	*fd = -1;
close_pool:
	close(*pool);
	*pool = -1;
	return ret;
}

int zt_sync(int dmabuf, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	return ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &sync) ? -errno : 0;
}

int zt_count_fds(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	/* The directory stream's own descriptor is not the caller's. */
	return n - 1;
}

static int param_path(const char *module, const char *name, char *buf,
		      size_t len)
{
	int n = snprintf(buf, len, "/sys/module/%s/parameters/%s", module,
			 name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int read_small_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

int zt_ram_bytes(uint64_t *bytes)
{
	unsigned long long kib = 0;
	char line[128];
	bool found = false;
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "MemTotal: %llu kB", &kib) == 1;
	fclose(f);
	if (!found)
		return -EPROTO;
	*bytes = (uint64_t)kib * 1024;
	return 0;
}

int zt_param_read(const char *name, uint64_t *val)
{
	char path[256], buf[64], *end;
	int ret;

	ret = param_path("zcap", name, path, sizeof(path));
	if (ret)
		return ret;
	ret = read_small_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EPROTO;
	return 0;
}

int zt_param_write(const char *name, uint64_t val)
{
	char path[256], buf[32];
	int fd, n, ret = 0;

	ret = param_path("zcap", name, path, sizeof(path));
	if (ret)
		return ret;
	n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", val);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n)
		ret = -errno ? -errno : -EIO;
	close(fd);
	return ret;
}

int zt_param_array_item(const char *module, const char *param,
			unsigned int index, unsigned long *val)
{
	char path[256], buf[512], *p = buf, *end;
	unsigned int i;
	int ret;

	ret = param_path(module, param, path, sizeof(path));
	if (ret)
		return ret;
	ret = read_small_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	for (i = 0; i < index; i++) {
		p = strchr(p, ',');
		if (!p)
			return -ERANGE;
		p++;
	}
	errno = 0;
	*val = strtoul(p, &end, 0);
	if (errno || end == p)
		return -EPROTO;
	return 0;
}

int zt_vma_flags(const void *addr, char *buf, size_t len)
{
	unsigned long start, end;
	bool in_vma = false;
	int ret = -ENOENT;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* A VMA header is "start-end perms ..."; fields are "Name: ...". */
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in_vma = start == (unsigned long)(uintptr_t)addr;
			continue;
		}
		if (in_vma && !strncmp(line, "VmFlags:", 8)) {
			snprintf(buf, len, "%s", line + 8);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

bool zt_vma_has_flag(const char *flags, const char *flag)
{
	size_t n = strlen(flag);
	const char *p = flags;

	while ((p = strstr(p, flag))) {
		bool start = p == flags || p[-1] == ' ';
		bool end = p[n] == ' ' || p[n] == '\n' || p[n] == '\0';

		if (start && end)
			return true;
		p += n;
	}
	return false;
}

bool zt_required(const char *what)
{
	const char *req = getenv("ZCAP_TEST_REQUIRE");
	size_t n = strlen(what);

	while (req && *req) {
		size_t len = strcspn(req, ", ");

		if (len == n && !strncmp(req, what, n))
			return true;
		req += len;
		req += strspn(req, ", ");
	}
	return false;
}

int zt_module_loaded(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

size_t zt_count_not(const uint8_t *p, size_t len, uint8_t byte)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += p[i] != byte;
	return n;
}
