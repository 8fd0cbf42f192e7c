#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test of the VM rig itself: the environment a suite is promised,
# and the kernel drivers the real suites build on (vivid captures frames,
# vgem gives a DRM device). Needs nothing from zcap.
# zcap-vm-timeout: 180

. "$ZCAP_TOP/tests/vm/tap.sh"

tap_plan 9

# The rig's promises to every suite.
if [ "$(id -u)" = 0 ] && [ "$(pwd)" = "$ZCAP_TOP" ] &&
	[ "$ZCAP_KVER" = "$(uname -r)" ] &&
	[ "$ZCAP_MODULE" = "$ZCAP_BUILD/kmod/$ZCAP_KVER/kernel/zcap.ko" ]; then
	tap_pass "root, cwd is ZCAP_TOP, ZCAP_KVER and ZCAP_MODULE are set"
else
	tap_fail "root, cwd is ZCAP_TOP, ZCAP_KVER and ZCAP_MODULE are set"
	tap_diag "uid $(id -u) cwd $(pwd) ZCAP_TOP=$ZCAP_TOP ZCAP_KVER=$ZCAP_KVER" \
		"uname -r $(uname -r) ZCAP_MODULE=$ZCAP_MODULE"
fi
if echo probe >"$ZCAP_RESULTS/probe" && [ "$(cat "$ZCAP_RESULTS/probe")" = probe ] &&
	! touch "$ZCAP_TOP/.zcap-rig-probe" 2>/dev/null && echo x >/tmp/probe; then
	tap_pass "ZCAP_RESULTS and /tmp are writable, ZCAP_TOP is read-only"
else
	tap_fail "ZCAP_RESULTS and /tmp are writable, ZCAP_TOP is read-only"
fi
rm -f "$ZCAP_RESULTS/probe"
if grep -q ' /sys/kernel/debug debugfs ' /proc/mounts &&
	grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts &&
	grep -q ' /dev/pts devpts ' /proc/mounts; then
	tap_pass "debugfs, cgroup2 and devpts are mounted"
else
	tap_fail "debugfs, cgroup2 and devpts are mounted"
	tap_diag "$(cat /proc/mounts)"
fi

# vivid: a virtual capture device. Its nodes appear through devtmpfs.
tap_ok "modprobe vivid" modprobe vivid
cap=
n=0
while [ $n -lt 50 ]; do
	for d in /sys/class/video4linux/video*; do
		[ -r "$d/name" ] || continue
		case "$(cat "$d/name")" in
		vivid-*-vid-cap) cap=/dev/${d##*/} ;;
		esac
		[ -n "$cap" ] && break
	done
	[ -n "$cap" ] && [ -c "$cap" ] && break
	n=$((n + 1))
	sleep 0.1
done
if [ -n "$cap" ] && [ -c "$cap" ]; then
	tap_pass "vivid capture node $cap appears"
else
	tap_fail "vivid capture node appears"
	tap_diag "$(ls -l /dev/video* 2>&1)"
fi

if out=$(v4l2-ctl --list-devices 2>&1) && echo "$out" | grep -q vivid; then
	tap_pass "v4l2-ctl --list-devices lists vivid"
else
	tap_fail "v4l2-ctl --list-devices lists vivid"
	tap_diag "$out"
fi

# Five frames at vivid's default format; under TCG this takes ~1 s.
raw=$ZCAP_RESULTS/vivid-5-frames.raw
if [ -z "$cap" ]; then
	tap_skip "stream 5 frames from vivid" "no vivid capture node"
elif out=$(v4l2-ctl -d "$cap" --stream-mmap --stream-count=5 --stream-to="$raw" 2>&1); then
	size=$(v4l2-ctl -d "$cap" --get-fmt-video | sed -n 's/.*Size Image *: *//p')
	got=$(stat -c %s "$raw")
	if [ -n "$size" ] && [ "$got" -eq $((size * 5)) ]; then
		tap_pass "stream 5 frames from vivid ($got bytes)"
	else
		tap_fail "stream 5 frames from vivid"
		tap_diag "wrote $got bytes, expected 5 x $size"
	fi
else
	tap_fail "stream 5 frames from vivid"
	tap_diag "$out"
fi

# vgem: a DRM device with no hardware, for dma-buf import tests.
tap_ok "modprobe vgem" modprobe vgem
n=0
while ! ls /dev/dri/card* >/dev/null 2>&1 && [ $n -lt 50 ]; do
	n=$((n + 1))
	sleep 0.1
done
if ls /dev/dri/card* >/dev/null 2>&1; then
	tap_pass "vgem DRM node $(ls /dev/dri/card* | head -n 1) appears"
else
	tap_fail "vgem DRM node appears"
fi

tap_done
