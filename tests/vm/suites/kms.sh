#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The DRM sink on a real KMS driver: vkms (built by tests/vm/vkms.mk, with
# its overlay plane), whose fbdev emulation lights its CRTC at 1024x768.
# vivid's HDMI input, set to the DMT 1024x768p60 timings, captures XR24
# (DRM XRGB8888) into the pool; the sink makes one framebuffer per buffer
# and flips vkms's primary plane to each frame. kms_check proves the
# frames were shown (FB_IDs on the plane, vkms's CRCs of the composed
# output; see tests/vm/kms_check.c), that the console is back when the
# sink stops, and that a second run after the CRTC was turned off lights
# it again. Then vivid's webcam input at 640x360, not a mode of vkms,
# with the CRTC off: the sink lights the preferred mode and shows the
# frame centred on the overlay plane; the same over the console. Last,
# while another client is DRM master, the sink only imports; and it only
# imports a YUYV camera's frames, which no plane of vkms scans out.
# zcap-vm-timeout: 240

. "$ZCAP_TOP/tests/vm/tap.sh"
. "$ZCAP_TOP/tests/vm/suites-lib.sh"

R=$ZCAP_RESULTS
vkms=$ZCAP_BUILD/vkms/$ZCAP_KVER/vkms.ko
FRAMES=${ZCAP_KMS_FRAMES:-30}

tap_plan 8

# 1: vkms; insmod does not load dependencies: modprobe what it names.
card=
dri=
if [ -f "$vkms" ]; then
	for d in $(modinfo -F depends "$vkms" | tr , ' '); do
		modprobe "$d"
	done
	if insmod "$vkms" enable_overlay=1 2>"$R/vkms.err"; then
		n=0
		while [ $n -lt 50 ] && [ -z "$card" ]; do
			for c in /sys/class/drm/card[0-9]*; do
				case $c in *-*) continue ;; esac
				if [ "$(readlink -f "$c/device")" = /sys/devices/platform/vkms ]; then
					card=/dev/dri/${c##*/}
					dri=/sys/kernel/debug/dri/${c##*/card}
				fi
			done
			[ -n "$card" ] || sleep 0.1
			n=$((n + 1))
		done
	fi
fi
if [ -n "$card" ] && [ -c "$card" ] && [ -d "$dri/crtc-0/crc" ]; then
	tap_pass "vkms loaded: $card, CRCs in $dri/crtc-0/crc"
	tap_diag "$(grep -A1 'crtc\[' "$dri/state" | tr '\n\t' '  ')"
else
	tap_fail "vkms loaded ($vkms: $(cat "$R/vkms.err" 2>/dev/null))"
fi

# A blinking console cursor would change the CRC under a frame that does
# not cover the console.
echo 0 > /sys/class/graphics/fbcon/cursor_blink 2>/dev/null

# 2: the pool provider
if [ -f "$ZCAP_MODULE" ] && insmod "$ZCAP_MODULE" 2>"$R/insmod.err" && [ -c /dev/zcap ]; then
	tap_pass "zcap.ko loaded"
else
	tap_fail "zcap.ko loaded: $(cat "$R/insmod.err" 2>/dev/null)"
fi

# 3: vivid's HDMI input at the mode's size (DMT 1024x768p60)
if modprobe vivid && cap=$(wait_dev vivid-000-vid-cap) &&
	v4l2-ctl -d "$cap" -i 3 --set-dv-bt-timings \
		width=1024,height=768,interlaced=0,polarities=0,pixelclock=65000000,hfp=24,hs=136,hbp=160,vfp=3,vs=6,vbp=29 \
		>"$R/vivid.log" 2>&1; then
	tap_pass "vivid: HDMI input of $cap at 1024x768p60"
else
	tap_fail "vivid: HDMI input at 1024x768p60"
	tap_diag "$(cat "$R/vivid.log" 2>/dev/null)"
fi

# One kms_check run (tests/vm/kms_check.c) as one test: kms_run NAME
# WHAT ARGS...; its output, in $R/kms_check_NAME.out, goes to the TAP.
kms_run() {
	name=$1 what=$2
	shift 2
	if [ -n "$card" ] && [ -n "$cap" ] &&
		run_watched 90 "$R/kms_check_$name.out" \
			"$ZCAP_BUILD/vm-tests/kms_check" "$@" \
			-c "$cap" -d "$card" -r "$dri/crtc-0/crc"; then
		tap_pass "$what"
	else
		tap_fail "$what (exit status $?)"
	fi
	sed 's/^/#     /' "$R/kms_check_$name.out" 2>/dev/null
}

# 4: capture -> pool -> DRM sink -> vkms's primary plane
kms_run lit_mode "DRM sink on vkms: every frame shown from its pool buffer, CRC of the captured pixels, the console back at stop, the CRTC lit again on a second run" \
	-A -n "$FRAMES"

# 5: a smaller frame than any mode, with the CRTC off: the sink lights
# the preferred mode with black and centres the frame on the overlay
kms_run off "DRM sink on vkms with the CRTC off and a 640x360 frame: it lights 1024x768, shows every frame centred, turns it off" \
	-o -i 0 -s 640x360 -f 30 -n "$FRAMES"

# 6: the same frame on the CRTC the console lit: centred on the overlay,
# which is off again after the stop, the console never left. As many
# frames as the others: with 12 (0.4 s) one CI run on 6.1 sampled the
# plane twice and saw no CRC entry before the stream ended.
kms_run lit "DRM sink on vkms, a 640x360 frame over the console: centred on the overlay, which is off again at stop" \
	-i 0 -s 640x360 -f 30 -n "$FRAMES"

# 7: another client is DRM master (as a display server is): the sink
# imports every buffer, shows none, counts no error and says why
kms_run master "DRM sink on vkms while another client is master: imports only, no error, the note says why" \
	-m -i 0 -s 640x360 -f 30 -n 8

# 8: a YUYV camera, and vkms's planes take RGB only (6.1 and 6.12): the
# sink imports every buffer, shows none, counts no error, says why, leaves
# the console alone and gives DRM master back at stop
kms_run yuyv "DRM sink on vkms, a YUYV camera and RGB-only planes: imports only, no error, the note says why, the console left alone, DRM master given back" \
	-F YUYV -i 0 -s 640x360 -f 30 -n 8

rmmod vivid 2>/dev/null
rmmod zcap 2>/dev/null
rmmod vkms 2>/dev/null
tap_done
