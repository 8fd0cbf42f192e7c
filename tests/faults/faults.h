/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of zcap-faults share: reporting, zcap's debugfs
 * statistics, the device, and small file helpers.
 */
#ifndef ZCAP_FAULTS_H
#define ZCAP_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#define STATS_PATH	"/sys/kernel/debug/zcap/stats"
#define DEV_PATH	"/dev/zcap"
#define CGROUP_ROOT	"/sys/fs/cgroup"

extern long page_size;
/* Failed checks so far; a command's exit status is 1 when non-zero. */
extern int failures;

void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Record a check: "verified: ..." when it held, "FAIL: ..." when not. */
bool check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double now(void);
void sleep_ms(unsigned int ms);

enum {
	S_POOLS, S_BUFFERS, S_BYTES, S_DMABUFS, S_ATTACH, S_MAPPINGS, S_VMAPS,
	S_MMAPS, S_POOLS_CREATED, S_DMABUFS_EXPORTED, S_MAP_CALLS,
	S_UNMAP_CALLS, S_VMAP_CALLS, S_CPU_ACCESS, S_COUNT
};
#define S_GAUGES S_POOLS_CREATED

struct stats {
	int64_t v[S_COUNT];
};

/* The statistics now; exits when they cannot be read. */
struct stats stats_now(void);
/* Wait up to ms for every gauge to reach zero; check and report. */
bool expect_gauges_zero(unsigned int ms, const char *when);
/* Gauges equal to a snapshot: nothing was kept. */
bool expect_gauges_same(const struct stats *before, const char *when);

int zc_open(void);
/* Returns a pool fd or -errno. */
int zc_create(int dev, uint64_t size, uint32_t count, uint32_t flags);
/* Returns a dma-buf fd or -errno. */
int zc_export(int pool, uint32_t index, uint32_t flags);

/* 0 or -errno. */
int write_file(const char *path, const char *val);
/* The number in a file, or after "KEY " on one of its lines; -1 if none. */
long long read_ll(const char *path, const char *key);

/* limits.c */
int cmd_cgroup_scan(int argc, char **argv);
int cmd_killcreate(int argc, char **argv);

/* failnth.c */
int cmd_failsweep(int argc, char **argv);

#endif /* ZCAP_FAULTS_H */
