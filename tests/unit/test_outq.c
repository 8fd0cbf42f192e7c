// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The V4L2 output queue in DMABUF mode on a fake device: ioctl() is
 * interposed for one fd (the library's objects are linked into this
 * program) to grant REQBUFS and accept S_FMT/QBUF/STREAMOFF, keeping the
 * last S_FMT and QBUF. Every sample held while queued is released at
 * streamoff, however many buffers the driver granted (Linux 6.8+ allows
 * more than VIDEO_MAX_FRAME). A compressed frame is queued as its bytes
 * used at its data offset, and its format with no bytesperline. A queue
 * released while other threads queue into it (a consumer stopped while
 * upstream runs) refuses them, the one waiting for a buffer included, and
 * gives every upstream buffer back; the consumer counts no error for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <zcap/error.h>

#define FAKE_V4L2_FD
#include "fake_v4l2.h"
#include "helpers.h"
#include "tap.h"
#include "core/filter_util.h"
#include "v4l2/v4l2_consumer.h"
#include "v4l2/v4l2_outq.h"

#define N_BUFS	(VIDEO_MAX_FRAME + 8)

static struct v4l2_format last_fmt;
static struct v4l2_buffer last_buf;
static struct v4l2_plane last_plane;

/* REQBUFS grants at most this (0: what is asked); DQBUF in QBUF order. */
static uint32_t grant_max;
static uint32_t fifo[N_BUFS], fifo_head, fifo_n;

/* A queueing call from another thread, and what it returned. */
struct late_queue {
	struct zcapi_outq *q;
	struct zcap_sample *s;
	int ret;
	uint64_t copied;
};

/* QBUFs since the last STREAMOFF: a release's must be the last word. */
static uint32_t qbufs_since_off;
/*
 * REQBUFS(0) takes this long (a driver freeing its buffers), and first
 * queues late's sample, as a receive arriving then in another thread
 * would: release holds no lock there.
 */
static int reqbufs0_ms;
static struct late_queue *late;

#define BUF_LEN 614400

static void querybuf(struct v4l2_buffer *b)
{
	if (V4L2_TYPE_IS_MULTIPLANAR(b->type)) {
		b->length = 1;
		b->m.planes[0].length = BUF_LEN;
		b->m.planes[0].m.mem_offset = b->index * BUF_LEN;
	} else {
		b->length = BUF_LEN;
		b->m.offset = b->index * BUF_LEN;
	}
}

static void keep_qbuf(const struct v4l2_buffer *b)
{
	last_buf = *b;
	if (V4L2_TYPE_IS_MULTIPLANAR(b->type))
		last_plane = b->m.planes[0];
	if (fifo_n < N_BUFS)
		fifo[(fifo_head + fifo_n++) % N_BUFS] = b->index;
	qbufs_since_off++;
}

static int fake_dqbuf(struct v4l2_buffer *b)
{
	if (!fifo_n || V4L2_TYPE_IS_MULTIPLANAR(b->type))
		return fake_fail(EAGAIN);
	b->index = fifo[fifo_head];
	fifo_head = (fifo_head + 1) % N_BUFS;
	fifo_n--;
	b->flags = 0;
	return 0;
}

static void fake_reqbufs(struct v4l2_requestbuffers *r)
{
	if (!r->count && late) {
		late->ret = zcapi_outq_queue(late->q, late->s, 0, &late->copied);
		late = NULL;
	}
	if (!r->count && reqbufs0_ms)
		usleep((useconds_t)reqbufs0_ms * 1000);
	if (grant_max && r->count > grant_max)
		r->count = grant_max;
	fifo_head = fifo_n = 0;
}

static int fake_ioctl(unsigned long req, void *arg)
{
	switch (req) {
	case VIDIOC_S_FMT:	/* take the format as asked */
		last_fmt = *(struct v4l2_format *)arg;
		return 0;
	case VIDIOC_QBUF:
		keep_qbuf(arg);
		return 0;
	case VIDIOC_QUERYBUF:	/* buffer i at i * BUF_LEN of the fake fd */
		querybuf(arg);
		return 0;
	case VIDIOC_DQBUF:
		return fake_dqbuf(arg);
	case VIDIOC_REQBUFS:
		fake_reqbufs(arg);
		return 0;
	case VIDIOC_STREAMOFF:
		fifo_head = fifo_n = 0;
		qbufs_since_off = 0;
		return 0;
	case VIDIOC_STREAMON:
		return 0;
	default:
		return fake_fail(ENOTTY);
	}
}

/* @count buffers of @size, committed: fake dma-bufs, or plain memory. */
static struct zcap_allocator *committed(bool memory, uint32_t count, uint64_t size)
{
	struct zcap_alloc_props p = props_1(count, size);
	struct zcap_allocator *a = NULL;

	if (memory)
		zcap_allocator_new_memory(&a);
	else
		fake_allocator(&a, NULL);
	zcap_allocator_set_properties(a, &p, NULL);
	zcap_allocator_commit(a);
	return a;
}

/* Each test's end: the queue, the fake device and the allocator let go. */
static void done(struct zcapi_outq *q, struct zcap_allocator *a)
{
	zcapi_outq_fini(q);
	close(fake_fd);
	zcap_allocator_decommit(a);
	zcap_allocator_unref(a);
}

static void test_many_held(void)
{
	struct zcap_allocator *a;
	struct zcap_sample *s;
	struct zcapi_outq q;
	char note[128] = "";
	uint32_t queued = 0;

	a = committed(false, N_BUFS, 4096);
	fake_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	zcapi_outq_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_OUTPUT);
	is(zcapi_outq_reqbufs(&q, true, N_BUFS, note, sizeof(note)), 0,
	   "REQBUFS(DMABUF, %u) granted", N_BUFS);
	ok(zcapi_outq_is_dmabuf(&q) && q.q.count == N_BUFS, "%u DMABUF buffers", q.q.count);
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
	done(&q, a);
}

static void *queue_waiting(void *arg)
{
	struct late_queue *lq = arg;

	lq->ret = zcapi_outq_queue(lq->q, lq->s, 5000, &lq->copied);
	return NULL;
}

/* Wait (up to 1 s) until a thread waits in @q for a free buffer. */
static bool waiter_in(struct zcapi_outq *q)
{
	uint32_t n = 0;

	for (int i = 0; i < 1000 && !n; i++) {
		usleep(1000);
		pthread_mutex_lock(&q->q.lock);
		n = q->q.waiters;
		pthread_mutex_unlock(&q->q.lock);
	}
	return n != 0;
}

/*
 * The device granted 2 buffers, upstream has 4: with both queued, a third
 * frame waits for one to come back, and after its timeout is a drop for
 * the caller to count (ZCAP_E_TIMEOUT), not an error that ends the graph
 * (-EBUSY, which it was).
 */
static void test_granted_fewer(void)
{
	struct zcap_allocator *a = committed(false, 4, 4096);
	struct zcap_sample *s[4] = { NULL };
	struct late_queue lq;
	struct zcapi_outq q;
	char note[128] = "";
	pthread_t t;

	fake_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	grant_max = 2;
	zcapi_outq_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_OUTPUT);
	zcapi_outq_reqbufs(&q, true, 4, note, sizeof(note));
	zcapi_outq_streamon(&q);
	for (int i = 0; i < 4; i++)
		zcap_allocator_get_buffer(a, 0, &s[i]);
	ok(q.q.count == 2 && !zcapi_outq_queue(&q, s[0], 0, NULL) &&
	   !zcapi_outq_queue(&q, s[1], 0, NULL), "2 granted, both queued");
	is(zcapi_outq_queue(&q, s[2], 100, NULL), ZCAP_E_TIMEOUT,
	   "a third frame, the device behind: a drop after 100 ms (ZCAP_E_TIMEOUT)");
	lq = (struct late_queue){ .q = &q, .s = s[3] };
	if (!ok(!pthread_create(&t, NULL, queue_waiting, &lq), "a fourth waits"))
		goto out;
	usleep(50 * 1000);
	is(zcapi_outq_dequeue(&q, NULL), 0, "the device gives a buffer back");
	pthread_join(t, NULL);
	is(lq.ret, 0, "the waiting frame is queued in its place");
out:
	zcapi_outq_streamoff(&q);
	for (int i = 0; i < 4; i++)
		zcap_sample_unref(s[i]);
	grant_max = 0;
	done(&q, a);
}

/* The fake device for the copy path: its buffers are a memfd's pages. */
static int fake_open(bool copy)
{
	int fd;

	if (!copy)
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	fd = memfd_create("fake-output", MFD_CLOEXEC);
	if (fd >= 0 && ftruncate(fd, 4 * BUF_LEN))
		tap_diag("ftruncate failed");
	return fd;
}

/*
 * A consumer stopped while upstream runs: 2 buffers granted and both
 * queued, a third frame waits for one in another thread, and the queue is
 * released (REQBUFS(0) slow, as a driver freeing its buffers is), a
 * fourth frame arriving meanwhile. The STREAMOFF freed every slot, but
 * neither frame may take one: the copy would write into a buffer release
 * unmaps (a crash), the import would leave its sample in a slot release
 * frees (its buffer never back upstream, a decommit never done). Both
 * are refused, ZCAP_E_WRONG_STATE.
 */
static void test_release_under_queue(bool copy)
{
	const char *k = copy ? "MMAP" : "DMABUF";
	struct zcap_allocator *a = committed(copy, 4, 4096);
	struct zcap_sample *s[4] = { NULL };
	struct late_queue w, lq;
	struct zcapi_outq q;
	char note[128] = "";
	uint64_t copied = 0;
	pthread_t t;

	fake_fd = fake_open(copy);
	grant_max = 2;
	zcapi_outq_init(&q, fake_fd, V4L2_BUF_TYPE_VIDEO_OUTPUT);
	zcapi_outq_reqbufs(&q, !copy, 4, note, sizeof(note));
	zcapi_outq_streamon(&q);
	for (int i = 0; i < 4; i++) {
		zcap_allocator_get_buffer(a, 0, &s[i]);
		zcap_sample_set_bytesused(s[i], 0, 4096);
	}
	ok(q.q.count == 2 && !zcapi_outq_queue(&q, s[0], 0, &copied) &&
	   !zcapi_outq_queue(&q, s[1], 0, &copied), "%s: 2 granted, both queued", k);
	w = (struct late_queue){ .q = &q, .s = s[2] };
	if (!ok(!pthread_create(&t, NULL, queue_waiting, &w), "%s: a third frame", k))
		goto out;
	ok(waiter_in(&q), "%s: it waits for a buffer", k);
	lq = (struct late_queue){ .q = &q, .s = s[3], .ret = 1 };
	late = &lq;
	reqbufs0_ms = 100;
	zcapi_outq_release(&q);
	reqbufs0_ms = 0;
	pthread_join(t, NULL);
	is(w.ret, ZCAP_E_WRONG_STATE, "%s: release wakes the waiting frame: refused", k);
	is(lq.ret, ZCAP_E_WRONG_STATE, "%s: a frame arriving during release: refused", k);
	is(qbufs_since_off, 0, "%s: no QBUF after the release's STREAMOFF", k);
out:
	late = NULL;
	for (int i = 0; i < 4; i++)
		zcap_sample_unref(s[i]);
	is(free_buffers(a, 4), 4, "%s: every upstream buffer back with its allocator", k);
	grant_max = 0;
	done(&q, a);
}

static void *consumer_waiting(void *arg)
{
	struct late_queue *lq = arg;
	struct zcapi_v4l2c *c = zcapi_container_of(lq->q, struct zcapi_v4l2c, oq);

	lq->ret = zcapi_v4l2c_queue(c, lq->s, 5000, 4096, "QBUF");
	return NULL;
}

static void count_event(struct zcap_filter *f, int err, void *data)
{
	(void)f;
	(void)err;
	++*(int *)data;
}

/*
 * The same seen from the filter (the output sink's or the encoder's
 * receive, past its streaming check when its stop began): the frame
 * refused because the queue was released meanwhile is neither an error
 * posted to the graph nor a drop, as a frame its streaming check refuses.
 */
static void test_consumer_stopped(void)
{
	struct zcap_allocator *a = committed(false, 4, 4096);
	struct zcapi_v4l2c c = { .who = "output", .evfd = -1 };
	struct zcap_sample *s[3] = { NULL };
	struct zcap_filter_stats st;
	struct late_queue w;
	char note[128] = "";
	int events = 0;
	pthread_t t;

	c.fd = fake_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	grant_max = 2;
	zcapi_v4l2c_setup(&c, V4L2_BUF_TYPE_VIDEO_OUTPUT);
	zcap_filter_new("consumer", NULL, NULL, &c.f);
	zcap_filter_set_event_handler(c.f, count_event, &events);
	zcapi_outq_reqbufs(&c.oq, true, 4, note, sizeof(note));
	zcapi_outq_streamon(&c.oq);
	for (int i = 0; i < 3; i++)
		zcap_allocator_get_buffer(a, 0, &s[i]);
	ok(!zcapi_v4l2c_queue(&c, s[0], 0, 4096, "QBUF") &&
	   !zcapi_v4l2c_queue(&c, s[1], 0, 4096, "QBUF"), "consumer: 2 frames queued");
	w = (struct late_queue){ .q = &c.oq, .s = s[2] };
	if (!ok(!pthread_create(&t, NULL, consumer_waiting, &w) && waiter_in(&c.oq),
		"consumer: a third waits for a buffer"))
		goto out;
	zcapi_outq_release(&c.oq);	/* its filter's stop */
	pthread_join(t, NULL);
	is(w.ret, ZCAP_E_WRONG_STATE, "consumer: stopped under it, the frame is refused");
	zcap_filter_get_stats(c.f, &st);
	ok(!events && !st.errors && !st.dropped && st.frames == 2,
	   "consumer: no error posted (%d) or counted (%llu), no drop (%llu)", events,
	   (unsigned long long)st.errors, (unsigned long long)st.dropped);
out:
	for (int i = 0; i < 3; i++)
		zcap_sample_unref(s[i]);
	grant_max = 0;
	zcapi_v4l2c_fini(&c);	/* closes the fake's fd */
	fake_fd = -1;
	zcap_filter_destroy(c.f);
	zcap_allocator_decommit(a);
	zcap_allocator_unref(a);
}

/* An MJPEG frame of @len bytes, @doff bytes into its buffer. */
static struct zcap_sample *jpeg(struct zcap_allocator *a,
				const struct zcap_format *f, uint32_t doff,
				uint32_t len)
{
	struct zcap_format sf = *f;
	struct zcap_sample *s;

	uint8_t *d;

	if (zcap_allocator_get_buffer(a, 0, &s))
		return NULL;
	/* SOI where the data starts, EOI where it ends. */
	zcap_sample_cpu_begin(s, ZCAP_ACCESS_WRITE);
	d = zcap_sample_data(s, 0);
	memset(d, 0xee, 614400);
	memcpy(d + doff, "\xff\xd8", 2);
	memcpy(d + doff + len - 2, "\xff\xd9", 2);
	zcap_sample_cpu_end(s);
	zcapi_fmt_add_data_offset(&sf, 0, doff);
	zcap_sample_set_format(s, &sf);
	zcap_sample_set_bytesused(s, 0, doff + len);
	return s;
}

/* The MJPEG format a USB camera gives, on an OUTPUT queue of @type. */
static void mjpeg_queue(struct zcapi_outq *q, uint32_t type, bool dmabuf,
			struct zcap_format *f)
{
	/* No bytesperline, as uvcvideo answers for MJPEG. */
	struct v4l2_format vf = fake_pix(V4L2_PIX_FMT_MJPEG, 640, 480, 0, 614400);
	char why[128] = "", note[128] = "";

	zcapi_fmt_from_v4l2(&vf, false, f);
	zcapi_outq_init(q, fake_fd, type);
	if (zcapi_outq_set_format(q, f, why, sizeof(why)))
		tap_diag("set_format: %s", why);
	zcapi_outq_reqbufs(q, dmabuf, 4, note, sizeof(note));
	zcapi_outq_streamon(q);
}

static void test_mjpeg_mplane(void)
{
	struct zcap_allocator *a;
	struct zcap_sample *s;
	struct zcap_format f;
	struct zcapi_outq q;

	a = committed(false, 4, 614400);
	fake_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	mjpeg_queue(&q, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, true, &f);
	is(last_fmt.fmt.pix_mp.plane_fmt[0].bytesperline, 0,
	   "S_FMT(MJPEG): no bytesperline for a bitstream");
	s = jpeg(a, &f, 128, 19000);
	is(zcapi_outq_queue(&q, s, 0, NULL), 0, "MJPEG frame at data offset 128 queued");
	ok(last_plane.data_offset == 128 && last_plane.bytesused == 128 + 19000,
	   "QBUF: data_offset 128, bytesused 19128 (V4L2 counts the offset)");
	ok(last_plane.length >= last_plane.bytesused,
	   "QBUF: the plane's length (the dma-buf's, %u) holds them: vb2 checks a multi-planar output plane against it",
	   last_plane.length);
	if (last_plane.data_offset != 128)
		tap_diag("data_offset %u bytesused %u", last_plane.data_offset,
			 last_plane.bytesused);
	zcap_sample_unref(s);
	done(&q, a);
}

static void test_mjpeg_single(void)
{
	struct zcap_allocator *a;
	struct zcap_sample *s;
	struct zcap_format f;
	struct zcapi_outq q;

	a = committed(false, 4, 614400);
	fake_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	mjpeg_queue(&q, V4L2_BUF_TYPE_VIDEO_OUTPUT, true, &f);
	is(last_fmt.fmt.pix.bytesperline, 0, "single-planar S_FMT(MJPEG): no bytesperline");
	s = jpeg(a, &f, 0, 19000);
	zcapi_outq_queue(&q, s, 0, NULL);
	is(last_buf.bytesused, 19000, "QBUF: bytesused 19000, not the buffer's size");
	zcap_sample_unref(s);
	s = jpeg(a, &f, 128, 19000);
	is(zcapi_outq_queue(&q, s, 0, NULL), -EINVAL,
	   "a data offset single-planar V4L2 cannot say is refused, not shown shifted");
	zcap_sample_unref(s);
	done(&q, a);
}

/* The copy path: the device's buffer starts with the JPEG itself. */
static void test_mjpeg_copy(void)
{
	struct zcap_allocator *a;
	struct zcap_sample *s;
	struct zcap_format f;
	struct zcapi_outq q;
	uint64_t copied = 0;
	uint8_t head[2] = { 0 }, tail[2] = { 0 };
	off_t at;

	a = committed(true, 4, 614400);
	fake_fd = memfd_create("fake-output", MFD_CLOEXEC);
	if (ftruncate(fake_fd, 4 * BUF_LEN))
		tap_diag("ftruncate failed");
	mjpeg_queue(&q, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, false, &f);
	s = jpeg(a, &f, 128, 19000);
	is(zcapi_outq_queue(&q, s, 0, &copied), 0, "MJPEG frame copied into an MMAP buffer");
	at = (off_t)last_buf.index * BUF_LEN;
	ok(pread(fake_fd, head, 2, at) == 2 && head[0] == 0xff && head[1] == 0xd8 &&
	   pread(fake_fd, tail, 2, at + 19000 - 2) == 2 && tail[1] == 0xd9,
	   "the copy starts at the data offset: SOI at 0, EOI at 18999");
	ok(copied == 19000 && last_plane.bytesused == 19000 && !last_plane.data_offset,
	   "19000 bytes copied and queued, no offset left");
	zcap_sample_unref(s);
	done(&q, a);
}

/*
 * Whether a receive may block, as an upstream filter asks before it
 * decides to call it from its own streaming thread: yes for the copy; for
 * DMABUF only when the device granted fewer indices than upstream has
 * buffers (then a frame waits for one, as test_granted_fewer() shows).
 */
static void can_block(const char *name, bool dmabuf, uint32_t grant, int want)
{
	static const struct zcap_input_pin_ops ops = {
		.receive_can_block = zcapi_v4l2c_receive_can_block,
	};
	struct zcap_allocator *a = committed(false, 4, 4096);
	struct zcapi_v4l2c c = { .who = "output", .evfd = -1 };
	struct zcap_pin *pin = NULL;
	char note[128] = "";

	c.fd = fake_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	grant_max = grant;
	zcapi_v4l2c_setup(&c, V4L2_BUF_TYPE_VIDEO_OUTPUT);
	zcap_filter_new("consumer", NULL, NULL, &c.f);
	zcap_pin_new_input(c.f, "in", &ops, &c, &pin);
	zcapi_allocator_set(&c.alloc, a);
	zcapi_outq_reqbufs(&c.oq, dmabuf, 4, note, sizeof(note));
	is(zcap_pin_receive_can_block(pin), want, "%s: receive %s (%u granted)", name,
	   want ? "may block" : "never blocks", c.oq.q.count);
	grant_max = 0;
	zcapi_v4l2c_fini(&c);	/* closes the fake's fd, drops the allocator */
	fake_fd = -1;
	zcap_filter_destroy(c.f);
	zcap_allocator_decommit(a);
	zcap_allocator_unref(a);
}

int main(void)
{
	test_many_held();
	test_mjpeg_mplane();
	test_mjpeg_single();
	test_mjpeg_copy();
	test_granted_fewer();
	test_release_under_queue(false);
	test_release_under_queue(true);
	test_consumer_stopped();
	can_block("DMABUF, an index per upstream buffer", true, 0, 0);
	can_block("DMABUF, 2 indices for 4 upstream buffers", true, 2, 1);
	can_block("MMAP, the copy", false, 0, 1);
	return tap_done();
}
