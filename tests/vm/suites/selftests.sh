#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# zcap.ko's kselftest suite in the VM: load zcap, vivid (instance 0 with
# vb2-vmalloc, instance 1 with vb2-dma-contig) and vgem; run
# $ZCAP_BUILD/selftests/zcap_test and zcap_compat32; then check that nothing
# is left and that zcap unloads, and loads and unloads once more.
#
# One TAP stream: the setup checks, the binaries' tests renumbered into it
# (each one's own output is kept whole in $ZCAP_RESULTS/NAME.tap), the final
# checks, and the plan last.
# zcap-vm-timeout: 300

. "$ZCAP_TOP/tests/vm/tap.sh"
. "$ZCAP_TOP/tests/vm/suites-lib.sh"

stats=/sys/kernel/debug/zcap/stats

echo "TAP version 13"

loaded() {
	[ -d "/sys/module/$1" ]
}

wait_for() {
	n=0
	while ! "$@" && [ $n -lt 50 ]; do
		n=$((n + 1))
		sleep 0.1
	done
	"$@"
}

# A video4linux node named $1 exists in /dev.
has_video() {
	for d in /sys/class/video4linux/*; do
		if [ "$(cat "$d/name" 2>/dev/null)" = "$1" ] &&
			[ -c "/dev/${d##*/}" ]; then
			return 0
		fi
	done
	return 1
}

vivid_ready() {
	has_video vivid-000-vid-cap && has_video vivid-001-vid-cap
}

vgem_ready() {
	for d in /sys/class/drm/card*; do
		[ -e "$d/device/driver" ] || continue
		case "$(readlink "$d/device/driver")" in
		*/vgem) [ -c "/dev/${d##*/}" ] && return 0 ;;
		esac
	done
	# vgem has no driver link on some kernels: trust the module.
	loaded vgem && ls /dev/dri/card* >/dev/null 2>&1
}

gauges_zero() {
	awk -v re="$ZCAP_GAUGES" '$1 ~ re {
		n++; if ($2 != 0) { print $1 " " $2; bad = 1 } }
		END { exit (bad || n != 8) }' "$stats"
}

# --- setup -----------------------------------------------------------------

if loaded zcap; then
	rmmod zcap 2>/dev/null
fi
tap_ok "insmod zcap.ko" insmod "$ZCAP_MODULE"

if ! grep -q ' /sys/kernel/debug debugfs ' /proc/mounts; then
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
fi
if [ -r "$stats" ] && out=$(gauges_zero); then
	tap_pass "debugfs $stats has every gauge, all zero"
else
	tap_fail "debugfs $stats has every gauge, all zero"
	tap_diag "$(cat "$stats" 2>&1)" "$out"
fi

# Instance 0 vb2-vmalloc, instance 1 vb2-dma-contig, capture nodes only.
loaded vivid && modprobe -r vivid 2>/dev/null
tap_ok "modprobe vivid (vmalloc and dma-contig instances)" \
	modprobe vivid n_devs=2 node_types=0x1,0x1 allocators=0,1
if wait_for vivid_ready; then
	tap_pass "vivid capture nodes appear"
else
	tap_fail "vivid capture nodes appear"
	tap_diag "$(ls -l /dev/video* 2>&1)"
fi
tap_ok "modprobe vgem" modprobe vgem
if wait_for vgem_ready; then
	tap_pass "vgem DRM node appears"
else
	tap_fail "vgem DRM node appears"
fi
# The tests' own importer (tests/importer/), built beside zcap.ko: it maps
# dma-bufs through dma_buf_mmap(), as a GEM object's mmap does.
importer=$(dirname "$(dirname "$ZCAP_MODULE")")/tests/importer/zcap_test_importer.ko
loaded zcap_test_importer && rmmod zcap_test_importer
tap_ok "insmod zcap_test_importer.ko" insmod "$importer"

# --- the kselftest binaries ------------------------------------------------

# run_kselftest NAME: run $ZCAP_BUILD/selftests/NAME and renumber its results
# into this stream; its own plan and version lines go, anything that is not
# a result becomes a comment, and its whole output is kept in
# $ZCAP_RESULTS/NAME.tap. The suite loaded zcap, vgem, vivid and the
# importer: a test that cannot find one of them fails instead of skipping.
run_kselftest() {
	name=$1
	bin=$ZCAP_BUILD/selftests/$name
	raw=$ZCAP_RESULTS/$name.tap
	if [ -x "$bin" ]; then
		ZCAP_TEST_REQUIRE=zcap,vgem,vivid,importer "$bin" >"$raw" 2>&1
		rc=$?
	else
		echo "$bin is missing: make selftests" >"$raw"
		rc=127
	fi
	awk -v base="$_tap_n" -v rc="$rc" -v name="$name" '
		/^TAP version/ { next }
		/^1\.\.[0-9]+/ { plan = substr($0, 4) + 0; next }
		/^(not )?ok [0-9]+/ {
			isnot = ($0 ~ /^not ok/)
			sub(/^(not )?ok [0-9]+/, "")
			n++
			printf "%s %d %s:%s\n", isnot ? "not ok" : "ok", base + n, name, $0
			if (isnot)
				failed++
			next
		}
		{ print ($0 ~ /^#/ ? $0 : "# " $0) }
		END {
			if (n < plan) {
				printf "not ok %d %s: %d tests planned, %d reported\n", base + n + 1, name, plan, n
				n++
				failed++
			} else if (rc != 0 && !failed) {
				printf "not ok %d %s: exit status %d with no failed test\n", base + n + 1, name, rc
				n++
				failed++
			}
			printf "%d %d\n", n, failed > "/dev/stderr"
		}' "$raw" 2>"$ZCAP_RESULTS/$name.count"
	read -r ran failed <"$ZCAP_RESULTS/$name.count"
	rm -f "$ZCAP_RESULTS/$name.count"
	_tap_n=$((_tap_n + ${ran:-0}))
	_tap_failed=$((_tap_failed + ${failed:-0}))
	if [ "${ran:-0}" -eq 0 ]; then
		tap_fail "$name ran (exit status $rc)"
	fi
}

run_kselftest zcap_test
# The compat ioctl path, from a static 32-bit build when the toolchain
# could make one (gcc-multilib).
if [ -x "$ZCAP_BUILD/selftests/zcap_compat32" ]; then
	run_kselftest zcap_compat32
else
	tap_skip "zcap_compat32" "not built: no 32-bit toolchain (gcc-multilib)"
fi

# --- after ------------------------------------------------------------------

if [ -r "$stats" ] && out=$(gauges_zero); then
	tap_pass "every debugfs gauge is zero after the tests"
else
	tap_fail "every debugfs gauge is zero after the tests"
	tap_diag "$out" "$(cat "$stats" 2>&1)"
fi

# vivid, vgem and the importer go first: they would hold any dma-buf
# leaked into them.
modprobe -r vivid vgem 2>/dev/null
rmmod zcap_test_importer 2>/dev/null
tap_ok "rmmod zcap once every buffer is gone" rmmod zcap
if ! loaded zcap && [ ! -e /sys/kernel/debug/zcap ]; then
	tap_pass "zcap and its debugfs directory are gone"
else
	tap_fail "zcap and its debugfs directory are gone"
fi
if insmod "$ZCAP_MODULE" && [ -r "$stats" ] && gauges_zero >/dev/null &&
	rmmod zcap; then
	tap_pass "zcap loads and unloads again"
else
	tap_fail "zcap loads and unloads again"
	loaded zcap && rmmod zcap
fi

echo "1..$_tap_n"
tap_done
