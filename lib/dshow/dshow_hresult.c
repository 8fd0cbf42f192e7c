// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * zcap_dshow_hresult(): the one place where libzcap's return values become
 * DirectShow HRESULTs (include/zcap/dshow.h).
 */
#include <errno.h>

#include <zcap/dshow.h>

#include "core/zcap_internal.h"

static const struct {
	int err;
	HRESULT hr;
} hresults[] = {
	/* The states of the allocator contract, named as DirectShow names them. */
	{ ZCAP_E_NO_ALLOCATOR, VFW_E_NO_ALLOCATOR },
	{ ZCAP_E_NOT_COMMITTED, VFW_E_NOT_COMMITTED },
	{ ZCAP_E_BUFFERS_OUTSTANDING, VFW_E_BUFFERS_OUTSTANDING },
	{ ZCAP_E_TIMEOUT, VFW_E_TIMEOUT },
	{ ZCAP_E_ALREADY_COMMITTED, VFW_E_ALREADY_COMMITTED },
	{ ZCAP_E_SIZE_NOT_SET, VFW_E_SIZENOTSET },
	{ ZCAP_E_NOT_CONNECTED, VFW_E_NOT_CONNECTED },
	{ ZCAP_E_ALREADY_CONNECTED, VFW_E_ALREADY_CONNECTED },
	{ ZCAP_E_NOT_IMPLEMENTED, E_NOTIMPL },
	{ ZCAP_E_TYPE_NOT_ACCEPTED, VFW_E_TYPE_NOT_ACCEPTED },
	{ ZCAP_E_WRONG_STATE, VFW_E_WRONG_STATE },
	/* A pin that had its end of stream takes no more samples. */
	{ ZCAP_E_END_OF_STREAM, VFW_E_SAMPLE_REJECTED_EOS },
	/*
	 * ZCAP_E_PROPS_REJECTED, _DISCONNECTED, _NO_PROVIDER, _NO_DMABUF,
	 * _STALLED and _NO_SOURCE name states DirectShow has no code for: E_FAIL, below.
	 */
	{ -EINVAL, E_INVALIDARG },
	{ -EFAULT, E_POINTER },
	{ -ENOMEM, E_OUTOFMEMORY },
	{ -ENOSYS, E_NOTIMPL },
	{ -EOPNOTSUPP, E_NOTIMPL },
	{ -EACCES, E_ACCESSDENIED },
	{ -EPERM, E_ACCESSDENIED },
	{ -ETIMEDOUT, VFW_E_TIMEOUT },
};

HRESULT zcap_dshow_hresult(int err)
{
	size_t i;

	/* Successful calls return 0 or a count. */
	if (err >= 0)
		return S_OK;
	for (i = 0; i < ZCAPI_ARRAY_SIZE(hresults); i++)
		if (hresults[i].err == err)
			return hresults[i].hr;
	return E_FAIL;
}
