#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Zero-copy consumers (include/zcap/consumers.h) against real drivers:
# vivid captures into the pool; vicodec (built by tests/vm/vicodec.mk)
# encodes the same dma-bufs; its decoder, driven by v4l2-ctl, decodes
# the file for a comparison with the raw frames of the same run; vivid's
# video output takes them as a passthrough; vgem imports them by PRIME;
# a tee feeds a slow and a fast consumer at once. Every case also runs
# with the copy fallback forced where a consumer has one.
# zcap-vm-timeout: 1500

. "$ZCAP_TOP/tests/vm/tap.sh"
. "$ZCAP_TOP/tests/vm/suites-lib.sh"

run=$ZCAP_BUILD/vm-tests/consumers_run
vic=$ZCAP_BUILD/vicodec/$ZCAP_KVER
R=$ZCAP_RESULTS
W=640
H=360
# FWHT at vicodec's default QP (20) keeps the luma of vivid's test
# pattern above ~30 dB; a broken plane layout or a torn frame falls far
# below (a wrong stride gives < 12 dB).
PSNR_MIN=28

tap_plan 19

# run_case NAME CMD...: run a consumers_run mode, its output as comments.
run_case() {
	name=$1
	shift
	if "$@" >"$R/$name.out" 2>&1; then
		tap_pass "$name"
	else
		tap_fail "$name (exit status $?)"
	fi
	sed 's/^/#     /' "$R/$name.out"
}

# decode CODED OUT: vicodec's stateful decoder, driven by v4l2-ctl.
decode() {
	v4l2-ctl -d "$dec" --set-fmt-video-out=pixelformat=FWHT,width=$W,height=$H \
		--set-fmt-video=pixelformat=YUYV,width=$W,height=$H \
		--stream-mmap --stream-out-mmap --stream-from "$1" \
		--stream-to "$2" >"$2.log" 2>&1
}

# 1: the pool provider
if [ -f "$ZCAP_MODULE" ] && insmod "$ZCAP_MODULE" 2>"$R/insmod.err" && [ -c /dev/zcap ]; then
	tap_pass "zcap.ko loaded: buffers come from /dev/zcap"
else
	tap_skip "zcap.ko loaded" "$(cat "$R/insmod.err" 2>/dev/null): the library falls back to another dma-buf provider"
fi

# 2: vicodec, built out of tree for this kernel
# insmod does not load dependencies: what the modules name, from the host.
for m in "$vic/v4l2-mem2mem.ko" "$vic/vicodec.ko"; do
	for d in $(modinfo -F depends "$m" 2>/dev/null | tr ',' ' '); do
		[ "$d" = v4l2-mem2mem ] || [ "$d" = v4l2_mem2mem ] || modprobe "$d"
	done
done
enc= dec=
if insmod "$vic/v4l2-mem2mem.ko" && insmod "$vic/vicodec.ko" &&
	enc=$(wait_dev stateful-encoder) && dec=$(wait_dev stateful-decoder); then
	tap_pass "vicodec loaded: encoder $enc, decoder $dec"
else
	tap_fail "vicodec loaded from $vic"
fi

# 3: two vivid instances: 000 is the camera; 001's video output is the
# passthrough target, and its HDMI input, looped to that output, reads
# back what the output shows.
cap= out= loop=
if modprobe vivid n_devs=2 && cap=$(wait_dev vivid-000-vid-cap) &&
	out=$(wait_dev vivid-001-vid-out) && loop=$(wait_dev vivid-001-vid-cap); then
	tap_pass "vivid loaded: capture $cap, output $out, loop-back capture $loop"
else
	tap_fail "vivid loaded"
fi

# Loop vivid 001's HDMI output to its HDMI input (input 3, output 1, both
# 1280x720 by default): 6.1 has a "Loop Video" control, 6.12 connects an
# input to an output by a menu control.
setup_loop() {
	v4l2-ctl -d "$loop" -i 3 -c osd_text_mode=2 || return 1
	v4l2-ctl -d "$out" -o 1 || return 1
	if v4l2-ctl -d "$loop" -l | grep -q loop_video; then
		v4l2-ctl -d "$loop" -c loop_video=1
	else
		item=$(v4l2-ctl -d "$loop" -L | sed -n '/hdmi_001_0_is_connected_to/,/^ *[a-z_]* 0x/p' |
			sed -n 's/^[[:space:]]*\([0-9]*\): Output HDMI 001-0$/\1/p')
		[ -n "$item" ] && v4l2-ctl -d "$loop" -c hdmi_001_0_is_connected_to="$item"
	fi
}

# 4-6: moving pattern with counters: every frame differs
run_case "encode: vivid -> pool -> vicodec -> file, 0 bytes copied" \
	"$run" encode -c "$cap" -e "$enc" -n 20 -r "$R/moving.yuyv" -o "$R/moving.fwht"
if decode "$R/moving.fwht" "$R/moving.dec"; then
	tap_pass "decode moving.fwht with vicodec's decoder (v4l2-ctl)"
else
	tap_fail "decode moving.fwht with vicodec's decoder (v4l2-ctl)"
	tap_diag "$(tail -20 "$R/moving.dec.log")"
fi
run_case "moving input: decoded frames match the captured ones" \
	"$run" compare "$R/moving.yuyv" "$R/moving.dec" $W $H $PSNR_MIN

# 7-9: static pattern: no movement, no OSD text
v4l2-ctl -d "$cap" -c horizontal_movement=3,vertical_movement=3,osd_text_mode=2 \
	>"$R/static-ctrls.log" 2>&1
run_case "encode a static pattern" \
	"$run" encode -c "$cap" -e "$enc" -n 10 -r "$R/static.yuyv" -o "$R/static.fwht"
if decode "$R/static.fwht" "$R/static.dec"; then
	tap_pass "decode static.fwht"
else
	tap_fail "decode static.fwht"
	tap_diag "$(tail -20 "$R/static.dec.log")"
fi
run_case "static input: every frame identical, decoded as captured" \
	"$run" compare "$R/static.yuyv" "$R/static.dec" $W $H $PSNR_MIN static

# zcap-capture --encode with -o -: the bitstream on standard output, as
# for raw frames (the suite runs in the read-only repository: a file
# named "-" cannot even be made there).
"$ZCAP_BUILD/tools/zcap-capture" -d "$cap" -s ${W}x$H -f YUYV -n 10 --encode "$enc" \
	-o - >"$R/stdout.fwht" 2>"$R/stdout.err"
rc=$?
if [ $rc -eq 0 ] && [ -s "$R/stdout.fwht" ] && decode "$R/stdout.fwht" "$R/stdout.dec" &&
	[ "$(stat -c %s "$R/stdout.dec")" -eq $((10 * W * H * 2)) ]; then
	tap_pass "zcap-capture --encode -o -: 10 frames' bitstream on standard output, decoded"
else
	tap_fail "zcap-capture --encode -o -: the bitstream on standard output"
	tap_diag "exit $rc, $(stat -c %s "$R/stdout.fwht" 2>&1) bytes" "$(cat "$R/stdout.err")" \
		"$(tail -5 "$R/stdout.dec.log" 2>/dev/null)"
fi

# 10-11: the encoder's copy fallback, frames intact
run_case "encode with the copy fallback forced: counted, and says why" \
	"$run" encode -C -c "$cap" -e "$enc" -n 10 -r "$R/copy.yuyv" -o "$R/copy.fwht"
if decode "$R/copy.fwht" "$R/copy.dec"; then
	run_case "copy fallback: decoded frames match the captured ones" \
		"$run" compare "$R/copy.yuyv" "$R/copy.dec" $W $H $PSNR_MIN static
else
	tap_fail "copy fallback: decode copy.fwht"
	tap_diag "$(tail -20 "$R/copy.dec.log")"
fi

# 12: the encoder's coded frames held downstream longer than its buffers
# last: its CAPTURE queue waits for them to come back, none changes while
# held (a moving pattern with counters: every coded frame differs),
# nothing is copied
v4l2-ctl -d "$cap" -c horizontal_movement=1,osd_text_mode=0 >/dev/null 2>&1
run_case "encode into a slow consumer: coded frames held, never rewritten, 0 copies" \
	"$run" encode-hold -c "$cap" -e "$enc" -n 10 -H 1500

# The multi-planar API, as most hardware encoders have it: vicodec again
# with multiplanar=1. Its OUTPUT queue takes each dma-buf with the plane
# length said (vb2 checks bytesused against it), the frames intact.
v4l2-ctl -d "$cap" -c horizontal_movement=3,vertical_movement=3,osd_text_mode=2 >/dev/null 2>&1
if rmmod vicodec && insmod "$vic/vicodec.ko" multiplanar=1 &&
	enc=$(wait_dev stateful-encoder) && dec=$(wait_dev stateful-decoder) &&
	"$run" encode -c "$cap" -e "$enc" -n 10 -r "$R/mplane.yuyv" -o "$R/mplane.fwht" \
		>"$R/mplane.out" 2>&1 && decode "$R/mplane.fwht" "$R/mplane.dec"; then
	run_case "multi-planar encoder (vicodec multiplanar=1): 0 copies, decoded as captured" \
		"$run" compare "$R/mplane.yuyv" "$R/mplane.dec" $W $H $PSNR_MIN static
else
	tap_fail "multi-planar encoder (vicodec multiplanar=1): 0 copies, decoded as captured"
	tap_diag "$(cat "$R/mplane.out" 2>/dev/null)" "$(tail -5 "$R/mplane.dec.log" 2>/dev/null)"
fi

# 13-14: passthrough to vivid's video output, read back through the loop;
# a moving pattern with counters, so that every frame sent differs
v4l2-ctl -d "$cap" -c horizontal_movement=1,osd_text_mode=0 >/dev/null 2>&1
if setup_loop >"$R/loop.log" 2>&1; then
	rb="-b $loop"
else
	# The read-back check then fails, saying it could not start.
	rb="-b /dev/null/no-loop-back"
	tap_diag "could not loop vivid 001's output to its input:" "$(cat "$R/loop.log")"
fi
# shellcheck disable=SC2086 # $rb is two words or none
run_case "passthrough: vivid output imports the pool, 0 copies, frames intact" \
	"$run" pass -s 1280x720 -c "$cap" -p "$out" -n 12 $rb
# shellcheck disable=SC2086
run_case "passthrough with the copy fallback forced, frames intact" \
	"$run" pass -C -s 1280x720 -c "$cap" -p "$out" -n 8 $rb

# 15: DRM: vgem imports every buffer once
card=
if modprobe vgem; then
	for c in /sys/class/drm/card*; do
		# vgem's platform device has no driver bound: go by its name.
		if readlink -f "$c/device" 2>/dev/null | grep -q '/vgem$'; then
			card=/dev/dri/${c##*/}
		fi
	done
fi
if [ -n "$card" ]; then
	run_case "DRM sink on vgem: one PRIME import per buffer, pixels intact" \
		"$run" drm -c "$cap" -d "$card" -n 15
else
	tap_fail "DRM sink on vgem: no vgem card"
	tap_diag "$(ls -l /sys/class/drm/ 2>&1)"
fi

# 16: tee with a slow consumer that keeps more frames than it said it
# would, a null sink, and a checking consumer
run_case "tee: a slow consumer makes the source drop, never tears a frame" \
	"$run" tee -c "$cap" -n 20 -H 1500

# 17: nothing left behind
rmmod vgem 2>/dev/null
rmmod vivid 2>/dev/null
if rmmod vicodec && rmmod v4l2-mem2mem; then
	tap_pass "vicodec and v4l2-mem2mem unload: no buffer or file left"
else
	tap_fail "vicodec and v4l2-mem2mem unload"
	tap_diag "$(lsmod | head -30)"
fi

tap_done
