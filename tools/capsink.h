/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * zcap-capture's own consumer: the frames to a file, the first one to a
 * PNG. Its own file so that the host unit tests can drive it
 * (tests/unit/test_capsink.c).
 */
#ifndef ZCAP_TOOLS_CAPSINK_H
#define ZCAP_TOOLS_CAPSINK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <zcap/zcap.h>

/*
 * The PNG of the first frame, encoded on a thread of its own: encoding
 * 640x480 takes far longer than a frame period, and done inside receive()
 * it held the source's thread, so the driver ran out of queued buffers
 * and dropped frames. receive() only takes a reference on the sample (no
 * copy) and hands it over; the worker encodes it and drops the reference,
 * which gives the buffer back to the driver. The sink's requirements ask
 * for that one extra buffer.
 */
struct zcap_png_job {
	const char *path;
	pthread_t thread;
	bool started;		/* thread running, to be joined */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct zcap_sample *s;	/* handed over, not yet taken by the worker */
	struct zcap_format fmt;
	bool taken;		/* a frame was handed over */
	bool quit;
	bool done;		/* err and msg are the result */
	int err;
	char msg[256];
	/* Tests only: run on the worker before it encodes. */
	void (*before_encode)(void *arg);
	void *hook_arg;
};

struct zcap_capsink {
	struct zcap_filter *filter;	/* a zcap_sink_new() sink */
	int fd;			/* frames to this fd; -1: none */
	uint32_t flags;		/* ZCAP_FILE_SINK_* */
	struct zcap_png_job png;	/* png.path NULL: no PNG */
	/*
	 * Frames stamped later than they were written: a driver that stamps
	 * the end of a frame from its nominal period rather than a clock
	 * (vivid's default) gives no capture-to-write latency for them.
	 */
	uint64_t stamped_after_write;
};

/*
 * Make the sink's filter for @cs (fd, flags, png.path set; it lives as
 * long as the filter), and the PNG worker when png.path is set. On success
 * zcap_capsink_png_finish() must be called on every way out.
 */
int zcap_capsink_new(struct zcap_capsink *cs, struct zcap_filter **out);

/*
 * Wait for the PNG being encoded, if a frame was handed over, and join
 * the worker. Afterwards png.taken says whether a frame came, png.err and
 * png.msg how it went. Safe to call more than once.
 */
void zcap_capsink_png_finish(struct zcap_capsink *cs);

#endif /* ZCAP_TOOLS_CAPSINK_H */
