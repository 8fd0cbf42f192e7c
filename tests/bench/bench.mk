# SPDX-License-Identifier: GPL-2.0
#
# zcap-bench and `make bench` (Documentation/benchmarks.md).
#
#   make zcap-bench   $(BUILD)/tools/zcap-bench
#   make bench        boot each kernel of $(BENCH_KVERS) once and run the
#                     whole benchmark in it (tests/bench/bench-full.sh); the
#                     tables, the CSV and the plot land in $(BUILD)/bench/:
#                       bench-<kver>.txt   that kernel's table
#                       bench-<kver>.csv   its figures
#                       bench.csv          every kernel's, concatenated
#                       bench.png          the plot (gnuplot, scripts/deps.sh)
#
# `make check` runs a smoke test of the tool on every kernel instead
# (tests/vm/suites/bench.sh), so that it cannot rot unnoticed.
#
# zcap-bench links libzcap statically, like the tools, and wraps the
# allocator, memcpy/memmove and poll at link time, so that it counts what
# its own code and libzcap call (tools/bench_hooks.c). The one that `make
# install` and the Debian package install, $(BUILD)/tools/dist/zcap-bench,
# has no wrapper (bench_hooks.c built with ZCAP_BENCH_NO_HOOKS) and links
# libzcap.so: it prints "-" for what only the wrappers count.

comma := ,
BENCH_DIR := $(BUILD)/bench
BENCH_OBJDIR := $(BENCH_DIR)/obj
BENCH_SRCS := $(TOP)/tools/zcap-bench.c $(sort $(wildcard $(TOP)/tools/bench_*.c)) \
	$(TOP)/tools/toollog.c $(TOP)/tools/toolopt.c
BENCH_OBJS := $(patsubst $(TOP)/tools/%.c,$(BENCH_OBJDIR)/%.o,$(BENCH_SRCS))
BENCH_BIN := $(BUILD)/tools/zcap-bench
BENCH_DIST_BIN := $(BUILD)/tools/dist/zcap-bench
BENCH_DIST_OBJS := $(filter-out $(BENCH_OBJDIR)/bench_hooks.o,$(BENCH_OBJS)) \
	$(BENCH_OBJDIR)/bench_hooks-nohooks.o
BENCH_DRM_CFLAGS := $(or $(LIBDRM_CFLAGS),$(shell pkg-config --cflags libdrm 2>/dev/null),-I/usr/include/libdrm)
BENCH_WRAP := $(addprefix -Wl$(comma)--wrap=,malloc calloc realloc free \
	posix_memalign aligned_alloc strdup strndup memcpy memmove poll ioctl)
BENCH_LIBZCAP_A := $(BUILD)/lib/libzcap.a
BENCH_LIBS := $(or $(LIBZCAP_LIBS),-lpthread)

# Every installed 6.1 and 6.12 kernel, as for the VM suites.
BENCH_KVERS ?= $(foreach v,$(filter 6.1.% 6.12.%,$(KVERS_INSTALLED)),$(if \
	$(wildcard /boot/vmlinuz-$(v)),$(v)))
BENCH_SUITE := tests/bench/bench-full.sh
BENCH_GNUPLOT ?= gnuplot
# What the VM needs: the module for every kernel, and the tool.
BENCH_PREREQS := $(if $(wildcard $(TOP)/kernel/module.mk),modules-all) zcap-bench frame-cost


.PHONY: zcap-bench bench-installed bench-plot install-bench uninstall-bench
zcap-bench: $(BENCH_BIN)
tools-dist: $(BENCH_DIST_BIN)
install: install-bench
uninstall: uninstall-bench

install-bench: $(BENCH_DIST_BIN)
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(BENCH_DIST_BIN) $(DESTDIR)$(BINDIR)/

uninstall-bench:
	rm -f $(DESTDIR)$(BINDIR)/$(notdir $(BENCH_BIN))

$(BENCH_OBJDIR)/%.o: $(TOP)/tools/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ZCAP_CFLAGS) $(BENCH_DRM_CFLAGS) -MMD -MP -c $< -o $@

$(BENCH_OBJDIR)/bench_hooks-nohooks.o: $(TOP)/tools/bench_hooks.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ZCAP_CFLAGS) -DZCAP_BENCH_NO_HOOKS -MMD -MP -c $< -o $@

-include $(BENCH_OBJS:.o=.d) $(BENCH_OBJDIR)/bench_hooks-nohooks.d

$(BENCH_BIN): $(BENCH_OBJS) $(BENCH_LIBZCAP_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(BENCH_OBJS) $(BENCH_LIBZCAP_A) \
		$(BENCH_LIBS) $(BENCH_WRAP)

$(BENCH_DIST_BIN): $(BENCH_DIST_OBJS) $(BUILD)/lib/libzcap.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(BENCH_DIST_OBJS) -L$(BUILD)/lib -lzcap \
		$(BENCH_LIBS)

# frame-cost (tests/bench/frame_cost.c): libzcap's own cost per frame,
# hot and cold, against the bare DMABUF loop on the unit tests' fake
# camera; tests/bench/frame_cost_trace.sh counts what one frame of each
# touches (valgrind's lackey). `make bench` runs both on the host and the
# timing in every kernel's VM too; `make check` runs a short one of each.
FRAME_COST_BIN := $(BENCH_DIR)/frame-cost
FRAME_COST_TRACE := $(TOP)/tests/bench/frame_cost_trace.sh

.PHONY: frame-cost bench-frame-cost frame-cost-check
frame-cost: $(FRAME_COST_BIN)

$(FRAME_COST_BIN): $(TOP)/tests/bench/frame_cost.c $(BENCH_LIBZCAP_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ZCAP_CFLAGS) $(LIBZCAP_CFLAGS) -I$(TOP)/tests/unit -MMD -MP \
		-o $@ $< $(BENCH_LIBZCAP_A) $(BENCH_LIBS)

-include $(FRAME_COST_BIN).d

# The host's figures, kept in $(BENCH_DIR) beside the VMs'.
bench-frame-cost: $(FRAME_COST_BIN)
	@set -e; $(FRAME_COST_BIN) | tee $(BENCH_DIR)/frame-cost-host.txt; echo; \
	$(FRAME_COST_TRACE) $(FRAME_COST_BIN) | tee $(BENCH_DIR)/frame-cost-trace.txt

# For `make check`: both run, and say what they must (a count, not a speed).
HOST_TESTS += frame-cost-check
frame-cost-check: $(FRAME_COST_BIN)
	@mkdir -p $(BUILD)/results/host; \
	tap=$(BUILD)/results/host/frame-cost.tap; \
	printf 'TAP version 13\n1..2\n' >$$tap; status=0; \
	if out=$$($(FRAME_COST_BIN) -n 20 -r 1 2>&1) && \
	   echo "$$out" | grep -q '^hot ' && echo "$$out" | grep -q '^cold '; then \
		echo "ok 1 - frame-cost: both paths, hot and cold" >>$$tap; \
	else \
		echo "not ok 1 - frame-cost: both paths, hot and cold" >>$$tap; status=1; \
	fi; \
	echo "$$out" | sed 's/^/# /' >>$$tap; \
	if out=$$($(FRAME_COST_TRACE) $(FRAME_COST_BIN) 2>&1) && \
	   echo "$$out" | grep -q '^distinct instructions '; then \
		echo "ok 2 - frame-cost trace: every frame of both paths counted" >>$$tap; \
	else \
		echo "not ok 2 - frame-cost trace: every frame of both paths counted" >>$$tap; status=1; \
	fi; \
	echo "$$out" | sed 's/^/# /' >>$$tap; \
	cat $$tap; exit $$status

# One boot per kernel. The rig's results share is $(BENCH_DIR)/vm/<kver>
# rather than its default $(BUILD)/results/<kver>, which `make check` empties
# when it starts; the figures are copied from there next to each other.
# Without the rig's memory debugging (slub_debug, page poisoning, KFENCE):
# it would time the kernel's debugging, not the paths being compared.
bench-installed:
	@$(MAKE) --no-print-directory $(BENCH_PREREQS)
	@test -n "$(strip $(BENCH_KVERS))" || { echo "bench: no Debian 6.1 or 6.12 kernel is installed (make deps)" >&2; exit 1; }
	@status=0; start=$$(date +%s); mkdir -p $(BENCH_DIR); \
	rm -f $(BENCH_DIR)/bench*.csv $(BENCH_DIR)/bench*.txt $(BENCH_DIR)/gst-bench*.txt \
		$(BENCH_DIR)/frame-cost*.txt $(BENCH_DIR)/bench.png; \
	$(MAKE) --no-print-directory bench-frame-cost >/dev/null || status=1; \
	for k in $(BENCH_KVERS); do \
		BUILD=$(BUILD) ZCAP_VM_MEMORY_DEBUG=0 $(VM_RUN) -v -o $(BENCH_DIR)/vm/$$k $$k $(BENCH_SUITE) || status=1; \
		r=$(BENCH_DIR)/vm/$$k/bench-full; \
		if [ -s $$r/bench.csv ]; then \
			cp $$r/bench.csv $(BENCH_DIR)/bench-$$k.csv; \
			cp $$r/bench.txt $(BENCH_DIR)/bench-$$k.txt; \
			[ ! -s $$r/gst-bench.txt ] || cp $$r/gst-bench.txt $(BENCH_DIR)/gst-bench-$$k.txt; \
			[ ! -s $$r/frame-cost.txt ] || cp $$r/frame-cost.txt $(BENCH_DIR)/frame-cost-$$k.txt; \
		else \
			echo "bench: $$k: no figures (see $(BENCH_DIR)/vm/$$k/bench-full.tap)" >&2; \
			status=1; \
		fi; \
	done; \
	$(MAKE) --no-print-directory bench-plot || status=1; \
	echo; \
	for k in $(BENCH_KVERS); do \
		[ -s $(BENCH_DIR)/bench-$$k.txt ] && cat $(BENCH_DIR)/bench-$$k.txt && echo; \
		[ -s $(BENCH_DIR)/gst-bench-$$k.txt ] && cat $(BENCH_DIR)/gst-bench-$$k.txt && echo; \
		[ -s $(BENCH_DIR)/frame-cost-$$k.txt ] && echo "$$k:" && cat $(BENCH_DIR)/frame-cost-$$k.txt && echo; \
	done; \
	for f in frame-cost-host frame-cost-trace; do \
		[ -s $(BENCH_DIR)/$$f.txt ] && echo "host:" && cat $(BENCH_DIR)/$$f.txt && echo; \
	done; \
	echo "bench: done in $$(( $$(date +%s) - start )) s; tables, CSV and plot in $(BENCH_DIR)/"; \
	ls -l $(BENCH_DIR)/bench* 2>/dev/null | sed 's/^/  /'; \
	exit $$status

# The combined CSV and the plot, from whatever bench-<kver>.csv exist.
bench-plot:
	@set -e; csvs=$$(ls $(BENCH_DIR)/bench-*.csv 2>/dev/null | sort -V); \
	test -n "$$csvs" || { echo "bench: no $(BENCH_DIR)/bench-<kver>.csv: run make bench" >&2; exit 1; }; \
	{ head -n 1 $$(echo $$csvs | cut -d' ' -f1); for c in $$csvs; do tail -n +2 $$c; done; } \
		>$(BENCH_DIR)/bench.csv; \
	GNUPLOT=$(BENCH_GNUPLOT) $(TOP)/tests/bench/plot.sh $(BENCH_DIR)/bench.csv \
		$(BENCH_DIR)/bench.png

# The smoke test of `make check`.
VM_SUITES += tests/vm/suites/bench.sh
VM_PREREQS += zcap-bench
