// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A kernel module's state from what the kernel and kmod leave on disk
 * (kmod.h): /sys/module/NAME with an initstate file is a loaded module
 * (built-in code has the directory only when it has parameters, and
 * never initstate); modules.builtin lists what is in the image,
 * modules.dep what is installed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kmod.h"

/* "kernel/drivers/dma-buf/udmabuf.ko.xz: deps" names udmabuf? */
static bool line_names(const char *line, const char *name)
{
	size_t end = strcspn(line, ":\n");
	const char *base = line, *slash;
	size_t i, n = strlen(name);

	while ((slash = memchr(base, '/', end - (size_t)(base - line))))
		base = slash + 1;
	if ((size_t)(line + end - base) < n + 3 || strncmp(base + n, ".ko", 3))
		return false;
	/* "udmabuf.ko" or "udmabuf.ko.xz", not "udmabuf.kox" */
	if (base + n + 3 != line + end && base[n + 3] != '.')
		return false;
	for (i = 0; i < n; i++) {
		char a = base[i] == '-' ? '_' : base[i];
		char b = name[i] == '-' ? '_' : name[i];

		if (a != b)
			return false;
	}
	return true;
}

/* 1 when @file lists @name, 0 when not, -1 when it cannot be read. */
static int file_lists(const char *file, const char *name)
{
	char line[512];
	int found = 0;
	FILE *f = fopen(file, "re");

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = line_names(line, name);
	fclose(f);
	return found;
}

static bool exists(const char *root, const char *a, const char *b, const char *c)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s%s%s", root, a, b, c);
	return access(path, F_OK) == 0;
}

enum zcap_kmod_state zcap_kmod_state(const char *root, const char *release,
				     const char *name)
{
	char path[512], mod[64];
	struct utsname u;
	int builtin, dep;
	size_t i;

	if (!name || !name[0] || strlen(name) >= sizeof(mod))
		return ZCAP_KMOD_UNKNOWN;
	if (!root)
		root = "";
	if (!release) {
		if (uname(&u))
			return ZCAP_KMOD_UNKNOWN;
		release = u.release;
	}
	/* sysfs names modules with '_' only. */
	for (i = 0; name[i]; i++)
		mod[i] = name[i] == '-' ? '_' : name[i];
	mod[i] = '\0';
	if (exists(root, "/sys/module/", mod, "/initstate"))
		return ZCAP_KMOD_LOADED;
	snprintf(path, sizeof(path), "%s/lib/modules/%s/modules.builtin", root, release);
	builtin = file_lists(path, mod);
	if (builtin > 0 || exists(root, "/sys/module/", mod, ""))
		return ZCAP_KMOD_BUILTIN;
	snprintf(path, sizeof(path), "%s/lib/modules/%s/modules.dep", root, release);
	dep = file_lists(path, mod);
	if (dep > 0)
		return ZCAP_KMOD_AVAILABLE;
	return builtin < 0 && dep < 0 ? ZCAP_KMOD_UNKNOWN : ZCAP_KMOD_ABSENT;
}

const char *zcap_kmod_state_name(enum zcap_kmod_state s)
{
	switch (s) {
	case ZCAP_KMOD_ABSENT:
		return "not in this kernel";
	case ZCAP_KMOD_AVAILABLE:
		return "not loaded";
	case ZCAP_KMOD_LOADED:
		return "loaded";
	case ZCAP_KMOD_BUILTIN:
		return "built in";
	case ZCAP_KMOD_UNKNOWN:
		break;
	}
	return "unknown";
}
