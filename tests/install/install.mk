# SPDX-License-Identifier: GPL-2.0
#
# `make install` and `make uninstall` into a staging root, a host test of
# `make check` (tests/install/check-install.sh): TAP in
# $(BUILD)/results/host/install.tap.

.PHONY: install-check
HOST_TESTS += install-check
install-check:
	@mkdir -p $(BUILD)/results/host; \
	$(TOP)/tests/install/check-install.sh $(TOP) $(BUILD) \
		>$(BUILD)/results/host/install.tap; rc=$$?; \
	cat $(BUILD)/results/host/install.tap; exit $$rc
