// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zcap-capture's sink (tools/capsink.c) and its PNG of the first frame.
 * The PNG used to be encoded inside receive(), holding the source's
 * thread and so the buffers the driver needed (frames dropped from a USB
 * camera). Now receive() hands a reference to a worker and returns. No
 * timing is measured: a gate in the worker's hook keeps the encoder from
 * starting, and receive() must return all the same, with the worker
 * holding the buffer until it has encoded. The PNG must be byte for byte
 * what the synchronous writer makes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <zcap/zcap.h>

#include "capsink.h"
#include "helpers.h"
#include "pngsnap.h"
#include "tap.h"

#define W 64
#define H 48

struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t test_thread;
	bool open, entered, on_test_thread;
};

/* Runs where the PNG is encoded, just before it is. */
static void gate_hook(void *arg)
{
	struct gate *g = arg;

	pthread_mutex_lock(&g->lock);
	g->entered = true;
	pthread_cond_broadcast(&g->cond);
	/* Inside receive() on our own thread waiting would never end. */
	if (pthread_equal(pthread_self(), g->test_thread))
		g->on_test_thread = true;
	while (!g->open && !g->on_test_thread)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void gate_wait_entered(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (!g->entered)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->open = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

struct rig {
	struct zcap_allocator *a;
	struct zcap_filter *src, *sink;
	struct zcap_pin *out, *in;
	struct zcap_capsink cs;
	char png[64], ref[64];
};

static int rig_init(struct rig *r, bool png)
{
	struct zcap_alloc_props p = props_1(2, W * H * 2);
	int ret;

	memset(r, 0, sizeof(*r));
	snprintf(r->png, sizeof(r->png), "/tmp/zcap-test-png.%d", (int)getpid());
	snprintf(r->ref, sizeof(r->ref), "/tmp/zcap-test-ref.%d", (int)getpid());
	zcap_allocator_new_memory(&r->a);
	zcap_allocator_set_properties(r->a, &p, NULL);
	zcap_allocator_commit(r->a);
	zcap_filter_new("src", NULL, NULL, &r->src);
	zcap_pin_new_output(r->src, "out", NULL, NULL, &r->out);
	r->cs.fd = -1;
	r->cs.png.path = png ? r->png : NULL;
	ret = zcap_capsink_new(&r->cs, &r->sink);
	if (ret < 0)
		return ret;
	r->in = zcap_filter_pin(r->sink, ZCAP_PIN_INPUT, 0);
	r->out->peer = r->in;
	r->in->peer = r->out;
	return zcap_filter_run(r->sink);
}

static void rig_fini(struct rig *r)
{
	zcap_capsink_png_finish(&r->cs);
	zcap_filter_destroy(r->sink);
	zcap_filter_destroy(r->src);
	zcap_allocator_decommit(r->a);
	zcap_allocator_unref(r->a);
	unlink(r->png);
	unlink(r->ref);
}

/* A YUYV frame with a gradient, so the PNG has something to show. */
static struct zcap_sample *yuyv_frame(struct rig *r)
{
	struct zcap_format f = { .fourcc = V4L2_PIX_FMT_YUYV, .width = W, .height = H };
	struct zcap_sample *s;
	uint8_t *d;

	if (zcap_allocator_get_buffer(r->a, 0, &s))
		return NULL;
	zcap_format_layout(&f, NULL);
	zcap_sample_set_format(s, &f);
	zcap_sample_cpu_begin(s, ZCAP_ACCESS_WRITE);
	d = zcap_sample_data(s, 0);
	for (uint32_t i = 0; i < W * H * 2; i++)
		d[i] = (uint8_t)(i % 2 ? 128 + (i / 2 % W) : 16 + (i / 2 / W) * 4);
	zcap_sample_cpu_end(s);
	return s;
}

static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *b = NULL;
	FILE *f = fopen(path, "rb");

	*len = 0;
	if (f && !fstat(fileno(f), &st) && (b = malloc((size_t)st.st_size + 1)))
		*len = fread(b, 1, (size_t)st.st_size, f);
	if (f)
		fclose(f);
	return b;
}

static bool same_files(const char *a, const char *b)
{
	size_t la, lb;
	char *da = slurp(a, &la), *db = slurp(b, &lb);
	bool same = da && db && la > 33 && la == lb && !memcmp(da, db, la);

	free(da);
	free(db);
	return same;
}

static void test_requirements(void)
{
	struct zcap_alloc_requirements req;
	struct rig r;

	rig_init(&r, true);
	zcap_pin_get_allocator_requirements(r.in, &req);
	is(req.held, 2, "with --png the sink asks for one buffer more (2 held)");
	rig_fini(&r);
	rig_init(&r, false);
	zcap_pin_get_allocator_requirements(r.in, &req);
	is(req.held, 1, "without, 1 as before");
	rig_fini(&r);
}

static void test_receive_does_not_wait(void)
{
	struct gate g = { .lock = PTHREAD_MUTEX_INITIALIZER,
			  .cond = PTHREAD_COND_INITIALIZER };
	struct zcap_sample *s;
	struct rig r;
	int ret;

	g.test_thread = pthread_self();
	is(rig_init(&r, true), 0, "sink with a PNG worker made");
	r.cs.png.before_encode = gate_hook;
	r.cs.png.hook_arg = &g;
	s = yuyv_frame(&r);
	zcap_png_write(r.ref, s, zcap_sample_format(s), r.cs.png.msg,
		       sizeof(r.cs.png.msg));

	ret = zcap_pin_receive(r.in, s);
	is(ret, 0, "receive returned while the encoder is held at its gate");
	ok(!g.on_test_thread, "the PNG is not encoded on the receiving thread");
	zcap_sample_unref(s);
	gate_wait_entered(&g);
	is(free_buffers(r.a, 2), 1,
	   "the worker holds the frame's buffer (a reference, not a copy)");
	gate_open(&g);
	zcap_capsink_png_finish(&r.cs);
	is(free_buffers(r.a, 2), 2, "encoded and joined: the buffer is back");
	ok(r.cs.png.taken && r.cs.png.done && r.cs.png.err == 0,
	   "the PNG was written (%s)", r.cs.png.msg[0] ? r.cs.png.msg : "no error");
	ok(same_files(r.png, r.ref),
	   "byte for byte the PNG the synchronous writer makes of the frame");
	rig_fini(&r);
}

/* The first frame only; later ones are not held. */
static void test_first_frame_only(void)
{
	struct zcap_sample *s;
	struct rig r;

	rig_init(&r, true);
	for (int i = 0; i < 3; i++) {
		s = yuyv_frame(&r);
		zcap_pin_receive(r.in, s);
		zcap_sample_unref(s);
	}
	zcap_capsink_png_finish(&r.cs);
	ok(r.cs.png.taken && r.cs.png.err == 0 && access(r.png, F_OK) == 0,
	   "three frames: one PNG");
	is(free_buffers(r.a, 2), 2, "every buffer back");
	rig_fini(&r);
}

/* No frame (an error, a signal, a disconnect before the first one). */
static void test_no_frame(void)
{
	struct rig r;

	rig_init(&r, true);
	zcap_capsink_png_finish(&r.cs);
	ok(!r.cs.png.taken && access(r.png, F_OK) != 0,
	   "no frame: the worker is joined, no PNG, 'no frame came' to report");
	zcap_capsink_png_finish(&r.cs);
	ok(!r.cs.png.started, "finishing twice is harmless");
	rig_fini(&r);
}

/*
 * A PNG that cannot be written removes only a file the writer made: the
 * path may be a link or a device (/dev/full). It used to remove whatever
 * the path named.
 */
static void test_png_write_fails(void)
{
	char link[64], err[256] = "";
	struct zcap_sample *s;
	struct stat st;
	struct rig r;

	rig_init(&r, false);
	snprintf(link, sizeof(link), "/tmp/zcap-test-full.%d", (int)getpid());
	unlink(link);
	if (!ok(symlink("/dev/full", link) == 0, "a link to /dev/full"))
		goto out;
	s = yuyv_frame(&r);
	is(zcap_png_write(link, s, zcap_sample_format(s), err, sizeof(err)), -ENOSPC,
	   "a PNG into /dev/full fails with ENOSPC (%s)", err);
	zcap_sample_unref(s);
	ok(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "and the link is still there");
	ok(stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode), "and so is /dev/full");
	unlink(link);
out:
	rig_fini(&r);
}

int main(void)
{
	test_requirements();
	test_receive_does_not_wait();
	test_first_frame_only();
	test_no_frame();
	test_png_write_fails();
	return tap_done();
}
