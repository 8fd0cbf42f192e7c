#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: the whole benchmark in one boot (tests/bench/bench.mk).
# Leaves bench.txt (the table) and bench.csv in $ZCAP_RESULTS and shows
# the table as TAP comments.
# Under TCG the 4 sizes x 5 paths x (100 + 5) frames take a few minutes
# (vivid paces 3840x2160 at 15 fps); the timeout bounds a wedged run.
# zcap-vm-timeout: 1500

. "$ZCAP_TOP/tests/vm/tap.sh"
. "$ZCAP_TOP/tests/bench/setup.sh"

tap_plan 5
if ! bench_setup; then
	tap_fail "set up zcap.ko, vivid and vgem"
	tap_fail "zcap-bench"
	tap_fail "zcap-gst-bench"
	tap_fail "frame-cost"
	tap_fail "nothing leaked"
	bench_teardown
	tap_done
	exit 1
fi
tap_pass "zcap.ko, vivid ($BENCH_DEV) and vgem loaded"

start=$(date +%s)
"$BENCH" -d "$BENCH_DEV" --csv "$ZCAP_RESULTS/bench.csv" \
	>"$ZCAP_RESULTS/bench.txt" 2>"$ZCAP_RESULTS/bench.err"
rc=$?
if [ $rc -eq 0 ]; then
	tap_pass "zcap-bench: every path ran or is n/a on this kernel ($(($(date +%s) - start)) s)"
else
	tap_fail "zcap-bench exited with status $rc ($(($(date +%s) - start)) s)"
	tap_diag "$(cat "$ZCAP_RESULTS/bench.err")"
fi
tap_diag "$(cat "$ZCAP_RESULTS/bench.txt")"

# GStreamer's v4l2src beside zcapsrc, same device, size and frames
# (tests/bench/gst_bench.c); after zcap-bench, which leaves vivid's
# controls as it found them. 25 fps: the fastest 6.1's vivid offers at
# 640x480 (6.12's goes to 120), and what zcap-bench asks there on 6.1.
GST_PLUGIN_PATH=$ZCAP_BUILD/lib/gstreamer-1.0 LD_LIBRARY_PATH=$ZCAP_BUILD/lib \
	GST_REGISTRY=/tmp/gst-bench-registry.bin \
	"$ZCAP_BUILD/vm-tests/zcap-gst-bench" -d "$BENCH_DEV" -s 640x480 -f 25 -n 100 -w 10 -r 4 \
	>"$ZCAP_RESULTS/gst-bench.txt" 2>"$ZCAP_RESULTS/gst-bench.err"
rc=$?
if [ $rc -eq 0 ] && grep -q "^goal: " "$ZCAP_RESULTS/gst-bench.txt"; then
	tap_pass "zcap-gst-bench: v4l2src (mmap, dmabuf) and zcapsrc"
else
	tap_fail "zcap-gst-bench exited with status $rc"
	tap_diag "$(cat "$ZCAP_RESULTS/gst-bench.err")"
fi
tap_diag "$(cat "$ZCAP_RESULTS/gst-bench.txt")"

# libzcap's own cost per frame on a fake camera, hot and cold, against the
# bare loop (tests/bench/frame_cost.c): no driver in it, so it shows what
# the emulated CPU makes of the code alone.
if "$ZCAP_BUILD/bench/frame-cost" >"$ZCAP_RESULTS/frame-cost.txt" 2>&1; then
	tap_pass "frame-cost: both paths, hot and cold"
else
	tap_fail "frame-cost"
fi
tap_diag "$(cat "$ZCAP_RESULTS/frame-cost.txt")"
bench_leaks
bench_teardown
tap_done
