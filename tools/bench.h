/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zcap-bench: what its parts share.
 *
 *   zcap-bench.c     the order of runs: sizes, rounds, paths, pools
 *   bench_opts.c     the command line
 *   bench_device.c   the device: its name, sizes and rates, vivid's
 *                    timestamps
 *   bench_figures.c  what is reported: paths, figures, ratios
 *   bench_report.c   the tables on standard output
 *   bench_csv.c      the CSV
 *   bench_hooks.c    counting wrappers (malloc & co., memcpy, poll) linked
 *                    in with -Wl,--wrap, and the measurement window
 *   bench_kernel.c   kernel-side counters: zcap debugfs, kprobe events on
 *                    dma_buf_map_attachment/dma_buf_vmap, sg entries
 *   bench_paths.c    the capture paths: libzcap, raw MMAP + memcpy, raw
 *                    DMABUF on zcap buffers
 *   bench_pool.c     pool creation: zcap, dma-heap, udmabuf
 */
#ifndef ZCAP_BENCH_H
#define ZCAP_BENCH_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/videodev2.h>

#include <zcap/zcap.h>

#define BENCH_NOTE_LEN 200

/* ---- bench_hooks.c ---------------------------------------------------- */

/* What the wrappers counted since the program started (all threads). */
struct bench_hooks {
	uint64_t allocs;	/* malloc, calloc, realloc, posix_memalign, ... */
	uint64_t frees;
	uint64_t copy_calls;	/* memcpy and memmove calls */
	uint64_t copied;	/* bytes they copied */
	uint64_t wait_ns;	/* time the capture thread spent in poll() */
	uint64_t wait_cpu_ns;	/* CPU time it used in there */
	uint64_t waits;		/* its poll() calls */
	uint64_t ioctl_ns;	/* time the capture thread spent in ioctl() */
};

void bench_hooks_read(struct bench_hooks *h);
/* False in a zcap-bench built without the wrappers: every counter reads 0. */
extern const bool bench_hooks_counting;
/*
 * The calling thread is the one that waits for the driver: its time in
 * poll() is "waiting", everything else it does is "busy".
 */
void bench_hooks_capture_thread(void);

/* The wrapped functions (see bench.mk's link line). */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t sz);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
int __real_posix_memalign(void **p, size_t align, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__real_memcpy(void *d, const void *s, size_t n);
void *__real_memmove(void *d, const void *s, size_t n);
int __real_poll(struct pollfd *fds, nfds_t n, int timeout);
int __real_ioctl(int fd, unsigned long req, ...);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t sz);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
int __wrap_posix_memalign(void **p, size_t align, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
void *__wrap_memcpy(void *d, const void *s, size_t n);
void *__wrap_memmove(void *d, const void *s, size_t n);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout);
int __wrap_ioctl(int fd, unsigned long req, ...);

/* ---- bench_kernel.c --------------------------------------------------- */

/* Kernel counters; each source is valid only when its flag is set. */
struct bench_kstats {
	bool zcap;		/* /sys/kernel/debug/zcap/stats was read */
	uint64_t zcap_map;	/* zcap's map_calls */
	uint64_t zcap_vmap;	/* zcap's vmap_calls */
	bool kprobe;		/* our kprobe events' hit counts were read */
	uint64_t kp_map;	/* dma_buf_map_attachment() calls, any exporter */
	uint64_t kp_vmap;	/* dma_buf_vmap() calls, any exporter */
};

/*
 * Set up the kprobe events; when that is impossible, @why says why and
 * the figures come from zcap's debugfs alone. Never fails the program.
 */
void bench_kernel_init(char *why, size_t len);
void bench_kernel_exit(void);
bool bench_kernel_have_kprobes(void);
bool bench_kernel_have_zcap_stats(void);
/* Async-signal-unsafe but allocation-free: safe inside a measured window. */
void bench_kernel_read(struct bench_kstats *k);

/*
 * sg entries of dma-bufs, as an importer sees them: import each of @fds
 * into vgem (DRM PRIME), which attaches and maps it, and read the sg table
 * that dma_buf_map_attachment() returned through a kretprobe. @total and
 * @max get the sum and the largest count. 0, or a negative errno with
 * @why saying what was missing.
 */
int bench_kernel_sg_entries(const int *fds, uint32_t n, uint32_t *total,
			    uint32_t *max, char *why, size_t len);

/*
 * Is @opt (e.g. "CONFIG_UDMABUF") y or m in the running kernel's
 * /boot/config-$(uname -r)? 1 or 0, -errno when there is no such file.
 */
int bench_kernel_config(const char *opt);

/* ---- measurement window ------------------------------------------------ */

struct bench_snap {
	int64_t mono_ns;	/* CLOCK_MONOTONIC */
	int64_t cpu_ns;		/* CLOCK_PROCESS_CPUTIME_ID */
	int64_t user_us;	/* getrusage(RUSAGE_SELF) */
	int64_t sys_us;
	struct bench_hooks h;
	struct bench_kstats k;
};

/*
 * The frames a consumer gets, numbered from 1. The window opens when the
 * consumer has frame @warmup and closes when it has frame
 * @warmup + @frames: every figure is a difference across it, divided by
 * @frames. Latency is taken for the frames inside it.
 */
struct bench_window {
	uint32_t warmup;
	uint32_t frames;
	uint32_t seen;		/* frames the consumer got so far */
	bool open;
	bool done;
	struct bench_snap start, end;
	int64_t *lat_ns;	/* one per frame in the window that had a time */
	uint32_t n_lat;
	uint32_t no_time;	/* frames without a usable timestamp */
	uint32_t stale;		/* timestamp not after the previous frame's */
	uint32_t dropped;	/* sequence gaps inside the window */
	uint32_t errors;	/* frames the driver flagged as bad */
	bool have_prev;
	uint32_t prev_seq;
	int64_t prev_ts;
};

int bench_window_init(struct bench_window *w, uint32_t warmup, uint32_t frames);
void bench_window_release(struct bench_window *w);
/*
 * The consumer has a frame: @ts_ns is its capture time (CLOCK_MONOTONIC,
 * < 0 when it has none), @seq its sequence number. Returns true once the
 * window is complete.
 */
bool bench_window_frame(struct bench_window *w, int64_t ts_ns, uint32_t seq,
			bool error);
void bench_snap_take(struct bench_snap *s, bool start);

/* ---- results ----------------------------------------------------------- */

enum bench_status {
	BENCH_OK,
	BENCH_NA,	/* cannot run here (a provider this kernel lacks) */
	BENCH_FAILED,
};

enum bench_path {
	BENCH_PATH_A,		/* libzcap, zcap provider, null sink */
	BENCH_PATH_B,		/* raw V4L2 MMAP + memcpy */
	BENCH_PATH_C,		/* raw V4L2 DMABUF on zcap buffers */
	BENCH_PATH_HEAP,	/* libzcap, system dma-heap provider */
	BENCH_PATH_UDMABUF,	/* libzcap, udmabuf provider */
	BENCH_N_PATHS,
};

/* What the windows of one path at one size add up to. */
struct bench_sums {
	uint32_t windows;
	uint64_t frames;
	int64_t wall_ns, wait_ns, wait_cpu_ns, ioctl_ns, cpu_ns, user_us, sys_us;
	uint64_t copied, copy_calls, allocs, frees, polls;
	bool zcap, kprobe;		/* every window had these counters */
	uint64_t zcap_map, zcap_vmap, kp_map, kp_vmap;
	uint32_t dropped, stale, errors, no_time;
	uint64_t lib_copied, lib_frames;	/* libzcap's own count (a, d) */
};

/*
 * One path at one size: the sums of its windows (there is one per round,
 * see zcap-bench.c), and the per-frame figures bench_result_finish()
 * makes of them.
 */
struct bench_result {
	enum bench_status status;
	char note[BENCH_NOTE_LEN];
	uint32_t buffers;	/* V4L2 buffers in use */
	char provider[32];	/* what served the buffers */
	struct bench_sums sum;
	int64_t *lat_ns;	/* every latency of every window */
	uint32_t n_lat, cap_lat;

	/* Per frame. */
	double fps;		/* frames the consumer got per second */
	double user_us, sys_us, cpu_us;
	double wait_cpu_us;	/* CPU time spent inside poll() */
	double busy_us;		/* wall time outside poll() */
	double ioctl_us;	/* of it, inside ioctl() (the driver, its lock) */
	double code_us;		/* the rest: the program's and the library's code */
	double copied;		/* bytes through memcpy/memmove */
	double copy_calls, allocs, frees, polls;
	bool have_zcap, have_kprobe;
	double zcap_map, zcap_vmap, kp_map, kp_vmap;
	double lat_avg_ms, lat_med_ms, lat_max_ms;
	double lib_copied;
};

int bench_result_init(struct bench_result *r, uint32_t max_frames);
void bench_result_add(struct bench_result *r, const struct bench_window *w);
void bench_result_finish(struct bench_result *r);
void bench_result_release(struct bench_result *r);
void bench_result_fail(struct bench_result *r, enum bench_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- bench_paths.c ----------------------------------------------------- */

struct bench_cfg {
	const char *device;
	uint32_t fourcc;
	uint32_t width, height;
	uint32_t fps_num, fps_den;	/* frame interval to ask for; 0: leave it */
	uint32_t warmup, frames;
	uint32_t buffers;		/* raw paths: V4L2 buffers to request */
	int timeout_ms;			/* longest wait for one frame */
	int path_timeout_s;		/* longest run of one path */
};

int bench_run_libzcap(const struct bench_cfg *c, enum zcap_provider p,
		      struct bench_result *r);
int bench_run_mmap_copy(const struct bench_cfg *c, struct bench_result *r);
int bench_run_dmabuf_raw(const struct bench_cfg *c, struct bench_result *r);

/* ---- bench_pool.c ------------------------------------------------------ */

enum bench_provider {
	BENCH_POOL_ZCAP,
	BENCH_POOL_HEAP,
	BENCH_POOL_UDMABUF,
	BENCH_N_POOLS,
};

struct bench_pool_result {
	enum bench_status status;
	char note[BENCH_NOTE_LEN];
	enum bench_provider provider;
	int dev;				/* the provider's device */
	uint64_t buffer_size;
	uint32_t count;
	uint32_t reps;				/* creations timed so far */
	double *ms;				/* each one's time */
	double ms_median, ms_min, ms_max;	/* all `count` dma-bufs ready */
	bool have_sg;
	uint32_t sg_total, sg_max;		/* as vgem sees them */
	char sg_note[BENCH_NOTE_LEN];
	bool have_info_sg;			/* zcap: ZCAP_IOC_POOL_INFO */
	uint32_t info_sg_total, info_sg_max;
};

/*
 * begin opens the provider (BENCH_NA when this kernel has none), each rep
 * times one creation of `count` dma-bufs (the first also counts their sg
 * entries), end closes it and takes the median.
 */
int bench_pool_begin(enum bench_provider p, uint64_t size, uint32_t count,
		     uint32_t reps, struct bench_pool_result *r);
int bench_pool_rep(struct bench_pool_result *r);
void bench_pool_end(struct bench_pool_result *r);
const char *bench_pool_name(enum bench_provider p);

/* ---- bench_opts.c ------------------------------------------------------ */

#define BENCH_PROG "zcap-bench"
#define BENCH_MAX_SIZES 8

struct bench_opts {
	const char *device;
	uint32_t w[BENCH_MAX_SIZES], h[BENCH_MAX_SIZES];
	uint32_t n_sizes;
	uint32_t frames, warmup, rounds;
	uint32_t buffers;
	uint32_t fps;		/* 0: the fastest the driver offers per size */
	bool paths[BENCH_N_PATHS];
	bool pools;
	uint32_t pool_count, pool_reps;
	int timeout_ms, path_timeout_s;
	const char *csv;
};

/*
 * Fill @o from the command line. --help prints the usage and exits 0; a
 * usage error says what is wrong and exits 2.
 */
void bench_parse_opts(int argc, char **argv, struct bench_opts *o);

/* ---- bench_device.c ---------------------------------------------------- */

struct bench_dev {
	char driver[16];
	char card[32];
	bool vivid;
	struct v4l2_control tstamp;	/* vivid's Timestamp Source, to restore */
	bool tstamp_set;
};

/* The device's fd, or a negative errno (-ENOTTY: not V4L2). */
int bench_dev_open(const char *device, struct bench_dev *di);
void bench_dev_restore(int fd, const struct bench_dev *di);
void bench_dev_fastest_interval(int fd, uint32_t fourcc, uint32_t w, uint32_t h,
				uint32_t *num, uint32_t *den);
/* The driver's image size for that format and size, 0 if it wants another. */
uint32_t bench_dev_sizeimage(int fd, uint32_t fourcc, uint32_t w, uint32_t h);

/* ---- bench_figures.c --------------------------------------------------- */

/* Everything measured at one size. */
struct bench_size_run {
	uint32_t w, h;
	uint32_t sizeimage;
	uint32_t fps_num, fps_den;
	bool ran[BENCH_N_PATHS];
	struct bench_result res[BENCH_N_PATHS];
	bool pooled;
	struct bench_pool_result pool[BENCH_N_POOLS];
};

extern const char *const bench_path_key[BENCH_N_PATHS];	/* -p, the CSV */
extern const char *const bench_path_label[BENCH_N_PATHS];	/* the table */

/* FIG_HOOKS: counted by the wrappers of bench_hooks.c, when it has them. */
enum bench_fig_src { FIG_ALWAYS, FIG_HOOKS, FIG_MAP, FIG_VMAP, FIG_LAT };

struct bench_figure {
	const char *key;	/* CSV metric */
	const char *h1, *h2;	/* table heading, two lines */
	const char *unit;
	int width, prec;
	size_t off;		/* double in struct bench_result */
	enum bench_fig_src src;
};

extern const struct bench_figure bench_figs[];
extern const size_t bench_n_figs;

struct bench_ratio {
	enum bench_path num, den;
	const char *label;
};

extern const struct bench_ratio bench_ratios[];
extern const size_t bench_n_ratios;

/* @f of path @p in @r; false when it has none (n/a). */
bool bench_fig_value(const struct bench_figure *f, const struct bench_result *r,
		     enum bench_path p, double *v);
/* num/den as the table shows it: "-" for 0/0, "inf", "<0.01", "%.2f". */
void bench_fmt_ratio(char *buf, size_t len, double num, double den);

/* ---- bench_report.c ---------------------------------------------------- */

/* What the run is, before any figure: kernel, device, how figures are taken. */
void bench_print_header(const struct bench_opts *o, const char *kver,
			const struct bench_dev *di, const char *kernel_why);
void bench_print_size(const struct bench_opts *o, const struct bench_size_run *s);
void bench_print_pools(const struct bench_opts *o, const struct bench_size_run *runs,
		       uint32_t n);

/* ---- bench_csv.c ------------------------------------------------------- */

/* Every figure and ratio of @runs to the file @path; 0 or a negative errno. */
int bench_write_csv(const char *path, const char *kver,
		    const struct bench_size_run *runs, uint32_t n);

/* ---- helpers ----------------------------------------------------------- */

int64_t bench_now_ns(void);
void bench_note(char *note, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* ZCAP_BENCH_H */
