# SPDX-License-Identifier: GPL-2.0
#
# The GStreamer plugin's VM suite (tests/vm/suites/gst.sh), its helper
# $(BUILD)/vm-tests/gst_check (what gst-launch-1.0 cannot show: buffers
# held past NULL, renegotiation, the allocator on its own). Linked to the
# build's shared libzcap and libzcap-gst, found through LD_LIBRARY_PATH.
#
# Also a host test of the plugin's own, run with the unit tests (`make
# unit`, tests/unit/unit.mk, with their sanitizers): test_gst_caps, the
# caps of a fake camera (lib/gst/src_caps.c).

ifeq ($(HAVE_GST),1)
GST_CHECK := $(BUILD)/vm-tests/gst_check

$(GST_CHECK): $(TOP)/tests/gst/gst_check.c $(TOP)/tests/common/zcap_stats.c \
		$(BUILD)/lib/libzcap-gst.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ZCAP_CFLAGS) $(GST_CFLAGS) -I$(TOP)/tests/common \
		$(shell pkg-config --cflags gstreamer-app-1.0) -o $@ $(filter %.c,$^) \
		-L$(BUILD)/lib -lzcap-gst -lzcap $(GST_LIBS) \
		$(shell pkg-config --libs gstreamer-app-1.0)

# The GStreamer peer of `make bench` (tests/bench/gst_bench.c): it defines
# poll and ppoll, exported so that GStreamer's calls reach them. Linked to
# libzcap for its DQBUF+QBUF path, which captures into libzcap's dma-bufs.
GST_BENCH := $(BUILD)/vm-tests/zcap-gst-bench
$(GST_BENCH): $(TOP)/tests/bench/gst_bench.c $(TOP)/tests/bench/median.h \
		$(BUILD)/lib/libzcap.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ZCAP_CFLAGS) $(GST_CFLAGS) -rdynamic -o $@ $< \
		-L$(BUILD)/lib -lzcap $(GST_LIBS) -ldl

.PHONY: gst-tests
gst-tests: $(GST_CHECK) $(GST_BENCH) lib-gst
VM_PREREQS += gst-tests
BENCH_PREREQS += gst-tests
VM_SUITES += tests/vm/suites/gst.sh

# src_caps.c's object is unit.mk's ($(UNIT_DIR)/gst/%.o); the test
# interposes ioctl() (tests/unit/fake_v4l2.h).
UNIT_GST_CAPS := $(UNIT_DIR)/test_gst_caps
$(UNIT_GST_CAPS): $(TOP)/tests/gst/test_gst_caps.c $(UNIT_DIR)/gst/src_caps.o
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) $(GST_CFLAGS) -I$(TOP)/tests/unit -MMD -MP $< -o $@ \
		$(UNIT_DIR)/gst/src_caps.o $(GST_LIBS)
-include $(UNIT_GST_CAPS).d $(UNIT_DIR)/gst/src_caps.d
unit-build: $(UNIT_GST_CAPS)
UNIT_BINS += $(UNIT_GST_CAPS)
endif
