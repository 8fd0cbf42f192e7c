/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which libzcap this is. The macros are the version a program was built
 * against; zcap_version() the one it runs on, which may be newer.
 */
#ifndef ZCAP_VERSION_H
#define ZCAP_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

#define ZCAP_VERSION_MAJOR 0
#define ZCAP_VERSION_MINOR 1

/*
 * The version of the running library, "MAJOR.MINOR.PATCH" (e.g. "0.1.0"):
 * zcap's one version, the same as zcap.ko's (dkms.conf PACKAGE_VERSION), so
 * that a bug report names both with one number. A static string, never
 * NULL; the caller does not free it. Since LIBZCAP_0.1.
 */
const char *zcap_version(void);

#ifdef __cplusplus
}
#endif

#endif /* ZCAP_VERSION_H */
