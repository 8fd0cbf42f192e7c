/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * State of the mem2mem encoder, shared by its filter, input pin and thread
 * (m2m_encoder.c) and its bitstream side (m2m_capture.c: the CAPTURE
 * queue, the coded frames, the output pin). Internal to libzcap.
 */
#ifndef ZCAP_LIB_M2M_PRIV_H
#define ZCAP_LIB_M2M_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zcap/consumers.h>

#include "core/filter_util.h"
#include "queue.h"
#include "v4l2_consumer.h"

struct m2m_enc {
	struct zcapi_v4l2c c;	/* raw frames in; the input pin's priv */
	struct zcap_pin *in;
	struct zcap_pin *out;
	struct zcap_m2m_encoder_config cfg;
	bool mplane;
	uint32_t out_type;	/* raw frames in */
	uint32_t cap_type;	/* bitstream out */

	struct zcap_format in_fmt;

	/*
	 * The bitstream: DMABUF, the output pin's allocator's dma-bufs the
	 * encoder writes into; MMAP, its own buffers, copied out.
	 */
	struct zcapi_v4l2q cap;
	bool cap_ready;		/* cap initialised */
	uint32_t cap_sizeimage;

	struct zcap_allocator *out_alloc;	/* the output pin's decided one */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool streaming;
	bool stop_sent;		/* V4L2_ENC_CMD_STOP issued */
	/*
	 * The encoder has no V4L2_ENC_CMD_STOP: drained once a CAPTURE
	 * buffer came back for every frame queued (c.frames_queued).
	 */
	bool drain_by_count;
	uint64_t coded_out;	/* CAPTURE buffers dequeued; the thread's */
	bool drained;		/* the last CAPTURE buffer came */
	bool eos_sent;		/* end of stream delivered downstream */
};

/* Count an error; a fatal one also ends the graph's wait. */
static inline void zcapi_m2m_error(struct m2m_enc *e, int err, const char *what,
				   bool fatal)
{
	if (zcapi_v4l2c_unplugged(err))
		zcapi_v4l2c_gone(&e->c);
	else
		zcapi_filter_error(e->c.f, err, e->c.who, what, fatal);
}

/* m2m_capture.c */

/*
 * S_FMT of the coded format for raw frames of @w x @h, then (read_coded_size)
 * the CAPTURE sizeimage that follows from the raw format.
 */
int zcapi_m2m_set_coded_format(struct m2m_enc *e, uint32_t w, uint32_t h);
int zcapi_m2m_read_coded_size(struct m2m_enc *e);
/*
 * CAPTURE buffers: the bitstream allocator's own dma-bufs where they can
 * be (no copy), else the encoder's MMAP buffers and a counted copy, with
 * the reason added to @note. release: STREAMOFF, unmap, REQBUFS(0), then
 * the bitstream samples held.
 */
int zcapi_m2m_cap_setup(struct m2m_enc *e, char *note, size_t len);
void zcapi_m2m_cap_release(struct m2m_enc *e);
/* Dequeue every finished CAPTURE buffer; true once the last one came. */
bool zcapi_m2m_drain_capture(struct m2m_enc *e);
/* The output pin: the bitstream. */
extern const struct zcap_output_pin_ops zcapi_m2m_out_ops;

#endif /* ZCAP_LIB_M2M_PRIV_H */
