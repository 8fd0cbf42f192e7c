// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zcap-capture: capture frames from a V4L2 device into dma-buf buffers,
 * write them to a file and/or a PNG, and say what it cost.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <zcap/consumers.h>
#include <zcap/zcap.h>

#include "capsink.h"
#include "capture_opts.h"
#include "consumers.h"
#include "fourcc.h"
#include "pngsnap.h"
#include "stopmsg.h"
#include "toollog.h"

static const char *prog = ZCAP_CAPTURE_PROG;
static volatile sig_atomic_t interrupted;

/* ---- messages ---------------------------------------------------------- */

static void list_formats(const char *device)
{
	struct v4l2_capability cap;
	struct v4l2_fmtdesc fd;
	uint32_t type, caps;
	char fcc[5];
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
	type = (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE) ?
		V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE;
	fprintf(stderr, "%s: %s captures:\n", prog, device);
	memset(&fd, 0, sizeof(fd));
	fd.type = type;
	for (fd.index = 0; ioctl(vfd, VIDIOC_ENUM_FMT, &fd) == 0; fd.index++)
		fprintf(stderr, "  %-4s  %s\n", zcap_fourcc_str(fd.pixelformat, fcc),
			(const char *)fd.description);
	close(vfd);
}

/* Why no dma-buf provider could be opened, from what is on this machine. */
static void explain_providers(enum zcap_provider p)
{
	if (p == ZCAP_PROVIDER_ZCAP || p == ZCAP_PROVIDER_AUTO) {
		if (access("/dev/zcap", F_OK) < 0)
			fprintf(stderr,
				"%s: zcap.ko not loaded: sudo modprobe zcap, or --provider heap|udmabuf|memory\n",
				prog);
		else if (access("/dev/zcap", R_OK | W_OK) < 0)
			fprintf(stderr,
				"%s: /dev/zcap: permission denied: join group 'video' (the udev rule gives it the device), or --provider ...\n",
				prog);
	}
	if (p == ZCAP_PROVIDER_DMA_HEAP) {
		if (access("/dev/dma_heap/system", F_OK) < 0)
			fprintf(stderr, "%s: /dev/dma_heap/system does not exist on this kernel\n", prog);
		else if (access("/dev/dma_heap/system", R_OK) < 0)
			fprintf(stderr, "%s: /dev/dma_heap/system: permission denied (often root only)\n", prog);
	}
	if (p == ZCAP_PROVIDER_UDMABUF) {
		if (access("/dev/udmabuf", F_OK) < 0)
			fprintf(stderr, "%s: /dev/udmabuf does not exist: sudo modprobe udmabuf\n", prog);
		else if (access("/dev/udmabuf", R_OK | W_OK) < 0)
			fprintf(stderr, "%s: /dev/udmabuf: permission denied\n", prog);
	}
}

static int source_error(const struct zcap_capture_opts *o, int err)
{
	struct stat st;
	char fcc[5];

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
			zcap_fourcc_str(o->fourcc, fcc));
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

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void progress(const struct zcap_filter_stats *src, const struct zcap_filter_stats *snk,
		     double secs)
{
	double fps = secs > 0 ? (double)src->frames / secs : 0;
	double lat = snk->latency_samples ?
		ms(snk->latency_ns_sum / snk->latency_samples) : 0;

	fprintf(stderr, "\r\033[K%.1f fps, %llu frames, %llu dropped, latency %.1f ms",
		fps, (unsigned long long)src->frames, (unsigned long long)src->dropped, lat);
	fflush(stderr);
}

int main(int argc, char **argv)
{
	struct zcap_v4l2_source_config cfg;
	struct zcap_filter_stats sst, kst;
	struct zcap_filter *src = NULL, *snk = NULL;
	struct zcap_allocator *alloc = NULL;
	struct zcap_graph *g = NULL;
	struct zcap_capsink cs;
	struct zcap_format fmt;
	struct timespec t0, t1;
	struct sigaction sa;
	char desc[256], fcc[5], msg[512];
	bool tty, done = false, consumers;
	FILE *out;
	int ret, status = 1;
	uint32_t p;
	struct zcap_capture_opts o;

	zcap_capture_parse_opts(argc, argv, &o);
	memset(&cs, 0, sizeof(cs));
	cs.fd = -1;
	cs.png.path = o.png;
	cs.flags = o.raw ? ZCAP_FILE_SINK_RAW : 0;
	/* The summary must not mix with frames written to standard output. */
	out = (o.output && !strcmp(o.output, "-")) ? stderr : stdout;
	tty = !o.quiet && isatty(STDERR_FILENO);

	consumers = o.encode || o.passthrough || o.drm;
	/* With --encode the encoder's file sink writes -o, not us. */
	if (o.output && !o.encode) {
		if (!strcmp(o.output, "-")) {
			cs.fd = STDOUT_FILENO;
		} else {
			cs.fd = open(o.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (cs.fd < 0) {
				fprintf(stderr, "%s: %s: %s\n", prog, o.output, strerror(errno));
				return 1;
			}
		}
	}

	memset(&cfg, 0, sizeof(cfg));
	cfg.device = o.device;
	cfg.fourcc = o.fourcc;
	cfg.width = o.width;
	cfg.height = o.height;
	cfg.stride = o.stride;
	cfg.fps = o.fps;
	cfg.max_frames = o.frames;
	cfg.extra_buffers = o.extra;
	cfg.provider = o.provider;
	cfg.timeout_ms = o.timeout_ms;

	ret = zcap_graph_new(&g);
	if (ret < 0)
		goto err_msg;
	zcap_tool_log_graph(g, prog, o.verbose);
	ret = zcap_v4l2_source_new(&cfg, &src);
	if (ret < 0) {
		source_error(&o, ret);
		goto out;
	}
	ret = zcap_graph_add(g, src);
	if (ret < 0) {
		zcap_filter_destroy(src);
		goto err_msg;
	}
	ret = zcap_capsink_new(&cs, &snk);
	if (ret < 0)
		goto err_msg;
	ret = zcap_graph_add(g, snk);
	if (ret < 0) {
		zcap_filter_destroy(snk);
		goto err_msg;
	}
	if (consumers) {
		struct consumers_config cc = {
			.encode_device = o.encode,
			.encode_path = o.encode ? o.output : NULL,
			.passthrough_device = o.passthrough,
			.drm_device = o.drm,
			.flags = o.force_copy ? ZCAP_CONSUMER_FORCE_COPY : 0,
		};
		struct zcap_pin *mine = zcap_filter_pin(snk, ZCAP_PIN_INPUT, 0);

		/* Our sink stays behind the tee for the PNG and the counts. */
		ret = consumers_attach(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0),
				       &cc, &mine, 1);
		if (ret > 0)
			ret = 0;
	} else {
		ret = zcap_graph_connect(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0),
					 zcap_filter_pin(snk, ZCAP_PIN_INPUT, 0), NULL);
	}
	if (ret < 0) {
		zcap_filter_get_stats(src, &sst);
		fprintf(stderr, "%s: cannot set up buffers: %s\n", prog, zcap_strerror(ret));
		if (sst.note[0])
			fprintf(stderr, "%s: %s\n", prog, sst.note);
		/* A named provider's own errno (ENOENT, EACCES) or none at all. */
		if (ret == ZCAP_E_NO_PROVIDER || ret == -ENOENT || ret == -EACCES ||
		    ret == -EPERM || ret == -ENODEV)
			explain_providers(o.provider);
		goto out;
	}
	zcap_pin_format(zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0), &fmt);
	if (o.png && !zcap_png_supported(fmt.fourcc)) {
		fprintf(stderr, "%s: cannot make a PNG of %s frames (YUYV, UYVY, NV12, NV16, YUV420, RGB and GREY can)\n",
			prog, zcap_fourcc_str(fmt.fourcc, fcc));
		goto out;
	}
	zcap_pin_allocator(zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0), &alloc);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (!o.quiet) {
		zcap_v4l2_source_describe(src, desc, sizeof(desc));
		fprintf(out, "%s: %s\n", prog, desc);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = zcap_graph_run(g);
	if (ret < 0) {
		zcap_filter_get_stats(src, &sst);
		fprintf(stderr, "%s: cannot start capturing: %s\n", prog, zcap_strerror(ret));
		if (sst.note[0])
			fprintf(stderr, "%s: %s\n", prog, sst.note);
		goto out;
	}
	while (!interrupted) {
		ret = zcap_graph_wait(g, 250);
		if (ret != ZCAP_E_TIMEOUT) {
			done = true;
			break;
		}
		if (tty) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			zcap_filter_get_stats(src, &sst);
			zcap_filter_get_stats(snk, &kst);
			progress(&sst, &kst, (double)(t1.tv_sec - t0.tv_sec) +
				 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	zcap_graph_stop(g);
	/* The first frame's PNG may still be encoding: its result is reported. */
	zcap_capsink_png_finish(&cs);
	if (tty)
		fprintf(stderr, "\r\033[K");

	zcap_filter_get_stats(src, &sst);
	zcap_filter_get_stats(snk, &kst);
	/* Stopped by Ctrl-C, or every requested frame came: both are success. */
	status = 0;
	if (done && ret < 0 && ret != ZCAP_E_END_OF_STREAM) {
		zcap_capture_stop_message(prog, ret, sst.note, msg, sizeof(msg));
		fputs(msg, stderr);
		status = 1;
	}
	/* Frames the device flagged bad were captured, and not written. */
	if (o.frames && kst.frames + kst.errors < o.frames && !interrupted)
		status = 1;
	if (kst.last_error) {
		fprintf(stderr, "%s: writing %s: %s\n", prog, o.output ? o.output : "",
			zcap_strerror(kst.last_error));
		status = 1;
	}
	if (o.png) {
		if (!cs.png.taken) {
			fprintf(stderr, "%s: no frame came for the PNG\n", prog);
			status = 1;
		} else if (cs.png.err) {
			fprintf(stderr, "%s: %s: %s\n", prog, o.png, cs.png.msg);
			status = 1;
		}
	}

	if (!o.quiet) {
		double secs = (double)(t1.tv_sec - t0.tv_sec) +
			      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

		fprintf(out, "format:   %s %ux%u, %u plane%s in %u buffer%s:",
			zcap_fourcc_str(fmt.fourcc, fcc), fmt.width, fmt.height,
			fmt.n_planes, fmt.n_planes == 1 ? "" : "s",
			fmt.n_mem, fmt.n_mem == 1 ? "" : "s");
		/* A bitstream's frames have no lines: say how large one may be. */
		for (p = 0; p < fmt.n_planes; p++)
			if (fmt.flags & ZCAP_FORMAT_COMPRESSED)
				fprintf(out, " compressed, up to %llu bytes",
					(unsigned long long)fmt.planes[p].size);
			else
				fprintf(out, " stride %u", fmt.planes[p].stride);
		fprintf(out, "\n");
		fprintf(out, "frames:   %llu captured, %llu written, %llu dropped, %llu errors in %.1f s (%.1f fps)\n",
			(unsigned long long)sst.frames, (unsigned long long)kst.frames,
			(unsigned long long)(sst.dropped + kst.dropped),
			(unsigned long long)(sst.errors),
			secs, secs > 0 ? (double)sst.frames / secs : 0.0);
		if (!o.encode)
			fprintf(out, "written:  %llu bytes%s%s\n", (unsigned long long)kst.bytes,
				o.output ? " to " : "", o.output ? o.output : " (no --output)");
		fprintf(out, "copied:   %llu bytes by the CPU%s\n",
			(unsigned long long)(sst.bytes_copied + kst.bytes_copied),
			sst.bytes_copied + kst.bytes_copied ? "" : " (zero copy)");
		fprintf(out, "provider: %s\n", alloc ? zcap_allocator_describe(alloc) :
			(sst.provider[0] ? sst.provider : "none"));
		if (kst.latency_samples)
			fprintf(out, "latency:  avg %.2f ms, max %.2f ms over %llu frame%s (capture to write)\n",
				ms(kst.latency_ns_sum / kst.latency_samples),
				ms(kst.latency_ns_max),
				(unsigned long long)kst.latency_samples,
				kst.latency_samples == 1 ? "" : "s");
		if (cs.stamped_after_write)
			fprintf(out, "          %llu frame%s stamped after %s written: the driver's timestamps are not capture times\n",
				(unsigned long long)cs.stamped_after_write,
				cs.stamped_after_write == 1 ? "" : "s",
				cs.stamped_after_write == 1 ? "it was" : "they were");
		if (sst.note[0])
			fprintf(out, "note:     %s\n", sst.note);
		if (o.png && cs.png.taken && !cs.png.err)
			fprintf(out, "png:      %s (%ux%u)\n", o.png, fmt.width, fmt.height);
		if (consumers) {
			fprintf(out, "filters:\n");
			consumers_print_summary(g, out);
		}
	}
	goto out;

err_msg:
	fprintf(stderr, "%s: %s\n", prog, zcap_strerror(ret));
out:
	/* Every way out joins the PNG worker (a no-op when it was joined). */
	zcap_capsink_png_finish(&cs);
	if (alloc)
		zcap_allocator_unref(alloc);
	zcap_graph_destroy(g);
	if (cs.fd >= 0 && cs.fd != STDOUT_FILENO && close(cs.fd) < 0 && status == 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, o.output, strerror(errno));
		status = 1;
	}
	return status;
}
