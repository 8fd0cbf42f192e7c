# SPDX-License-Identifier: GPL-2.0
#
# libzcap-drm, included by lib/lib.mk: the DRM sink (lib/drm/), the one part
# of the library that needs libdrm, as a library of its own:
# $(BUILD)/lib/libzcap-drm.so.$(LIBZCAP_VERSION) (SONAME libzcap-drm.so.0),
# libzcap-drm.a and zcap-drm.pc, with <zcap/drm.h>. Programs with a DRM sink
# link it, and so libdrm; libzcap.so has no DT_NEEDED on libdrm (`make
# lint-layers` checks).
#
# It uses libzcap's public API only; its version script exports zcap_drm_*
# and zcap_v4l2_to_drm_fourcc. The filter helpers it shares with libzcap's
# own filters (lib/core/filter_util.c, public API only themselves) are not
# exported by libzcap.so: the .so links a private copy. The archive leaves
# them to libzcap.a, which a static link of it includes anyway.
#
# For other fragments: LIBZCAP_DRM_A, LIBZCAP_DRM_LIBS (what a static link
# needs besides the two archives and LIBZCAP_LIBS), LIBZCAP_DRM_SRCS,
# LIBDRM_CFLAGS.

LIBZCAP_DRM_SONAME := libzcap-drm.so.0
LIBZCAP_DRM_SRCS := $(sort $(wildcard $(TOP)/lib/drm/*.c))
LIBZCAP_DRM_OBJS := $(patsubst $(TOP)/lib/%.c,$(BUILD)/lib/obj/%.o,$(LIBZCAP_DRM_SRCS))
LIBZCAP_DRM_PRIVATE := $(BUILD)/lib/obj/core/filter_util.o
LIBZCAP_DRM_SO := $(BUILD)/lib/libzcap-drm.so.$(LIBZCAP_VERSION)
LIBZCAP_DRM_A := $(BUILD)/lib/libzcap-drm.a
LIBZCAP_DRM_PC := $(BUILD)/lib/zcap-drm.pc
LIBZCAP_DRM_MAP := $(TOP)/lib/drm/libzcap-drm.map
LIBDRM_CFLAGS := $(shell pkg-config --cflags libdrm 2>/dev/null || echo -I/usr/include/libdrm)
LIBDRM_LIBS := $(shell pkg-config --libs libdrm 2>/dev/null || echo -ldrm)
LIBZCAP_DRM_LIBS := $(LIBDRM_LIBS)

.PHONY: lib-drm install-lib-drm uninstall-lib-drm
lib: lib-drm
lib-drm: $(LIBZCAP_DRM_SO) $(BUILD)/lib/libzcap-drm.so $(LIBZCAP_DRM_A) \
	$(LIBZCAP_DRM_PC)

$(BUILD)/lib/obj/drm/%.o: $(TOP)/lib/drm/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ZCAP_CFLAGS) $(LIBZCAP_CFLAGS) $(LIBDRM_CFLAGS) \
		-MMD -MP -c $< -o $@

-include $(LIBZCAP_DRM_OBJS:.o=.d)

# Against libzcap.so (its SONAME becomes our DT_NEEDED), -z defs as libzcap.
$(LIBZCAP_DRM_SO): $(LIBZCAP_DRM_OBJS) $(LIBZCAP_DRM_PRIVATE) \
		$(LIBZCAP_DRM_MAP) $(BUILD)/lib/libzcap.so
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(LIBZCAP_DRM_SONAME) \
		-Wl,--version-script=$(LIBZCAP_DRM_MAP) -Wl,-z,defs -Wl,-z,relro,-z,now \
		-o $@ $(LIBZCAP_DRM_OBJS) $(LIBZCAP_DRM_PRIVATE) \
		-L$(BUILD)/lib -lzcap $(LIBDRM_LIBS) -lpthread

$(BUILD)/lib/$(LIBZCAP_DRM_SONAME): $(LIBZCAP_DRM_SO)
	ln -sf $(notdir $<) $@

$(BUILD)/lib/libzcap-drm.so: $(BUILD)/lib/$(LIBZCAP_DRM_SONAME)
	ln -sf $(notdir $<) $@

$(LIBZCAP_DRM_A): $(LIBZCAP_DRM_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(LIBZCAP_DRM_PC): $(TOP)/lib/drm/zcap-drm.pc.in FORCE
	$(zcap_pc)

install-lib: install-lib-drm
install-lib-drm: lib-drm
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(LIBZCAP_DRM_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libzcap-drm.so.$(LIBZCAP_VERSION) $(DESTDIR)$(LIBDIR)/$(LIBZCAP_DRM_SONAME)
	ln -sf $(LIBZCAP_DRM_SONAME) $(DESTDIR)$(LIBDIR)/libzcap-drm.so
	install -m 0644 $(LIBZCAP_DRM_A) $(DESTDIR)$(LIBDIR)/
	install -m 0644 $(LIBZCAP_DRM_PC) $(DESTDIR)$(PKGCONFIGDIR)/zcap-drm.pc

uninstall-lib: uninstall-lib-drm
uninstall-lib-drm:
	rm -f $(DESTDIR)$(LIBDIR)/libzcap-drm.so.$(LIBZCAP_VERSION) \
		$(DESTDIR)$(LIBDIR)/$(LIBZCAP_DRM_SONAME) \
		$(DESTDIR)$(LIBDIR)/libzcap-drm.so $(DESTDIR)$(LIBDIR)/libzcap-drm.a \
		$(DESTDIR)$(PKGCONFIGDIR)/zcap-drm.pc
