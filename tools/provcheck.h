/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a dma-buf provider's device says on this machine, for zcap-info and
 * zcap-capture's summary: there and usable, there but refused to this
 * user (the case a silent fallback to a copy hid), or not there, and then
 * whether its module is built in, loaded, installed or absent from the
 * running kernel, so that the fix given is one that works here.
 */
#ifndef ZCAP_TOOLS_PROVCHECK_H
#define ZCAP_TOOLS_PROVCHECK_H

#include <stdbool.h>

#include <zcap/allocator.h>

#include "kmod.h"

enum zcap_prov_state {
	ZCAP_PROV_OK,		/* the device opens read-write */
	ZCAP_PROV_REFUSED,	/* it exists, and open() says EACCES/EPERM */
	ZCAP_PROV_NO_NODE,	/* the kernel has it but the node is missing */
	ZCAP_PROV_NOT_LOADED,	/* its module is installed, not loaded */
	ZCAP_PROV_ABSENT,	/* this kernel has no such provider */
	ZCAP_PROV_ERROR,	/* another error opening it */
};

struct zcap_prov_check {
	enum zcap_provider provider;
	const char *name;	/* "zcap", "dma-heap", "udmabuf" */
	char path[128];		/* the device, under the root */
	enum zcap_prov_state state;
	enum zcap_kmod_state kmod;	/* of its module */
	int err;		/* open()'s errno, 0 when it opened */
	char why[256];		/* what is the matter, one line */
	char fix[256];		/* what to do about it; "" when nothing is */
};

/*
 * Check @p (ZCAP, DMA_HEAP or UDMABUF) with every path under @root (NULL:
 * /) and modules of kernel @release (NULL: the running one). -EINVAL for
 * another provider, else 0 with @out filled.
 */
int zcap_prov_check(enum zcap_provider p, const char *root, const char *release,
		    struct zcap_prov_check *out);

/* "ok", "refused", "no-node", "not-loaded", "absent", "error" (for JSON). */
const char *zcap_prov_state_key(enum zcap_prov_state s);

#endif /* ZCAP_TOOLS_PROVCHECK_H */
