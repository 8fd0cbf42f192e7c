// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * zcapsrc's frames: a queued sample as the buffer create() pushes.
 *
 * The buffer is the sample's GstDmaBufMemory (src_buffer.c, src_cache.c),
 * or a copy where downstream needs one: when it reads GStreamer's default
 * layout and the device's differs, or when it holds every buffer but one.
 *
 * Timestamps are the pipeline clock's running time at capture: its time
 * when create() takes the frame less the frame's age by the driver's
 * stamp (CLOCK_MONOTONIC), as v4l2src does; a frame lost before a buffer
 * sets DISCONT on it, a frame the device flagged bad CORRUPTED.
 */
#include <time.h>

#include "src.h"

#define GST_CAT_DEFAULT zcap_gst_debug

/* v4l2src's bound: a driver stamp older than this is no capture time to trust. */
#define MAX_CAPTURE_AGE (10 * GST_SECOND)

/*
 * How long ago the driver captured @s, by its stamp on CLOCK_MONOTONIC;
 * 0 for a stamp in the future or older than MAX_CAPTURE_AGE, which says
 * nothing of this frame (then the arrival time stands).
 */
static GstClockTime capture_age(GstZcapSrc *self, struct zcap_sample *s)
{
	struct timespec ts;
	int64_t ns, now;

	if (zcap_sample_time(s, &ns) || clock_gettime(CLOCK_MONOTONIC, &ts))
		return 0;
	now = (int64_t)GST_TIMESPEC_TO_TIME(ts);
	if (ns <= now && now - ns <= (int64_t)MAX_CAPTURE_AGE)
		return now - ns;
	if (!self->warned_time) {
		self->warned_time = TRUE;
		GST_INFO_OBJECT(self, "a driver timestamp %" G_GINT64_FORMAT " ns from now: that frame's arrival time instead",
				ns - now);
	}
	return 0;
}

/*
 * The pipeline clock's running time when the driver captured @s: the
 * clock's time now, less the frame's age. Never the driver's stamp as
 * the clock's time, even on a system clock: a calibrated one (a
 * GstNetClientClock, GstPtpClock, gst_clock_set_calibration()) runs on
 * CLOCK_MONOTONIC underneath, but its time and base time are not
 * CLOCK_MONOTONIC's.
 */
static GstClockTime running_time(GstZcapSrc *self, struct zcap_sample *s)
{
	GstClock *clock = gst_element_get_clock(GST_ELEMENT(self));
	GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
	GstClockTime now, age;

	if (!clock)
		return GST_CLOCK_TIME_NONE;
	/* Read together: the clock's time now and the frame's age now. */
	now = gst_clock_get_time(clock);
	age = capture_age(self, s);
	gst_object_unref(clock);
	now = now > base ? now - base : 0;
	return now > age ? now - age : 0;
}

/*
 * Frames lost before @buf: a live source says so with a QoS message, as
 * a sink that drops late frames does, and marks the buffer DISCONT.
 */
static void post_lost(GstZcapSrc *self, GstBuffer *buf, guint64 lost)
{
	GstClockTime ts = GST_BUFFER_PTS(buf);
	GstMessage *qos;

	self->lost += lost;
	GST_INFO_OBJECT(self, "%" G_GUINT64_FORMAT " frame(s) lost before sequence %"
			G_GUINT64_FORMAT, lost, GST_BUFFER_OFFSET(buf));
	qos = gst_message_new_qos(GST_OBJECT(self), TRUE, ts, GST_CLOCK_TIME_NONE, ts,
				  GST_BUFFER_DURATION(buf));
	gst_message_set_qos_stats(qos, GST_FORMAT_BUFFERS, self->pushed, self->lost);
	gst_element_post_message(GST_ELEMENT(self), qos);
}

void zcap_gst_src_frame_meta(GstZcapSrc *self, GstBuffer *buf, struct zcap_sample *s)
{
	uint64_t seq = zcap_sample_sequence(s);
	uint32_t flags = zcap_sample_flags(s);

	GST_BUFFER_PTS(buf) = running_time(self, s);
	GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_NONE;
	if (self->rq.fps_n)
		GST_BUFFER_DURATION(buf) = gst_util_uint64_scale_int(GST_SECOND,
						self->rq.fps_d, self->rq.fps_n);
	GST_BUFFER_OFFSET(buf) = seq;
	GST_BUFFER_OFFSET_END(buf) = seq + 1;
	if (self->pending_discont) {
		/* The device started again: no loss to count, frames not captured. */
		GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
		self->pending_discont = FALSE;
	}
	if ((flags & ZCAP_SAMPLE_DISCONTINUITY) || (self->next_seq && seq != self->next_seq)) {
		GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
		post_lost(self, buf, self->next_seq && seq > self->next_seq ?
			  seq - self->next_seq : 1);
	}
	self->next_seq = seq + 1;
	self->pushed++;
	if (flags & ZCAP_SAMPLE_ERROR)
		GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_CORRUPTED);
}

/* The first frame's layout, once per start: what the device really gave. */
static void log_layout(GstZcapSrc *self, struct zcap_sample *s,
		       const struct zcap_format *fmt)
{
	char fcc[5];

	if (self->logged_layout || !fmt)
		return;
	self->logged_layout = TRUE;
	for (guint p = 0; p < fmt->n_planes; p++)
		GST_INFO_OBJECT(self, "%s %ux%u plane %u: block %u of %u, offset %" G_GUINT64_FORMAT
				", stride %u", zcap_fourcc_str(fmt->fourcc, fcc), fmt->width,
				fmt->height, p, fmt->planes[p].mem, zcap_sample_n_mem(s),
				fmt->planes[p].offset, fmt->planes[p].stride);
}

/*
 * @zbuf's bytes in system memory; @zbuf goes, and its zcap buffer back to
 * the device, which downstream left with no other (zcap_gst_cache_held_all()),
 * as v4l2src copies when its pool runs dry.
 */
static GstBuffer *copy_out(GstZcapSrc *self, GstBuffer *zbuf)
{
	GstBuffer *copy = gst_buffer_copy_deep(zbuf);

	gst_buffer_unref(zbuf);
	self->copied_out++;
	if (!self->warned_held) {
		self->warned_held = TRUE;
		GST_INFO_OBJECT(self, "downstream holds every buffer but one: frames are copied until it lets one go (extra-buffers avoids it)");
	}
	return copy;
}

/*
 * The buffers going round: those the driver granted, which may be fewer
 * than the allocator has (the rest stay idle); a figure of this thread,
 * which pumps.
 */
static guint buffers_in_use(GstZcapSrc *self, struct zcap_sample *s)
{
	int n = zcap_v4l2_source_buffers(self->source);

	if (n > 0)
		return (guint)n;
	return zcap_sample_allocator(s) ? zcap_allocator_count(zcap_sample_allocator(s)) : 0;
}

GstBuffer *zcap_gst_src_frame_buffer(GstZcapSrc *self, struct zcap_gst_item *it)
{
	const struct zcap_format *fmt = it->has_fmt ? &it->fmt : zcap_sample_format(it->s);
	gboolean held_all = zcap_gst_cache_held_all(self->cache, buffers_in_use(self, it->s));
	GstBuffer *zbuf, *copy;

	log_layout(self, it->s, fmt);
	zbuf = zcap_gst_cache_buffer(self->cache, it->s, fmt, &self->rq);
	if (!zbuf)
		zbuf = zcap_gst_buffer_wrap(self->alloc, it->s, fmt, &self->rq);
	if (!zbuf)
		return NULL;
	if (!self->warned_no_dmabuf && !gst_is_zcap_memory(gst_buffer_peek_memory(zbuf, 0))) {
		self->warned_no_dmabuf = TRUE;
		GST_WARNING_OBJECT(self, "no dma-buf provider served the capture: each frame is copied");
	}
	if (self->downstream_meta || zcap_gst_layout_is_default(zbuf, &self->rq))
		return held_all ? copy_out(self, zbuf) : zbuf;
	if (!self->warned_layout) {
		self->warned_layout = TRUE;
		GST_INFO_OBJECT(self, "downstream takes no GstVideoMeta and the device's layout is not GStreamer's default: each frame is copied");
	}
	copy = zcap_gst_buffer_copy_default(zbuf, &self->rq);
	gst_buffer_unref(zbuf);
	return copy;
}
