# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages' test (Documentation/testing.md, "The packages").
#
#   make pkg-check   build the packages (debian/deb.mk; reused while no
#                    packaged file changed), unpack them into
#                    $(PKG_STAGE) and check them there
#                    (tests/pkg/check-staged.sh), building zcap.ko from the
#                    staged DKMS source for every kernel of $(PKG_KVERS):
#                    TAP in $(BUILD)/results/host/pkg.tap
#
# `make check` runs it as a host test (in the background beside the others:
# HOST_TESTS_BG, tests/vm/vm.mk), then tests/vm/suites/pkg.sh in every
# VM kernel: that DKMS-built module loaded, /dev/zcap's udev rule, a capture
# with the packaged tools and libraries.

PKG_DIR := $(BUILD)/pkg
PKG_STAGE := $(PKG_DIR)/stage
PKG_KVERS ?= $(VM_KVERS)
PKG_STAMP := $(DEB_OUT)/.built

# What the packages are made of: a change to any of it builds them again.
PKG_INPUTS := $(shell cd $(TOP) && git ls-files -- debian kernel lib include \
	tools udev dkms.conf Kbuild Makefile Documentation completion 2>/dev/null)

$(PKG_STAMP): $(addprefix $(TOP)/,$(PKG_INPUTS))
	@$(MAKE) --no-print-directory deb-build
	@touch $@

.PHONY: pkg-check pkg-tap pkg-stage
pkg-stage: $(PKG_STAMP)

pkg-check: pkg-tap

# In the background: building the packages and the module twice takes a
# minute or two, mostly while the serial host tests leave a core idle.
HOST_TESTS_BG += pkg-tap
pkg-tap:
	@mkdir -p $(BUILD)/results/host; \
	tap=$(BUILD)/results/host/pkg.tap; log=$(BUILD)/results/host/pkg.log; \
	if ! $(MAKE) --no-print-directory pkg-stage >$$log 2>&1; then \
		printf 'TAP version 13\n1..1\nnot ok 1 make deb (see pkg.log)\n' >$$tap; \
		tail -30 $$log | sed 's/^/# /' >>$$tap; \
		cat $$tap; exit 1; \
	fi; \
	ZCAP_HOOKED_BENCH=$(if $(wildcard $(BENCH_BIN)),$(BENCH_BIN)) \
		$(TOP)/tests/pkg/check-staged.sh $(DEB_OUT) $(PKG_STAGE) $(PKG_DIR)/dkms \
		$(PKG_DIR)/ko $(PKG_KVERS) >$$tap 2>>$$log; \
	status=$$?; cat $$tap; exit $$status

# The VM suite needs what pkg-tap leaves (the staging root and each
# kernel's module): for `make vm-check VM_SUITES=tests/vm/suites/pkg.sh`
# alone, it runs first.
VM_SUITES += tests/vm/suites/pkg.sh
VM_PREREQS += pkg-vm-prereq
.PHONY: pkg-vm-prereq
pkg-vm-prereq: pkg-stage
	@for k in $(PKG_KVERS); do \
		[ $(PKG_DIR)/ko/$$k/zcap.ko -nt $(PKG_STAMP) ] || \
			{ $(MAKE) --no-print-directory pkg-tap >/dev/null; break; }; \
	done
