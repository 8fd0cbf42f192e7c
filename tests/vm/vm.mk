# SPDX-License-Identifier: GPL-2.0
#
# The VM rig's targets, included last by the top-level Makefile.
#
#   make vm-check   build what the suites need, then boot every installed
#                   Debian 6.1 and 6.12 kernel once and run $(VM_SUITES) in it
#   make check      deps, host tests ($(HOST_TESTS)), the VM suites, summary
#   make demo       deps, build, boot the 6.1 kernel, run suites/demo.sh
#
# Other fragments extend it (they are included before this one):
#   VM_SUITES  += tests/<part>/<suite>.sh   run in every kernel, see tests/vm/run
#   VM_PREREQS += <target or file>          built before any VM boots
#   HOST_TESTS += <target>                  run by `make check` on the host; it
#               writes TAP to $(BUILD)/results/host/<name>.tap (and may leave
#               the exit status in <name>.rc)
#   HOST_TESTS_BG += <target>               the same, but started in the
#               background before the others, for a long test that mostly
#               waits on one core while the serial host tests use the other;
#               its output is shown, and its failure counted, once the
#               serial ones are done, before the VM prerequisites are built
# On the command line: VM_KVERS="<kver>...", VM_SUITES="...", ZCAP_VM_ACCEL=kvm.
# Results: $(BUILD)/results/<kver>/<suite>.{tap,log,dmesg,rc}, <suite>/,
# console.log; `tests/vm/summary` counts them.

VM_RUN := $(TOP)/tests/vm/run
VM_SUMMARY := $(TOP)/tests/vm/summary

-include $(TOP)/tests/vm/vicodec.mk
-include $(TOP)/tests/vm/dummy_hcd.mk

# Every installed 6.1 and 6.12 kernel that has headers and a boot image.
VM_KVERS ?= $(foreach v,$(filter 6.1.% 6.12.%,$(KVERS_INSTALLED)),$(if \
	$(wildcard /boot/vmlinuz-$(v)),$(v)))
DEMO_KVER ?= $(firstword $(filter 6.1.%,$(VM_KVERS)) $(VM_KVERS))

VM_SUITES := tests/vm/suites/smoke.sh $(VM_SUITES)

# What the suites run, from the parts that exist in this tree.
VM_PREREQS += $(if $(wildcard $(TOP)/kernel/module.mk),modules-all) \
	$(if $(wildcard $(TOP)/lib/lib.mk),lib) \
	$(if $(wildcard $(TOP)/tools/tools.mk),tools) \
	$(if $(wildcard $(TOP)/tests/selftests/selftests.mk),selftests)

.PHONY: vm-check vm-prereqs check-installed demo-installed

vm-prereqs: $(VM_PREREQS)

# One boot per kernel; a kernel's old results go first so that the summary
# never counts a stale line. A suite's failure is in its results: only a
# misuse of the rig (exit status 2) fails the loop itself, and leaves a
# failing result in $(BUILD)/results/make/ for the summary.
define vm_run_all
	if [ -z "$(strip $(VM_KVERS))" ]; then \
		echo "vm: no Debian 6.1 or 6.12 kernel with headers is installed (make deps)" >&2; \
		vmstatus=1; \
	fi; \
	for k in $(VM_KVERS); do \
		rm -rf $(BUILD)/results/$$k $(BUILD)/results/make/vm-$$k.tap; \
		BUILD=$(BUILD) $(VM_RUN) $$k $(VM_SUITES); \
		if [ $$? -gt 1 ]; then \
			vmstatus=1; \
			mkdir -p $(BUILD)/results/make; \
			printf 'TAP version 13\n1..1\nnot ok 1 tests/vm/run %s: misuse, see above\n' "$$k" \
				>$(BUILD)/results/make/vm-$$k.tap; \
		fi; \
	done
endef

vm-check: vm-prereqs
	@vmstatus=0; \
	$(vm_run_all); \
	$(VM_SUMMARY) $(addprefix $(BUILD)/results/,$(VM_KVERS)) \
		$$(ls $(BUILD)/results/make/vm-*.tap 2>/dev/null) && exit $$vmstatus

# A step of `make check` that fails leaves a failing TAP result behind, so
# that the summary shows it even when it never got to write its own. The
# VM suites run even when part of the build failed: they say what works.
# Each step says how long it took, which the 20-minute budget of `make
# check` is kept by (Documentation/testing.md).
# $(1): name, $(2): command
define vm_step
	step_start=$$(date +%s); \
	if ! $(2); then \
		mkdir -p $(BUILD)/results/make; \
		printf 'TAP version 13\n1..1\nnot ok 1 make %s failed\n' "$(1)" \
			>$(BUILD)/results/make/$(1).tap; \
		status=1; \
	fi; \
	echo "check: $(1): $$(( $$(date +%s) - step_start )) s"
endef

# The host steps build as they go (the library twice more, with ASan and
# with TSan; the tools; the modules for each kernel): on every core, or one
# of two sits idle for most of the five minutes they take.
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
CHECK_MAKE = $(MAKE) --no-print-directory -j$(CHECK_JOBS) -Otarget

check-installed:
	@rm -rf $(BUILD)/results
	@status=0; start=$$(date +%s); \
	rm -rf $(BUILD)/host-bg; mkdir -p $(BUILD)/host-bg; \
	for t in $(HOST_TESTS_BG); do \
		{ s=$$(date +%s); \
		  $(MAKE) --no-print-directory $$t >$(BUILD)/host-bg/$$t.out 2>&1; \
		  echo $$? >$(BUILD)/host-bg/$$t.rc; \
		  echo "check: $$t (in the background): $$(( $$(date +%s) - s )) s" \
			>>$(BUILD)/host-bg/$$t.out; } & \
	done; \
	for t in $(HOST_TESTS); do \
		$(call vm_step,$$t,$(CHECK_MAKE) $$t); \
	done; \
	wait; \
	for t in $(HOST_TESTS_BG); do \
		cat $(BUILD)/host-bg/$$t.out; \
		$(call vm_step,$$t,[ "$$(cat $(BUILD)/host-bg/$$t.rc 2>/dev/null)" = 0 ]); \
	done; \
	$(call vm_step,vm-prereqs,$(CHECK_MAKE) -k vm-prereqs); \
	vmstatus=0; \
	$(vm_run_all); \
	[ $$vmstatus -eq 0 ] || status=1; \
	echo; \
	echo "check: done in $$(( $$(date +%s) - start )) s; results in $(BUILD)/results"; \
	$(VM_SUMMARY) || status=1; \
	exit $$status

demo-installed:
	@$(MAKE) --no-print-directory vm-prereqs
	@test -n "$(DEMO_KVER)" || { echo "demo: no Debian 6.1 or 6.12 kernel is installed (make deps)" >&2; exit 1; }
	@BUILD=$(BUILD) $(VM_RUN) -v -o $(BUILD)/demo $(DEMO_KVER) tests/vm/suites/demo.sh; \
	status=$$?; \
	echo; \
	echo "demo: the files it made are in $(BUILD)/demo/demo/:"; \
	ls -l $(BUILD)/demo/demo/ | tail -n +2; \
	echo "demo: the whole VM console is $(BUILD)/demo/console.log"; \
	exit $$status
