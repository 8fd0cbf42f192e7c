// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every public constructor checks its arguments before it touches them:
 * no place for the result (out NULL) is -EINVAL, not a write through
 * NULL; nothing to build from (config NULL, no device) is -EINVAL with
 * *out set to NULL.
 */
#include <errno.h>

#include <zcap/consumers.h>
#include <zcap/drm.h>
#include <zcap/zcap.h>

#include "tap.h"

static int receive_nothing(void *user, struct zcap_sample *s,
			   struct zcap_sink_frame *fr)
{
	(void)user;
	(void)s;
	(void)fr;
	return 0;
}

static const struct zcap_sink_ops sink_ops = { .receive = receive_nothing };
static const struct zcap_filter_ops filter_ops = { 0 };

/* Each filter constructor, with a config that names a device. */
static void test_null_out(void)
{
	const struct zcap_v4l2_source_config src = { .device = "/dev/video0" };
	const struct zcap_m2m_encoder_config enc = { .device = "/dev/video0" };
	const struct zcap_v4l2_output_config vout = { .device = "/dev/video0" };
	const struct zcap_drm_sink_config drm = { .device = "/dev/dri/card0" };
	const struct zcap_file_sink_config file = { .path = "/dev/null", .fd = -1 };
	const struct zcap_null_sink_config null_cfg = { 0 };
	const struct zcap_sink_config sink = { 0 };

	is(zcap_v4l2_source_new(&src, NULL), -EINVAL, "v4l2 source, out NULL: EINVAL");
	is(zcap_m2m_encoder_new(&enc, NULL), -EINVAL, "m2m encoder, out NULL: EINVAL");
	is(zcap_v4l2_output_sink_new(&vout, NULL), -EINVAL, "v4l2 output, out NULL: EINVAL");
	is(zcap_drm_sink_new(&drm, NULL), -EINVAL, "drm sink, out NULL: EINVAL");
	is(zcap_tee_new(2, NULL), -EINVAL, "tee, out NULL: EINVAL");
	is(zcap_file_sink_new(&file, NULL), -EINVAL, "file sink, out NULL: EINVAL");
	is(zcap_null_sink_new(&null_cfg, NULL), -EINVAL, "null sink, out NULL: EINVAL");
	is(zcap_sink_new(&sink, &sink_ops, NULL, NULL), -EINVAL, "sink base, out NULL: EINVAL");
	is(zcap_filter_new("f", &filter_ops, NULL, NULL), -EINVAL, "filter, out NULL: EINVAL");
	is(zcap_graph_new(NULL), -EINVAL, "graph, out NULL: EINVAL");
	is(zcap_allocator_new_memory(NULL), -EINVAL, "memory allocator, out NULL: EINVAL");
	is(zcap_allocator_new_dmabuf(ZCAP_PROVIDER_AUTO, NULL), -EINVAL,
	   "dma-buf allocator, out NULL: EINVAL");
}

/* Nothing to build from: EINVAL, and *out no longer the caller's junk. */
static void test_no_config(void)
{
	const struct zcap_m2m_encoder_config enc = { 0 };
	const struct zcap_v4l2_output_config vout = { 0 };
	const struct zcap_drm_sink_config drm = { 0 };
	struct zcap_filter *f;

	f = (void *)1;
	is(zcap_v4l2_source_new(NULL, &f), -EINVAL, "v4l2 source, no config: EINVAL");
	ok(!f, "and *out NULL");
	f = (void *)1;
	is(zcap_m2m_encoder_new(&enc, &f), -EINVAL, "m2m encoder, no device: EINVAL");
	ok(!f, "and *out NULL");
	f = (void *)1;
	is(zcap_v4l2_output_sink_new(&vout, &f), -EINVAL, "v4l2 output, no device: EINVAL");
	ok(!f, "and *out NULL");
	f = (void *)1;
	is(zcap_drm_sink_new(&drm, &f), -EINVAL, "drm sink, no device: EINVAL");
	ok(!f, "and *out NULL");
	f = (void *)1;
	is(zcap_tee_new(0, &f), -EINVAL, "tee of no outputs: EINVAL");
	ok(!f, "and *out NULL");
	f = (void *)1;
	is(zcap_file_sink_new(NULL, &f), -EINVAL, "file sink, no config: EINVAL");
	ok(!f, "and *out NULL");
}

/*
 * A word a newer libzcap would give a meaning (a reserved word, an unknown
 * flag) set by the caller: EINVAL before the device is opened, not
 * silently ignored. Each config is otherwise one that would go on to open
 * its device.
 */
static void test_reserved(void)
{
	struct zcap_v4l2_source_config src = { .device = "/dev/null" };
	struct zcap_m2m_encoder_config enc = { .device = "/dev/null" };
	struct zcap_v4l2_output_config vout = { .device = "/dev/null" };
	struct zcap_drm_sink_config drm = { .device = "/dev/null" };
	struct zcap_file_sink_config file = { .path = "/dev/null", .fd = -1 };
	struct zcap_null_sink_config null_cfg = { 0 };
	struct zcap_filter *f = NULL;

	src.reserved[6] = 1;
	is(zcap_v4l2_source_new(&src, &f), -EINVAL, "v4l2 source, a reserved word set: EINVAL");
	enc.reserved[6] = 1;
	is(zcap_m2m_encoder_new(&enc, &f), -EINVAL, "m2m encoder, a reserved word set: EINVAL");
	enc.reserved[6] = 0;
	enc.flags = 1u << 2;
	is(zcap_m2m_encoder_new(&enc, &f), -EINVAL, "m2m encoder, an unknown flag: EINVAL");
	vout.reserved[7] = 1;
	is(zcap_v4l2_output_sink_new(&vout, &f), -EINVAL, "v4l2 output, a reserved word set: EINVAL");
	vout.reserved[7] = 0;
	vout.flags = 1u << 2;
	is(zcap_v4l2_output_sink_new(&vout, &f), -EINVAL, "v4l2 output, an unknown flag: EINVAL");
	drm.reserved[7] = 1;
	is(zcap_drm_sink_new(&drm, &f), -EINVAL, "drm sink, a reserved word set: EINVAL");
	drm.reserved[7] = 0;
	drm.flags = ZCAP_CONSUMER_FORCE_COPY;
	is(zcap_drm_sink_new(&drm, &f), -EINVAL, "drm sink, a flag it does not take: EINVAL");
	file.reserved[6] = 1;
	is(zcap_file_sink_new(&file, &f), -EINVAL, "file sink, a reserved word set: EINVAL");
	null_cfg.reserved[5] = 1;
	is(zcap_null_sink_new(&null_cfg, &f), -EINVAL, "null sink, a reserved word set: EINVAL");
	ok(!f, "and no filter made");
	null_cfg.reserved[5] = 0;
	if (is(zcap_null_sink_new(&null_cfg, &f), 0, "null sink, all zero: made"))
		zcap_filter_destroy(f);
}

int main(void)
{
	test_null_out();
	test_no_config();
	test_reserved();
	return tap_done();
}
