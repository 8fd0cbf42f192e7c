// SPDX-License-Identifier: GPL-2.0
/*
 * The DRM sink on a real KMS driver (vkms): capture into the pool, show
 * every frame on a plane, and prove it was shown.
 *
 *   kms_check -c CAP -d CARD -r CRCDIR [-n FRAMES] [-o]
 *
 * CAP must capture XR24 (V4L2_PIX_FMT_XBGR32, DRM XRGB8888) at the size
 * of CARD's active mode, for vkms's primary plane only takes full-screen
 * framebuffers. CRCDIR is vkms's debugfs crtc-0/crc directory. With -o
 * the CRTC is turned off first: the sink must set the mode itself, and
 * turn it off again when it stops.
 *
 * While streaming, the plane's FB_ID is sampled and vkms's CRCs of the
 * composed output are collected; after the end of stream, with the last
 * frame still on the plane:
 *  - every FB_ID seen on the plane is a framebuffer whose buffer is one
 *    of the pool dma-bufs the sink imported (same inode), and the sink
 *    made exactly one framebuffer and one import per buffer;
 *  - the CRC changed while frames were shown (content reached the CRTC);
 *  - a dumb buffer holding a byte copy of the shown dma-buf gives the
 *    same CRC, and the same copy with one pixel changed another one: the
 *    CRC the sink's framebuffer gave is the one of the captured pixels.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include <zcap/consumers.h>
#include <zcap/drm.h>
#include <zcap/error.h>
#include <zcap/graph.h>
#include <zcap/pin.h>
#include <zcap/v4l2_source.h>

#include "vm_check.h"

/* ---- vkms's CRCs, read as they come: the kernel keeps only 128 ---- */

#define CRC_DISTINCT_MAX 256
#define CRC_RING 256

/* One line of vkms's crc/data: the vblank and the CRC of what it showed. */
struct crc_entry {
	uint64_t frame;
	uint32_t crc;
};

struct crc_reader {
	int fd;
	pthread_t thread;
	pthread_mutex_t lock;
	bool stop;
	int err;
	uint64_t n;		/* entries read */
	struct crc_entry ring[CRC_RING];	/* entry i at ring[i % CRC_RING] */
	uint32_t distinct[CRC_DISTINCT_MAX];
	uint32_t n_distinct;
	bool count_distinct;
	/* The CRC sequence while counting, for the log. */
	uint32_t runs[CRC_DISTINCT_MAX];
	uint32_t run_len[CRC_DISTINCT_MAX];
	uint32_t n_runs;
};

/*
 * Whether the reader was asked to stop, waiting at most @ms for an entry
 * to read. Never a blocking read(): a reader blocked there returns only
 * when vkms adds an entry, which it does per vblank of a lit CRTC only,
 * and crc_stop() would wait on vkms for as long as none comes.
 */
static bool crc_wait(struct crc_reader *c, int ms)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	bool stop;

	for (;;) {
		pthread_mutex_lock(&c->lock);
		stop = c->stop;
		pthread_mutex_unlock(&c->lock);
		if (stop || poll(&pfd, 1, ms) != 0)
			return stop;
	}
}

static void *crc_thread(void *arg)
{
	struct crc_reader *c = arg;
	char line[256];

	for (;;) {
		unsigned long long frame;
		unsigned int crc;
		ssize_t n;
		uint32_t i;

		if (crc_wait(c, 20))
			return NULL;
		n = read(c->fd, line, sizeof(line) - 1);
		pthread_mutex_lock(&c->lock);
		if (n <= 0) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
				pthread_mutex_unlock(&c->lock);
				continue;
			}
			c->err = n < 0 ? -errno : -ENODATA;
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		line[n] = '\0';
		if (sscanf(line, "%llx %x", &frame, &crc) == 2) {
			c->ring[c->n % CRC_RING].frame = frame;
			c->ring[c->n % CRC_RING].crc = crc;
			c->n++;
			for (i = 0; c->count_distinct && i < c->n_distinct; i++)
				if (c->distinct[i] == crc)
					break;
			if (c->count_distinct && i == c->n_distinct &&
			    c->n_distinct < CRC_DISTINCT_MAX)
				c->distinct[c->n_distinct++] = crc;
			if (c->count_distinct) {
				if (c->n_runs && c->runs[c->n_runs - 1] == crc) {
					c->run_len[c->n_runs - 1]++;
				} else if (c->n_runs < CRC_DISTINCT_MAX) {
					c->runs[c->n_runs] = crc;
					c->run_len[c->n_runs++] = 1;
				}
			}
		}
		pthread_mutex_unlock(&c->lock);
	}
}

static int crc_start(struct crc_reader *c, const char *dir)
{
	char path[512];
	int fd, r;

	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "%s/control", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write(fd, "auto", 4) == 4 ? 0 : -errno;
	close(fd);
	if (r)
		return r;
	snprintf(path, sizeof(path), "%s/data", dir);
	c->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (c->fd < 0)
		return -errno;
	pthread_mutex_init(&c->lock, NULL);
	r = -pthread_create(&c->thread, NULL, crc_thread, c);
	if (r) {
		close(c->fd);
		pthread_mutex_destroy(&c->lock);
	}
	return r;
}

/* The reader sees the stop within its poll's timeout. */
static void crc_stop(struct crc_reader *c)
{
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	close(c->fd);
	pthread_mutex_destroy(&c->lock);
}

static void crc_begin(struct crc_reader *c, const char *dir)
{
	int r = crc_start(c, dir);

	if (r)
		die("vkms CRC capture", r);
	pthread_mutex_lock(&c->lock);
	c->count_distinct = true;
	pthread_mutex_unlock(&c->lock);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * The CRC of what is on screen now: the first @same equal entries in a
 * row for vblanks after @after. vkms computes CRCs in a worker that can
 * fall vblanks behind and then adds the late ones in a burst, and this
 * reader can lag too: counting entries from "now" could take the last
 * frame's; the vblank each entry is for cannot. 0 on success.
 */
static int crc_settled(struct crc_reader *c, uint64_t after,
		       unsigned int same, uint32_t *out)
{
	uint32_t prev = 0, run = 0;
	uint64_t next;
	int waited = 0;

	pthread_mutex_lock(&c->lock);
	next = c->n > CRC_RING ? c->n - CRC_RING : 0;
	pthread_mutex_unlock(&c->lock);
	while (waited < 30000) {
		pthread_mutex_lock(&c->lock);
		if (c->err) {
			int e = c->err;

			pthread_mutex_unlock(&c->lock);
			return e;
		}
		if (next + CRC_RING < c->n)
			next = c->n - CRC_RING;	/* overrun: keep the newest */
		for (; next < c->n && run < same; next++) {
			const struct crc_entry *e = &c->ring[next % CRC_RING];

			if (e->frame <= after)
				continue;
			run = (run && e->crc == prev) ? run + 1 : 1;
			prev = e->crc;
		}
		pthread_mutex_unlock(&c->lock);
		if (run >= same) {
			*out = prev;
			return 0;
		}
		sleep_ms(5);
		waited += 5;
	}
	return -ETIMEDOUT;
}

/* The CRTC's vblank count now: CRC entries after it show the present state. */
static uint64_t crtc_now(int fd, uint32_t crtc_id)
{
	uint64_t seq = 0;

	if (drmCrtcGetSequence(fd, crtc_id, &seq, NULL))
		die("DRM_IOCTL_CRTC_GET_SEQUENCE", -errno);
	return seq;
}

/* ---- buffers ---------------------------------------------------------- */

static int handle_ino(int fd, uint32_t handle, ino_t *ino, int *out_fd)
{
	struct stat st;
	int dfd, r;

	r = drmPrimeHandleToFD(fd, handle, DRM_CLOEXEC | DRM_RDWR, &dfd);
	if (r)
		return -errno;
	if (fstat(dfd, &st)) {
		r = -errno;
		close(dfd);
		return r;
	}
	*ino = st.st_ino;
	if (out_fd)
		*out_fd = dfd;
	else
		close(dfd);
	return 0;
}

/*
 * The pool buffer behind framebuffer @fb_id, looked up from @qfd (a file
 * of our own: GETFB2 makes new handles there, never in the sink's).
 */
static int fb_buffer(int qfd, uint32_t fb_id, drmModeFB2 **out_fb,
		     ino_t *ino, int *dfd)
{
	drmModeFB2 *fb = drmModeGetFB2(qfd, fb_id);
	int r;

	if (!fb)
		return -errno;
	if (!fb->handles[0]) {
		drmModeFreeFB2(fb);
		return -EACCES;
	}
	r = handle_ino(qfd, fb->handles[0], ino, dfd);
	drmCloseBufferHandle(qfd, fb->handles[0]);
	if (r || !out_fb)
		drmModeFreeFB2(fb);
	else
		*out_fb = fb;
	return r;
}

static uint32_t plane_fb(int fd, uint32_t plane_id, uint32_t *crtc_id)
{
	drmModePlane *p = drmModeGetPlane(fd, plane_id);
	uint32_t fb = 0;

	if (p) {
		fb = p->fb_id;
		if (crtc_id)
			*crtc_id = p->crtc_id;
		drmModeFreePlane(p);
	}
	return fb;
}

static bool crtc_active(int fd, uint32_t crtc_id)
{
	drmModeCrtc *c = drmModeGetCrtc(fd, crtc_id);
	bool on = c && c->mode_valid;

	drmModeFreeCrtc(c);
	return on;
}

/* The primary plane of the first active CRTC: where the sink shows. */
static int find_primary(int fd, uint32_t *plane_id, uint32_t *crtc_id,
			uint32_t *w, uint32_t *h)
{
	drmModePlaneRes *pr;
	drmModeRes *res;
	uint32_t i, j;
	int r = -ENOENT;

	drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1);
	res = drmModeGetResources(fd);
	pr = drmModeGetPlaneResources(fd);
	if (!res || !pr)
		goto out;
	for (i = 0; i < (uint32_t)res->count_crtcs && r; i++) {
		drmModeCrtc *c = drmModeGetCrtc(fd, res->crtcs[i]);

		if (!c)
			continue;
		if (!c->mode_valid) {
			drmModeFreeCrtc(c);
			continue;
		}
		for (j = 0; j < pr->count_planes && r; j++) {
			drmModeObjectProperties *props;
			drmModePlane *p = drmModeGetPlane(fd, pr->planes[j]);
			uint32_t k;

			if (!p)
				continue;
			if (!(p->possible_crtcs & (1u << i))) {
				drmModeFreePlane(p);
				continue;
			}
			props = drmModeObjectGetProperties(fd, p->plane_id,
							   DRM_MODE_OBJECT_PLANE);
			for (k = 0; props && k < props->count_props; k++) {
				drmModePropertyRes *pp =
					drmModeGetProperty(fd, props->props[k]);

				if (pp && !strcmp(pp->name, "type") &&
				    props->prop_values[k] == DRM_PLANE_TYPE_PRIMARY) {
					*plane_id = p->plane_id;
					*crtc_id = c->crtc_id;
					*w = c->mode.hdisplay;
					*h = c->mode.vdisplay;
					r = 0;
				}
				drmModeFreeProperty(pp);
			}
			drmModeFreeObjectProperties(props);
			drmModeFreePlane(p);
		}
		drmModeFreeCrtc(c);
	}
out:
	drmModeFreePlaneResources(pr);
	drmModeFreeResources(res);
	return r;
}

#define MAX_FBS 64

static bool in_set(const uint32_t *set, uint32_t n, uint32_t v)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (set[i] == v)
			return true;
	return false;
}

static void dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

/*
 * Show a dumb buffer holding @pixels (after flipping one pixel when
 * @alter) on the plane and return the CRC vkms computes for it.
 */
static int show_copy(int fd, struct crc_reader *crc, uint32_t plane_id,
		     uint32_t crtc_id, const drmModeFB2 *fb,
		     const uint8_t *pixels, bool alter, uint32_t *out_crc)
{
	struct drm_mode_create_dumb cd = {
		.width = fb->width, .height = fb->height, .bpp = 32,
	};
	struct drm_mode_map_dumb md = { 0 };
	struct drm_mode_destroy_dumb dd = { 0 };
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	uint32_t id = 0, y;
	uint8_t *map;
	int r;

	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd))
		return -errno;
	dd.handle = cd.handle;
	md.handle = cd.handle;
	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &md)) {
		r = -errno;
		goto out_dumb;
	}
	map = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   (off_t)md.offset);
	if (map == MAP_FAILED) {
		r = -errno;
		goto out_dumb;
	}
	for (y = 0; y < fb->height; y++)
		memcpy(map + (size_t)y * cd.pitch,
		       pixels + fb->offsets[0] + (size_t)y * fb->pitches[0],
		       (size_t)fb->width * 4);
	if (alter)	/* an opaque pixel that is neither black nor white */
		memcpy(map + (size_t)(fb->height / 2) * cd.pitch +
		       (fb->width / 2) * 4, map[0] == 0x5a ? "\xa5\x11\x22\x00" :
		       "\x5a\x11\x22\x00", 4);
	munmap(map, cd.size);
	handles[0] = cd.handle;
	pitches[0] = cd.pitch;
	if (drmModeAddFB2(fd, fb->width, fb->height, DRM_FORMAT_XRGB8888,
			  handles, pitches, offsets, &id, 0)) {
		r = -errno;
		goto out_dumb;
	}
	if (drmModeSetPlane(fd, plane_id, crtc_id, id, 0, 0, 0, fb->width,
			    fb->height, 0, 0, fb->width << 16,
			    fb->height << 16)) {
		r = -errno;
		goto out_fb;
	}
	/* The blocking SetPlane returned after the flip's vblank. */
	r = crc_settled(crc, crtc_now(fd, crtc_id), 3, out_crc);
out_fb:
	/* Removing a framebuffer on screen turns the plane off. */
	drmModeRmFB(fd, id);
out_dumb:
	drmIoctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
	return r;
}

static void usage(void)
{
	fprintf(stderr, "usage: kms_check -c CAP -d CARD -r CRCDIR [-n FRAMES] [-o]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *cap = NULL, *card = NULL, *crcdir = NULL;
	uint32_t frames = 20, plane_id = 0, crtc_id = 0, w = 0, h = 0;
	uint32_t n_sink_fbs = 0, n_foreign = 0;
	uint32_t seen[MAX_FBS], n_seen = 0, samples = 0, on_crtc = 0;
	ino_t pool_ino[MAX_FBS], shown_ino;
	uint32_t n_pool = 0, i, fbcon_fb, last_fb, crc_stream_distinct, crc_stream_runs;
	uint32_t crc_shown, crc_copy, crc_altered;
	struct zcap_drm_sink_config dc = { 0 };
	struct zcap_v4l2_source_config sc = { 0 };
	struct zcap_drm_sink_info info;
	struct zcap_filter_stats ds;
	struct zcap_filter *src, *drm;
	struct crc_reader crc;
	struct zcap_graph *g;
	drmModeFB2 *fb = NULL;
	int opt, r, qfd, dfd = -1;
	bool sink_shown = false, crtc_off = false, crc_on = false;
	char desc[256];

	while ((opt = getopt(argc, argv, "c:d:r:n:o")) != -1) {
		switch (opt) {
		case 'o':
			crtc_off = true;
			break;
		case 'c':
			cap = optarg;
			break;
		case 'd':
			card = optarg;
			break;
		case 'r':
			crcdir = optarg;
			break;
		case 'n':
			frames = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (!cap || !card || !crcdir || frames < 4)
		usage();

	qfd = open(card, O_RDWR | O_CLOEXEC);
	if (qfd < 0)
		die(card, -errno);
	r = find_primary(qfd, &plane_id, &crtc_id, &w, &h);
	if (r)
		die("no active CRTC with a primary plane", r);
	fbcon_fb = plane_fb(qfd, plane_id, NULL);
	printf("kms: CRTC %u %ux%u, primary plane %u showing FB %u (fbcon)\n",
	       crtc_id, w, h, plane_id, fbcon_fb);
	if (crtc_off) {
		/* Still open, qfd keeps fbdev from lighting it again. */
		if (drmModeSetCrtc(qfd, crtc_id, 0, 0, 0, NULL, 0, NULL))
			die("turning the CRTC off", -errno);
		check(!crtc_active(qfd, crtc_id), "CRTC %u turned off before the sink starts",
		      crtc_id);
		fbcon_fb = 0;
	}
	/* The first opener became master: the sink must be. */
	if (drmDropMaster(qfd))
		die("dropping DRM master", -errno);
	dc.device = card;
	r = zcap_drm_sink_new(&dc, &drm);
	if (r)
		die("DRM sink", r);

	sc.device = cap;
	sc.fourcc = V4L2_PIX_FMT_XBGR32;
	sc.width = w;
	sc.height = h;
	sc.max_frames = frames;
	sc.timeout_ms = 20000;
	r = zcap_v4l2_source_new(&sc, &src);
	if (r)
		die("v4l2 source", r);
	if (!zcap_v4l2_source_describe(src, desc, sizeof(desc)))
		printf("source: %s\n", desc);
	r = zcap_graph_new(&g);
	if (!r)
		r = zcap_graph_add(g, src);
	if (!r)
		r = zcap_graph_add(g, drm);
	if (!r)
		r = zcap_graph_connect(g, zcap_filter_pin(src, ZCAP_PIN_OUTPUT, 0),
				       zcap_filter_pin(drm, ZCAP_PIN_INPUT, 0),
				       NULL);
	if (r)
		die("graph", r);

	/* vkms computes CRCs of a lit CRTC only: with -o, once the sink lit it. */
	if (!crtc_off)
		crc_begin(&crc, crcdir);

	r = zcap_graph_run(g);
	if (r)
		die("graph run", r);
	/*
	 * Sample the plane while frames flow, more often than frames come: a
	 * period that is a multiple of the frame period sees the same buffer
	 * every time (vivid's 60 Hz every 50 ms is every third frame, the
	 * same one of three buffers).
	 */
	for (;;) {
		uint32_t id, on = 0;

		r = zcap_graph_wait(g, 4);
		if (crtc_off && !crc_on && crtc_active(qfd, crtc_id)) {
			crc_begin(&crc, crcdir);
			crc_on = true;
		}
		id = plane_fb(qfd, plane_id, &on);
		samples++;
		if (on == crtc_id)
			on_crtc++;
		if (id && id != fbcon_fb && !sink_shown && (crc_on || !crtc_off)) {
			sink_shown = true;
			/* Count the CRCs of the sink's frames only. */
			pthread_mutex_lock(&crc.lock);
			crc.n_distinct = 0;
			crc.n_runs = 0;
			pthread_mutex_unlock(&crc.lock);
		}
		if (id && !in_set(seen, n_seen, id) && n_seen < MAX_FBS)
			seen[n_seen++] = id;
		if (r != ZCAP_E_TIMEOUT)
			break;
	}
	check(r == 0, "graph reached end of stream after %u frames (%s)",
	      frames, zcap_strerror(r));
	if (crtc_off && !crc_on)
		die("the sink never lit the CRTC", -ENOENT);
	pthread_mutex_lock(&crc.lock);
	crc.count_distinct = false;
	crc_stream_distinct = crc.n_distinct;
	crc_stream_runs = crc.n_runs;
	printf("crc while streaming (value x vblanks):");
	for (i = 0; i < crc.n_runs; i++)
		printf(" %08x x%u", crc.runs[i], crc.run_len[i]);
	printf("\n");
	pthread_mutex_unlock(&crc.lock);

	r = zcap_drm_sink_info(drm, &info);
	if (r)
		die("drm info", r);
	r = zcap_filter_get_stats(drm, &ds);
	if (r)
		die("stats", r);
	printf("drm: note \"%s\"\n", ds.note);
	if (crtc_off)
		check(strstr(ds.note, "setting") != NULL,
		      "the sink lit the CRTC itself");
	printf("drm: kms %u imports %llu framebuffers %llu buffers %u frames %llu errors %llu\n",
	       info.kms, (unsigned long long)info.imports,
	       (unsigned long long)info.framebuffers, info.n_buffers,
	       (unsigned long long)ds.frames, (unsigned long long)ds.errors);
	check(info.kms == 1, "the sink found a CRTC and a plane: frames are shown");
	check(ds.frames == frames && ds.errors == 0,
	      "the sink showed %llu of %u frames, %llu errors",
	      (unsigned long long)ds.frames, frames,
	      (unsigned long long)ds.errors);
	check(info.n_buffers > 1 && info.imports == info.n_buffers &&
	      info.framebuffers == info.n_buffers && ds.frames > info.n_buffers,
	      "one PRIME import and one drmModeAddFB2 per buffer (%llu, %llu for %u buffers, %llu frames)",
	      (unsigned long long)info.imports,
	      (unsigned long long)info.framebuffers, info.n_buffers,
	      (unsigned long long)ds.frames);

	/* The pool buffers the sink imported, by dma-buf inode. */
	for (i = 0; i < MAX_FBS && n_pool < MAX_FBS; i++) {
		uint32_t handle;

		if (zcap_drm_sink_handle(drm, i, &handle))
			continue;
		if (!handle_ino(info.fd, handle, &pool_ino[n_pool], NULL))
			n_pool++;
	}
	for (i = 0; i < n_seen; i++) {
		ino_t ino;
		uint32_t k;

		if (seen[i] == fbcon_fb)
			continue;
		if (fb_buffer(qfd, seen[i], NULL, &ino, NULL)) {
			n_foreign++;
			continue;
		}
		for (k = 0; k < n_pool; k++)
			if (pool_ino[k] == ino)
				break;
		if (k == n_pool)
			n_foreign++;
		else
			n_sink_fbs++;
	}
	printf("plane %u: %u samples, %u on CRTC %u, FB_IDs seen:", plane_id,
	       samples, on_crtc, crtc_id);
	for (i = 0; i < n_seen; i++)
		printf(" %u", seen[i]);
	printf("; %u of them sink framebuffers over %u pool buffers\n",
	       n_sink_fbs, n_pool);
	check(n_pool == info.n_buffers,
	      "every imported handle exports back to its pool dma-buf (%u of %u)",
	      n_pool, info.n_buffers);
	check(n_sink_fbs >= 2 && n_foreign == 0,
	      "the plane flipped between %u sink framebuffers while streaming, %u other framebuffers seen",
	      n_sink_fbs, n_foreign);

	/* After the end of stream the last frame stays on the plane. */
	last_fb = plane_fb(qfd, plane_id, NULL);
	r = fb_buffer(qfd, last_fb, &fb, &shown_ino, &dfd);
	if (r)
		die("the framebuffer on the plane", r);
	for (i = 0; i < n_pool; i++)
		if (pool_ino[i] == shown_ino)
			break;
	check(i < n_pool && fb->width == w && fb->height == h &&
	      fb->pixel_format == DRM_FORMAT_XRGB8888,
	      "FB %u on the plane: %ux%u %.4s pitch %u, pool buffer %s",
	      last_fb, fb->width, fb->height, (const char *)&fb->pixel_format,
	      fb->pitches[0], i < n_pool ? "yes" : "no");
	/*
	 * vivid stamps a frame counter into every frame: each new frame is a
	 * new CRC, held for whole vblanks; a CRC coming back would be a
	 * torn or stale frame.
	 */
	check(crc_stream_distinct >= 3 && crc_stream_distinct == crc_stream_runs,
	      "the CRTC's CRC changed with the frames: %u distinct CRCs in %u runs since the first frame was shown",
	      crc_stream_distinct, crc_stream_runs);

	{
		size_t len = (size_t)fb->offsets[0] + (size_t)fb->pitches[0] * fb->height;
		uint8_t *pix = malloc(len);
		void *map = mmap(NULL, len, PROT_READ, MAP_SHARED, dfd, 0);

		if (!pix || map == MAP_FAILED)
			die("mapping the shown buffer", -errno);
		dmabuf_sync(dfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		memcpy(pix, map, len);
		dmabuf_sync(dfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		munmap(map, len);

		r = crc_settled(&crc, crtc_now(qfd, crtc_id), 3, &crc_shown);
		if (r)
			die("CRC of the shown frame", r);
		r = show_copy(info.fd, &crc, plane_id, crtc_id, fb, pix, false,
			      &crc_copy);
		if (r)
			die("showing a copy", r);
		r = show_copy(info.fd, &crc, plane_id, crtc_id, fb, pix, true,
			      &crc_altered);
		if (r)
			die("showing an altered copy", r);
		free(pix);
	}
	printf("crc: sink framebuffer 0x%08x, dumb copy 0x%08x, one pixel changed 0x%08x\n",
	       crc_shown, crc_copy, crc_altered);
	check(crc_shown == crc_copy,
	      "the CRTC scanned out the captured pixels: same CRC as a copy of them");
	check(crc_altered != crc_shown,
	      "the CRC sees a one-pixel change");
	crc_stop(&crc);
	drmModeFreeFB2(fb);
	close(dfd);

	r = zcap_graph_stop(g);
	check(r == 0, "graph stopped (%s)", zcap_strerror(r));
	if (crtc_off)
		check(!crtc_active(qfd, crtc_id),
		      "the sink turned CRTC %u off again when it stopped", crtc_id);
	close(qfd);
	zcap_graph_destroy(g);
	return failures ? 1 : 0;
}
