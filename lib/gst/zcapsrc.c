// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * zcapsrc: a live GStreamer source over libzcap's V4L2 source. Each
 * buffer it pushes is a zcap sample as GstDmaBufMemory (src_buffer.c);
 * the sample goes back to the device only when GStreamer frees the
 * buffer. Caps come from the device (src_caps.c); downstream's
 * ALLOCATION answer becomes the zcap sink's requirements (src_graph.c),
 * and a renegotiation restarts the device only if those or the caps
 * changed. A new signal at the device's input (V4L2_EVENT_SOURCE_CHANGE)
 * makes it ask the device again and negotiate, as v4l2src does.
 *
 * A frame becomes its buffer, timestamp and flags in src_frame.c.
 */
#include <errno.h>
#include <string.h>

#include "src.h"

#define GST_CAT_DEFAULT zcap_gst_debug

enum {
	PROP_0,
	PROP_DEVICE,
	PROP_PROVIDER,
	PROP_EXTRA_BUFFERS,
	PROP_TIMEOUT,
	PROP_STRIDE,
};

#define DEFAULT_DEVICE "/dev/video0"
#define DEFAULT_TIMEOUT_MS 5000

G_DEFINE_TYPE(GstZcapSrc, zcap_gst_src, GST_TYPE_PUSH_SRC)

static void zcap_gst_src_set_property(GObject *obj, guint id,
				      const GValue *value, GParamSpec *pspec)
{
	GstZcapSrc *self = ZCAP_GST_SRC(obj);

	GST_OBJECT_LOCK(self);
	switch (id) {
	case PROP_DEVICE:
		g_free(self->device);
		self->device = g_value_dup_string(value);
		break;
	case PROP_PROVIDER:
		self->provider = g_value_get_enum(value);
		break;
	case PROP_EXTRA_BUFFERS:
		self->extra_buffers = g_value_get_uint(value);
		break;
	case PROP_TIMEOUT:
		self->timeout_ms = g_value_get_int(value);
		break;
	case PROP_STRIDE:
		self->stride = g_value_get_uint(value);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
		break;
	}
	GST_OBJECT_UNLOCK(self);
}

static void zcap_gst_src_get_property(GObject *obj, guint id, GValue *value,
				      GParamSpec *pspec)
{
	GstZcapSrc *self = ZCAP_GST_SRC(obj);

	GST_OBJECT_LOCK(self);
	switch (id) {
	case PROP_DEVICE:
		g_value_set_string(value, self->device);
		break;
	case PROP_PROVIDER:
		g_value_set_enum(value, self->provider);
		break;
	case PROP_EXTRA_BUFFERS:
		g_value_set_uint(value, self->extra_buffers);
		break;
	case PROP_TIMEOUT:
		g_value_set_int(value, self->timeout_ms);
		break;
	case PROP_STRIDE:
		g_value_set_uint(value, self->stride);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
		break;
	}
	GST_OBJECT_UNLOCK(self);
}

static gboolean zcap_gst_src_start(GstBaseSrc *bsrc)
{
	GstZcapSrc *self = ZCAP_GST_SRC(bsrc);
	struct zcap_gst_probe probe;
	GError *err = NULL;
	gchar *device;

	GST_OBJECT_LOCK(self);
	device = g_strdup(self->device);
	GST_OBJECT_UNLOCK(self);
	if (!zcap_gst_probe(device, &probe, &err)) {
		/* The probe chose the code (NOT_FOUND, OPEN_READ_WRITE, SETTINGS). */
		gst_element_message_full(GST_ELEMENT(self), GST_MESSAGE_ERROR,
					 err->domain, err->code, g_strdup(err->message),
					 g_strdup_printf("device %s", device), __FILE__,
					 GST_FUNCTION, __LINE__);
		g_clear_error(&err);
		g_free(device);
		return FALSE;
	}
	GST_INFO_OBJECT(self, "%s (%s): %" GST_PTR_FORMAT, device, probe.card,
			probe.caps);
	GST_OBJECT_LOCK(self);
	self->probe = probe;
	self->run_device = device;
	GST_OBJECT_UNLOCK(self);
	self->have_request = FALSE;
	self->flushing = FALSE;
	self->warned_no_dmabuf = FALSE;
	self->warned_layout = FALSE;
	self->warned_held = FALSE;
	self->warned_time = FALSE;
	self->copied_out = 0;
	self->logged_layout = FALSE;
	return TRUE;
}

static gboolean zcap_gst_src_stop(GstBaseSrc *bsrc)
{
	GstZcapSrc *self = ZCAP_GST_SRC(bsrc);
	struct zcap_gst_probe probe;
	gchar *device;

	/* Buffers still downstream keep their samples: they outlive the graph. */
	zcap_gst_src_graph_stop(self);
	if (self->copied_out)
		GST_INFO_OBJECT(self, "%" G_GUINT64_FORMAT " frame(s) copied: downstream held every other buffer",
				self->copied_out);
	GST_OBJECT_LOCK(self);
	probe = self->probe;
	memset(&self->probe, 0, sizeof(self->probe));
	device = g_steal_pointer(&self->run_device);
	GST_OBJECT_UNLOCK(self);
	zcap_gst_probe_clear(&probe);
	g_free(device);
	self->have_request = FALSE;
	return TRUE;
}

static GstCaps *zcap_gst_src_get_caps(GstBaseSrc *bsrc, GstCaps *filter)
{
	GstZcapSrc *self = ZCAP_GST_SRC(bsrc);
	GstCaps *caps;

	/* Before start the device is not open: what any device could give. */
	GST_OBJECT_LOCK(self);
	caps = self->probe.caps ? gst_caps_ref(self->probe.caps) : NULL;
	GST_OBJECT_UNLOCK(self);
	if (!caps)
		caps = gst_pad_get_pad_template_caps(GST_BASE_SRC_PAD(bsrc));
	if (filter) {
		GstCaps *tmp = gst_caps_intersect_full(filter, caps,
						       GST_CAPS_INTERSECT_FIRST);

		gst_caps_unref(caps);
		caps = tmp;
	}
	return caps;
}

/* How far @st, fixated towards 640x480, lands from it. */
static guint distance_from_vga(GstStructure *st)
{
	gint w = 0, h = 0;

	gst_structure_fixate_field_nearest_int(st, "width", 640);
	gst_structure_fixate_field_nearest_int(st, "height", 480);
	gst_structure_get_int(st, "width", &w);
	gst_structure_get_int(st, "height", &h);
	return ABS(w - 640) + ABS(h - 480);
}

/*
 * Unconstrained, what a camera application would ask: the size nearest
 * 640x480 among everything the device offers, in the first format that
 * has it, at the rate nearest 30 frames per second, in the colorimetry
 * the driver gives it unless downstream said one.
 */
static GstCaps *zcap_gst_src_fixate(GstBaseSrc *bsrc, GstCaps *caps)
{
	GstStructure *best = NULL, *st;
	guint best_d = G_MAXUINT;

	for (guint i = 0; i < gst_caps_get_size(caps); i++) {
		guint d;

		st = gst_structure_copy(gst_caps_get_structure(caps, i));
		d = distance_from_vga(st);
		if (d < best_d) {
			if (best)
				gst_structure_free(best);
			best = st;
			best_d = d;
		} else {
			gst_structure_free(st);
		}
	}
	gst_caps_unref(caps);
	caps = gst_caps_new_empty();
	if (best) {
		gst_structure_fixate_field_nearest_fraction(best, "framerate", 30, 1);
		zcap_gst_prefer_colorimetry(&ZCAP_GST_SRC(bsrc)->probe, best);
		gst_caps_append_structure(caps, best);
	}
	return GST_BASE_SRC_CLASS(zcap_gst_src_parent_class)->fixate(bsrc, caps);
}

static gboolean zcap_gst_src_set_caps(GstBaseSrc *bsrc, GstCaps *caps)
{
	GstZcapSrc *self = ZCAP_GST_SRC(bsrc);

	if (!zcap_gst_caps_request(&self->probe, caps, &self->rq)) {
		GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
				  ("%s cannot capture %" GST_PTR_FORMAT,
				   self->probe.card, caps), (NULL));
		return FALSE;
	}
	self->have_request = TRUE;
	GST_INFO_OBJECT(self, "caps %" GST_PTR_FORMAT, caps);
	return TRUE;
}

/*
 * What downstream's ALLOCATION answer asks of the graph: the buffers it
 * holds at once and its alignment. Whether it takes GstVideoMeta only
 * decides, frame by frame, whether to copy: it is kept at once.
 */
static void read_allocation(GstZcapSrc *self, GstQuery *query, guint *min,
			    struct zcap_layout_constraints *layout)
{
	struct zcap_gst_downstream d;
	GstAllocationParams params;

	memset(layout, 0, sizeof(*layout));
	/* Our buffers are our own: GstBaseSrc must not start downstream's pool. */
	zcap_gst_take_downstream(query, &d);
	if (d.has_align)
		for (guint i = 0; i < GST_VIDEO_MAX_PLANES; i++)
			layout->stride_align = MAX(layout->stride_align,
						   d.align.stride_align[i] + 1);
	if (gst_query_get_n_allocation_params(query) > 0) {
		gst_query_parse_nth_allocation_param(query, 0, NULL, &params);
		if (params.align)
			layout->offset_align = params.align + 1;
	}
	if (layout->stride_align == 1)
		layout->stride_align = 0;
	*min = d.min;
	self->downstream_meta =
		gst_query_find_allocation_meta(query, GST_VIDEO_META_API_TYPE, NULL);
}

/*
 * May the running graph go on? GstBaseSrc asks ALLOCATION again on every
 * RECONFIGURE, whether anything changed or not (a capsfilter given its
 * own caps again, a branch added to a tee): restarting would stop the
 * camera and lose frames for nothing, which v4l2src avoids too. It goes
 * on in the caps it started in, for the same alignment, while its
 * buffers cover what downstream holds (more than it needs do no harm).
 */
static gboolean graph_fits(GstZcapSrc *self, GstCaps *caps, guint min,
			   const struct zcap_layout_constraints *layout)
{
	return self->graph && self->run_caps && caps &&
	       gst_caps_is_equal(caps, self->run_caps) && min <= self->downstream_min &&
	       !memcmp(layout, &self->layout, sizeof(*layout));
}

/*
 * With no pool left in @query (read_allocation()), GstBaseSrc activates
 * and deactivates none, whether the graph restarts or not.
 */
static gboolean zcap_gst_src_decide_allocation(GstBaseSrc *bsrc, GstQuery *query)
{
	GstZcapSrc *self = ZCAP_GST_SRC(bsrc);
	struct zcap_layout_constraints layout;
	GstCaps *caps = NULL;
	GError *err = NULL;
	guint min;

	if (!self->have_request)
		return FALSE;
	gst_query_parse_allocation(query, &caps, NULL);
	read_allocation(self, query, &min, &layout);
	if (graph_fits(self, caps, min, &layout)) {
		GST_INFO_OBJECT(self, "renegotiated with nothing changed for the device: it keeps streaming (downstream holds %u, %s GstVideoMeta)",
				min, self->downstream_meta ? "takes" : "does not take");
		return TRUE;
	}
	self->downstream_min = min;
	self->layout = layout;
	GST_INFO_OBJECT(self, "downstream holds %u, %s GstVideoMeta, stride align %u, offset align %u",
			self->downstream_min, self->downstream_meta ? "takes" : "does not take",
			self->layout.stride_align, self->layout.offset_align);
	if (!zcap_gst_src_graph_start(self, &err)) {
		GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", err->message), (NULL));
		g_clear_error(&err);
		return FALSE;
	}
	gst_caps_replace(&self->run_caps, caps);
	return TRUE;
}

static GstFlowReturn stream_error(GstZcapSrc *self, int err)
{
	struct zcap_filter_stats st;

	zcap_gst_src_graph_stats(self, &st);
	if (err == ZCAP_E_DISCONNECTED || err == -ENODEV || err == -ENXIO)
		GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND,
				  ("Device '%s' was disconnected.", self->run_device),
				  ("%s", st.note));
	else
		GST_ELEMENT_ERROR(self, RESOURCE, READ,
				  ("Could not read from '%s': %s", self->run_device,
				   zcap_strerror(err)), ("%s", st.note));
	return GST_FLOW_ERROR;
}

/*
 * The signal at the device's input changed (V4L2_EVENT_SOURCE_CHANGE,
 * which ended the graph's stream): as v4l2src does, ask the device again
 * what it gives and negotiate. The camera restarts in the caps that fit
 * now, the same ones if they still do; the next buffer is DISCONT.
 */
static GstFlowReturn source_changed(GstZcapSrc *self)
{
	struct zcap_gst_probe probe, old;
	GError *err = NULL;

	GST_INFO_OBJECT(self, "the signal at %s's input changed: negotiating again",
			self->run_device);
	if (!zcap_gst_probe(self->run_device, &probe, &err)) {
		GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", err->message), (NULL));
		g_clear_error(&err);
		return GST_FLOW_ERROR;
	}
	GST_OBJECT_LOCK(self);
	old = self->probe;
	self->probe = probe;
	GST_OBJECT_UNLOCK(self);
	zcap_gst_probe_clear(&old);
	/* The same caps and allocation no longer mean the graph may go on. */
	gst_caps_replace(&self->run_caps, NULL);
	if (!gst_base_src_negotiate(GST_BASE_SRC(self)) ||
	    !g_atomic_int_get(&self->streaming))
		return GST_FLOW_NOT_NEGOTIATED;
	return GST_FLOW_OK;
}

/* A sample already delivered, or why there will be none. Under self->lock. */
static gboolean queued_item(GstZcapSrc *self, struct zcap_gst_item **out,
			    GstFlowReturn *fr)
{
	*out = zcap_gst_item_pop(self);
	*fr = GST_FLOW_OK;
	if (*out)
		return TRUE;
	if (self->flushing)
		*fr = GST_FLOW_FLUSHING;
	else if (self->eos)
		*fr = GST_FLOW_EOS;
	else if (!self->graph)
		*fr = GST_FLOW_NOT_NEGOTIATED;
	return *fr != GST_FLOW_OK;
}

/*
 * The next sample: libzcap's source captures in this thread (caller-
 * driven), its sink queues the frame (src_graph.c), and create() takes it.
 */
static GstFlowReturn next_item(GstZcapSrc *self, struct zcap_gst_item **out)
{
	GstFlowReturn fr;
	gboolean done;
	int ret;

	for (;;) {
		g_mutex_lock(&self->lock);
		done = queued_item(self, out, &fr);
		g_mutex_unlock(&self->lock);
		if (done)
			return fr;
		/* -1: a frame, the stall timeout (an error) or unlock(). */
		ret = zcap_v4l2_source_pump(self->source, -1);
		if (ret == 1 || ret == 0 || ret == -EINTR)
			continue;
		if (ret == ZCAP_E_END_OF_STREAM)
			return GST_FLOW_EOS;
		if (ret != ZCAP_E_SOURCE_CHANGED)
			return stream_error(self, ret);
		fr = source_changed(self);
		if (fr != GST_FLOW_OK)
			return fr;
	}
}

static GstFlowReturn zcap_gst_src_create(GstPushSrc *psrc, GstBuffer **outbuf)
{
	GstZcapSrc *self = ZCAP_GST_SRC(psrc);
	struct zcap_gst_item *it;
	GstFlowReturn fr;
	GstBuffer *buf;

	for (;;) {
		fr = next_item(self, &it);
		if (fr != GST_FLOW_OK)
			return fr;
		buf = zcap_gst_src_frame_buffer(self, it);
		if (buf)
			break;
		/* A frame the device gave up on may not even have a size. */
		if (!(zcap_sample_flags(it->s) & ZCAP_SAMPLE_ERROR)) {
			zcap_gst_item_done(self, it);
			GST_ELEMENT_ERROR(self, STREAM, FAILED,
					  ("Could not make a buffer of a frame from '%s'",
					   self->run_device), (NULL));
			return GST_FLOW_ERROR;
		}
		GST_INFO_OBJECT(self, "dropped a frame the device flagged bad");
		zcap_gst_item_done(self, it);
	}
	zcap_gst_src_frame_meta(self, buf, it->s);
	zcap_gst_item_done(self, it);
	*outbuf = buf;
	return GST_FLOW_OK;
}

static gboolean zcap_gst_src_unlock(GstBaseSrc *bsrc)
{
	GstZcapSrc *self = ZCAP_GST_SRC(bsrc);

	g_mutex_lock(&self->lock);
	self->flushing = TRUE;
	if (self->source)
		zcap_v4l2_source_interrupt(self->source, true);
	g_mutex_unlock(&self->lock);
	return TRUE;
}

static gboolean zcap_gst_src_unlock_stop(GstBaseSrc *bsrc)
{
	GstZcapSrc *self = ZCAP_GST_SRC(bsrc);

	g_mutex_lock(&self->lock);
	if (self->source)
		zcap_v4l2_source_interrupt(self->source, false);
	self->flushing = FALSE;
	g_mutex_unlock(&self->lock);
	return TRUE;
}

/* Live: a frame is at least one frame interval old when it is pushed. */
static gboolean zcap_gst_src_query(GstBaseSrc *bsrc, GstQuery *query)
{
	GstZcapSrc *self = ZCAP_GST_SRC(bsrc);
	GstClockTime min;

	if (GST_QUERY_TYPE(query) != GST_QUERY_LATENCY || !self->have_request ||
	    !self->rq.fps_n)
		return GST_BASE_SRC_CLASS(zcap_gst_src_parent_class)->query(bsrc, query);
	min = gst_util_uint64_scale_int(GST_SECOND, self->rq.fps_d, self->rq.fps_n);
	gst_query_set_latency(query, TRUE, min, GST_CLOCK_TIME_NONE);
	return TRUE;
}

static void zcap_gst_src_finalize(GObject *obj)
{
	GstZcapSrc *self = ZCAP_GST_SRC(obj);

	g_free(self->device);
	gst_object_unref(self->alloc);
	zcap_gst_items_free(self);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(zcap_gst_src_parent_class)->finalize(obj);
}

static void install_properties(GObjectClass *oc)
{
	const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
			       GST_PARAM_MUTABLE_READY;

	g_object_class_install_property(oc, PROP_DEVICE,
		g_param_spec_string("device", "Device", "V4L2 capture device",
				    DEFAULT_DEVICE, rw));
	g_object_class_install_property(oc, PROP_PROVIDER,
		zcap_gst_provider_pspec("Where the dma-bufs the device fills come from"));
	g_object_class_install_property(oc, PROP_EXTRA_BUFFERS,
		g_param_spec_uint("extra-buffers", "Extra buffers",
				  "Buffers beyond the driver's minimum and what downstream holds",
				  0, 32, 0, rw));
	g_object_class_install_property(oc, PROP_TIMEOUT,
		g_param_spec_int("timeout", "Timeout",
				 "No frame for this many ms is an error (0: 5000)",
				 0, G_MAXINT, DEFAULT_TIMEOUT_MS, rw));
	g_object_class_install_property(oc, PROP_STRIDE,
		g_param_spec_uint("stride", "Stride",
				  "Bytes per line to ask the driver for (0: its choice)",
				  0, G_MAXINT, 0, rw));
}

static void zcap_gst_src_class_init(GstZcapSrcClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);
	GstElementClass *ec = GST_ELEMENT_CLASS(klass);
	GstBaseSrcClass *bc = GST_BASE_SRC_CLASS(klass);
	GstCaps *caps = zcap_gst_template_caps();

	oc->set_property = zcap_gst_src_set_property;
	oc->get_property = zcap_gst_src_get_property;
	oc->finalize = zcap_gst_src_finalize;
	install_properties(oc);
	gst_element_class_add_pad_template(ec,
		gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
	gst_caps_unref(caps);
	gst_element_class_set_static_metadata(ec, "zcap video source",
		"Source/Video", "Captures from a V4L2 device into zcap dma-bufs, with no copy",
		"zcap developers");
	bc->start = zcap_gst_src_start;
	bc->stop = zcap_gst_src_stop;
	bc->get_caps = zcap_gst_src_get_caps;
	bc->fixate = zcap_gst_src_fixate;
	bc->set_caps = zcap_gst_src_set_caps;
	bc->decide_allocation = zcap_gst_src_decide_allocation;
	bc->unlock = zcap_gst_src_unlock;
	bc->unlock_stop = zcap_gst_src_unlock_stop;
	bc->query = zcap_gst_src_query;
	GST_PUSH_SRC_CLASS(klass)->create = zcap_gst_src_create;
}

static void zcap_gst_src_init(GstZcapSrc *self)
{
	self->device = g_strdup(DEFAULT_DEVICE);
	self->provider = ZCAP_PROVIDER_AUTO;
	self->timeout_ms = DEFAULT_TIMEOUT_MS;
	self->alloc = g_object_new(GST_TYPE_ZCAP_ALLOCATOR, NULL);
	gst_object_ref_sink(self->alloc);
	g_mutex_init(&self->lock);
	g_queue_init(&self->queue);
	g_queue_init(&self->spare);
	gst_base_src_set_live(GST_BASE_SRC(self), TRUE);
	gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
}
