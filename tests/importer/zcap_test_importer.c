// SPDX-License-Identifier: GPL-2.0
/*
 * zcap_test_importer: a dma-buf importer for zcap's selftests that maps
 * as a DRM driver's GEM mmap does. /dev/zcap_test_importer takes a dma-buf
 * fd (ZCAP_TEST_IMPORTER_SET_FD) and maps it from its own mmap() through
 * dma_buf_mmap(), so the VMA the exporter sees was made for this file:
 * its write permission is this file's, not the dma-buf's. No importer in
 * Debian's kernels maps a read-only dma-buf that way, which is why the
 * tests bring their own. Built next to zcap.ko, never shipped.
 */
#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "compat.h"

#define ZCAP_TEST_IMPORTER_SET_FD	_IOW('z', 0x40, __s32)

struct importer_file {
	struct mutex lock;		/* dmabuf */
	struct dma_buf *dmabuf;		/* the one mmap() maps, a reference */
};

static int importer_open(struct inode *inode, struct file *file)
{
	struct importer_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return 0;
}

static int importer_release(struct inode *inode, struct file *file)
{
	struct importer_file *f = file->private_data;

	if (f->dmabuf)
		dma_buf_put(f->dmabuf);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

static long importer_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct importer_file *f = file->private_data;
	struct dma_buf *dmabuf;
	s32 fd;

	if (cmd != ZCAP_TEST_IMPORTER_SET_FD)
		return -ENOTTY;
	if (get_user(fd, (s32 __user *)arg))
		return -EFAULT;
	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	mutex_lock(&f->lock);
	swap(f->dmabuf, dmabuf);
	mutex_unlock(&f->lock);
	if (dmabuf)
		dma_buf_put(dmabuf);
	return 0;
}

static int importer_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct importer_file *f = file->private_data;
	int ret = -ENODEV;

	mutex_lock(&f->lock);
	if (f->dmabuf)
		ret = dma_buf_mmap(f->dmabuf, vma, vma->vm_pgoff);
	mutex_unlock(&f->lock);
	return ret;
}

static const struct file_operations importer_fops = {
	.owner = THIS_MODULE,
	.open = importer_open,
	.release = importer_release,
	.unlocked_ioctl = importer_ioctl,
	.mmap = importer_mmap,
};

static struct miscdevice importer_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "zcap_test_importer",
	.fops = &importer_fops,
	.mode = 0600,
};

module_misc_device(importer_misc);

MODULE_DESCRIPTION("zcap selftests: a dma-buf importer that maps through dma_buf_mmap()");
MODULE_LICENSE("GPL");
ZCAP_IMPORT_NS_DMA_BUF;
