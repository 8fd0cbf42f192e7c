// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zcap_version(): a "MAJOR.MINOR.PATCH" string that is the module's own
 * version (dkms.conf PACKAGE_VERSION) and agrees with the header's
 * ZCAP_VERSION_MAJOR and ZCAP_VERSION_MINOR.
 */
#include <stdio.h>
#include <string.h>

#include <zcap/zcap.h>

#include "tap.h"

/* PACKAGE_VERSION="x.y.z" from dkms.conf, read here as the packaging does. */
static int dkms_version(char *out, size_t len)
{
	char line[256], *q;
	FILE *f = fopen(ZCAP_DKMS_CONF, "r");

	if (!f)
		return -1;
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "PACKAGE_VERSION=", 16))
			continue;
		q = line + 16 + (line[16] == '"');
		snprintf(out, len, "%.*s", (int)strcspn(q, "\"\n"), q);
	}
	fclose(f);
	return out[0] ? 0 : -1;
}

int main(void)
{
	const char *v = zcap_version();
	unsigned int major, minor, patch;
	char want[64], end;

	ok(v != NULL, "zcap_version() is a string");
	if (!v)
		v = "";
	is(sscanf(v, "%u.%u.%u%c", &major, &minor, &patch, &end), 3,
	   "'%s' is MAJOR.MINOR.PATCH and nothing else", v);
	ok(major == ZCAP_VERSION_MAJOR && minor == ZCAP_VERSION_MINOR,
	   "'%s' agrees with the header's %d.%d", v, ZCAP_VERSION_MAJOR, ZCAP_VERSION_MINOR);
	ok(dkms_version(want, sizeof(want)) == 0, "dkms.conf has a PACKAGE_VERSION");
	ok(!strcmp(v, want), "the library's version is the module's ('%s', dkms.conf '%s')",
	   v, want);
	ok(zcap_version() == v, "the same static string every call");
	return tap_done();
}
