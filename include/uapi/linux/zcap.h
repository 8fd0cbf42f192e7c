/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * zcap: pools of dma-buf backed buffers for zero-copy video capture.
 *
 * /dev/zcap hands out pools; a pool fd hands out one dma-buf per buffer.
 * Documentation/abi.md describes every field and every error.
 */
#ifndef _UAPI_LINUX_ZCAP_H
#define _UAPI_LINUX_ZCAP_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define ZCAP_ABI_VERSION	1

/* Upper bound on buffers in one pool. */
#define ZCAP_MAX_BUFFERS	256

/* ZCAP_IOC_VERSION on /dev/zcap: what this module speaks and allows. */
struct zcap_version {
	__u32 abi_version;	/* out: ZCAP_ABI_VERSION */
	__u32 pool_flags;	/* out: every ZCAP_POOL_* flag accepted */
	__u64 max_pool_bytes;	/* out: module parameter, cap per pool */
	__u64 max_total_bytes;	/* out: module parameter, cap over all pools */
	__u64 max_contig_bytes;	/* out: largest ZCAP_POOL_CONTIGUOUS buffer */
	__u32 max_buffers;	/* out: ZCAP_MAX_BUFFERS */
	__u32 page_size;	/* out: sizes are rounded up to this */
	__u64 reserved[4];	/* out: zero */
};

/* Each buffer is one physically contiguous block (one sg entry). */
#define ZCAP_POOL_CONTIGUOUS	(1U << 0)
#define ZCAP_POOL_FLAGS_ALL	(ZCAP_POOL_CONTIGUOUS)

/* ZCAP_IOC_POOL_CREATE on /dev/zcap. */
struct zcap_pool_create {
	__u64 buffer_size;	/* in: bytes per buffer, rounded up to page_size */
	__u32 count;		/* in: buffers, 1..ZCAP_MAX_BUFFERS */
	__u32 flags;		/* in: ZCAP_POOL_* */
	__u32 fd_flags;		/* in: 0 or O_CLOEXEC, for pool_fd */
	__s32 pool_fd;		/* out: the new pool */
	__u64 reserved[4];	/* in: must be zero */
};

/* ZCAP_IOC_POOL_INFO on a pool fd. */
struct zcap_pool_info {
	__u64 buffer_size;	/* out: bytes per buffer (page aligned) */
	__u64 total_bytes;	/* out: buffer_size * count */
	__u32 count;		/* out: buffers in the pool */
	__u32 flags;		/* out: ZCAP_POOL_* given at creation */
	__u32 sg_entries;	/* out: sg entries over all buffers */
	__u32 max_sg_entries;	/* out: most sg entries of any one buffer */
	__u32 exported;		/* out: buffers that have a dma-buf now */
	__u32 pad;		/* out: zero */
	__u64 reserved[4];	/* out: zero */
};

/* ZCAP_IOC_BUF_EXPORT on a pool fd: a dma-buf fd for one buffer. */
struct zcap_buf_export {
	__u32 index;		/* in: buffer index, < count */
	__u32 flags;		/* in: O_CLOEXEC | O_RDWR or O_RDONLY */
	__s32 fd;		/* out: the dma-buf */
	__u32 sg_entries;	/* out: sg entries of this buffer */
	__u64 size;		/* out: dma-buf size in bytes */
	__u64 reserved[4];	/* in: must be zero */
};

#define ZCAP_IOC_MAGIC		0xC5
#define ZCAP_IOC_VERSION	_IOR(ZCAP_IOC_MAGIC, 0x00, struct zcap_version)
#define ZCAP_IOC_POOL_CREATE	_IOWR(ZCAP_IOC_MAGIC, 0x01, struct zcap_pool_create)
#define ZCAP_IOC_POOL_INFO	_IOR(ZCAP_IOC_MAGIC, 0x02, struct zcap_pool_info)
#define ZCAP_IOC_BUF_EXPORT	_IOWR(ZCAP_IOC_MAGIC, 0x03, struct zcap_buf_export)

#endif /* _UAPI_LINUX_ZCAP_H */
