#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make soak`: round after round, boot every Debian kernel under test and
# the debug kernel, each running the fuzzer, the fault and load tests
# (8 threads, killed and disconnected captures, 4 concurrent captures) and
# the capture suite, with the host loaded by a CPU-bound loop and a gzip
# loop (the one crash seen so far came on a loaded host). The load runs at
# nice 19: it keeps both host CPUs busy, yet leaves the VM the time it needs;
# at nice 5 a debug kernel (KASAN under TCG) got a third of a core and took
# over 13 minutes to boot. It stops at the first failure of any kind (a
# kernel report, a leak, a wrong byte), or once DURATION seconds have passed
# and the boot under way has finished.
#
# Environment (set by tests/debug/debug.mk): BUILD, DURATION (seconds),
# VM_KVERS (the Debian kernels), DEBUG_KERNEL_DIR (tests/debug/build-kernel.sh's
# output; empty: no debug kernel), DEBUG_TIMEOUT_SCALE; SOAK_LOAD=0 runs
# without the host load.
#
# Results: $BUILD/soak/round-N/<kver>/, and $BUILD/soak/summary.txt with the
# rounds, boots, suites, fuzzer operations and time.

set -uo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
DURATION=${DURATION:-3600}
out=$BUILD/soak
suites=(tests/vm/suites/fuzz.sh tests/vm/suites/faults.sh tests/vm/suites/capture.sh)
debug_suites=("${suites[@]}" tests/debug/suites/failsweep.sh)

rm -rf "$out"
mkdir -p "$out"
summary=$out/summary.txt

load_pids=()
stop_load() {
	[ ${#load_pids[@]} -gt 0 ] && kill "${load_pids[@]}" 2>/dev/null
	wait 2>/dev/null
}
trap stop_load EXIT
if [ "${SOAK_LOAD:-1}" != 0 ]; then
	nice -n 19 sh -c 'while :; do :; done' &
	load_pids+=($!)
	nice -n 19 sh -c 'while :; do head -c 67108864 /dev/urandom | gzip -1 >/dev/null; done' &
	load_pids+=($!)
fi

# boot KVER DIR SCALE [debug]: one boot; 0 when every suite passed.
boot() {
	local kver=$1 dir=$2 scale=$3
	if [ $# -gt 3 ]; then
		BUILD=$BUILD ZCAP_VM_KERNEL=$DEBUG_KERNEL_DIR/bzImage \
			ZCAP_VM_MODROOT=$DEBUG_KERNEL_DIR/modroot \
			ZCAP_VM_KCONFIG=$DEBUG_KERNEL_DIR/obj/.config \
			ZCAP_VM_TIMEOUT_SCALE=$scale \
			"$TOP/tests/vm/run" -o "$dir" "$kver" "${debug_suites[@]}"
	else
		BUILD=$BUILD ZCAP_VM_TIMEOUT_SCALE=$scale \
			"$TOP/tests/vm/run" -o "$dir" "$kver" "${suites[@]}"
	fi
}

kernels=()
for k in ${VM_KVERS:-}; do
	kernels+=("$k")
done
debug_kver=
if [ -n "${DEBUG_KERNEL_DIR:-}" ]; then
	debug_kver=$(cat "$DEBUG_KERNEL_DIR/release")
	kernels+=("$debug_kver")
fi
if [ ${#kernels[@]} -eq 0 ]; then
	echo "soak: no kernel to boot (make deps)" >&2
	exit 1
fi

start=$(date +%s)
round=0 boots=0 runs=0 status=0
while [ $(($(date +%s) - start)) -lt "$DURATION" ] && [ $status -eq 0 ]; do
	round=$((round + 1))
	for k in "${kernels[@]}"; do
		[ $(($(date +%s) - start)) -lt "$DURATION" ] || break
		dir=$out/round-$round/$k
		if [ "$k" = "$debug_kver" ]; then
			boot "$k" "$dir" $((${DEBUG_TIMEOUT_SCALE:-4} * 2)) debug
		else
			boot "$k" "$dir" 2
		fi
		rc=$?
		boots=$((boots + 1))
		runs=$((runs + $(ls "$dir"/*.rc 2>/dev/null | wc -l)))
		if [ $rc -ne 0 ]; then
			echo "soak: round $round, $k failed: $dir" >&2
			status=1
			break
		fi
	done
done
elapsed=$(($(date +%s) - start))

# Each run ends with "# zcap-fuzz: N operations (M in K forked children)".
ops=$(cat "$out"/round-*/*/fuzz/zcap-fuzz.log 2>/dev/null |
	grep -o '[0-9]* operations (' | awk '{ n += $1 } END { print n + 0 }')
{
	echo "soak: $round rounds, $boots boots (${kernels[*]}), $runs suite runs, $ops fuzzer operations in $elapsed s"
	echo "soak: host load: ${SOAK_LOAD:-1} (a CPU-bound loop and a gzip loop, nice 19)"
	if [ $status -eq 0 ]; then
		echo "soak: every suite passed; kernel logs clean"
	else
		echo "soak: stopped at the first failure: $dir"
	fi
} | tee "$summary"
exit $status
