// SPDX-License-Identifier: GPL-2.0-or-later
/* zcap-info's text: for people, indented, one line a fact (info.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/zcap.h>

#include "fourcc.h"
#include "info.h"

/* "crw-rw---- root:video, you can open it" */
static void perms(FILE *f, const char *path)
{
	static const char bits[] = "rwxrwxrwx";
	char mode[11];
	struct passwd *pw;
	struct group *gr;
	struct stat st;
	int i;

	if (stat(path, &st) < 0)
		return;
	mode[0] = S_ISCHR(st.st_mode) ? 'c' : S_ISDIR(st.st_mode) ? 'd' : '-';
	for (i = 0; i < 9; i++)
		mode[1 + i] = (st.st_mode & (0400 >> i)) ? bits[i] : '-';
	mode[10] = '\0';
	pw = getpwuid(st.st_uid);
	gr = getgrgid(st.st_gid);
	fprintf(f, "    %s %s:%s, %s\n", mode, pw ? pw->pw_name : "?",
		gr ? gr->gr_name : "?",
		access(path, R_OK | W_OK) == 0 ? "you can open it" :
		access(path, R_OK) == 0 ? "you can open it read-only" :
		"you cannot open it");
}

static void text_begin(FILE *f)
{
	fprintf(f, "V4L2 capture devices:\n");
}

static void text_sizes(FILE *f, const struct info_fmt *fm)
{
	const struct v4l2_frmsizeenum *fs;
	uint32_t i;

	fprintf(f, "        sizes:");
	for (i = 0; i < fm->n_sizes; i++) {
		fs = &fm->sizes[i].fs;
		if (fs->type == V4L2_FRMSIZE_TYPE_DISCRETE)
			fprintf(f, " %ux%u", fs->discrete.width, fs->discrete.height);
		else
			fprintf(f, " %ux%u to %ux%u step %u,%u",
				fs->stepwise.min_width, fs->stepwise.min_height,
				fs->stepwise.max_width, fs->stepwise.max_height,
				fs->stepwise.step_width, fs->stepwise.step_height);
	}
	if (!fm->n_sizes)
		fprintf(f, " (not enumerated; any the driver accepts)");
	fprintf(f, "\n");
}

static void text_bufcaps(FILE *f, const struct info_dev *d)
{
	if (d->reqbufs_err) {
		fprintf(f, "    buffers: unknown (%s)\n", d->reqbufs_err == EBUSY ?
			"in use by another process" : strerror(d->reqbufs_err));
		return;
	}
	if (!d->bufcaps) {
		fprintf(f, "    buffers: the driver does not report its memory types\n");
		return;
	}
	fprintf(f, "    buffers:%s%s%s\n",
		(d->bufcaps & V4L2_BUF_CAP_SUPPORTS_MMAP) ? " mmap" : "",
		(d->bufcaps & V4L2_BUF_CAP_SUPPORTS_USERPTR) ? " userptr" : "",
		(d->bufcaps & V4L2_BUF_CAP_SUPPORTS_DMABUF) ?
		" dmabuf (imports dma-bufs: zero copy possible)" :
		" (no dmabuf: zcap copies from this device)");
}

static void text_device(FILE *f, const struct info_dev *d, bool first)
{
	char name[ZCAP_TOOL_FOURCC_LEN];
	uint32_t i;

	(void)first;
	if (d->open_err || d->querycap_err || !d->capture) {
		fprintf(f, "  %s: %s\n", d->path, d->open_err ? strerror(d->open_err) :
			d->querycap_err == ENOTTY ? "not a V4L2 device" :
			d->querycap_err ? strerror(d->querycap_err) :
			"not a video capture device");
		if (d->open_err == EACCES || d->open_err == EPERM)
			fprintf(f, "    add yourself to group video and log in again\n");
		perms(f, d->path);
		return;
	}
	fprintf(f, "  %s: %s (driver %s, %s), %s%s\n", d->path, (const char *)d->cap.card,
		(const char *)d->cap.driver, (const char *)d->cap.bus_info,
		d->type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE ? "multi-planar" :
								"single-planar",
		(d->caps & V4L2_CAP_STREAMING) ? "" : ", cannot stream");
	text_bufcaps(f, d);
	for (i = 0; i < d->n_fmts; i++) {
		const struct v4l2_fmtdesc *fd = &d->fmts[i].desc;

		fprintf(f, "      %-4s %s%s\n", zcap_tool_fourcc_name(fd->pixelformat, name),
			(const char *)fd->description,
			(fd->flags & V4L2_FMT_FLAG_COMPRESSED) ? " (compressed)" : "");
		text_sizes(f, &d->fmts[i]);
	}
}

static void text_devices_end(FILE *f, unsigned int found)
{
	if (!found)
		fprintf(f, "  none (load a driver; for a virtual one: sudo modprobe vivid)\n");
}

/* zcap.ko's answer to ZCAP_IOC_VERSION: its ABI and limits. */
static void zcap_limits(FILE *f, const char *path)
{
	struct zcap_version v;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	memset(&v, 0, sizeof(v));
	if (ioctl(fd, ZCAP_IOC_VERSION, &v) < 0) {
		fprintf(f, "    ZCAP_IOC_VERSION: %s\n", strerror(errno));
	} else {
		fprintf(f, "    ABI %u%s, flags:%s, up to %u buffers per pool, page %u\n",
			v.abi_version, v.abi_version == ZCAP_ABI_VERSION ? "" :
			" (this tool speaks another ABI)",
			(v.pool_flags & ZCAP_POOL_CONTIGUOUS) ? " contiguous" : " none",
			v.max_buffers, v.page_size);
		fprintf(f, "    limits: %llu MiB per pool, %llu MiB in total, %llu KiB per contiguous buffer\n",
			(unsigned long long)(v.max_pool_bytes >> 20),
			(unsigned long long)(v.max_total_bytes >> 20),
			(unsigned long long)(v.max_contig_bytes >> 10));
	}
	close(fd);
}

/* The heaps beside the system one (libzcap uses the system heap). */
static void other_heaps(FILE *f, const char *system_path)
{
	char dir[160];
	struct dirent *de;
	char *slash;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s", system_path);
	slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = '\0';
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			fprintf(f, "    heap: %s\n", de->d_name);
	closedir(d);
}

static void text_provider(FILE *f, const struct zcap_prov_check *c, bool first)
{
	if (first)
		fprintf(f, "dma-buf providers:\n");
	fprintf(f, "  %s (%s): %s\n", c->name, c->path,
		c->state == ZCAP_PROV_OK ? "usable" : zcap_prov_state_key(c->state));
	perms(f, c->path);
	if (c->state != ZCAP_PROV_OK)
		fprintf(f, "    %s\n", c->why);
	if (c->fix[0])
		fprintf(f, "    fix: %s\n", c->fix);
	if (c->provider == ZCAP_PROVIDER_ZCAP && c->state == ZCAP_PROV_OK)
		zcap_limits(f, c->path);
	if (c->provider == ZCAP_PROVIDER_DMA_HEAP)
		other_heaps(f, c->path);
}

static void debugfs(FILE *f)
{
	const char *path = "/sys/kernel/debug/zcap/stats";
	char line[256];
	FILE *in;

	fprintf(f, "zcap.ko counters (%s):\n", path);
	in = fopen(path, "r");
	if (!in) {
		fprintf(f, "  not readable (%s)%s\n", strerror(errno),
			errno == EACCES || errno == EPERM ? ": run as root" :
			errno == ENOENT ? ": zcap.ko not loaded, or debugfs not mounted" : "");
		return;
	}
	while (fgets(line, sizeof(line), in))
		fprintf(f, "  %s", line);
	fclose(in);
}

static void text_end(FILE *f, int lib_ret, const char *lib_describe)
{
	if (lib_ret < 0)
		fprintf(f, "  libzcap: no dma-buf provider can be opened (%s): capture will copy\n",
			lib_describe);
	else
		fprintf(f, "  libzcap would use: %s\n", lib_describe);
	debugfs(f);
}

const struct info_printer info_text = {
	.begin = text_begin,
	.device = text_device,
	.devices_end = text_devices_end,
	.provider = text_provider,
	.end = text_end,
};
