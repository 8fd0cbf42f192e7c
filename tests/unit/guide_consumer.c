// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>

#include <zcap/zcap.h>

/* What this consumer keeps: counts, and the dma-buf of the last frame. */
struct counter {
	uint64_t frames, bytes;
	int last_fd;
};

/* Each frame, on the source's thread; nothing is kept past the call. */
static int count_frame(void *user, struct zcap_sample *s,
		       struct zcap_sink_frame *fr)
{
	struct counter *c = user;
	struct zcap_mem mem;
	int ret;

	/* The fd to import into an encoder or a GPU: same buffer, same fd. */
	ret = zcap_sample_mem(s, 0, &mem);
	if (ret < 0)
		return ret;	/* counted as a drop */
	c->last_fd = mem.fd;
	c->frames++;
	c->bytes += fr->bytes;
	return 0;
}

/*
 * Stream @src (a source filter, e.g. from zcap_v4l2_source_new(); the
 * graph takes it over) into count_frame() until the stream ends.
 */
static int capture_to_callback(struct zcap_filter *src, struct counter *c)
{
	const struct zcap_sink_config cfg = { .name = "counter", .held = 1 };
	const struct zcap_sink_ops ops = { .receive = count_frame };
	struct zcap_filter_stats st;
	struct zcap_filter *sink;
	struct zcap_graph *g;
	int ret, err;

	ret = zcap_graph_new(&g);
	if (ret < 0) {
		zcap_filter_destroy(src);
		return ret;
	}
	ret = zcap_graph_add(g, src);
	if (ret < 0) {
		zcap_filter_destroy(src);	/* not the graph's */
		goto out;
	}
	ret = zcap_sink_new(&cfg, &ops, c, &sink);
	if (ret < 0)
		goto out;
	ret = zcap_graph_add(g, sink);
	if (ret < 0) {
		zcap_filter_destroy(sink);
		goto out;
	}
	ret = zcap_graph_connect(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0),
				 zcap_filter_pin(sink, ZCAP_PIN_INPUT, 0), NULL);
	if (ret < 0)
		goto out;
	ret = zcap_graph_run(g);
	if (ret < 0)
		goto out;
	err = zcap_graph_wait(g, -1);	/* 0 at the end of the stream */
	ret = zcap_graph_stop(g);
	if (err < 0)
		ret = err;
	if (ret == 0)
		ret = zcap_filter_get_stats(sink, &st);
	if (ret == 0)
		printf("%llu frames, %llu dropped\n",
		       (unsigned long long)st.frames,
		       (unsigned long long)st.dropped);
out:
	if (ret < 0)
		fprintf(stderr, "capture: %s\n", zcap_strerror(ret));
	zcap_graph_destroy(g);
	return ret;
}
