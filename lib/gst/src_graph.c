// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * zcapsrc's zcap graph: libzcap's V4L2 source connected to a sink made
 * with zcap_sink_new(), whose callback queues each sample (with a
 * reference) for create(). The source is caller-driven: create() pumps
 * it, so the callback runs in create()'s thread, and GStreamer's release
 * of a buffer requeues it in whatever thread frees it. The sink's
 * requirements are downstream's ALLOCATION answer: the buffers it holds
 * at once (plus the one in flight here) and its alignment, so the source
 * sizes its buffers from what GStreamer will hold, as DirectShow's
 * DecideBufferSize does from GetAllocatorRequirements.
 *
 * The library's log goes to GStreamer's "zcap" debug category at the
 * matching level.
 */
#include "src.h"

#define GST_CAT_DEFAULT zcap_gst_debug

/*
 * Items are kept for the next frames rather than freed: a frame then
 * allocates nothing here. One or two are queued at a time (create() takes
 * each as the pump delivers it).
 */
void zcap_gst_item_done(GstZcapSrc *self, struct zcap_gst_item *it)
{
	/* Perhaps the last reference: requeued outside the element's lock. */
	zcap_sample_unref(it->s);
	it->s = NULL;
	g_mutex_lock(&self->lock);
	g_queue_push_tail_link(&self->spare, &it->link);
	g_mutex_unlock(&self->lock);
}

void zcap_gst_items_free(GstZcapSrc *self)
{
	GList *l;

	while ((l = g_queue_pop_head_link(&self->spare)))
		g_free(l->data);
}

struct zcap_gst_item *zcap_gst_item_pop(GstZcapSrc *self)
{
	GList *l = g_queue_pop_head_link(&self->queue);

	return l ? l->data : NULL;
}

static int sink_receive(void *user, struct zcap_sample *s,
			struct zcap_sink_frame *fr)
{
	GstZcapSrc *self = user;
	struct zcap_gst_item *it;
	GList *l;

	g_mutex_lock(&self->lock);
	if (self->flushing) {
		g_mutex_unlock(&self->lock);
		return 0;	/* going away: the sample goes straight back */
	}
	l = g_queue_pop_head_link(&self->spare);
	it = l ? l->data : g_new0(struct zcap_gst_item, 1);
	it->s = zcap_sample_ref(s);
	it->has_fmt = fr->fmt != NULL;
	if (fr->fmt)
		it->fmt = *fr->fmt;
	/* The link is the item's own: no list node allocated per frame. */
	it->link.data = it;
	g_queue_push_tail_link(&self->queue, &it->link);
	g_mutex_unlock(&self->lock);
	return 0;
}

/*
 * The queue is taken whole under the lock and its samples unreferenced
 * outside it, as zcap_gst_item_done() does: a last reference requeues
 * the buffer (QBUF, the allocator's recycler), which has no business
 * under the element's lock, on which create() waits.
 */
static void drop_queued(GstZcapSrc *self)
{
	GQueue q;
	GList *l;

	g_mutex_lock(&self->lock);
	q = self->queue;
	g_queue_init(&self->queue);
	g_mutex_unlock(&self->lock);
	while ((l = g_queue_pop_head_link(&q)))
		zcap_gst_item_done(self, l->data);
}

static void sink_release(void *user)
{
	drop_queued(user);
}

static int sink_end_of_stream(void *user)
{
	GstZcapSrc *self = user;

	g_mutex_lock(&self->lock);
	self->eos = TRUE;
	g_mutex_unlock(&self->lock);
	return 0;
}

static const struct zcap_sink_ops sink_ops = {
	.receive = sink_receive,
	.release = sink_release,
	.end_of_stream = sink_end_of_stream,
};

static void log_line(void *user, enum zcap_log_level level, const char *filter,
		     const char *msg)
{
	static const GstDebugLevel map[] = {
		[ZCAP_LOG_ERROR] = GST_LEVEL_ERROR,
		[ZCAP_LOG_WARN] = GST_LEVEL_WARNING,
		[ZCAP_LOG_INFO] = GST_LEVEL_INFO,
		[ZCAP_LOG_DEBUG] = GST_LEVEL_DEBUG,
	};

	GstZcapSrc *self = user;
	GstDebugLevel gl;

	if (level < ZCAP_LOG_ERROR || level > ZCAP_LOG_DEBUG)
		return;
	gl = map[level];
	/*
	 * Once streaming, the V4L2 source warns only of frames lost, which
	 * zcapsrc reports as GStreamer does for a live source (DISCONT and a
	 * QoS message): lost frames are not a fault of the pipeline's.
	 */
	if (level == ZCAP_LOG_WARN && g_atomic_int_get(&self->streaming))
		gl = GST_LEVEL_INFO;
	GST_CAT_LEVEL_LOG(zcap_gst_debug, gl, self, "%s: %s", filter, msg);
}

/* Ask libzcap for no more than GStreamer's category will print. */
static enum zcap_log_level log_level(void)
{
	GstDebugLevel t = gst_debug_category_get_threshold(zcap_gst_debug);

	if (t >= GST_LEVEL_DEBUG)
		return ZCAP_LOG_DEBUG;
	if (t >= GST_LEVEL_INFO)
		return ZCAP_LOG_INFO;
	if (t >= GST_LEVEL_WARNING)
		return ZCAP_LOG_WARN;
	return ZCAP_LOG_ERROR;
}

static int make_source(GstZcapSrc *self, struct zcap_filter **out)
{
	struct zcap_v4l2_source_config cfg = { 0 };
	const struct zcap_gst_request *rq = &self->rq;
	int ret;

	GST_OBJECT_LOCK(self);
	cfg.device = self->run_device;
	cfg.provider = self->provider;
	cfg.extra_buffers = self->extra_buffers;
	cfg.timeout_ms = self->timeout_ms;
	cfg.stride = self->stride;
	cfg.fourcc = rq->fourcc;
	cfg.width = rq->width;
	cfg.height = rq->height;
	/* V4L2 rates are whole frames per second here: the nearest. */
	cfg.fps = rq->fps_d ? (rq->fps_n + rq->fps_d / 2) / rq->fps_d : 0;
	/* create() captures in its own thread, as v4l2src does: no hand-over. */
	cfg.flags = ZCAP_V4L2_SOURCE_CALLER_THREAD;
	ret = zcap_v4l2_source_new(&cfg, out);
	GST_OBJECT_UNLOCK(self);
	return ret;
}

static int make_graph(GstZcapSrc *self, struct zcap_filter **src,
		      struct zcap_filter **sink)
{
	struct zcap_sink_config scfg = {
		.name = "zcapsrc",
		/* downstream's, and the one create() is pushing */
		.held = self->downstream_min + 1,
		.layout = self->layout,
	};
	int ret;

	ret = zcap_graph_new(&self->graph);
	if (ret)
		return ret;
	zcap_graph_set_log(self->graph, log_level(), log_line, self);
	ret = make_source(self, src);
	if (ret)
		return ret;
	ret = zcap_graph_add(self->graph, *src);
	if (ret) {
		/* Not the graph's: gone here, and no longer the caller's to read. */
		zcap_filter_destroy(*src);
		*src = NULL;
		return ret;
	}
	ret = zcap_sink_new(&scfg, &sink_ops, self, sink);
	if (ret)
		return ret;
	ret = zcap_graph_add(self->graph, *sink);
	if (ret) {
		zcap_filter_destroy(*sink);
		*sink = NULL;
	}
	return ret;
}

gboolean zcap_gst_src_graph_start(GstZcapSrc *self, GError **error)
{
	struct zcap_filter *src = NULL, *sink = NULL;
	struct zcap_filter_stats st = { 0 };
	int ret;

	/* Mid-stream, frames go uncaptured while the device stops and starts. */
	self->pending_discont = self->graph != NULL;
	zcap_gst_src_graph_stop(self);
	g_mutex_lock(&self->lock);
	self->eos = FALSE;
	g_mutex_unlock(&self->lock);
	self->cache = zcap_gst_cache_new(self->alloc);
	ret = make_graph(self, &src, &sink);
	if (!ret)
		ret = zcap_graph_connect(self->graph,
					 zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0),
					 zcap_filter_pin(sink, ZCAP_PIN_INPUT, 0), NULL);
	if (!ret) {
		g_mutex_lock(&self->lock);
		self->source = src;
		g_mutex_unlock(&self->lock);
		self->next_seq = 0;
		self->pushed = 0;
		self->lost = 0;
		ret = zcap_graph_run(self->graph);
	}
	if (!ret) {
		g_atomic_int_set(&self->streaming, 1);
		return TRUE;
	}
	if (src)
		zcap_filter_get_stats(src, &st);
	g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
		    "cannot capture from %s: %s%s%s", self->run_device,
		    zcap_strerror(ret), st.note[0] ? "; " : "", st.note);
	zcap_gst_src_graph_stop(self);
	return FALSE;
}

void zcap_gst_src_graph_stop(GstZcapSrc *self)
{
	if (self->graph) {
		g_atomic_int_set(&self->streaming, 0);
		/*
		 * The source stops first, so nothing is queued after it; then
		 * the sink, whose stop (sink_release) drops what is still queued.
		 */
		zcap_graph_stop(self->graph);
		g_mutex_lock(&self->lock);
		self->source = NULL;
		g_mutex_unlock(&self->lock);
		zcap_graph_destroy(self->graph);
		self->graph = NULL;
	}
	gst_clear_caps(&self->run_caps);
	/* Buffers still downstream keep it (and their samples) until freed. */
	if (self->cache)
		zcap_gst_cache_close(self->cache);
	self->cache = NULL;
}

void zcap_gst_src_graph_stats(GstZcapSrc *self, struct zcap_filter_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (self->source)
		zcap_filter_get_stats(self->source, st);
}
