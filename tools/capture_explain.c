// SPDX-License-Identifier: GPL-2.0-or-later
/* zcap-capture's explanations (capture_explain.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <zcap/zcap.h>

#include "capture_explain.h"
#include "fourcc.h"
#include "provcheck.h"

static const char *prog = ZCAP_CAPTURE_PROG;

static void list_formats(const char *device)
{
	struct v4l2_capability cap;
	struct v4l2_fmtdesc fd;
	char name[ZCAP_TOOL_FOURCC_LEN];
	uint32_t caps;
	int vfd;

	vfd = open(device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (vfd < 0)
		return;
	memset(&cap, 0, sizeof(cap));
	if (ioctl(vfd, VIDIOC_QUERYCAP, &cap) < 0) {
		close(vfd);
		return;
	}
	caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps :
							    cap.capabilities;
	fprintf(stderr, "%s: %s captures:\n", prog, device);
	memset(&fd, 0, sizeof(fd));
	fd.type = (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE) ?
		V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE;
	for (fd.index = 0; ioctl(vfd, VIDIOC_ENUM_FMT, &fd) == 0; fd.index++)
		fprintf(stderr, "  %-4s  %s\n", zcap_tool_fourcc_name(fd.pixelformat, name),
			(const char *)fd.description);
	close(vfd);
}

int zcap_capture_source_error(const struct zcap_capture_opts *o, int err)
{
	char name[ZCAP_TOOL_FOURCC_LEN];
	struct stat st;

	switch (err) {
	case -ENOENT:
		fprintf(stderr, "%s: %s: no such device (is its driver loaded? see 'zcap-info')\n",
			prog, o->device);
		break;
	case -EACCES:
	case -EPERM:
		fprintf(stderr, "%s: %s: permission denied (join group 'video')\n",
			prog, o->device);
		break;
	case -ENOTTY:
		fprintf(stderr, "%s: %s is not a V4L2 device\n", prog, o->device);
		break;
	case -EMEDIUMTYPE:
		fprintf(stderr, "%s: %s is not a video capture device\n", prog, o->device);
		break;
	case ZCAP_E_TYPE_NOT_ACCEPTED:
		fprintf(stderr, "%s: %s cannot capture %s\n", prog, o->device,
			zcap_tool_fourcc_name(o->fourcc, name));
		list_formats(o->device);
		break;
	default:
		if (stat(o->device, &st) == 0 && !S_ISCHR(st.st_mode))
			fprintf(stderr, "%s: %s is not a device\n", prog, o->device);
		else
			fprintf(stderr, "%s: %s: %s\n", prog, o->device, zcap_strerror(err));
	}
	return 1;
}

static const enum zcap_provider dmabuf_providers[] = {
	ZCAP_PROVIDER_ZCAP, ZCAP_PROVIDER_DMA_HEAP, ZCAP_PROVIDER_UDMABUF,
};

void zcap_capture_explain_providers(FILE *f, enum zcap_provider p, const char *root,
				    const char *release)
{
	struct zcap_prov_check c;
	size_t i;

	for (i = 0; i < sizeof(dmabuf_providers) / sizeof(dmabuf_providers[0]); i++) {
		if (p != ZCAP_PROVIDER_AUTO && p != dmabuf_providers[i])
			continue;
		if (zcap_prov_check(dmabuf_providers[i], root, release, &c) < 0 ||
		    c.state == ZCAP_PROV_OK)
			continue;
		/* A named provider: the others are a fix too, unless said. */
		fprintf(f, "%s: %s: %s%s%s%s\n", prog, c.name, c.why, c.fix[0] ? "; fix: " : "",
			c.fix, p == ZCAP_PROVIDER_AUTO || strstr(c.fix, "--provider") ? "" :
			" (or another --provider: auto, zcap, heap, udmabuf, memory)");
	}
}

int zcap_capture_refused(FILE *f)
{
	struct zcap_prov_check c;
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof(dmabuf_providers) / sizeof(dmabuf_providers[0]); i++) {
		if (zcap_prov_check(dmabuf_providers[i], NULL, NULL, &c) < 0 ||
		    c.state != ZCAP_PROV_REFUSED)
			continue;
		fprintf(f, "refused:  %s: %s; fix: %s\n", c.name, c.why, c.fix);
		n++;
	}
	return n;
}

int zcap_capture_copy_why(const struct zcap_copy_facts *c, char *buf, size_t len)
{
	int n = 0;

	if (!c || (!buf && len))
		return -EINVAL;
	if (len)
		buf[0] = '\0';
	if (c->source && !c->dmabuf)
		n += snprintf(buf + n, len > (size_t)n ? len - n : 0,
			      "          %llu by the source: %s, so each frame was copied out of the driver's buffers\n",
			      (unsigned long long)c->source,
			      c->asked == ZCAP_PROVIDER_MEMORY ?
			      "--provider memory gives no dma-bufs" :
			      "no dma-buf provider could be used here (see zcap-info)");
	else if (c->source)
		n += snprintf(buf + n, len > (size_t)n ? len - n : 0,
			      "          %llu by the source: the driver cannot import these dma-bufs, so it captured into its own buffers and each frame was copied (see the note)\n",
			      (unsigned long long)c->source);
	if (c->writer)
		n += snprintf(buf + n, len > (size_t)n ? len - n : 0,
			      "          %llu by the writer: the file system of %s refuses writes from dma-buf mappings (EFAULT, as 9p and O_DIRECT files do), so those frames went through a bounce buffer\n",
			      (unsigned long long)c->writer,
			      c->output && strcmp(c->output, "-") ? c->output : "the output");
	return n;
}
