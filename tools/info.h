/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * zcap-info's parts: what it finds (info_devices.c: V4L2 capture devices,
 * their formats, sizes and frame intervals; provcheck.c: the dma-buf
 * providers) and its two ways of saying it, text (info_text.c) and JSON
 * (info_json.c). A device is read whole into a struct info_dev, printed,
 * and dropped before the next one.
 */
#ifndef ZCAP_TOOLS_INFO_H
#define ZCAP_TOOLS_INFO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/videodev2.h>

#include "provcheck.h"

/* Past these a driver is looping; vivid has 93 formats, 6 sizes each. */
#define INFO_MAX_FMTS 1024
#define INFO_MAX_SIZES 32
#define INFO_MAX_IVALS 8

/* Where to look: every path under @root (NULL: /), for the tests. */
struct info_opts {
	const char *root;
	const char *release;	/* kernel of the module checks; NULL: running */
	const char *device;	/* -d: this device only; NULL: every /dev/video* */
};

struct info_size {
	struct v4l2_frmsizeenum fs;	/* discrete, or the stepwise range */
	uint32_t n_ivals;
	struct v4l2_frmivalenum ivals[INFO_MAX_IVALS];	/* at fs's (largest) size */
};

struct info_fmt {
	struct v4l2_fmtdesc desc;
	uint32_t n_sizes;
	struct info_size sizes[INFO_MAX_SIZES];
};

struct info_dev {
	char path[300];
	int open_err;		/* errno of open(); 0: opened */
	int querycap_err;	/* errno of QUERYCAP; ENOTTY: not V4L2 */
	struct v4l2_capability cap;
	uint32_t caps;		/* device_caps, or capabilities */
	bool capture;		/* a video capture node */
	uint32_t type;		/* its buffer type */
	int reqbufs_err;	/* errno of REQBUFS(0); 0: bufcaps are valid */
	uint32_t bufcaps;	/* V4L2_BUF_CAP_* */
	uint32_t n_fmts;
	struct info_fmt *fmts;	/* n_fmts of them */
};

/*
 * Read @path into @d; info_dev_release() frees what it holds. Out of
 * memory, the formats read so far are kept.
 */
void info_dev_read(const char *path, struct info_dev *d);
void info_dev_release(struct info_dev *d);

/*
 * The /dev/video* nodes under @root, video2 before video10, into @names
 * (each freed by the caller); how many, at most @max.
 */
size_t info_dev_list(const char *root, char **names, size_t max);

/* A fourcc as zcap-info prints it: "YUYV", "Y16 -BE" (fourcc.h). */

/* The providers zcap-info reports, in the order AUTO tries them. */
#define INFO_N_PROVIDERS 3
extern const enum zcap_provider info_providers[INFO_N_PROVIDERS];

/* What to print, in order; each printer implements all of it. */
struct info_printer {
	void (*begin)(FILE *f);
	void (*device)(FILE *f, const struct info_dev *d, bool first);
	void (*devices_end)(FILE *f, unsigned int found);
	void (*provider)(FILE *f, const struct zcap_prov_check *c, bool first);
	void (*end)(FILE *f, int lib_ret, const char *lib_describe);
};

extern const struct info_printer info_text;
extern const struct info_printer info_json;

/*
 * Everything, through @p: the devices (or @o->device only), the providers
 * and libzcap's choice. 0, or 1 when @o->device was named and cannot be
 * read as a capture device.
 */
int info_run(const struct info_opts *o, const struct info_printer *p, FILE *f);

#endif /* ZCAP_TOOLS_INFO_H */
