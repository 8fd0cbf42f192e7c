/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parts every fake V4L2 device of the unit tests shares, so that each
 * test keeps only its device's behaviour:
 *
 * - fake_fail(), fake_live_maps(), QUERYCAP of any device, a YUYV
 *   camera's QUERYCAP and G_FMT (fake_yuyv_camera_ioctl()), fake_pix(): a
 *   G_FMT answer to convert, and fake_buf_ioctl(): the buffer ioctls
 *   handed to the test's own functions;
 * - with FAKE_V4L2_SHIM defined before inclusion, the interposed ioctl()
 *   and poll() (the library's objects are linked into the test program)
 *   for the fds of one memfd, identified by its inode in fake_dev.ino.
 *   The test then defines fake_ioctl() and fake_revents(), both called
 *   with fake_dev.lock held, since the library calls them from its
 *   streaming thread while the test reads the device's state;
 * - with FAKE_V4L2_FD instead, the interposed ioctl() only, for the one
 *   fd number fake_fd, which the test sets (-1: none), without a lock:
 *   for tests that call the library from their own thread only. The test
 *   then defines fake_ioctl().
 */
#ifndef ZCAP_TESTS_FAKE_V4L2_H
#define ZCAP_TESTS_FAKE_V4L2_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <linux/videodev2.h>

/* How a failing ioctl answers: -1 and errno. */
static inline int fake_fail(int e)
{
	errno = e;
	return -1;
}

/* Mappings alive in this process of the memfd named @name. */
static inline int fake_live_maps(const char *name)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, name) != NULL;
	if (f)
		fclose(f);
	return n;
}

/* QUERYCAP of a device with @caps (V4L2_CAP_*), as a driver fills it. */
static inline int fake_querycap(struct v4l2_capability *c, const char *driver,
				const char *card, uint32_t caps)
{
	memset(c, 0, sizeof(*c));
	snprintf((char *)c->driver, sizeof(c->driver), "%s", driver);
	snprintf((char *)c->card, sizeof(c->card), "%s", card);
	c->device_caps = caps;
	c->capabilities = c->device_caps | V4L2_CAP_DEVICE_CAPS;
	return 0;
}

static inline int fake_querycap_camera(struct v4l2_capability *c)
{
	return fake_querycap(c, "fake", "fake camera",
			     V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING);
}

/* G_FMT of a camera that only does packed YUYV, @w x @h. */
static inline int fake_yuyv_fmt(struct v4l2_format *f, uint32_t w, uint32_t h)
{
	f->fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	f->fmt.pix.width = w;
	f->fmt.pix.height = h;
	f->fmt.pix.bytesperline = w * 2;
	f->fmt.pix.sizeimage = w * h * 2;
	return 0;
}

/*
 * Answer @req into *@ret when it is QUERYCAP or G_FMT of a capture camera
 * that only does packed YUYV @w x @h (true).
 */
static inline bool fake_yuyv_camera_ioctl(unsigned long req, void *arg,
					  uint32_t w, uint32_t h, int *ret)
{
	if (req == VIDIOC_QUERYCAP)
		*ret = fake_querycap_camera(arg);
	else if (req == VIDIOC_G_FMT)
		*ret = fake_yuyv_fmt(arg, w, h);
	else
		return false;
	return true;
}

/* A single-planar capture format, as a driver's G_FMT fills it. */
static inline struct v4l2_format fake_pix(uint32_t fourcc, uint32_t w, uint32_t h,
					  uint32_t bpl, uint32_t sizeimage)
{
	struct v4l2_format vf;

	memset(&vf, 0, sizeof(vf));
	vf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	vf.fmt.pix.pixelformat = fourcc;
	vf.fmt.pix.width = w;
	vf.fmt.pix.height = h;
	vf.fmt.pix.bytesperline = bpl;
	vf.fmt.pix.sizeimage = sizeimage;
	return vf;
}

/* A fake device's buffer ioctls, REQBUFS to DQBUF (NULL: not one it has). */
struct fake_buf_ops {
	int (*reqbufs)(struct v4l2_requestbuffers *r);
	int (*querybuf)(struct v4l2_buffer *b);
	int (*qbuf)(struct v4l2_buffer *b);
	int (*dqbuf)(struct v4l2_buffer *b);
};

/*
 * Answer @req into *@ret when it is one of @ops' buffer ioctls (true):
 * the fake's own switch keeps only what is particular to that device.
 */
static inline bool fake_buf_ioctl(const struct fake_buf_ops *ops, unsigned long req,
				  void *arg, int *ret)
{
	int (*fn)(struct v4l2_buffer *b) = NULL;

	if (req == VIDIOC_REQBUFS && ops->reqbufs) {
		*ret = ops->reqbufs(arg);
		return true;
	}
	if (req == VIDIOC_QUERYBUF)
		fn = ops->querybuf;
	else if (req == VIDIOC_QBUF)
		fn = ops->qbuf;
	else if (req == VIDIOC_DQBUF)
		fn = ops->dqbuf;
	if (fn)
		*ret = fn(arg);
	return fn != NULL;
}

#if defined(FAKE_V4L2_SHIM) && defined(FAKE_V4L2_FD)
#error "FAKE_V4L2_SHIM or FAKE_V4L2_FD, not both: each interposes ioctl()"
#endif

#if defined(FAKE_V4L2_SHIM) || defined(FAKE_V4L2_FD)

#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The test's device: answer @req (with FAKE_V4L2_SHIM, fake_dev.lock held). */
static int fake_ioctl(unsigned long req, void *arg);
/* Is @fd the fake device? */
static inline bool is_fake(int fd);
/* fake_ioctl(), under the lock where there is one. */
static inline int fake_dev_ioctl(unsigned long req, void *arg);

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!is_fake(fd))
		return (int)syscall(SYS_ioctl, fd, req, arg);
	return fake_dev_ioctl(req, arg);
}

#endif

#ifdef FAKE_V4L2_FD

static int fake_fd = -1;

static inline bool is_fake(int fd)
{
	return fd >= 0 && fd == fake_fd;
}

static inline int fake_dev_ioctl(unsigned long req, void *arg)
{
	return fake_ioctl(req, arg);
}

#endif /* FAKE_V4L2_FD */

#ifdef FAKE_V4L2_SHIM

#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
	pthread_mutex_t lock;
	ino_t ino;		/* the fake's memfd (0: no fake yet) */
} fake_dev = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The test's device: what poll() says for @events (fake_dev.lock held). */
static short fake_revents(short events);

/* By inode: the library opens the memfd again through /proc/self/fd. */
static inline bool is_fake(int fd)
{
	struct stat st;

	return fake_dev.ino && fd >= 0 && !fstat(fd, &st) && st.st_ino == fake_dev.ino;
}

static inline int fake_dev_ioctl(unsigned long req, void *arg)
{
	int r;

	pthread_mutex_lock(&fake_dev.lock);
	r = fake_ioctl(req, arg);
	pthread_mutex_unlock(&fake_dev.lock);
	return r;
}

static inline short fake_poll_revents(short events)
{
	short r;

	pthread_mutex_lock(&fake_dev.lock);
	r = fake_revents(events);
	pthread_mutex_unlock(&fake_dev.lock);
	return r;
}

/* The fake is ready as fake_revents() says; other fds as the kernel says. */
int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct pollfd copy[8];
	short fake = 0;
	int r, f = -1;

	if (n > 8)
		return (int)syscall(SYS_poll, fds, n, timeout);
	memcpy(copy, fds, n * sizeof(*fds));
	for (nfds_t i = 0; i < n; i++) {
		if (is_fake(fds[i].fd)) {
			f = (int)i;
			copy[i].fd = -1;
			fake = fake_poll_revents(fds[i].events);
		}
	}
	r = (int)syscall(SYS_poll, copy, n, fake ? 0 : timeout);
	if (r < 0)
		return r;
	for (nfds_t i = 0; i < n; i++)
		fds[i].revents = (int)i == f ? fake : copy[i].revents;
	return r + (fake ? 1 : 0);
}

#endif /* FAKE_V4L2_SHIM */
#endif /* ZCAP_TESTS_FAKE_V4L2_H */
