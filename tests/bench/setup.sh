# SPDX-License-Identifier: GPL-2.0
#
# What both zcap-bench suites need inside the VM (sourced, after tap.sh):
#   bench_setup      zcap.ko, vivid, vgem loaded; tracefs mounted for the
#                    kprobe counters; sets BENCH_DEV (vivid's capture node)
#   bench_teardown   unloads them again
#   bench_leaks      ok/not ok: zcap's debugfs gauges are back at zero and
#                    zcap-bench left no kprobe event behind
# Every step that fails says so as a TAP comment; bench_setup returns 1
# when something zcap-bench cannot run without is missing.

. "$ZCAP_TOP/tests/vm/suites-lib.sh"

BENCH=$ZCAP_BUILD/tools/zcap-bench

bench_setup() {
	BENCH_DEV=
	if [ ! -x "$BENCH" ]; then
		tap_diag "$BENCH is not built (make zcap-bench)"
		return 1
	fi
	# The kprobe counters need tracefs; a kernel without it still runs
	# the benchmark (zcap's debugfs alone, said in the output).
	if [ ! -e /sys/kernel/tracing/kprobe_events ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
			tap_diag "cannot mount tracefs: map/vmap counts from zcap debugfs only"
	fi
	if ! out=$(insmod "$ZCAP_MODULE" 2>&1) || [ ! -c /dev/zcap ]; then
		tap_diag "insmod $ZCAP_MODULE: $out"
		return 1
	fi
	# udmabuf where it is a module; built in (Debian's 6.12) or absent
	# (Debian's 6.1), this does nothing and zcap-bench says which.
	modprobe udmabuf 2>/dev/null
	modprobe vgem 2>/dev/null || tap_diag "modprobe vgem failed: sg entries of dma-heap and udmabuf will be n/a"
	if ! modprobe vivid 2>/dev/null; then
		tap_diag "modprobe vivid failed"
		return 1
	fi
	n=0
	while [ -z "$BENCH_DEV" ] && [ $n -lt 50 ]; do
		for d in /sys/class/video4linux/video*; do
			[ -r "$d/name" ] || continue
			case "$(cat "$d/name")" in
			vivid-*-vid-cap) BENCH_DEV=/dev/${d##*/} ;;
			esac
			[ -n "$BENCH_DEV" ] && break
		done
		[ -n "$BENCH_DEV" ] && [ -c "$BENCH_DEV" ] && break
		BENCH_DEV=
		n=$((n + 1))
		sleep 0.1
	done
	if [ -z "$BENCH_DEV" ]; then
		tap_diag "vivid gave no capture node"
		return 1
	fi
	return 0
}

bench_leaks() {
	stats=/sys/kernel/debug/zcap/stats
	bad=$(gauges_left "$stats" 2>/dev/null)
	probes=$(grep zcapbench /sys/kernel/tracing/kprobe_events 2>/dev/null)
	if [ -r "$stats" ] && [ -z "$bad" ] && [ -z "$probes" ]; then
		tap_pass "zcap gauges back to zero, no kprobe left behind"
	else
		tap_fail "zcap gauges back to zero, no kprobe left behind"
		tap_diag "non-zero gauges: ${bad:-none}" "kprobes left: ${probes:-none}"
		[ -r "$stats" ] || tap_diag "$stats is unreadable"
	fi
}

bench_teardown() {
	rmmod vivid 2>/dev/null
	rmmod vgem 2>/dev/null
	rmmod udmabuf 2>/dev/null
	rmmod zcap 2>/dev/null
	return 0
}
