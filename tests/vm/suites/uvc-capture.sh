#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# zcap-vm-timeout: 480
#
# zcap on a real camera driver: the emulated USB camera
# (tests/vm/uvc-gadget.sh) through uvcvideo, captured by zcap-capture and
# by the library (capture_test) into zcap.ko's dma-bufs.
#  - YUYV and MJPEG at 640x480 and 1280x720: every frame intact and in
#    order (tests/vm/uvc_check: the camera's pattern byte for byte, MJPEG as
#    whole JPEGs that decode), 0 bytes copied by libzcap, the drops the
#    summary counts equal to the gaps in the camera's frame numbers;
#  - the same bytes as v4l2-ctl's capture of the same stream;
#  - GStreamer: zcapsrc into filesink, YUYV and MJPEG, every frame intact;
#  - the dma-bufs mapped once per buffer (uvcvideo imports through vmap:
#    debugfs vmap_calls stop growing after the first round);
#  - frame-interval negotiation (--fps reaches the camera's commit);
#  - a stream stopped and restarted in one process;
#  - the camera unplugged mid-stream: zcap-capture exits 1 with
#    "capture stopped: device disconnected", frames written whole,
#    everything freed; replugged: a new capture works;
#  - a camera that stops sending: the stall timeout says so.

. "$ZCAP_TOP/tests/vm/tap.sh"
. "$ZCAP_TOP/tests/vm/uvc-gadget.sh"

capture=$ZCAP_BUILD/tools/zcap-capture
ct=$ZCAP_BUILD/vm-tests/capture_test
check=$ZCAP_BUILD/vm-tests/uvc_check
stats=/sys/kernel/debug/zcap/stats
out=$ZCAP_RESULTS
# Frames go to the guest's tmpfs (9p cannot write from a dma-buf mapping).
tmp=$(mktemp -d /tmp/uvc-capture.XXXXXX)

tap_plan 24

# summary NAME KEY: the rest of zcap-capture's summary line "KEY: ...".
summary() {
	sed -n "s/^$2: *//p" "$out/$1.txt" | head -n 1
}

# dropped NAME: the drops on zcap-capture's "frames:" line.
dropped() {
	summary "$1" frames | sed -n 's/.* written, \([0-9]*\) dropped.*/\1/p'
}

# gaps RESULT: gaps=G of uvc_check's line.
gaps() {
	echo "$1" | sed -n 's/.*gaps=\([0-9]*\).*/\1/p'
}

gauges_zero() {
	local left
	left=$(gauges_left "$stats" 2>/dev/null)
	[ -r "$stats" ] && [ -z "$left" ]
}

# zc_capture FMT WxH N: zcap-capture N frames to $tmp/FMT-WxH.raw through
# zcap.ko; one test: exit 0, every frame intact, 0 bytes copied, the
# drops counted as the gaps in the camera's frame numbers.
zc_capture() {
	local fmt=$1 size=$2 n=$3 name="zc-$1-$2" rc res crc d g
	"$capture" -d "$cam" -f "$fmt" -s "$size" -n "$n" --provider zcap \
		-o "$tmp/$name.raw" >"$out/$name.txt" 2>&1
	rc=$?
	res=$("$check" --format "$fmt" --size "$size" --expect "$n" "$tmp/$name.raw" \
		2>"$out/$name.check")
	crc=$?
	d=$(dropped "$name")
	g=$(gaps "$res")
	if [ $rc -eq 0 ] && [ $crc -eq 0 ] &&
		summary "$name" copied | grep -q '^0 bytes by the CPU (zero copy)' &&
		summary "$name" provider | grep -q 'zcap' &&
		[ -n "$d" ] && [ "$d" = "$g" ]; then
		tap_pass "zcap-capture $fmt $size: $n frames intact and in order, 0 bytes copied, $d dropped = $g gaps ($res)"
		tap_diag "$(summary "$name" frames)"
	else
		tap_fail "zcap-capture $fmt $size: $n frames intact and in order, 0 bytes copied, drops = gaps"
		tap_diag "exit $rc, check $crc: $res; dropped '$d', gaps '$g'" \
			"$(cat "$out/$name.txt")" "$(head -n 10 "$out/$name.check")"
		cp "$tmp/$name.raw" "$out/" 2>/dev/null
	fi
}

insmod_zcap "$out"

if cam=$(uvc_setup); then
	tap_pass "the emulated USB camera is up under uvcvideo ($cam)"
else
	tap_fail "the emulated USB camera is up under uvcvideo"
	tap_diag "$(tail -n 30 "$out/uvc_gadget.log" 2>&1)"
	uvc_teardown
	exit 1
fi

# Few frames each: TCG moves ~25 MB/s over the emulated bus.
zc_capture YUYV 640x480 15
zc_capture YUYV 1280x720 6
zc_capture MJPEG 640x480 15
zc_capture MJPEG 1280x720 10

# Drops, forced: the reader of zcap-capture's pipe starts late, so its
# writes block, every buffer waits, and uvcvideo loses frames (its
# sequence numbers jump). The summary's drops must be the gaps in the
# camera's frame numbers.
"$capture" -d "$cam" -f YUYV -s 640x480 -n 20 --provider zcap -o - 2>"$out/zc-drops.txt" |
	{ sleep 3; cat >"$tmp/drops.raw"; }
rc=${PIPESTATUS[0]}
res=$("$check" --format YUYV --size 640x480 --expect 20 "$tmp/drops.raw" 2>&1)
crc=$?
d=$(dropped zc-drops)
g=$(gaps "$res")
if [ "$rc" -eq 0 ] && [ $crc -eq 0 ] && [ -n "$d" ] && [ "$d" -gt 0 ] && [ "$d" = "$g" ]; then
	tap_pass "a reader 3 s late: $d frames dropped, the same as the gaps in the frame numbers ($res)"
else
	tap_fail "a reader 3 s late: frames dropped, the same as the gaps in the frame numbers"
	tap_diag "exit $rc, check $crc: $res; dropped '$d', gaps '$g'" "$(cat "$out/zc-drops.txt")"
fi
rm -f "$tmp/drops.raw"

# --png encodes the first frame off the capture's thread: the frames are
# all written, the PNG is the camera's first frame's size.
"$capture" -d "$cam" -f YUYV -s 640x480 -n 30 --provider zcap --png "$tmp/first.png" \
	-o "$tmp/png.raw" >"$out/zc-png.txt" 2>&1
rc=$?
res=$("$check" --format YUYV --size 640x480 --expect 30 "$tmp/png.raw" 2>&1)
crc=$?
d=$(dropped zc-png)
if [ $rc -eq 0 ] && [ $crc -eq 0 ] && [ "$d" = "$(gaps "$res")" ] &&
	file "$tmp/first.png" | grep -q 'PNG image data, 640 x 480' &&
	grep -q '^png: .*(640x480)' "$out/zc-png.txt"; then
	tap_pass "--png: a 640x480 PNG, 30 frames intact alongside, $d dropped ($res)"
else
	tap_fail "--png: a 640x480 PNG, 30 frames intact alongside"
	tap_diag "exit $rc, check $crc: $res" "$(file "$tmp/first.png")" "$(cat "$out/zc-png.txt")"
fi
rm -f "$tmp/png.raw" "$tmp/first.png"

# The same stream through v4l2-ctl: each stream starts at frame 0, so
# without drops the two files are the same bytes.
v4l2-ctl -d "$cam" --set-fmt-video=width=640,height=480,pixelformat=MJPG \
	--stream-mmap --stream-count=15 --stream-to="$tmp/v4l2-ctl.raw" >"$out/v4l2-ctl.txt" 2>&1
vres=$("$check" --format MJPEG --size 640x480 --expect 15 "$tmp/v4l2-ctl.raw" 2>&1) || vres=bad
zres=$("$check" --format MJPEG --size 640x480 --expect 15 "$tmp/zc-MJPEG-640x480.raw" 2>&1) || zres=bad
vg=$(gaps "$vres")
zg=$(gaps "$zres")
if [ "$vg" = 0 ] && [ "$zg" = 0 ] &&
	cmp -s "$tmp/v4l2-ctl.raw" "$tmp/zc-MJPEG-640x480.raw"; then
	tap_pass "MJPEG 640x480: zcap-capture's file is v4l2-ctl's, byte for byte ($(stat -c %s "$tmp/v4l2-ctl.raw") bytes)"
elif [ -n "$vg" ] && [ -n "$zg" ] && [ "$vg$zg" != 00 ]; then
	# Both checked frame by frame; a dropped frame shifts one of them.
	tap_pass "MJPEG 640x480: zcap-capture and v4l2-ctl both byte-exact (a drop: not compared whole)"
	tap_diag "v4l2-ctl: $vres" "zcap-capture: $zres"
else
	tap_fail "MJPEG 640x480: zcap-capture's file is v4l2-ctl's, byte for byte"
	tap_diag "$(cmp "$tmp/v4l2-ctl.raw" "$tmp/zc-MJPEG-640x480.raw" 2>&1)" "$vres" "$zres"
	cp "$tmp/v4l2-ctl.raw" "$tmp/zc-MJPEG-640x480.raw" "$out/" 2>/dev/null
fi
rm -f "$tmp"/*.raw

# The library: two runs in one process (stop, then stream again); the
# dma-bufs mapped once per buffer: uvcvideo vmaps them at the first queue
# and keeps the mapping, so vmap_calls stop growing after the first round.
"$ct" -d "$cam" -f YUYV -s 640x480 -p zcap -n 12 --runs 2 >"$out/ct-runs.out" 2>&1
vr=$(ct_field ct-runs vmaps_round)
ve=$(ct_field ct-runs vmaps_end)
if grep -q '^result ok' "$out/ct-runs.out" && [ "$(ct_field ct-runs copied)" = 0 ] &&
	[ "$(grep -c '^run ' "$out/ct-runs.out")" = 2 ] &&
	[ -n "$vr" ] && [ "$vr" -gt 0 ] && [ "$vr" = "$ve" ]; then
	tap_pass "library: run, stop, run again in one process; 0 bytes copied; vmap_calls $vr after the first round, $ve at the end"
else
	tap_fail "library: run, stop, run again; 0 bytes copied; vmaps stop growing"
	tap_diag "$(cat "$out/ct-runs.out")"
fi

# The library (capture_test, the library's file sink) at every format and
# size: each frame intact and in order (a compressed one as its bytes
# used: whole JPEGs), 0 bytes copied.
ct_capture() {
	local fmt=$1 size=$2 n=$3 name="ct-$1-$2" res crc
	"$ct" -d "$cam" -f "$(uvc_fourcc "$fmt")" -s "$size" -p zcap -n "$n" --sink file \
		-o "$tmp/$name.raw" >"$out/$name.out" 2>&1
	res=$("$check" --format "$fmt" --size "$size" --expect "$n" "$tmp/$name.raw" 2>&1)
	crc=$?
	if grep -q '^result ok' "$out/$name.out" && [ $crc -eq 0 ] &&
		[ "$(ct_field "$name" copied)" = 0 ]; then
		tap_pass "library: $fmt $size to a file, $n frames intact and in order, 0 bytes copied ($res)"
	else
		tap_fail "library: $fmt $size to a file, $n frames intact and in order, 0 bytes copied"
		tap_diag "check $crc: $res" "$(cat "$out/$name.out")"
		cp "$tmp/$name.raw" "$out/" 2>/dev/null
	fi
	rm -f "$tmp/$name.raw"
}

ct_capture YUYV 640x480 10
ct_capture YUYV 1280x720 5
ct_capture MJPEG 640x480 10
ct_capture MJPEG 1280x720 8

# GStreamer on the real driver: zcapsrc into filesink, each buffer one
# frame in zcap.ko's dma-bufs (an MJPEG one exactly its bytes used, so
# zcapsrc's buffers, kept from frame to frame, are sized anew for every
# JPEG): every frame intact and in order, nothing from zcap in
# GStreamer's log at WARNING or above.
gst_capture() {
	local fmt=$1 size=$2 n=$3 caps name="gst-$1-$2" rc res crc bad
	if [ ! -e "$ZCAP_BUILD/lib/gstreamer-1.0/libgstzcap.so" ] ||
		! command -v gst-launch-1.0 >/dev/null; then
		tap_skip "zcapsrc $fmt $size" "no GStreamer plugin in this build"
		return
	fi
	caps="video/x-raw,format=YUY2,width=${size%x*},height=${size#*x}"
	[ "$fmt" = MJPEG ] && caps="image/jpeg,width=${size%x*},height=${size#*x}"
	GST_PLUGIN_PATH=$ZCAP_BUILD/lib/gstreamer-1.0 LD_LIBRARY_PATH=$ZCAP_BUILD/lib \
		GST_REGISTRY=$tmp/registry.bin GST_DEBUG='*:2,zcap*:4' \
		GST_DEBUG_FILE=$out/$name.gstlog GST_DEBUG_NO_COLOR=1 \
		timeout 180 gst-launch-1.0 zcapsrc device="$cam" provider=zcap num-buffers="$n" ! \
		"$caps" ! filesink location="$tmp/$name.raw" >"$out/$name.out" 2>&1
	rc=$?
	res=$("$check" --format "$fmt" --size "$size" --expect "$n" "$tmp/$name.raw" 2>&1)
	crc=$?
	bad=$(grep -hE ' (WARN|ERROR|FIXME) +(zcap|zcapallocator) |<zcapsrc[0-9]*>.* (WARN|ERROR) |CRITICAL' \
		"$out/$name.gstlog" "$out/$name.out" 2>/dev/null | head -3)
	if [ $rc -eq 0 ] && [ $crc -eq 0 ] && [ -z "$bad" ] &&
		grep -q "Got EOS from element" "$out/$name.out"; then
		tap_pass "zcapsrc $fmt $size into filesink: $n frames intact and in order ($res)"
	else
		tap_fail "zcapsrc $fmt $size into filesink: $n frames intact and in order"
		tap_diag "exit $rc, check $crc: $res" "$bad" "$(tail -n 15 "$out/$name.out")"
		cp "$tmp/$name.raw" "$out/" 2>/dev/null
	fi
	rm -f "$tmp/$name.raw"
}

gst_capture YUYV 640x480 10
gst_capture MJPEG 640x480 12
gst_capture MJPEG 1280x720 8

# --fps reaches the camera: its commit carries the interval asked for.
"$capture" -d "$cam" -f YUYV -s 640x480 --fps 15 -n 5 --provider zcap \
	>"$out/zc-fps.txt" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q '1/15 s' "$out/zc-fps.txt" &&
	grep 'streaming' "$out/uvc_gadget.log" | tail -n 1 | grep -q 'interval 666666'; then
	tap_pass "--fps 15: uvcvideo commits 666666 x 100 ns with the camera, zcap-capture reports 1/15 s"
else
	tap_fail "--fps 15: uvcvideo commits 666666 x 100 ns with the camera, zcap-capture reports 1/15 s"
	tap_diag "exit $rc" "$(cat "$out/zc-fps.txt")" "$(tail -n 5 "$out/uvc_gadget.log")"
fi

# Unplugged mid-stream.
"$capture" -d "$cam" -f YUYV -s 640x480 --provider zcap -o "$tmp/unplug.raw" \
	>"$out/zc-unplug.txt" 2>"$out/zc-unplug.err" &
zpid=$!
uvc_wait_bytes "$tmp/unplug.raw" $((3 * 614400)) $zpid
uvc_unplug
if ! uvc_wait_exit $zpid 150; then
	kill -KILL $zpid
	wait $zpid
	tap_fail "unplugged mid-stream: zcap-capture exits 1, 'capture stopped: device disconnected'"
	tap_diag "zcap-capture still running 15 s after the unplug"
else
	wait $zpid
	rc=$?
	res=$("$check" --format YUYV --size 640x480 "$tmp/unplug.raw" 2>&1)
	crc=$?
	if [ $rc -eq 1 ] && [ $crc -eq 0 ] &&
		grep -qx 'zcap-capture: capture stopped: device disconnected' "$out/zc-unplug.err" &&
		! grep -q 'VIDIOC_\|went away' "$out/zc-unplug.err" &&
		grep -q "^note: *$cam was disconnected" "$out/zc-unplug.txt"; then
		tap_pass "unplugged mid-stream: zcap-capture exits 1, 'capture stopped: device disconnected', frames whole ($res)"
	else
		tap_fail "unplugged mid-stream: zcap-capture exits 1, 'capture stopped: device disconnected', frames whole"
		tap_diag "exit $rc, check $crc: $res" "$(cat "$out/zc-unplug.err" "$out/zc-unplug.txt")"
	fi
fi
rm -f "$tmp/unplug.raw"
if gauges_zero; then
	tap_pass "after the unplug every debugfs gauge is 0"
else
	tap_fail "after the unplug every debugfs gauge is 0"
	tap_diag "$(cat "$stats" 2>&1)"
fi

if cam=$(uvc_replug); then
	zc_capture YUYV 640x480 8
else
	tap_fail "replugged: zcap-capture captures again"
	tap_diag "$(tail -n 30 "$out/uvc_gadget.log" 2>&1)"
fi

# A camera that stops sending after 4 frames.
uvc_unplug
if cam=$(uvc_replug --stall-after 4); then
	"$capture" -d "$cam" -f YUYV -s 640x480 -n 10 --timeout 2000 --provider zcap \
		-o "$tmp/stall.raw" >"$out/zc-stall.txt" 2>"$out/zc-stall.err"
	rc=$?
	res=$("$check" --format YUYV --size 640x480 --expect 4 "$tmp/stall.raw" 2>&1)
	crc=$?
else
	rc=none
	crc=1
fi
if [ "$rc" = 1 ] && [ $crc -eq 0 ] &&
	grep -q 'capture stopped: The device delivered no frame in time' "$out/zc-stall.err"; then
	tap_pass "a camera that stops after 4 frames: 4 written, then the stall timeout says so"
else
	tap_fail "a camera that stops after 4 frames: 4 written, then the stall timeout says so"
	tap_diag "exit $rc, check $crc: $res" "$(cat "$out/zc-stall.err" "$out/zc-stall.txt" 2>&1)"
fi
rm -f "$tmp/stall.raw"

uvc_teardown
tu=$?
if gauges_zero && rmmod zcap 2>"$out/rmmod.err"; then
	tap_pass "every debugfs gauge is 0, zcap.ko unloads"
else
	tap_fail "every debugfs gauge is 0, zcap.ko unloads"
	tap_diag "$(cat "$stats" "$out/rmmod.err" 2>&1)"
fi
if [ $tu -eq 0 ]; then
	tap_pass "teardown: the gadget removed, its modules unloaded"
else
	tap_fail "teardown: the gadget removed, its modules unloaded"
	tap_diag "$(grep -E 'uvc|dummy|udc|composite' /proc/modules)"
fi
rm -rf "$tmp"

tap_done
