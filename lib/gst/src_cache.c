// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * zcapsrc's buffer cache: the GstBuffer and GstMemory objects of each
 * zcap buffer (each sample of the source's allocator) are built the first
 * time the device fills that buffer and kept for the stream, so that a
 * frame costs no GstBuffer, GstMemory, qdata or GstVideoMeta allocation
 * and free, as the buffers of v4l2src's pool do not.
 *
 * Who holds the sample: each memory, from create() until GStreamer lets
 * go of it, holds one reference to its sample, dropped by the memory's
 * dispose (GStreamer's own v4l2 allocator recycles its memories the same
 * way), which takes the memory back into its slot instead of freeing it.
 * The last reference requeues the buffer (libzcap's recycler), so nothing
 * is requeued while any GstMemory over it is in use: a memory another
 * buffer shares (gst_buffer_copy(), a sub-buffer) keeps its sample until
 * that buffer is gone too. The GstBuffer itself comes back by its own
 * dispose, which hands its memories back (the dispose above) and keeps
 * the buffer, reset as GstBufferPool resets one, with its GstVideoMeta.
 *
 * Every memory and buffer made here holds a reference to the cache, so
 * it outlives the element's stream; once closed (the stream stopped),
 * what comes back is freed instead of kept.
 */
#include "gstzcap.h"

/* One zcap buffer: its memories and its GstBuffer. */
struct cache_slot {
	struct zcap_gst_cache *cache;
	struct zcap_sample *s;			/* the key: no reference */
	guint n_mem;
	int fd[ZCAP_MAX_PLANES];		/* its blocks' dma-bufs */
	/*
	 * Under the cache's lock. A memory is the slot's (one reference,
	 * not out) or GStreamer's (out, holding a reference to s); NULL
	 * once freed, made again when next needed.
	 */
	GstMemory *mem[ZCAP_MAX_PLANES];
	gboolean out[ZCAP_MAX_PLANES];
	GstBuffer *idle;			/* the slot's buffer, back */
	gboolean held;				/* some memory of it is out */
};

struct zcap_gst_cache {
	gint refs;				/* atomic */
	GMutex lock;
	gboolean closed;
	GstAllocator *alloc;			/* a GstZcapAllocator */
	GHashTable *slots;			/* zcap_sample * -> cache_slot */
	guint held;				/* slots held downstream */
};

static GQuark slot_quark;			/* a memory's or buffer's slot */
static GQuark cache_quark;			/* its reference to the cache */

static struct zcap_gst_cache *cache_ref(struct zcap_gst_cache *c)
{
	g_atomic_int_inc(&c->refs);
	return c;
}

static void cache_unref(gpointer data)
{
	struct zcap_gst_cache *c = data;

	if (!g_atomic_int_dec_and_test(&c->refs))
		return;
	g_hash_table_destroy(c->slots);
	gst_object_unref(c->alloc);
	g_mutex_clear(&c->lock);
	g_free(c);
}

struct zcap_gst_cache *zcap_gst_cache_new(GstAllocator *alloc)
{
	struct zcap_gst_cache *c = g_new0(struct zcap_gst_cache, 1);

	if (!slot_quark) {
		slot_quark = g_quark_from_static_string("GstZcapSrcSlot");
		cache_quark = g_quark_from_static_string("GstZcapSrcCache");
	}
	c->refs = 1;
	g_mutex_init(&c->lock);
	c->alloc = gst_object_ref(alloc);
	c->slots = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	return c;
}

/* Ties @obj to slot @sl: the cache lives as long as @obj does. */
static void tie(GstMiniObject *obj, struct cache_slot *sl,
		GstMiniObjectDisposeFunction dispose)
{
	gst_mini_object_set_qdata(obj, slot_quark, sl, NULL);
	gst_mini_object_set_qdata(obj, cache_quark, cache_ref(sl->cache),
				  cache_unref);
	obj->dispose = dispose;
}

/* Is any memory of @sl out? Counted in the cache. Under its lock. */
static void slot_update_held(struct cache_slot *sl)
{
	gboolean held = FALSE;

	for (guint b = 0; b < sl->n_mem; b++)
		held |= sl->out[b];
	if (held != sl->held)
		sl->cache->held += held ? 1 : -1;
	sl->held = held;
}

/*
 * A memory's last reference is gone: GStreamer is done with its bytes.
 * Its hold on the sample goes (the last one requeues the buffer); the
 * memory goes back to its slot, unless the stream stopped or someone
 * made it read-only (then it is freed, and made again if needed).
 */
static gboolean memory_dispose(GstMiniObject *obj)
{
	struct cache_slot *sl = gst_mini_object_get_qdata(obj, slot_quark);
	GstMemory *mem = GST_MEMORY_CAST(obj);
	guint b = gst_zcap_memory_get_block(mem);
	struct zcap_sample *s;
	gboolean keep;

	g_mutex_lock(&sl->cache->lock);
	if (!sl->out[b]) {
		/* The slot let go of it (close): no hold to drop. */
		g_mutex_unlock(&sl->cache->lock);
		return TRUE;
	}
	sl->out[b] = FALSE;
	slot_update_held(sl);
	keep = !sl->cache->closed &&
	       !GST_MEMORY_FLAG_IS_SET(mem, GST_MEMORY_FLAG_READONLY);
	if (keep)
		gst_memory_ref(mem);
	else
		sl->mem[b] = NULL;
	s = sl->s;
	g_mutex_unlock(&sl->cache->lock);
	/* After it is back: requeued, the buffer may come round again at once. */
	zcap_sample_unref(s);
	return !keep;
}

static gboolean remove_unpooled(GstBuffer *buf, GstMeta **meta, gpointer data)
{
	(void)buf;
	(void)data;
	if (!GST_META_FLAG_IS_SET(*meta, GST_META_FLAG_POOLED)) {
		GST_META_FLAG_UNSET(*meta, GST_META_FLAG_LOCKED);
		*meta = NULL;
	}
	return TRUE;
}

/* As GstBufferPool resets a buffer that comes back. */
static void reset_buffer(GstBuffer *buf)
{
	gst_buffer_remove_all_memory(buf);
	GST_BUFFER_FLAGS(buf) &= GST_MINI_OBJECT_FLAG_LAST - 1;
	GST_BUFFER_PTS(buf) = GST_CLOCK_TIME_NONE;
	GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_NONE;
	GST_BUFFER_DURATION(buf) = GST_CLOCK_TIME_NONE;
	GST_BUFFER_OFFSET(buf) = GST_BUFFER_OFFSET_NONE;
	GST_BUFFER_OFFSET_END(buf) = GST_BUFFER_OFFSET_NONE;
	gst_buffer_foreach_meta(buf, remove_unpooled, NULL);
}

/*
 * A buffer's last reference is gone: its memories go back (each by its
 * own dispose, or later if another buffer shares it) and the buffer,
 * reset, waits in its slot for the next frame of its zcap buffer.
 */
static gboolean buffer_dispose(GstMiniObject *obj)
{
	struct cache_slot *sl = gst_mini_object_get_qdata(obj, slot_quark);
	GstBuffer *buf = GST_BUFFER_CAST(obj), *extra = NULL;
	gboolean closed;

	g_mutex_lock(&sl->cache->lock);
	closed = sl->cache->closed;
	g_mutex_unlock(&sl->cache->lock);
	if (closed)
		return TRUE;
	gst_buffer_ref(buf);
	reset_buffer(buf);
	g_mutex_lock(&sl->cache->lock);
	/*
	 * Closed since, or a second buffer of the slot: create() made one
	 * while this one was on its way back (its memories came back first).
	 */
	if (sl->cache->closed || sl->idle)
		extra = buf;
	else
		sl->idle = buf;
	g_mutex_unlock(&sl->cache->lock);
	if (extra) {
		obj->dispose = NULL;
		gst_buffer_unref(extra);
	}
	return FALSE;
}

static GstMemory *slot_memory(struct cache_slot *sl, guint b)
{
	GstMemory *mem = gst_zcap_allocator_wrap_unowned(sl->cache->alloc, sl->s, b);

	if (mem)
		tie(GST_MINI_OBJECT_CAST(mem), sl, memory_dispose);
	return mem;
}

static GstBuffer *slot_buffer(struct cache_slot *sl)
{
	GstBuffer *buf = gst_buffer_new();

	tie(GST_MINI_OBJECT_CAST(buf), sl, buffer_dispose);
	return buf;
}

/*
 * The slot of @s, made on its first frame, and its blocks in @zm. NULL
 * for a sample of plain memory, or one whose dma-bufs are not those its
 * slot was made with (an allocator committed anew): the caller wraps it
 * afresh then.
 */
static struct cache_slot *find_slot(struct zcap_gst_cache *c, struct zcap_sample *s,
				    struct zcap_mem *zm)
{
	guint n = zcap_sample_n_mem(s);
	struct cache_slot *sl;

	if (!n || n > ZCAP_MAX_PLANES)
		return NULL;
	for (guint b = 0; b < n; b++)
		if (zcap_sample_mem(s, b, &zm[b]) || zm[b].fd < 0)
			return NULL;
	g_mutex_lock(&c->lock);
	sl = g_hash_table_lookup(c->slots, s);
	g_mutex_unlock(&c->lock);
	if (sl) {
		if (n != sl->n_mem)
			return NULL;
		for (guint b = 0; b < n; b++)
			if (zm[b].fd != sl->fd[b])
				return NULL;
		return sl;
	}
	sl = g_new0(struct cache_slot, 1);
	sl->cache = c;
	sl->s = s;
	sl->n_mem = n;
	for (guint b = 0; b < n; b++)
		sl->fd[b] = zm[b].fd;
	g_mutex_lock(&c->lock);
	g_hash_table_insert(c->slots, s, sl);
	g_mutex_unlock(&c->lock);
	return sl;
}

/*
 * The slot's memories, each holding a reference to the sample now, and
 * its buffer, from the slot (made where missing). Only create() takes
 * from a slot, and only once the sample came round again, that is once
 * every memory of its last frame came back.
 */
static GstBuffer *take(struct cache_slot *sl, GstMemory **mem)
{
	GstBuffer *buf;

	g_mutex_lock(&sl->cache->lock);
	buf = sl->idle;
	sl->idle = NULL;
	for (guint b = 0; b < sl->n_mem; b++) {
		mem[b] = sl->mem[b];
		sl->out[b] = mem[b] != NULL;
	}
	g_mutex_unlock(&sl->cache->lock);
	for (guint b = 0; b < sl->n_mem; b++) {
		if (!mem[b]) {
			mem[b] = slot_memory(sl, b);
			if (!mem[b])
				continue;
			g_mutex_lock(&sl->cache->lock);
			sl->mem[b] = mem[b];
			sl->out[b] = TRUE;
			g_mutex_unlock(&sl->cache->lock);
		}
		zcap_sample_ref(sl->s);
	}
	g_mutex_lock(&sl->cache->lock);
	slot_update_held(sl);
	g_mutex_unlock(&sl->cache->lock);
	return buf ? buf : slot_buffer(sl);
}

/* A GstVideoMeta the buffer keeps: reset with it, not removed. */
static gboolean set_meta(GstBuffer *buf, const gsize *base,
			 const struct zcap_format *fmt,
			 const struct zcap_gst_request *rq)
{
	GstVideoMeta *vm;

	if (!fmt || !fmt->n_planes || !zcap_gst_buffer_set_meta(buf, base, fmt, rq))
		return FALSE;
	vm = gst_buffer_get_video_meta(buf);
	GST_META_FLAG_SET(&vm->meta, GST_META_FLAG_POOLED);
	return TRUE;
}

GstBuffer *zcap_gst_cache_buffer(struct zcap_gst_cache *c, struct zcap_sample *s,
				 const struct zcap_format *fmt,
				 const struct zcap_gst_request *rq)
{
	GstMemory *mem[ZCAP_MAX_PLANES] = { NULL };
	gsize base[ZCAP_MAX_PLANES] = { 0 }, total = 0;
	struct zcap_mem zm[ZCAP_MAX_PLANES];
	struct cache_slot *sl = find_slot(c, s, zm);
	gboolean ok = TRUE;
	GstBuffer *buf;

	if (!sl)
		return NULL;
	buf = take(sl, mem);
	/*
	 * Each memory joins the buffer, even one that does not fit, so that
	 * a failure gives everything back the one way: the buffer's unref.
	 */
	for (guint b = 0; b < sl->n_mem; b++) {
		if (!mem[b]) {
			ok = FALSE;
			continue;
		}
		/* The block whole, as the memory was made, then this frame's part. */
		gst_memory_resize(mem[b], (gssize)zm[b].offset - (gssize)mem[b]->offset,
				  zm[b].length);
		ok &= zcap_gst_memory_trim(mem[b], s, fmt, rq, b);
		base[b] = total;
		total += gst_memory_get_sizes(mem[b], NULL, NULL);
		gst_buffer_append_memory(buf, mem[b]);
	}
	if (ok && !rq->compressed)
		ok = set_meta(buf, base, fmt, rq);
	if (ok)
		return buf;
	gst_buffer_unref(buf);
	return NULL;
}

/*
 * Would the device be left with no buffer to fill if the frame just
 * captured went downstream as it is, @in_use buffers going round?
 * GStreamer holds every other one: a sink that keeps buffers it never
 * declared (filesink gathers 64 KiB before it writes: a few small JPEGs),
 * an application that keeps what it pulls. Capture would stop until one
 * came back, and with such a sink none does.
 */
gboolean zcap_gst_cache_held_all(struct zcap_gst_cache *c, guint in_use)
{
	guint held;

	if (!c || !in_use)
		return FALSE;
	g_mutex_lock(&c->lock);
	held = c->held;
	g_mutex_unlock(&c->lock);
	return held + 1 >= in_use;
}

/*
 * The stream stopped: what waits in the slots is freed, and what is
 * still out is freed when it comes back (buffers held past the stop).
 */
void zcap_gst_cache_close(struct zcap_gst_cache *c)
{
	GPtrArray *drop = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;

	g_mutex_lock(&c->lock);
	c->closed = TRUE;
	g_hash_table_iter_init(&it, c->slots);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct cache_slot *sl = v;

		for (guint b = 0; b < sl->n_mem; b++) {
			if (sl->mem[b] && !sl->out[b])
				g_ptr_array_add(drop, sl->mem[b]);
			sl->mem[b] = NULL;
		}
		if (sl->idle)
			g_ptr_array_add(drop, sl->idle);
		sl->idle = NULL;
	}
	g_mutex_unlock(&c->lock);
	/* Closed: each dispose lets its object be freed. */
	for (guint i = 0; i < drop->len; i++)
		gst_mini_object_unref(g_ptr_array_index(drop, i));
	g_ptr_array_free(drop, TRUE);
	cache_unref(c);
}
