#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The ABI fuzzer (tests/fuzz/zcap-fuzz.c) in the VM: a short run for
# `make check`, or the long one `make fuzz` asks for through
# tests/fuzz/fuzz-long.sh (ZCAP_FUZZ_MODE=long). The caps are lowered for
# the run so that EFBIG and EDQUOT are reached without exhausting the
# guest, and restored after.
# zcap-vm-timeout: 240

. "$ZCAP_TOP/tests/vm/tap.sh"
. "$ZCAP_TOP/tests/vm/suites-lib.sh"

FUZZ=$ZCAP_BUILD/tests/fuzz/zcap-fuzz
STATS=/sys/kernel/debug/zcap/stats
PARAMS=/sys/module/zcap/parameters
if [ "${ZCAP_FUZZ_MODE:-short}" = long ]; then
	ops=${ZCAP_FUZZ_OPS:-1000000}
	secs=${ZCAP_FUZZ_TIME:-900}
	min_ops=$ops
else
	# As many operations as fit in the time: a TCG guest manages 5000 to
	# 12000 a second, and the rarest documented outcome (mmap's ENODEV)
	# comes about once in 2000; the long run is `make fuzz`'s.
	ops=${ZCAP_FUZZ_OPS:-100000000}
	secs=${ZCAP_FUZZ_TIME:-30}
	min_ops=20000
fi

tap_plan 5

if [ ! -x "$FUZZ" ]; then
	tap_fail "zcap-fuzz is built"
	tap_diag "$FUZZ is missing: make fuzz-bin"
	exit 1
fi
if ! out=$(insmod "$ZCAP_MODULE" 2>&1); then
	tap_fail "insmod zcap.ko"
	tap_diag "$out"
	exit 1
fi
# vgem is the fuzzer's importer: PRIME import drives attach and map.
if ! out=$(modprobe vgem 2>&1); then
	tap_diag "modprobe vgem failed, fuzzing without an importer: $out"
fi
old_pool=$(cat $PARAMS/max_pool_bytes)
old_total=$(cat $PARAMS/max_total_bytes)
echo $((16 << 20)) >$PARAMS/max_pool_bytes
echo $((24 << 20)) >$PARAMS/max_total_bytes
tap_pass "insmod zcap.ko; caps lowered to 16 MiB per pool, 24 MiB in total"

log=$ZCAP_RESULTS/zcap-fuzz.log
args="--ops $ops --time $secs --require-coverage"
[ -n "${ZCAP_FUZZ_SEED:-}" ] && args="$args --seed $ZCAP_FUZZ_SEED"
# shellcheck disable=SC2086 # word splitting of $args is intended
"$FUZZ" $args >"$log" 2>&1
rc=$?
seed=$(sed -n 's/^# zcap-fuzz: seed \(0x[0-9a-f]*\) ops.*/\1/p' "$log")
done_ops=$(sed -n 's/^# zcap-fuzz: \([0-9]*\) operations.*/\1/p' "$log")
summary=$(grep '^# zcap-fuzz: [0-9]* operations' "$log" | sed 's/^# zcap-fuzz: //')
if [ $rc -eq 0 ]; then
	tap_pass "fuzz run (seed $seed): no invariant violated, every documented outcome reached"
	sed -n '/^#   /p;/^# module:/p;/^# importer:/p' "$log"
else
	tap_fail "fuzz run (seed $seed): exit status $rc"
	# Violations come with the operations that led to them.
	grep -v '^#   [a-z_]*  ' "$log" | head -n 150 | sed 's/^# //;s/^/# /'
	tap_diag "reproduce: $FUZZ --seed $seed --ops ${done_ops:-$ops}" \
		"full log: $log"
fi
tap_diag "$summary"

if [ -n "$done_ops" ] && [ "$done_ops" -ge "$min_ops" ]; then
	tap_pass "ran $done_ops operations (at least $min_ops) within $secs s"
else
	tap_fail "ran ${done_ops:-no} operations, at least $min_ops wanted within $secs s"
fi

echo "$old_pool" >$PARAMS/max_pool_bytes
echo "$old_total" >$PARAMS/max_total_bytes

# The fuzzer checked the gauges itself; check again from outside, after
# its exit closed whatever it might have missed.
left=$(gauges_left $STATS)
if [ -z "$left" ]; then
	tap_pass "debugfs gauges all zero after the fuzzer exited"
else
	tap_fail "debugfs gauges all zero after the fuzzer exited"
	tap_diag "$left"
fi
tap_diag "$(tr '\n' ' ' <$STATS)"

if out=$(rmmod zcap 2>&1); then
	tap_pass "rmmod zcap: nothing pins the module"
else
	tap_fail "rmmod zcap: nothing pins the module"
	tap_diag "$out"
fi

tap_done
