// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What zcap-info finds (info.h): each V4L2 node's capabilities, its
 * formats, their sizes and frame intervals, read whole before printing so
 * that the text and the JSON say the same; then the order of the report.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <zcap/zcap.h>

#include "info.h"

const enum zcap_provider info_providers[INFO_N_PROVIDERS] = {
	ZCAP_PROVIDER_ZCAP, ZCAP_PROVIDER_DMA_HEAP, ZCAP_PROVIDER_UDMABUF,
};

/* The intervals at @s's size (a stepwise range: at its largest). */
static void read_intervals(int fd, uint32_t fourcc, struct info_size *s)
{
	struct v4l2_frmivalenum *iv;
	uint32_t w, h;

	w = s->fs.type == V4L2_FRMSIZE_TYPE_DISCRETE ? s->fs.discrete.width :
						       s->fs.stepwise.max_width;
	h = s->fs.type == V4L2_FRMSIZE_TYPE_DISCRETE ? s->fs.discrete.height :
						       s->fs.stepwise.max_height;
	for (s->n_ivals = 0; s->n_ivals < INFO_MAX_IVALS; s->n_ivals++) {
		iv = &s->ivals[s->n_ivals];
		memset(iv, 0, sizeof(*iv));
		iv->index = s->n_ivals;
		iv->pixel_format = fourcc;
		iv->width = w;
		iv->height = h;
		if (ioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, iv) < 0)
			break;
		if (iv->type != V4L2_FRMIVAL_TYPE_DISCRETE) {
			s->n_ivals++;
			break;
		}
	}
}

static void read_sizes(int fd, struct info_fmt *f)
{
	struct info_size *s;

	for (f->n_sizes = 0; f->n_sizes < INFO_MAX_SIZES; f->n_sizes++) {
		s = &f->sizes[f->n_sizes];
		memset(&s->fs, 0, sizeof(s->fs));
		s->fs.index = f->n_sizes;
		s->fs.pixel_format = f->desc.pixelformat;
		if (ioctl(fd, VIDIOC_ENUM_FRAMESIZES, &s->fs) < 0)
			break;
		read_intervals(fd, f->desc.pixelformat, s);
		if (s->fs.type != V4L2_FRMSIZE_TYPE_DISCRETE) {
			f->n_sizes++;
			break;
		}
	}
}

/*
 * REQBUFS with count 0 frees nothing we own and reports what the queue
 * supports; EBUSY means another process is streaming.
 */
static void read_bufcaps(int fd, struct info_dev *d)
{
	struct v4l2_requestbuffers rb;

	memset(&rb, 0, sizeof(rb));
	rb.type = d->type;
	rb.memory = V4L2_MEMORY_MMAP;
	d->reqbufs_err = ioctl(fd, VIDIOC_REQBUFS, &rb) < 0 ? errno : 0;
	d->bufcaps = rb.capabilities;
}

static void read_capture(int fd, struct info_dev *d)
{
	struct v4l2_fmtdesc desc;
	struct info_fmt *more;

	d->type = (d->caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE) ?
		V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE;
	read_bufcaps(fd, d);
	while (d->n_fmts < INFO_MAX_FMTS) {
		memset(&desc, 0, sizeof(desc));
		desc.index = d->n_fmts;
		desc.type = d->type;
		if (ioctl(fd, VIDIOC_ENUM_FMT, &desc) < 0)
			return;
		more = realloc(d->fmts, (d->n_fmts + 1) * sizeof(*more));
		if (!more)
			return;
		d->fmts = more;
		d->fmts[d->n_fmts].desc = desc;
		read_sizes(fd, &d->fmts[d->n_fmts]);
		d->n_fmts++;
	}
}

void info_dev_release(struct info_dev *d)
{
	free(d->fmts);
	d->fmts = NULL;
	d->n_fmts = 0;
}

void info_dev_read(const char *path, struct info_dev *d)
{
	int fd;

	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "%s", path);
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		d->open_err = errno;
		return;
	}
	if (ioctl(fd, VIDIOC_QUERYCAP, &d->cap) < 0) {
		d->querycap_err = errno;
		close(fd);
		return;
	}
	d->caps = (d->cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? d->cap.device_caps :
								  d->cap.capabilities;
	d->capture = d->caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE);
	if (d->capture)
		read_capture(fd, d);
	close(fd);
}

static int name_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);

	/* video2 before video10 */
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

size_t info_dev_list(const char *root, char **names, size_t max)
{
	char dir[256];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/dev", root ? root : "");
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		if (strncmp(de->d_name, "video", 5))
			continue;
		names[n] = malloc(strlen(dir) + strlen(de->d_name) + 2);
		if (!names[n])
			break;
		sprintf(names[n++], "%s/%s", dir, de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	return n;
}

/*
 * Every /dev/video* node that captures (the others are skipped: metadata,
 * output, mem2mem), or only @o->device, which must be one.
 */
static int run_devices(const struct info_opts *o, const struct info_printer *p,
		       FILE *f, struct info_dev *d)
{
	char *names[256];
	size_t n, i;
	unsigned int found = 0, listed = 0;

	if (o->device) {
		info_dev_read(o->device, d);
		p->device(f, d, true);
		/* Said why it is not one: no "none" after it. */
		p->devices_end(f, 1);
		info_dev_release(d);
		return d->capture ? 0 : 1;
	}
	n = info_dev_list(o->root, names, sizeof(names) / sizeof(names[0]));
	for (i = 0; i < n; i++) {
		info_dev_read(names[i], d);
		free(names[i]);
		/* Not a capture node: not listed, unless it could not be asked. */
		if (d->open_err || d->capture) {
			p->device(f, d, listed++ == 0);
			found += d->open_err ? 0 : 1;
		}
		info_dev_release(d);
	}
	p->devices_end(f, found);
	return 0;
}

int info_run(const struct info_opts *o, const struct info_printer *p, FILE *f)
{
	struct zcap_prov_check c;
	struct zcap_allocator *a = NULL;
	struct info_dev *d;
	int ret, lib;
	size_t i;

	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	p->begin(f);
	ret = run_devices(o, p, f, d);
	free(d);
	for (i = 0; i < INFO_N_PROVIDERS; i++) {
		zcap_prov_check(info_providers[i], o->root, o->release, &c);
		p->provider(f, &c, i == 0);
	}
	/* libzcap's own choice looks at the real /dev only. */
	lib = o->root && o->root[0] ? ZCAP_E_NO_PROVIDER :
	      zcap_allocator_new_dmabuf(ZCAP_PROVIDER_AUTO, &a);
	p->end(f, lib, lib < 0 ? zcap_strerror(lib) : zcap_allocator_describe(a));
	if (a)
		zcap_allocator_unref(a);
	return ret;
}
