# SPDX-License-Identifier: GPL-2.0
#
# Top-level build. Each part keeps its rules in its own fragment:
#   kernel/module.mk      zcap.ko for one or more kernels
#   lib/lib.mk            libzcap.so, libzcap.a, zcap.pc
#   tools/tools.mk        zcap-capture, zcap-bench, zcap-info
#   debian/deb.mk         `make deb`: the Debian packages, and their test
#   tests/unit/unit.mk    host unit tests (ASan + UBSan)
#   tests/selftests/selftests.mk   kselftest suite for the module
#   tests/vm/vm.mk        the QEMU rig: check, demo, bench in the VM
#   tests/debug/debug.mk  the debug kernel: check-debug, soak
#   lib/gst/gst.mk, tests/gst/gst.mk  the GStreamer plugin and its suite
#   tests/pkg/pkg.mk      the Debian packages' test
#   tests/install/install.mk  make install / uninstall into a staging root

SHELL := /bin/bash
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD ?= $(TOP)/build
PREFIX ?= /usr/local
DESTDIR ?=

CC ?= cc
# Link-time optimisation: a frame's path through libzcap crosses a dozen
# files (source, queue, sample, pin, sink), and inlining across them takes
# a fifth of the distinct instructions a frame runs, which is what a frame
# costs when it starts cold (Documentation/benchmarks.md, frame-cost).
# Fat objects: libzcap.a also links into programs built without it. Only
# where the compiler takes both flags (GCC 10 or later; clang before 17
# has no fat objects).
ZCAP_LTO := $(shell $(CC) -flto=auto -ffat-lto-objects -x c -c /dev/null \
	-o /dev/null 2>/dev/null && echo -flto=auto -ffat-lto-objects)
CFLAGS ?= -O2 -g $(ZCAP_LTO)
ZCAP_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -fPIC \
	-I$(TOP)/include -I$(TOP)/include/uapi

# Kernel selection: KDIR wins; else KVER; else the running kernel when its
# headers are installed; else the newest kernel that has headers here.
KVERS_INSTALLED := $(shell ls -1 /lib/modules 2>/dev/null | \
	while read v; do [ -d /lib/modules/$$v/build ] && echo $$v; done | sort -V)
ifeq ($(KVER),)
KVER := $(shell v=$$(uname -r); [ -d /lib/modules/$$v/build ] && echo $$v)
ifeq ($(KVER),)
KVER := $(lastword $(KVERS_INSTALLED))
endif
endif
KDIR ?= /lib/modules/$(KVER)/build

.PHONY: all check demo bench fuzz check-debug soak install uninstall dkms \
	clean lint lint-layers deps module unit selftests vm-check help deb
# The selftests need Debian's kernel source tarball (their harness comes from
# it): they are built where the checks need them (VM_PREREQS), not here.
all: module lib tools

# The library's layer check (lib/lib.mk) needs no kernel sources: named
# first, it runs even where checkpatch and sparse cannot.
lint: lint-layers

help:
	@echo "make            build module, library, tools"
	@echo "make check      every test: host unit tests, then the VM suites"
	@echo "make demo       boot a VM and capture zero-copy from vivid"
	@echo "make check-debug  selftests, fuzz, faults, capture and the fault-injection"
	@echo "                  sweep on a KASAN/lockdep/kmemleak kernel built here"
	@echo "make soak DURATION=SECONDS  fuzz, faults, captures on every kernel, looped"
	@echo "make bench      zcap-bench in the VM"
	@echo "make lint       the library's layers, then checkpatch + sparse on the module"
	@echo "make lint-layers  only the layers (scripts/check-layers.sh; no kernel sources)"
	@echo "make install    library, headers, tools, udev rule (PREFIX=, DESTDIR=)"
	@echo "make uninstall  remove what make install installed (same PREFIX=, DESTDIR=)"
	@echo "make dkms       install the module source for DKMS, build it for every kernel"
	@echo "make uninstall-dkms  remove it from DKMS and /usr/src"
	@echo "make deb        the Debian packages, in \$$(BUILD)/deb (debian/deb.mk)"
	@echo "make deps       install missing Debian packages (root)"

deps:
	$(TOP)/scripts/deps.sh

# These goals need the Debian packages, and the kernel lists above are read
# when the Makefile is parsed, before deps could install a kernel: each runs
# deps, then its <goal>-installed rule (in its fragment) in a new make.
DEPS_GOALS := check demo bench fuzz check-debug soak
$(DEPS_GOALS): deps
	@$(MAKE) --no-print-directory $@-installed

-include $(TOP)/kernel/module.mk
-include $(TOP)/lib/lib.mk
-include $(TOP)/tools/tools.mk
-include $(TOP)/debian/deb.mk
-include $(TOP)/tests/unit/unit.mk
-include $(TOP)/tests/selftests/selftests.mk
-include $(TOP)/tests/fuzz/fuzz.mk
-include $(TOP)/tests/faults/faults.mk
-include $(TOP)/tests/bench/bench.mk
-include $(TOP)/tests/gst/gst.mk
-include $(TOP)/tests/pkg/pkg.mk
-include $(TOP)/tests/install/install.mk
-include $(TOP)/tests/vm/vm.mk
-include $(TOP)/tests/debug/debug.mk

# After the fragments' install-* and uninstall-* (their prerequisites): the
# loader's cache, for a live install (no DESTDIR) by root.
install uninstall:
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then \
		echo ldconfig; ldconfig; \
	fi

clean:
	rm -rf $(BUILD)
	rm -f kernel/*.o kernel/*.ko kernel/*.mod kernel/*.mod.c kernel/.*.cmd \
		kernel/modules.order kernel/Module.symvers .*.cmd modules.order \
		Module.symvers
