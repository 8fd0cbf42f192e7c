// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/zcap/stats: one "name value" line per statistic, so
 * tests can prove that nothing leaked once every fd is closed.
 *
 * Gauges (back to 0 when nothing is left):
 *   pools        pool structs alive (a pool lives on after its fd while a
 *                dma-buf of one of its buffers does)
 *   buffers      buffers whose pages are allocated
 *   bytes        bytes of those buffers (what max_total_bytes caps)
 *   dmabufs      dma-bufs alive
 *   attachments  importer attachments
 *   mappings     attachments currently mapped for DMA
 *   vmaps        kernel mappings handed out by dma_buf_ops.vmap
 *   mmaps        user VMAs mapping a dma-buf (fork and split included)
 * Counters (only grow):
 *   pools_created     successful ZCAP_IOC_POOL_CREATE
 *   dmabufs_exported  dma-bufs created (a repeated export in the same
 *                     access mode returns the cached dma-buf, not a new one)
 *   map_calls, unmap_calls, vmap_calls
 *   cpu_access_calls  begin_cpu_access and end_cpu_access calls
 */

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>

#include "zcap.h"

struct zcap_stats zcap_stats;

static struct dentry *zcap_debugfs_dir;

#define ZCAP_STAT(name) { #name, &zcap_stats.name }

static const struct {
	const char *name;
	atomic64_t *value;
} zcap_stat_table[] = {
	ZCAP_STAT(pools),
	ZCAP_STAT(buffers),
	ZCAP_STAT(bytes),
	ZCAP_STAT(dmabufs),
	ZCAP_STAT(attachments),
	ZCAP_STAT(mappings),
	ZCAP_STAT(vmaps),
	ZCAP_STAT(mmaps),
	ZCAP_STAT(pools_created),
	ZCAP_STAT(dmabufs_exported),
	ZCAP_STAT(map_calls),
	ZCAP_STAT(unmap_calls),
	ZCAP_STAT(vmap_calls),
	ZCAP_STAT(cpu_access_calls),
};

static int zcap_stats_show(struct seq_file *m, void *unused)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(zcap_stat_table); i++)
		seq_printf(m, "%s %lld\n", zcap_stat_table[i].name,
			   (long long)atomic64_read(zcap_stat_table[i].value));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zcap_stats);

/* debugfs is a debugging aid: failing to create it must not fail the load. */
void zcap_debugfs_init(void)
{
	zcap_debugfs_dir = debugfs_create_dir("zcap", NULL);
	debugfs_create_file("stats", 0444, zcap_debugfs_dir, NULL,
			    &zcap_stats_fops);
}

void zcap_debugfs_exit(void)
{
	debugfs_remove_recursive(zcap_debugfs_dir);
	zcap_debugfs_dir = NULL;
}
