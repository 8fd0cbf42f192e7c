#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What one frame touches, libzcap against the bare DMABUF loop: runs
# `frame-cost --trace` under valgrind's lackey, which logs every
# instruction and every load and store, and counts, per frame (between
# two stores to frame-cost's marker), the instructions executed, the
# distinct instructions, and the distinct 64-byte lines of code and of
# data. A count, not a timing: the same on every run of the same build.
# Benchmarks.md says why distinct instructions are what a frame costs
# when it starts cold.
#
# Usage: tests/bench/frame_cost_trace.sh FRAME_COST_BINARY [LOG]

set -eu

bin=${1:?usage: $0 FRAME_COST_BINARY [LOG]}
log=${2:-${TMPDIR:-/tmp}/frame-cost-lackey.$$}
command -v valgrind >/dev/null || { echo "frame-cost trace: valgrind not found (make deps)" >&2; exit 1; }

out=$(valgrind --tool=lackey --trace-mem=yes --log-file="$log" "$bin" --trace)
marker=$(echo "$out" | sed -n 's/^marker 0x0*//p')
[ -n "$marker" ] || { echo "frame-cost trace: no marker address from $bin" >&2; exit 1; }

# Lackey's lines: "I  addr,size" (an instruction), " L addr,size",
# " S addr,size", " M addr,size" (data). Every other store to the marker
# starts a frame; the first half of the frames are the bare loop's.
status=0
awk -v marker="$marker" -v frames=20 '
function hexval(h,    i, v) {
	v = 0
	for (i = 1; i <= length(h); i++)
		v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
	return v
}
function line_of(a) { return int(hexval(a) / 64) }
function close_frame(    p) {
	p = n_frames <= frames ? 1 : 2
	# The last frame of each path: all are alike once warm (see min/max).
	last_i[p] = n_i; last_d[p] = n_di; last_c[p] = n_cl; last_l[p] = n_dl
	if (!(p in min_d) || n_di < min_d[p]) min_d[p] = n_di
	if (!(p in max_d) || n_di > max_d[p]) max_d[p] = n_di
}
{
	split($2, f, ","); a = f[1]; sub(/^0+/, "", a)
	if (($1 == "S" || $1 == "M") && a == marker) {
		if (in_frame) {
			close_frame()
		} else {
			n_frames++
			n_i = n_di = n_cl = n_dl = 0
			split("", di); split("", cl); split("", dl)
		}
		in_frame = !in_frame
		next
	}
	if (!in_frame)
		next
	if ($1 == "I") {
		n_i++
		if (!(a in di)) { di[a] = 1; n_di++; c = line_of(a); if (!(c in cl)) { cl[c] = 1; n_cl++ } }
	} else if ($1 == "L" || $1 == "S" || $1 == "M") {
		d = line_of(a)
		if (!(d in dl)) { dl[d] = 1; n_dl++ }
	}
}
END {
	if (n_frames != 2 * frames) {
		printf "frame-cost trace: %d frames in the trace, not %d\n", n_frames, 2 * frames > "/dev/stderr"
		exit 1
	}
	printf "frame-cost --trace: what one frame touches (valgrind lackey, the last of %d frames per path)\n", frames
	printf "%-24s %9s %9s %7s\n", "", "bare", "libzcap", "ratio"
	printf "%-24s %9d %9d %7.2f\n", "instructions", last_i[1], last_i[2], last_i[2] / last_i[1]
	printf "%-24s %9d %9d %7.2f\n", "distinct instructions", last_d[1], last_d[2], last_d[2] / last_d[1]
	printf "%-24s %9d %9d %7.2f\n", "code lines (64 B)", last_c[1], last_c[2], last_c[2] / last_c[1]
	printf "%-24s %9d %9d %7.2f\n", "data lines (64 B)", last_l[1], last_l[2], last_l[2] / last_l[1]
	printf "distinct instructions over the frames: bare %d-%d, libzcap %d-%d\n",
		min_d[1], max_d[1], min_d[2], max_d[2]
}' "$log" || status=$?
[ -n "${2:-}" ] || rm -f "$log"
exit $status
