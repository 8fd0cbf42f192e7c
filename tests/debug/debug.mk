# SPDX-License-Identifier: GPL-2.0
#
# The debug kernel and what runs on it, included by the top-level Makefile
# after tests/vm/vm.mk.
#
#   make debug-kernel  build, or reuse from $(ZCAP_CACHE), a 6.12 kernel with
#                      KASAN, kmemleak, lockdep, DEBUG_ATOMIC_SLEEP,
#                      DEBUG_OBJECTS and fault injection
#                      (tests/debug/build-kernel.sh, tests/debug/kernel.config)
#   make check-debug   deps, the debug kernel, zcap.ko for it, then one boot
#                      running $(DEBUG_SUITES); a KASAN, lockdep, kmemleak,
#                      DEBUG_OBJECTS or any other kernel report fails it
#   make soak DURATION=SECONDS [SOAK_DEBUG=0]  tests/debug/soak.sh: the fuzzer, the fault
#                      tests and concurrent captures on every kernel, round
#                      after round, with the host loaded, until the first
#                      kernel report or DURATION
#
# Results: $(BUILD)/results-debug/<kver>/, $(BUILD)/soak/.

DEBUG_KERNEL_SH := $(TOP)/tests/debug/build-kernel.sh
DEBUG_SUITES ?= tests/vm/suites/smoke.sh tests/vm/suites/selftests.sh \
	tests/vm/suites/fuzz.sh tests/vm/suites/faults.sh \
	tests/vm/suites/capture.sh tests/debug/suites/failsweep.sh
# KASAN, lockdep and kmemleak under TCG: suites run a few times slower.
DEBUG_TIMEOUT_SCALE ?= 4
DURATION ?= 3600
# SOAK_DEBUG=0: the soak boots Debian's kernels only.
SOAK_DEBUG ?= 1

.PHONY: debug-kernel check-debug-installed soak-installed

debug-kernel:
	@$(DEBUG_KERNEL_SH) >/dev/null

# Prints the debug kernel's directory; builds zcap.ko for it.
define debug_kernel_ready
	dir=$$($(DEBUG_KERNEL_SH) | tail -n 1) || exit 1; \
	kver=$$(cat $$dir/release); \
	$(MAKE) --no-print-directory zcap-kmod-$$kver ZCAP_KDIR_$$kver=$$dir/obj \
		>$(BUILD)/zcap-kmod-debug.log 2>&1 || \
		{ cat $(BUILD)/zcap-kmod-debug.log; exit 1; }
endef

check-debug-installed: vm-prereqs
	@mkdir -p $(BUILD)
	@$(debug_kernel_ready); \
	start=$$(date +%s); \
	rm -rf $(BUILD)/results-debug/$$kver; \
	BUILD=$(BUILD) ZCAP_VM_KERNEL=$$dir/bzImage ZCAP_VM_MODROOT=$$dir/modroot \
		ZCAP_VM_KCONFIG=$$dir/obj/.config \
		ZCAP_VM_TIMEOUT_SCALE=$(DEBUG_TIMEOUT_SCALE) \
		$(VM_RUN) -o $(BUILD)/results-debug/$$kver $$kver $(DEBUG_SUITES); \
	echo "check-debug: done in $$(( $$(date +%s) - start )) s; results in $(BUILD)/results-debug/$$kver"; \
	$(VM_SUMMARY) $(BUILD)/results-debug/$$kver

soak-installed: vm-prereqs
	@mkdir -p $(BUILD)
	@$(debug_kernel_ready); \
	BUILD=$(BUILD) DURATION=$(DURATION) VM_KVERS="$(VM_KVERS)" \
		DEBUG_KERNEL_DIR=$(if $(filter 1,$(SOAK_DEBUG)),$$dir) \
		DEBUG_TIMEOUT_SCALE=$(DEBUG_TIMEOUT_SCALE) \
		$(TOP)/tests/debug/soak.sh
