// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The V4L2 output queue in DMABUF mode on a fake device: ioctl() is
 * interposed for one fd (the library's objects are linked into this
 * program) to grant REQBUFS and accept QBUF/STREAMOFF. Every sample held
 * while queued is released at streamoff, however many buffers the driver
 * granted (Linux 6.8+ allows more than VIDEO_MAX_FRAME).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <zcap/error.h>

#include "helpers.h"
#include "tap.h"
#include "v4l2_outq.h"

#define N_BUFS	(VIDEO_MAX_FRAME + 8)

static int fake_fd = -1;

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != fake_fd || fd < 0)
		return (int)syscall(SYS_ioctl, fd, req, arg);
	switch (req) {
	case VIDIOC_REQBUFS:	/* grant what is asked */
	case VIDIOC_QBUF:
	case VIDIOC_STREAMON:
	case VIDIOC_STREAMOFF:
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

static void test_many_held(void)
{
	struct zcap_alloc_props p = props_1(N_BUFS, 4096);
	struct zcap_allocator *a;
	struct zcap_sample *s;
	struct zcapi_outq q;
	char note[128] = "";
	uint32_t queued = 0;

	fake_allocator(&a, NULL);
	zcap_allocator_set_properties(a, &p, NULL);
	zcap_allocator_commit(a);
	fake_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	zcapi_outq_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_OUTPUT);
	is(zcapi_outq_reqbufs(&q, true, N_BUFS, note, sizeof(note)), 0,
	   "REQBUFS(DMABUF, %u) granted", N_BUFS);
	ok(zcapi_outq_is_dmabuf(&q) && q.count == N_BUFS, "%u DMABUF buffers", q.count);
	zcapi_outq_streamon(&q);
	for (uint32_t i = 0; i < N_BUFS; i++) {
		if (zcap_allocator_get_buffer(a, 0, &s))
			break;
		if (!zcapi_outq_queue(&q, s, 0, NULL))
			queued++;
		zcap_sample_unref(s);
	}
	is(queued, N_BUFS, "every sample queued (held by the queue)");
	is(free_buffers(a, N_BUFS), 0, "none free while queued");
	zcapi_outq_streamoff(&q);
	is(zcapi_outq_queued(&q), 0, "streamoff: nothing queued");
	is(free_buffers(a, N_BUFS), N_BUFS, "every held sample released, past VIDEO_MAX_FRAME");
	zcapi_outq_fini(&q);
	close(fake_fd);
	zcap_allocator_decommit(a);
	zcap_allocator_unref(a);
}

int main(void)
{
	test_many_held();
	return tap_done();
}
