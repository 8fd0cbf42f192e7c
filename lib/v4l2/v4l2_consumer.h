/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A filter that consumes samples on a V4L2 OUTPUT queue (the V4L2 output
 * sink, the mem2mem encoder's raw side): the device, its OUTPUT queue,
 * the input pin's format and allocator, and the thread that dequeues what
 * the device is done with. Internal to libzcap.
 *
 * The input pin's priv is the struct zcapi_v4l2c, so that the shared pin
 * operations below serve as they are; a filter finds itself from it with
 * zcapi_container_of().
 */
#ifndef ZCAP_LIB_V4L2_CONSUMER_H
#define ZCAP_LIB_V4L2_CONSUMER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zcap/allocator.h>
#include <zcap/consumers.h>
#include <zcap/filter.h>
#include <zcap/pin.h>

#include "v4l2_outq.h"

/* The config flags a V4L2 consumer (the encoder, the output sink) knows. */
#define ZCAPI_CONSUMER_FLAGS \
	(ZCAP_CONSUMER_FORCE_COPY | ZCAP_CONSUMER_PROPOSE_ALLOCATOR)

#define zcapi_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

struct zcapi_v4l2c {
	struct zcap_filter *f;
	/* Note prefixes: errors, a refused format, a refused allocator. */
	const char *who;
	const char *fmt_who;
	const char *alloc_who;
	uint32_t flags;		/* ZCAP_CONSUMER_* */
	uint32_t queue_depth;

	int fd;
	char *device;		/* its path, for the note of an unplug */
	atomic_bool gone;	/* unplugged: said once, not polled again */
	int evfd;		/* wakes the thread */
	bool oq_ready;		/* oq initialised */
	struct zcapi_outq oq;
	uint32_t min_out;	/* V4L2_CID_MIN_BUFFERS_FOR_OUTPUT */
	bool have_fmt;
	struct zcap_allocator *alloc;	/* upstream's, from NotifyAllocator */

	pthread_t thread;
	bool thread_started;
	atomic_bool quit;
	/* Frames queued to the device since the last reset (0 at start). */
	atomic_uint_fast64_t frames_queued;
};

/*
 * Open @device (non-blocking): the first step, before the caller probes
 * c->fd. Whatever step failed, zcapi_v4l2c_fini() undoes what was done.
 */
int zcapi_v4l2c_open(struct zcapi_v4l2c *c, const char *device);
/* Then the OUTPUT queue of @type, the thread's eventfd, min_out. */
int zcapi_v4l2c_setup(struct zcapi_v4l2c *c, uint32_t type);
/* Stops the thread first: zcapi_v4l2c_stop_thread(). */
void zcapi_v4l2c_fini(struct zcapi_v4l2c *c);

/* S_FMT for @fmt (accept_format); a refusal becomes the note. */
int zcapi_v4l2c_set_format(struct zcapi_v4l2c *c, const struct zcap_format *fmt);

/* Input pin operations as they are (pin priv: the struct zcapi_v4l2c). */
int zcapi_v4l2c_propose_allocator(struct zcap_pin *pin,
				  struct zcap_allocator **out);
int zcapi_v4l2c_get_requirements(struct zcap_pin *pin,
				 struct zcap_alloc_requirements *req);
int zcapi_v4l2c_notify_allocator(struct zcap_pin *pin,
				 struct zcap_allocator *a, bool read_only);
int zcapi_v4l2c_receive_can_block(struct zcap_pin *pin);
void zcapi_v4l2c_disconnect(struct zcap_pin *pin);

/*
 * REQBUFS for pause: DMABUF on upstream's buffers, one index each, unless
 * they are not dma-bufs or copying is forced; then MMAP with min_out +
 * queue_depth buffers, and the note says why, ending in @copy_forced or
 * @copy_fallback. At least @min_count buffers.
 */
int zcapi_v4l2c_reqbufs(struct zcapi_v4l2c *c, uint32_t min_count,
			const char *copy_forced, const char *copy_fallback,
			char *note, size_t note_len);

/*
 * Queue @s (receive) and wake the thread; the statistics count it
 * (frames, @bytes, copied bytes, latency) or drop it. 0 also when the
 * device was only behind (ZCAP_E_TIMEOUT: dropped); ZCAP_E_WRONG_STATE,
 * not counted, when the filter's stop released the queue meanwhile (a
 * receive in flight as it stopped); another failure is an error "@what",
 * posted, and returned.
 */
int zcapi_v4l2c_queue(struct zcapi_v4l2c *c, struct zcap_sample *s,
		      int timeout_ms, uint64_t bytes, const char *what);

/* Wake the thread. */
void zcapi_v4l2c_wake(struct zcapi_v4l2c *c);

/* Does @err, of a call on the device, say it is gone (ENODEV, ENXIO)? */
bool zcapi_v4l2c_unplugged(int err);
/*
 * The device went away (unplugged, its driver unbound), whichever call
 * or wait saw it first: an error "DEVICE: device disconnected", posted the
 * first time only, as the V4L2 source says it once. Always posted, even
 * by a caller whose other errors are not (the encoder's raw-side
 * drain): nothing more will come of this filter. Returns
 * ZCAP_E_DISCONNECTED.
 */
int zcapi_v4l2c_gone(struct zcapi_v4l2c *c);

/*
 * One wait of the thread: poll the device for @events (none when
 * @events is 0 or the device is gone), the eventfd and @wait_fd (readable
 * ends the wait; -1 for none), for at most 200 ms. 0 and the device's
 * revents in *@revents (0 when the device has nothing queued yet, after a
 * short wait instead of a spin, and when it went away: that is reported,
 * zcapi_v4l2c_gone(), and c->gone set), or -errno when poll failed.
 */
int zcapi_v4l2c_poll(struct zcapi_v4l2c *c, short events, int wait_fd,
		     short *revents);

/*
 * Dequeue every OUTPUT buffer the device is done with; one flagged ERROR
 * counts as an error "@what" (@post: posted). Returns what ended the
 * loop: -EAGAIN when none is left, ZCAP_E_DISCONNECTED when the device
 * went away (reported and posted, whatever @post), or DQBUF's error.
 */
int zcapi_v4l2c_drain(struct zcapi_v4l2c *c, const char *what, bool post);

/* Start @fn(@arg) with quit cleared; stop it (quit, wake, join). */
int zcapi_v4l2c_start_thread(struct zcapi_v4l2c *c, void *(*fn)(void *),
			     void *arg);
void zcapi_v4l2c_stop_thread(struct zcapi_v4l2c *c);

#endif /* ZCAP_LIB_V4L2_CONSUMER_H */
