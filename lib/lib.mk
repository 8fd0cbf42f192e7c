# SPDX-License-Identifier: GPL-2.0
#
# libzcap: $(BUILD)/lib/libzcap.so.$(LIBZCAP_VERSION) (SONAME libzcap.so.0),
# libzcap.a and zcap.pc. Every lib/<layer>/*.c of the layers below is part of
# the library (Documentation/design.md, "Layers", says who may use whom;
# `make lint-layers` checks it). Exports are the version script's
# (lib/libzcap.map): zcap_* only. Objects go to $(BUILD)/lib/obj/<layer>/.
#
# The DRM sink (lib/drm/) is a library of its own, libzcap-drm, so that
# libzcap does not need libdrm: lib/drm/drm.mk. The GStreamer allocator
# library and plugin: lib/gst/gst.mk.
#
# For other fragments: LIBZCAP_SO, LIBZCAP_A, LIBZCAP_LIBS (what a static
# link needs besides the archive), LIBZCAP_SRCS, LIBZCAP_CFLAGS (what the
# library's own sources need besides ZCAP_CFLAGS).

# zcap's one version, the one zcap.ko is packaged under (dkms.conf), read
# as kernel/module.mk reads it: zcap_version()'s string, the library file's
# version (the SONAME stays libzcap.so.0) and the GStreamer plugin's.
ZCAP_PACKAGE_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="*\([^"]*\)"*$$/\1/p' $(TOP)/dkms.conf)
LIBZCAP_VERSION := $(ZCAP_PACKAGE_VERSION)
ZCAP_VERSION_CFLAGS := -DZCAP_PACKAGE_VERSION='"$(ZCAP_PACKAGE_VERSION)"'
LIBZCAP_SONAME := libzcap.so.0
# Debian's multiarch directory when dpkg-architecture (or gcc) knows it:
# /usr/local/lib/x86_64-linux-gnu is in the loader's path there as well.
ZCAP_MULTIARCH := $(or $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null),$(shell $(CC) -print-multiarch 2>/dev/null))
LIBDIR ?= $(PREFIX)/lib$(if $(ZCAP_MULTIARCH),/$(ZCAP_MULTIARCH))
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

LIBZCAP_LAYERS := core providers v4l2 filters dshow
LIBZCAP_SRCS := $(sort $(foreach l,$(LIBZCAP_LAYERS),$(wildcard $(TOP)/lib/$(l)/*.c)))
LIBZCAP_OBJS := $(patsubst $(TOP)/lib/%.c,$(BUILD)/lib/obj/%.o,$(LIBZCAP_SRCS))
LIBZCAP_SO := $(BUILD)/lib/libzcap.so.$(LIBZCAP_VERSION)
LIBZCAP_A := $(BUILD)/lib/libzcap.a
LIBZCAP_PC := $(BUILD)/lib/zcap.pc
# Across layers, sources include "<layer>/<file>.h" from lib/. No one may
# interpose the library's own functions on it (-fno-semantic-interposition):
# its calls to its exported accessors can then be inlined in libzcap.so too.
LIBZCAP_CFLAGS := -I$(TOP)/lib -fno-semantic-interposition
LIBZCAP_LIBS := -lpthread
LIBZCAP_MAP := $(TOP)/lib/libzcap.map

.PHONY: lib install-lib uninstall-lib
lib: $(LIBZCAP_SO) $(BUILD)/lib/libzcap.so $(LIBZCAP_A) $(LIBZCAP_PC)

$(BUILD)/lib/obj/%.o: $(TOP)/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ZCAP_CFLAGS) $(LIBZCAP_CFLAGS) -MMD -MP -c $< -o $@

-include $(LIBZCAP_OBJS:.o=.d)

$(BUILD)/lib/obj/core/version.o: $(TOP)/dkms.conf
$(BUILD)/lib/obj/core/version.o: LIBZCAP_CFLAGS += $(ZCAP_VERSION_CFLAGS)

# -z defs: a missing function is a link error here, not in a user's program.
$(LIBZCAP_SO): $(LIBZCAP_OBJS) $(LIBZCAP_MAP)
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(LIBZCAP_SONAME) \
		-Wl,--version-script=$(LIBZCAP_MAP) -Wl,-z,defs -Wl,-z,relro,-z,now \
		-o $@ $(LIBZCAP_OBJS) $(LIBZCAP_LIBS)

$(BUILD)/lib/$(LIBZCAP_SONAME): $(LIBZCAP_SO)
	ln -sf $(notdir $<) $@

$(BUILD)/lib/libzcap.so: $(BUILD)/lib/$(LIBZCAP_SONAME)
	ln -sf $(notdir $<) $@

$(LIBZCAP_A): $(LIBZCAP_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# A .pc from its template. Rebuilt when the install paths change, so a
# DESTDIR/PREFIX run never installs a stale prefix.
define zcap_pc
	@mkdir -p $(@D)
	@sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
		-e 's|@VERSION@|$(LIBZCAP_VERSION)|g' $< >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
endef

$(LIBZCAP_PC): $(TOP)/lib/zcap.pc.in FORCE
	$(zcap_pc)

.PHONY: FORCE
FORCE:

# The public headers install as <zcap/*.h>; the kernel ABI header as
# <zcap/linux-zcap.h>, so that it never shadows a distribution's
# <linux/zcap.h> once the kernel ships one.
install-lib: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/zcap \
		$(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(LIBZCAP_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libzcap.so.$(LIBZCAP_VERSION) $(DESTDIR)$(LIBDIR)/$(LIBZCAP_SONAME)
	ln -sf $(LIBZCAP_SONAME) $(DESTDIR)$(LIBDIR)/libzcap.so
	install -m 0644 $(LIBZCAP_A) $(DESTDIR)$(LIBDIR)/
	install -m 0644 $(TOP)/include/zcap/*.h $(DESTDIR)$(INCLUDEDIR)/zcap/
	install -m 0644 $(TOP)/include/uapi/linux/zcap.h \
		$(DESTDIR)$(INCLUDEDIR)/zcap/linux-zcap.h
	install -m 0644 $(LIBZCAP_PC) $(DESTDIR)$(PKGCONFIGDIR)/zcap.pc

uninstall-lib:
	rm -f $(DESTDIR)$(LIBDIR)/libzcap.so.$(LIBZCAP_VERSION) \
		$(DESTDIR)$(LIBDIR)/$(LIBZCAP_SONAME) \
		$(DESTDIR)$(LIBDIR)/libzcap.so $(DESTDIR)$(LIBDIR)/libzcap.a \
		$(DESTDIR)$(PKGCONFIGDIR)/zcap.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/zcap

# Other fragments add their own install-* and uninstall-* prerequisites the
# same way; the top-level Makefile runs ldconfig after both.
install: install-lib
uninstall: uninstall-lib

include $(TOP)/lib/drm/drm.mk
include $(TOP)/lib/gst/gst.mk

# The layers of lib/ (Documentation/design.md, "Layers"): includes,
# symbols between the objects (libzcap-drm's and the GStreamer parts' too),
# cycles; and libzcap.so needs neither libdrm nor GStreamer. `make lint` runs it first, `make check` as a host test
# (one TAP line, the findings as diagnostics).
LINT_LAYERS_ARGS = -n $(LIBZCAP_SO):libdrm -n $(LIBZCAP_SO):libgst \
	$(LIBZCAP_OBJS) $(LIBZCAP_DRM_OBJS) $(GST_ALL_OBJS)

.PHONY: lint-layers lint-layers-tap
lint-layers: $(LIBZCAP_OBJS) $(LIBZCAP_DRM_OBJS) $(GST_ALL_OBJS) $(LIBZCAP_SO)
	@$(TOP)/scripts/check-layers.sh $(LINT_LAYERS_ARGS)

HOST_TESTS += lint-layers-tap
lint-layers-tap:
	@mkdir -p $(BUILD)/results/host; \
	tap=$(BUILD)/results/host/lint-layers.tap; \
	log=$(BUILD)/results/host/lint-layers.log; \
	printf 'TAP version 13\n1..1\n' >$$tap; \
	if $(MAKE) --no-print-directory lint-layers >$$log 2>&1; then \
		echo "ok 1 lib/ keeps to its layers (scripts/check-layers.sh)" >>$$tap; \
		status=0; \
	else \
		echo "not ok 1 lib/ breaks its layers (see lint-layers.log)" >>$$tap; \
		sed 's/^/# /' $$log | tail -40 >>$$tap; \
		status=1; \
	fi; \
	cat $$tap; exit $$status
