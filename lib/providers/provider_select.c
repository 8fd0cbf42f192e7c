// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Choosing a dma-buf provider: zcap.ko, the system dma-heap, then udmabuf
 * for ZCAP_PROVIDER_AUTO, keeping the reason each one failed for
 * zcap_allocator_describe() and the tools' summaries, and logging each
 * to the filter that asked (zcapi_allocator_new_dmabuf_log()). The allocator
 * itself (lib/core/allocator.c) knows providers only through their ops.
 */
#include <errno.h>
#include <stdio.h>

#include "providers.h"

typedef int (*open_fn)(struct zcapi_provider *p, char *why, size_t len);

static const struct {
	enum zcap_provider id;
	open_fn open;
} dmabuf_providers[] = {
	{ ZCAP_PROVIDER_ZCAP, zcapi_zcap_open },
	{ ZCAP_PROVIDER_DMA_HEAP, zcapi_dma_heap_open },
	{ ZCAP_PROVIDER_UDMABUF, zcapi_udmabuf_open },
};

/*
 * Open @which (AUTO: each in turn until one works). @p is the opened
 * provider on success; @report gets "name: why" for every one that failed,
 * and, on success, what serves.
 */
static int open_dmabuf(enum zcap_provider which, struct zcapi_provider *p,
		       char *report, size_t len, struct zcap_filter *log)
{
	size_t used = 0;
	bool tried = false;
	int ret = -EINVAL;

	if (report && len)
		report[0] = '\0';
	for (size_t i = 0; i < ZCAPI_ARRAY_SIZE(dmabuf_providers); i++) {
		char why[200];
		int n;

		if (which != ZCAP_PROVIDER_AUTO &&
		    which != dmabuf_providers[i].id)
			continue;
		tried = true;
		why[0] = '\0';
		ret = dmabuf_providers[i].open(p, why, sizeof(why));
		if (ret)
			zcap_filter_log(log, ZCAP_LOG_WARN, "provider %s: %s",
					zcap_provider_name(dmabuf_providers[i].id), why);
		else
			zcap_filter_log(log, ZCAP_LOG_INFO, "provider %s serves: %s",
					zcap_provider_name(dmabuf_providers[i].id), p->desc);
		if (!ret) {
			if (report && len > used)
				snprintf(report + used, len - used, "%s%s",
					 used ? "; served by " : "", p->desc);
			return 0;
		}
		if (report && len > used) {
			n = snprintf(report + used, len - used, "%s%s: %s",
				     used ? "; " : "",
				     zcap_provider_name(dmabuf_providers[i].id),
				     why);
			if (n > 0)
				used += (size_t)n;
			if (used >= len)
				used = len - 1;
		}
	}
	if (!tried)
		return -EINVAL;
	return which == ZCAP_PROVIDER_AUTO ? ZCAP_E_NO_PROVIDER : ret;
}

int zcap_allocator_new_dmabuf(enum zcap_provider provider,
			      struct zcap_allocator **out)
{
	return zcapi_allocator_new_dmabuf_log(NULL, provider, out);
}

int zcapi_allocator_new_dmabuf_log(struct zcap_filter *log,
				   enum zcap_provider provider,
				   struct zcap_allocator **out)
{
	struct zcapi_provider p;
	char report[640];
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (provider != ZCAP_PROVIDER_AUTO && provider != ZCAP_PROVIDER_ZCAP &&
	    provider != ZCAP_PROVIDER_DMA_HEAP &&
	    provider != ZCAP_PROVIDER_UDMABUF)
		return -EINVAL;
	ret = open_dmabuf(provider, &p, report, sizeof(report), log);
	if (ret)
		return ret;
	return zcapi_allocator_new_from(&p, report, out);
}

int zcap_provider_probe(enum zcap_provider provider, char *buf, uint32_t len)
{
	struct zcapi_provider p;
	int ret;

	if (!buf && len)
		return -EINVAL;
	switch (provider) {
	case ZCAP_PROVIDER_MEMORY:
		ret = zcapi_memory_open(&p);
		if (!ret)
			snprintf(buf, len, "%s", p.desc);
		break;
	case ZCAP_PROVIDER_AUTO:
	case ZCAP_PROVIDER_ZCAP:
	case ZCAP_PROVIDER_DMA_HEAP:
	case ZCAP_PROVIDER_UDMABUF:
		ret = open_dmabuf(provider, &p, buf, len, NULL);
		break;
	default:
		/* V4L2 buffers belong to a device, not to a provider to probe. */
		if (len)
			snprintf(buf, len, "%s: not a provider to probe",
				 zcap_provider_name(provider));
		return -EINVAL;
	}
	if (!ret && p.ops->destroy)
		p.ops->destroy(p.priv);
	return ret;
}
