// SPDX-License-Identifier: GPL-2.0
/*
 * zcap: pools of dma-buf backed buffers for zero-copy video capture.
 *
 * /dev/zcap answers ZCAP_IOC_VERSION and creates pools (ZCAP_IOC_POOL_CREATE);
 * everything else happens on the pool fd (pool.c) and on the dma-bufs
 * (buffer.c). Documentation/abi.md is the contract.
 */

#include <linux/compat.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <linux/zcap.h>

#include "compat.h"
#include "zcap.h"

/* 0 until zcap_init() derives a default from the machine's memory. */
u64 zcap_max_pool_bytes;
u64 zcap_max_total_bytes;

/*
 * Caps not given at load time follow the machine's memory: one pool at most
 * a quarter of RAM (and 1 GiB), all buffers at most half (and 4 GiB). Fixed
 * defaults let a single default-sized pool take all of a small machine's
 * memory, and then it is the global OOM killer, not ENOMEM, that answers.
 */
static void zcap_default_caps(void)
{
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;

	if (!zcap_max_pool_bytes)
		zcap_max_pool_bytes = max_t(u64, min_t(u64, SZ_1G, ram / 4),
					    PAGE_SIZE);
	if (!zcap_max_total_bytes)
		zcap_max_total_bytes = max_t(u64, min_t(u64, 4ULL * SZ_1G,
							ram / 2), PAGE_SIZE);
}

/*
 * Both caps are byte counts. Below one page nothing could ever be created,
 * which is a typo rather than a policy, so refuse it.
 */
static int zcap_param_set_bytes(const char *val, const struct kernel_param *kp)
{
	u64 bytes;
	int ret;

	ret = kstrtoull(val, 0, &bytes);
	if (ret)
		return ret;
	if (bytes < PAGE_SIZE)
		return -EINVAL;

	WRITE_ONCE(*(u64 *)kp->arg, bytes);
	return 0;
}

static const struct kernel_param_ops zcap_param_bytes_ops = {
	.set = zcap_param_set_bytes,
	.get = param_get_ullong,
};

module_param_cb(max_pool_bytes, &zcap_param_bytes_ops, &zcap_max_pool_bytes,
		0644);
MODULE_PARM_DESC(max_pool_bytes,
		 "Largest pool in bytes (EFBIG above it; default 1 GiB or a quarter of RAM, whichever is less)");
module_param_cb(max_total_bytes, &zcap_param_bytes_ops, &zcap_max_total_bytes,
		0644);
MODULE_PARM_DESC(max_total_bytes,
		 "Cap on bytes of all live buffers (EDQUOT above it; default 4 GiB or half of RAM, whichever is less)");

u64 zcap_max_contig_bytes(void)
{
	return (u64)PAGE_SIZE << ZCAP_MAX_ORDER;
}

static long zcap_ioctl_version(struct zcap_version __user *uarg)
{
	struct zcap_version ver;

	memset(&ver, 0, sizeof(ver));
	ver.abi_version = ZCAP_ABI_VERSION;
	ver.pool_flags = ZCAP_POOL_FLAGS_ALL;
	ver.max_pool_bytes = READ_ONCE(zcap_max_pool_bytes);
	ver.max_total_bytes = READ_ONCE(zcap_max_total_bytes);
	ver.max_contig_bytes = zcap_max_contig_bytes();
	ver.max_buffers = ZCAP_MAX_BUFFERS;
	ver.page_size = PAGE_SIZE;

	if (copy_to_user(uarg, &ver, sizeof(ver)))
		return -EFAULT;
	return 0;
}

static long zcap_ioctl_pool_create(struct zcap_pool_create __user *uarg)
{
	struct zcap_pool_create req;
	u64 size, total;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;

	if (memchr_inv(req.reserved, 0, sizeof(req.reserved)))
		return -EINVAL;
	if (req.flags & ~ZCAP_POOL_FLAGS_ALL)
		return -EINVAL;
	if (req.fd_flags & ~O_CLOEXEC)
		return -EINVAL;
	if (!req.count || req.count > ZCAP_MAX_BUFFERS)
		return -EINVAL;
	if (!req.buffer_size)
		return -EINVAL;

	if (req.buffer_size > U64_MAX - (PAGE_SIZE - 1))
		return -EOVERFLOW;
	size = PAGE_ALIGN(req.buffer_size);
	if (check_mul_overflow(size, (u64)req.count, &total))
		return -EOVERFLOW;

	if ((req.flags & ZCAP_POOL_CONTIGUOUS) &&
	    size > zcap_max_contig_bytes())
		return -E2BIG;
	if (total > READ_ONCE(zcap_max_pool_bytes))
		return -EFBIG;

	return zcap_pool_create(&req, size, total, uarg);
}

static long zcap_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case ZCAP_IOC_VERSION:
		return zcap_ioctl_version(uarg);
	case ZCAP_IOC_POOL_CREATE:
		return zcap_ioctl_pool_create(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations zcap_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = zcap_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice zcap_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "zcap",
	.fops = &zcap_dev_fops,
	.mode = 0660,
};

static int __init zcap_init(void)
{
	int ret;

	zcap_default_caps();
	zcap_debugfs_init();

	ret = misc_register(&zcap_miscdev);
	if (ret) {
		zcap_debugfs_exit();
		return ret;
	}
	return 0;
}

static void __exit zcap_exit(void)
{
	misc_deregister(&zcap_miscdev);
	zcap_debugfs_exit();

	/* Every pool file and dma-buf pins the module: nothing can be left. */
	WARN_ON(atomic64_read(&zcap_stats.bytes));
	WARN_ON(atomic64_read(&zcap_stats.pools));
}

module_init(zcap_init);
module_exit(zcap_exit);

MODULE_DESCRIPTION("Pools of dma-buf backed buffers for zero-copy video capture");
MODULE_LICENSE("GPL");
MODULE_VERSION(ZCAP_MODULE_VERSION);
MODULE_AUTHOR("The zcap authors");
ZCAP_IMPORT_NS_DMA_BUF;
