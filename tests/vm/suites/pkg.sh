#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages at work: the zcap.ko that dkms built from zcap-dkms's
# staged source for this kernel (tests/pkg/check-staged.sh, a host test of
# `make check`, leaves it in $ZCAP_BUILD/pkg/ko/<kver>/), its udev rule as
# udevadm sees it, and a capture from vivid with the packaged zcap-info,
# zcap-capture and zcap-bench on the packaged libraries. Short: one capture
# of 5 frames, a zcap-bench of 5 frames on two paths.
# zcap-vm-timeout: 150

. "$ZCAP_TOP/tests/vm/tap.sh"
. "$ZCAP_TOP/tests/vm/suites-lib.sh"

stage=$ZCAP_BUILD/pkg/stage
ko=$ZCAP_BUILD/pkg/ko/$ZCAP_KVER/zcap.ko
out=$ZCAP_RESULTS
libdir=$(dirname "$(ls "$stage"/usr/lib/*/libzcap.so.0 2>/dev/null | head -n 1)")
want_ver=$(sed -n 's/^PACKAGE_VERSION="*\([^"]*\)"*$/\1/p' "$stage"/usr/src/zcap-*/dkms.conf 2>/dev/null)

tap_plan 6

if [ -s "$ko" ] && insmod "$ko" 2>"$out/insmod.err" && [ -c /dev/zcap ] &&
	[ -n "$want_ver" ] && [ "$(cat /sys/module/zcap/version 2>/dev/null)" = "$want_ver" ]; then
	tap_pass "insmod the DKMS-built zcap.ko: /dev/zcap, /sys/module/zcap/version $want_ver"
else
	tap_fail "insmod the DKMS-built zcap.ko ($ko)"
	tap_diag "$(cat "$out/insmod.err" 2>&1)" "version '$(cat /sys/module/zcap/version 2>&1)', dkms.conf '$want_ver'"
	exit 1
fi

# The packaged rule, where udev looks first (/run/udev/rules.d overrides a
# rule of the same name in /lib/udev/rules.d); the rest are the host's,
# 73-seat-late.rules (which turns TAG uaccess into the uaccess builtin)
# among them.
mkdir -p /run/udev/rules.d
cp "$stage/lib/udev/rules.d/70-zcap.rules" /run/udev/rules.d/
udevadm test --action=add /sys/class/misc/zcap >"$out/udevadm-test.txt" 2>&1
video=$(getent group video | cut -d: -f3)
if grep -q "70-zcap.rules" "$out/udevadm-test.txt" &&
	grep -Eq "70-zcap\.rules:[0-9]+ GROUP $video\$" "$out/udevadm-test.txt" &&
	grep -q "Setting permissions /dev/zcap, uid=0, gid=$video, mode=0660" "$out/udevadm-test.txt" &&
	grep -Eq "^TAGS=.*:uaccess:" "$out/udevadm-test.txt" &&
	grep -Eq "73-seat-late\.rules:[0-9]+ RUN 'uaccess'" "$out/udevadm-test.txt"; then
	tap_pass "udevadm test /dev/zcap: group video (gid $video) and TAG uaccess, acted on by 73-seat-late.rules"
else
	tap_fail "udevadm test /dev/zcap: group video and TAG uaccess"
	tap_diag "$(grep -E 'zcap.rules|GROUP|gid=|TAGS|uaccess|seat-late' "$out/udevadm-test.txt" | head -30)"
fi
rm -f /run/udev/rules.d/70-zcap.rules

if modprobe vivid n_devs=1 node_types=0x1 2>"$out/modprobe.err" &&
	cap=$(wait_dev vivid-000-vid-cap) && v4l2-ctl -d "$cap" -c osd_text_mode=2; then
	:
else
	cap=
fi

LD_LIBRARY_PATH=$libdir "$stage/usr/bin/zcap-info" >"$out/zcap-info.txt" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ -n "$cap" ] && grep -q "$cap" "$out/zcap-info.txt" &&
	grep -q "^  zcap (/dev/zcap): usable$" "$out/zcap-info.txt"; then
	tap_pass "packaged zcap-info: lists $cap and the loaded zcap.ko"
else
	tap_fail "packaged zcap-info: lists vivid and the loaded zcap.ko"
	tap_diag "exit $rc, vivid '${cap:-}'" "$(cat "$out/zcap-info.txt")" "$(cat "$out/modprobe.err")"
fi

LD_LIBRARY_PATH=$libdir "$stage/usr/bin/zcap-capture" -d "${cap:-/dev/null}" -f YUYV -s 320x180 \
	--fps 30 --provider zcap -n 5 -o /tmp/pkg.raw >"$out/zcap-capture.txt" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "^provider: zcap" "$out/zcap-capture.txt" &&
	grep -q "^copied: *0 bytes" "$out/zcap-capture.txt" &&
	[ "$(stat -c %s /tmp/pkg.raw 2>/dev/null)" = $((5 * 320 * 180 * 2)) ]; then
	tap_pass "packaged zcap-capture on libzcap.so.0: 5 frames from vivid through zcap.ko, 0 bytes copied"
else
	tap_fail "packaged zcap-capture: 5 frames through zcap.ko, 0 bytes copied"
	tap_diag "exit $rc" "$(cat "$out/zcap-capture.txt")"
fi
rm -f /tmp/pkg.raw

# The packaged zcap-bench has no counting wrappers: it measures, and says
# which figures it cannot give ("-" in the table, "n/a" in the CSV).
csv=$out/bench.csv
LD_LIBRARY_PATH=$libdir "$stage/usr/bin/zcap-bench" -d "${cap:-/dev/null}" -s 320x180 -n 5 -w 2 \
	-r 1 -p a,b --no-pool --csv "$csv" >"$out/zcap-bench.txt" 2>&1
rc=$?
val() {
	awk -F, -v p="$1" -v m="$2" -v c="$3" '$2 == "frame" && $4 == p && $5 == m { print $c; exit }' "$csv"
}
if [ $rc -eq 0 ] && grep -q "copied, allocs: not counted" "$out/zcap-bench.txt" &&
	[ "$(val a status 6)" = ok ] && [ "$(val a frames 6)" = 5 ] && [ "$(val b status 6)" = ok ] &&
	[ "$(val a copied 8)" = '"n/a"' ] && [ -z "$(val a copied 6)" ] && [ -n "$(val a fps 6)" ]; then
	tap_pass "packaged zcap-bench: paths a and b measured, the wrapper figures n/a (fps a $(val a fps 6), b $(val b fps 6))"
else
	tap_fail "packaged zcap-bench: paths a and b measured, the wrapper figures n/a"
	tap_diag "exit $rc" "$(cat "$out/zcap-bench.txt")"
fi

stats=/sys/kernel/debug/zcap/stats
left=$(gauges_left "$stats" 2>/dev/null)
if [ -r "$stats" ] && [ -z "$left" ] && { [ -z "$cap" ] || rmmod vivid; } && rmmod zcap; then
	tap_pass "gauges 0, rmmod vivid and zcap"
else
	tap_fail "gauges 0, rmmod vivid and zcap"
	tap_diag "$left" "$(lsmod | head)"
fi

tap_done
