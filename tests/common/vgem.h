/* SPDX-License-Identifier: GPL-2.0 */
/* vgem, the DRM device the fault and fuzz programs import dma-bufs into. */
#ifndef ZCAP_TESTS_VGEM_H
#define ZCAP_TESTS_VGEM_H

/* An O_RDWR | O_CLOEXEC fd of the first vgem card node, or -1 if none. */
int open_vgem(void);

#endif /* ZCAP_TESTS_VGEM_H */
