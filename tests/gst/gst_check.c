// SPDX-License-Identifier: GPL-2.0
/*
 * What gst-launch-1.0 cannot show, for tests/vm/suites/gst.sh:
 *
 *   gst_check hold DEV      zcapsrc ! appsink: hold 4 buffers, take the
 *                           pipeline to NULL, read them after (same bytes,
 *                           still zcap memory), then let them go
 *   gst_check renegotiate DEV   run, stop, run again with other caps:
 *                           the buffers follow the new caps
 *   gst_check alloc         GstZcapAllocator on its own: a dma-buf per
 *                           gst_allocator_alloc(), written and read back
 *   gst_check hoard DEV     an appsink that keeps every buffer it is given,
 *                           more than zcapsrc has: frames keep coming (as
 *                           copies once the device is down to one buffer)
 *   gst_check hoard-many DEV    the same with extra-buffers=32: more
 *                           buffers than the driver may grant
 *   gst_check pool-shared   zcappool's pool at most 2 buffers: a buffer
 *                           dropped because a copy shares its memory costs
 *                           one zcap buffer more, not hundreds
 *   gst_check cache DEV     zcapsrc's buffers come round again (the same
 *                           GstBuffer for the same zcap buffer), and a
 *                           zcap buffer whose memory a copy still shares
 *                           is not captured into until the copy is gone
 *   gst_check clock DEV     timestamps on the system clock and on two
 *                           calibrated ones (a network clock's kind): PTS
 *                           increasing, just behind the clock's running time
 *   gst_check reconfigure DEV   RECONFIGURE with caps unchanged in PLAYING:
 *                           the device keeps streaming (no new pool, the
 *                           V4L2 sequence goes on)
 *   gst_check caps-change DEV   new caps in PLAYING: the device restarts and
 *                           the first buffer in the new caps is DISCONT
 *   gst_check source-change DEV  the signal at vivid's input changes in
 *                           PLAYING (V4L2_EVENT_SOURCE_CHANGE, sent when
 *                           its Colorspace control changes): zcapsrc
 *                           negotiates again and streams on, no error, the
 *                           first buffer after the restart DISCONT
 *
 * Each prints what it saw and "result ok", or "fail: why" and exits 1.
 * The suite reads zcap.ko's debugfs around it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <zcap/sample.h>

#include <zcap/gst.h>

#include "zcap_stats.h"

#define HELD 4

static int fail(const char *why)
{
	printf("fail: %s\n", why);
	return 1;
}

static GstElement *pipeline(const char *dev, const char *caps)
{
	/*
	 * The application holds HELD buffers besides what the pipeline does:
	 * it says so (extra-buffers), or the device runs out of buffers.
	 */
	char *desc = g_strdup_printf("zcapsrc name=src device=%s extra-buffers=%d ! "
				     "capsfilter name=caps caps=%s ! "
				     "appsink name=sink sync=false max-buffers=%d",
				     dev, HELD, caps, HELD + 2);
	GError *err = NULL;
	GstElement *p = gst_parse_launch(desc, &err);

	g_free(desc);
	if (!p) {
		printf("parse: %s\n", err->message);
		g_error_free(err);
	}
	return p;
}

static GstSample *pull(GstElement *p)
{
	GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "sink");
	GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 20 * GST_SECOND);

	gst_object_unref(sink);
	return s;
}

static gboolean same_bytes(GstBuffer *a, GstBuffer *b)
{
	GstMapInfo ma, mb;
	gboolean same;

	if (!gst_buffer_map(a, &ma, GST_MAP_READ))
		return FALSE;
	if (!gst_buffer_map(b, &mb, GST_MAP_READ)) {
		gst_buffer_unmap(a, &ma);
		return FALSE;
	}
	same = ma.size == mb.size && !memcmp(ma.data, mb.data, ma.size);
	gst_buffer_unmap(b, &mb);
	gst_buffer_unmap(a, &ma);
	return same;
}

/* Hold HELD samples across PLAYING -> NULL; the first frame's copy to compare. */
static int check_hold(const char *dev)
{
	GstElement *p = pipeline(dev, "video/x-raw,format=YUY2,width=320,height=180,framerate=30/1");
	GstSample *held[HELD];
	GstBuffer *first = NULL;
	int i, ret = 0;

	if (!p)
		return fail("no pipeline");
	gst_element_set_state(p, GST_STATE_PLAYING);
	for (i = 0; i < HELD; i++) {
		held[i] = pull(p);
		if (!held[i])
			break;
	}
	if (i < HELD) {
		gst_element_set_state(p, GST_STATE_NULL);
		gst_object_unref(p);
		return fail("fewer samples than asked");
	}
	first = gst_buffer_copy_deep(gst_sample_get_buffer(held[0]));
	gst_element_set_state(p, GST_STATE_NULL);
	gst_object_unref(p);
	printf("pipeline at NULL, %d buffers held\n", HELD);
	fflush(stdout);
	/* The suite reads debugfs now: the held buffers are still there. */
	if (getenv("ZCAP_GST_HOLD_FILE")) {
		FILE *f = fopen(getenv("ZCAP_GST_HOLD_FILE"), "w");

		if (f)
			fclose(f);
		g_usleep(G_USEC_PER_SEC);
	}
	for (i = 0; i < HELD; i++) {
		GstBuffer *b = gst_sample_get_buffer(held[i]);

		if (!gst_is_zcap_memory(gst_buffer_peek_memory(b, 0)) ||
		    !gst_is_dmabuf_memory(gst_buffer_peek_memory(b, 0)))
			ret = fail("a held buffer is not zcap dma-buf memory");
		else if (!same_bytes(b, first))
			ret = fail("a held buffer changed after NULL");
	}
	for (i = 0; i < HELD; i++)
		gst_sample_unref(held[i]);
	gst_buffer_unref(first);
	if (!ret)
		printf("held buffers read back after NULL: same bytes, zcap dma-buf memory\nresult ok\n");
	return ret;
}

/* Run with @caps, pull 3, check each buffer's size and meta against them. */
static int run_with(GstElement *p, const char *caps_str)
{
	GstElement *cf = gst_bin_get_by_name(GST_BIN(p), "caps");
	GstCaps *caps = gst_caps_from_string(caps_str);
	GstVideoInfo info;
	int ret = 0;

	gst_video_info_from_caps(&info, caps);
	g_object_set(cf, "caps", caps, NULL);
	gst_object_unref(cf);
	gst_caps_unref(caps);
	gst_element_set_state(p, GST_STATE_PLAYING);
	for (int i = 0; i < 3 && !ret; i++) {
		GstSample *s = pull(p);
		GstBuffer *b = s ? gst_sample_get_buffer(s) : NULL;
		GstVideoMeta *vm = b ? gst_buffer_get_video_meta(b) : NULL;

		if (!s)
			ret = fail("no sample");
		else if (!vm || vm->width != (guint)info.width || vm->height != (guint)info.height ||
			 vm->format != GST_VIDEO_INFO_FORMAT(&info) ||
			 gst_buffer_get_size(b) < GST_VIDEO_INFO_SIZE(&info))
			ret = fail("a buffer does not match the caps");
		else if (i == 0)
			printf("%s: %ux%u %s, %zu bytes\n", caps_str, vm->width, vm->height,
			       gst_video_format_to_string(vm->format), gst_buffer_get_size(b));
		if (s)
			gst_sample_unref(s);
	}
	gst_element_set_state(p, GST_STATE_NULL);
	return ret;
}

static int check_renegotiate(const char *dev)
{
	GstElement *p = pipeline(dev, "video/x-raw,format=YUY2,width=320,height=180");
	int ret;

	if (!p)
		return fail("no pipeline");
	ret = run_with(p, "video/x-raw,format=YUY2,width=320,height=180,framerate=30/1");
	if (!ret)
		ret = run_with(p, "video/x-raw,format=NV12,width=640,height=360,framerate=30/1");
	if (!ret)
		ret = run_with(p, "video/x-raw,format=YUY2,width=320,height=180,framerate=30/1");
	gst_object_unref(p);
	if (!ret)
		printf("result ok\n");
	return ret;
}

#define CACHE_FRAMES 24

/* The zcap buffer (its sample's index) behind @b's first memory; -1: not zcap. */
static int zcap_index(GstBuffer *b)
{
	struct zcap_sample *zs = gst_zcap_memory_get_sample(gst_buffer_peek_memory(b, 0));

	return zs ? (int)zcap_sample_index(zs) : -1;
}

/*
 * CACHE_FRAMES frames, each buffer marked (qdata) and released, while
 * @kept (>= 0) is the index a copy still holds: it must not come. Returns
 * how many buffers carried the mark already, or -1 on failure.
 */
static int cache_round(GstElement *p, GQuark mark, int kept, int *kept_seen)
{
	int marked = 0;

	for (int i = 0; i < CACHE_FRAMES; i++) {
		GstSample *s = pull(p);
		GstBuffer *b = s ? gst_sample_get_buffer(s) : NULL;
		int idx = b ? zcap_index(b) : -1;

		if (idx < 0) {
			if (s)
				gst_sample_unref(s);
			fail("no zcap buffer");
			return -1;
		}
		if (idx == kept)
			++*kept_seen;
		if (gst_mini_object_get_qdata(GST_MINI_OBJECT(b), mark))
			marked++;
		gst_mini_object_set_qdata(GST_MINI_OBJECT(b), mark, GINT_TO_POINTER(1), NULL);
		gst_sample_unref(s);
	}
	return marked;
}

static int check_cache(const char *dev)
{
	GstElement *p = pipeline(dev, "video/x-raw,format=YUY2,width=320,height=180,framerate=30/1");
	GQuark mark = g_quark_from_static_string("gst-check-mark");
	int kept, seen = 0, again = 0, marked, ret = 1;
	GstSample *first;
	GstBuffer *copy;

	if (!p)
		return fail("no pipeline");
	gst_element_set_state(p, GST_STATE_PLAYING);
	first = pull(p);
	if (!first || (kept = zcap_index(gst_sample_get_buffer(first))) < 0) {
		fail("no first zcap buffer");
		goto out;
	}
	/* A shallow copy shares the memories: their zcap buffer stays ours. */
	copy = gst_buffer_copy(gst_sample_get_buffer(first));
	gst_mini_object_set_qdata(GST_MINI_OBJECT(gst_sample_get_buffer(first)), mark,
				  GINT_TO_POINTER(1), NULL);
	gst_sample_unref(first);
	first = NULL;
	marked = cache_round(p, mark, kept, &seen);
	gst_buffer_unref(copy);
	if (marked < 0)
		goto out;
	if (seen) {
		fail("a zcap buffer was captured into while a copy shared its memory");
		goto out;
	}
	printf("%d frames while a copy held zcap buffer %d: not one into it\n",
	       CACHE_FRAMES, kept);
	marked = cache_round(p, mark, kept, &again);
	if (marked < 0)
		goto out;
	printf("then %d frames: zcap buffer %d came %d time(s); %d of %d were GstBuffers of a frame before\n",
	       CACHE_FRAMES, kept, again, marked, CACHE_FRAMES);
	if (!again)
		fail("the copied zcap buffer never came back");
	else if (marked != CACHE_FRAMES)
		fail("a buffer was made anew for a zcap buffer seen before");
	else
		ret = 0;
out:
	if (first)
		gst_sample_unref(first);
	gst_element_set_state(p, GST_STATE_NULL);
	gst_object_unref(p);
	if (!ret)
		printf("result ok\n");
	return ret;
}

/*
 * Keep @extra + 12 samples, never letting one go until the end; zcapsrc
 * asked for @extra buffers beyond what it needs. With 32, its allocator
 * has more buffers than vb2 grants before 6.8 (32 in all): the device
 * runs dry with allocator buffers idle, which zcapsrc must see by the
 * grant, not by the allocator's count.
 */
static int check_hoard(const char *dev, guint extra)
{
	char *desc = g_strdup_printf("zcapsrc device=%s extra-buffers=%u ! "
				     "video/x-raw,format=YUY2,width=320,height=180,"
				     "framerate=30/1 ! appsink name=sink sync=false max-buffers=0",
				     dev, extra);
	GstElement *p = gst_parse_launch(desc, NULL);
	guint keep = extra + 12;
	GstSample **kept = g_new0(GstSample *, keep);
	int n, zcap = 0, ret = 1;

	g_free(desc);
	if (!p) {
		g_free(kept);
		return fail("no pipeline");
	}
	gst_element_set_state(p, GST_STATE_PLAYING);
	for (n = 0; n < (int)keep; n++) {
		GstBuffer *b;

		kept[n] = pull(p);
		if (!kept[n])
			break;
		b = gst_sample_get_buffer(kept[n]);
		zcap += gst_is_zcap_memory(gst_buffer_peek_memory(b, 0));
	}
	printf("%d of %u frames while every one was kept (extra-buffers=%u): %d zcap dma-bufs, %d copies\n",
	       n, keep, extra, zcap, n - zcap);
	if (n < (int)keep)
		fail("capture stopped: every buffer held downstream");
	else if (!zcap || zcap == n)
		fail("expected zero copy first, then copies");
	else
		ret = 0;
	gst_element_set_state(p, GST_STATE_NULL);
	gst_object_unref(p);
	while (n--)
		gst_sample_unref(kept[n]);
	g_free(kept);
	if (!ret)
		printf("result ok\n");
	return ret;
}

#define CLOCK_FRAMES 10

/*
 * CLOCK_FRAMES buffers of a pipeline on @clock (NULL: its own, the system
 * clock). Each PTS is after the last, and at most a second before the
 * running time of the clock when it is pulled (the appsink's queue, at 30
 * fps, is 200 ms), never after it: vivid stamps frames some ms ahead of
 * CLOCK_MONOTONIC, and a frame is not captured in the future.
 */
static int clock_run(const char *dev, GstClock *clock, const char *what)
{
	GstElement *p = pipeline(dev, "video/x-raw,format=YUY2,width=320,height=180,framerate=30/1");
	GstClockTime pts, now, first = 0, last = GST_CLOCK_TIME_NONE, lag = 0;
	GstClock *c;
	int ret = 0;

	if (!p)
		return fail("no pipeline");
	if (clock)
		gst_pipeline_use_clock(GST_PIPELINE(p), clock);
	gst_element_set_state(p, GST_STATE_PLAYING);
	for (int i = 0; i < CLOCK_FRAMES && !ret; i++) {
		GstSample *s = pull(p);

		if (!s) {
			ret = fail("no sample");
			break;
		}
		c = gst_element_get_clock(p);
		now = gst_clock_get_time(c) - gst_element_get_base_time(p);
		gst_object_unref(c);
		pts = GST_BUFFER_PTS(gst_sample_get_buffer(s));
		gst_sample_unref(s);
		if (i == 0)
			first = pts;
		if (!GST_CLOCK_TIME_IS_VALID(pts) ||
		    (GST_CLOCK_TIME_IS_VALID(last) && pts <= last)) {
			printf("%s: buffer %d's PTS %" GST_TIME_FORMAT " after %" GST_TIME_FORMAT "\n",
			       what, i, GST_TIME_ARGS(pts), GST_TIME_ARGS(last));
			ret = fail("PTS not increasing");
		} else if (pts > now || now - pts > GST_SECOND) {
			printf("%s: buffer %d's PTS %" GST_TIME_FORMAT ", the clock's running time %"
			       GST_TIME_FORMAT "\n", what, i, GST_TIME_ARGS(pts),
			       GST_TIME_ARGS(now));
			ret = fail("PTS not within the second before the clock's running time");
		}
		lag = MAX(lag, now - pts);
		last = pts;
	}
	if (!ret)
		printf("%s: PTS %" GST_TIME_FORMAT " to %" GST_TIME_FORMAT ", at most %"
		       G_GUINT64_FORMAT " ms behind the clock\n", what, GST_TIME_ARGS(first),
		       GST_TIME_ARGS(last), lag / GST_MSECOND);
	gst_element_set_state(p, GST_STATE_NULL);
	gst_object_unref(p);
	return ret;
}

/*
 * A system clock calibrated as a network clock is (GstNetClientClock,
 * GstPtpClock: GstSystemClocks that run on CLOCK_MONOTONIC underneath):
 * its time is not CLOCK_MONOTONIC's. One runs 100 s ahead of it; the
 * other starts at 0 now, behind it by the VM's uptime.
 */
static GstClock *calibrated_clock(gboolean ahead)
{
	GstClock *c = g_object_new(GST_TYPE_SYSTEM_CLOCK, "clock-type",
				   GST_CLOCK_TYPE_MONOTONIC, NULL);

	gst_object_ref_sink(c);
	if (ahead)
		gst_clock_set_calibration(c, 0, 100 * GST_SECOND, 1, 1);
	else
		gst_clock_set_calibration(c, gst_clock_get_internal_time(c), 0, 1, 1);
	return c;
}

/* Each clock, whatever another showed: what fails on which. */
static int check_clock(const char *dev)
{
	GstClock *c;
	int ret = clock_run(dev, NULL, "system clock");

	c = calibrated_clock(TRUE);
	ret |= clock_run(dev, c, "calibrated clock, 100 s ahead");
	gst_object_unref(c);
	c = calibrated_clock(FALSE);
	ret |= clock_run(dev, c, "calibrated clock, from 0 now");
	gst_object_unref(c);
	if (!ret)
		printf("result ok\n");
	return ret;
}

/* ALLOCATION queries zcapsrc made: each renegotiation makes one. */
static GstPadProbeReturn count_allocation(GstPad *pad G_GNUC_UNUSED, GstPadProbeInfo *info,
					  gpointer data)
{
	if (GST_QUERY_TYPE(GST_PAD_PROBE_INFO_QUERY(info)) == GST_QUERY_ALLOCATION)
		g_atomic_int_inc((gint *)data);
	return GST_PAD_PROBE_OK;
}

static void watch_allocation(GstElement *p, gint *count)
{
	GstElement *src = gst_bin_get_by_name(GST_BIN(p), "src");
	GstPad *pad = gst_element_get_static_pad(src, "src");

	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, count_allocation,
			  count, NULL);
	gst_object_unref(pad);
	gst_object_unref(src);
}

static void set_filter(GstElement *p, const char *caps_str)
{
	GstElement *cf = gst_bin_get_by_name(GST_BIN(p), "caps");
	GstCaps *caps = gst_caps_from_string(caps_str);

	g_object_set(cf, "caps", caps, NULL);
	gst_caps_unref(caps);
	gst_object_unref(cf);
}

/*
 * @n buffers, each V4L2 sequence (the offset) after *@last: a sequence
 * that goes back is a device started again (vivid counts from 0).
 */
static int pull_sequences(GstElement *p, int n, guint64 *last)
{
	for (int i = 0; i < n; i++) {
		GstSample *s = pull(p);
		guint64 seq;

		if (!s)
			return fail("no sample");
		seq = GST_BUFFER_OFFSET(gst_sample_get_buffer(s));
		gst_sample_unref(s);
		if (*last != GST_BUFFER_OFFSET_NONE && seq <= *last) {
			printf("sequence %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT "\n",
			       seq, *last);
			return fail("the V4L2 sequence began again: the device was restarted");
		}
		*last = seq;
	}
	return 0;
}

#define RECONF_CAPS "video/x-raw,format=YUY2,width=320,height=180,framerate=30/1"

/*
 * A capsfilter given the caps it has, in PLAYING, sends RECONFIGURE:
 * GstBaseSrc negotiates again and asks ALLOCATION again. Nothing changed,
 * so the device must keep streaming: zcap.ko makes no new pool and the
 * V4L2 sequence goes on, where a restart begins it at 0 again.
 */
static int check_reconfigure(const char *dev)
{
	GstElement *p = pipeline(dev, RECONF_CAPS);
	guint64 last = GST_BUFFER_OFFSET_NONE;
	long long pools;
	gint queries = 0, before;
	int ret;

	if (!p)
		return fail("no pipeline");
	watch_allocation(p, &queries);
	gst_element_set_state(p, GST_STATE_PLAYING);
	ret = pull_sequences(p, 5, &last);
	pools = zcap_stat("pools_created");
	before = g_atomic_int_get(&queries);
	if (!ret) {
		set_filter(p, RECONF_CAPS);
		ret = pull_sequences(p, 20, &last);
	}
	if (!ret && g_atomic_int_get(&queries) == before)
		ret = fail("no ALLOCATION query after RECONFIGURE: nothing renegotiated");
	else if (!ret && zcap_stat("pools_created") != pools)
		ret = fail("zcap.ko made a new pool: the device was restarted");
	if (!ret)
		printf("RECONFIGURE, same caps: %d ALLOCATION quer%s, no new pool, sequence on to %"
		       G_GUINT64_FORMAT "\nresult ok\n", g_atomic_int_get(&queries) - before,
		       g_atomic_int_get(&queries) - before == 1 ? "y" : "ies", last);
	gst_element_set_state(p, GST_STATE_NULL);
	gst_object_unref(p);
	return ret;
}

/* Up to 30 buffers until one is @width wide: is it DISCONT? -1: none came. */
static int first_of_width(GstElement *p, gint width, guint64 *seq)
{
	for (int i = 0; i < 30; i++) {
		GstSample *s = pull(p);
		GstStructure *st;
		gint w = 0;
		int discont;

		if (!s)
			return -1;
		st = gst_caps_get_structure(gst_sample_get_caps(s), 0);
		gst_structure_get_int(st, "width", &w);
		discont = GST_BUFFER_FLAG_IS_SET(gst_sample_get_buffer(s), GST_BUFFER_FLAG_DISCONT);
		*seq = GST_BUFFER_OFFSET(gst_sample_get_buffer(s));
		gst_sample_unref(s);
		if (w == width)
			return discont;
	}
	return -1;
}

/*
 * New caps in PLAYING: the device restarts in them (a new pool), and
 * the first buffer in them says the stream is discontinuous: frames were
 * not captured while the device stopped and started again.
 */
static int check_caps_change(const char *dev)
{
	GstElement *p = pipeline(dev, RECONF_CAPS);
	guint64 last = GST_BUFFER_OFFSET_NONE, seq = 0;
	long long pools;
	int ret, discont;

	if (!p)
		return fail("no pipeline");
	gst_element_set_state(p, GST_STATE_PLAYING);
	ret = pull_sequences(p, 5, &last);
	pools = zcap_stat("pools_created");
	if (!ret) {
		set_filter(p, "video/x-raw,format=YUY2,width=640,height=360,framerate=30/1");
		discont = first_of_width(p, 640, &seq);
		if (discont < 0)
			ret = fail("no buffer in the new caps");
		else if (zcap_stat("pools_created") == pools)
			ret = fail("no new pool: the device did not restart in the new caps");
		else if (!discont)
			ret = fail("the first buffer in the new caps is not DISCONT");
	}
	if (!ret)
		printf("640x360 in PLAYING: a new pool, the first buffer in it (sequence %"
		       G_GUINT64_FORMAT ") DISCONT\nresult ok\n", seq);
	gst_element_set_state(p, GST_STATE_NULL);
	gst_object_unref(p);
	return ret;
}

/*
 * vivid's Colorspace control (found by name) to another value, or back to
 * *@old when @restore; it sends V4L2_EVENT_SOURCE_CHANGE to every input.
 */
static int flip_colorspace(const char *dev, gint *old, gboolean restore)
{
	struct v4l2_queryctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };
	struct v4l2_control c = { 0 };
	int fd = open(dev, O_RDWR), r = -1;

	while (fd >= 0 && !ioctl(fd, VIDIOC_QUERYCTRL, &q)) {
		if (!strcmp((const char *)q.name, "Colorspace")) {
			c.id = q.id;
			if (!restore && !ioctl(fd, VIDIOC_G_CTRL, &c))
				*old = c.value;
			c.value = restore ? *old : (*old == 1 ? 2 : 1);
			r = ioctl(fd, VIDIOC_S_CTRL, &c);
			break;
		}
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	if (fd >= 0)
		close(fd);
	return r;
}

/* Up to 30 buffers until a DISCONT one: its sequence, or -1. */
static gint64 first_discont(GstElement *p)
{
	for (int i = 0; i < 30; i++) {
		GstSample *s = pull(p);
		GstBuffer *b;
		gboolean discont;
		guint64 seq;

		if (!s)
			return -1;
		b = gst_sample_get_buffer(s);
		discont = GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DISCONT);
		seq = GST_BUFFER_OFFSET(b);
		gst_sample_unref(s);
		if (discont)
			return (gint64)seq;
	}
	return -1;
}

/*
 * The signal at the input changes in PLAYING: v4l2src negotiates again
 * and streams on, and so must zcapsrc: a new pool (the device restarted),
 * a DISCONT buffer, frames after it, and no error on the bus.
 */
static int check_source_change(const char *dev)
{
	GstElement *p = pipeline(dev, RECONF_CAPS);
	guint64 last = GST_BUFFER_OFFSET_NONE;
	GstMessage *msg = NULL;
	gint64 seq = -1;
	gint old = 0;
	long long pools;
	GstBus *bus;
	int ret;

	if (!p)
		return fail("no pipeline");
	gst_element_set_state(p, GST_STATE_PLAYING);
	ret = pull_sequences(p, 5, &last);
	pools = zcap_stat("pools_created");
	if (!ret && flip_colorspace(dev, &old, FALSE))
		ret = fail("cannot set vivid's Colorspace control");
	if (!ret) {
		seq = first_discont(p);
		last = GST_BUFFER_OFFSET_NONE;
		if (seq < 0)
			ret = fail("no DISCONT buffer after the signal changed");
		else if (zcap_stat("pools_created") == pools)
			ret = fail("no new pool: the device was not started again");
		else
			ret = pull_sequences(p, 5, &last);
	}
	bus = gst_element_get_bus(p);
	msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
	gst_object_unref(bus);
	if (!ret && msg)
		ret = fail("an error on the bus");
	if (msg)
		gst_message_unref(msg);
	flip_colorspace(dev, &old, TRUE);
	if (!ret)
		printf("the signal changed in PLAYING: negotiated again, a new pool, DISCONT at sequence %"
		       G_GINT64_FORMAT ", 5 frames after it, no error\nresult ok\n", seq);
	gst_element_set_state(p, GST_STATE_NULL);
	gst_object_unref(p);
	return ret;
}

/* The pool in zcappool's answer to the ALLOCATION query. *//* The pool in zcappool's answer to the ALLOCATION query. */
static GstPadProbeReturn grab_pool(GstPad *pad G_GNUC_UNUSED, GstPadProbeInfo *info,
				   gpointer data)
{
	GstQuery *q = GST_PAD_PROBE_INFO_QUERY(info);
	GstBufferPool **pool = data;

	if (GST_QUERY_TYPE(q) == GST_QUERY_ALLOCATION && !*pool &&
	    gst_query_get_n_allocation_pools(q))
		gst_query_parse_nth_allocation_pool(q, 0, pool, NULL, NULL, NULL);
	return GST_PAD_PROBE_OK;
}

static GstBufferPool *zcappool_pool(void)
{
	GstElement *p = gst_parse_launch("videotestsrc num-buffers=1 ! "
					 "video/x-raw,format=GRAY8,width=64,height=64 ! "
					 "zcappool name=zp provider=zcap ! fakesink", NULL);
	GstBufferPool *pool = NULL;
	GstElement *zp;
	GstPad *pad;

	if (!p)
		return NULL;
	zp = gst_bin_get_by_name(GST_BIN(p), "zp");
	pad = gst_element_get_static_pad(zp, "sink");
	gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM | GST_PAD_PROBE_TYPE_PULL,
			  grab_pool, &pool, NULL);
	gst_element_set_state(p, GST_STATE_PAUSED);
	gst_element_get_state(p, NULL, NULL, 20 * GST_SECOND);
	gst_element_set_state(p, GST_STATE_NULL);
	gst_object_unref(pad);
	gst_object_unref(zp);
	gst_object_unref(p);
	return pool;
}

/*
 * GstBufferPool drops a returned buffer whose memory is still shared (a
 * copy downstream keeps it) and allocates another in its place. zcappool's
 * pool, at most 2 buffers: 4 buffers acquired, each kept as a copy, cost
 * 4 zcap buffers, the first allocator's 2 and one for each buffer dropped.
 */
static int check_pool_shared(void)
{
	GstCaps *caps = gst_caps_from_string("video/x-raw,format=GRAY8,width=64,height=64");
	GstBufferPool *pool = zcappool_pool();
	GstBuffer *kept[4] = { NULL };
	GstStructure *config;
	long long live = -1;
	int ret = 0;
	guint n;

	if (!pool) {
		gst_caps_unref(caps);
		return fail("zcappool proposed no pool");
	}
	config = gst_buffer_pool_get_config(pool);
	gst_buffer_pool_config_set_params(config, caps, 64 * 64, 2, 2);
	gst_caps_unref(caps);
	if (!gst_buffer_pool_set_config(pool, config) || !gst_buffer_pool_set_active(pool, TRUE))
		ret = fail("the pool does not take min 2, max 2");
	for (n = 0; !ret && n < G_N_ELEMENTS(kept); n++) {
		GstBuffer *b = NULL;

		if (gst_buffer_pool_acquire_buffer(pool, &b, NULL) != GST_FLOW_OK) {
			ret = fail("acquire failed");
			break;
		}
		kept[n] = gst_buffer_copy(b);
		gst_buffer_unref(b);
	}
	if (!ret) {
		live = zcap_stat("buffers");
		printf("%u buffers acquired and kept as copies: %lld zcap buffers\n", n, live);
		if (live != 4)
			ret = fail("expected 4 zcap buffers: 2, then one per buffer dropped");
	}
	for (n = 0; n < G_N_ELEMENTS(kept); n++)
		if (kept[n])
			gst_buffer_unref(kept[n]);
	gst_buffer_pool_set_active(pool, FALSE);
	gst_object_unref(pool);
	if (!ret)
		printf("result ok\n");
	return ret;
}

static int check_alloc(void)
{
	GError *err = NULL;
	GstAllocator *a = gst_zcap_allocator_new(ZCAP_PROVIDER_ZCAP, &err);
	GstMemory *m;
	GstMapInfo mi;
	int ret = 0;

	if (!a) {
		printf("fail: %s\n", err->message);
		g_error_free(err);
		return 1;
	}
	m = gst_allocator_alloc(a, 1 << 20, NULL);
	if (!m || !gst_is_dmabuf_memory(m) || !gst_is_zcap_memory(m) ||
	    gst_memory_get_sizes(m, NULL, NULL) != 1 << 20)
		ret = fail("gst_allocator_alloc: not a 1 MiB zcap dma-buf");
	else if (!gst_memory_map(m, &mi, GST_MAP_WRITE))
		ret = fail("cannot map for writing");
	else {
		memset(mi.data, 0x5a, mi.size);
		gst_memory_unmap(m, &mi);
		if (!gst_memory_map(m, &mi, GST_MAP_READ) || mi.data[0] != 0x5a ||
		    mi.data[mi.size - 1] != 0x5a)
			ret = fail("read back differs");
		else
			gst_memory_unmap(m, &mi);
	}
	if (!ret)
		printf("1 MiB zcap dma-buf (fd %d), written and read back\n",
		       gst_dmabuf_memory_get_fd(m));
	if (m)
		gst_memory_unref(m);
	gst_object_unref(a);
	if (!ret)
		printf("result ok\n");
	return ret;
}

int main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return check_hold(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "renegotiate"))
		return check_renegotiate(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "alloc"))
		return check_alloc();
	if (argc == 3 && !strcmp(argv[1], "cache"))
		return check_cache(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "hoard"))
		return check_hoard(argv[2], 0);
	if (argc == 3 && !strcmp(argv[1], "hoard-many"))
		return check_hoard(argv[2], 32);
	if (argc == 3 && !strcmp(argv[1], "clock"))
		return check_clock(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "reconfigure"))
		return check_reconfigure(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "caps-change"))
		return check_caps_change(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "source-change"))
		return check_source_change(argv[2]);
	/* The device is not used: gst.sh's gst_check_run passes one. */
	if (argc >= 2 && !strcmp(argv[1], "pool-shared"))
		return check_pool_shared();
	fprintf(stderr, "usage: %s hold DEV | renegotiate DEV | alloc | cache DEV | hoard DEV | hoard-many DEV | clock DEV | reconfigure DEV | caps-change DEV | source-change DEV | pool-shared\n", argv[0]);
	return 2;
}
