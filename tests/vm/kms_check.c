// SPDX-License-Identifier: GPL-2.0
/*
 * The DRM sink on a real KMS driver (vkms): capture into the pool, show
 * every frame on a plane, and prove it was shown.
 *
 *   kms_check -c CAP -d CARD -r CRCDIR [-n FRAMES] [-i INPUT] [-s WxH]
 *             [-f FPS] [-o] [-A] [-m] [-F FOURCC]
 *
 * CAP (its input INPUT) captures XR24 (V4L2_PIX_FMT_XBGR32, DRM
 * XRGB8888) at WxH, by default the size of CARD's active mode. CRCDIR is
 * vkms's debugfs crtc-0/crc directory. With -o the CRTC is turned off
 * first: the sink must light it itself (with a mode that need not be
 * the frame's size), and turn it off again when it stops. Without -o the
 * console is on the CRTC, and must be back on its primary plane after
 * the sink stopped. With -A the CRTC is then turned off and the graph
 * run again: the sink must light it, not show on the plane it used. With
 * -m this program stays DRM master, as a display server would: the sink
 * must import every buffer, show nothing, count no error and say why.
 * -F captures FOURCC (V4L2's name) instead, a format no plane of CARD
 * scans out (vkms has no YUV plane): the sink must import every buffer,
 * show nothing, count no error, say why, leave the console alone and give
 * DRM master back at stop.
 *
 * While streaming, the sink's plane's FB_ID is sampled and vkms's CRCs of the
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
#include <zcap/log.h>
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

/* Plane property @name's value. */
static int plane_prop(int fd, uint32_t plane_id, const char *name,
		      uint64_t *value)
{
	drmModeObjectProperties *props;
	uint32_t k;
	int r = -ENOENT;

	props = drmModeObjectGetProperties(fd, plane_id, DRM_MODE_OBJECT_PLANE);
	for (k = 0; props && k < props->count_props && r; k++) {
		drmModePropertyRes *pp = drmModeGetProperty(fd, props->props[k]);

		if (pp && !strcmp(pp->name, name)) {
			*value = props->prop_values[k];
			r = 0;
		}
		drmModeFreeProperty(pp);
	}
	drmModeFreeObjectProperties(props);
	return r;
}

/* The primary plane of the first active CRTC: where the sink shows. */
static int find_primary(int fd, uint32_t *plane_id, uint32_t *crtc_id,
			uint32_t *w, uint32_t *h)
{
	drmModePlaneRes *pr;
	drmModeRes *res;
	uint32_t i, j;
	int r = -ENOENT;

	/* Atomic: planes' properties include their position (CRTC_X...). */
	drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1);
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
			drmModePlane *p = drmModeGetPlane(fd, pr->planes[j]);
			uint64_t type;

			if (p && (p->possible_crtcs & (1u << i)) &&
			    !plane_prop(fd, p->plane_id, "type", &type) &&
			    type == DRM_PLANE_TYPE_PRIMARY) {
				*plane_id = p->plane_id;
				*crtc_id = c->crtc_id;
				*w = c->mode.hdisplay;
				*h = c->mode.vdisplay;
				r = 0;
			}
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
 * @alter) on the plane at (@x, @y) and return the CRC vkms computes.
 */
static int show_copy(int fd, struct crc_reader *crc, uint32_t plane_id,
		     uint32_t crtc_id, int32_t x, int32_t y,
		     const drmModeFB2 *fb, const uint8_t *pixels, bool alter,
		     uint32_t *out_crc)
{
	struct drm_mode_create_dumb cd = {
		.width = fb->width, .height = fb->height, .bpp = 32,
	};
	struct drm_mode_map_dumb md = { 0 };
	struct drm_mode_destroy_dumb dd = { 0 };
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	uint32_t id = 0, row;
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
	for (row = 0; row < fb->height; row++)
		memcpy(map + (size_t)row * cd.pitch,
		       pixels + fb->offsets[0] + (size_t)row * fb->pitches[0],
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
	if (drmModeSetPlane(fd, plane_id, crtc_id, id, 0, x, y, fb->width,
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

/* ---- the run ----------------------------------------------------------- */

struct kms {
	/* Options. */
	const char *cap, *card, *crcdir;
	uint32_t frames;
	uint32_t width, height;	/* of the frames; 0: the mode's */
	uint32_t fps;		/* 0: the driver's */
	int input;		/* of CAP to select; -1: as it is */
	bool crtc_off;		/* -o */
	bool again;		/* -A */
	bool keep_master;	/* -m */
	uint32_t fourcc;	/* -F: V4L2's; by default XBGR32 (DRM XRGB8888) */

	/* The display, seen through a file of our own. */
	int qfd;
	uint32_t crtc_id, primary_id, mode_w, mode_h;
	uint32_t fbcon_fb;	/* on the primary plane before the sink */

	struct zcap_graph *g;
	struct zcap_filter *src, *drm;
	struct zcap_drm_sink_info info;
	struct crc_reader crc;
	bool crc_on;

	/* What streaming showed. */
	uint32_t plane_id;	/* the plane the sink settled on */
	uint32_t seen[MAX_FBS], n_seen, samples, on_crtc;
	uint32_t crc_distinct, crc_runs;
	ino_t pool_ino[MAX_FBS];
	uint32_t n_pool;
};

static void usage(void)
{
	fprintf(stderr, "usage: kms_check -c CAP -d CARD -r CRCDIR [-n FRAMES] [-i INPUT] [-s WxH] [-f FPS] [-o] [-A] [-m] [-F FOURCC]\n");
	exit(2);
}

static void parse_args(struct kms *k, int argc, char **argv)
{
	int opt;

	k->frames = 20;
	k->input = -1;
	k->fourcc = V4L2_PIX_FMT_XBGR32;
	while ((opt = getopt(argc, argv, "c:d:r:n:i:s:f:F:oAm")) != -1) {
		switch (opt) {
		case 'F':
			if (strlen(optarg) != 4)
				usage();
			k->fourcc = v4l2_fourcc(optarg[0], optarg[1], optarg[2],
						optarg[3]);
			break;
		case 'm':
			k->keep_master = true;
			break;
		case 'o':
			k->crtc_off = true;
			break;
		case 'A':
			k->again = true;
			break;
		case 'c':
			k->cap = optarg;
			break;
		case 'd':
			k->card = optarg;
			break;
		case 'r':
			k->crcdir = optarg;
			break;
		case 'n':
			k->frames = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'i':
			k->input = atoi(optarg);
			break;
		case 'f':
			k->fps = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 's':
			if (sscanf(optarg, "%ux%u", &k->width, &k->height) != 2)
				usage();
			break;
		default:
			usage();
		}
	}
	if (!k->cap || !k->card || !k->crcdir || k->frames < 4)
		usage();
}

static void set_input(const char *cap, int input)
{
	int fd = open(cap, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die(cap, -errno);
	if (ioctl(fd, VIDIOC_S_INPUT, &input))
		die("VIDIOC_S_INPUT", -errno);
	close(fd);
}

/* The lit CRTC and what it shows; with -o, turned off. */
static void open_display(struct kms *k)
{
	int r;

	k->qfd = open(k->card, O_RDWR | O_CLOEXEC);
	if (k->qfd < 0)
		die(k->card, -errno);
	r = find_primary(k->qfd, &k->primary_id, &k->crtc_id, &k->mode_w,
			 &k->mode_h);
	if (r)
		die("no active CRTC with a primary plane", r);
	k->fbcon_fb = plane_fb(k->qfd, k->primary_id, NULL);
	printf("kms: CRTC %u %ux%u, primary plane %u showing FB %u (fbcon)\n",
	       k->crtc_id, k->mode_w, k->mode_h, k->primary_id, k->fbcon_fb);
	if (k->crtc_off) {
		/* Still open, qfd keeps fbdev from lighting it again. */
		if (drmModeSetCrtc(k->qfd, k->crtc_id, 0, 0, 0, NULL, 0, NULL))
			die("turning the CRTC off", -errno);
		check(!crtc_active(k->qfd, k->crtc_id),
		      "CRTC %u turned off before the sink starts", k->crtc_id);
	}
	/* The first opener became master: the sink must be, unless -m. */
	if (!k->keep_master && drmDropMaster(k->qfd))
		die("dropping DRM master", -errno);
	if (!k->width) {
		k->width = k->mode_w;
		k->height = k->mode_h;
	}
}

/*
 * The sink's log, printed. The callback may query the sink (log.h):
 * asking it for its info from here must not deadlock.
 */
static void drm_log(void *user, enum zcap_log_level level,
		    const char *filter, const char *msg)
{
	struct kms *k = user;
	struct zcap_drm_sink_info info;

	zcap_drm_sink_info(k->drm, &info);
	printf("log: %s: %s: %s\n", zcap_log_level_name(level), filter, msg);
}

static void build_graph(struct kms *k)
{
	struct zcap_drm_sink_config dc = { .device = k->card };
	struct zcap_v4l2_source_config sc = {
		.device = k->cap,
		.fourcc = k->fourcc,
		.width = k->width,
		.height = k->height,
		.fps = k->fps,
		.max_frames = k->frames,
		.timeout_ms = 20000,
	};
	char desc[256];
	int r;

	r = zcap_drm_sink_new(&dc, &k->drm);
	if (r)
		die("DRM sink", r);
	zcap_filter_set_log(k->drm, ZCAP_LOG_DEBUG, drm_log, k);
	r = zcap_v4l2_source_new(&sc, &k->src);
	if (r)
		die("v4l2 source", r);
	if (!zcap_v4l2_source_describe(k->src, desc, sizeof(desc)))
		printf("source: %s\n", desc);
	r = zcap_graph_new(&k->g);
	if (!r)
		r = zcap_graph_add(k->g, k->src);
	if (!r)
		r = zcap_graph_add(k->g, k->drm);
	if (!r)
		r = zcap_graph_connect(k->g,
				       zcap_filter_pin(k->src, ZCAP_PIN_OUTPUT, 0),
				       zcap_filter_pin(k->drm, ZCAP_PIN_INPUT, 0),
				       NULL);
	if (r)
		die("graph", r);
}

/* One sample of the sink's plane while frames flow. */
static void sample_plane(struct kms *k)
{
	struct zcap_drm_sink_info info;
	uint32_t id, on = 0;

	if (!k->plane_id && !zcap_drm_sink_info(k->drm, &info))
		k->plane_id = info.plane_id;
	if (!k->plane_id)
		return;
	if (!k->crc_on && crtc_active(k->qfd, k->crtc_id)) {
		/* vkms computes CRCs of a lit CRTC only: with -o, once the sink lit it. */
		crc_begin(&k->crc, k->crcdir);
		k->crc_on = true;
	}
	id = plane_fb(k->qfd, k->plane_id, &on);
	if (id && !k->n_seen) {
		/* Count the CRCs of the sink's frames only. */
		pthread_mutex_lock(&k->crc.lock);
		k->crc.n_distinct = 0;
		k->crc.n_runs = 0;
		pthread_mutex_unlock(&k->crc.lock);
	}
	k->samples++;
	if (on == k->crtc_id)
		k->on_crtc++;
	if (id && !in_set(k->seen, k->n_seen, id) && k->n_seen < MAX_FBS)
		k->seen[k->n_seen++] = id;
}

/*
 * Run to the end of stream, sampling the plane more often than frames
 * come: a period that is a multiple of the frame period sees the same
 * buffer every time (vivid's 60 Hz every 50 ms is every third frame, the
 * same one of three buffers). CRCs count from the first frame shown.
 */
static void stream(struct kms *k)
{
	uint32_t i;
	int r;

	r = zcap_graph_run(k->g);
	if (r)
		die("graph run", r);
	do {
		r = zcap_graph_wait(k->g, 4);
		sample_plane(k);
	} while (r == ZCAP_E_TIMEOUT);
	check(r == 0, "graph reached end of stream after %u frames (%s)",
	      k->frames, zcap_strerror(r));
	if (!k->crc_on)
		die("no frame reached a lit CRTC", -ENOENT);
	pthread_mutex_lock(&k->crc.lock);
	k->crc.count_distinct = false;
	k->crc_distinct = k->crc.n_distinct;
	k->crc_runs = k->crc.n_runs;
	printf("crc while streaming (value x vblanks):");
	for (i = 0; i < k->crc.n_runs; i++)
		printf(" %08x x%u", k->crc.runs[i], k->crc.run_len[i]);
	printf("\n");
	pthread_mutex_unlock(&k->crc.lock);
}

/* The sink's counters: every frame shown, one import and FB per buffer. */
static void check_counters(struct kms *k)
{
	struct zcap_drm_sink_info *info = &k->info;
	struct zcap_filter_stats ds;
	int r;

	r = zcap_drm_sink_info(k->drm, info);
	if (!r)
		r = zcap_filter_get_stats(k->drm, &ds);
	if (r)
		die("drm info", r);
	printf("drm: note \"%s\"\n", ds.note);
	if (k->crtc_off)
		check(strstr(ds.note, "setting") != NULL,
		      "the sink lit the CRTC itself");
	printf("drm: kms %u crtc %u plane %u imports %llu framebuffers %llu buffers %u frames %llu errors %llu\n",
	       info->kms, info->crtc_id, info->plane_id,
	       (unsigned long long)info->imports,
	       (unsigned long long)info->framebuffers, info->n_buffers,
	       (unsigned long long)ds.frames, (unsigned long long)ds.errors);
	check(info->kms == 1 && info->crtc_id == k->crtc_id && info->plane_id,
	      "the sink shows frames on CRTC %u, plane %u", info->crtc_id,
	      info->plane_id);
	check(ds.frames == k->frames && ds.errors == 0,
	      "the sink showed %llu of %u frames, %llu errors",
	      (unsigned long long)ds.frames, k->frames,
	      (unsigned long long)ds.errors);
	check(info->n_buffers > 1 && info->imports == info->n_buffers &&
	      info->framebuffers == info->n_buffers && ds.frames > info->n_buffers,
	      "one PRIME import and one drmModeAddFB2 per buffer (%llu, %llu for %u buffers, %llu frames)",
	      (unsigned long long)info->imports,
	      (unsigned long long)info->framebuffers, info->n_buffers,
	      (unsigned long long)ds.frames);
}

/* Every FB_ID seen on the plane is one of the pool buffers'. */
static void check_framebuffers(struct kms *k)
{
	uint32_t n_sink_fbs = 0, n_foreign = 0, i, handle;

	/* The pool buffers the sink imported, by dma-buf inode. */
	for (i = 0; i < MAX_FBS && k->n_pool < MAX_FBS; i++) {
		if (zcap_drm_sink_handle(k->drm, i, &handle))
			continue;
		if (!handle_ino(k->info.fd, handle, &k->pool_ino[k->n_pool], NULL))
			k->n_pool++;
	}
	for (i = 0; i < k->n_seen; i++) {
		ino_t ino;
		uint32_t p;

		if (fb_buffer(k->qfd, k->seen[i], NULL, &ino, NULL)) {
			n_foreign++;
			continue;
		}
		for (p = 0; p < k->n_pool; p++)
			if (k->pool_ino[p] == ino)
				break;
		if (p == k->n_pool)
			n_foreign++;
		else
			n_sink_fbs++;
	}
	printf("plane %u: %u samples, %u on CRTC %u, FB_IDs seen:", k->plane_id,
	       k->samples, k->on_crtc, k->crtc_id);
	for (i = 0; i < k->n_seen; i++)
		printf(" %u", k->seen[i]);
	printf("; %u of them sink framebuffers over %u pool buffers\n",
	       n_sink_fbs, k->n_pool);
	check(k->n_pool == k->info.n_buffers,
	      "every imported handle exports back to its pool dma-buf (%u of %u)",
	      k->n_pool, k->info.n_buffers);
	check(n_sink_fbs >= 2 && n_foreign == 0,
	      "the plane flipped between %u sink framebuffers while streaming, %u other framebuffers seen",
	      n_sink_fbs, n_foreign);
	check(k->samples && k->on_crtc == k->samples,
	      "the plane was on CRTC %u in every sample (%u of %u)",
	      k->crtc_id, k->on_crtc, k->samples);
	/*
	 * vivid stamps a frame counter into every frame: each new frame is a
	 * new CRC, held for whole vblanks; a CRC coming back would be a
	 * torn or stale frame.
	 */
	check(k->crc_distinct >= 3 && k->crc_distinct == k->crc_runs,
	      "the CRTC's CRC changed with the frames: %u distinct CRCs in %u runs since the first frame was shown",
	      k->crc_distinct, k->crc_runs);
}

/*
 * Where the last frame is: vkms's planes neither scale nor (6.1's
 * primary) cover less than the whole CRTC, so a frame of another size
 * than the mode's is unscaled and centred, and a full-screen one on
 * the primary plane.
 */
static void check_geometry(struct kms *k, uint32_t fb_id, int32_t *x,
			   int32_t *y)
{
	uint32_t w = k->width < k->mode_w ? k->width : k->mode_w;
	uint32_t h = k->height < k->mode_h ? k->height : k->mode_h;
	uint64_t fb = 0, cx = 0, cy = 0;

	/* GETPLANE leaves crtc_x/crtc_y 0: the position is in properties. */
	if (plane_prop(k->qfd, k->plane_id, "FB_ID", &fb) ||
	    plane_prop(k->qfd, k->plane_id, "CRTC_X", &cx) ||
	    plane_prop(k->qfd, k->plane_id, "CRTC_Y", &cy))
		die("the sink's plane's properties", -ENOENT);
	*x = (int32_t)cx;
	*y = (int32_t)cy;
	check(fb == fb_id && *x == (int32_t)(k->mode_w - w) / 2 &&
	      *y == (int32_t)(k->mode_h - h) / 2,
	      "the %ux%u frame is centred on the %ux%u CRTC: at %d,%d of plane %u (%s)",
	      k->width, k->height, k->mode_w, k->mode_h, *x, *y, k->plane_id,
	      k->plane_id == k->primary_id ? "primary" : "overlay");
	if (k->width == k->mode_w && k->height == k->mode_h)
		check(k->plane_id == k->primary_id,
		      "a full-screen frame goes to the primary plane");
}

static void read_buffer(int dfd, const drmModeFB2 *fb, uint8_t **out)
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
	*out = pix;
}

/*
 * After the end of stream the last frame stays on the plane: its CRC is
 * that of a dumb buffer holding a byte copy of the shown dma-buf at the
 * same place, and not that of the copy with one pixel changed.
 */
static void check_pixels(struct kms *k)
{
	uint32_t last_fb, i, crc_shown, crc_copy, crc_altered;
	drmModeFB2 *fb = NULL;
	ino_t shown_ino;
	uint8_t *pix;
	int32_t x, y;
	int r, dfd;

	last_fb = plane_fb(k->qfd, k->plane_id, NULL);
	r = fb_buffer(k->qfd, last_fb, &fb, &shown_ino, &dfd);
	if (r)
		die("the framebuffer on the plane", r);
	for (i = 0; i < k->n_pool; i++)
		if (k->pool_ino[i] == shown_ino)
			break;
	check(i < k->n_pool && fb->width == k->width &&
	      fb->height == k->height && fb->pixel_format == DRM_FORMAT_XRGB8888,
	      "FB %u on the plane: %ux%u %.4s pitch %u, pool buffer %s",
	      last_fb, fb->width, fb->height, (const char *)&fb->pixel_format,
	      fb->pitches[0], i < k->n_pool ? "yes" : "no");
	check_geometry(k, last_fb, &x, &y);
	read_buffer(dfd, fb, &pix);
	r = crc_settled(&k->crc, crtc_now(k->qfd, k->crtc_id), 3, &crc_shown);
	if (r)
		die("CRC of the shown frame", r);
	r = show_copy(k->info.fd, &k->crc, k->plane_id, k->crtc_id, x, y, fb,
		      pix, false, &crc_copy);
	if (r)
		die("showing a copy", r);
	r = show_copy(k->info.fd, &k->crc, k->plane_id, k->crtc_id, x, y, fb,
		      pix, true, &crc_altered);
	if (r)
		die("showing an altered copy", r);
	free(pix);
	printf("crc: sink framebuffer 0x%08x, dumb copy 0x%08x, one pixel changed 0x%08x\n",
	       crc_shown, crc_copy, crc_altered);
	check(crc_shown == crc_copy,
	      "the CRTC scanned out the captured pixels: same CRC as a copy of them");
	check(crc_altered != crc_shown, "the CRC sees a one-pixel change");
	/*
	 * The sink's frame back on screen, as at the end of a stream: the
	 * stop must put the display back from there, not from a plane the
	 * copies' removal already turned off.
	 */
	check(!drmModeSetPlane(k->info.fd, k->plane_id, k->crtc_id, last_fb, 0,
			       x, y, fb->width, fb->height, 0, 0,
			       fb->width << 16, fb->height << 16) &&
	      plane_fb(k->qfd, k->plane_id, NULL) == last_fb,
	      "the sink's last frame (FB %u) is back on plane %u for the stop",
	      last_fb, k->plane_id);
	crc_stop(&k->crc);
	k->crc_on = false;
	drmModeFreeFB2(fb);
	close(dfd);
}

/* After stop: the display as the sink found it. */
static void check_put_back(struct kms *k, bool lit_before)
{
	uint32_t fb = plane_fb(k->qfd, k->primary_id, NULL);

	check(!drmIsMaster(k->info.fd), "the sink gave DRM master back");
	if (!lit_before) {
		check(!crtc_active(k->qfd, k->crtc_id),
		      "the sink turned CRTC %u off again when it stopped",
		      k->crtc_id);
		return;
	}
	check(crtc_active(k->qfd, k->crtc_id) && fb == k->fbcon_fb,
	      "the console's FB %u is back on the primary plane (FB %u) of the lit CRTC",
	      k->fbcon_fb, fb);
	if (k->plane_id != k->primary_id)
		check(!plane_fb(k->qfd, k->plane_id, NULL),
		      "the sink's plane %u is off again", k->plane_id);
}

/*
 * The display changed while the graph was stopped (the CRTC turned off,
 * through the sink's own master file): run again, and the sink must pick
 * its output anew and light the CRTC, not show on what it used before.
 */
static void run_again(struct kms *k)
{
	struct zcap_filter_stats ds;
	uint64_t frames, errors;
	bool lit = false;
	int r;

	if (zcap_filter_get_stats(k->drm, &ds))
		die("stats", -EIO);
	frames = ds.frames;
	errors = ds.errors;

	/* The sink's file was master: it may be again, as the sink will. */
	if (drmSetMaster(k->info.fd) ||
	    drmModeSetCrtc(k->info.fd, k->crtc_id, 0, 0, 0, NULL, 0, NULL) ||
	    drmDropMaster(k->info.fd))
		die("turning the CRTC off between runs", -errno);
	r = zcap_graph_run(k->g);
	if (r)
		die("graph run again", r);
	do {
		r = zcap_graph_wait(k->g, 4);
		lit = lit || crtc_active(k->qfd, k->crtc_id);
	} while (r == ZCAP_E_TIMEOUT);
	if (zcap_filter_get_stats(k->drm, &ds))
		die("stats", -EIO);
	frames = ds.frames - frames;
	errors = ds.errors - errors;
	check(r == 0 && lit && frames == k->frames && errors == 0,
	      "run again with the CRTC turned off meanwhile: the sink lit it and showed %llu of %u frames, %llu errors (%s)",
	      (unsigned long long)frames, k->frames,
	      (unsigned long long)errors, zcap_strerror(r));
	r = zcap_graph_stop(k->g);
	check(r == 0, "graph stopped (%s)", zcap_strerror(r));
	check(!crtc_active(k->qfd, k->crtc_id),
	      "the sink turned CRTC %u off again when it stopped", k->crtc_id);
}

/* Whether any plane of the card scans out DRM format @fmt. */
static bool any_plane_takes(int fd, uint32_t fmt)
{
	drmModePlaneRes *pr = drmModeGetPlaneResources(fd);
	bool takes = false;
	uint32_t i, j;

	for (i = 0; pr && i < pr->count_planes && !takes; i++) {
		drmModePlane *p = drmModeGetPlane(fd, pr->planes[i]);

		for (j = 0; p && j < p->count_formats; j++)
			takes = takes || p->formats[j] == fmt;
		drmModeFreePlane(p);
	}
	drmModeFreePlaneResources(pr);
	return takes;
}

/*
 * The sink cannot show (-m: another client is master; -F: no plane takes
 * the format): every frame imported, none shown, no error, the reason in
 * the note, and the console left alone.
 */
static void check_import_only(struct kms *k)
{
	const char *why = k->keep_master ? "not DRM master" :
			  "scans out this format";
	struct zcap_drm_sink_info *info = &k->info;
	struct zcap_filter_stats ds;
	int r;

	if (!k->keep_master)
		check(!any_plane_takes(k->qfd, zcap_v4l2_to_drm_fourcc(k->fourcc)),
		      "the test's premise: no plane of %s scans out the format",
		      k->card);
	r = zcap_graph_run(k->g);
	if (r)
		die("graph run", r);
	do
		r = zcap_graph_wait(k->g, 100);
	while (r == ZCAP_E_TIMEOUT);
	check(r == 0, "graph reached end of stream after %u frames (%s)",
	      k->frames, zcap_strerror(r));
	if (zcap_drm_sink_info(k->drm, info) ||
	    zcap_filter_get_stats(k->drm, &ds))
		die("drm info", -EIO);
	printf("drm: note \"%s\"\n", ds.note);
	check(!info->kms && !info->plane_id && info->framebuffers == 0 &&
	      info->n_buffers > 1 && info->imports == info->n_buffers,
	      "import only: %u buffers imported once each, no framebuffer, no plane",
	      info->n_buffers);
	check(ds.frames == k->frames && ds.errors == 0 && strstr(ds.note, why),
	      "import only: %llu of %u frames taken, %llu errors, the note says '%s'",
	      (unsigned long long)ds.frames, k->frames,
	      (unsigned long long)ds.errors, why);
	check(crtc_active(k->qfd, k->crtc_id) &&
	      plane_fb(k->qfd, k->primary_id, NULL) == k->fbcon_fb,
	      "the console's FB %u stayed on the primary plane", k->fbcon_fb);
	r = zcap_graph_stop(k->g);
	check(r == 0, "graph stopped (%s)", zcap_strerror(r));
	if (!k->keep_master)
		check(!drmIsMaster(info->fd), "the sink gave DRM master back");
}

int main(int argc, char **argv)
{
	struct kms k = { 0 };
	int r;

	parse_args(&k, argc, argv);
	if (k.input >= 0)
		set_input(k.cap, k.input);
	open_display(&k);
	build_graph(&k);
	if (k.keep_master || k.fourcc != V4L2_PIX_FMT_XBGR32) {
		check_import_only(&k);
		goto out;
	}
	if (!k.crtc_off) {
		crc_begin(&k.crc, k.crcdir);
		k.crc_on = true;
	}
	stream(&k);
	check_counters(&k);
	check_framebuffers(&k);
	check_pixels(&k);
	r = zcap_graph_stop(k.g);
	check(r == 0, "graph stopped (%s)", zcap_strerror(r));
	check_put_back(&k, !k.crtc_off);
	if (k.again)
		run_again(&k);
out:
	close(k.qfd);
	zcap_graph_destroy(k.g);
	return failures ? 1 : 0;
}
