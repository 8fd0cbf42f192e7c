#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test of zcap-bench for `make check` (the whole benchmark is
# `make bench`): a short run at 640x480 of the libzcap zero-copy path (a),
# the MMAP + memcpy path (b), the raw DMABUF loop (c) and one pool creation
# per provider, then checks on its CSV that the figures say what the paths
# are: a and c copy nothing and map nothing per frame, b copies each frame
# once; and that nothing was left behind.
# zcap-vm-timeout: 300

. "$ZCAP_TOP/tests/vm/tap.sh"
. "$ZCAP_TOP/tests/bench/setup.sh"

csv=$ZCAP_RESULTS/bench.csv
W=640
H=480
FRAME=$((W * H * 2))

# The value of metric $2 of path $1 in section $3 (default frame).
val() {
	awk -F, -v p="$1" -v m="$2" -v s="${3:-frame}" \
		'$2 == s && $4 == p && $5 == m { print $6; exit }' "$csv"
}

tap_plan 7
if ! bench_setup; then
	tap_fail "set up zcap.ko, vivid and vgem"
	i=1
	while [ $i -lt 7 ]; do
		tap_skip "zcap-bench check $i" "no setup"
		i=$((i + 1))
	done
	bench_teardown
	exit 1
fi
tap_pass "zcap.ko, vivid ($BENCH_DEV) and vgem loaded"

"$BENCH" -d "$BENCH_DEV" -s ${W}x$H -n 10 -w 2 -r 2 -p a,b,c --pool-reps 1 \
	--csv "$csv" >"$ZCAP_RESULTS/bench.txt" 2>"$ZCAP_RESULTS/bench.err"
rc=$?
if [ $rc -eq 0 ] && [ -s "$csv" ]; then
	tap_pass "zcap-bench ran paths a, b, c and the pools"
else
	tap_fail "zcap-bench ran paths a, b, c and the pools (exit status $rc)"
	tap_diag "$(cat "$ZCAP_RESULTS/bench.err")"
fi
tap_diag "$(cat "$ZCAP_RESULTS/bench.txt")"

# Every path ran to its end and measured 10 frames.
bad=
for p in a b c; do
	[ "$(val $p status)" = ok ] && [ "$(val $p frames)" = 10 ] || bad="$bad $p"
done
if [ -z "$bad" ]; then
	tap_pass "paths a, b and c measured 10 frames each"
else
	tap_fail "paths a, b and c measured 10 frames each (not:$bad)"
fi

# Copies: b copies the whole frame once; a and c copy no pixels (a may
# copy a few small structs: less than 1% of a frame).
ca=$(val a copied)
cb=$(val b copied)
cc=$(val c copied)
if [ -n "$ca" ] && [ -n "$cb" ] && [ -n "$cc" ] &&
	awk -v a="$ca" -v b="$cb" -v c="$cc" -v f=$FRAME \
		'BEGIN { exit !(b >= f && a < f / 100 && c == 0) }'; then
	tap_pass "copied per frame: a $ca, b $cb, c $cc bytes (a frame is $FRAME)"
else
	tap_fail "copied per frame: a '$ca', b '$cb', c '$cc' bytes (a frame is $FRAME)"
fi

# The same dma-buf at the same index keeps its mapping, so the zero-copy
# paths map nothing per frame once streaming (Documentation/users.md, one
# dma-buf per index).
ma=$(val a map_calls)
va=$(val a vmap_calls)
mc=$(val c map_calls)
vc=$(val c vmap_calls)
if [ -z "$ma$va$mc$vc" ]; then
	tap_skip "no dma-buf map or vmap per frame on paths a and c" "no map counters on this kernel"
elif awk -v a="$ma" -v b="$va" -v c="$mc" -v d="$vc" \
	'BEGIN { exit !(a + b + c + d == 0) }'; then
	tap_pass "no dma-buf map or vmap per frame on paths a and c"
else
	tap_fail "dma-buf map/vmap per frame: a $ma/$va, c $mc/$vc (want 0)"
fi

if [ "$(val zcap status pool)" != failed ] && [ -n "$(val zcap create_ms_median pool)" ]; then
	tap_pass "zcap pool of 8 buffers created in $(val zcap create_ms_median pool) ms"
else
	tap_fail "zcap pool creation timed"
fi

bench_leaks
bench_teardown
tap_done
