/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every zcap selftest fixture shares: the debugfs gauges as a test
 * found them, checked again once it is over, and a check that a call
 * failed cleanly. Include after kselftest_harness.h, in the one file of a
 * test binary that includes it.
 */
#ifndef ZCAP_SELFTEST_TEST_H
#define ZCAP_SELFTEST_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "zcap_util.h"

#ifndef FIXTURE_TEARDOWN_PARENT
/* Harnesses before Linux 6.9: the check then runs in the test process. */
#define FIXTURE_TEARDOWN_PARENT FIXTURE_TEARDOWN
#endif

#define KiB	(1024ULL)
#define MiB	(1024ULL * 1024)
#define RW_CLOEXEC	(O_RDWR | O_CLOEXEC)
#define RO_CLOEXEC	(O_RDONLY | O_CLOEXEC)

/* What every fixture holds: the gauges as the test found them. */
struct zt_base {
	struct zt_stats start;
	int vmallocs;		/* -errno when /proc/vmallocinfo is closed */
};

/* False when the test is to be skipped or has failed already. */
static inline bool base_setup(struct __test_metadata *_metadata, struct zt_base *b)
{
	char diff[512];
	struct zt_stats zero;
	int ret;

	if (!zt_module_loaded("zcap")) {
		EXPECT_FALSE(zt_required("zcap"))
			TH_LOG("zcap is not loaded although the suite loaded it");
		if (!_metadata->exit_code)
			SKIP(return false, "zcap is not loaded");
		return false;
	}
	ret = zt_stats_read(&b->start);
	EXPECT_EQ(0, ret) TH_LOG("cannot read %s (%s): is debugfs mounted?",
				 ZT_STATS_PATH, strerror(-ret));
	if (ret)
		return false;
	b->vmallocs = zt_vmalloc_count();
	memset(&zero, 0, sizeof(zero));
	zt_stats_diff(&zero, &b->start, diff, sizeof(diff));
	if (diff[0])
		TH_LOG("gauges not zero before the test (an earlier test leaked): %s",
		       diff);
	return true;
}

static inline void base_check(struct __test_metadata *_metadata,
			      const struct zt_base *b)
{
	struct zt_stats now;
	char diff[512] = "";
	int ret;

	ret = zt_stats_wait_gauges(&b->start, &now, 2000);
	if (ret == -ETIMEDOUT)
		zt_stats_diff(&b->start, &now, diff, sizeof(diff));
	EXPECT_EQ(0, ret) TH_LOG("debugfs gauges not back after the test: %s",
				 diff[0] ? diff : strerror(-ret));
	if (b->vmallocs >= 0)
		EXPECT_EQ(b->vmallocs, zt_vmalloc_count())
			TH_LOG("kernel mappings made by zcap left in /proc/vmallocinfo");
}

/* Gauge @g now, relative to what the test started with. */
static inline int64_t gauge_delta(struct __test_metadata *_metadata,
				  const struct zt_base *b, enum zt_stat g)
{
	struct zt_stats now;

	EXPECT_EQ(0, zt_stats_read(&now));
	return (int64_t)(now.v[g] - b->start.v[g]);
}

/*
 * Runs @call, which must fail with -@err, and checks that it moved no gauge
 * and left no file descriptor behind.
 */
#define EXPECT_FAILS_CLEAN(err, call) do {					\
	struct zt_stats __before, __after;					\
	char __diff[256];							\
	int __fds, __ret;							\
										\
	ASSERT_EQ(0, zt_stats_read(&__before));					\
	__fds = zt_count_fds();							\
	__ret = (call);								\
	EXPECT_EQ(-(err), __ret) TH_LOG("%s: got %d (%s)", #call, __ret,	\
					__ret < 0 ? strerror(-__ret) : "fd");	\
	if (__ret > 0)	/* an fd handed out by mistake */		\
		close(__ret);							\
	ASSERT_EQ(0, zt_stats_read(&__after));					\
	zt_stats_diff(&__before, &__after, __diff, sizeof(__diff));		\
	EXPECT_STREQ("", __diff) TH_LOG("%s left gauges moved", #call);	\
	EXPECT_EQ(__fds, zt_count_fds()) TH_LOG("%s leaked an fd", #call);	\
} while (0)

/*
 * ZCAP_IOC_VERSION as Documentation/abi.md specifies it for any build of
 * the module: what both the 64-bit and the compat tests check.  Leaves the
 * reply in @ver for the checks a caller adds.
 */
static inline void version_check(struct __test_metadata *_metadata, int dev,
				 size_t page, struct zcap_version *ver)
{
	uint64_t param;
	int i;

	memset(ver, 0xff, sizeof(*ver));
	ASSERT_EQ(0, zt_version(dev, ver));
	EXPECT_EQ(ZCAP_ABI_VERSION, ver->abi_version);
	EXPECT_EQ(ZCAP_POOL_FLAGS_ALL, ver->pool_flags);
	EXPECT_EQ(ZCAP_MAX_BUFFERS, ver->max_buffers);
	EXPECT_EQ(page, ver->page_size);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, ver->reserved[i]) TH_LOG("reserved[%d]", i);
	ASSERT_EQ(0, zt_param_read("max_pool_bytes", &param));
	EXPECT_EQ(param, ver->max_pool_bytes);
	ASSERT_EQ(0, zt_param_read("max_total_bytes", &param));
	EXPECT_EQ(param, ver->max_total_bytes);
	EXPECT_LE(page, ver->max_contig_bytes);
}

#endif /* ZCAP_SELFTEST_TEST_H */
