/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * zcapsrc's object, shared by the element (zcapsrc.c), its zcap graph
 * (src_graph.c) and its frames (src_frame.c): a V4L2 source of libzcap
 * feeding a sink whose callback queues each sample for the streaming
 * thread's create().
 */
#ifndef ZCAP_GST_SRC_H
#define ZCAP_GST_SRC_H

#include "gstzcap.h"

struct _GstZcapSrc {
	GstPushSrc parent;

	/* Properties, under the object lock. */
	gchar *device;
	enum zcap_provider provider;
	guint extra_buffers;
	gint timeout_ms;
	guint stride;

	/*
	 * Between start and stop (the streaming thread's, and set_caps'):
	 * the device this run opened, a copy, for the property may change
	 * while it runs; what it can do, whose caps (only) a caps query
	 * from any thread reads, so they change under the object lock.
	 */
	gchar *run_device;
	struct zcap_gst_probe probe;
	struct zcap_gst_request rq;
	gboolean have_request;
	gboolean downstream_meta;	/* downstream takes GstVideoMeta */
	guint downstream_min;		/* buffers downstream holds, the graph's */
	struct zcap_layout_constraints layout;	/* downstream's alignment */
	GstCaps *run_caps;		/* the caps the graph runs in */
	GstAllocator *alloc;		/* GstZcapAllocator wrapping samples */
	struct zcap_gst_cache *cache;	/* the stream's buffers (src_cache.c) */
	struct zcap_graph *graph;
	struct zcap_filter *source;	/* in graph */
	uint64_t next_seq;		/* sequence expected next */
	gboolean pending_discont;	/* the graph restarted: the next buffer DISCONT */
	guint64 pushed, lost;		/* frames, for QoS messages */
	gint streaming;			/* atomic: the graph runs (src_graph.c's log) */
	/* Said once per start, each: why frames are copied. */
	gboolean warned_no_dmabuf;	/* no provider: libzcap copies */
	gboolean warned_layout;		/* downstream needs the default layout */
	gboolean warned_held;		/* downstream held every buffer */
	guint64 copied_out;		/* frames copied for that, since start */
	gboolean warned_time;		/* a driver timestamp was not a capture time */
	gboolean logged_layout;		/* the first frame's layout logged */

	/*
	 * The sink callback's queue: samples delivered while create() pumps
	 * the caller-driven source (also unlock()'s flag and the end).
	 */
	GMutex lock;
	GQueue queue;			/* of zcap_gst_item.link */
	GQueue spare;			/* items done with, for the frames to come */
	gboolean flushing;		/* unlock(): create() returns FLUSHING */
	gboolean eos;			/* the source ended its stream */
};

/* One queued sample, with its layout copied while it was valid. */
struct zcap_gst_item {
	GList link;			/* in the queue; data is the item */
	struct zcap_sample *s;		/* a reference */
	struct zcap_format fmt;
	gboolean has_fmt;
};

/* src_graph.c */
gboolean zcap_gst_src_graph_start(GstZcapSrc *self, GError **error);
void zcap_gst_src_graph_stop(GstZcapSrc *self);
/* Done with @it: its sample's reference goes, the item is kept for another. */
void zcap_gst_item_done(GstZcapSrc *self, struct zcap_gst_item *it);
/* Every spare item freed (finalize). */
void zcap_gst_items_free(GstZcapSrc *self);
/* The oldest queued item, or NULL. Under self->lock. */
struct zcap_gst_item *zcap_gst_item_pop(GstZcapSrc *self);
/* The zcap source's note and statistics, for messages. */
void zcap_gst_src_graph_stats(GstZcapSrc *self, struct zcap_filter_stats *st);

/* src_frame.c */
/*
 * @it's sample as the buffer to push (a copy where downstream needs
 * one), or NULL when it could not be made. @it stays the caller's.
 */
GstBuffer *zcap_gst_src_frame_buffer(GstZcapSrc *self, struct zcap_gst_item *it);
/* @buf's timestamp, duration, offsets and flags from @s; counts losses. */
void zcap_gst_src_frame_meta(GstZcapSrc *self, GstBuffer *buf, struct zcap_sample *s);

#endif /* ZCAP_GST_SRC_H */
