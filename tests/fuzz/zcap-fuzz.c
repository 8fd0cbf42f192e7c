// SPDX-License-Identifier: GPL-2.0
/*
 * zcap-fuzz: a model-checking fuzzer for the zcap ABI.
 *
 * It drives /dev/zcap, pool fds and dma-buf fds with random and
 * boundary-valued requests (every ioctl, random ioctl numbers, bad
 * pointers, mmap/munmap/mremap/mprotect/madvise, DMA_BUF_IOCTL_SYNC, dup,
 * close, fork, read/write/lseek, fd exhaustion, and, when vgem is loaded,
 * PRIME import into it, re-export from it and GEM close, which drive the
 * exporter's attach/map/unmap/detach) while keeping a model of
 * what the kernel must hold: which pools, buffers and dma-bufs are alive,
 * which user mappings exist and what was written into each buffer. Every
 * result is checked against the model and Documentation/abi.md:
 *
 *  - an error is one of the errnos the ABI documents for the conditions
 *    that hold, and a request with any such condition never succeeds;
 *  - a reply carries the documented values (sizes, sg entries, flags,
 *    close-on-exec, access mode, one dma-buf per buffer and access mode);
 *  - a failed call leaves no fd behind;
 *  - data written through one mapping is read back through every other
 *    mapping of the same buffer, and a fresh buffer reads as zeros;
 *  - the debugfs gauges equal what the model says is alive, the lifetime
 *    counters grow by what the model did, and all gauges are zero at exit.
 *
 * Runs are seeded and bounded in operations and time; --seed replays one.
 * Exit status: 0 clean, 1 invariant violations, 2 usage or setup error.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libdrm/drm.h>
#include <linux/dma-buf.h>
#include <linux/zcap.h>

#include "../common/vgem.h"

#define STATS_PATH	"/sys/kernel/debug/zcap/stats"
#define DEV_PATH	"/dev/zcap"

/* Model sizes. The fd table is larger than RLIMIT_NOFILE, so every fd the
 * kernel can hand out has a slot.
 */
#define FD_TABLE	256
#define FD_LIMIT	160
#define MAX_POOLS	128
#define MAX_REGIONS	512
#define NSTAMPS		8
#define RING		48
#define MAX_VIOLATIONS	10

/* Generation stops making new objects above these (errors still may). */
#define SOFT_POOLS	40
#define SOFT_REGIONS	200
#define SOFT_FDS	(FD_LIMIT - 24)

static long page_size;

/* ---- random numbers: xoshiro256**, seeded with splitmix64 ---- */

static uint64_t rs[4];

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rnd_seed(uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		rs[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rnd(void)
{
	uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;

	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

/* Uniform in [0, n); n > 0. */
static uint64_t rn(uint64_t n)
{
	return rnd() % n;
}

/* True with probability per_mille / 1000. */
static bool chance(unsigned int per_mille)
{
	return rn(1000) < per_mille;
}

/* ---- errno sets ---- */

struct eset {
	uint64_t w[3];
};

static void es_add(struct eset *s, int e)
{
	if (e > 0 && e < 192)
		s->w[e / 64] |= 1ULL << (e % 64);
}

static bool es_has(const struct eset *s, int e)
{
	return e > 0 && e < 192 && (s->w[e / 64] >> (e % 64)) & 1;
}

static bool es_empty(const struct eset *s)
{
	return !(s->w[0] | s->w[1] | s->w[2]);
}

static void es_fmt(const struct eset *s, char *out, size_t len)
{
	size_t n = 0;

	out[0] = 0;
	for (int e = 1; e < 192 && n + 1 < len; e++) {
		if (!es_has(s, e))
			continue;
		n += snprintf(out + n, len - n, "%s%s", n ? "," : "",
			      strerrorname_np(e) ? strerrorname_np(e) : "?");
	}
	if (!n)
		snprintf(out, len, "success");
}

/* ---- the model ---- */

enum fdkind { FD_NONE, FD_RESERVED, FD_DEV, FD_POOL, FD_DBUF };
enum { MODE_RW, MODE_RO, MODES };

struct pool;

/* One kernel dma-buf (one file). */
struct dbuf {
	struct pool *pool;
	uint32_t index;
	int mode;
	unsigned int fd_refs;
	unsigned int vma_refs;
	bool cached;		/* the pool file holds it (ABI: repeat exports) */
	uint32_t gem;		/* vgem's handle for its import, 0 none */
	ino_t ino;
};

struct stamp {
	uint64_t off;
	uint64_t val;
};

struct buf {
	struct dbuf *db[MODES];
	bool virgin;		/* never written: must read as zeros */
	bool tainted;		/* another process may write: no data checks */
	uint32_t sg;		/* sg entries reported at export, 0 unknown */
	unsigned int nst;
	struct stamp st[NSTAMPS];
};

struct pool {
	bool used;
	uint64_t id;
	uint64_t size;		/* page aligned */
	uint32_t count;
	uint32_t flags;
	unsigned int file_refs;	/* fds of ours on the pool file */
	bool info_known;
	uint32_t sg_entries, max_sg;
	struct buf *bufs;
};

struct fdent {
	enum fdkind kind;
	void *obj;
	bool cloexec;
	int accmode;
};

/* One user VMA of a dma-buf. */
struct region {
	uintptr_t addr;
	size_t len;
	uint64_t off;		/* into the buffer */
	int prot;
	bool dontfork;
	int readahead;		/* 0 normal, 1 random, 2 sequential */
	struct dbuf *db;
};

static struct fdent fds[FD_TABLE];
static struct pool pools[MAX_POOLS];
static struct region regions[MAX_REGIONS];
static unsigned int nregions;
static uint64_t next_pool_id = 1;

static struct zcap_version ver;

/* Scratch: [read-write][read-only][no access] pages for pointer games. */
static unsigned char *arena;

/*
 * A dma-buf a child created for a pool it inherited: the pool file caches
 * it, so the parent's model learns of it when the child is reaped.
 */
struct child_export {
	uint64_t pool_id;
	uint32_t index;
	int mode;
	ino_t ino;
};

#define MAX_CHILD_EXPORTS 512
#define CHILD_POOL_IDS (1ULL << 40)

struct counters {
	struct child_export cexp[MAX_CHILD_EXPORTS];
	unsigned int ncexp;
	double op_time[32];	/* seconds spent per operation kind */
	uint64_t ops;
	uint64_t child_ops;
	uint64_t forks;
	uint64_t data_checks;
	uint64_t gauge_checks;
};

/* Shared with children, so their work is counted. */
static struct counters *cnt;

static bool in_child;
static int children_alive;
static pid_t child_pid;
static int violations;
static bool gauges_broken;
static bool trace;
static int stats_fd = -1;
static int dev_probe_fd = -1;

/* Lifetime counter deltas the model expects since the last reading. */
static uint64_t exp_pools_created, exp_dmabufs_exported, exp_cpu_access;
static uint64_t exp_map_calls, exp_unmap_calls;
static int vgem_fd = -1;
/* A child ran since the last reading: the deltas are not all ours. */
static bool counters_unknown;

/* ---- per-op errno accounting, for the coverage report ---- */

enum op {
	OP_OPEN, OP_CLOSE, OP_DUP, OP_VERSION, OP_CREATE, OP_INFO,
	OP_EXPORT, OP_WRONGFD, OP_RANDIOCTL, OP_SYNC, OP_MMAP, OP_MUNMAP,
	OP_MREMAP, OP_MPROTECT, OP_MADVISE, OP_WRITE, OP_READ, OP_FILEIO,
	OP_EXHAUST, OP_FORK, OP_IMPORT, OP_REEXPORT, OP_GEMCLOSE, OP_GAUGES,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"open", "close", "dup", "version", "pool_create", "pool_info",
	"buf_export", "wrong_fd_ioctl", "random_ioctl", "dma_buf_sync", "mmap",
	"munmap", "mremap", "mprotect", "madvise", "mem_write", "mem_read",
	"file_io", "fd_exhaust", "fork", "vgem_import", "vgem_reexport",
	"vgem_close", "gauges",
};

/* Relative frequencies. */
static const unsigned int op_weight[OP_COUNT] = {
	[OP_OPEN] = 300, [OP_CLOSE] = 900, [OP_DUP] = 300,
	[OP_VERSION] = 150, [OP_CREATE] = 1100, [OP_INFO] = 400,
	[OP_EXPORT] = 1300, [OP_WRONGFD] = 300, [OP_RANDIOCTL] = 400,
	[OP_SYNC] = 600, [OP_MMAP] = 1000, [OP_MUNMAP] = 600,
	[OP_MREMAP] = 300, [OP_MPROTECT] = 300, [OP_MADVISE] = 250,
	[OP_WRITE] = 900, [OP_READ] = 900, [OP_FILEIO] = 300,
	[OP_EXHAUST] = 2, [OP_FORK] = 2, [OP_IMPORT] = 250,
	[OP_REEXPORT] = 120, [OP_GEMCLOSE] = 200, [OP_GAUGES] = 80,
};

#define ERRSLOTS 136
static uint64_t (*errhist)[ERRSLOTS];	/* [OP_COUNT][errno], [0] = success */

static void hist(enum op op, long ret, int err)
{
	int e = ret < 0 ? err : 0;

	if (e < 0 || e >= ERRSLOTS)
		e = ERRSLOTS - 1;
	__atomic_fetch_add(&errhist[op][e], 1, __ATOMIC_RELAXED);
	/* An operation counts once it reached the kernel or the memory. */
	__atomic_fetch_add(in_child ? &cnt->child_ops : &cnt->ops, 1,
			   __ATOMIC_RELAXED);
}

/* ---- op trace ring ---- */

struct oprec {
	uint64_t n;
	enum op op;
	int fd;
	uint64_t a, b, c;
	long ret;
	int err;
};

static struct oprec ring[RING];
static uint64_t ring_n;
static struct oprec *cur;

static void rec_print(const struct oprec *r)
{
	printf("#   op %" PRIu64 "%s: %s fd=%d a=%#" PRIx64 " b=%#" PRIx64
	       " c=%#" PRIx64 " -> %ld %s\n", r->n, in_child ? " (child)" : "",
	       op_names[r->op], r->fd, r->a, r->b, r->c, r->ret,
	       r->ret < 0 && r->err ? strerrorname_np(r->err) : "");
}

static void violation(const char *fmt, ...)
{
	va_list ap;

	violations++;
	printf("# VIOLATION%s at op %" PRIu64 ": ", in_child ? " (child)" : "",
	       cur ? cur->n : 0);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n# last operations, oldest first:\n");
	for (uint64_t i = ring_n > RING ? ring_n - RING : 0; i < ring_n; i++)
		rec_print(&ring[i % RING]);
	fflush(stdout);
}

/*
 * Check a result against the set of errnos the ABI allows; an empty set
 * means the call must succeed, ok_too says success is also fine.
 */
static bool check_result(const char *what, long ret, int err,
			 const struct eset *allowed, bool ok_too)
{
	char buf[256];

	cur->ret = ret;
	cur->err = ret < 0 ? err : 0;
	hist(cur->op, ret, err);
	if (trace)
		rec_print(cur);
	if (ret >= 0) {
		if (es_empty(allowed) || ok_too)
			return true;
		es_fmt(allowed, buf, sizeof(buf));
		violation("%s succeeded (%ld), expected %s", what, ret, buf);
		return false;
	}
	if (es_has(allowed, err))
		return true;
	es_fmt(allowed, buf, sizeof(buf));
	violation("%s failed with %s, expected %s", what,
		  strerrorname_np(err) ? strerrorname_np(err) : "?", buf);
	return false;
}

/* ---- model bookkeeping ---- */

static bool buf_alive(const struct pool *p, uint32_t i)
{
	return p->file_refs || p->bufs[i].db[MODE_RW] || p->bufs[i].db[MODE_RO];
}

static void pool_maybe_die(struct pool *p)
{
	if (p->file_refs)
		return;
	for (uint32_t i = 0; i < p->count; i++)
		if (buf_alive(p, i))
			return;
	free(p->bufs);
	memset(p, 0, sizeof(*p));
}

static void db_maybe_die(struct dbuf *db)
{
	struct pool *p = db->pool;

	if (db->fd_refs || db->vma_refs || db->gem ||
	    (db->cached && p->file_refs))
		return;
	p->bufs[db->index].db[db->mode] = NULL;
	free(db);
	pool_maybe_die(p);
}

static void pool_file_unref(struct pool *p)
{
	if (--p->file_refs)
		return;
	/*
	 * The pool file drops its cached dma-bufs. The last one to go frees
	 * the model's pool, so stop looking at it then.
	 */
	for (uint32_t i = 0; i < p->count; i++)
		for (int m = 0; m < MODES; m++)
			if (p->bufs[i].db[m])
				p->bufs[i].db[m]->cached = false;
	for (uint32_t i = 0; p->used && i < p->count; i++)
		for (int m = 0; p->used && m < MODES; m++)
			if (p->bufs[i].db[m])
				db_maybe_die(p->bufs[i].db[m]);
	if (p->used)
		pool_maybe_die(p);
}

static int nfds_used;

static int fds_used(void)
{
	return nfds_used;
}

static int lowest_free_fd(void)
{
	for (int i = 0; i < FD_LIMIT; i++)
		if (fds[i].kind == FD_NONE)
			return i;
	return -1;
}

/* Record an fd the kernel just gave us. */
static void fd_add(int fd, enum fdkind kind, void *obj, bool cloexec,
		   int accmode)
{
	if (fd < 0 || fd >= FD_TABLE) {
		violation("kernel returned fd %d outside RLIMIT_NOFILE %d",
			  fd, FD_LIMIT);
		return;
	}
	if (fds[fd].kind != FD_NONE) {
		violation("kernel returned fd %d, which is already open", fd);
		return;
	}
	fds[fd] = (struct fdent){ kind, obj, cloexec, accmode };
	nfds_used++;
	if (kind == FD_POOL)
		((struct pool *)obj)->file_refs++;
	else if (kind == FD_DBUF)
		((struct dbuf *)obj)->fd_refs++;
}

/* Forget an fd the kernel no longer has. */
static void fd_forget(int fd)
{
	struct fdent e = fds[fd];

	fds[fd].kind = FD_NONE;
	fds[fd].obj = NULL;
	nfds_used--;
	if (e.kind == FD_POOL) {
		pool_file_unref(e.obj);
	} else if (e.kind == FD_DBUF) {
		struct dbuf *db = e.obj;

		db->fd_refs--;
		db_maybe_die(db);
	}
}

static void region_drop(unsigned int r)
{
	struct dbuf *db = regions[r].db;

	regions[r] = regions[--nregions];
	db->vma_refs--;
	db_maybe_die(db);
}

/*
 * Split region r so that [a, b) (page aligned, inside it) is a region of
 * its own, as the kernel splits the VMA; returns the middle's index.
 */
static unsigned int region_carve(unsigned int r, uintptr_t a, uintptr_t b)
{
	struct region *g = &regions[r];
	uintptr_t end = g->addr + g->len;

	if (nregions + 2 > MAX_REGIONS) {
		fprintf(stderr, "model full: raise MAX_REGIONS\n");
		exit(2);
	}
	if (b < end) {
		struct region right = *g;

		right.addr = b;
		right.len = end - b;
		right.off = g->off + (b - g->addr);
		regions[nregions++] = right;
		g->db->vma_refs++;
	}
	if (a > g->addr) {
		struct region left = *g;

		left.len = a - g->addr;
		regions[nregions++] = left;
		g->db->vma_refs++;
		g->off += a - g->addr;
		g->addr = a;
	}
	g->len = b - a;
	return r;
}

static struct pool *pool_new(uint64_t size, uint32_t count, uint32_t flags)
{
	for (int i = 0; i < MAX_POOLS; i++) {
		struct pool *p = &pools[i];

		if (p->used)
			continue;
		memset(p, 0, sizeof(*p));
		p->used = true;
		p->id = next_pool_id++;
		p->size = size;
		p->count = count;
		p->flags = flags;
		p->bufs = calloc(count, sizeof(*p->bufs));
		if (!p->bufs) {
			perror("calloc");
			exit(2);
		}
		for (uint32_t b = 0; b < count; b++)
			p->bufs[b].virgin = true;
		return p;
	}
	return NULL;
}

static int pools_alive(void)
{
	int n = 0;

	for (int i = 0; i < MAX_POOLS; i++)
		n += pools[i].used;
	return n;
}

/* Pick a random tracked fd of a kind (FD_NONE: any kind), or -1. */
static int pick_fd(enum fdkind kind)
{
	int cand[FD_TABLE], n = 0;

	for (int i = 0; i < FD_TABLE; i++) {
		if (fds[i].kind == FD_NONE || fds[i].kind == FD_RESERVED)
			continue;
		if (kind == FD_NONE || fds[i].kind == kind)
			cand[n++] = i;
	}
	return n ? cand[rn(n)] : -1;
}

static void taint_all(void)
{
	for (int i = 0; i < MAX_POOLS; i++) {
		if (!pools[i].used)
			continue;
		for (uint32_t b = 0; b < pools[i].count; b++) {
			pools[i].bufs[b].tainted = true;
			pools[i].bufs[b].virgin = false;
			pools[i].bufs[b].nst = 0;
		}
	}
}

static bool exact(void)
{
	return !in_child && !children_alive;
}

/* No fd left behind by a failed call: the lowest free slot is still free. */
static void check_no_fd_leak(const char *what)
{
	int fd = lowest_free_fd();

	if (fd < 0 || !exact())
		return;
	if (fcntl(fd, F_GETFD) >= 0) {
		violation("%s failed but fd %d appeared", what, fd);
		/* Keep the model true to the kernel. */
		close(fd);
	}
}

/* ---- pointers for ioctl arguments ---- */

enum where {
	AT_GOOD,	/* readable and writable */
	AT_RO,		/* readable only: replies fault */
	AT_STRADDLE_RO,	/* starts writable, ends read-only */
	AT_STRADDLE_NONE, /* starts readable, ends unmapped */
	AT_NONE,	/* no access */
	AT_NULL,
	AT_KERNEL,
	AT_COUNT
};

static enum where pick_where(void)
{
	return chance(940) ? AT_GOOD : (enum where)(1 + rn(AT_COUNT - 1));
}

/* Callers pass structures of at least 16 bytes for the straddling cases. */

/* Where copy_from_user of len bytes fails. */
static bool where_unreadable(enum where w)
{
	return w == AT_NONE || w == AT_NULL || w == AT_KERNEL ||
	       w == AT_STRADDLE_NONE;
}

/*
 * The errnos of a call that returns a new fd with its argument at @w: EMFILE
 * with the fd table full, EFAULT for a bad pointer, and only EFAULT when the
 * kernel cannot even read the request. True when the call must fail.
 */
static bool es_add_new_fd(struct eset *al, enum where w)
{
	bool bad = false;

	if (lowest_free_fd() < 0) {
		es_add(al, EMFILE);
		bad = true;
	}
	if (w != AT_GOOD) {
		es_add(al, EFAULT);
		bad = true;
		if (where_unreadable(w))
			memset(al, 0, sizeof(*al)), es_add(al, EFAULT);
	}
	return bad;
}

/* Put len bytes of content where w says; returns the user pointer. */
static void *place(enum where w, const void *content, size_t len)
{
	unsigned char *rw = arena, *ro = arena + page_size;
	unsigned char *p;

	switch (w) {
	case AT_GOOD:
		p = rw + (rn((page_size - len) / 8) * 8);
		memcpy(p, content, len);
		return p;
	case AT_RO:
	case AT_STRADDLE_RO:
	case AT_STRADDLE_NONE:
		if (w == AT_RO)
			p = ro;
		else if (w == AT_STRADDLE_RO)
			p = ro - 8 * (1 + rn(len / 8 - 1));
		else
			p = ro + page_size - 8 * (1 + rn(len / 8 - 1));
		if (mprotect(ro, page_size, PROT_READ | PROT_WRITE)) {
			perror("mprotect arena");
			exit(2);
		}
		memcpy(p, content, w == AT_STRADDLE_NONE ?
		       (size_t)(ro + page_size - p) : len);
		if (mprotect(ro, page_size, PROT_READ)) {
			perror("mprotect arena");
			exit(2);
		}
		return p;
	case AT_NONE:
		return arena + 2 * page_size;
	case AT_NULL:
		return NULL;
	default:
		return (void *)0xffff880000000000ULL;
	}
}

/* ---- debugfs ---- */

enum {
	G_POOLS, G_BUFFERS, G_BYTES, G_DMABUFS, G_ATTACH, G_MAPPINGS, G_VMAPS,
	G_MMAPS, C_POOLS_CREATED, C_DMABUFS_EXPORTED, C_MAP, C_UNMAP, C_VMAP,
	C_CPU_ACCESS, G_COUNT
};

static const char *const gauge_names[G_COUNT] = {
	"pools", "buffers", "bytes", "dmabufs", "attachments", "mappings",
	"vmaps", "mmaps", "pools_created", "dmabufs_exported", "map_calls",
	"unmap_calls", "vmap_calls", "cpu_access_calls",
};

static int64_t last_stats[G_COUNT];

static int read_stats(int64_t *v)
{
	char buf[2048], name[64];
	long long val;
	ssize_t n;
	int seen = 0;
	char *s;

	/* pread: a forked child shares the file offset. */
	n = pread(stats_fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	for (s = buf; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL) {
		if (sscanf(s, "%63s %lld", name, &val) != 2)
			continue;
		for (int i = 0; i < G_COUNT; i++) {
			if (!strcmp(name, gauge_names[i])) {
				v[i] = val;
				seen |= 1 << i;
			}
		}
	}
	return seen == (1 << G_COUNT) - 1 ? 0 : -EPROTO;
}

/* What the model says the gauges are. */
static void model_gauges(int64_t *g)
{
	memset(g, 0, sizeof(*g) * G_COUNT);
	for (int i = 0; i < MAX_POOLS; i++) {
		const struct pool *p = &pools[i];

		if (!p->used)
			continue;
		g[G_POOLS]++;
		for (uint32_t b = 0; b < p->count; b++) {
			if (buf_alive(p, b)) {
				g[G_BUFFERS]++;
				g[G_BYTES] += p->size;
			}
			for (int m = 0; m < MODES; m++) {
				const struct dbuf *db = p->bufs[b].db[m];

				if (!db)
					continue;
				g[G_DMABUFS]++;
				/* A PRIME import attaches and maps at once. */
				g[G_ATTACH] += !!db->gem;
				g[G_MAPPINGS] += !!db->gem;
			}
		}
	}
	g[G_MMAPS] = nregions;
}

static uint64_t live_bytes_now(void)
{
	int64_t v[G_COUNT];

	if (read_stats(v))
		return 0;
	return v[G_BYTES];
}

static void check_gauges(const char *when)
{
	int64_t v[G_COUNT], m[G_COUNT];
	int ret;

	if (gauges_broken)
		return;
	ret = read_stats(v);
	if (ret) {
		violation("cannot read %s: %s", STATS_PATH, strerror(-ret));
		gauges_broken = true;
		return;
	}
	cnt->gauge_checks++;
	for (int i = 0; i < G_COUNT; i++) {
		if (v[i] < 0) {
			violation("%s: debugfs %s is negative (%" PRId64 ")",
				  when, gauge_names[i], v[i]);
			gauges_broken = true;
		}
		if (i >= C_POOLS_CREATED && v[i] < last_stats[i]) {
			violation("%s: counter %s went down (%" PRId64
				  " -> %" PRId64 ")", when, gauge_names[i],
				  last_stats[i], v[i]);
			gauges_broken = true;
		}
	}
	if (exact()) {
		model_gauges(m);
		m[C_POOLS_CREATED] = last_stats[C_POOLS_CREATED] + exp_pools_created;
		m[C_DMABUFS_EXPORTED] = last_stats[C_DMABUFS_EXPORTED] +
					exp_dmabufs_exported;
		m[C_CPU_ACCESS] = last_stats[C_CPU_ACCESS] + exp_cpu_access;
		m[C_MAP] = last_stats[C_MAP] + exp_map_calls;
		m[C_UNMAP] = last_stats[C_UNMAP] + exp_unmap_calls;
		m[C_VMAP] = last_stats[C_VMAP];
		for (int i = 0; i < G_COUNT; i++) {
			if (v[i] == m[i] ||
			    (counters_unknown && i >= C_POOLS_CREATED))
				continue;
			violation("%s: debugfs %s is %" PRId64
				  ", the model says %" PRId64, when,
				  gauge_names[i], v[i], m[i]);
			gauges_broken = true;
		}
	}
	memcpy(last_stats, v, sizeof(v));
	exp_pools_created = exp_dmabufs_exported = exp_cpu_access = 0;
	exp_map_calls = exp_unmap_calls = 0;
	if (exact())
		counters_unknown = false;
}

/* ---- operations ---- */

static void op_open(void)
{
	static const int modes[] = { O_RDWR, O_RDWR, O_RDWR, O_RDONLY };
	int flags = modes[rn(4)] | (chance(300) ? O_CLOEXEC : 0) |
		    (chance(100) ? O_NONBLOCK : 0);
	struct eset al = { 0 };
	int fd;

	cur->a = flags;
	if (lowest_free_fd() < 0)
		es_add(&al, EMFILE);
	fd = open(DEV_PATH, flags);
	cur->fd = fd;
	if (check_result("open " DEV_PATH, fd, errno, &al, false) && fd >= 0)
		fd_add(fd, FD_DEV, NULL, flags & O_CLOEXEC, flags & O_ACCMODE);
}

static void op_close(void)
{
	int fd = pick_fd(FD_NONE);
	struct eset al = { 0 };
	int ret;

	cur->fd = fd;
	if (fd < 0)
		return;
	ret = close(fd);
	check_result("close", ret, errno, &al, false);
	fd_forget(fd);
}

static void op_dup(void)
{
	int fd = pick_fd(FD_NONE), nfd, target = -1, how = rn(4);
	struct eset al = { 0 };
	bool cloexec = false;

	cur->fd = fd;
	cur->a = how;
	if (fd < 0)
		return;
	switch (how) {
	case 0:
		if (lowest_free_fd() < 0)
			es_add(&al, EMFILE);
		nfd = dup(fd);
		break;
	case 1:
		if (lowest_free_fd() < 0)
			es_add(&al, EMFILE);
		nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		cloexec = true;
		break;
	default:
		/* Onto a random slot: closes what was there. */
		target = 3 + rn(FD_LIMIT - 3);
		if (fds[target].kind == FD_RESERVED)
			return;
		cloexec = how == 3;
		if (target == fd && cloexec)
			es_add(&al, EINVAL);
		nfd = cloexec ? dup3(fd, target, O_CLOEXEC) : dup2(fd, target);
		break;
	}
	cur->b = target;
	if (!check_result("dup", nfd, errno, &al, false) || nfd < 0)
		return;
	if (nfd == fd)
		return;		/* dup2 onto itself */
	if (target >= 0 && fds[target].kind != FD_NONE)
		fd_forget(target);
	fd_add(nfd, fds[fd].kind, fds[fd].obj, cloexec, fds[fd].accmode);
}

static void op_version(void)
{
	int fd = pick_fd(FD_DEV);
	enum where w = pick_where();
	struct zcap_version v;
	struct eset al = { 0 };
	void *p;
	int ret;

	cur->fd = fd;
	cur->a = w;
	if (fd < 0)
		return;
	memset(&v, 0xa5, sizeof(v));
	p = place(w, &v, sizeof(v));
	if (w != AT_GOOD)
		es_add(&al, EFAULT);
	ret = ioctl(fd, ZCAP_IOC_VERSION, p);
	if (!check_result("ZCAP_IOC_VERSION", ret, errno, &al, false) || ret)
		return;
	memcpy(&v, p, sizeof(v));
	if (memcmp(&v, &ver, sizeof(v)))
		violation("ZCAP_IOC_VERSION reply changed during the run");
}

static uint64_t model_bytes(void)
{
	int64_t g[G_COUNT];

	model_gauges(g);
	return g[G_BYTES];
}

static uint64_t pick_size(void)
{
	const uint64_t pg = page_size;
	/* Right at the max_total_bytes reservation's edge. */
	const uint64_t room = ver.max_total_bytes - model_bytes();
	const uint64_t edges[] = {
		room, room + 1, room - pg, room + pg,
		0, 1, pg - 1, pg, pg + 1, 2 * pg - 1, ver.max_contig_bytes - 1,
		ver.max_contig_bytes, ver.max_contig_bytes + 1,
		ver.max_pool_bytes, ver.max_pool_bytes + 1,
		ver.max_total_bytes + 1, UINT64_MAX, UINT64_MAX - pg + 1,
		UINT64_MAX - pg + 2, 1ULL << 63, (1ULL << 56) + 1,
		UINT64_MAX / 256 + 1, UINT32_MAX, 1ULL << 32,
	};
	unsigned int r = rn(100);

	if (r < 55)
		return (1 + rn(4)) * pg + (chance(300) ? rn(3) - 1 : 0);
	if (r < 75)
		return 1 + rn(256 * 1024);
	if (r < 85)
		return 1 + rn(ver.max_contig_bytes + pg);
	if (r < 96)
		return edges[rn(sizeof(edges) / sizeof(edges[0]))];
	return rnd() >> rn(64);
}

static uint32_t pick_count(void)
{
	const uint32_t edges[] = {
		0, 1, ZCAP_MAX_BUFFERS - 1, ZCAP_MAX_BUFFERS,
		ZCAP_MAX_BUFFERS + 1, UINT32_MAX, 0x80000000U, 0x10000,
	};
	unsigned int r = rn(100);

	if (r < 65)
		return 1 + rn(4);
	if (r < 82)
		return 5 + rn(12);
	if (r < 90)
		return edges[rn(sizeof(edges) / sizeof(edges[0]))];
	if (r < 97)
		return 1 + rn(ZCAP_MAX_BUFFERS);
	return (uint32_t)rnd();
}

static void op_create(void)
{
	int fd = pick_fd(FD_DEV);
	struct zcap_pool_create req, out;
	enum where w = pick_where();
	struct eset al = { 0 };
	uint64_t rounded = 0, total = 0;
	bool bad = false, ovf = false;
	unsigned int r;
	void *p;
	int ret;

	cur->fd = fd;
	if (fd < 0)
		return;
	memset(&req, 0, sizeof(req));
	req.buffer_size = pick_size();
	req.count = pick_count();
	r = rn(100);
	req.flags = r < 70 ? 0 : r < 92 ? ZCAP_POOL_CONTIGUOUS :
		    r < 97 ? 1U << rn(32) : (uint32_t)rnd();
	r = rn(100);
	req.fd_flags = r < 60 ? 0 : r < 92 ? O_CLOEXEC :
		       r < 96 ? 1U << rn(32) : (uint32_t)rnd();
	req.pool_fd = (int32_t)rnd();
	if (chance(60))
		req.reserved[rn(4)] = chance(500) ? 1ULL << rn(64) : rnd() | 1;
	cur->a = req.buffer_size;
	cur->b = (uint64_t)req.count << 32 | req.flags;
	cur->c = (uint64_t)req.fd_flags << 8 | w;

	/* Documentation/abi.md, ZCAP_IOC_POOL_CREATE, condition by condition. */
	if (req.reserved[0] || req.reserved[1] || req.reserved[2] ||
	    req.reserved[3] || (req.flags & ~ZCAP_POOL_FLAGS_ALL) ||
	    (req.fd_flags & ~(uint32_t)O_CLOEXEC) || !req.count ||
	    req.count > ZCAP_MAX_BUFFERS || !req.buffer_size) {
		es_add(&al, EINVAL);
		bad = true;
	}
	if (req.buffer_size > UINT64_MAX - (page_size - 1)) {
		ovf = true;
	} else {
		rounded = (req.buffer_size + page_size - 1) & ~(page_size - 1);
		if (req.count && rounded > UINT64_MAX / req.count)
			ovf = true;
		else
			total = rounded * req.count;
	}
	if (ovf) {
		es_add(&al, EOVERFLOW);
		bad = true;
	}
	if (!ovf && (req.flags & ZCAP_POOL_CONTIGUOUS) &&
	    rounded > ver.max_contig_bytes) {
		es_add(&al, E2BIG);
		bad = true;
	}
	if (!ovf && total > ver.max_pool_bytes) {
		es_add(&al, EFBIG);
		bad = true;
	}
	if (!ovf && total) {
		if (!exact()) {
			es_add(&al, EDQUOT);
		} else if (total > ver.max_total_bytes ||
			   live_bytes_now() > ver.max_total_bytes - total) {
			es_add(&al, EDQUOT);
			bad = true;
		}
	}
	/* Pages may be short; contiguous blocks may be fragmented away. */
	es_add(&al, ENOMEM);
	bad |= es_add_new_fd(&al, w);
	/* Not every request is worth its memory: keep the model bounded. */
	if (!bad && (pools_alive() >= SOFT_POOLS || fds_used() >= SOFT_FDS))
		return;

	p = place(w, &req, sizeof(req));
	ret = ioctl(fd, ZCAP_IOC_POOL_CREATE, p);
	if (!check_result("ZCAP_IOC_POOL_CREATE", ret, errno, &al, !bad)) {
		if (ret < 0)
			return;
	}
	if (ret < 0) {
		check_no_fd_leak("ZCAP_IOC_POOL_CREATE");
		return;
	}
	if (ret != 0)
		violation("ZCAP_IOC_POOL_CREATE returned %d, not 0", ret);
	if (where_unreadable(w))
		return;
	memcpy(&out, p, sizeof(out));
	cur->ret = out.pool_fd;
	{
		struct pool *pl = pool_new(rounded, req.count, req.flags);
		int fdfl = fcntl(out.pool_fd, F_GETFD);

		if (!pl) {
			fprintf(stderr, "model full: raise MAX_POOLS\n");
			exit(2);
		}
		if (fdfl < 0) {
			violation("pool_fd %d is not open", out.pool_fd);
			memset(pl, 0, sizeof(*pl));
			return;
		}
		if (!!(fdfl & FD_CLOEXEC) != !!(req.fd_flags & O_CLOEXEC))
			violation("pool_fd close-on-exec is %d, fd_flags %#x",
				  !!(fdfl & FD_CLOEXEC), req.fd_flags);
		fd_add(out.pool_fd, FD_POOL, pl, req.fd_flags & O_CLOEXEC,
		       O_RDWR);
		exp_pools_created++;
	}
}

static void op_info(void)
{
	int fd = pick_fd(FD_POOL);
	enum where w = pick_where();
	struct zcap_pool_info info;
	struct eset al = { 0 };
	struct pool *p;
	uint32_t exported = 0;
	void *ptr;
	int ret;

	cur->fd = fd;
	cur->a = w;
	if (fd < 0)
		return;
	p = fds[fd].obj;
	memset(&info, 0x5a, sizeof(info));
	ptr = place(w, &info, sizeof(info));
	if (w != AT_GOOD)
		es_add(&al, EFAULT);
	ret = ioctl(fd, ZCAP_IOC_POOL_INFO, ptr);
	if (!check_result("ZCAP_IOC_POOL_INFO", ret, errno, &al, false) || ret)
		return;
	memcpy(&info, ptr, sizeof(info));
	for (uint32_t b = 0; b < p->count; b++)
		exported += p->bufs[b].db[MODE_RW] || p->bufs[b].db[MODE_RO];
	if (info.buffer_size != p->size || info.count != p->count ||
	    info.total_bytes != p->size * p->count || info.flags != p->flags)
		violation("POOL_INFO says %" PRIu64 " x %u (%" PRIu64
			  " bytes, flags %#x), created %" PRIu64 " x %u flags %#x",
			  (uint64_t)info.buffer_size, info.count,
			  (uint64_t)info.total_bytes, info.flags, p->size,
			  p->count, p->flags);
	if (info.pad || info.reserved[0] || info.reserved[1] ||
	    info.reserved[2] || info.reserved[3])
		violation("POOL_INFO pad/reserved not zero");
	if (info.max_sg_entries < 1 ||
	    info.max_sg_entries > p->size / page_size ||
	    info.sg_entries < p->count ||
	    info.sg_entries > (uint64_t)p->count * info.max_sg_entries ||
	    ((p->flags & ZCAP_POOL_CONTIGUOUS) && info.max_sg_entries != 1))
		violation("POOL_INFO sg_entries %u max_sg_entries %u impossible"
			  " for %u buffers of %" PRIu64 " bytes flags %#x",
			  info.sg_entries, info.max_sg_entries, p->count,
			  p->size, p->flags);
	if (p->info_known && (info.sg_entries != p->sg_entries ||
			      info.max_sg_entries != p->max_sg))
		violation("POOL_INFO sg entries changed");
	p->info_known = true;
	p->sg_entries = info.sg_entries;
	p->max_sg = info.max_sg_entries;
	/* Children may export from this pool too: only a lower bound then. */
	if (exact() ? info.exported != exported :
		      info.exported < exported || info.exported > p->count)
		violation("POOL_INFO exported %u, the model says %u",
			  info.exported, exported);
}

static void op_export(void)
{
	int fd = pick_fd(FD_POOL), accmode, mode = -1, ret, fdfl, fl;
	enum where w = pick_where();
	struct zcap_buf_export req, out;
	struct eset al = { 0 };
	bool bad = false;
	struct stat st;
	struct pool *p;
	struct dbuf *db;
	unsigned int r;
	void *ptr;

	cur->fd = fd;
	if (fd < 0)
		return;
	p = fds[fd].obj;
	memset(&req, 0, sizeof(req));
	r = rn(100);
	req.index = r < 85 ? rn(p->count) : r < 90 ? p->count :
		    r < 95 ? p->count + rn(3) : (uint32_t)rnd();
	r = rn(100);
	req.flags = r < 45 ? O_RDWR : r < 65 ? O_RDONLY :
		    r < 80 ? (chance(500) ? O_RDWR : O_RDONLY) | O_CLOEXEC :
		    r < 85 ? O_WRONLY : r < 88 ? O_ACCMODE :
		    r < 95 ? O_RDWR | (1U << rn(32)) : (uint32_t)rnd();
	req.fd = (int32_t)rnd();
	req.sg_entries = (uint32_t)rnd();
	req.size = rnd();
	if (chance(50))
		req.reserved[rn(4)] = rnd() | 1;
	cur->a = req.index;
	cur->b = req.flags;
	cur->c = w;

	accmode = req.flags & O_ACCMODE;
	if (req.reserved[0] || req.reserved[1] || req.reserved[2] ||
	    req.reserved[3] || req.index >= p->count ||
	    (req.flags & ~(uint32_t)(O_CLOEXEC | O_ACCMODE)) ||
	    (accmode != O_RDWR && accmode != O_RDONLY)) {
		es_add(&al, EINVAL);
		bad = true;
	} else {
		mode = accmode == O_RDWR ? MODE_RW : MODE_RO;
	}
	es_add(&al, ENOMEM);
	bad |= es_add_new_fd(&al, w);
	if (!bad && fds_used() >= SOFT_FDS)
		return;

	ptr = place(w, &req, sizeof(req));
	ret = ioctl(fd, ZCAP_IOC_BUF_EXPORT, ptr);
	if (!check_result("ZCAP_IOC_BUF_EXPORT", ret, errno, &al, !bad) &&
	    ret < 0)
		return;
	if (ret < 0) {
		check_no_fd_leak("ZCAP_IOC_BUF_EXPORT");
		return;
	}
	if (mode < 0) {
		violation("ZCAP_IOC_BUF_EXPORT took flags %#x", req.flags);
		mode = MODE_RW;
	}
	if (where_unreadable(w))
		return;
	memcpy(&out, ptr, sizeof(out));
	cur->ret = out.fd;
	fdfl = fcntl(out.fd, F_GETFD);
	fl = fcntl(out.fd, F_GETFL);
	if (fdfl < 0 || fl < 0 || fstat(out.fd, &st)) {
		violation("exported fd %d is not open", out.fd);
		return;
	}
	if (out.size != p->size)
		violation("export size %" PRIu64 ", buffer size %" PRIu64,
			  (uint64_t)out.size, p->size);
	if (out.index != req.index || out.flags != req.flags)
		violation("export changed index/flags");
	if (out.sg_entries < 1 || out.sg_entries > p->size / page_size ||
	    ((p->flags & ZCAP_POOL_CONTIGUOUS) && out.sg_entries != 1) ||
	    (p->info_known && out.sg_entries > p->max_sg) ||
	    (p->bufs[req.index].sg && out.sg_entries != p->bufs[req.index].sg))
		violation("export sg_entries %u impossible or changed",
			  out.sg_entries);
	p->bufs[req.index].sg = out.sg_entries;
	if (!!(fdfl & FD_CLOEXEC) != !!(req.flags & O_CLOEXEC))
		violation("dma-buf close-on-exec %d, flags %#x",
			  !!(fdfl & FD_CLOEXEC), req.flags);
	if ((fl & O_ACCMODE) != accmode)
		violation("dma-buf access mode %#x, asked %#x",
			  fl & O_ACCMODE, accmode);

	db = p->bufs[req.index].db[mode];
	if (db && db->cached) {
		/* ABI: a repeated export returns the same dma-buf. */
		if (st.st_ino != db->ino)
			violation("repeat export of buffer %u mode %d: inode "
				  "%lu, first export gave %lu", req.index,
				  mode, (unsigned long)st.st_ino,
				  (unsigned long)db->ino);
	} else {
		if (db)
			violation("model: uncached live dma-buf while the pool"
				  " file is open");
		for (int i = 0; i < MAX_POOLS; i++) {
			if (!pools[i].used)
				continue;
			for (uint32_t b = 0; b < pools[i].count; b++)
				for (int m = 0; m < MODES; m++)
					if (pools[i].bufs[b].db[m] &&
					    pools[i].bufs[b].db[m]->ino ==
					    st.st_ino)
						violation("new dma-buf shares"
							  " inode %lu with a "
							  "live one",
							  (unsigned long)
							  st.st_ino);
		}
		db = calloc(1, sizeof(*db));
		if (!db) {
			perror("calloc");
			exit(2);
		}
		db->pool = p;
		db->index = req.index;
		db->mode = mode;
		db->cached = true;
		db->ino = st.st_ino;
		p->bufs[req.index].db[mode] = db;
		exp_dmabufs_exported++;
		if (in_child && p->id < CHILD_POOL_IDS &&
		    cnt->ncexp < MAX_CHILD_EXPORTS)
			cnt->cexp[cnt->ncexp++] = (struct child_export){
				p->id, req.index, mode, st.st_ino };
	}
	fd_add(out.fd, FD_DBUF, db, req.flags & O_CLOEXEC, accmode);
}

static void op_wrongfd(void)
{
	static const unsigned long dev_cmds[] = {
		ZCAP_IOC_POOL_INFO, ZCAP_IOC_BUF_EXPORT, DMA_BUF_IOCTL_SYNC,
	};
	static const unsigned long pool_cmds[] = {
		ZCAP_IOC_VERSION, ZCAP_IOC_POOL_CREATE, DMA_BUF_IOCTL_SYNC,
	};
	static const unsigned long dbuf_cmds[] = {
		ZCAP_IOC_VERSION, ZCAP_IOC_POOL_CREATE, ZCAP_IOC_POOL_INFO,
		ZCAP_IOC_BUF_EXPORT,
	};
	struct eset al = { 0 };
	unsigned long cmd;
	int fd = pick_fd(FD_NONE), ret;
	void *p;

	cur->fd = fd;
	if (fd < 0)
		return;
	switch (fds[fd].kind) {
	case FD_DEV:
		cmd = dev_cmds[rn(3)];
		break;
	case FD_POOL:
		cmd = pool_cmds[rn(3)];
		break;
	default:
		cmd = dbuf_cmds[rn(4)];
		break;
	}
	cur->a = cmd;
	/* A valid, zeroed argument: only the fd kind is wrong. */
	p = arena + page_size - 256;
	memset(p, 0, 256);
	es_add(&al, ENOTTY);
	ret = ioctl(fd, cmd, p);
	/* A success is reported; what it created shows in the gauges. */
	check_result("ioctl on the wrong kind of fd", ret, errno, &al, false);
}

/* ioctl types the VFS or the dma-buf core answer before any driver. */
static bool generic_type(unsigned int type)
{
	return type == 0 || type == 'T' || type == 'X' || type == 'f' ||
	       type == 0x94 || type == 0x15 || type == DMA_BUF_BASE;
}

static void op_randioctl(void)
{
	struct eset al = { 0 };
	unsigned long cmd;
	int fd = pick_fd(FD_NONE), ret;

	cur->fd = fd;
	if (fd < 0)
		return;
	do {
		if (chance(600))
			cmd = _IOC(rn(4), ZCAP_IOC_MAGIC, rn(chance(800) ? 8 : 256),
				   chance(500) ? rn(128) : rn(1 << 14));
		else
			cmd = (uint32_t)rnd();
	} while (cmd == ZCAP_IOC_VERSION || cmd == ZCAP_IOC_POOL_CREATE ||
		 cmd == ZCAP_IOC_POOL_INFO || cmd == ZCAP_IOC_BUF_EXPORT ||
		 generic_type(_IOC_TYPE(cmd)));
	cur->a = cmd;
	memset(arena, 0, page_size);
	es_add(&al, ENOTTY);
	ret = ioctl(fd, cmd, arena);
	check_result("unknown ioctl", ret, errno, &al, false);
}

static void op_sync(void)
{
	static const uint64_t valid[] = {
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW,
	};
	int fd = pick_fd(FD_DBUF), ret;
	enum where w = chance(970) ? AT_GOOD : AT_NONE;
	struct dma_buf_sync s;
	struct eset al = { 0 };
	void *p;

	cur->fd = fd;
	if (fd < 0)
		return;
	if (chance(750))
		s.flags = valid[rn(6)];
	else if (chance(500))
		s.flags = rn(16);
	else
		s.flags = rnd() >> rn(64);
	cur->a = s.flags;
	cur->b = w;
	if (w != AT_GOOD)
		es_add(&al, EFAULT);
	else if ((s.flags & ~DMA_BUF_SYNC_VALID_FLAGS_MASK) ||
		 !(s.flags & DMA_BUF_SYNC_RW))
		es_add(&al, EINVAL);
	p = place(w, &s, sizeof(s));
	ret = ioctl(fd, DMA_BUF_IOCTL_SYNC, p);
	if (check_result("DMA_BUF_IOCTL_SYNC", ret, errno, &al, false) &&
	    ret == 0)
		exp_cpu_access++;
}

static struct region *region_new(void)
{
	if (nregions >= MAX_REGIONS) {
		fprintf(stderr, "model full: raise MAX_REGIONS\n");
		exit(2);
	}
	return &regions[nregions++];
}

static void op_mmap(void)
{
	int fd, prot, flags, r;
	uint64_t size = 0, off, len;
	bool bad = false, huge = false;
	struct eset al = { 0 };
	struct dbuf *db = NULL;
	void *addr;

	fd = chance(920) ? pick_fd(FD_DBUF) : pick_fd(FD_NONE);
	cur->fd = fd;
	if (fd < 0)
		return;
	if (fds[fd].kind == FD_DBUF) {
		db = fds[fd].obj;
		size = db->pool->size;
	}
	r = rn(100);
	if (r < 65 && size)
		len = (1 + rn(size / page_size)) * page_size;
	else if (r < 70)
		len = 0;
	else if (r < 80)
		len = 1 + rn(3 * page_size);
	else if (r < 92)
		len = size + page_size * rn(3) + (chance(300) ? 1 : 0);
	else
		len = rnd() >> rn(64);
	r = rn(100);
	if (r < 70 && size)
		off = rn(size / page_size) * page_size;
	else if (r < 78)
		off = 0;
	else if (r < 84)
		off = rn(page_size * 4);
	else if (r < 92)
		off = size + page_size * rn(2);
	else
		off = (rnd() >> rn(64)) & ~(uint64_t)(chance(500) ? page_size - 1 : 0);
	r = rn(100);
	prot = r < 55 ? PROT_READ | PROT_WRITE : r < 82 ? PROT_READ :
	       r < 87 ? PROT_NONE : r < 92 ? PROT_WRITE :
	       PROT_READ | PROT_EXEC | (chance(500) ? PROT_WRITE : 0);
	r = rn(100);
	flags = r < 82 ? MAP_SHARED : r < 88 ? MAP_SHARED_VALIDATE :
		r < 96 ? MAP_PRIVATE : 0;
	if (chance(100))
		flags |= MAP_POPULATE;
	if (chance(50))
		flags |= MAP_NORESERVE;
	cur->a = off;
	cur->b = len;
	cur->c = (uint64_t)prot << 32 | (uint32_t)flags;

	/* The mm core, then dma_buf_mmap_internal(), then the exporter. */
	if (len > (1ULL << 46) || off > (1ULL << 46)) {
		huge = true;
		es_add(&al, ENOMEM);
		es_add(&al, EOVERFLOW);
		es_add(&al, EINVAL);
		bad = true;
	}
	if (!len || (off & (page_size - 1)) ||
	    !(flags & (MAP_SHARED | MAP_PRIVATE))) {
		es_add(&al, EINVAL);
		bad = true;
	}
	if ((flags & MAP_TYPE) != MAP_PRIVATE && (prot & PROT_WRITE) &&
	    fds[fd].accmode == O_RDONLY) {
		es_add(&al, EACCES);
		bad = true;
	}
	if (prot & PROT_EXEC)
		es_add(&al, EPERM);
	if (!db) {
		es_add(&al, ENODEV);
		bad = true;
	} else if (!huge) {
		uint64_t plen = (len + page_size - 1) & ~(page_size - 1);

		if (off + plen > size || (flags & MAP_TYPE) == MAP_PRIVATE) {
			es_add(&al, EINVAL);
			bad = true;
		}
	}
	es_add(&al, ENOMEM);
	if (!bad && nregions >= SOFT_REGIONS)
		return;

	addr = mmap(NULL, len, prot, flags, fd, off);
	if (!check_result("mmap", addr == MAP_FAILED ? -1 : 0, errno, &al,
			  !bad) || addr == MAP_FAILED)
		return;
	cur->ret = (long)(uintptr_t)addr;
	if ((uintptr_t)addr & (page_size - 1))
		violation("mmap returned unaligned %p", addr);
	if (!db) {
		munmap(addr, len);
		return;
	}
	{
		struct region *g = region_new();

		*g = (struct region){ (uintptr_t)addr,
				      (len + page_size - 1) & ~(page_size - 1),
				      off, prot, false, 0, db };
		db->vma_refs++;
	}
}

/* A page-aligned sub-range of region r: [*a, *b). */
static void pick_subrange(unsigned int r, uintptr_t *a, uintptr_t *b)
{
	size_t pages = regions[r].len / page_size;
	size_t first, n;

	if (chance(500)) {
		*a = regions[r].addr;
		*b = regions[r].addr + regions[r].len;
		return;
	}
	first = rn(pages);
	n = 1 + rn(pages - first);
	*a = regions[r].addr + first * page_size;
	*b = *a + n * page_size;
}

static void op_munmap(void)
{
	struct eset al = { 0 };
	uintptr_t a, b;
	unsigned int r;
	int ret;

	if (!nregions)
		return;
	r = rn(nregions);
	pick_subrange(r, &a, &b);
	cur->a = a;
	cur->b = b - a;
	ret = munmap((void *)a, b - a);
	if (!check_result("munmap", ret, errno, &al, false))
		return;
	region_drop(region_carve(r, a, b));
}

static void op_mremap(void)
{
	struct eset al = { 0 };
	unsigned int r, how = rn(5);
	uintptr_t a, b;
	size_t old, nlen;
	void *ret, *target = NULL;

	if (!nregions)
		return;
	r = rn(nregions);
	pick_subrange(r, &a, &b);
	old = b - a;
	cur->a = a;
	cur->c = how;
	switch (how) {
	case 0:		/* grow in place: VM_DONTEXPAND says no */
	case 1:		/* grow, may move: still no */
		nlen = old + page_size * (1 + rn(4));
		es_add(&al, EFAULT);
		if (b != regions[r].addr + regions[r].len)
			es_add(&al, ENOMEM);
		cur->b = nlen;
		ret = mremap((void *)a, old, nlen, how ? MREMAP_MAYMOVE : 0);
		check_result("mremap (grow)", ret == MAP_FAILED ? -1 : 0,
			     errno, &al, false);
		if (ret != MAP_FAILED)
			munmap(ret, nlen);
		return;
	case 2:		/* shrink */
		if (old == (size_t)page_size)
			return;
		nlen = page_size * (1 + rn(old / page_size - 1));
		cur->b = nlen;
		ret = mremap((void *)a, old, nlen, 0);
		if (!check_result("mremap (shrink)", ret == MAP_FAILED ? -1 : 0,
				  errno, &al, false) || ret == MAP_FAILED)
			return;
		if ((uintptr_t)ret != a)
			violation("shrinking mremap moved the mapping");
		region_drop(region_carve(r, a + nlen, b));
		return;
	case 3:		/* move to a fixed place */
		target = mmap(NULL, old, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (target == MAP_FAILED)
			return;
		cur->b = (uintptr_t)target;
		ret = mremap((void *)a, old, old,
			     MREMAP_MAYMOVE | MREMAP_FIXED, target);
		if (!check_result("mremap (move)", ret == MAP_FAILED ? -1 : 0,
				  errno, &al, false) || ret == MAP_FAILED) {
			munmap(target, old);
			return;
		}
		if (ret != target)
			violation("mremap moved to %p, not %p", ret, target);
		r = region_carve(r, a, b);
		regions[r].addr = (uintptr_t)ret;
		return;
	default:	/* duplicate (old_len 0) or keep the old one */
		es_add(&al, EINVAL);
		es_add(&al, EFAULT);
		if (chance(500)) {
			cur->b = 0;
			ret = mremap((void *)a, 0, old, MREMAP_MAYMOVE);
		} else {
			cur->b = 1;
			ret = mremap((void *)a, old, old,
				     MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
		}
		check_result("mremap (duplicate)", ret == MAP_FAILED ? -1 : 0,
			     errno, &al, false);
		return;
	}
}

static void op_mprotect(void)
{
	static const int prots[] = {
		PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE,
		PROT_READ | PROT_EXEC,
	};
	struct eset al = { 0 };
	unsigned int r;
	uintptr_t a, b;
	int prot, ret;

	if (!nregions)
		return;
	r = rn(nregions);
	pick_subrange(r, &a, &b);
	prot = prots[rn(5)];
	cur->a = a;
	cur->b = b - a;
	cur->c = prot;
	bool ro_write = (prot & PROT_WRITE) && regions[r].db->mode == MODE_RO;

	if (ro_write)
		es_add(&al, EACCES);
	if (prot & PROT_EXEC)
		es_add(&al, EACCES);
	ret = mprotect((void *)a, b - a, prot);
	if (!check_result("mprotect", ret, errno, &al, !ro_write) || ret)
		return;
	if (regions[r].prot == prot)
		return;		/* no change, no split */
	r = region_carve(r, a, b);
	regions[r].prot = prot;
}

static void op_madvise(void)
{
	struct eset al = { 0 };
	unsigned int r, what = rn(7);
	uintptr_t a, b;
	int adv, ret;

	if (!nregions)
		return;
	r = rn(nregions);
	pick_subrange(r, &a, &b);
	switch (what) {
	case 0:
		adv = MADV_DONTFORK;
		break;
	case 1:
		/* remap_pfn_range() makes the VMA VM_IO: no DOFORK. */
		adv = MADV_DOFORK;
		es_add(&al, EINVAL);
		break;
	case 2:
		adv = MADV_RANDOM;
		break;
	case 3:
		adv = MADV_NORMAL;
		break;
	case 4:
		/* Not on a VM_PFNMAP mapping; the data must survive anyway. */
		adv = MADV_DONTNEED;
		es_add(&al, EINVAL);
		break;
	case 5:
		/* Not in core dumps (ABI), and it may not be turned back on. */
		adv = MADV_DODUMP;
		es_add(&al, EINVAL);
		break;
	default:
		adv = MADV_WIPEONFORK;	/* private anonymous only */
		es_add(&al, EINVAL);
		break;
	}
	cur->a = a;
	cur->b = b - a;
	cur->c = adv;
	ret = madvise((void *)a, b - a, adv);
	if (!check_result("madvise", ret, errno, &al,
			  adv != MADV_DODUMP && adv != MADV_WIPEONFORK &&
			  adv != MADV_DONTNEED) || ret)
		return;
	if (adv == MADV_DONTFORK || adv == MADV_DOFORK) {
		bool df = adv == MADV_DONTFORK;

		if (regions[r].dontfork != df) {
			r = region_carve(r, a, b);
			regions[r].dontfork = df;
		}
	} else if (adv == MADV_RANDOM || adv == MADV_NORMAL) {
		int ra = adv == MADV_RANDOM;

		if (regions[r].readahead != ra) {
			r = region_carve(r, a, b);
			regions[r].readahead = ra;
		}
	}
}

static int pick_region(int need_prot)
{
	unsigned int cand[MAX_REGIONS], n = 0;

	for (unsigned int i = 0; i < nregions; i++)
		if ((regions[i].prot & need_prot) == need_prot)
			cand[n++] = i;
	return n ? (int)cand[rn(n)] : -1;
}

static void op_write(void)
{
	int r = pick_region(PROT_WRITE | PROT_READ);
	struct region *g;
	struct buf *bf;
	uint64_t at, val;
	unsigned int s;

	if (r < 0)
		return;
	g = &regions[r];
	bf = &g->db->pool->bufs[g->db->index];
	at = rn(g->len / 8) * 8;
	val = rnd() | 1;
	cur->a = g->addr + at;
	cur->b = val;
	cur->ret = 0;
	hist(OP_WRITE, 0, 0);
	*(volatile uint64_t *)(g->addr + at) = val;
	bf->virgin = false;
	if (bf->tainted)
		return;
	for (s = 0; s < bf->nst; s++)
		if (bf->st[s].off == g->off + at)
			break;
	if (s == bf->nst) {
		if (bf->nst < NSTAMPS)
			bf->nst++;
		else
			s = rn(NSTAMPS);
	}
	bf->st[s] = (struct stamp){ g->off + at, val };
}

static void op_read(void)
{
	int r = pick_region(PROT_READ);
	struct region *g;
	struct buf *bf;

	if (r < 0)
		return;
	g = &regions[r];
	bf = &g->db->pool->bufs[g->db->index];
	cur->a = g->addr;
	cur->b = g->off;
	cur->ret = 0;
	hist(OP_READ, 0, 0);
	if (bf->tainted) {
		(void)*(volatile uint64_t *)(g->addr + rn(g->len / 8) * 8);
		return;
	}
	cnt->data_checks++;
	for (unsigned int s = 0; s < bf->nst; s++) {
		uint64_t o = bf->st[s].off, got;

		if (o < g->off || o >= g->off + g->len)
			continue;
		got = *(volatile uint64_t *)(g->addr + (o - g->off));
		if (got != bf->st[s].val)
			violation("pool %" PRIu64 " buffer %u offset %#" PRIx64
				  ": read %#" PRIx64 " through %s mapping %#lx,"
				  " wrote %#" PRIx64, g->db->pool->id,
				  g->db->index, o, got,
				  g->db->mode == MODE_RO ? "read-only" : "read-write",
				  (unsigned long)g->addr, bf->st[s].val);
	}
	if (bf->virgin) {
		for (int i = 0; i < 4; i++) {
			uint64_t at = rn(g->len / 8) * 8;
			uint64_t got = *(volatile uint64_t *)(g->addr + at);

			if (got)
				violation("fresh buffer not zeroed: pool %"
					  PRIu64 " buffer %u offset %#" PRIx64
					  " reads %#" PRIx64, g->db->pool->id,
					  g->db->index, g->off + at, got);
		}
	}
}

static void op_fileio(void)
{
	int fd = pick_fd(FD_NONE), how = rn(5);
	struct eset al = { 0 };
	char b[64];
	long ret;

	cur->fd = fd;
	cur->a = how;
	if (fd < 0)
		return;
	switch (how) {
	case 0:
		es_add(&al, EINVAL);
		ret = read(fd, b, sizeof(b));
		check_result("read", ret, errno, &al, false);
		break;
	case 1:
		es_add(&al, EINVAL);
		if (fds[fd].accmode == O_RDONLY)
			es_add(&al, EBADF);
		ret = write(fd, b, sizeof(b));
		check_result("write", ret, errno, &al, false);
		break;
	case 2: {
		struct pollfd pfd = { fd, POLLIN | POLLOUT, 0 };

		ret = poll(&pfd, 1, 0);
		check_result("poll", ret, errno, &al, false);
		if (ret > 0 && (pfd.revents & (POLLNVAL | POLLERR)))
			violation("poll on an open fd: revents %#x",
				  pfd.revents);
		break;
	}
	case 3:
		if (fds[fd].kind != FD_DBUF)
			return;
		/* The dma-buf core reports the size through SEEK_END. */
		ret = lseek(fd, 0, SEEK_END);
		if (check_result("lseek SEEK_END", ret, errno, &al, false) &&
		    (uint64_t)ret != ((struct dbuf *)fds[fd].obj)->pool->size)
			violation("dma-buf SEEK_END %ld, buffer size %" PRIu64,
				  ret, ((struct dbuf *)fds[fd].obj)->pool->size);
		break;
	default:
		ret = fcntl(fd, F_GETFL);
		if (check_result("F_GETFL", ret, errno, &al, false) &&
		    (ret & O_ACCMODE) != fds[fd].accmode)
			violation("fd %d access mode %#lx, model %#x", fd,
				  ret & O_ACCMODE, fds[fd].accmode);
		break;
	}
}

/*
 * Fill the fd table, then check that each fd-creating call fails with
 * EMFILE and leaks nothing.
 */
static void op_exhaust(void)
{
	struct eset emfile = { 0 };
	int fd, opened = 0;

	es_add(&emfile, EMFILE);
	while (lowest_free_fd() >= 0) {
		fd = open(DEV_PATH, O_RDWR);
		if (fd < 0)
			break;
		fd_add(fd, FD_DEV, NULL, false, O_RDWR);
		opened++;
	}
	cur->a = opened;
	cur->ret = 0;
	hist(OP_EXHAUST, 0, 0);
	fd = open(DEV_PATH, O_RDWR);
	if (fd >= 0) {
		violation("open succeeded past RLIMIT_NOFILE");
		fd_add(fd, FD_DEV, NULL, false, O_RDWR);
	}
	/* The ordinary operations now meet a full table. */
	for (int i = 0; i < 12; i++) {
		cur->op = i % 2 ? OP_CREATE : OP_EXPORT;
		if (i % 2)
			op_create();
		else
			op_export();
		cur->op = OP_EXHAUST;
	}
	if (exact())
		check_gauges("fd table full");
	/* Give most of them back. */
	for (int i = 0; i < opened * 9 / 10; i++) {
		fd = pick_fd(FD_DEV);
		if (fd < 0)
			break;
		close(fd);
		fd_forget(fd);
	}
	(void)emfile;
}

/* ---- vgem: a real importer ---- */

static struct dbuf *pick_imported(void)
{
	struct dbuf *cand[64];
	unsigned int n = 0;

	for (int i = 0; i < MAX_POOLS; i++) {
		if (!pools[i].used)
			continue;
		for (uint32_t b = 0; b < pools[i].count; b++)
			for (int m = 0; m < MODES; m++) {
				struct dbuf *db = pools[i].bufs[b].db[m];

				if (db && db->gem) {
					if (n < 64)
						cand[n++] = db;
					else
						cand[rn(64)] = db;
				}
			}
	}
	return n ? cand[rn(n)] : NULL;
}

/*
 * PRIME import: vgem attaches and maps the dma-buf and holds a reference.
 * A second import of the same dma-buf on the same DRM file finds the same
 * GEM object, so the same handle and no new attachment.
 */
static void op_import(void)
{
	struct drm_prime_handle h = { 0 };
	struct eset al = { 0 };
	int fd = pick_fd(FD_DBUF), ret;
	struct dbuf *db;

	/* GEM handles belong to the DRM file, which a child shares. */
	if (vgem_fd < 0 || in_child || fd < 0)
		return;
	db = fds[fd].obj;
	cur->fd = fd;
	h.fd = fd;
	es_add(&al, ENOMEM);
	/*
	 * DRM maps every import DMA_BIDIRECTIONAL, which a read-only dma-buf
	 * refuses: one map call, nothing attached or mapped after.
	 */
	if (db->mode == MODE_RO && !db->gem) {
		es_add(&al, EACCES);
		ret = ioctl(vgem_fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &h);
		if (check_result("DRM_IOCTL_PRIME_FD_TO_HANDLE", ret, errno,
				 &al, false) && errno == EACCES)
			exp_map_calls++;
		return;
	}
	ret = ioctl(vgem_fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &h);
	if (!check_result("DRM_IOCTL_PRIME_FD_TO_HANDLE", ret, errno, &al,
			  true) || ret)
		return;
	cur->a = h.handle;
	if (db->gem) {
		if (h.handle != db->gem)
			violation("second import of a dma-buf gave handle %u, "
				  "the first gave %u", h.handle, db->gem);
		return;
	}
	for (int i = 0; i < MAX_POOLS; i++)
		for (uint32_t b = 0; pools[i].used && b < pools[i].count; b++)
			for (int m = 0; m < MODES; m++)
				if (pools[i].bufs[b].db[m] &&
				    pools[i].bufs[b].db[m]->gem == h.handle)
					violation("vgem handle %u for two dma-bufs",
						  h.handle);
	db->gem = h.handle;
	exp_map_calls++;
}

/* Ask vgem for its dma-buf back: the same dma-buf, in its access mode. */
static void op_reexport(void)
{
	struct drm_prime_handle h = { 0 };
	struct dbuf *db = vgem_fd < 0 || in_child ? NULL : pick_imported();
	struct eset al = { 0 };
	struct stat st;
	int ret, fl;

	if (!db)
		return;
	h.handle = db->gem;
	h.flags = DRM_CLOEXEC | (chance(500) ? DRM_RDWR : 0);
	cur->a = db->gem;
	cur->b = h.flags;
	if (lowest_free_fd() < 0)
		es_add(&al, EMFILE);
	ret = ioctl(vgem_fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &h);
	if (!check_result("DRM_IOCTL_PRIME_HANDLE_TO_FD", ret, errno, &al,
			  false) || ret)
		return;
	cur->ret = h.fd;
	fl = fcntl(h.fd, F_GETFL);
	if (fl < 0 || fstat(h.fd, &st)) {
		violation("fd %d from vgem is not open", h.fd);
		return;
	}
	if (st.st_ino != db->ino)
		violation("vgem handed back inode %lu for a dma-buf of inode %lu",
			  (unsigned long)st.st_ino, (unsigned long)db->ino);
	if ((fl & O_ACCMODE) != (db->mode == MODE_RO ? O_RDONLY : O_RDWR))
		violation("dma-buf from vgem has access mode %#x, mode %d",
			  fl & O_ACCMODE, db->mode);
	fd_add(h.fd, FD_DBUF, db, true,
	       db->mode == MODE_RO ? O_RDONLY : O_RDWR);
}

/* vgem lets go: unmap and detach; the dma-buf may die with it. */
static void op_gemclose(void)
{
	struct dbuf *db = vgem_fd < 0 || in_child ? NULL : pick_imported();
	struct drm_gem_close gc = { 0 };
	struct eset al = { 0 };
	int ret;

	if (!db)
		return;
	gc.handle = db->gem;
	cur->a = db->gem;
	ret = ioctl(vgem_fd, DRM_IOCTL_GEM_CLOSE, &gc);
	if (!check_result("DRM_IOCTL_GEM_CLOSE", ret, errno, &al, false) ||
	    ret)
		return;
	db->gem = 0;
	exp_unmap_calls++;
	db_maybe_die(db);
}

static void reap_children(bool block)
{
	int status;
	pid_t pid;

	if (!children_alive)
		return;
	pid = waitpid(child_pid, &status, block ? 0 : WNOHANG);
	if (pid <= 0)
		return;
	children_alive = 0;
	for (unsigned int i = 0; i < cnt->ncexp; i++) {
		const struct child_export *ce = &cnt->cexp[i];
		struct pool *p = NULL;
		struct dbuf *db;

		for (int k = 0; k < MAX_POOLS; k++)
			if (pools[k].used && pools[k].id == ce->pool_id)
				p = &pools[k];
		/* Without the pool file the cache went with the child. */
		if (!p || !p->file_refs)
			continue;
		db = p->bufs[ce->index].db[ce->mode];
		if (db) {
			if (db->ino != ce->ino)
				violation("parent and child got different "
					  "dma-bufs for buffer %u mode %d",
					  ce->index, ce->mode);
			continue;
		}
		db = calloc(1, sizeof(*db));
		if (!db) {
			perror("calloc");
			exit(2);
		}
		*db = (struct dbuf){ .pool = p, .index = ce->index,
				     .mode = ce->mode, .cached = true,
				     .ino = ce->ino };
		p->bufs[ce->index].db[ce->mode] = db;
	}
	cnt->ncexp = 0;
	if (WIFSIGNALED(status))
		violation("child %d died of signal %d (%s)", (int)pid,
			  WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) == 1)
		violation("child %d found violations (see above)", (int)pid);
	else if (WEXITSTATUS(status))
		violation("child %d exited with status %d", (int)pid,
			  WEXITSTATUS(status));
	/* The child's writes landed in shared buffers: reading is all. */
	if (exact())
		check_gauges("after a child exited");
}

static void run_ops(uint64_t max_ops, double deadline);

static uint64_t child_ops_max = 120;

static void op_fork(void)
{
	pid_t pid;

	if (in_child || children_alive)
		return;
	taint_all();
	counters_unknown = true;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		cur->ret = -1;
		cur->err = errno;
		return;
	}
	if (pid == 0) {
		uint64_t seed = rnd();

		in_child = true;
		violations = 0;
		next_pool_id = CHILD_POOL_IDS;
		rnd_seed(seed);
		/* MADV_DONTFORK mappings did not come along. */
		for (unsigned int i = 0; i < nregions;) {
			if (regions[i].dontfork)
				region_drop(i);
			else
				i++;
		}
		run_ops(child_ops_max, 0);
		fflush(NULL);
		_exit(violations ? 1 : 0);
	}
	cnt->forks++;
	cur->ret = pid;
	child_pid = pid;
	children_alive = 1;
	if (chance(500))
		reap_children(true);
}

/*
 * --selfcheck: the model's own references agree with its fd table and
 * regions after every operation (for debugging the fuzzer itself).
 */
static bool selfcheck;

static void model_selfcheck(void)
{
	for (int i = 0; i < MAX_POOLS; i++) {
		struct pool *p = &pools[i];
		unsigned int refs = 0;

		if (!p->used)
			continue;
		for (int fd = 0; fd < FD_TABLE; fd++)
			refs += fds[fd].kind == FD_POOL && fds[fd].obj == p;
		if (refs != p->file_refs)
			violation("model: pool %" PRIu64 " has %u fds, counts %u",
				  p->id, refs, p->file_refs);
		for (uint32_t b = 0; b < p->count; b++) {
			for (int m = 0; m < MODES; m++) {
				struct dbuf *db = p->bufs[b].db[m];
				unsigned int f = 0, v = 0;

				if (!db)
					continue;
				for (int fd = 0; fd < FD_TABLE; fd++)
					f += fds[fd].kind == FD_DBUF &&
					     fds[fd].obj == db;
				for (unsigned int r = 0; r < nregions; r++)
					v += regions[r].db == db;
				if (f != db->fd_refs || v != db->vma_refs ||
				    db->pool != p || db->index != b)
					violation("model: dma-buf refs %u/%u, "
						  "counts %u/%u", f, v,
						  db->fd_refs, db->vma_refs);
			}
		}
	}
	for (int fd = 0; fd < FD_TABLE; fd++) {
		if (fds[fd].kind == FD_POOL &&
		    !((struct pool *)fds[fd].obj)->used)
			violation("model: fd %d names a dead pool", fd);
		if (fds[fd].kind == FD_DBUF &&
		    !((struct dbuf *)fds[fd].obj)->pool->used)
			violation("model: fd %d names a dma-buf of a dead pool",
				  fd);
	}
}

static enum op pick_op(void)
{
	static unsigned int total;
	unsigned int x;
	int i;

	if (!total)
		for (i = 0; i < OP_COUNT; i++)
			total += op_weight[i];
	/* Keep the fd table from filling up on its own. */
	if (fds_used() >= SOFT_FDS && chance(500))
		return OP_CLOSE;
	if (nregions >= SOFT_REGIONS && chance(500))
		return OP_MUNMAP;
	x = rn(total);
	for (i = 0; i < OP_COUNT; i++) {
		if (x < op_weight[i])
			return i;
		x -= op_weight[i];
	}
	return OP_GAUGES;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run_ops(uint64_t max_ops, double deadline)
{
	uint64_t *done = in_child ? &cnt->child_ops : &cnt->ops;
	uint64_t start = *done;

	/* Bounded in picks too, should most picks find nothing to do. */
	for (uint64_t i = 0; *done - start < max_ops && i < 50 * max_ops; i++) {
		double t0;
		enum op op;

		if (violations >= MAX_VIOLATIONS)
			break;
		if (!(i & 63)) {
			if (deadline && now() > deadline)
				break;
			reap_children(false);
		}
		op = pick_op();
		t0 = now();
		cur = &ring[ring_n % RING];
		*cur = (struct oprec){ .n = ring_n, .op = op, .fd = -1 };
		ring_n++;
		switch (op) {
		case OP_OPEN: op_open(); break;
		case OP_CLOSE: op_close(); break;
		case OP_DUP: op_dup(); break;
		case OP_VERSION: op_version(); break;
		case OP_CREATE: op_create(); break;
		case OP_INFO: op_info(); break;
		case OP_EXPORT: op_export(); break;
		case OP_WRONGFD: op_wrongfd(); break;
		case OP_RANDIOCTL: op_randioctl(); break;
		case OP_SYNC: op_sync(); break;
		case OP_MMAP: op_mmap(); break;
		case OP_MUNMAP: op_munmap(); break;
		case OP_MREMAP: op_mremap(); break;
		case OP_MPROTECT: op_mprotect(); break;
		case OP_MADVISE: op_madvise(); break;
		case OP_WRITE: op_write(); break;
		case OP_READ: op_read(); break;
		case OP_FILEIO: op_fileio(); break;
		case OP_EXHAUST: op_exhaust(); break;
		case OP_FORK: op_fork(); break;
		case OP_IMPORT: op_import(); break;
		case OP_REEXPORT: op_reexport(); break;
		case OP_GEMCLOSE: op_gemclose(); break;
		default:
			hist(OP_GAUGES, 0, 0);
			check_gauges("periodic check");
			break;
		}
		cnt->op_time[op] += now() - t0;
		if (selfcheck)
			model_selfcheck();
	}
}

/* Close and unmap everything, the way a random order would. */
static void teardown(void)
{
	cur->op = OP_GEMCLOSE;
	for (int i = 0; i < 100000 && pick_imported(); i++)
		op_gemclose();
	cur->op = OP_GAUGES;
	while (nregions) {
		unsigned int r = rn(nregions);

		if (munmap((void *)regions[r].addr, regions[r].len))
			violation("final munmap: %s", strerror(errno));
		region_drop(r);
	}
	for (int fd; (fd = pick_fd(FD_NONE)) >= 0;) {
		close(fd);
		fd_forget(fd);
	}
}

/* Which documented outcomes a run is expected to reach. */
static const struct {
	enum op op;
	int err;
} coverage[] = {
	{ OP_VERSION, 0 }, { OP_VERSION, EFAULT },
	{ OP_CREATE, 0 }, { OP_CREATE, EINVAL }, { OP_CREATE, EOVERFLOW },
	{ OP_CREATE, E2BIG }, { OP_CREATE, EFBIG }, { OP_CREATE, EDQUOT },
	{ OP_CREATE, EFAULT }, { OP_CREATE, EMFILE },
	{ OP_INFO, 0 }, { OP_INFO, EFAULT },
	{ OP_EXPORT, 0 }, { OP_EXPORT, EINVAL }, { OP_EXPORT, EFAULT },
	{ OP_EXPORT, EMFILE },
	{ OP_WRONGFD, ENOTTY }, { OP_RANDIOCTL, ENOTTY },
	{ OP_SYNC, 0 }, { OP_SYNC, EINVAL },
	{ OP_MMAP, 0 }, { OP_MMAP, EINVAL }, { OP_MMAP, EACCES },
	{ OP_MMAP, ENODEV },
	{ OP_MUNMAP, 0 }, { OP_MREMAP, 0 }, { OP_MREMAP, EFAULT },
	{ OP_MPROTECT, 0 }, { OP_MPROTECT, EACCES },
	{ OP_WRITE, 0 }, { OP_READ, 0 },
	{ OP_IMPORT, 0 }, { OP_REEXPORT, 0 }, { OP_GEMCLOSE, 0 },
};

static int report(double elapsed)
{
	int missing = 0;

	printf("# zcap-fuzz: %" PRIu64 " operations (%" PRIu64
	       " in %" PRIu64 " forked children) in %.1f s, %.0f ops/s; %"
	       PRIu64 " data checks, %" PRIu64 " gauge checks\n",
	       cnt->ops + cnt->child_ops, cnt->child_ops, cnt->forks, elapsed,
	       (cnt->ops + cnt->child_ops) / (elapsed > 0 ? elapsed : 1),
	       cnt->data_checks, cnt->gauge_checks);
	for (int op = 0; op < OP_COUNT; op++) {
		char line[1024];
		size_t n = 0;

		for (int e = 0; e < ERRSLOTS; e++) {
			if (!errhist[op][e])
				continue;
			n += snprintf(line + n, sizeof(line) - n, " %s=%" PRIu64,
				      e ? (strerrorname_np(e) ? strerrorname_np(e) : "?") : "ok",
				      errhist[op][e]);
			if (n >= sizeof(line))
				break;
		}
		if (n)
			printf("#   %-15s%6.1f s %s\n", op_names[op],
			       cnt->op_time[op], line);
	}
	for (size_t i = 0; i < sizeof(coverage) / sizeof(coverage[0]); i++) {
		if (errhist[coverage[i].op][coverage[i].err])
			continue;
		if (vgem_fd < 0 && (coverage[i].op == OP_IMPORT ||
				    coverage[i].op == OP_REEXPORT ||
				    coverage[i].op == OP_GEMCLOSE))
			continue;
		printf("# not reached: %s %s\n", op_names[coverage[i].op],
		       coverage[i].err ? strerrorname_np(coverage[i].err) : "ok");
		missing++;
	}
	return missing;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--seed N] [--ops N] [--time SECONDS] [--child-ops N]\n"
		"          [--trace] [--selfcheck] [--no-vgem] [--require-coverage]\n"
		"Fuzzes /dev/zcap, pool fds and dma-buf fds against a model of\n"
		"Documentation/abi.md. Needs root, zcap.ko loaded, debugfs\n"
		"mounted and nothing else using zcap; imports into vgem when\n"
		"it is loaded. A run is reproducible\n"
		"with the seed it prints (same --ops, no --time cut).\n",
		argv0);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "time", required_argument, NULL, 't' },
		{ "child-ops", required_argument, NULL, 'c' },
		{ "trace", no_argument, NULL, 'T' },
		{ "no-vgem", no_argument, NULL, 'V' },
		{ "selfcheck", no_argument, NULL, 'S' },
		{ "require-coverage", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seed = 0, max_ops = 100000;
	double time_limit = 0, start, elapsed;
	bool seeded = false, require_cov = false, use_vgem = true;
	struct rlimit rl = { FD_LIMIT, FD_LIMIT };
	int64_t v[G_COUNT];
	int opt, ret, missing;

	while ((opt = getopt_long(argc, argv, "s:n:t:c:TSVRh", lopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 'n':
			max_ops = strtoull(optarg, NULL, 0);
			break;
		case 't':
			time_limit = strtod(optarg, NULL);
			break;
		case 'c':
			child_ops_max = strtoull(optarg, NULL, 0);
			break;
		case 'T':
			trace = true;
			break;
		case 'S':
			selfcheck = true;
			break;
		case 'V':
			use_vgem = false;
			break;
		case 'R':
			require_cov = true;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000007ULL ^ ts.tv_nsec ^
		       (uint64_t)getpid() << 32;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	printf("# zcap-fuzz: seed %#" PRIx64 " ops %" PRIu64 " time %.0f s"
	       " (replay: --seed %#" PRIx64 " --ops %" PRIu64 ")\n", seed,
	       max_ops, time_limit, seed, max_ops);
	rnd_seed(seed);

	/* Shared with children: counters and the errno histogram. */
	cnt = mmap(NULL, sizeof(*cnt) + sizeof(uint64_t) * OP_COUNT * ERRSLOTS,
		   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	arena = mmap(NULL, 3 * page_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (cnt == MAP_FAILED || arena == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	errhist = (void *)(cnt + 1);
	if (mprotect(arena + page_size, page_size, PROT_READ) ||
	    mprotect(arena + 2 * page_size, page_size, PROT_NONE)) {
		perror("mprotect");
		return 2;
	}

	/* Whatever is open now is not ours to touch. */
	for (int fd = 0; fd < FD_TABLE; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			fds[fd].kind = FD_RESERVED, nfds_used++;
	stats_fd = open(STATS_PATH, O_RDONLY | O_CLOEXEC);
	dev_probe_fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (stats_fd < 0 || dev_probe_fd < 0) {
		fprintf(stderr, "zcap-fuzz: cannot open %s or %s: %s\n",
			STATS_PATH, DEV_PATH, strerror(errno));
		return 2;
	}
	fds[stats_fd].kind = FD_RESERVED;
	fds[dev_probe_fd].kind = FD_RESERVED;
	nfds_used += 2;
	if (use_vgem) {
		vgem_fd = open_vgem();
		if (vgem_fd >= 0) {
			fds[vgem_fd].kind = FD_RESERVED;
			nfds_used++;
		}
	}
	printf("# importer: %s\n", vgem_fd >= 0 ?
	       "vgem (PRIME import, re-export, GEM close)" :
	       "none (vgem not loaded, or --no-vgem)");
	if (ioctl(dev_probe_fd, ZCAP_IOC_VERSION, &ver)) {
		perror("ZCAP_IOC_VERSION");
		return 2;
	}
	printf("# module: abi %u, pool flags %#x, max_pool_bytes %llu, "
	       "max_total_bytes %llu, max_contig_bytes %llu, page %u\n",
	       ver.abi_version, ver.pool_flags,
	       (unsigned long long)ver.max_pool_bytes,
	       (unsigned long long)ver.max_total_bytes,
	       (unsigned long long)ver.max_contig_bytes, ver.page_size);
	if (ver.abi_version != ZCAP_ABI_VERSION ||
	    ver.pool_flags != ZCAP_POOL_FLAGS_ALL ||
	    ver.max_buffers != ZCAP_MAX_BUFFERS ||
	    ver.page_size != (uint32_t)page_size || ver.reserved[0] ||
	    ver.reserved[1] || ver.reserved[2] || ver.reserved[3] ||
	    !ver.max_contig_bytes || ver.max_contig_bytes % page_size) {
		cur = &ring[0];
		violation("ZCAP_IOC_VERSION reply does not match the header");
	}
	if (read_stats(v)) {
		fprintf(stderr, "zcap-fuzz: %s unreadable\n", STATS_PATH);
		return 2;
	}
	for (int i = 0; i < C_POOLS_CREATED; i++) {
		if (v[i]) {
			fprintf(stderr, "zcap-fuzz: debugfs %s is %" PRId64
				" before the run: zcap is in use\n",
				gauge_names[i], v[i]);
			return 2;
		}
	}
	memcpy(last_stats, v, sizeof(v));
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		perror("setrlimit");
		return 2;
	}

	start = now();
	run_ops(max_ops, time_limit ? start + time_limit : 0);
	cur = &ring[ring_n % RING];
	*cur = (struct oprec){ .n = ring_n, .op = OP_GAUGES, .fd = -1 };
	reap_children(true);
	teardown();
	check_gauges("after closing everything");
	ret = read_stats(v);
	for (int i = 0; !ret && i < C_POOLS_CREATED; i++)
		if (v[i])
			violation("debugfs %s is %" PRId64 " after every fd and"
				  " mapping is gone", gauge_names[i], v[i]);
	elapsed = now() - start;
	missing = report(elapsed);
	if (require_cov && missing)
		printf("# coverage: %d documented outcomes never reached\n",
		       missing);
	printf("# zcap-fuzz: seed %#" PRIx64 ": %d violation%s\n", seed,
	       violations, violations == 1 ? "" : "s");
	if (violations)
		return 1;
	return require_cov && missing ? 1 : 0;
}
