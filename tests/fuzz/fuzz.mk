# SPDX-License-Identifier: GPL-2.0
#
# The ABI fuzzer, included by the top-level Makefile (before tests/vm/vm.mk).
#
#   make fuzz-bin   build $(BUILD)/tests/fuzz/zcap-fuzz
#   make fuzz       boot every kernel in $(VM_KVERS) and run the long fuzz
#                   (FUZZ_OPS operations, at most FUZZ_TIME seconds each)
#   make check      runs the short fuzz through tests/vm/suites/fuzz.sh
#
# FUZZ_SEED=N replays a run; the seed is printed at the start of each run.

FUZZ_BIN := $(BUILD)/tests/fuzz/zcap-fuzz
FUZZ_OPS ?= 1000000
FUZZ_TIME ?= 900

VM_SUITES += tests/vm/suites/fuzz.sh
VM_PREREQS += fuzz-bin

.PHONY: fuzz-installed fuzz-bin
fuzz-bin: $(FUZZ_BIN)

$(FUZZ_BIN): $(TOP)/tests/fuzz/zcap-fuzz.c $(TOP)/tests/common/vgem.c \
		$(TOP)/tests/common/vgem.h $(TOP)/include/uapi/linux/zcap.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ZCAP_CFLAGS) -o $@ $(filter %.c,$^)

# The rig passes nothing but its own variables into the guest, so the long
# run's parameters travel in a file next to the binary that the suite reads.
fuzz-installed: fuzz-bin $(if $(wildcard $(TOP)/kernel/module.mk),modules-all)
	@test -n "$(strip $(VM_KVERS))" || { echo "fuzz: no Debian 6.1 or 6.12 kernel is installed (make deps)" >&2; exit 1; }
	@printf 'ZCAP_FUZZ_OPS=%s\nZCAP_FUZZ_TIME=%s\nZCAP_FUZZ_SEED=%s\n' \
		'$(FUZZ_OPS)' '$(FUZZ_TIME)' '$(FUZZ_SEED)' >$(BUILD)/tests/fuzz/long.conf
	@status=0; \
	for k in $(VM_KVERS); do \
		rm -rf $(BUILD)/fuzz/$$k; \
		BUILD=$(BUILD) $(VM_RUN) -o $(BUILD)/fuzz/$$k $$k tests/fuzz/fuzz-long.sh || status=1; \
	done; \
	$(VM_SUMMARY) $(addprefix $(BUILD)/fuzz/,$(VM_KVERS)) || status=1; \
	exit $$status
