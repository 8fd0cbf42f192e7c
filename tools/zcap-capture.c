// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zcap-capture: capture frames from a V4L2 device into dma-buf buffers,
 * write them to a file and/or a PNG, and say what it cost. Its parts: the
 * command line (capture_opts.c), its sink (capsink.c), the consumers
 * behind a tee (consumers.c), the summary (capture_summary.c) and what it
 * says when something is not as asked (capture_explain.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include <zcap/consumers.h>
#include <zcap/zcap.h>

#include "capsink.h"
#include "capture_explain.h"
#include "capture_opts.h"
#include "capture_summary.h"
#include "consumers.h"
#include "fourcc.h"
#include "pngsnap.h"
#include "stopmsg.h"
#include "term.h"
#include "toollog.h"
#include "toolopt.h"

/* The reader of the output went away: documented in zcap-capture(1). */
#define EXIT_OUTPUT_CLOSED 3

static const char *prog = ZCAP_CAPTURE_PROG;
static volatile sig_atomic_t interrupted;

struct capture {
	struct zcap_capture_opts o;
	struct zcap_capsink cs;
	struct zcap_graph *g;
	struct zcap_filter *src, *snk;
	struct zcap_capture_result r;
	FILE *out;		/* the summary's: stderr when frames go to stdout */
	bool progress;		/* a progress line on stderr */
	bool escapes;		/* ... that may use escape codes */
	const char *failed;	/* the consumer that could not be made */
	bool start_failed;	/* zcap_graph_run() failed */
};

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * -f as the device spells it: "yuyv" is the device's YUYV. A device that
 * cannot be asked is left to the source, which says why.
 */
static void resolve_format(struct zcap_capture_opts *o)
{
	struct v4l2_capability cap;
	struct v4l2_fmtdesc fd;
	uint32_t have[64], n = 0;
	int vfd;

	if (!o->fourcc)
		return;
	vfd = open(o->device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (vfd < 0)
		return;
	memset(&cap, 0, sizeof(cap));
	if (ioctl(vfd, VIDIOC_QUERYCAP, &cap) == 0) {
		memset(&fd, 0, sizeof(fd));
		fd.type = ((cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps :
			    cap.capabilities) & V4L2_CAP_VIDEO_CAPTURE_MPLANE) ?
			V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE;
		for (fd.index = 0; n < 64 && ioctl(vfd, VIDIOC_ENUM_FMT, &fd) == 0; fd.index++)
			have[n++] = fd.pixelformat;
	}
	close(vfd);
	o->fourcc = zcap_tool_fourcc_match(o->fourcc, have, n);
}

static int open_output(struct capture *c)
{
	/* With --encode the encoder's file sink writes -o, not us. */
	if (!c->o.output || c->o.encode)
		return 0;
	if (!strcmp(c->o.output, "-")) {
		c->cs.fd = STDOUT_FILENO;
		return 0;
	}
	c->cs.fd = open(c->o.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (c->cs.fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, c->o.output, strerror(errno));
		return 1;
	}
	return 0;
}

/* The source and our sink in a graph; 0, or 1 once it said why not. */
static int make_filters(struct capture *c)
{
	const struct zcap_capture_opts *o = &c->o;
	struct zcap_v4l2_source_config cfg = {
		.device = o->device, .fourcc = o->fourcc, .width = o->width,
		.height = o->height, .stride = o->stride, .fps = o->fps,
		.max_frames = o->frames, .extra_buffers = o->extra,
		.provider = o->provider, .timeout_ms = o->timeout_ms,
	};
	int ret;

	ret = zcap_graph_new(&c->g);
	if (ret < 0)
		goto err;
	c->r.g = c->g;
	zcap_tool_log_graph(c->g, prog, o->verbose);
	ret = zcap_v4l2_source_new(&cfg, &c->src);
	if (ret < 0)
		return zcap_capture_source_error(o, ret);
	ret = zcap_graph_add(c->g, c->src);
	if (ret < 0) {
		zcap_filter_destroy(c->src);
		goto err;
	}
	ret = zcap_capsink_new(&c->cs, &c->snk);
	if (ret < 0)
		goto err;
	ret = zcap_graph_add(c->g, c->snk);
	if (ret < 0) {
		zcap_filter_destroy(c->snk);
		goto err;
	}
	return 0;
err:
	fprintf(stderr, "%s: %s\n", prog, zcap_strerror(ret));
	return 1;
}

/* Source to sink, with the consumers behind a tee when asked. */
static int connect_filters(struct capture *c)
{
	const struct zcap_capture_opts *o = &c->o;
	struct zcap_pin *out = zcap_filter_pin(c->src, ZCAP_PIN_OUTPUT, 0);
	struct zcap_pin *mine = zcap_filter_pin(c->snk, ZCAP_PIN_INPUT, 0);
	struct consumers_config cc = {
		.encode_device = o->encode,
		.encode_path = o->encode ? o->output : NULL,
		.passthrough_device = o->passthrough,
		.drm_device = o->drm,
		.flags = o->force_copy ? ZCAP_CONSUMER_FORCE_COPY : 0,
	};
	int ret;

	if (!c->r.consumers)
		return zcap_graph_connect(c->g, out, mine, NULL);
	/* Our sink stays behind the tee for the PNG and the counts. */
	ret = consumers_attach(c->g, out, &cc, &mine, 1, &c->failed);
	return ret > 0 ? 0 : ret;
}

static int set_up(struct capture *c)
{
	char name[ZCAP_TOOL_FOURCC_LEN];
	int ret;

	if (make_filters(c))
		return 1;
	ret = connect_filters(c);
	if (ret < 0 && c->failed) {
		/* A consumer's device or file, not the buffers. */
		fprintf(stderr, "%s: cannot open %s: %s\n", prog, c->failed, zcap_strerror(ret));
		return 1;
	}
	if (ret < 0) {
		zcap_filter_get_stats(c->src, &c->r.src);
		fprintf(stderr, "%s: cannot set up buffers: %s\n", prog, zcap_strerror(ret));
		if (c->r.src.note[0])
			fprintf(stderr, "%s: %s\n", prog, c->r.src.note);
		/* A named provider's own errno (ENOENT, EACCES) or none at all. */
		if (ret == ZCAP_E_NO_PROVIDER || ret == -ENOENT || ret == -EACCES ||
		    ret == -EPERM || ret == -ENODEV)
			zcap_capture_explain_providers(stderr, c->o.provider, NULL, NULL);
		return 1;
	}
	zcap_pin_format(zcap_filter_pin(c->src, ZCAP_PIN_OUTPUT, 0), &c->r.fmt);
	if (c->o.png && !zcap_png_supported(c->r.fmt.fourcc)) {
		fprintf(stderr, "%s: cannot make a PNG of %s frames (YUYV, UYVY, NV12, NV16, YUV420, RGB and GREY can)\n",
			prog, zcap_tool_fourcc_name(c->r.fmt.fourcc, name));
		return 1;
	}
	zcap_pin_allocator(zcap_filter_pin(c->src, ZCAP_PIN_OUTPUT, 0), &c->r.alloc);
	return 0;
}

static void progress(const struct capture *c, double secs)
{
	struct zcap_filter_stats src, snk;
	double fps, lat;

	zcap_filter_get_stats(c->src, &src);
	zcap_filter_get_stats(c->snk, &snk);
	fps = secs > 0 ? (double)src.frames / secs : 0;
	lat = snk.latency_samples ? (double)(snk.latency_ns_sum / snk.latency_samples) / 1e6 : 0;
	/* Without escape codes, spaces wipe what a longer line left. */
	fprintf(stderr, "\r%s%.1f fps, %llu frames, %llu dropped, latency %.1f ms%s",
		c->escapes ? "\033[K" : "", fps, (unsigned long long)src.frames,
		(unsigned long long)src.dropped, lat, c->escapes ? "" : "    ");
	fflush(stderr);
}

/* Did a sink's writes fail because their reader went away (EPIPE)? */
static bool reader_went_away(struct zcap_graph *g)
{
	struct zcap_filter_stats st;

	for (uint32_t i = 0; i < zcap_graph_n_filters(g); i++)
		if (!zcap_filter_get_stats(zcap_graph_filter(g, i), &st) &&
		    st.last_error == -EPIPE)
			return true;
	return false;
}

/*
 * Run until the last frame, an error, Ctrl-C or a closed output; *@ended
 * says whether the graph ended by itself. zcap_graph_wait()'s last answer.
 */
static int run(struct capture *c, bool *ended)
{
	struct zcap_filter_stats snk;
	struct timespec t0;
	int ret;

	*ended = false;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = zcap_graph_run(c->g);
	if (ret < 0) {
		zcap_filter_get_stats(c->src, &c->r.src);
		fprintf(stderr, "%s: cannot start capturing: %s\n", prog, zcap_strerror(ret));
		if (c->r.src.note[0])
			fprintf(stderr, "%s: %s\n", prog, c->r.src.note);
		c->start_failed = true;
		return ret;
	}
	while (!interrupted) {
		ret = zcap_graph_wait(c->g, 250);
		if (ret != ZCAP_E_TIMEOUT) {
			*ended = true;
			break;
		}
		if (c->progress)
			progress(c, since(&t0));
	}
	c->r.secs = since(&t0);
	zcap_graph_stop(c->g);
	/* The first frame's PNG may still be encoding: its result is reported. */
	zcap_capsink_png_finish(&c->cs);
	if (c->progress)
		fprintf(stderr, c->escapes ? "\r\033[K" : "\n");
	zcap_filter_get_stats(c->src, &c->r.src);
	zcap_filter_get_stats(c->snk, &snk);
	c->r.snk = snk;
	/* Ours, or with --encode the encoder's file sink's reader. */
	c->r.output_closed = reader_went_away(c->g);
	return ret;
}

/*
 * The consumer that ended the capture on @err: the first filter other
 * than the camera holding it as its error, with its statistics in *@st.
 * Not our own writer, whose error has its own line ("writing FILE").
 */
static const char *failed_consumer(struct capture *c, int err,
				   struct zcap_filter_stats *st)
{
	struct zcap_filter *f;
	uint32_t i;

	if (c->r.src.last_error == err)
		return NULL;
	for (i = 0; i < zcap_graph_n_filters(c->g); i++) {
		f = zcap_graph_filter(c->g, i);
		if (f != c->src && f != c->snk && !zcap_filter_get_stats(f, st) &&
		    st->last_error == err)
			return zcap_filter_name(f);
	}
	return NULL;
}

/* "capture stopped" and why, naming the consumer that stopped it. */
static void say_stopped(struct capture *c, int err)
{
	struct zcap_filter_stats st;
	const char *who = failed_consumer(c, err, &st);
	char msg[512];

	zcap_capture_stop_message(prog, err, who, who ? st.note : c->r.src.note,
				  msg, sizeof(msg));
	fputs(msg, stderr);
}

/* The exit status, saying on stderr what went wrong. */
static int status_of(struct capture *c, int ret, bool ended)
{
	const struct zcap_filter_stats *snk = &c->r.snk;
	int status = 0;

	/*
	 * Ctrl-C reaches the whole pipeline: a reader that went away with
	 * it is part of the interrupted capture, a success.
	 */
	if (c->r.output_closed && !interrupted) {
		fprintf(stderr, "%s: the reader of %s closed it after %llu frames: stopped\n",
			prog, !strcmp(c->o.output, "-") ? "standard output" : c->o.output,
			(unsigned long long)snk->frames);
		return EXIT_OUTPUT_CLOSED;
	}
	/* Stopped by Ctrl-C, or every requested frame came: both are success. */
	if (ended && ret < 0 && ret != ZCAP_E_END_OF_STREAM &&
	    !(interrupted && c->r.output_closed)) {
		say_stopped(c, ret);
		status = 1;
	}
	/* Frames the device flagged bad were captured, and not written. */
	if (c->o.frames && snk->frames + snk->errors < c->o.frames && !interrupted)
		status = 1;
	if (snk->last_error && !(interrupted && snk->last_error == -EPIPE)) {
		fprintf(stderr, "%s: writing %s: %s\n", prog, c->o.output ? c->o.output : "",
			zcap_strerror(snk->last_error));
		status = 1;
	}
	if (c->o.png && !c->cs.png.taken) {
		fprintf(stderr, "%s: no frame came for the PNG\n", prog);
		status = 1;
	} else if (c->o.png && c->cs.png.err) {
		fprintf(stderr, "%s: %s: %s\n", prog, c->o.png, c->cs.png.msg);
		status = 1;
	}
	return status;
}

static void handle_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed output is an EPIPE to report, not a silent death. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int capture(struct capture *c)
{
	char desc[256];
	bool ended;
	int ret;

	/* The output after the device: a run that cannot start leaves -o's file as it was. */
	if (set_up(c) || open_output(c))
		return 1;
	handle_signals();
	if (!c->o.quiet) {
		zcap_v4l2_source_describe(c->src, desc, sizeof(desc));
		fprintf(c->out, "%s: %s\n", prog, desc);
	}
	ret = run(c, &ended);
	if (c->start_failed || (ret < 0 && !ended && !interrupted))
		return 1;
	ret = status_of(c, ret, ended);
	if (!c->o.quiet)
		zcap_capture_summary(c->out, &c->r);
	return ret;
}

int main(int argc, char **argv)
{
	struct capture c;
	int status, err;

	memset(&c, 0, sizeof(c));
	c.cs.fd = -1;
	zcap_capture_parse_opts(argc, argv, &c.o);
	resolve_format(&c.o);
	c.cs.png.path = c.o.png;
	c.cs.flags = c.o.raw ? ZCAP_FILE_SINK_RAW : 0;
	c.r.o = &c.o;
	c.r.cs = &c.cs;
	c.r.consumers = c.o.encode || c.o.passthrough || c.o.drm;
	/* The summary must not mix with frames written to standard output. */
	c.out = (c.o.output && !strcmp(c.o.output, "-")) ? stderr : stdout;
	c.progress = !c.o.quiet && isatty(STDERR_FILENO);
	c.escapes = zcap_tool_term_escapes(STDERR_FILENO, getenv("TERM"));
	status = capture(&c);
	/* Every way out joins the PNG worker (a no-op when it was joined). */
	zcap_capsink_png_finish(&c.cs);
	if (c.r.alloc)
		zcap_allocator_unref(c.r.alloc);
	zcap_graph_destroy(c.g);
	if (c.cs.fd >= 0 && c.cs.fd != STDOUT_FILENO && close(c.cs.fd) < 0 && status == 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, c.o.output, strerror(errno));
		status = 1;
	}
	/* The summary on standard output must have got there too. */
	err = zcap_tool_stdout_error();
	if (err && status == 0) {
		fprintf(stderr, "%s: writing the summary: %s\n", prog, strerror(err));
		status = 1;
	}
	return status;
}
