#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check that lib/ keeps to its layers (Documentation/design.md, "Layers").
#
#   scripts/check-layers.sh [-n LIB.so:PATTERN]... [OBJECT.o...]
#
# Always, from the sources alone:
#   - every directory of lib/ is a layer of LAYERS below;
#   - every #include "..." of lib/<layer>/* reaches only lib/<layer>/ or a
#     layer that <layer> may use (LAYERS), never outside lib/;
#   - no two headers of lib/ include each other, however indirectly;
#   - only lib/v4l2/queue.c issues REQBUFS, QUERYBUF, QBUF or DQBUF.
# With the objects of lib/, each .../<layer>/<file>.o:
#   - every symbol an object uses is defined in its own layer or one it
#     may use: the same rule as the includes, for calls through the public
#     headers (<zcap/*.h>), which say nothing of the layer behind them;
#   - no two objects depend on each other, however indirectly, unless they
#     are one object in several files (ONE_OBJECT below).
# With -n LIB.so:PATTERN: LIB.so has no DT_NEEDED entry matching PATTERN.
#
# Every finding names the file and the include or symbol; the exit status
# is 1 when there is any, 2 on misuse.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 2

# <layer>:<the layers it may use besides itself>
LAYERS='
core:
providers:core
v4l2:core providers
filters:core
dshow:core
drm:core providers
gst:core providers v4l2 filters
'

# Objects that are one object in several files, and why; they may call
# each other. Groups are separated by "|".
#   allocator+sample: a sample is a buffer of its allocator, and its last
#     reference gives it back (DirectShow's CBaseAllocator/CMediaSample);
#   filter+pin+pin_connect+graph: a filter owns its pins and tells its
#     graph it goes, pins ask their filter's state (IBaseFilter, IPin,
#     IFilterGraph);
#   v4l2_source+v4l2_source_dev+v4l2_stream: the V4L2 source's control
#     side, its device, and its streaming thread;
#   queue+queue_sample: the V4L2 queue's device and sample sides.
ONE_OBJECT='core/allocator core/sample | core/filter core/pin core/pin_connect core/graph |
v4l2/v4l2_source v4l2/v4l2_source_dev v4l2/v4l2_stream |
v4l2/queue v4l2/queue_sample'

needed=()
while getopts "n:" opt; do
	case $opt in
	n) needed+=("$OPTARG") ;;
	*) echo "usage: $0 [-n LIB.so:PATTERN]... [OBJECT.o...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
objs=("$@")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# The layer rule as awk: allowed(from, to) is 1 when layer @from may use
# layer @to; layer(path) is the layer of lib/<layer>/..., or "" outside.
rules_awk='
function layer(p,   q) {
	if (p !~ /^lib\/[^\/]+\//) return ""
	q = substr(p, 5)
	return substr(q, 1, index(q, "/") - 1)
}
function allowed(from, to) {
	return from == to || index(" " uses[from] " ", " " to " ")
}
BEGIN {
	n = split(LAYERS, l, "\n")
	for (i = 1; i <= n; i++)
		if (l[i] != "") {
			k = index(l[i], ":")
			uses[substr(l[i], 1, k - 1)] = substr(l[i], k + 1)
		}
}
'

for d in lib/*/; do
	d=${d#lib/}
	d=${d%/}
	if ! grep -q "^$d:" <<<"$LAYERS"; then
		echo "lib/$d/: not a layer (scripts/check-layers.sh, LAYERS)"
		status=1
	fi
done

# ---- includes --------------------------------------------------------
# One line per include: "<file>:<line> <target> <as written>"; the target
# is resolved as the compiler does, next to the file first, then from lib/
# (-I$(TOP)/lib); "?" when neither exists.
grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' lib/*/*.[ch] |
awk -F: '
function exists(p,   line, r) {
	r = (getline line < p) >= 0
	close(p)
	return r
}
# a/b/../c -> a/c, a/./b -> a/b
function norm(p,   n, i, k, part, out) {
	n = split(p, part, "/")
	k = 0
	for (i = 1; i <= n; i++) {
		if (part[i] == "." || part[i] == "") continue
		if (part[i] == ".." && k > 0) { k--; continue }
		out[++k] = part[i]
	}
	p = out[1]
	for (i = 2; i <= k; i++) p = p "/" out[i]
	return p
}
{
	inc = $0
	sub(/^[^"]*"/, "", inc)
	sub(/".*/, "", inc)
	dir = $1
	sub(/\/[^\/]*$/, "", dir)
	if (exists(dir "/" inc)) t = norm(dir "/" inc)
	else if (exists("lib/" inc)) t = norm("lib/" inc)
	else t = "?"
	print $1 ":" $2, t, inc
}' >"$tmp/includes"

awk -v LAYERS="$LAYERS" "$rules_awk"'
{
	f = $1
	sub(/:.*/, "", f)
	from = layer(f)
	to = layer($2)
	if ($2 == "?")
		msg = "no such file next to it or in lib/"
	else if (to == "")
		msg = "reaches " $2 ", outside the layers of lib/"
	else if (!allowed(from, to))
		msg = "layer " from " may not use " to " (it may use: " \
		      (uses[from] == "" ? "only itself" : uses[from]) ")"
	else
		next
	print $1 ": #include \"" $3 "\": " msg
	bad = 1
}
END { exit bad }' "$tmp/includes" || status=1

# Pairs of distinct nodes that reach each other along the edges of $1
# ("from to [label]" lines): transitive closure, small graphs only.
mutual() {
	awk '
	{ id[$1] = id[$1]; id[$2] = id[$2]; e[$1 SUBSEP $2] = 1 }
	END {
		n = 0
		for (v in id) node[n++] = v
		for (k = 0; k < n; k++)
			for (i = 0; i < n; i++) {
				if (!e[node[i] SUBSEP node[k]]) continue
				for (j = 0; j < n; j++)
					if (e[node[k] SUBSEP node[j]])
						e[node[i] SUBSEP node[j]] = 1
			}
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				if (node[i] < node[j] && e[node[i] SUBSEP node[j]] &&
				    e[node[j] SUBSEP node[i]])
					print node[i], node[j]
	}' "$1"
}

awk '$2 ~ /\.h$/ && $1 ~ /\.h:/ { sub(/:.*/, "", $1); print $1, $2 }' \
	"$tmp/includes" >"$tmp/hedges"
while read -r a b; do
	echo "$a and $b include each other, directly or through other headers"
	status=1
done < <(mutual "$tmp/hedges")

# ---- the V4L2 buffer queue --------------------------------------------
# REQBUFS, QUERYBUF, QBUF and DQBUF are the queue's ($QUEUE): anywhere else
# in lib/ they make a second queue. Comments and strings (a note naming
# the ioctl) do not count.
QUEUE=lib/v4l2/queue.c
for f in lib/*/*.[ch]; do
	[ "$f" = "$QUEUE" ] && continue
	awk '
	{
		line = $0
		out = ""
		while (line != "") {
			if (incomment) {
				i = index(line, "*/")
				if (!i)
					break
				line = substr(line, i + 2)
				incomment = 0
				continue
			}
			two = substr(line, 1, 2)
			c = substr(line, 1, 1)
			if (two == "/*") {
				incomment = 1
				line = substr(line, 3)
			} else if (two == "//") {
				break
			} else if (c == "\"" || c == "'\''") {
				for (j = 2; j <= length(line) && substr(line, j, 1) != c; j++)
					if (substr(line, j, 1) == "\\")
						j++
				line = substr(line, j + 1)
			} else {
				out = out c
				line = substr(line, 2)
			}
		}
		if (match(out, /VIDIOC_(REQBUFS|QUERYBUF|QBUF|DQBUF)([^A-Z_0-9]|$)/)) {
			name = substr(out, RSTART, RLENGTH)
			sub(/[^A-Z_0-9]$/, "", name)
			print FILENAME ":" FNR ": " name \
			      " outside the V4L2 queue (only '"$QUEUE"' issues it)"
			bad = 1
		}
	}
	END { exit bad }' "$f" || status=1
done

# ---- objects ---------------------------------------------------------
# Is "a b" within one group of ONE_OBJECT?
one_object() {
	tr '\n|' ' \n' <<<"$ONE_OBJECT" | awk -v a="$1" -v b="$2" '
	{ fa = fb = 0; for (i = 1; i <= NF; i++) { fa += $i == a; fb += $i == b } }
	fa && fb { found = 1 }
	END { exit !found }'
}

# How object $1 depends on $2: a symbol it uses, or "through others".
why() {
	awk -v a="$1" -v b="$2" '
	$1 == a && $2 == b { print a ".o uses " $3; found = 1; exit }
	END { if (!found) print a ".o through other objects" }' "$tmp/oedges"
}

if [ ${#objs[@]} -gt 0 ]; then
	# "<symbol> <layer>/<object>" for what each object defines, and uses
	name='sub(/\.o:.*/, "", o); n = split(o, p, "/"); o = p[n - 1] "/" p[n]'
	nm -A --defined-only -g "${objs[@]}" |
		awk "NF == 3 { o = \$1; $name; print \$3, o }" | sort >"$tmp/defs"
	nm -A -u "${objs[@]}" |
		awk "{ o = \$1; $name; print \$NF, o }" | sort >"$tmp/uses"
	# "user definer symbol", one per symbol used across objects
	join "$tmp/uses" "$tmp/defs" | awk '$2 != $3 { print $2, $3, $1 }' |
		sort -u >"$tmp/oedges"

	awk -v LAYERS="$LAYERS" "$rules_awk"'
	{
		from = $1; sub(/\/.*/, "", from)
		to = $2; sub(/\/.*/, "", to)
		if (allowed(from, to)) next
		print $1 ".o uses " $3 " from " $2 ".o: layer " from \
		      " may not use " to " (it may use: " \
		      (uses[from] == "" ? "only itself" : uses[from]) ")"
		bad = 1
	}
	END { exit bad }' "$tmp/oedges" || status=1

	while read -r a b; do
		one_object "$a" "$b" && continue
		echo "$a.o and $b.o depend on each other: $(why "$a" "$b"), $(why "$b" "$a")"
		status=1
	done < <(mutual "$tmp/oedges")
fi

# ---- shared libraries ------------------------------------------------
for n in "${needed[@]+"${needed[@]}"}"; do
	so=${n%%:*}
	pat=${n#*:}
	if [ ! -e "$so" ]; then
		echo "check-layers: no $so" >&2
		exit 2
	fi
	if readelf -d "$so" | grep NEEDED | grep -E -- "$pat"; then
		echo "$so: DT_NEEDED matches $pat"
		status=1
	fi
done

[ $status -eq 0 ] && echo "check-layers: lib/ keeps to its layers"
exit $status
