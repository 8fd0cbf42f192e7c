// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "zcap_stats.h"

long long zcap_stat(const char *name)
{
	FILE *f = fopen(ZCAP_STATS_PATH, "re");
	long long v, found = -1;
	char key[64];

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2) {
		if (!strcmp(key, name)) {
			found = v;
			break;
		}
	}
	fclose(f);
	return found;
}
