// SPDX-License-Identifier: GPL-2.0-or-later
/* A dma-buf provider's device on this machine, and the fix (provcheck.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "provcheck.h"

struct prov_desc {
	enum zcap_provider id;
	const char *name;
	const char *dev;	/* the device a provider opens */
	const char *module;	/* the module that makes it */
	const char *config;	/* the kernel option that builds it */
	const char *access;	/* who may open it, and how to become one */
};

static const struct prov_desc provs[] = {
	{ ZCAP_PROVIDER_ZCAP, "zcap", "/dev/zcap", "zcap", NULL,
	  "add yourself to group video and log in again (zcap's udev rule gives /dev/zcap to group video and, with uaccess, to the user at the seat)" },
	{ ZCAP_PROVIDER_DMA_HEAP, "dma-heap", "/dev/dma_heap/system", "system_heap",
	  "CONFIG_DMABUF_HEAPS_SYSTEM",
	  "it is root's by default: a udev rule giving /dev/dma_heap/system to group video, then join that group" },
	{ ZCAP_PROVIDER_UDMABUF, "udmabuf", "/dev/udmabuf", "udmabuf", "CONFIG_UDMABUF",
	  "add yourself to the group that owns it (ls -l /dev/udmabuf; Debian: kvm) or a udev rule giving it to group video" },
};

/* The node is missing: why, from the module's state in the running kernel. */
static void explain_missing(const struct prov_desc *d, struct zcap_prov_check *c)
{
	switch (c->kmod) {
	case ZCAP_KMOD_AVAILABLE:
		c->state = ZCAP_PROV_NOT_LOADED;
		snprintf(c->why, sizeof(c->why), "%s is a module of this kernel, not loaded", d->module);
		snprintf(c->fix, sizeof(c->fix), "sudo modprobe %s", d->module);
		return;
	case ZCAP_KMOD_LOADED:
	case ZCAP_KMOD_BUILTIN:
		c->state = ZCAP_PROV_NO_NODE;
		snprintf(c->why, sizeof(c->why), "%s is %s but %s does not exist", d->module,
			 c->kmod == ZCAP_KMOD_LOADED ? "loaded" : "built into this kernel", d->dev);
		snprintf(c->fix, sizeof(c->fix), "is devtmpfs mounted on /dev, or did udev remove it?");
		return;
	case ZCAP_KMOD_UNKNOWN:
		/* No module lists to read (a container, a custom kernel). */
		c->state = ZCAP_PROV_ABSENT;
		snprintf(c->why, sizeof(c->why), "%s does not exist (this kernel's module lists cannot be read to say whether it has %s)",
			 d->dev, d->module);
		snprintf(c->fix, sizeof(c->fix), "sudo modprobe %s, if this kernel has it", d->module);
		return;
	case ZCAP_KMOD_ABSENT:
		break;
	}
	c->state = ZCAP_PROV_ABSENT;
	if (d->id == ZCAP_PROVIDER_ZCAP) {
		snprintf(c->why, sizeof(c->why), "zcap.ko is not installed for this kernel");
		snprintf(c->fix, sizeof(c->fix),
			 "install zcap-dkms (or make modules_install), then sudo modprobe zcap");
		return;
	}
	snprintf(c->why, sizeof(c->why), "this kernel has no %s (%s is not set)", d->name, d->config);
	snprintf(c->fix, sizeof(c->fix), "another --provider, or a kernel with %s", d->config);
}

static const struct prov_desc *find(enum zcap_provider p)
{
	size_t i;

	for (i = 0; i < sizeof(provs) / sizeof(provs[0]); i++)
		if (provs[i].id == p)
			return &provs[i];
	return NULL;
}

int zcap_prov_check(enum zcap_provider p, const char *root, const char *release,
		    struct zcap_prov_check *out)
{
	const struct prov_desc *d = find(p);
	int fd;

	if (!d || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->provider = p;
	out->name = d->name;
	snprintf(out->path, sizeof(out->path), "%s%s", root ? root : "", d->dev);
	out->kmod = zcap_kmod_state(root, release, d->module);
	fd = open(out->path, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		out->state = ZCAP_PROV_OK;
		snprintf(out->why, sizeof(out->why), "%s opens", d->dev);
		return 0;
	}
	out->err = errno;
	if (out->err == ENOENT || out->err == ENODEV || out->err == ENXIO) {
		explain_missing(d, out);
	} else if (out->err == EACCES || out->err == EPERM) {
		out->state = ZCAP_PROV_REFUSED;
		snprintf(out->why, sizeof(out->why), "%s exists but refuses you (%s)", d->dev,
			 strerror(out->err));
		snprintf(out->fix, sizeof(out->fix), "%s", d->access);
	} else {
		out->state = ZCAP_PROV_ERROR;
		snprintf(out->why, sizeof(out->why), "%s: %s", d->dev, strerror(out->err));
	}
	return 0;
}

const char *zcap_prov_state_key(enum zcap_prov_state s)
{
	static const char *const keys[] = {
		[ZCAP_PROV_OK] = "ok",
		[ZCAP_PROV_REFUSED] = "refused",
		[ZCAP_PROV_NO_NODE] = "no-node",
		[ZCAP_PROV_NOT_LOADED] = "not-loaded",
		[ZCAP_PROV_ABSENT] = "absent",
		[ZCAP_PROV_ERROR] = "error",
	};

	return (unsigned int)s < sizeof(keys) / sizeof(keys[0]) ? keys[s] : "error";
}
