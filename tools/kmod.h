/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Is a kernel module built into the running kernel, loaded, installed but
 * not loaded, or nowhere? The tools' advice depends on it: "modprobe
 * udmabuf" helps only where udmabuf is a module that is installed; on a
 * kernel built without it (Debian's 6.1) the advice is another kernel.
 */
#ifndef ZCAP_TOOLS_KMOD_H
#define ZCAP_TOOLS_KMOD_H

enum zcap_kmod_state {
	ZCAP_KMOD_UNKNOWN,	/* /lib/modules/RELEASE cannot be read */
	ZCAP_KMOD_ABSENT,	/* neither built in nor installed */
	ZCAP_KMOD_AVAILABLE,	/* installed (modules.dep), not loaded */
	ZCAP_KMOD_LOADED,	/* a module, loaded (/sys/module/NAME/initstate) */
	ZCAP_KMOD_BUILTIN,	/* part of the kernel image (modules.builtin) */
};

/*
 * The state of module @name (as modprobe names it, '-' and '_' alike) in
 * kernel @release (NULL: the running one), with every path under @root
 * (NULL or "": the real /), so that tests can build a fake tree.
 */
enum zcap_kmod_state zcap_kmod_state(const char *root, const char *release,
				     const char *name);

/* "built in", "loaded", "not loaded", "not in this kernel", "unknown". */
const char *zcap_kmod_state_name(enum zcap_kmod_state s);

#endif /* ZCAP_TOOLS_KMOD_H */
