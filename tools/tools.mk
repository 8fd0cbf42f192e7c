# SPDX-License-Identifier: GPL-2.0
#
# Command-line tools and the VM test programs of the capture path.
#
#   make tools           $(BUILD)/tools/zcap-capture, zcap-info, and the
#                        programs the capture VM suite runs ($(BUILD)/vm-tests/);
#                        and the same tools as they install, $(BUILD)/tools/dist/
#   make install-tools   the tools of $(BUILD)/tools/dist/, every man page of
#                        Documentation/ (*.1, *.7) and the bash completion
#                        (completion/zcap) when the tree has them
#
# The tools of $(BUILD)/tools/ link libzcap statically: a tool run from the
# build tree (or inside the test VM, which shares it) needs no
# LD_LIBRARY_PATH. Those that install ($(BUILD)/tools/dist/) link the shared
# libraries (libzcap.so.0, libzcap-drm.so.0), so that a library update
# reaches them, and carry no test hooks (tests/bench/bench.mk: zcap-bench).

LIBZCAP_A ?= $(BUILD)/lib/libzcap.a
LIBZCAP_LIBS ?= -lpthread
LIBZCAP_DRM_A ?= $(BUILD)/lib/libzcap-drm.a
LIBZCAP_DRM_LIBS ?= -ldrm
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

PNG_CFLAGS := $(shell pkg-config --cflags libpng 2>/dev/null)
PNG_LIBS := $(or $(shell pkg-config --libs libpng 2>/dev/null),-lpng)

TOOLS_DIR := $(BUILD)/tools
TOOLS_BINS := $(TOOLS_DIR)/zcap-capture $(TOOLS_DIR)/zcap-info
TOOLS_DIST_DIR := $(TOOLS_DIR)/dist
TOOLS_DIST_BINS := $(TOOLS_DIST_DIR)/zcap-capture $(TOOLS_DIST_DIR)/zcap-info
TOOLS_MAN1 := $(wildcard $(TOP)/Documentation/*.1)
TOOLS_MAN7 := $(wildcard $(TOP)/Documentation/*.7)
TOOLS_COMPLETION := $(wildcard $(TOP)/completion/zcap)
VMTESTS_DIR := $(BUILD)/vm-tests
VMTESTS_SRCS := $(sort $(wildcard $(TOP)/tests/vm/capture_*.c))
VMTESTS_BINS := $(patsubst $(TOP)/tests/vm/%.c,$(VMTESTS_DIR)/%,$(VMTESTS_SRCS))

.PHONY: tools tools-dist vm-tests install-tools uninstall-tools install uninstall
tools: $(TOOLS_BINS) vm-tests tools-dist
tools-dist: $(TOOLS_DIST_BINS)
vm-tests: $(VMTESTS_BINS)
install: install-tools
uninstall: uninstall-tools

$(TOOLS_DIR)/%.o: $(TOP)/tools/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ZCAP_CFLAGS) $(PNG_CFLAGS) -MMD -MP -c $< -o $@

# --drm makes zcap-capture a DRM sink user: it links libzcap-drm.
ZCAP_CAPTURE_OBJS := $(addprefix $(TOOLS_DIR)/,zcap-capture.o capture_opts.o \
	capture_summary.o capture_explain.o capsink.o consumers.o pngsnap.o stopmsg.o \
	toollog.o toolopt.o provcheck.o kmod.o term.o)

$(TOOLS_DIR)/zcap-capture: $(ZCAP_CAPTURE_OBJS) $(LIBZCAP_DRM_A) $(LIBZCAP_A)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBZCAP_DRM_A) \
		$(LIBZCAP_A) $(PNG_LIBS) $(LIBZCAP_DRM_LIBS) $(LIBZCAP_LIBS)

ZCAP_INFO_OBJS := $(addprefix $(TOOLS_DIR)/,zcap-info.o info_devices.o info_text.o \
	info_json.o provcheck.o kmod.o toolopt.o)

$(TOOLS_DIR)/zcap-info: $(ZCAP_INFO_OBJS) $(LIBZCAP_A)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBZCAP_A) $(LIBZCAP_LIBS)

# The installed ones: the same objects, against the shared libraries (their
# SONAMEs become the DT_NEEDED entries).
$(TOOLS_DIST_DIR)/zcap-capture: $(ZCAP_CAPTURE_OBJS) $(BUILD)/lib/libzcap-drm.so \
		$(BUILD)/lib/libzcap.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) -L$(BUILD)/lib -lzcap-drm \
		-lzcap $(PNG_LIBS) $(LIBZCAP_DRM_LIBS) $(LIBZCAP_LIBS)

$(TOOLS_DIST_DIR)/zcap-info: $(ZCAP_INFO_OBJS) $(BUILD)/lib/libzcap.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) -L$(BUILD)/lib -lzcap \
		$(LIBZCAP_LIBS)

$(VMTESTS_DIR)/%.o: $(TOP)/tests/vm/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ZCAP_CFLAGS) -I$(TOP)/tools -I$(TOP)/tests/common -MMD -MP -c $< -o $@

$(VMTESTS_DIR)/zcap_stats.o: $(TOP)/tests/common/zcap_stats.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ZCAP_CFLAGS) -MMD -MP -c $< -o $@

$(VMTESTS_BINS): $(VMTESTS_DIR)/%: $(VMTESTS_DIR)/%.o $(VMTESTS_DIR)/zcap_stats.o $(LIBZCAP_A)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBZCAP_A) $(LIBZCAP_LIBS)

-include $(TOOLS_DIR)/*.d $(VMTESTS_DIR)/*.d

install-tools: $(TOOLS_DIST_BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(TOOLS_DIST_BINS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(TOOLS_MAN1) $(DESTDIR)$(MANDIR)/man1/
	$(if $(TOOLS_MAN7),install -d $(DESTDIR)$(MANDIR)/man7)
	$(if $(TOOLS_MAN7),install -m 0644 $(TOOLS_MAN7) $(DESTDIR)$(MANDIR)/man7/)
	$(if $(TOOLS_COMPLETION),install -D -m 0644 $(TOOLS_COMPLETION) \
		$(DESTDIR)$(BASHCOMPDIR)/zcap-capture)
	$(if $(TOOLS_COMPLETION),ln -sf zcap-capture $(DESTDIR)$(BASHCOMPDIR)/zcap-info)
	$(if $(TOOLS_COMPLETION),ln -sf zcap-capture $(DESTDIR)$(BASHCOMPDIR)/zcap-bench)

uninstall-tools:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(TOOLS_DIST_BINS))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(TOOLS_MAN1))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(TOOLS_MAN7))) \
		$(if $(TOOLS_COMPLETION),$(addprefix $(DESTDIR)$(BASHCOMPDIR)/,zcap-capture \
			zcap-info zcap-bench))

# The capture suite runs in every VM kernel; what it runs is built first.
VM_SUITES += tests/vm/suites/capture.sh
VM_PREREQS += vm-tests

# The man pages (a host test of `make check`): groff and man find nothing
# to warn about in Documentation/*.1 and *.7, and each tool's page names
# every long option its --help lists. One TAP line a page.
MAN_PAGES := $(sort $(wildcard $(TOP)/Documentation/*.1 $(TOP)/Documentation/*.7))

.PHONY: man-check
HOST_TESTS += man-check
man-check: $(TOOLS_BINS) $(BUILD)/tools/zcap-bench
	@mkdir -p $(BUILD)/results/host; \
	tap=$(BUILD)/results/host/man-check.tap; n=0; status=0; \
	printf 'TAP version 13\n1..%s\n' $(words $(MAN_PAGES)) >$$tap; \
	for p in $(MAN_PAGES); do \
		n=$$((n + 1)); page=$$(basename $$p); tool=$${page%.*}; \
		if ! command -v groff >/dev/null || ! command -v man >/dev/null; then \
			echo "ok $$n $$page # SKIP no groff or man here (make deps)" >>$$tap; continue; \
		fi; \
		warn=$$(LC_ALL=C.UTF-8 groff -man -ww -z $$p 2>&1; \
			LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l $$p 2>&1 >/dev/null); \
		missing=; \
		if [ -x $(BUILD)/tools/$$tool ]; then \
			for o in $$($(BUILD)/tools/$$tool --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do \
				grep -qF -- "$$(printf '%s' "$$o" | sed 's/-/\\-/g')" $$p || missing="$$missing $$o"; \
			done; \
		fi; \
		if [ -z "$$warn$$missing" ]; then \
			echo "ok $$n $$page: no warning$$([ -x $(BUILD)/tools/$$tool ] && echo ', every option of --help')" >>$$tap; \
		else \
			echo "not ok $$n $$page" >>$$tap; status=1; \
			printf '%s\n' "$$warn" | sed 's/^/# /' >>$$tap; \
			[ -z "$$missing" ] || echo "# options of --help not in the page:$$missing" >>$$tap; \
		fi; \
	done; \
	cat $$tap; exit $$status
