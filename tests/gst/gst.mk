# SPDX-License-Identifier: GPL-2.0
#
# The GStreamer plugin's VM suite (tests/vm/suites/gst.sh) and its helper
# $(BUILD)/vm-tests/gst_check (what gst-launch-1.0 cannot show: buffers
# held past NULL, renegotiation, the allocator on its own). Linked to the
# build's shared libzcap and libzcap-gst, found through LD_LIBRARY_PATH.

ifeq ($(HAVE_GST),1)
GST_CHECK := $(BUILD)/vm-tests/gst_check

$(GST_CHECK): $(TOP)/tests/gst/gst_check.c $(BUILD)/lib/libzcap-gst.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ZCAP_CFLAGS) $(GST_CFLAGS) \
		$(shell pkg-config --cflags gstreamer-app-1.0) -o $@ $< \
		-L$(BUILD)/lib -lzcap-gst -lzcap $(GST_LIBS) \
		$(shell pkg-config --libs gstreamer-app-1.0)

.PHONY: gst-tests
gst-tests: $(GST_CHECK) lib-gst
VM_PREREQS += gst-tests
VM_SUITES += tests/vm/suites/gst.sh
endif
