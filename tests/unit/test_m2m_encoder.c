// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The mem2mem encoder on a fake stateful encoder: ioctl() and poll() are
 * interposed (the library's objects are linked into this program) for the
 * fds of one memfd, which the encoder opens through /proc/self/fd. The
 * fake takes raw frames on OUTPUT and "encodes" each into the next queued
 * CAPTURE buffer (a marker, the frame's number, written into it: into the
 * dma-buf it was given, or into its own MMAP buffer), honours
 * V4L2_ENC_CMD_STOP with a buffer flagged LAST, and EPIPE after it. As
 * an older encoder it refuses V4L2_ENC_CMD_STOP (ENOTTY) and, like one
 * looking ahead, keeps its last two raw frames until asked to stop: they
 * come out coded 50 ms after the refused command (seen at the encoder
 * thread's next poll), flagged as nothing.
 *
 * Zero copy (both queues DMABUF: the raw frames' and the bitstream
 * allocator's dma-bufs), fewer CAPTURE buffers granted than the bitstream
 * allocator has (parked), the forced copy (both queues MMAP) and the
 * encoder without the drain command: every frame comes out coded and in
 * order, nothing is lost at stop, and every buffer of both allocators is
 * back after it.
 *
 * Unplugged mid-stream (every ioctl ENODEV, poll POLLERR | POLLHUP as V4L2
 * answers for a device no longer registered), with no frame to come: the
 * encoder's thread says so at once, once, ends the stream downstream and
 * leaves nothing for its stop to wait for.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <zcap/consumers.h>
#include <zcap/zcap.h>

#define FAKE_V4L2_SHIM
#include "fake_v4l2.h"
#include "helpers.h"
#include "tap.h"

#define W		64
#define H		48
#define RAW_SIZE	(W * H * 2)
#define CODED_SIZE	4096
#define CODED_BYTES	300
#define OUT_SPAN	8192	/* an OUTPUT MMAP buffer's place in the memfd: whole pages */
#define MAXB		16
#define FRAMES		10

struct fq {			/* one fake vb2 queue */
	uint32_t count, memory;
	bool streaming;
	uint32_t fifo[MAXB], n;	/* queued, in order */
	uint32_t done[MAXB], n_done;
	int fd[MAXB];		/* DMABUF: the dma-buf queued at each index */
	struct timeval ts[MAXB];
};

static struct {
	int mfd;
	uint32_t max_cap;	/* CAPTURE grants at most this */
	struct fq out, cap;
	uint32_t coded;		/* frames encoded */
	bool no_stop_cmd;	/* V4L2_ENC_CMD_STOP: ENOTTY */
	uint32_t lag;		/* raw frames kept back until a stop */
	bool stop, last_sent, last_dequeued;
	struct timespec stop_at;	/* CLOCK_MONOTONIC */
	uint32_t cap_flags[MAXB];
	bool gone;		/* unplugged */
} dev;

static struct fq *fq_of(uint32_t type)
{
	return V4L2_TYPE_IS_OUTPUT(type) ? &dev.out : &dev.cap;
}

static uint32_t fq_pop(uint32_t *v, uint32_t *n)
{
	uint32_t i = v[0];

	memmove(v, v + 1, --*n * sizeof(*v));
	return i;
}

/* Where CAPTURE MMAP buffer @i lives in the memfd. */
static off_t cap_offset(uint32_t i)
{
	return (off_t)MAXB * OUT_SPAN + (off_t)i * CODED_SIZE;
}

/* The coded frame: "F<n>" at the start of the CAPTURE buffer. */
static void write_coded(uint32_t i, uint32_t n)
{
	char mark[16];
	int len = snprintf(mark, sizeof(mark), "F%u", n);

	if (dev.cap.memory == V4L2_MEMORY_DMABUF)
		len = (int)pwrite(dev.cap.fd[i], mark, (size_t)len + 1, 0);
	else
		len = (int)pwrite(dev.mfd, mark, (size_t)len + 1, cap_offset(i));
	if (len < 0)
		tap_diag("writing the coded frame failed");
}

/* Frames kept back are encoded 50 ms after the stop command. */
static uint32_t kept_back(void)
{
	struct timespec now;
	int64_t ms;

	if (!dev.stop)
		return dev.lag;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - dev.stop_at.tv_sec) * 1000 +
	     (now.tv_nsec - dev.stop_at.tv_nsec) / 1000000;
	return ms < 50 ? dev.lag : 0;
}

/* Encode while both queues stream and have a buffer; LAST after a stop. */
static void process(void)
{
	uint32_t o, c;

	while (dev.out.streaming && dev.cap.streaming &&
	       dev.out.n > kept_back() && dev.cap.n) {
		o = fq_pop(dev.out.fifo, &dev.out.n);
		c = fq_pop(dev.cap.fifo, &dev.cap.n);
		write_coded(c, dev.coded++);
		dev.cap.ts[c] = dev.out.ts[o];
		dev.cap_flags[c] = V4L2_BUF_FLAG_KEYFRAME;
		dev.out.done[dev.out.n_done++] = o;
		dev.cap.done[dev.cap.n_done++] = c;
	}
	if (dev.stop && !dev.no_stop_cmd && !dev.out.n && dev.cap.n &&
	    !dev.last_sent) {
		c = fq_pop(dev.cap.fifo, &dev.cap.n);
		dev.cap_flags[c] = V4L2_BUF_FLAG_LAST;
		dev.cap.done[dev.cap.n_done++] = c;
		dev.last_sent = true;
	}
}

static int fake_enum_fmt(struct v4l2_fmtdesc *d)
{
	if (d->index)
		return fake_fail(EINVAL);
	d->pixelformat = V4L2_TYPE_IS_OUTPUT(d->type) ? V4L2_PIX_FMT_YUYV :
							  V4L2_PIX_FMT_FWHT;
	d->flags = V4L2_TYPE_IS_OUTPUT(d->type) ? 0 : V4L2_FMT_FLAG_COMPRESSED;
	return 0;
}

/* S_FMT takes what is asked; the coded side's size is fixed. */
static int fake_fmt(struct v4l2_format *f, bool set)
{
	if (V4L2_TYPE_IS_OUTPUT(f->type))
		return set ? 0 : fake_fail(EINVAL);
	f->fmt.pix.pixelformat = V4L2_PIX_FMT_FWHT;
	f->fmt.pix.width = W;
	f->fmt.pix.height = H;
	f->fmt.pix.bytesperline = 0;
	f->fmt.pix.sizeimage = CODED_SIZE;
	return 0;
}

static int fake_reqbufs(struct v4l2_requestbuffers *r)
{
	struct fq *q = fq_of(r->type);
	uint32_t max = V4L2_TYPE_IS_OUTPUT(r->type) || !dev.max_cap ? MAXB : dev.max_cap;

	memset(q, 0, sizeof(*q));
	q->memory = r->memory;
	r->count = r->count > max ? max : r->count;
	q->count = r->count;
	return 0;
}

static int fake_querybuf(struct v4l2_buffer *b)
{
	if (b->index >= fq_of(b->type)->count)
		return fake_fail(EINVAL);
	b->length = V4L2_TYPE_IS_OUTPUT(b->type) ? RAW_SIZE : CODED_SIZE;
	b->m.offset = V4L2_TYPE_IS_OUTPUT(b->type) ? b->index * OUT_SPAN :
						      (uint32_t)cap_offset(b->index);
	return 0;
}

static int fake_qbuf(struct v4l2_buffer *b)
{
	struct fq *q = fq_of(b->type);

	if (b->index >= q->count || b->memory != q->memory)
		return fake_fail(EINVAL);
	for (uint32_t i = 0; i < q->n; i++)
		if (q->fifo[i] == b->index)
			return fake_fail(EINVAL);
	q->fd[b->index] = b->memory == V4L2_MEMORY_DMABUF ? b->m.fd : -1;
	q->ts[b->index] = b->timestamp;
	q->fifo[q->n++] = b->index;
	process();
	return 0;
}

static int fake_dqbuf(struct v4l2_buffer *b)
{
	struct fq *q = fq_of(b->type);
	uint32_t i;

	if (!q->n_done)
		return fake_fail(q == &dev.cap && dev.last_dequeued ? EPIPE : EAGAIN);
	i = fq_pop(q->done, &q->n_done);
	b->index = i;
	b->timestamp = q->ts[i];
	b->flags = 0;
	b->bytesused = RAW_SIZE;
	b->length = RAW_SIZE;
	if (q == &dev.cap) {
		b->flags = dev.cap_flags[i];
		b->bytesused = b->flags & V4L2_BUF_FLAG_LAST ? 0 : CODED_BYTES;
		b->length = CODED_SIZE;
		b->sequence = i;
		dev.last_dequeued = b->flags & V4L2_BUF_FLAG_LAST;
	}
	return 0;
}

static int fake_stream(uint32_t type, bool on)
{
	struct fq *q = fq_of(type);

	q->streaming = on;
	if (!on) {
		q->n = 0;
		q->n_done = 0;
	}
	process();
	return 0;
}

static const struct fake_buf_ops buf_ops = {
	.reqbufs = fake_reqbufs,
	.querybuf = fake_querybuf,
	.qbuf = fake_qbuf,
	.dqbuf = fake_dqbuf,
};

static int fake_ioctl(unsigned long req, void *arg)
{
	int r;

	if (dev.gone)
		return fake_fail(ENODEV);
	if (fake_buf_ioctl(&buf_ops, req, arg, &r))
		return r;
	switch (req) {
	case VIDIOC_QUERYCAP:
		return fake_querycap(arg, "fake-enc", "",
				     V4L2_CAP_VIDEO_M2M | V4L2_CAP_STREAMING);
	case VIDIOC_ENUM_FMT:
		return fake_enum_fmt(arg);
	case VIDIOC_S_FMT:
	case VIDIOC_G_FMT:
		return fake_fmt(arg, req == VIDIOC_S_FMT);
	case VIDIOC_STREAMON:
	case VIDIOC_STREAMOFF:
		return fake_stream(*(uint32_t *)arg, req == VIDIOC_STREAMON);
	case VIDIOC_ENCODER_CMD:
		dev.stop = true;
		clock_gettime(CLOCK_MONOTONIC, &dev.stop_at);
		process();
		return dev.no_stop_cmd ? fake_fail(ENOTTY) : 0;
	default:
		return fake_fail(EINVAL);	/* G_CTRL, S_CTRL: no such control */
	}
}

/* The fake's readiness: POLLIN, a coded frame; POLLOUT, a raw one done. */
static short fake_revents(short events)
{
	short r = 0;

	if (dev.gone)
		return (short)((events & (POLLIN | POLLOUT)) | POLLERR | POLLHUP);
	process();
	if (dev.cap.n_done || (dev.last_dequeued && dev.cap.streaming))
		r |= POLLIN;
	if (dev.out.n_done)
		r |= POLLOUT;
	return r & events;
}

/* ---- upstream: raw frames; downstream: a sink that checks them --------- */

struct src {
	bool memory;			/* plain memory instead of dma-bufs */
	struct zcap_allocator *a;	/* the decided one */
};

static int src_enum(struct zcap_pin *pin, uint32_t i, struct zcap_format *f)
{
	(void)pin;
	if (i)
		return -ENOENT;
	memset(f, 0, sizeof(*f));
	f->fourcc = V4L2_PIX_FMT_YUYV;
	f->width = W;
	f->height = H;
	return zcap_format_layout(f, NULL);
}

static int src_decide(struct zcap_pin *pin, struct zcap_allocator *a,
		      const struct zcap_alloc_requirements *req,
		      const struct zcap_format *fmt, struct zcap_alloc_props *props)
{
	(void)pin;
	(void)a;
	return zcap_alloc_props_decide(req, fmt, 2, props);
}

static int src_own(struct zcap_pin *pin, struct zcap_allocator **out)
{
	struct src *s = zcap_pin_priv(pin);

	return s->memory ? zcap_allocator_new_memory(out) : fake_allocator(out, NULL);
}

static int src_decided(struct zcap_pin *pin, struct zcap_allocator *a)
{
	struct src *s = zcap_pin_priv(pin);

	s->a = zcap_allocator_ref(a);
	return 0;
}

static const struct zcap_output_pin_ops src_ops = {
	.enum_format = src_enum,
	.decide_buffer_size = src_decide,
	.own_allocator = src_own,
	.allocator_decided = src_decided,
};

struct sink {
	bool memory;
	struct zcap_allocator *a;	/* the one it proposed */
	uint32_t got, bad;
	struct zcap_sample *held;	/* the last frame, like a slow reader */
	atomic_int eos;
};

static int sink_propose(void *user, struct zcap_allocator **out)
{
	struct sink *k = user;
	int r = k->memory ? zcap_allocator_new_memory(out) : fake_allocator(out, NULL);

	if (!r)
		k->a = zcap_allocator_ref(*out);
	return r;
}

/* Frame n must say "F<n>" where its format says the data starts. */
static int sink_receive(void *user, struct zcap_sample *s, struct zcap_sink_frame *fr)
{
	struct sink *k = user;
	const struct zcap_format *f = zcap_sample_format(s);
	const char *d;
	char want[16];

	(void)fr;
	snprintf(want, sizeof(want), "F%u", k->got++);
	zcap_sample_cpu_begin(s, ZCAP_ACCESS_READ);
	d = zcap_sample_data(s, 0);
	if (!d || !f || strcmp(d + f->planes[0].offset, want) ||
	    f->planes[0].size != CODED_BYTES)
		k->bad++;
	zcap_sample_cpu_end(s);
	zcap_sample_unref(k->held);
	k->held = zcap_sample_ref(s);
	return 0;
}

static int sink_eos(void *user)
{
	struct sink *k = user;

	atomic_fetch_add(&k->eos, 1);
	return 0;
}

/* It keeps the last frame: held 1, as it says. */
static const struct zcap_sink_ops sink_ops = {
	.propose_allocator = sink_propose,
	.receive = sink_receive,
	.end_of_stream = sink_eos,
};
static const struct zcap_sink_config sink_cfg = { .name = "sink", .held = 1 };

static void dev_reset(uint32_t max_cap, bool no_stop_cmd)
{
	struct stat st;

	pthread_mutex_lock(&fake_dev.lock);
	memset(&dev.out, 0, sizeof(dev.out));
	memset(&dev.cap, 0, sizeof(dev.cap));
	dev.coded = 0;
	dev.stop = dev.last_sent = dev.last_dequeued = dev.gone = false;
	dev.max_cap = max_cap;
	dev.no_stop_cmd = no_stop_cmd;
	dev.lag = no_stop_cmd ? 2 : 0;
	dev.mfd = memfd_create("fake-encoder", MFD_CLOEXEC);
	if (ftruncate(dev.mfd, (off_t)MAXB * (OUT_SPAN + CODED_SIZE)))
		tap_diag("ftruncate failed");
	fstat(dev.mfd, &st);
	fake_dev.ino = st.st_ino;
	pthread_mutex_unlock(&fake_dev.lock);
}

/* Frames @from to @to - 1 into the encoder; the first failure. */
static int feed_frames(struct zcap_filter *enc, struct src *src, uint32_t from,
		       uint32_t to)
{
	struct zcap_pin *in = zcap_filter_pin(enc, ZCAP_PIN_INPUT, 0);
	struct zcap_sample *s;
	int r = 0;

	for (uint32_t i = from; i < to && !r; i++) {
		r = zcap_allocator_get_buffer(src->a, 2000, &s);
		if (r)
			break;
		zcap_sample_set_time(s, 1000000 * (int64_t)(i + 1));
		r = zcap_pin_receive(in, s);
		zcap_sample_unref(s);
	}
	return r;
}

/* Feed FRAMES raw frames, stop: all must come out coded, in order. */
static void feed(const char *name, struct zcap_filter *enc, struct src *src)
{
	is(feed_frames(enc, src, 0, FRAMES), 0, "%s: %u raw frames taken", name,
	   FRAMES);
	is(zcap_filter_stop(enc), 0, "%s: stopped (drained %s)", name,
	   dev.no_stop_cmd ? "by waiting, V4L2_ENC_CMD_STOP refused" :
	   "with V4L2_ENC_CMD_STOP");
}

/* The encoder's log, every line appended. */
static struct log_text enc_log;

/* The fake encoder between a raw source and a sink that checks. */
struct rig {
	struct src src;
	struct sink sink;
	struct zcap_filter *enc, *srcf, *sinkf;
};

/* Build, connect, commit and run the rig; false (said) when it failed. */
static bool rig_start(struct rig *g, const char *name, uint32_t flags,
		      uint32_t max_cap, bool memory, bool no_stop_cmd)
{
	struct zcap_m2m_encoder_config cfg = { .flags = flags };
	struct zcap_pin *src_out, *sink_in;
	char path[64];
	int r;

	memset(g, 0, sizeof(*g));
	g->src.memory = g->sink.memory = memory;
	dev_reset(max_cap, no_stop_cmd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", dev.mfd);
	cfg.device = path;
	r = zcap_m2m_encoder_new(&cfg, &g->enc);
	if (!is(r, 0, "%s: the fake encoder opens", name))
		return false;
	enc_log.buf[0] = '\0';
	zcap_filter_set_log(g->enc, ZCAP_LOG_INFO, log_append, &enc_log);
	zcap_filter_new("src", NULL, NULL, &g->srcf);
	zcap_pin_new_output(g->srcf, "out", &src_ops, &g->src, &src_out);
	zcap_sink_new(&sink_cfg, &sink_ops, &g->sink, &g->sinkf);
	sink_in = zcap_filter_pin(g->sinkf, ZCAP_PIN_INPUT, 0);
	r = zcap_pin_connect(src_out, zcap_filter_pin(g->enc, ZCAP_PIN_INPUT, 0), NULL);
	if (!r)
		r = zcap_pin_connect(zcap_filter_pin(g->enc, ZCAP_PIN_OUTPUT, 0), sink_in, NULL);
	if (!r)
		r = zcap_allocator_commit(g->src.a);
	if (!r)
		r = zcap_filter_run(g->sinkf);
	if (!r)
		r = zcap_filter_run(g->enc);
	return is(r, 0, "%s: connected and running", name);
}

static void rig_end(struct rig *g)
{
	zcap_sample_unref(g->sink.held);
	zcap_filter_destroy(g->enc);
	zcap_filter_destroy(g->srcf);
	zcap_filter_destroy(g->sinkf);
	zcap_allocator_unref(g->src.a);
	zcap_allocator_unref(g->sink.a);
	close(dev.mfd);
	fake_dev.ino = 0;
}

static void run_encoder(const char *name, uint32_t flags, uint32_t max_cap,
			bool memory, bool no_stop_cmd)
{
	struct zcap_filter_stats st;
	struct rig g;

	if (!rig_start(&g, name, flags, max_cap, memory, no_stop_cmd))
		goto out;
	ok(dev.cap.count && dev.cap.n == dev.cap.count,
	   "%s: every CAPTURE buffer granted is queued (%u of %u)", name,
	   dev.cap.n, dev.cap.count);
	feed(name, g.enc, &g.src);
	ok(strstr(enc_log.buf, "on the OUTPUT queue: ") &&
	   strstr(enc_log.buf, "on the CAPTURE queue: "),
	   "%s: both queues' REQBUFS grants are logged", name);
	ok(g.sink.got == FRAMES && !g.sink.bad && dev.coded == FRAMES,
	   "%s: %u coded frames downstream, in order, each its own bytes (%u got, %u bad)",
	   name, FRAMES, g.sink.got, g.sink.bad);
	zcap_filter_get_stats(g.enc, &st);
	if ((flags & ZCAP_CONSUMER_FORCE_COPY) || memory)
		ok(st.bytes_copied == (uint64_t)FRAMES * (RAW_SIZE + CODED_BYTES),
		   "%s: raw frames and coded frames copied, and counted (%llu)", name,
		   (unsigned long long)st.bytes_copied);
	else
		ok(st.bytes_copied == 0 && st.bytes == (uint64_t)FRAMES * CODED_BYTES,
		   "%s: zero copy: no byte copied, %u coded bytes", name,
		   FRAMES * CODED_BYTES);
	zcap_sample_unref(g.sink.held);
	g.sink.held = NULL;
	ok(zcap_allocator_outstanding(g.src.a) == 0 &&
	   zcap_allocator_outstanding(g.sink.a) == 0,
	   "%s: every raw and every bitstream buffer back", name);
	if (no_stop_cmd)
		ok(strstr(st.note, "V4L2_ENC_CMD_STOP: ") &&
		   strstr(st.note, "waiting for the 10 frames queued"),
		   "%s: the note says how it drained: %s", name, st.note);
out:
	rig_end(&g);
}

/* What the encoder posted: how many events, the first. */
struct events {
	atomic_int n;
	atomic_int first;
};

static void on_event(struct zcap_filter *f, int err, void *data)
{
	struct events *ev = data;

	(void)f;
	if (atomic_fetch_add(&ev->n, 1) == 0)
		atomic_store(&ev->first, err);
}

/* Until @ev has an event, at most 3 s (a bound, not a measure). */
static void wait_event(struct events *ev)
{
	for (int i = 0; i < 300 && !atomic_load(&ev->n); i++)
		usleep(10000);
}

static void run_unplug(const char *name, uint32_t flags)
{
	struct events ev = { 0 };
	struct zcap_filter_stats st;
	struct rig g;
	char path[64];

	if (!rig_start(&g, name, flags, 0, false, false))
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", dev.mfd);
	zcap_filter_set_event_handler(g.enc, on_event, &ev);
	is(feed_frames(g.enc, &g.src, 0, 3), 0, "%s: 3 raw frames taken", name);
	pthread_mutex_lock(&fake_dev.lock);
	dev.gone = true;
	pthread_mutex_unlock(&fake_dev.lock);
	wait_event(&ev);
	is(atomic_load(&ev.first), ZCAP_E_DISCONNECTED,
	   "%s: unplugged, with no frame to come: the encoder says so (%s)",
	   name, zcap_strerror(atomic_load(&ev.first)));
	zcap_filter_get_stats(g.enc, &st);
	ok(strstr(st.note, path) && strstr(st.note, "disconnected") &&
	   st.last_error == ZCAP_E_DISCONNECTED,
	   "%s: the note names the device: %s", name, st.note);
	ok(atomic_load(&g.sink.eos) == 1,
	   "%s: the stream ended downstream, without a stop (%d)", name,
	   atomic_load(&g.sink.eos));
	is(feed_frames(g.enc, &g.src, 3, 4), ZCAP_E_DISCONNECTED,
	   "%s: a frame after it: ZCAP_E_DISCONNECTED", name);
	is(zcap_filter_stop(g.enc), 0, "%s: stopped", name);
	ok(atomic_load(&ev.n) == 1, "%s: said once (%d events)", name,
	   atomic_load(&ev.n));
	zcap_sample_unref(g.sink.held);
	g.sink.held = NULL;
	ok(zcap_allocator_outstanding(g.src.a) == 0 &&
	   zcap_allocator_outstanding(g.sink.a) == 0,
	   "%s: every raw and every bitstream buffer back", name);
out:
	rig_end(&g);
}

int main(void)
{
	run_encoder("zero copy", 0, 0, false, false);
	run_encoder("3 CAPTURE buffers for 5", 0, 3, false, false);
	run_encoder("forced copy", ZCAP_CONSUMER_FORCE_COPY, 0, false, false);
	run_encoder("plain memory", 0, 0, true, false);
	run_encoder("no drain command", 0, 0, false, true);
	run_encoder("no drain command, forced copy", ZCAP_CONSUMER_FORCE_COPY,
		    0, false, true);
	run_unplug("unplugged", 0);
	run_unplug("unplugged, forced copy", ZCAP_CONSUMER_FORCE_COPY);
	return tap_done();
}
