// SPDX-License-Identifier: GPL-2.0
/*
 * Pool lifetime and the ioctls of a pool fd.
 *
 * A pool is an anonymous-inode file owning `count` buffers. The file holds a
 * reference on each buffer and on each dma-buf it has exported, so repeated
 * exports return the same dma-buf; releasing the file drops them all, and a
 * buffer's pages stay until its last dma-buf is released too (buffer.c).
 */

#include <linux/anon_inodes.h>
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <linux/zcap.h>

#include "zcap.h"

/*
 * Reserve against max_total_bytes without ever overshooting it, even for a
 * moment: an add-then-check would make a concurrent, smaller request fail.
 */
static int zcap_bytes_reserve(u64 bytes)
{
	u64 cap = READ_ONCE(zcap_max_total_bytes);
	s64 old = atomic64_read(&zcap_stats.bytes);

	do {
		if (bytes > cap || (u64)old > cap - bytes)
			return -EDQUOT;
	} while (!atomic64_try_cmpxchg(&zcap_stats.bytes, &old, old + bytes));

	return 0;
}

static void zcap_pool_free(struct kref *ref)
{
	struct zcap_pool *pool = container_of(ref, struct zcap_pool, ref);

	mutex_destroy(&pool->lock);
	kfree(pool);
	atomic64_dec(&zcap_stats.pools);
}

void zcap_pool_put(struct zcap_pool *pool)
{
	kref_put(&pool->ref, zcap_pool_free);
}

/*
 * Runs once, when the last reference to the pool file goes: no ioctl can be
 * running, so pool->lock is not needed to empty the dma-buf caches.
 */
static int zcap_pool_release(struct inode *inode, struct file *file)
{
	struct zcap_pool *pool = file->private_data;
	unsigned int i, mode;

	for (i = 0; i < pool->count; i++) {
		struct zcap_buffer *buf = pool->bufs[i];

		/* A pool whose creation failed part way. */
		if (!buf)
			continue;
		for (mode = 0; mode < ZCAP_ACCESS_MODES; mode++) {
			struct dma_buf *dmabuf = buf->dmabuf[mode];

			buf->dmabuf[mode] = NULL;
			if (dmabuf)
				dma_buf_put(dmabuf);
		}
		pool->bufs[i] = NULL;
		zcap_buffer_put(buf);
	}
	zcap_pool_put(pool);
	return 0;
}

static long zcap_pool_info(struct zcap_pool *pool,
			   struct zcap_pool_info __user *uarg)
{
	struct zcap_pool_info info;
	unsigned int i;

	memset(&info, 0, sizeof(info));
	info.buffer_size = pool->buffer_size;
	info.total_bytes = pool->buffer_size * pool->count;
	info.count = pool->count;
	info.flags = pool->flags;
	info.sg_entries = pool->sg_entries;
	info.max_sg_entries = pool->max_sg_entries;

	mutex_lock(&pool->lock);
	for (i = 0; i < pool->count; i++) {
		struct zcap_buffer *buf = pool->bufs[i];

		if (buf->dmabuf[ZCAP_ACCESS_RDWR] ||
		    buf->dmabuf[ZCAP_ACCESS_RDONLY])
			info.exported++;
	}
	mutex_unlock(&pool->lock);

	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long zcap_pool_export(struct zcap_pool *pool,
			     struct zcap_buf_export __user *uarg)
{
	struct zcap_buf_export req;
	struct zcap_buffer *buf;
	struct dma_buf *dmabuf;
	enum zcap_access mode;
	int accmode, fd, ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;

	if (memchr_inv(req.reserved, 0, sizeof(req.reserved)))
		return -EINVAL;
	if (req.index >= pool->count)
		return -EINVAL;
	if (req.flags & ~(O_CLOEXEC | O_ACCMODE))
		return -EINVAL;

	accmode = req.flags & O_ACCMODE;
	if (accmode == O_RDWR)
		mode = ZCAP_ACCESS_RDWR;
	else if (accmode == O_RDONLY)
		mode = ZCAP_ACCESS_RDONLY;
	else
		return -EINVAL;

	/* A user index: no speculative load past the array either. */
	buf = pool->bufs[array_index_nospec(req.index, pool->count)];

	/*
	 * dma_buf_fd() would install the fd at once. Reserve it instead, and
	 * reply before a dma-buf is created or cached: a full fd table or a
	 * faulting reply must leave neither an fd nor a new dma-buf behind.
	 */
	fd = get_unused_fd_flags(req.flags & O_CLOEXEC);
	if (fd < 0)
		return fd;

	req.fd = fd;
	req.sg_entries = buf->sgt.orig_nents;
	req.size = buf->size;
	if (copy_to_user(uarg, &req, sizeof(req))) {
		ret = -EFAULT;
		goto err_fd;
	}

	mutex_lock(&pool->lock);
	dmabuf = buf->dmabuf[mode];
	if (!dmabuf) {
		dmabuf = zcap_buffer_export(buf, accmode);
		if (IS_ERR(dmabuf)) {
			mutex_unlock(&pool->lock);
			ret = PTR_ERR(dmabuf);
			goto err_fd;
		}
		/* The pool keeps the export's own reference. */
		buf->dmabuf[mode] = dmabuf;
	}
	/* This one goes to the new fd. */
	get_dma_buf(dmabuf);
	mutex_unlock(&pool->lock);

	fd_install(fd, dmabuf->file);
	return 0;

err_fd:
	put_unused_fd(fd);
	return ret;
}

static long zcap_pool_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct zcap_pool *pool = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case ZCAP_IOC_POOL_INFO:
		return zcap_pool_info(pool, uarg);
	case ZCAP_IOC_BUF_EXPORT:
		return zcap_pool_export(pool, uarg);
	default:
		return -ENOTTY;
	}
}

/* No .mmap: mapping a pool fd fails with ENODEV; map the dma-buf instead. */
static const struct file_operations zcap_pool_fops = {
	.owner = THIS_MODULE,
	.release = zcap_pool_release,
	.unlocked_ioctl = zcap_pool_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/* The pool struct; its buffers are allocated by zcap_pool_fill(). */
static struct zcap_pool *zcap_pool_alloc(const struct zcap_pool_create *req,
					 u64 buffer_size)
{
	struct zcap_pool *pool;

	pool = kzalloc(struct_size(pool, bufs, req->count), ZCAP_GFP_META);
	if (!pool)
		return NULL;
	kref_init(&pool->ref);
	mutex_init(&pool->lock);
	pool->buffer_size = buffer_size;
	pool->count = req->count;
	pool->flags = req->flags;
	atomic64_inc(&zcap_stats.pools);
	return pool;
}

/*
 * Allocate every buffer of @pool. Each buffer returns its share of the
 * max_total_bytes reservation when it is freed; on failure the share of the
 * buffers never allocated is returned here, and the buffers that were are
 * freed with the pool file.
 */
static int zcap_pool_fill(struct zcap_pool *pool)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < pool->count; i++) {
		struct zcap_buffer *buf;

		/* Up to 256 buffers: let a killed creator go between them. */
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		buf = zcap_buffer_alloc(pool);
		if (IS_ERR(buf)) {
			ret = PTR_ERR(buf);
			break;
		}
		pool->bufs[i] = buf;
		pool->sg_entries += buf->sgt.orig_nents;
		pool->max_sg_entries = max(pool->max_sg_entries,
					   buf->sgt.orig_nents);
	}
	if (ret)
		atomic64_sub((u64)(pool->count - i) * pool->buffer_size,
			     &zcap_stats.bytes);
	return ret;
}

/*
 * The caller checked every field of @req and the caps on its sizes.
 *
 * The file and its fd come before the buffers. The VFS allocates them with
 * plain GFP_KERNEL, charged to the caller's memory cgroup, where a failed
 * charge calls the OOM killer; made first, they need a page of headroom,
 * while after the buffers they would need it on top of everything the pages
 * took, and a cgroup with room for the pages but not for a file would see
 * its creator killed instead of getting ENOMEM.
 */
int zcap_pool_create(const struct zcap_pool_create *req, u64 buffer_size,
		     u64 total_bytes, struct zcap_pool_create __user *uarg)
{
	struct zcap_pool_create reply;
	struct zcap_pool *pool;
	struct file *file;
	int fd, ret;

	if (!zcap_buffer_size_possible(buffer_size))
		return -ENOMEM;
	ret = zcap_bytes_reserve(total_bytes);
	if (ret)
		return ret;

	pool = zcap_pool_alloc(req, buffer_size);
	if (!pool) {
		atomic64_sub(total_bytes, &zcap_stats.bytes);
		return -ENOMEM;
	}

	file = anon_inode_getfile("[zcap-pool]", &zcap_pool_fops, pool, O_RDWR);
	if (IS_ERR(file)) {
		atomic64_sub(total_bytes, &zcap_stats.bytes);
		zcap_pool_put(pool);
		return PTR_ERR(file);
	}
	/* From here on the file owns the pool and every buffer in it. */

	fd = get_unused_fd_flags(req->fd_flags);
	if (fd < 0) {
		atomic64_sub(total_bytes, &zcap_stats.bytes);
		ret = fd;
		goto err_file;
	}

	ret = zcap_pool_fill(pool);
	if (ret)
		goto err_fd;

	/* Reply before the fd exists: a faulting reply must leak nothing. */
	reply = *req;
	reply.pool_fd = fd;
	if (copy_to_user(uarg, &reply, sizeof(reply))) {
		ret = -EFAULT;
		goto err_fd;
	}

	fd_install(fd, file);
	atomic64_inc(&zcap_stats.pools_created);
	return 0;

err_fd:
	put_unused_fd(fd);
err_file:
	/* The release frees the pool and every buffer allocated. */
	fput(file);
	return ret;
}
