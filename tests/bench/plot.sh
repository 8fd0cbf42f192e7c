#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Plot zcap-bench's CSV: one row of panels per kernel, one panel per figure,
# frame sizes on the x axis and one bar per path.
#
# Usage: tests/bench/plot.sh BENCH.CSV OUT.PNG
# Environment: GNUPLOT (default gnuplot; scripts/deps.sh installs gnuplot-nox)

set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 BENCH.CSV OUT.PNG" >&2
	exit 2
fi
csv=$1
png=$2
gp=${GNUPLOT:-gnuplot}
if ! command -v "$gp" >/dev/null; then
	echo "plot: $gp not found: no $png (make deps installs gnuplot-nox)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

kernels=$(awk -F, 'NR > 1 && !seen[$1]++ { print $1 }' "$csv")
if [ -z "$kernels" ]; then
	echo "plot: $csv holds no figures" >&2
	exit 1
fi

# table KERNEL SECTION METRIC SCALE COLUMNS... > file: one line per size
# (in the CSV's order), one column per path; NaN where there is no figure.
table() {
	local k=$1 section=$2 metric=$3 scale=$4
	shift 4
	awk -F, -v k="$k" -v s="$section" -v m="$metric" -v scale="$scale" -v cols="$*" '
		BEGIN { n = split(cols, c, " ") }
		$1 == k && $2 == s && !($3 in seen) { seen[$3] = 1; order[++ns] = $3 }
		$1 == k && $2 == s && $5 == m && $6 != "" { v[$3, $4] = $6 * scale }
		END {
			for (i = 1; i <= ns; i++) {
				line = order[i]
				for (j = 1; j <= n; j++)
					line = line " " (((order[i], c[j]) in v) ? v[order[i], c[j]] : "NaN")
				print line
			}
		}' "$csv"
}

paths="a b c heap udmabuf"
pools="zcap dma-heap udmabuf"
nk=$(echo "$kernels" | wc -l)
i=0
for k in $kernels; do
	table "$k" frame work_cpu_us 1 $paths >"$tmp/cpu.$i"
	table "$k" frame busy_us 1 $paths >"$tmp/busy.$i"
	table "$k" frame copied 1e-6 $paths >"$tmp/copied.$i"
	table "$k" frame latency_avg_ms 1 $paths >"$tmp/lat.$i"
	table "$k" pool create_ms_median 1 $pools >"$tmp/pool.$i"
	table "$k" pool sg_entries 1 $pools >"$tmp/sg.$i"
	i=$((i + 1))
done

# panel FILE TITLE LOG LABEL...: one histogram, only of the columns that
# have a figure; a panel with none says so instead of failing.
panel() {
	local file=$1 title=$2 log=$3 cmd= col=2 first=1 label
	shift 3
	for label in "$@"; do
		if awk -v c=$col '$c != "NaN" { f = 1 } END { exit !f }' "$file"; then
			if [ $first -eq 1 ]; then
				cmd="'$file' using $col:xtic(1) title '$label'"
				first=0
			else
				cmd="$cmd, '' using $col title '$label'"
			fi
		fi
		col=$((col + 1))
	done
	echo "set title \"$title\""
	if [ -z "$cmd" ]; then
		echo "unset logscale y"
		echo "set label 1 'no figures' at graph 0.5,0.5 center"
		echo "plot [0:1] [0:1] NaN notitle"
		echo "unset label 1"
		return
	fi
	if [ "$log" = log ]; then
		echo "set logscale y"
		echo "set yrange [*:*]"
	else
		echo "unset logscale y"
		echo "set yrange [0:*]"
	fi
	echo "plot $cmd"
}

{
	echo "set terminal pngcairo size 2400,$((520 * nk)) font 'sans,10'"
	echo "set output '$png'"
	echo "set multiplot layout $nk,6"
	echo "set style data histogram"
	echo "set style histogram clustered gap 1"
	echo "set style fill solid 0.85 border -1"
	echo "set boxwidth 0.9"
	echo "set key top left font ',8'"
	echo "set grid ytics"
	echo "set xtics font ',8' rotate by -25"
	i=0
	for k in $kernels; do
		set -- "a libzcap zcap" "b MMAP+memcpy" "c raw DMABUF" "d libzcap heap" "d libzcap udmabuf"
		panel "$tmp/cpu.$i" "$k\\nCPU per frame outside poll() (us, log)" log "$@"
		panel "$tmp/busy.$i" "$k\\nwall time outside poll() per frame (us, log)" log "$@"
		panel "$tmp/copied.$i" "$k\\nbytes copied by the CPU per frame (MB)" lin "$@"
		panel "$tmp/lat.$i" "$k\\ncapture-to-consumer latency, mean (ms)" lin "$@"
		set -- zcap dma-heap udmabuf
		panel "$tmp/pool.$i" "$k\\ncreating a pool of 8 buffers (ms, median, log)" log "$@"
		panel "$tmp/sg.$i" "$k\\nsg entries of those 8 buffers (log)" log "$@"
		i=$((i + 1))
	done
	echo "unset multiplot"
} >"$tmp/plot.gp"

"$gp" "$tmp/plot.gp"
echo "plot: $png"
