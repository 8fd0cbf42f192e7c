# SPDX-License-Identifier: GPL-2.0
#
# kselftest suite for zcap.ko. `make selftests` builds, in $(BUILD)/selftests/:
#   zcap_test        every test of the module (libdrm for vgem, V4L2 for vivid)
#   zcap_compat      the 32-bit layout checks, built 64-bit (compile-time
#                    asserts on both sides of the ABI)
#   zcap_compat32    the same, -m32 -static, run in the VM against the
#                    compat ioctl path; only when $(CC) can build 32-bit
#                    programs (Debian: gcc-multilib)
# tests/vm/suites/selftests.sh runs them in the VM on every kernel.
#
# kselftest_harness.h is the kernel's own, extracted at build time from the
# newest Debian linux-source tarball installed (scripts/ksrc.sh); it is never
# committed. The binaries are user space, so one harness serves every kernel
# under test.

SELFTESTS_DIR := $(TOP)/tests/selftests
SELFTESTS_OUT := $(BUILD)/selftests
SELFTESTS_KSERIES := $(lastword $(shell ls -1 /usr/src/linux-source-*.tar.xz \
	2>/dev/null | sed -n 's,.*/linux-source-\(.*\)\.tar\.xz$$,\1,p' | sort -V))
SELFTESTS_KSFT := $(BUILD)/ksrc/$(SELFTESTS_KSERIES)/tools/testing/selftests
SELFTESTS_HARNESS := $(SELFTESTS_KSFT)/kselftest_harness.h \
	$(SELFTESTS_KSFT)/kselftest.h
SELFTESTS_HDRS := $(addprefix $(SELFTESTS_DIR)/,zcap_util.h zcap_test.h \
	zcap_devices.h) $(TOP)/include/uapi/linux/zcap.h $(SELFTESTS_HARNESS) \
	$(SELFTESTS_DIR)/selftests.mk
SELFTESTS_TEST_SRCS := $(addprefix $(SELFTESTS_DIR)/,zcap_test.c zcap_util.c \
	zcap_devices.c)
SELFTESTS_COMPAT_SRCS := $(addprefix $(SELFTESTS_DIR)/,zcap_compat.c zcap_util.c)
SELFTESTS_PKGS := libdrm
# -isystem: the harness is not -Wextra clean (unused parameters in its
# macros), and it is not ours to fix.
SELFTESTS_CFLAGS = $(ZCAP_CFLAGS) $(CFLAGS) -isystem $(SELFTESTS_KSFT)

# Probed once, when the variable is first used.
SELFTESTS_M32 = $(shell printf 'int main(void) { return 0; }\n' | \
	$(CC) -m32 -static -x c -o /dev/null - >/dev/null 2>&1 && echo yes)

VM_PREREQS += selftests
VM_SUITES += tests/vm/suites/selftests.sh

.PHONY: selftests selftests-harness

selftests: $(SELFTESTS_OUT)/zcap_test $(SELFTESTS_OUT)/zcap_compat
	@if [ "$(SELFTESTS_M32)" = yes ]; then \
		$(MAKE) --no-print-directory $(SELFTESTS_OUT)/zcap_compat32; \
	else \
		rm -f $(SELFTESTS_OUT)/zcap_compat32; \
		echo "selftests: $(CC) cannot build 32-bit programs (gcc-multilib): no zcap_compat32"; \
	fi

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

$(SELFTESTS_OUT)/zcap_test: $(SELFTESTS_TEST_SRCS) $(SELFTESTS_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SELFTESTS_CFLAGS) $$(pkg-config --cflags $(SELFTESTS_PKGS)) \
		-o $@ $(SELFTESTS_TEST_SRCS) \
		$$(pkg-config --libs $(SELFTESTS_PKGS)) -pthread

$(SELFTESTS_OUT)/zcap_compat: $(SELFTESTS_COMPAT_SRCS) $(SELFTESTS_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SELFTESTS_CFLAGS) -o $@ $(SELFTESTS_COMPAT_SRCS)

# Static: the VM sees the host's root, which need not have 32-bit libraries.
$(SELFTESTS_OUT)/zcap_compat32: $(SELFTESTS_COMPAT_SRCS) $(SELFTESTS_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SELFTESTS_CFLAGS) -m32 -static -o $@ $(SELFTESTS_COMPAT_SRCS)
