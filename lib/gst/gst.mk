# SPDX-License-Identifier: GPL-2.0
#
# The GStreamer parts, included by lib/lib.mk when pkg-config finds
# GStreamer's development files (`make deps` installs them):
#   libzcap-gst   the GstZcapAllocator of <zcap/gst.h> (lib/gst/allocator.c),
#                 a library of its own (SONAME libzcap-gst.so.0, zcap-gst.pc)
#                 so that applications can use zcap memory directly;
#   libgstzcap.so the plugin: zcapsrc and zcappool (every other lib/gst/*.c),
#                 installed to GStreamer's plugin directory (GST_PLUGINDIR).
# Both use libzcap's public API only.
#
# For other fragments: LIBGSTZCAP_SO (the plugin), GST_ALL_OBJS (for the
# layer check), GST_PLUGIN_BUILD_DIR
# (what GST_PLUGIN_PATH names to find it uninstalled), HAVE_GST.

GST_PKGS := gstreamer-1.0 gstreamer-base-1.0 gstreamer-video-1.0 \
	gstreamer-allocators-1.0
HAVE_GST := $(shell pkg-config --exists $(GST_PKGS) 2>/dev/null && echo 1)

ifeq ($(HAVE_GST),1)
GST_CFLAGS := $(shell pkg-config --cflags $(GST_PKGS))
GST_LIBS := $(shell pkg-config --libs $(GST_PKGS))
GST_PLUGINDIR ?= $(shell pkg-config --variable=pluginsdir gstreamer-1.0)

LIBZCAP_GST_SONAME := libzcap-gst.so.0
LIBZCAP_GST_SRCS := $(TOP)/lib/gst/allocator.c
LIBZCAP_GST_OBJS := $(BUILD)/lib/obj/gst/allocator.o
LIBZCAP_GST_SO := $(BUILD)/lib/libzcap-gst.so.$(LIBZCAP_VERSION)
LIBZCAP_GST_PC := $(BUILD)/lib/zcap-gst.pc
LIBZCAP_GST_MAP := $(TOP)/lib/gst/libzcap-gst.map

GST_PLUGIN_SRCS := $(filter-out $(LIBZCAP_GST_SRCS),$(sort $(wildcard $(TOP)/lib/gst/*.c)))
GST_PLUGIN_OBJS := $(patsubst $(TOP)/lib/%.c,$(BUILD)/lib/obj/%.o,$(GST_PLUGIN_SRCS))
GST_ALL_OBJS := $(LIBZCAP_GST_OBJS) $(GST_PLUGIN_OBJS)
GST_PLUGIN_BUILD_DIR := $(BUILD)/lib/gstreamer-1.0
LIBGSTZCAP_SO := $(GST_PLUGIN_BUILD_DIR)/libgstzcap.so

.PHONY: lib-gst install-lib-gst uninstall-lib-gst
lib: lib-gst
lib-gst: $(LIBZCAP_GST_SO) $(BUILD)/lib/libzcap-gst.so $(LIBZCAP_GST_PC) \
	$(LIBGSTZCAP_SO)

$(BUILD)/lib/obj/gst/%.o: $(TOP)/lib/gst/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ZCAP_CFLAGS) $(GST_CFLAGS) \
		-DZCAP_GST_VERSION='"$(LIBZCAP_VERSION)"' -MMD -MP -c $< -o $@

-include $(LIBZCAP_GST_OBJS:.o=.d) $(GST_PLUGIN_OBJS:.o=.d)

$(LIBZCAP_GST_SO): $(LIBZCAP_GST_OBJS) $(LIBZCAP_GST_MAP) $(BUILD)/lib/libzcap.so
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(LIBZCAP_GST_SONAME) \
		-Wl,--version-script=$(LIBZCAP_GST_MAP) -Wl,-z,defs -Wl,-z,relro,-z,now \
		-o $@ $(LIBZCAP_GST_OBJS) -L$(BUILD)/lib -lzcap $(GST_LIBS)

$(BUILD)/lib/$(LIBZCAP_GST_SONAME): $(LIBZCAP_GST_SO)
	ln -sf $(notdir $<) $@

$(BUILD)/lib/libzcap-gst.so: $(BUILD)/lib/$(LIBZCAP_GST_SONAME)
	ln -sf $(notdir $<) $@

$(LIBZCAP_GST_PC): $(TOP)/lib/gst/zcap-gst.pc.in FORCE
	$(zcap_pc)

# The plugin exports only gst_plugin_zcap_get_desc (GST_PLUGIN_DEFINE).
$(LIBGSTZCAP_SO): $(GST_PLUGIN_OBJS) $(TOP)/lib/gst/plugin.map \
		$(BUILD)/lib/libzcap-gst.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -shared -Wl,-z,defs -Wl,-z,relro,-z,now \
		-Wl,--version-script=$(TOP)/lib/gst/plugin.map -o $@ $(GST_PLUGIN_OBJS) \
		-L$(BUILD)/lib -lzcap-gst -lzcap $(GST_LIBS)

install-lib: install-lib-gst
install-lib-gst: lib-gst
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(GST_PLUGINDIR) $(DESTDIR)$(INCLUDEDIR)/zcap
	install -m 0755 $(LIBZCAP_GST_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libzcap-gst.so.$(LIBZCAP_VERSION) $(DESTDIR)$(LIBDIR)/$(LIBZCAP_GST_SONAME)
	ln -sf $(LIBZCAP_GST_SONAME) $(DESTDIR)$(LIBDIR)/libzcap-gst.so
	install -m 0644 $(LIBZCAP_GST_PC) $(DESTDIR)$(PKGCONFIGDIR)/zcap-gst.pc
	install -m 0755 $(LIBGSTZCAP_SO) $(DESTDIR)$(GST_PLUGINDIR)/

uninstall-lib: uninstall-lib-gst
uninstall-lib-gst:
	rm -f $(DESTDIR)$(LIBDIR)/libzcap-gst.so.$(LIBZCAP_VERSION) \
		$(DESTDIR)$(LIBDIR)/$(LIBZCAP_GST_SONAME) \
		$(DESTDIR)$(LIBDIR)/libzcap-gst.so \
		$(DESTDIR)$(PKGCONFIGDIR)/zcap-gst.pc \
		$(DESTDIR)$(GST_PLUGINDIR)/libgstzcap.so
else
lib-gst:
	@echo "lib-gst: GStreamer development files not found; run make deps" >&2
	@false
endif
