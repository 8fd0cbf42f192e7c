#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The emulated USB camera itself (tests/vm/uvc-gadget.sh): a UVC gadget on
# our isochronous dummy_hcd enumerates under the real uvcvideo driver with
# YUYV and MJPEG at 640x480 and 1280x720; v4l2-ctl captures each, and
# uvc_check verifies every frame (the YUYV pattern byte for byte, MJPEG as
# JPEG that libjpeg decodes) and that frame numbers increase. Unplugging
# the gadget mid-stream stops the capture with an error; a replugged
# camera captures again; a camera that stalls (--stall-after) or unplugs
# itself (--count) does so on the frame; teardown unloads everything.
# Frame rates (TCG, so slow) are in the diagnostics.
# zcap-vm-timeout: 300

. "$ZCAP_TOP/tests/vm/tap.sh"
. "$ZCAP_TOP/tests/vm/uvc-gadget.sh"

check=$ZCAP_BUILD/vm-tests/uvc_check
out=$ZCAP_RESULTS
# Captures go to the guest's tmpfs, and to the results only when bad.
tmp=$(mktemp -d /tmp/uvc.XXXXXX)

tap_plan 19

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# capture NAME FMT WxH COUNT: v4l2-ctl captures COUNT frames to
# $tmp/NAME.raw; its output in $tmp/NAME.out; sets $rate: the frame rate
# between the first and the last buffer's timestamps, and the wall time.
capture() {
	local name=$1 fmt=$2 size=$3 count=$4 t0 rc
	t0=$(now_ms)
	v4l2-ctl -d "$cam" \
		--set-fmt-video="width=${size%x*},height=${size#*x},pixelformat=$(uvc_fourcc "$fmt")" \
		--stream-mmap --stream-count="$count" --stream-to="$tmp/$name.raw" \
		--verbose >"$tmp/$name.out" 2>&1
	rc=$?
	rate="$(awk '
		/^cap dqbuf:/ { for (i = 1; i < NF; i++) if ($i == "ts:") t[n++] = $(i + 1) }
		END {
			if (n > 1 && t[n - 1] > t[0])
				printf "%.1f fps", (n - 1) / (t[n - 1] - t[0])
			else
				printf "? fps"
		}' "$tmp/$name.out"), $(($(now_ms) - t0)) ms in all"
	return $rc
}

# capture_and_check FMT WxH COUNT: two tests.
capture_and_check() {
	local fmt=$1 size=$2 count=$3 name="$1-$2" res
	if capture "$name" "$fmt" "$size" "$count"; then
		tap_pass "v4l2-ctl captures $count frames of $fmt $size"
		tap_diag "$fmt $size: $count frames, $rate"
	else
		tap_fail "v4l2-ctl captures $count frames of $fmt $size"
		tap_diag "$(tail -n 20 "$tmp/$name.out")"
	fi
	if res=$("$check" --format "$fmt" --size "$size" --expect "$count" \
		"$tmp/$name.raw" 2>"$tmp/$name.check"); then
		tap_pass "every $fmt $size frame is intact, in order ($res)"
	else
		tap_fail "every $fmt $size frame is intact, in order"
		tap_diag "$res" "$(head -n 20 "$tmp/$name.check")"
		cp "$tmp/$name.raw" "$out/" 2>/dev/null
	fi
	cp "$tmp/$name.out" "$out/"
	rm -f "$tmp/$name.raw"
}

if cam=$(uvc_setup); then
	tap_pass "the UVC gadget enumerates under uvcvideo ($cam)"
else
	tap_fail "the UVC gadget enumerates under uvcvideo"
	tap_diag "$(tail -n 30 "$out/uvc_gadget.log" 2>&1)" "$(dmesg | tail -n 30)"
fi

info=$(v4l2-ctl -d "$cam" --info 2>&1)
if echo "$info" | grep -q 'Driver name *: uvcvideo'; then
	tap_pass "v4l2-ctl --info: driver uvcvideo"
	tap_diag "$(echo "$info" | grep -E 'Card type|Bus info')"
else
	tap_fail "v4l2-ctl --info: driver uvcvideo"
	tap_diag "$info"
fi

# Every format with every size, as uvcvideo lists them.
fmts=$(v4l2-ctl -d "$cam" --list-formats-ext 2>&1)
if echo "$fmts" | awk '
	/\[[0-9]+\]: / { f = $2 }
	/Size: Discrete/ { seen[f " " $3] = 1 }
	END {
		exit !(seen["'"'"'YUYV'"'"' 640x480"] && seen["'"'"'YUYV'"'"' 1280x720"] &&
		       seen["'"'"'MJPG'"'"' 640x480"] && seen["'"'"'MJPG'"'"' 1280x720"])
	}'; then
	tap_pass "YUYV and MJPEG at 640x480 and 1280x720 are listed"
else
	tap_fail "YUYV and MJPEG at 640x480 and 1280x720 are listed"
	tap_diag "$fmts"
fi

# Few frames each: TCG moves ~25 MB/s over the emulated bus.
capture_and_check YUYV 640x480 15
capture_and_check YUYV 1280x720 6
capture_and_check MJPEG 640x480 15
capture_and_check MJPEG 1280x720 10

# Unplug mid-stream: v4l2-ctl stops. It exits 0 whatever happened, and
# says "VIDIOC_DQBUF: failed" when uvcvideo has stopped the queue (6.12)
# but nothing when it only fails the buffers (6.1): the proof is that it
# stops short, with only whole frames in its file.
v4l2-ctl -d "$cam" --set-fmt-video=width=640,height=480,pixelformat=YUYV \
	--stream-mmap --stream-count=100000 --stream-to="$tmp/unplug.raw" \
	>"$tmp/unplug.out" 2>&1 &
vpid=$!
uvc_wait_bytes "$tmp/unplug.raw" $((5 * 614400)) $vpid
if uvc_unplug; then
	tap_pass "uvc_unplug mid-stream: the uvcvideo node goes away"
else
	tap_fail "uvc_unplug mid-stream: the uvcvideo node goes away"
	tap_diag "$(tail -n 20 "$out/uvc_gadget.log")"
fi
if ! uvc_wait_exit $vpid 100; then
	kill -KILL $vpid
	wait $vpid
	tap_fail "v4l2-ctl stops on the unplug, its frames whole"
	tap_diag "v4l2-ctl still running 10 s after the unplug"
else
	wait $vpid
	vrc=$?
	if res=$("$check" --format YUYV --size 640x480 "$tmp/unplug.raw" 2>&1); then
		tap_pass "v4l2-ctl stops on the unplug, its frames whole ($res)"
	else
		tap_fail "v4l2-ctl stops on the unplug, its frames whole"
		tap_diag "$res"
	fi
	msg=$(grep -o 'VIDIOC_DQBUF: failed.*' "$tmp/unplug.out" | head -n 1)
	tap_diag "v4l2-ctl: status $vrc, ${msg:-no message}"
fi
rm -f "$tmp/unplug.raw"

if cam=$(uvc_replug); then
	tap_pass "replugged, uvcvideo enumerates the camera again ($cam)"
else
	tap_fail "replugged, uvcvideo enumerates the camera again"
	tap_diag "$(tail -n 30 "$out/uvc_gadget.log" 2>&1)"
fi
capture_and_check YUYV 640x480 10

# A camera that stops sending: the capture gets what came and waits.
uvc_unplug
if cam=$(uvc_replug --stall-after 4); then
	timeout 5 v4l2-ctl -d "$cam" --set-fmt-video=width=640,height=480,pixelformat=YUYV \
		--stream-mmap --stream-count=10 --stream-to="$tmp/stall.raw" \
		>"$tmp/stall.out" 2>&1
	vrc=$?
	res=$("$check" --format YUYV --size 640x480 --expect 4 "$tmp/stall.raw" 2>&1)
	crc=$?
else
	vrc=none
	crc=1
fi
if [ "$vrc" = 124 ] && [ $crc -eq 0 ]; then
	tap_pass "stalled after 4 frames: the capture has 4 and waits"
else
	tap_fail "stalled after 4 frames: the capture has 4 and waits"
	tap_diag "v4l2-ctl status $vrc (124: still waiting at the timeout)" "$res"
fi
rm -f "$tmp/stall.raw"

# --count: the camera unplugs itself after 3 frames, each delivered whole.
uvc_unplug
if cam=$(uvc_replug --count 3); then
	timeout 20 v4l2-ctl -d "$cam" --set-fmt-video=width=640,height=480,pixelformat=YUYV \
		--stream-mmap --stream-count=10 --stream-to="$tmp/count.raw" \
		>"$tmp/count.out" 2>&1
	vrc=$?
	res=$("$check" --format YUYV --size 640x480 --expect 3 "$tmp/count.raw" 2>&1)
	crc=$?
else
	vrc=none
	crc=1
fi
if [ "$vrc" != 124 ] && [ $crc -eq 0 ] && ! uvc_dev >/dev/null; then
	tap_pass "--count 3: 3 whole frames, then the camera is gone"
else
	tap_fail "--count 3: 3 whole frames, then the camera is gone"
	tap_diag "v4l2-ctl status $vrc (124: still waiting at the timeout)" "$res" \
		"uvcvideo node: $(uvc_dev)" "$(tail -n 5 "$tmp/count.out")"
fi
rm -f "$tmp/count.raw"

tap_diag "the gadget's account:" "$(grep -E 'stream ended|streaming|MJPEG' "$out/uvc_gadget.log")"

if uvc_teardown; then
	tap_pass "teardown: gadget removed, every module it loaded unloaded"
else
	tap_fail "teardown: gadget removed, every module it loaded unloaded"
	tap_diag "$(grep -E 'uvc|dummy|udc|composite' /proc/modules)"
fi
rm -rf "$tmp"

tap_done
