# SPDX-License-Identifier: GPL-2.0
#
# Host unit tests of libzcap (no kernel module needed). The library's
# sources are compiled again with ASan and UBSan into $(BUILD)/unit/, each
# tests/unit/test_*.c links against them (internals included, through
# lib/core/zcap_internal.h), and run-tap merges their TAP into
# $(BUILD)/results/host/unit.tap. Any failure, crash or sanitizer report
# fails the target.
#
# Also the VM test of the dma-buf providers: $(BUILD)/vm-tests/lib_providers,
# run by tests/vm/suites/lib-providers.sh.

UNIT_DIR := $(BUILD)/unit
UNIT_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
UNIT_CFLAGS := -O1 -g $(UNIT_SAN) $(ZCAP_CFLAGS) $(LIBZCAP_CFLAGS) -I$(TOP)/lib \
	$(LIBDRM_CFLAGS)
# libzcap and libzcap-drm in one archive: the tests reach into both.
UNIT_LIB_OBJS := $(patsubst $(TOP)/lib/%.c,$(UNIT_DIR)/lib/%.o,\
	$(LIBZCAP_SRCS) $(LIBZCAP_DRM_SRCS))
UNIT_LIBS := $(LIBZCAP_DRM_LIBS) $(LIBZCAP_LIBS)
UNIT_LIB := $(UNIT_DIR)/libzcap-san.a
UNIT_SRCS := $(sort $(wildcard $(TOP)/tests/unit/test_*.c))
UNIT_BINS := $(patsubst $(TOP)/tests/unit/%.c,$(UNIT_DIR)/%,$(UNIT_SRCS))
UNIT_TAP := $(BUILD)/results/host/unit.tap

$(UNIT_DIR)/lib/%.o: $(TOP)/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -MMD -MP -c $< -o $@

# zcap_version()'s string (lib/lib.mk), and the file the test reads it from.
$(UNIT_DIR)/lib/core/version.o: $(TOP)/dkms.conf
$(UNIT_DIR)/lib/core/version.o: UNIT_CFLAGS += $(ZCAP_VERSION_CFLAGS)
$(UNIT_DIR)/test_version: UNIT_CFLAGS += -DZCAP_DKMS_CONF='"$(TOP)/dkms.conf"'

$(UNIT_LIB): $(UNIT_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(UNIT_DIR)/test_%: $(TOP)/tests/unit/test_%.c $(UNIT_LIB)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -MMD -MP $< -o $@ $(UNIT_LIB) $(UNIT_LIBS)

-include $(UNIT_LIB_OBJS:.o=.d) $(UNIT_BINS:=.d)

# zcap-capture's own parts (tools/), for the tests of them: built with the
# same sanitizers, linked with libpng.
UNIT_TOOL_OBJS := $(addprefix $(UNIT_DIR)/tools/,capsink.o capture_opts.o pngsnap.o stopmsg.o \
	toollog.o toolopt.o kmod.o provcheck.o info_devices.o info_text.o info_json.o \
	capture_explain.o term.o)
UNIT_TOOL_TESTS := $(addprefix $(UNIT_DIR)/,test_capsink test_capture_opts test_stopmsg test_toollog \
	test_info test_toolopt test_capture_explain)

$(UNIT_DIR)/tools/%.o: $(TOP)/tools/%.c
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) $(PNG_CFLAGS) -MMD -MP -c $< -o $@

$(UNIT_TOOL_TESTS): $(UNIT_DIR)/%: $(TOP)/tests/unit/%.c $(UNIT_TOOL_OBJS) $(UNIT_LIB)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) $(PNG_CFLAGS) -I$(TOP)/tools -MMD -MP $< -o $@ \
		$(UNIT_TOOL_OBJS) $(UNIT_LIB) $(PNG_LIBS) $(UNIT_LIBS)

-include $(UNIT_TOOL_OBJS:.o=.d)

# zcap-bench's option parsing: its own objects, the path table with it,
# and bench_hooks.c as installed (no wrappers).
UNIT_BENCH_OPTS_OBJS := $(addprefix $(UNIT_DIR)/tools/,bench_opts.o bench_figures.o bench_kernel.o \
	bench_hooks-nohooks.o toolopt.o)
$(UNIT_DIR)/tools/bench_hooks-nohooks.o: $(TOP)/tools/bench_hooks.c
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -DZCAP_BENCH_NO_HOOKS -MMD -MP -c $< -o $@
$(UNIT_DIR)/test_bench_opts: $(TOP)/tests/unit/test_bench_opts.c $(UNIT_BENCH_OPTS_OBJS) $(UNIT_LIB)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -I$(TOP)/tools -MMD -MP $< -o $@ \
		$(UNIT_BENCH_OPTS_OBJS) $(UNIT_LIB) $(UNIT_LIBS)

# zcapsrc's buffers (lib/gst/src_buffer.c and the GstZcapAllocator it
# wraps samples with), built with the same sanitizers against GStreamer.
# Without GStreamer's development files (no plugin either) the test is
# not built.
ifeq ($(HAVE_GST),1)
UNIT_GST_OBJS := $(addprefix $(UNIT_DIR)/gst/,src_buffer.o allocator.o)
$(UNIT_DIR)/gst/%.o: $(TOP)/lib/gst/%.c
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) $(GST_CFLAGS) -MMD -MP -c $< -o $@
$(UNIT_DIR)/test_gst_buffer: $(TOP)/tests/unit/test_gst_buffer.c $(UNIT_GST_OBJS) $(UNIT_LIB)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) $(GST_CFLAGS) -MMD -MP $< -o $@ \
		$(UNIT_GST_OBJS) $(UNIT_LIB) $(GST_LIBS) $(UNIT_LIBS)
-include $(UNIT_GST_OBJS:.o=.d)
else
UNIT_BINS := $(filter-out $(UNIT_DIR)/test_gst_buffer,$(UNIT_BINS))
endif

.PHONY: unit unit-build
unit-build: $(UNIT_BINS)

# detect_leaks: LeakSanitizer runs at exit, a leak fails the test.
unit: unit-build
	@mkdir -p $(dir $(UNIT_TAP))
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(TOP)/tests/unit/run-tap $(UNIT_TAP) $(UNIT_BINS)

HOST_TESTS += unit

# The tests whose library code runs in more than one thread (streaming
# threads, recyclers from sinks' threads, waits for free buffers), again
# under ThreadSanitizer: a data race or a lock-order inversion between the
# allocator's and a queue's locks fails them. ASan and TSan do not mix:
# the library is built a second time, with its own tree under
# $(BUILD)/tsan.
UNIT_TSAN_TESTS := allocator graph m2m_encoder outq sink tee v4l2_queue \
	v4l2_source v4l2_unplug
UNIT_TSAN_DIR := $(BUILD)/tsan/unit
UNIT_TSAN_BINS := $(addprefix $(UNIT_TSAN_DIR)/test_,$(UNIT_TSAN_TESTS))

.PHONY: unit-tsan
unit-tsan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/tsan \
		UNIT_SAN="-fsanitize=thread -fno-omit-frame-pointer" $(UNIT_TSAN_BINS)
	@mkdir -p $(BUILD)/results/host
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		$(TOP)/tests/unit/run-tap $(BUILD)/results/host/unit-tsan.tap $(UNIT_TSAN_BINS)

HOST_TESTS += unit-tsan

# ---------------------------------------------------------------------
# VM test of the dma-buf providers, linked statically against libzcap.a
# so that the guest runs exactly this build.
VM_TESTS_DIR := $(BUILD)/vm-tests
LIB_PROVIDERS_TEST := $(VM_TESTS_DIR)/lib_providers

$(LIB_PROVIDERS_TEST): $(TOP)/tests/vm/lib_providers.c \
		$(TOP)/tests/common/zcap_stats.c $(LIBZCAP_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ZCAP_CFLAGS) -I$(TOP)/tests/unit -I$(TOP)/tests/common \
		-MMD -MP $(filter %.c,$^) -o $@ $(LIBZCAP_A) $(LIBZCAP_LIBS)

-include $(LIB_PROVIDERS_TEST).d

.PHONY: lib-providers-test
lib-providers-test: $(LIB_PROVIDERS_TEST)
VM_PREREQS += lib-providers-test
VM_SUITES += tests/vm/suites/lib-providers.sh
