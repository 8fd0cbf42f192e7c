# SPDX-License-Identifier: GPL-2.0
#
# The GStreamer plugin's VM suite (tests/vm/suites/gst.sh), its helper
# $(BUILD)/vm-tests/gst_check (what gst-launch-1.0 cannot show: buffers
# held past NULL, renegotiation, the allocator on its own). Linked to the
# build's shared libzcap and libzcap-gst, found through LD_LIBRARY_PATH.

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
endif
