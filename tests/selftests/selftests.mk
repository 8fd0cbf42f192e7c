# SPDX-License-Identifier: GPL-2.0
#
# kselftest suite for zcap.ko: `make selftests` builds
# $(BUILD)/selftests/zcap_test, which tests/vm/suites/selftests.sh runs in
# the VM on every kernel.
#
# kselftest_harness.h is the kernel's own, extracted at build time from the
# newest Debian linux-source tarball installed (scripts/ksrc.sh); it is never
# committed. The test binary is user space, so one harness serves every
# kernel under test.

SELFTESTS_DIR := $(TOP)/tests/selftests
SELFTESTS_OUT := $(BUILD)/selftests
SELFTESTS_KSERIES := $(lastword $(shell ls -1 /usr/src/linux-source-*.tar.xz \
	2>/dev/null | sed -n 's,.*/linux-source-\(.*\)\.tar\.xz$$,\1,p' | sort -V))
SELFTESTS_KSFT := $(BUILD)/ksrc/$(SELFTESTS_KSERIES)/tools/testing/selftests
SELFTESTS_HARNESS := $(SELFTESTS_KSFT)/kselftest_harness.h \
	$(SELFTESTS_KSFT)/kselftest.h
SELFTESTS_SRCS := $(SELFTESTS_DIR)/zcap_test.c $(SELFTESTS_DIR)/zcap_util.c
SELFTESTS_HDRS := $(SELFTESTS_DIR)/zcap_util.h \
	$(TOP)/include/uapi/linux/zcap.h
SELFTESTS_PKGS := libdrm

VM_PREREQS += selftests
VM_SUITES += tests/vm/suites/selftests.sh

.PHONY: selftests selftests-harness

selftests: $(SELFTESTS_OUT)/zcap_test

selftests-harness: $(SELFTESTS_HARNESS)

# Both headers come from one extraction; the harness is the one named.
$(SELFTESTS_KSFT)/kselftest.h: $(SELFTESTS_KSFT)/kselftest_harness.h

$(SELFTESTS_KSFT)/kselftest_harness.h:
	@if [ -z "$(SELFTESTS_KSERIES)" ]; then \
		echo "selftests: no /usr/src/linux-source-*.tar.xz for kselftest_harness.h (make deps)" >&2; \
		exit 1; \
	fi
	BUILD=$(BUILD) $(TOP)/scripts/ksrc.sh $(SELFTESTS_KSERIES) \
		'tools/testing/selftests/kselftest_harness.h' \
		'tools/testing/selftests/kselftest.h' >/dev/null
	@touch $@

# -isystem: the harness is not -Wextra clean (unused parameters in its
# macros), and it is not ours to fix.
$(SELFTESTS_OUT)/zcap_test: $(SELFTESTS_SRCS) $(SELFTESTS_HDRS) \
		$(SELFTESTS_HARNESS) $(SELFTESTS_DIR)/selftests.mk
	@mkdir -p $(@D)
	$(CC) $(ZCAP_CFLAGS) $(CFLAGS) -isystem $(SELFTESTS_KSFT) \
		$$(pkg-config --cflags $(SELFTESTS_PKGS)) -o $@ \
		$(SELFTESTS_SRCS) $$(pkg-config --libs $(SELFTESTS_PKGS)) -pthread
