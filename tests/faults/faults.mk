# SPDX-License-Identifier: GPL-2.0
#
# Fault and load tests, included by the top-level Makefile (before
# tests/vm/vm.mk). tests/vm/suites/faults.sh runs them in the VM on every
# kernel as part of `make check`; the C half is built here.
#
#   make faults-bin   build $(BUILD)/tests/faults/zcap-faults

FAULTS_BIN := $(BUILD)/tests/faults/zcap-faults

VM_SUITES += tests/vm/suites/faults.sh
VM_PREREQS += faults-bin

.PHONY: faults-bin
faults-bin: $(FAULTS_BIN)

$(FAULTS_BIN): $(TOP)/tests/faults/zcap-faults.c $(TOP)/tests/faults/limits.c \
		$(TOP)/tests/faults/failnth.c \
		$(TOP)/tests/faults/faults.h $(TOP)/tests/common/vgem.c \
		$(TOP)/tests/common/vgem.h $(TOP)/include/uapi/linux/zcap.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ZCAP_CFLAGS) -o $@ $(filter %.c,$^) -lpthread
