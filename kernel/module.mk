# SPDX-License-Identifier: GPL-2.0
#
# zcap.ko, included by the top-level Makefile (TOP, BUILD, KVER, KDIR,
# KVERS_INSTALLED come from there).
#
#   make module        zcap.ko for $(KVER) (or KDIR=)
#   make modules-all   zcap.ko for every kernel in $(KVERS_INSTALLED)
#   make lint          checkpatch --strict and sparse, both must be clean
#   make dkms          source to $(DESTDIR)/usr/src/zcap-<version>/, built by
#                      dkms for every kernel with headers; the udev rule
#   make uninstall-dkms  the reverse
#
# Each kernel gets its own output tree, $(BUILD)/kmod/<kver>/, holding a copy
# of Kbuild, kernel/ and include/: builds for several kernels never share an
# object, and an in-place `make -C $KDIR M=$PWD` from the top (which the
# top-level Kbuild allows) does not disturb them. Other fragments find the
# module of kernel <kver> at $(call zcap_ko,<kver>).

zcap_kmod_dir = $(BUILD)/kmod/$(1)
zcap_ko = $(BUILD)/kmod/$(1)/kernel/zcap.ko

# With KDIR= pointing elsewhere than /lib/modules/$(KVER)/build, the tree is
# named after KDIR so it cannot be mistaken for $(KVER)'s.
ZCAP_KMOD_NAME := $(if $(filter /lib/modules/$(KVER)/build,$(KDIR)),$(KVER),kdir$(subst /,_,$(abspath $(KDIR))))
ZCAP_KO := $(call zcap_ko,$(ZCAP_KMOD_NAME))

ZCAP_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="*\([^"]*\)"*$$/\1/p' $(TOP)/dkms.conf)
ZCAP_KMOD_SOURCES := $(wildcard $(TOP)/kernel/*.c $(TOP)/kernel/*.h)
# The selftests' dma-buf importer (tests/importer/), built beside zcap.ko
# in the same output tree, from kernel/compat.h too; never installed.
ZCAP_IMPORTER_SOURCES := $(wildcard $(TOP)/tests/importer/*.c)
ZCAP_LINT_FILES := $(ZCAP_KMOD_SOURCES) $(ZCAP_IMPORTER_SOURCES) \
	$(TOP)/include/uapi/linux/zcap.h

# Copy the sources into an output tree, keeping their times so kbuild only
# rebuilds what changed, then build there.
# $(1): output tree, $(2): kernel build tree, $(3): extra kbuild arguments
define zcap_kmod_make
	@mkdir -p $(1)/kernel $(1)/include/uapi/linux $(1)/tests/importer
	@rm -f $(1)/kernel/*.c $(1)/kernel/*.h $(1)/tests/importer/*.c
	@cp -p $(TOP)/Kbuild $(1)/Kbuild
	@cp -p $(TOP)/kernel/Kbuild $(ZCAP_KMOD_SOURCES) $(1)/kernel/
	@cp -p $(TOP)/include/uapi/linux/zcap.h $(1)/include/uapi/linux/
	@cp -p $(TOP)/tests/importer/Kbuild $(ZCAP_IMPORTER_SOURCES) $(1)/tests/importer/
	+$(MAKE) -C $(2) M=$(abspath $(1)) $(3) modules
	+$(MAKE) -C $(2) M=$(abspath $(1))/tests/importer $(3) modules
endef

.PHONY: module modules-all lint checkpatch sparse dkms

# One target per kernel, so `make -j modules-all` builds them side by side,
# and every user of a tree (module, modules-all, sparse) goes through the
# same target: make never runs two kbuilds in one tree at once.
# ZCAP_KDIR_<kver>= names the build tree of a kernel that is not installed
# (the debug kernel).
zcap-kmod-%: zcap-kmod-force
	$(call zcap_kmod_make,$(call zcap_kmod_dir,$*),$(or $(ZCAP_KDIR_$*),/lib/modules/$*/build))
	@echo "zcap.ko for $*: $(call zcap_ko,$*)"

ifeq ($(ZCAP_KMOD_NAME),$(KVER))
module: zcap-kmod-$(KVER)
else
module:
	$(call zcap_kmod_make,$(call zcap_kmod_dir,$(ZCAP_KMOD_NAME)),$(KDIR))
	@echo "zcap.ko for $(KDIR): $(ZCAP_KO)"
endif

modules-all: $(addprefix zcap-kmod-,$(KVERS_INSTALLED))

.PHONY: zcap-kmod-force
zcap-kmod-force:

# checkpatch.pl comes from the newest linux-source tarball, unpacked into the
# build tree at build time; nothing of it is committed.
ZCAP_KSRC_TARBALL := $(lastword $(shell ls -1 /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V))
ZCAP_KSRC_SERIES := $(patsubst linux-source-%.tar.xz,%,$(notdir $(ZCAP_KSRC_TARBALL)))
ZCAP_CHECKPATCH_DIR := $(BUILD)/ksrc/$(ZCAP_KSRC_SERIES)
ZCAP_CHECKPATCH := $(ZCAP_CHECKPATCH_DIR)/scripts/checkpatch.pl

$(ZCAP_CHECKPATCH):
	@test -n "$(ZCAP_KSRC_TARBALL)" || { echo "lint: no /usr/src/linux-source-*.tar.xz (make deps)" >&2; exit 1; }
	@mkdir -p $(ZCAP_CHECKPATCH_DIR)
	tar -xf $(ZCAP_KSRC_TARBALL) -C $(ZCAP_CHECKPATCH_DIR) --strip-components=1 \
		linux-source-$(ZCAP_KSRC_SERIES)/scripts/checkpatch.pl \
		linux-source-$(ZCAP_KSRC_SERIES)/scripts/spelling.txt \
		linux-source-$(ZCAP_KSRC_SERIES)/scripts/const_structs.checkpatch
	@touch $@

lint: checkpatch sparse

# Paths relative to the top, as in the kernel tree, so that checkpatch knows
# include/uapi/ for what it is. compat.h alone may test LINUX_VERSION_CODE:
# that is the one place an out-of-tree module must, and checkpatch's
# CONSTANT_COMPARISON fires on the same lines because LINUX_VERSION_CODE looks
# like a constant to it. Every other file gets no exemption at all.
ZCAP_CHECKPATCH_ARGS := --no-tree --strict --quiet --show-types
checkpatch: $(ZCAP_CHECKPATCH)
	cd $(TOP) && perl $(ZCAP_CHECKPATCH) $(ZCAP_CHECKPATCH_ARGS) -f \
		$(filter-out kernel/compat.h,$(ZCAP_LINT_FILES:$(TOP)/%=%))
	cd $(TOP) && perl $(ZCAP_CHECKPATCH) $(ZCAP_CHECKPATCH_ARGS) \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f kernel/compat.h
	@echo "checkpatch: clean"

# C=2 runs sparse on every source, whether or not it is rebuilt. Sparse never
# fails the build, so its diagnostics are collected and any that points into
# our sources fails lint. Diagnostics located in kernel headers are printed
# but do not count: they are not ours to fix.
sparse: $(addprefix zcap-sparse-,$(KVERS_INSTALLED))

zcap-sparse-%: zcap-kmod-%
	$(call zcap_kmod_make,$(call zcap_kmod_dir,$*),/lib/modules/$*/build,C=2) \
		2>&1 | tee $(call zcap_kmod_dir,$*)/sparse.log; \
		test $${PIPESTATUS[0]} -eq 0
	@if grep -E '^$(call zcap_kmod_dir,$*)/.*: (warning|error):' \
		$(call zcap_kmod_dir,$*)/sparse.log; then \
		echo "sparse ($*): diagnostics in zcap sources" >&2; exit 1; \
	fi
	@echo "sparse ($*): clean"

# The source DKMS builds from: the top-level Kbuild (obj-m += kernel/), the
# module sources and the uapi header. Registered with dkms only for a live
# install (no DESTDIR) on a machine that has dkms, and built and installed
# for every kernel here that has its headers ($(KVERS_INSTALLED)), not only
# the running one; dkms skips those dkms.conf's BUILD_EXCLUSIVE_KERNEL
# excludes (older than 6.1; its exit status 77). The udev rule that gives
# /dev/zcap to group video and to the seat's user goes with it, as with
# `make install` (the Debian package zcap-dkms has both too).
ZCAP_DKMS_SRC = $(DESTDIR)/usr/src/zcap-$(ZCAP_VERSION)
ZCAP_UDEV_DIR ?= /lib/udev/rules.d
ZCAP_UDEV_RULE := 70-zcap.rules

.PHONY: install-udev uninstall-udev uninstall-dkms
install: install-udev
uninstall: uninstall-udev

install-udev:
	install -D -m 0644 $(TOP)/udev/$(ZCAP_UDEV_RULE) $(DESTDIR)$(ZCAP_UDEV_DIR)/$(ZCAP_UDEV_RULE)
	@if [ -z "$(DESTDIR)" ] && [ -d /run/udev ] && command -v udevadm >/dev/null; then \
		udevadm control --reload-rules || true; \
	fi

uninstall-udev:
	rm -f $(DESTDIR)$(ZCAP_UDEV_DIR)/$(ZCAP_UDEV_RULE)

dkms: install-udev
	@test -n "$(ZCAP_VERSION)" || { echo "dkms: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	rm -rf $(ZCAP_DKMS_SRC)
	install -d $(ZCAP_DKMS_SRC)/kernel $(ZCAP_DKMS_SRC)/include/uapi/linux
	install -m 0644 $(TOP)/dkms.conf $(TOP)/Kbuild $(ZCAP_DKMS_SRC)/
	install -m 0644 $(TOP)/kernel/Kbuild $(ZCAP_KMOD_SOURCES) $(ZCAP_DKMS_SRC)/kernel/
	install -m 0644 $(TOP)/include/uapi/linux/zcap.h $(ZCAP_DKMS_SRC)/include/uapi/linux/
	@if [ -z "$(DESTDIR)" ] && command -v dkms >/dev/null; then \
		set -e; \
		dkms remove zcap/$(ZCAP_VERSION) --all >/dev/null 2>&1 || true; \
		dkms add zcap/$(ZCAP_VERSION); \
		for k in $(KVERS_INSTALLED); do \
			rc=0; dkms install zcap/$(ZCAP_VERSION) -k $$k || rc=$$?; \
			case $$rc in \
			0) ;; \
			77) echo "dkms: $$k: skipped (BUILD_EXCLUSIVE_KERNEL in dkms.conf)" ;; \
			*) echo "dkms: $$k: failed ($$rc)" >&2; exit $$rc ;; \
			esac; \
		done; \
	fi

uninstall-dkms:
	@if [ -z "$(DESTDIR)" ] && command -v dkms >/dev/null; then \
		dkms remove zcap/$(ZCAP_VERSION) --all || true; \
	fi
	rm -rf $(ZCAP_DKMS_SRC)

# `make check` runs the lint as a host test: one TAP line per tool, with the
# findings as diagnostics when it fails.
HOST_TESTS += lint-tap
.PHONY: lint-tap
lint-tap:
	@mkdir -p $(BUILD)/results/host; \
	tap=$(BUILD)/results/host/lint.tap; \
	printf 'TAP version 13\n1..2\n' >$$tap; \
	n=0; status=0; \
	for t in checkpatch sparse; do \
		n=$$((n + 1)); \
		if $(MAKE) --no-print-directory $$t >$(BUILD)/results/host/lint-$$t.log 2>&1; then \
			echo "ok $$n $$t clean on kernel/ and include/uapi/" >>$$tap; \
		else \
			echo "not ok $$n $$t: findings (see lint-$$t.log)" >>$$tap; \
			sed 's/^/# /' $(BUILD)/results/host/lint-$$t.log | tail -40 >>$$tap; \
			status=1; \
		fi; \
	done; \
	cat $$tap; exit $$status
