#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What one frame touches, libzcap against the bare DMABUF loop: runs
# `frame-cost --trace` under valgrind's lackey, which logs every
# instruction and every load and store, and counts, per frame (between
# two stores to frame-cost's marker), the instructions executed, the
# distinct instructions, and the distinct 64-byte lines and 4 KiB pages
# of code and of data (a page is what a TLB entry covers). A count, not a timing: the same on every run of the same build.
# Benchmarks.md says why distinct instructions are what a frame costs
# when it starts cold.
#
# Usage: tests/bench/frame_cost_trace.sh FRAME_COST_BINARY [LOG]

set -eu

bin=${1:?usage: $0 FRAME_COST_BINARY [LOG]}
log=${2:-${TMPDIR:-/tmp}/frame-cost-lackey.$$}
command -v valgrind >/dev/null || { echo "frame-cost trace: valgrind not found (make deps)" >&2; exit 1; }

# by_file BIN MARKER ADDRS: where the distinct instructions of ADDRS (one
# address a line, in decimal, the last libzcap frame's) come from: each source
# file, by BIN's debug information (addr2line; with link-time inlining an
# instruction belongs to the file of its source line, not to the function
# it was inlined into), and what runs outside BIN (libc's locks, poll and
# ioctl stubs). The library's part is the walk of one frame that
# Documentation/design.md describes, counted instead of read.
by_file() {
	if ! command -v addr2line >/dev/null || ! command -v nm >/dev/null; then
		echo "frame-cost trace: no addr2line or nm (binutils): no files" >&2
		return 0
	fi
	sym=$(nm "$1" | awk '$3 == "frame_cost_marker" { print $1 }')
	last=$(nm -n "$1" | awk '$2 ~ /^[tTwW]$/ { a = $1 } END { print a }')
	if [ -z "$sym" ] || [ -z "$last" ]; then
		echo "frame-cost trace: no symbols in $1" >&2
		return 1
	fi
	# A position-independent BIN is loaded at a bias: where the marker
	# is, less where the file puts it. Past the last function's start
	# plus a page is outside BIN.
	awk -v bias=$((0x$2 - 0x$sym)) -v end=$((0x$last + 4096)) \
	    -v inside="$3.inside" '
	{
		off = $1 - bias
		if (off >= 0 && off < end)
			printf "%x\n", off > inside
		else
			outside++
	}
	END { print outside + 0 }' "$3" >"$3.outside"
	addr2line -e "$1" <"$3.inside" |
	awk -v outside="$(cat "$3.outside")" -v top="$(pwd)/" '
	{
		f = $0
		sub(/:[0-9?]+( \(discriminator [0-9]+\))?$/, "", f)
		if (index(f, top) == 1)
			f = substr(f, length(top) + 1)
		if (f == "??")
			f = "(no source line: PLT stubs)"
		n[f]++
		total++
	}
	END {
		printf "libzcap frame, distinct instructions by source file (%d in the program, %d outside it: libc, ld.so)\n", total, outside
		for (f in n)
			printf "%6d  %s\n", n[f], f | "sort -rn"
		close("sort -rn")
	}'
	rm -f "$3.inside" "$3.outside"
}

out=$(valgrind --tool=lackey --trace-mem=yes --log-file="$log" "$bin" --trace)
marker=$(echo "$out" | sed -n 's/^marker 0x0*//p')
[ -n "$marker" ] || { echo "frame-cost trace: no marker address from $bin" >&2; exit 1; }

# Lackey's lines: "I  addr,size" (an instruction), " L addr,size",
# " S addr,size", " M addr,size" (data). Every other store to the marker
# starts a frame; the first half of the frames are the bare loop's.
status=0
addrs=$log.addrs
awk -v marker="$marker" -v frames=20 -v addrs="$addrs" '
function hexval(h,    i, v) {
	v = 0
	for (i = 1; i <= length(h); i++)
		v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
	return v
}
function line_of(a) { return int(hexval(a) / 64) }
function page_of(a) { return int(hexval(a) / 4096) }
function close_frame(    p, x) {
	p = n_frames <= frames ? 1 : 2
	# The distinct instructions of the last libzcap frame, for by_file.
	if (n_frames == 2 * frames)
		for (x in di)
			printf "%.0f\n", hexval(x) > addrs
	# The last frame of each path: all are alike once warm (see min/max).
	last_i[p] = n_i; last_d[p] = n_di; last_c[p] = n_cl; last_l[p] = n_dl
	last_cp[p] = n_cp; last_dp[p] = n_dp
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
			n_i = n_di = n_cl = n_dl = n_cp = n_dp = 0
			split("", di); split("", cl); split("", dl); split("", cp); split("", dp)
		}
		in_frame = !in_frame
		next
	}
	if (!in_frame)
		next
	if ($1 == "I") {
		n_i++
		if (!(a in di)) {
			di[a] = 1; n_di++
			c = line_of(a); if (!(c in cl)) { cl[c] = 1; n_cl++ }
			c = page_of(a); if (!(c in cp)) { cp[c] = 1; n_cp++ }
		}
	} else if ($1 == "L" || $1 == "S" || $1 == "M") {
		d = line_of(a)
		if (!(d in dl)) { dl[d] = 1; n_dl++ }
		d = page_of(a)
		if (!(d in dp)) { dp[d] = 1; n_dp++ }
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
	printf "%-24s %9d %9d %7.2f\n", "code pages (4 KiB)", last_cp[1], last_cp[2], last_cp[2] / last_cp[1]
	printf "%-24s %9d %9d %7.2f\n", "data pages (4 KiB)", last_dp[1], last_dp[2], last_dp[2] / last_dp[1]
	printf "distinct instructions over the frames: bare %d-%d, libzcap %d-%d\n",
		min_d[1], max_d[1], min_d[2], max_d[2]
}' "$log" || status=$?
[ $status -ne 0 ] || by_file "$bin" "$marker" "$addrs" || status=$?
[ -n "${2:-}" ] || rm -f "$log" "$addrs"
exit $status
