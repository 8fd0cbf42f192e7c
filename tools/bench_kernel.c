// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel-side counters for zcap-bench.
 *
 * zcap's debugfs (/sys/kernel/debug/zcap/stats) counts map and vmap calls
 * on zcap's own dma-bufs. To count them for any exporter (the system
 * dma-heap, udmabuf) the same way, zcap-bench adds kprobe events on the
 * two entry points every importer goes through, dma_buf_map_attachment()
 * (the _unlocked variant calls it) and dma_buf_vmap() (likewise), and
 * reads their hit counts from kprobe_profile. A kretprobe on
 * dma_buf_map_attachment() records orig_nents of the sg_table it returns:
 * the number of sg entries the exporter built for that importer, which is
 * how the sg entries of dma-heap and udmabuf buffers are measured (they
 * have no ioctl that says it).
 *
 * Nothing here allocates after bench_kernel_init(): reads happen inside
 * measured windows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <drm.h>

#include "bench.h"

#define ZCAP_STATS "/sys/kernel/debug/zcap/stats"
#define GROUP "zcapbench"
#define EV_MAP "zcapbench_map"
#define EV_VMAP "zcapbench_vmap"
#define EV_MAPRET "zcapbench_mapret"

/*
 * struct sg_table { struct scatterlist *sgl; unsigned int nents;
 * unsigned int orig_nents; }: unchanged since 2.6.24, on every 64-bit
 * architecture.
 */
static const char *const probes[] = {
	"p:" GROUP "/" EV_MAP " dma_buf_map_attachment",
	"p:" GROUP "/" EV_VMAP " dma_buf_vmap",
	"r:" GROUP "/" EV_MAPRET " dma_buf_map_attachment orig=+12($retval):u32",
};

static const char *const tracefs_dirs[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
};

static char tracefs[64];
static bool have_kprobes;

static int write_file(const char *path, const char *s, int flags)
{
	size_t n = strlen(s);
	ssize_t w;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC | flags);
	if (fd < 0)
		return -errno;
	w = write(fd, s, n);
	if (w < 0)
		ret = -errno;
	else if ((size_t)w != n)
		ret = -EIO;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

/* Read a whole small file into @buf (NUL-terminated); bytes read or -errno. */
static ssize_t read_file(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		r = read(fd, buf + got, len - 1 - got);
		if (r < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	close(fd);
	return (ssize_t)got;
}

static void tpath(char *out, size_t len, const char *file)
{
	snprintf(out, len, "%s/%s", tracefs, file);
}

static void remove_probes(void)
{
	char path[128], cmd[64];
	const char *names[] = { EV_MAP, EV_VMAP, EV_MAPRET };
	size_t i;

	tpath(path, sizeof(path), "events/" GROUP "/enable");
	write_file(path, "0", 0);
	tpath(path, sizeof(path), "kprobe_events");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(cmd, sizeof(cmd), "-:" GROUP "/%s\n", names[i]);
		write_file(path, cmd, O_APPEND);
	}
}

void bench_kernel_init(char *why, size_t len)
{
	char path[128];
	size_t i;
	int ret = -ENOENT;

	why[0] = '\0';
	for (i = 0; i < sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/kprobe_events", tracefs_dirs[i]);
		if (access(path, F_OK) == 0) {
			snprintf(tracefs, sizeof(tracefs), "%s", tracefs_dirs[i]);
			break;
		}
	}
	if (!tracefs[0]) {
		snprintf(why, len, "no tracefs with kprobe_events (mount -t tracefs nodev /sys/kernel/tracing)");
		return;
	}
	/* A run that was killed leaves its probes behind. */
	remove_probes();
	tpath(path, sizeof(path), "kprobe_events");
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		/* O_APPEND: truncating kprobe_events removes everyone's probes. */
		ret = write_file(path, probes[i], O_APPEND);
		if (ret < 0) {
			snprintf(why, len, "cannot add kprobe '%s': %s", probes[i],
				 strerror(-ret));
			remove_probes();
			return;
		}
	}
	tpath(path, sizeof(path), "events/" GROUP "/enable");
	ret = write_file(path, "1", 0);
	if (ret < 0) {
		snprintf(why, len, "cannot enable the kprobe events: %s", strerror(-ret));
		remove_probes();
		return;
	}
	have_kprobes = true;
}

void bench_kernel_exit(void)
{
	if (!have_kprobes)
		return;
	remove_probes();
	have_kprobes = false;
}

bool bench_kernel_have_kprobes(void)
{
	return have_kprobes;
}

bool bench_kernel_have_zcap_stats(void)
{
	return access(ZCAP_STATS, R_OK) == 0;
}

/* The value after "name " at the start of a line of @buf. */
static bool find_value(const char *buf, const char *name, uint64_t *v)
{
	size_t n = strlen(name);
	const char *p = buf;
	char *end;

	while (p && *p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, name, n) && (p[n] == ' ' || p[n] == '\t')) {
			*v = strtoull(p + n, &end, 10);
			return end != p + n;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

void bench_kernel_read(struct bench_kstats *k)
{
	char buf[4096], path[128];

	memset(k, 0, sizeof(*k));
	if (read_file(ZCAP_STATS, buf, sizeof(buf)) > 0)
		k->zcap = find_value(buf, "map_calls", &k->zcap_map) &&
			  find_value(buf, "vmap_calls", &k->zcap_vmap);
	if (have_kprobes) {
		tpath(path, sizeof(path), "kprobe_profile");
		if (read_file(path, buf, sizeof(buf)) > 0)
			k->kprobe = find_value(buf, EV_MAP, &k->kp_map) &&
				    find_value(buf, EV_VMAP, &k->kp_vmap);
	}
}

/* ---- the kernel's configuration --------------------------------------- */

int bench_kernel_config(const char *opt)
{
	char path[128], line[256];
	struct utsname un;
	size_t n = strlen(opt);
	int ret = 0;
	FILE *f;

	if (uname(&un) < 0)
		return -errno;
	snprintf(path, sizeof(path), "/boot/config-%s", un.release);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, opt, n) && line[n] == '=') {
			ret = line[n + 1] == 'y' || line[n + 1] == 'm';
			break;
		}
	}
	fclose(f);
	return ret;
}

/* ---- sg entries through vgem ------------------------------------------- */

static int open_vgem(void)
{
	struct drm_version v;
	char path[32], name[16];
	int i, fd;

	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&v, 0, sizeof(v));
		memset(name, 0, sizeof(name));
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (ioctl(fd, DRM_IOCTL_VERSION, &v) == 0 && !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -ENODEV;
}

/*
 * The sg entry counts our kretprobe traced in @buf, one event per
 * dma_buf_map_attachment(): their sum, the largest and how many. -EIO when
 * an event has no count (the map failed or its table was unreadable).
 */
static int sg_counts(char *buf, uint32_t *total, uint32_t *max, uint32_t *seen)
{
	char *p, *q, *end;
	uint32_t v;

	for (p = strstr(buf, EV_MAPRET ":"); p; p = strstr(p + 1, EV_MAPRET ":")) {
		q = strstr(p, "orig=");
		end = NULL;
		v = q ? (uint32_t)strtoul(q + 5, &end, 10) : 0;
		if (!q || end == q + 5)
			return -EIO;
		*total += v;
		if (v > *max)
			*max = v;
		(*seen)++;
	}
	return 0;
}

int bench_kernel_sg_entries(const int *fds, uint32_t n, uint32_t *total,
			    uint32_t *max, char *why, size_t len)
{
	struct drm_prime_handle ph;
	struct drm_gem_close gc;
	uint32_t *handles, i, seen = 0;
	char path[128], *buf;
	int vgem, ret = 0;
	ssize_t got;

	*total = 0;
	*max = 0;
	if (!have_kprobes) {
		snprintf(why, len, "kprobe events unavailable");
		return -EOPNOTSUPP;
	}
	vgem = open_vgem();
	if (vgem < 0) {
		snprintf(why, len, "no vgem device (modprobe vgem)");
		return vgem;
	}
	handles = calloc(n, sizeof(*handles));
	buf = malloc(1 << 20);
	if (!handles || !buf) {
		ret = -ENOMEM;
		snprintf(why, len, "out of memory");
		goto out;
	}
	/* Opening trace with O_TRUNC empties the ring buffer. */
	tpath(path, sizeof(path), "trace");
	ret = write_file(path, "", O_TRUNC);
	if (ret < 0) {
		snprintf(why, len, "cannot clear %s: %s", path, strerror(-ret));
		goto out;
	}
	for (i = 0; i < n; i++) {
		memset(&ph, 0, sizeof(ph));
		ph.fd = fds[i];
		if (ioctl(vgem, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph) < 0) {
			ret = -errno;
			snprintf(why, len, "vgem cannot import the dma-buf: %s",
				 strerror(-ret));
			goto out;
		}
		handles[i] = ph.handle;
	}
	got = read_file(path, buf, 1 << 20);
	if (got < 0) {
		ret = (int)got;
		snprintf(why, len, "cannot read %s: %s", path, strerror(-ret));
		goto out;
	}
	ret = sg_counts(buf, total, max, &seen);
	if (ret < 0) {
		snprintf(why, len, "dma_buf_map_attachment failed or its sg_table was unreadable");
		goto out;
	}
	if (seen != n) {
		ret = -EIO;
		snprintf(why, len, "%u imports into vgem made %u dma_buf_map_attachment calls",
			 n, seen);
	}
out:
	for (i = 0; handles && i < n; i++) {
		if (!handles[i])
			continue;
		memset(&gc, 0, sizeof(gc));
		gc.handle = handles[i];
		ioctl(vgem, DRM_IOCTL_GEM_CLOSE, &gc);
	}
	free(buf);
	free(handles);
	close(vgem);
	return ret;
}
