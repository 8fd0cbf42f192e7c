// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libzcap's dma-buf providers in the VM: the allocator contract on zcap.ko
 * (loaded by tests/vm/suites/lib-providers.sh), the system dma-heap and
 * udmabuf, and, for zcap.ko, its debugfs gauges: what the library holds
 * while committed, and nothing once the last reference is gone.
 * A provider this kernel lacks is skipped with the reason.
 */
#include <stdlib.h>

#include "provider_contract.h"
#include "zcap_stats.h"


static const char *const gauges[] = {
	"pools", "buffers", "bytes", "dmabufs", "attachments", "mappings",
	"vmaps", "mmaps",
};

static bool gauges_zero(const char *when)
{
	bool zero = true;

	for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
		long long v = zcap_stat(gauges[i]);

		if (v != 0) {
			tap_diag("%s: %s = %lld", when, gauges[i], v);
			zero = false;
		}
	}
	return zero;
}

static void zcap_gauges(void)
{
	struct zcap_allocator *a = NULL;
	struct zcap_alloc_props p = { .count = 3, .n_mem = 1 }, got;
	struct zcap_sample *s[3] = { 0 };
	long long calls;

	if (zcap_stat("dmabufs") < 0) {
		tap_skip("no " ZCAP_STATS_PATH " (zcap.ko not loaded or debugfs not mounted)",
			 "zcap: debugfs gauges");
		return;
	}
	ok(gauges_zero("before"), "zcap: debugfs gauges are zero before the library runs");
	p.size[0] = 100000;
	if (zcap_allocator_new_dmabuf(ZCAP_PROVIDER_ZCAP, &a)) {
		ok(0, "zcap: allocator for the gauge test");
		return;
	}
	zcap_allocator_set_properties(a, &p, &got);
	zcap_allocator_commit(a);
	ok(zcap_stat("dmabufs") == 3 && zcap_stat("buffers") == 3 &&
	   zcap_stat("bytes") == 3 * (long long)(got.size[0] + got.prefix),
	   "zcap: committed 3 buffers: 3 buffers, 3 dma-bufs, %lld bytes",
	   zcap_stat("bytes"));
	tap_diag("zcap: pools gauge while committed (pool fds closed after export): %lld",
		 zcap_stat("pools"));
	for (int i = 0; i < 3; i++)
		zcap_allocator_get_buffer(a, 0, &s[i]);
	calls = zcap_stat("cpu_access_calls");
	for (int i = 0; i < 3; i++)
		pc_fill(s[i], false);
	ok(zcap_stat("mmaps") == 3, "zcap: one CPU mapping per dma-buf (mmaps %lld)", zcap_stat("mmaps"));
	ok(zcap_stat("cpu_access_calls") - calls == 6,
	   "zcap: begin/end reached the module as SYNC_START + SYNC_END per buffer (%lld)",
	   zcap_stat("cpu_access_calls") - calls);
	for (int i = 0; i < 3; i++)
		pc_fill(s[i], true);
	is(zcap_stat("mmaps"), 3, "zcap: mapped once, kept while committed");
	zcap_allocator_decommit(a);
	is(zcap_stat("dmabufs"), 3, "zcap: decommit with samples out keeps their dma-bufs");
	for (int i = 0; i < 3; i++)
		zcap_sample_unref(s[i]);
	ok(gauges_zero("after the last sample"),
	   "zcap: last sample back after decommit: every gauge back to zero");
	zcap_allocator_unref(a);
	ok(gauges_zero("at the end"), "zcap: nothing left after unref");
}

int main(void)
{
	bool have_zcap = provider_contract(ZCAP_PROVIDER_ZCAP);

	if (have_zcap)
		ok(gauges_zero("after the contract"),
		   "zcap: debugfs gauges back to zero after the contract");
	zcap_gauges();
	provider_contract(ZCAP_PROVIDER_DMA_HEAP);
	provider_contract(ZCAP_PROVIDER_UDMABUF);
	{
		struct zcap_allocator *a = NULL;
		char why[512];

		zcap_provider_probe(ZCAP_PROVIDER_AUTO, why, sizeof(why));
		tap_diag("probe(AUTO): %s", why);
		if (!zcap_allocator_new_dmabuf(ZCAP_PROVIDER_AUTO, &a))
			ok(zcap_allocator_provider(a) ==
				   (have_zcap ? ZCAP_PROVIDER_ZCAP : zcap_allocator_provider(a)),
			   "AUTO picks zcap.ko first when it is loaded: %s",
			   zcap_allocator_describe(a));
		else
			tap_skip("no dma-buf provider in this kernel", "AUTO picks a provider");
		zcap_allocator_unref(a);
	}
	return tap_done();
}
