/* SPDX-License-Identifier: GPL-2.0 */
/* zcap.ko's debugfs statistics, for the test programs the VM suites run. */
#ifndef ZCAP_TESTS_ZCAP_STATS_H
#define ZCAP_TESTS_ZCAP_STATS_H

#define ZCAP_STATS_PATH	"/sys/kernel/debug/zcap/stats"

/*
 * One statistic, gauge or counter, by its name in ZCAP_STATS_PATH; -1 when
 * debugfs, the module or the name is not there.
 */
long long zcap_stat(const char *name);

#endif /* ZCAP_TESTS_ZCAP_STATS_H */
