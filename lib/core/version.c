// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * zcap_version(). The string is not written here: the build passes
 * ZCAP_PACKAGE_VERSION from dkms.conf, the version zcap.ko is packaged
 * under, so that the library and the module cannot disagree.
 */
#include <zcap/version.h>

#ifndef ZCAP_PACKAGE_VERSION
#error "ZCAP_PACKAGE_VERSION is set by lib/lib.mk from dkms.conf"
#endif

const char *zcap_version(void)
{
	return ZCAP_PACKAGE_VERSION;
}
