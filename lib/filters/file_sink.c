// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * File sink: writes every frame to a file or an fd.
 *
 * Frames are written straight from the sample's CPU mapping (the dma-buf
 * mmap for zero-copy allocators) with writev(). That is not a CPU copy into
 * another buffer of ours: the bytes go from the capture buffer to the
 * kernel's page cache or pipe in the write itself, as any writer of a
 * frame must do. So bytes_copied stays 0 here, with one exception: a
 * dma-buf mapping is a PFN map, and a file system that pins user pages to
 * write them (9p's zero-copy path, O_DIRECT files) cannot pin those and
 * fails with EFAULT. Such writes go through a bounce buffer, and those
 * bytes are counted as copied.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <zcap/zcap.h>

#include "core/filter_util.h"
#include "core/fmt_table.h"

#define IOV_BATCH 64
#define BOUNCE_MAX (1u << 20)

struct file_sink {
	int fd;
	bool own_fd;
	uint32_t flags;
};

/* Write @len bytes from @p through a heap copy (see the top of the file). */
static int write_bounce(int fd, const uint8_t *p, size_t len, uint64_t *copied)
{
	size_t chunk = len < BOUNCE_MAX ? len : BOUNCE_MAX, n, off;
	uint8_t *buf;
	ssize_t w;
	int ret = 0;

	buf = malloc(chunk ? chunk : 1);
	if (!buf)
		return -ENOMEM;
	while (len && !ret) {
		n = len < chunk ? len : chunk;
		memcpy(buf, p, n);
		*copied += n;
		for (off = 0; off < n; ) {
			w = write(fd, buf + off, n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				ret = w < 0 ? -errno : -EIO;
				break;
			}
			off += (size_t)w;
		}
		p += n;
		len -= n;
	}
	free(buf);
	return ret;
}

static int write_iov(int fd, struct iovec *iov, int n, uint64_t *copied)
{
	ssize_t w;
	int ret;

	while (n > 0) {
		w = writev(fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EFAULT)
				return -errno;
			/* Pages that cannot be pinned: bounce what is left. */
			for (; n > 0; iov++, n--) {
				ret = write_bounce(fd, iov->iov_base, iov->iov_len, copied);
				if (ret < 0)
					return ret;
			}
			return 0;
		}
		if (w == 0)
			return -EIO;
		/* A pipe may take part of it: skip what went out, go on. */
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Write @lines lines of @len bytes, @stride apart, from @base. */
static int write_lines(int fd, const uint8_t *base, uint64_t stride,
		       uint64_t len, uint32_t lines, uint64_t *copied)
{
	struct iovec iov[IOV_BATCH];
	uint32_t l = 0;
	int n, ret;

	if (!len || !lines)
		return 0;
	if (stride == len) {
		/* Tight lines: one block, however many lines. */
		iov[0].iov_base = (void *)base;
		iov[0].iov_len = (size_t)(len * lines);
		return write_iov(fd, iov, 1, copied);
	}
	while (l < lines) {
		for (n = 0; n < IOV_BATCH && l < lines; n++, l++) {
			iov[n].iov_base = (void *)(base + (uint64_t)l * stride);
			iov[n].iov_len = (size_t)len;
		}
		ret = write_iov(fd, iov, n, copied);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Lines and bytes per line of plane @p that a write takes. */
static void plane_extent(const struct zcap_format *fmt, uint32_t p,
			 uint32_t flags, uint32_t *lines, uint64_t *len)
{
	const struct zcap_plane_layout *pl = &fmt->planes[p];

	*lines = (flags & ZCAP_FILE_SINK_RAW) ? pl->lines :
		 zcapi_fmt_visible_lines(fmt, p);
	*len = (flags & ZCAP_FILE_SINK_RAW) ? pl->stride :
	       zcapi_fmt_visible_bytes(fmt, p);
}

/*
 * Check the whole layout against the memory before touching it: a wrong
 * stride or offset must be an error, never a read past the end.
 */
static int check_layout(const struct zcap_format *fmt, uint32_t flags,
			const struct zcap_mem *mem, uint32_t n_mem)
{
	uint32_t p, lines;
	uint64_t len, end;

	for (p = 0; p < fmt->n_planes; p++) {
		const struct zcap_plane_layout *pl = &fmt->planes[p];

		plane_extent(fmt, p, flags, &lines, &len);
		if (pl->mem >= n_mem)
			return -EINVAL;
		if (!lines || !len)
			continue;
		/* Both factors 32 bits: the product fits in 64, with len. */
		end = (uint64_t)(lines - 1) * pl->stride + len;
		if (len > pl->stride || pl->offset > mem[pl->mem].length ||
		    end > mem[pl->mem].length - pl->offset)
			return -EINVAL;
	}
	return 0;
}

/* Raw frames: the lines of each plane, as the layout says. */
static int write_planes(struct zcap_sample *s, const struct zcap_format *fmt,
			int fd, uint32_t flags, uint64_t *total, uint64_t *bounced)
{
	uint32_t p, lines;
	uint64_t len;
	int ret = 0;

	for (p = 0; p < fmt->n_planes && ret == 0; p++) {
		const struct zcap_plane_layout *pl = &fmt->planes[p];
		const uint8_t *base = zcap_sample_data(s, pl->mem);

		if (!base)
			return -EFAULT;
		plane_extent(fmt, p, flags, &lines, &len);
		ret = write_lines(fd, base + pl->offset, pl->stride, len, lines,
				  bounced);
		if (ret == 0)
			*total += len * lines;
	}
	return ret;
}

/*
 * A bitstream, or a sample without a layout: exactly the bytes the
 * producer filled in each block, from where its data starts. The block's
 * size says nothing about a compressed frame's.
 */
static int write_payload(struct zcap_sample *s, const struct zcap_format *fmt,
			 int fd, uint64_t *total, uint64_t *bounced)
{
	uint64_t off, len;
	uint32_t m;
	int ret = 0;

	for (m = 0; m < zcap_sample_n_mem(s) && ret == 0; m++) {
		const uint8_t *base = zcap_sample_data(s, m);

		if (!base)
			return -EFAULT;
		len = zcapi_sample_payload(s, fmt, m, &off);
		ret = write_lines(fd, base + off, len, len, 1, bounced);
		if (ret == 0)
			*total += len;
	}
	return ret;
}

static bool is_bitstream(const struct zcap_format *fmt)
{
	return !fmt || !fmt->n_planes || (fmt->flags & ZCAP_FORMAT_COMPRESSED);
}

int zcap_sample_write(struct zcap_sample *s, const struct zcap_format *fmt,
		      int fd, uint32_t flags, uint64_t *written, uint64_t *copied)
{
	struct zcap_mem mem[ZCAP_MAX_PLANES];
	uint32_t n_mem, m;
	uint64_t total = 0, bounced = 0;
	int ret, ret2;

	if (written)
		*written = 0;
	if (copied)
		*copied = 0;
	if (!s || fd < 0 || (flags & ~ZCAP_FILE_SINK_RAW))
		return -EINVAL;
	/* The caller's layout is read as far as it says: it must hold. */
	if (fmt && zcap_format_validate(fmt))
		return -EINVAL;
	if (!fmt)
		fmt = zcap_sample_format(s);
	n_mem = zcap_sample_n_mem(s);
	if (n_mem > ZCAP_MAX_PLANES)
		return -EINVAL;
	for (m = 0; m < n_mem; m++) {
		ret = zcap_sample_mem(s, m, &mem[m]);
		if (ret < 0)
			return ret;
	}
	if (!is_bitstream(fmt)) {
		ret = check_layout(fmt, flags, mem, n_mem);
		if (ret < 0)
			return ret;
	}

	ret = zcap_sample_cpu_begin(s, ZCAP_ACCESS_READ);
	if (ret < 0)
		return ret;
	if (is_bitstream(fmt))
		ret = write_payload(s, fmt, fd, &total, &bounced);
	else
		ret = write_planes(s, fmt, fd, flags, &total, &bounced);
	ret2 = zcap_sample_cpu_end(s);
	if (ret == 0)
		ret = ret2;
	if (written)
		*written = total;
	if (copied)
		*copied = bounced;
	return ret;
}

static int fs_receive(void *user, struct zcap_sample *s,
		      struct zcap_sink_frame *fr)
{
	struct file_sink *fs = user;

	return zcap_sample_write(s, fr->fmt, fs->fd, fs->flags, &fr->bytes,
				 &fr->copied);
}

static void fs_destroy(void *user)
{
	struct file_sink *fs = user;

	if (fs->own_fd && fs->fd >= 0)
		close(fs->fd);
	free(fs);
}

static const struct zcap_sink_ops fs_ops = {
	.receive = fs_receive,
	.destroy = fs_destroy,
};

int zcap_file_sink_new(const struct zcap_file_sink_config *cfg,
		       struct zcap_filter **out)
{
	/*
	 * Only the sample being written, for the time of receive(). A full
	 * disk or a closed pipe will not get better by itself: it ends the
	 * graph's wait.
	 */
	const struct zcap_sink_config sc = {
		.name = "file-sink", .held = 1,
		.flags = ZCAP_SINK_END_ON_ERROR | ZCAP_SINK_SKIP_ERRORS,
	};
	struct file_sink *fs;
	int ret;

	if (out)
		*out = NULL;
	if (!cfg || !out || (!cfg->path && cfg->fd < 0) ||
	    (cfg->flags & ~ZCAP_FILE_SINK_RAW) || !ZCAPI_RESERVED_ZERO(cfg->reserved))
		return -EINVAL;
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	fs->flags = cfg->flags;
	fs->fd = cfg->fd;
	if (cfg->path) {
		fs->fd = open(cfg->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fs->fd < 0) {
			ret = -errno;
			free(fs);
			return ret;
		}
		fs->own_fd = true;
	}
	ret = zcap_sink_new(&sc, &fs_ops, fs, out);
	if (ret < 0)
		fs_destroy(fs);
	return ret;
}
