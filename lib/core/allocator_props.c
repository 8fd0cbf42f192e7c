// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * An allocator's properties (IMemAllocator::SetProperties and
 * GetProperties): how many buffers of how many blocks of what size a
 * commit will allocate, as its provider grants them; and deciding them
 * from a connection's format and its consumer's requirements (the
 * DecideBufferSize of DirectShow's output pins). Set between commits
 * only: the buffers of a commit keep the properties they were made with.
 */
#include <errno.h>
#include <string.h>

#include "zcap_internal.h"

static int check_props(const struct zcap_alloc_props *p)
{
	uint32_t n_mem = p->n_mem ? p->n_mem : 1;

	if (!p->count || p->n_mem > ZCAP_MAX_PLANES || p->reserved ||
	    (p->flags & ~ZCAP_PROPS_CONTIGUOUS))
		return -EINVAL;
	if (p->align && (!zcapi_is_pow2(p->align) || p->align > ZCAPI_MAX_ALIGN))
		return -EINVAL;
	if (p->prefix > ZCAPI_MAX_ALIGN)
		return -EINVAL;
	for (uint32_t m = 0; m < ZCAP_MAX_PLANES; m++) {
		/* A size for a block that is not there is a caller's mix-up. */
		if ((m < n_mem) != (p->size[m] != 0))
			return -EINVAL;
		/* Leaves room for prefix, alignment and page rounding. */
		if (p->size[m] > (UINT64_MAX >> 2))
			return -EINVAL;
	}
	return 0;
}

int zcap_allocator_set_properties(struct zcap_allocator *a,
				  const struct zcap_alloc_props *req,
				  struct zcap_alloc_props *actual)
{
	struct zcap_alloc_props p;
	int ret;

	if (!a || !req)
		return -EINVAL;
	zcapi_allocator_lock(a);
	if (a->committed) {
		ret = ZCAP_E_ALREADY_COMMITTED;
		goto out;
	}
	if (a->outstanding) {
		ret = ZCAP_E_BUFFERS_OUTSTANDING;
		goto out;
	}
	ret = check_props(req);
	if (ret)
		goto out;
	p = *req;
	if (!p.n_mem)
		p.n_mem = 1;
	if (!p.align)
		p.align = 1;
	ret = a->prov.ops->grant(a->prov.priv, &p);
	if (ret)
		goto out;
	/*
	 * An uncommitted allocator with nothing out holds no memory unless a
	 * decommit completed lazily, which frees the generation already.
	 */
	a->props = p;
	a->props_set = true;
	if (actual)
		*actual = p;
out:
	zcapi_allocator_unlock(a);
	return ret;
}

int zcap_allocator_get_properties(struct zcap_allocator *a,
				  struct zcap_alloc_props *out)
{
	int ret = 0;

	if (!a || !out)
		return -EINVAL;
	zcapi_allocator_lock(a);
	if (a->props_set)
		*out = a->props;
	else
		ret = ZCAP_E_SIZE_NOT_SET;
	zcapi_allocator_unlock(a);
	return ret;
}

int zcap_alloc_props_decide(const struct zcap_alloc_requirements *req,
			    const struct zcap_format *fmt, uint32_t min_count,
			    struct zcap_alloc_props *props)
{
	uint64_t count;
	int ret;

	if (!fmt || !props)
		return -EINVAL;
	ret = zcap_format_validate(fmt);
	if (ret)
		return ret;
	if (req && req->props.n_mem > ZCAP_MAX_PLANES)
		return -EINVAL;
	memset(props, 0, sizeof(*props));
	props->n_mem = fmt->n_mem;
	for (uint32_t m = 0; m < fmt->n_mem; m++) {
		props->size[m] = fmt->mem_size[m];
		if (req && req->props.size[m] > props->size[m])
			props->size[m] = req->props.size[m];
	}
	count = min_count ? min_count : 1;
	if (req) {
		count += req->held;
		if (req->props.count > count)
			count = req->props.count;
		props->align = req->props.align;
		props->prefix = req->props.prefix;
		props->flags = req->props.flags;
	}
	props->count = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
	return 0;
}
