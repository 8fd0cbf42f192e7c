// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zcap-info: what this machine offers for zero-copy capture: V4L2 capture
 * devices, dma-buf providers (with their permissions), and zcap's own
 * counters when debugfs is readable.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/videodev2.h>
#include <linux/zcap.h>

#include <zcap/zcap.h>

static const char *prog = "zcap-info";

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [-h]\n"
"List V4L2 capture devices (driver, card, formats, sizes), the dma-buf\n"
"providers zcap can use here (zcap.ko, dma-heap, udmabuf) with their\n"
"permissions, and zcap.ko's debugfs counters when readable.\n", prog);
}

/* "crw-rw---- root:video, you can open it" */
static void perms(const char *path)
{
	char mode[11] = "----------";
	struct passwd *pw;
	struct group *gr;
	struct stat st;

	if (stat(path, &st) < 0) {
		printf("    %s: %s\n", path, strerror(errno));
		return;
	}
	mode[0] = S_ISCHR(st.st_mode) ? 'c' : S_ISDIR(st.st_mode) ? 'd' : '-';
	mode[1] = (st.st_mode & S_IRUSR) ? 'r' : '-';
	mode[2] = (st.st_mode & S_IWUSR) ? 'w' : '-';
	mode[3] = (st.st_mode & S_IXUSR) ? 'x' : '-';
	mode[4] = (st.st_mode & S_IRGRP) ? 'r' : '-';
	mode[5] = (st.st_mode & S_IWGRP) ? 'w' : '-';
	mode[6] = (st.st_mode & S_IXGRP) ? 'x' : '-';
	mode[7] = (st.st_mode & S_IROTH) ? 'r' : '-';
	mode[8] = (st.st_mode & S_IWOTH) ? 'w' : '-';
	mode[9] = (st.st_mode & S_IXOTH) ? 'x' : '-';
	pw = getpwuid(st.st_uid);
	gr = getgrgid(st.st_gid);
	printf("    %s %s:%s, %s\n", mode, pw ? pw->pw_name : "?",
	       gr ? gr->gr_name : "?",
	       access(path, R_OK | W_OK) == 0 ? "you can open it" :
	       access(path, R_OK) == 0 ? "you can open it read-only" :
	       "you cannot open it");
}

static void frame_sizes(int fd, uint32_t fourcc)
{
	struct v4l2_frmsizeenum fs;
	int n = 0;

	memset(&fs, 0, sizeof(fs));
	fs.pixel_format = fourcc;
	printf("        sizes:");
	for (fs.index = 0; ioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs) == 0; fs.index++) {
		if (fs.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
			printf(" %ux%u", fs.discrete.width, fs.discrete.height);
			n++;
			continue;
		}
		printf(" %ux%u to %ux%u step %u,%u",
		       fs.stepwise.min_width, fs.stepwise.min_height,
		       fs.stepwise.max_width, fs.stepwise.max_height,
		       fs.stepwise.step_width, fs.stepwise.step_height);
		n++;
		break;
	}
	if (!n)
		printf(" (not enumerated; any the driver accepts)");
	printf("\n");
}

static void buffer_caps(int fd, uint32_t type)
{
	struct v4l2_requestbuffers rb;

	/*
	 * REQBUFS with count 0 frees nothing we own and reports what the
	 * queue supports; EBUSY means another process is streaming.
	 */
	memset(&rb, 0, sizeof(rb));
	rb.type = type;
	rb.memory = V4L2_MEMORY_MMAP;
	if (ioctl(fd, VIDIOC_REQBUFS, &rb) < 0) {
		printf("    buffers: unknown (%s)\n", errno == EBUSY ?
		       "in use by another process" : strerror(errno));
		return;
	}
	if (!rb.capabilities) {
		printf("    buffers: the driver does not report its memory types\n");
		return;
	}
	printf("    buffers:%s%s%s\n",
	       (rb.capabilities & V4L2_BUF_CAP_SUPPORTS_MMAP) ? " mmap" : "",
	       (rb.capabilities & V4L2_BUF_CAP_SUPPORTS_USERPTR) ? " userptr" : "",
	       (rb.capabilities & V4L2_BUF_CAP_SUPPORTS_DMABUF) ?
	       " dmabuf (imports dma-bufs: zero copy possible)" :
	       " (no dmabuf: zcap copies from this device)");
}

static int v4l2_device(const char *path)
{
	struct v4l2_capability cap;
	struct v4l2_fmtdesc fd;
	uint32_t caps, type;
	char fcc[5];
	int vfd;

	vfd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (vfd < 0) {
		printf("  %s: %s\n", path, strerror(errno));
		perms(path);
		return 0;
	}
	memset(&cap, 0, sizeof(cap));
	if (ioctl(vfd, VIDIOC_QUERYCAP, &cap) < 0) {
		close(vfd);
		return 0;
	}
	caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps :
							    cap.capabilities;
	if (!(caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE))) {
		close(vfd);
		return 0;
	}
	type = (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE) ?
		V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE;
	printf("  %s: %s (driver %s, %s), %s%s\n", path, (const char *)cap.card,
	       (const char *)cap.driver, (const char *)cap.bus_info,
	       type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE ? "multi-planar" :
							   "single-planar",
	       (caps & V4L2_CAP_STREAMING) ? "" : ", cannot stream");
	buffer_caps(vfd, type);
	memset(&fd, 0, sizeof(fd));
	fd.type = type;
	for (fd.index = 0; ioctl(vfd, VIDIOC_ENUM_FMT, &fd) == 0; fd.index++) {
		printf("      %-4s %s%s\n", zcap_fourcc_str(fd.pixelformat, fcc),
		       (const char *)fd.description,
		       (fd.flags & V4L2_FMT_FLAG_COMPRESSED) ? " (compressed)" : "");
		frame_sizes(vfd, fd.pixelformat);
	}
	close(vfd);
	return 1;
}

static int name_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);

	/* video2 before video10 */
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

static void list_devices(void)
{
	char *names[256], path[300];
	struct dirent *de;
	size_t n = 0, i;
	int found = 0;
	DIR *d;

	printf("V4L2 capture devices:\n");
	d = opendir("/dev");
	if (d) {
		while ((de = readdir(d)) && n < 256)
			if (!strncmp(de->d_name, "video", 5))
				names[n++] = strdup(de->d_name);
		closedir(d);
	}
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n; i++) {
		if (!names[i])
			continue;
		snprintf(path, sizeof(path), "/dev/%s", names[i]);
		found += v4l2_device(path);
		free(names[i]);
	}
	if (!found)
		printf("  none (load a driver; for a virtual one: sudo modprobe vivid)\n");
}

static void provider_zcap(void)
{
	struct zcap_version v;
	int fd;

	printf("  zcap.ko (/dev/zcap):\n");
	if (access("/dev/zcap", F_OK) < 0) {
		printf("    not loaded: sudo modprobe zcap\n");
		return;
	}
	perms("/dev/zcap");
	fd = open("/dev/zcap", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	memset(&v, 0, sizeof(v));
	if (ioctl(fd, ZCAP_IOC_VERSION, &v) < 0) {
		printf("    ZCAP_IOC_VERSION: %s\n", strerror(errno));
	} else {
		printf("    ABI %u%s, flags:%s, up to %u buffers per pool, page %u\n",
		       v.abi_version, v.abi_version == ZCAP_ABI_VERSION ? "" :
		       " (this tool speaks another ABI)",
		       (v.pool_flags & ZCAP_POOL_CONTIGUOUS) ? " contiguous" : " none",
		       v.max_buffers, v.page_size);
		printf("    limits: %llu MiB per pool, %llu MiB in total, %llu KiB per contiguous buffer\n",
		       (unsigned long long)(v.max_pool_bytes >> 20),
		       (unsigned long long)(v.max_total_bytes >> 20),
		       (unsigned long long)(v.max_contig_bytes >> 10));
	}
	close(fd);
}

static void provider_heaps(void)
{
	struct dirent *de;
	char path[300];
	int n = 0;
	DIR *d;

	printf("  dma-heap (/dev/dma_heap):\n");
	d = opendir("/dev/dma_heap");
	if (!d) {
		printf("    none on this kernel (CONFIG_DMABUF_HEAPS)\n");
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/dev/dma_heap/%s", de->d_name);
		printf("    %s\n", de->d_name);
		perms(path);
		n++;
	}
	closedir(d);
	if (!n)
		printf("    no heaps\n");
}

static void provider_udmabuf(void)
{
	printf("  udmabuf (/dev/udmabuf):\n");
	if (access("/dev/udmabuf", F_OK) < 0) {
		printf("    not present: sudo modprobe udmabuf\n");
		return;
	}
	perms("/dev/udmabuf");
}

static void library_choice(void)
{
	struct zcap_allocator *a;
	int ret;

	ret = zcap_allocator_new_dmabuf(ZCAP_PROVIDER_AUTO, &a);
	if (ret < 0) {
		printf("  libzcap: no dma-buf provider can be opened (%s): capture will copy\n",
		       zcap_strerror(ret));
		return;
	}
	printf("  libzcap would use: %s\n", zcap_allocator_describe(a));
	zcap_allocator_unref(a);
}

static void debugfs(void)
{
	const char *path = "/sys/kernel/debug/zcap/stats";
	char line[256];
	FILE *f;

	printf("zcap.ko counters (%s):\n", path);
	f = fopen(path, "r");
	if (!f) {
		printf("  not readable (%s)%s\n", strerror(errno),
		       errno == EACCES || errno == EPERM ? ": run as root" :
		       errno == ENOENT ? ": zcap.ko not loaded, or debugfs not mounted" : "");
		return;
	}
	while (fgets(line, sizeof(line), f))
		printf("  %s", line);
	fclose(f);
}

int main(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "h")) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	list_devices();
	printf("dma-buf providers:\n");
	provider_zcap();
	provider_heaps();
	provider_udmabuf();
	library_choice();
	debugfs();
	return 0;
}
