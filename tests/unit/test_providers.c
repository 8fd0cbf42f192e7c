// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The dma-buf providers on this host, where they exist: the system
 * dma-heap and udmabuf are often there, /dev/zcap only when zcap.ko is
 * loaded (the VM suite lib-providers runs all three for real). A provider
 * that cannot be opened is a skip that says why.
 */
#include "provider_contract.h"

int main(void)
{
	provider_contract(ZCAP_PROVIDER_ZCAP);
	provider_contract(ZCAP_PROVIDER_DMA_HEAP);
	provider_contract(ZCAP_PROVIDER_UDMABUF);
	return tap_done();
}
