#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The capture path end to end: vivid (single- and multi-planar instances)
# -> libzcap's V4L2 source -> sinks, through zcap.ko pools (zero copy) and
# through plain memory (the driver's buffers, copied), with every frame
# compared byte for byte between the two. vivid draws a still test pattern
# once its text overlay is off, so the two paths must give the same bytes.
# Also: stride padding, multi-memory formats, a non-zero data offset, run
# -> stop -> run, a slow consumer, the dma-heap and udmabuf providers, an
# unplug while streaming, zcap-capture with a PNG, and zcap.ko's debugfs
# counters (no per-frame mapping, nothing left at the end). The tools'
# conventions: zcap-info's --help, --version, -d and --json (read by
# python3), providers refused to a user who is not in group video, a
# reader that closes zcap-capture's output, escape codes only on a
# terminal with a TERM that has them, fourccs in any case.
# zcap-vm-timeout: 480

. "$ZCAP_TOP/tests/vm/tap.sh"
. "$ZCAP_TOP/tests/vm/suites-lib.sh"

ct=$ZCAP_BUILD/vm-tests/capture_test
capture=$ZCAP_BUILD/tools/zcap-capture
info=$ZCAP_BUILD/tools/zcap-info
py=/usr/bin/python3
out=$ZCAP_RESULTS
# Frames go to the guest's tmpfs: the results share is 9p, which cannot
# write from a dma-buf mapping without a bounce (tested on its own below).
tmp=$(mktemp -d /tmp/capture.XXXXXX)
W=320
H=180
N=10
# vivid's webcam input runs 320x180 at 5 fps unless asked; 30 keeps the
# suite short under TCG (a late frame is only a counted drop).
RATE="--fps 30"

tap_plan 39

case $ZCAP_KVER in
6.1.*) old_kernel=1 ;;
*) old_kernel=0 ;;
esac

# run_ct NAME ARGS...: capture_test's output in $out/NAME.out; its status.
run_ct() {
	local name=$1
	shift
	"$ct" "$@" >"$out/$name.out" 2>&1
}

# press_during NAME DEV CONTROL ARGS...: run capture_test in the
# background, press vivid's button CONTROL on DEV once frames flow; its
# status.
press_during() {
	local name=$1 dev=$2 ctrl=$3 pid i
	shift 3
	"$ct" "$@" >"$out/$name.out" 2>&1 &
	pid=$!
	for i in $(seq 300); do
		grep -q '^first-frame' "$out/$name.out" && break
		sleep 0.1
	done
	v4l2-ctl -d "$dev" -c "$ctrl=1" >>"$out/$name.ctl" 2>&1
	wait $pid
}

ct_ok() {
	grep -q '^result ok' "$out/$1.out"
}

show() {
	tap_diag "$(cat "$out/$1.out")"
}

# check_zero_copy NAME: ok, the zcap-like provider, nothing copied.
check_capture() {
	local name=$1 want_provider=$2 copy=$3
	local prov copied
	prov=$(ct_field "$name" provider)
	copied=$(ct_field "$name" copied)
	if ! ct_ok "$name"; then
		return 1
	fi
	[ "$prov" = "$want_provider" ] || return 1
	if [ "$copy" = copy ]; then
		[ -n "$copied" ] && [ "$copied" -gt 0 ]
	else
		[ "$copied" = 0 ]
	fi
}

# same_frames A B SIZE: equal files, N frames of SIZE bytes each, not
# blank. On a mismatch both files are kept in the results for a look.
same_frames() {
	local a=$1 b=$2 size=$3
	if [ -s "$a" ] && cmp -s "$a" "$b" &&
		[ "$(stat -c %s "$a")" -eq $((N * size)) ] &&
		[ -n "$(head -c "$size" "$a" | tr -d '\000' | head -c 1)" ]; then
		return 0
	fi
	tap_diag "frames of $size bytes: $(cmp "$a" "$b" 2>&1 | head -1)" \
		"$(ls -l "$a" "$b" 2>&1)"
	cp "$a" "$b" "$out/" 2>/dev/null
	return 1
}

# --- vivid, and zcap-capture's messages before zcap.ko is loaded ----------

# Instance 0 single-planar, instance 1 multi-planar; video capture nodes only.
if modprobe vivid n_devs=2 multiplanar=1,2 node_types=0x1,0x1 2>"$out/modprobe.err"; then
	sp= mp=
	for i in $(seq 50); do
		for d in /sys/class/video4linux/video*; do
			[ -r "$d/name" ] || continue
			case $(cat "$d/name") in
			vivid-000-vid-cap) sp=/dev/${d##*/} ;;
			vivid-001-vid-cap) mp=/dev/${d##*/} ;;
			esac
		done
		[ -c "$sp" ] && [ -c "$mp" ] && break
		sleep 0.1
	done
fi
if [ -c "${sp:-}" ] && [ -c "${mp:-}" ] &&
	v4l2-ctl -d "$sp" -c osd_text_mode=2 && v4l2-ctl -d "$mp" -c osd_text_mode=2; then
	tap_pass "vivid: single-planar $sp, multi-planar $mp, text overlay off"
	v4l2-ctl -d "$sp" -L >"$out/vivid-controls.txt" 2>&1
	v4l2-ctl -d "$mp" --list-formats-ext >"$out/vivid-mplane-formats.txt" 2>&1
else
	tap_fail "vivid: single-planar and multi-planar instances"
	tap_diag "$(cat "$out/modprobe.err" 2>/dev/null)" "$(ls -l /dev/video* 2>&1)"
	exit 1
fi

"$capture" -d "$sp" --provider zcap -n 1 >"$out/msg-nozcap.txt" 2>&1
rc=$?
# zcap.ko is insmod'ed from the build here, so this kernel has none installed.
if [ $rc -ne 0 ] && grep -q "zcap: zcap.ko is not installed for this kernel; fix: .*modprobe zcap" "$out/msg-nozcap.txt" &&
	grep -q "or another --provider" "$out/msg-nozcap.txt"; then
	tap_pass "zcap-capture --provider zcap without zcap.ko: says how to fix it"
else
	tap_fail "zcap-capture --provider zcap without zcap.ko: says how to fix it"
	tap_diag "exit $rc" "$(cat "$out/msg-nozcap.txt")"
fi

# -o names a file that holds something: a run that cannot start keeps it.
echo keep >"$out/kept.raw"
"$capture" -d /dev/video-none -n 1 -o "$out/kept.raw" >"$out/msg-nodev.txt" 2>&1
rc1=$?
"$capture" -d /dev/null -n 1 >"$out/msg-notv4l2.txt" 2>&1
rc2=$?
"$capture" -d "$sp" -f NV12M -n 1 >"$out/msg-format.txt" 2>&1
rc3=$?
if [ $rc1 -ne 0 ] && grep -q "no such device" "$out/msg-nodev.txt" &&
	[ "$(cat "$out/kept.raw")" = keep ] &&
	[ $rc2 -ne 0 ] && grep -q "not a V4L2 device" "$out/msg-notv4l2.txt" &&
	[ $rc3 -ne 0 ] && grep -q "cannot capture NM12" "$out/msg-format.txt" &&
	grep -q "^  YUYV" "$out/msg-format.txt"; then
	tap_pass "zcap-capture: missing device (-o's file kept), not V4L2, unsupported format (lists formats)"
else
	tap_fail "zcap-capture: missing device (-o's file kept), not V4L2, unsupported format (lists formats)"
	tap_diag "exit $rc1 $rc2 $rc3; -o's file: $(wc -c <"$out/kept.raw") bytes" \
		"$(cat "$out"/msg-nodev.txt "$out"/msg-notv4l2.txt "$out"/msg-format.txt)"
fi

insmod_zcap "$out"

# --- single-planar --------------------------------------------------------

run_ct sp-zc -d "$sp" -f YUYV -s ${W}x$H $RATE -p zcap -n $N -o "$tmp/sp-zc.raw"
if check_capture sp-zc zcap zero; then
	tap_pass "single-planar YUYV ${W}x$H through zcap.ko: $N frames, 0 bytes copied"
else
	tap_fail "single-planar YUYV ${W}x$H through zcap.ko: $N frames, 0 bytes copied"
	show sp-zc
fi

run_ct sp-copy -d "$sp" -f YUYV -s ${W}x$H $RATE -p memory -n $N -o "$tmp/sp-copy.raw"
if check_capture sp-copy memory copy; then
	tap_pass "single-planar YUYV through plain memory: MMAP + copy, bytes copied counted"
else
	tap_fail "single-planar YUYV through plain memory: MMAP + copy, bytes copied counted"
	show sp-copy
fi

if same_frames "$tmp/sp-zc.raw" "$tmp/sp-copy.raw" $((W * H * 2)); then
	tap_pass "single-planar: zero-copy frames are byte-identical to copied frames"
else
	tap_fail "single-planar: zero-copy frames are byte-identical to copied frames"
	tap_diag "$(ls -l "$tmp"/sp-*.raw)"
fi

# The first round maps every buffer once; after it nothing may map again.
mr=$(ct_field sp-zc maps_round)
me=$(ct_field sp-zc maps_end)
vr=$(ct_field sp-zc vmaps_round)
ve=$(ct_field sp-zc vmaps_end)
if [ -n "$mr" ] && [ "$mr" -ge 0 ] && [ "$mr" = "$me" ] && [ "$vr" = "$ve" ]; then
	tap_pass "debugfs map_calls ($mr) and vmap_calls ($vr) do not grow per frame after the first round"
else
	tap_fail "debugfs map_calls/vmap_calls do not grow per frame after the first round"
	tap_diag "map_calls after the first round $mr, at the end $me;" \
		"vmap_calls after the first round $vr, at the end $ve"
fi

# vivid honours bytesperline: a stride wider than the line.
stride=1024
run_ct sp-stride -d "$sp" -f YUYV -s ${W}x$H $RATE --stride $stride -p zcap -n $N -o "$tmp/sp-stride.raw"
run_ct sp-stride-raw -d "$sp" -f YUYV -s ${W}x$H $RATE --stride $stride -p zcap -n $N \
	--raw -o "$tmp/sp-stride-raw.raw"
got_stride=$(awk '$1 == "format" { for (i = 1; i < NF; i++) if ($i == "stride") print $(i + 1) }' \
	"$out/sp-stride.out")
if check_capture sp-stride zcap zero && [ "$got_stride" = $stride ] &&
	same_frames "$tmp/sp-stride.raw" "$tmp/sp-zc.raw" $((W * H * 2)) &&
	ct_ok sp-stride-raw &&
	[ "$(stat -c %s "$tmp/sp-stride-raw.raw")" -eq $((N * stride * H)) ]; then
	tap_pass "stride $stride at width $W: driver honours it, visible lines identical, raw frames $((stride * H)) bytes"
else
	tap_fail "stride $stride at width $W: visible lines identical, raw frames padded"
	show sp-stride
	tap_diag "$(ls -l "$tmp"/sp-stride*.raw 2>&1)"
fi

run_ct sp-runs -d "$sp" -f YUYV -s ${W}x$H $RATE -p zcap -n 5 --runs 3
if ct_ok sp-runs && [ "$(grep -c '^run .* frames 5 .* outstanding 0 ' "$out/sp-runs.out")" = 3 ]; then
	tap_pass "run -> stop -> run -> stop -> run in one process: 5 frames each, every buffer back"
else
	tap_fail "run -> stop -> run in one process"
	show sp-runs
fi

run_ct sp-hold -d "$sp" -f YUYV -s ${W}x$H $RATE -p zcap -n $N --sink null --hold-ms 300
# vivid's minimum (2) plus the 3 the holding sink says it keeps.
if ct_ok sp-hold && [ "$(ct_field sp-hold copied)" = 0 ] && [ "$(ct_field sp-hold errors)" = 0 ] &&
	[ "$(ct_field sp-hold buffers)" = 5 ]; then
	tap_pass "slow consumer (null sink holds each frame 300 ms): $N frames, $(ct_field sp-hold buffers) buffers, dropped $(ct_field sp-hold dropped)"
else
	tap_fail "slow consumer (null sink holds each frame 300 ms)"
	show sp-hold
fi

# vivid's error injection: what drivers do when things go wrong.
v4l2-ctl -d "$sp" -c percentage_of_dropped_buffers=50
run_ct sp-drops -d "$sp" -f YUYV -s ${W}x$H $RATE -p zcap -n $N
v4l2-ctl -d "$sp" -c percentage_of_dropped_buffers=100
run_ct sp-timeout -d "$sp" -f YUYV -s ${W}x$H $RATE -p zcap -n $N --timeout 1500 --expect-error timeout
# zcap-capture on a device that delivers nothing: must end by itself, non-zero, saying why.
timeout 60 "$capture" -d "$sp" --size ${W}x$H --format YUYV -n $N --timeout 1500 -o /dev/null \
	>"$out/stall.txt" 2>&1
stall_rc=$?
v4l2-ctl -d "$sp" -c percentage_of_dropped_buffers=0
if ct_ok sp-drops && [ "$(ct_field sp-drops dropped)" -gt 0 ] && ct_ok sp-timeout &&
	grep -q "outstanding 0 " "$out/sp-timeout.out" &&
	grep -q "^note no frame from $sp in 1500 ms" "$out/sp-timeout.out"; then
	tap_pass "frames the driver skips are counted as dropped ($(ct_field sp-drops dropped)); none at all ends in a timeout"
else
	tap_fail "frames the driver skips are counted as dropped; none at all ends in a timeout"
	show sp-drops
	show sp-timeout
fi
if [ "$stall_rc" = 1 ] && grep -q "delivered no frame in time" "$out/stall.txt"; then
	tap_pass "zcap-capture on a device that delivers no frame: exits 1 by itself ($(grep -m1 'no frame' "$out/stall.txt"))"
else
	tap_fail "zcap-capture on a device that delivers no frame: exits 1 by itself (rc $stall_rc; 124 = hung)"
	sed 's/^/# /' "$out/stall.txt"
fi

press_during sp-bufflag "$sp" inject_v4l2_buf_flag_error -d "$sp" -f YUYV -s ${W}x$H $RATE -p zcap -n 150
if ct_ok sp-bufflag && [ "$(ct_field sp-bufflag errors)" -ge 1 ]; then
	tap_pass "V4L2_BUF_FLAG_ERROR is passed on and counted ($(ct_field sp-bufflag errors) error)"
else
	tap_fail "V4L2_BUF_FLAG_ERROR is passed on and counted"
	show sp-bufflag
fi

press_during sp-fatal "$sp" inject_fatal_streaming_error -d "$sp" -f YUYV -s ${W}x$H $RATE -p zcap \
	-n 100000 --wait 60 --expect-error io
if ct_ok sp-fatal && grep -q "fatal streaming error" "$out/sp-fatal.out" &&
	grep -q "outstanding 0 " "$out/sp-fatal.out"; then
	tap_pass "a fatal driver error (vb2_queue_error) ends the stream with EIO and frees everything"
else
	tap_fail "a fatal driver error (vb2_queue_error) ends the stream with EIO"
	show sp-fatal
fi

# The next REQBUFS fails with EINVAL, as on a driver without DMABUF: the
# source must fall back to its own buffers and a counted copy.
v4l2-ctl -d "$sp" -c inject_vidioc_reqbufs_error=1
run_ct sp-nodmabuf -d "$sp" -f YUYV -s ${W}x$H $RATE -p zcap -n $N -o "$tmp/sp-nodmabuf.raw"
if ct_ok sp-nodmabuf && [ "$(ct_field sp-nodmabuf copied)" -gt 0 ] &&
	grep -q "^note .*cannot import dma-bufs" "$out/sp-nodmabuf.out" &&
	same_frames "$tmp/sp-nodmabuf.raw" "$tmp/sp-zc.raw" $((W * H * 2)); then
	tap_pass "REQBUFS(DMABUF) refused: falls back to MMAP + counted copy, says so, same frames"
else
	tap_fail "REQBUFS(DMABUF) refused: falls back to MMAP + counted copy"
	show sp-nodmabuf
fi

# More buffers than vb2 gives one queue: use what REQBUFS granted.
run_ct sp-many -d "$sp" -f YUYV -s ${W}x$H $RATE -p zcap -n $N --extra 100
if ct_ok sp-many && grep -q "^note the driver granted [0-9]* of 103 buffers" "$out/sp-many.out" &&
	[ "$(ct_field sp-many copied)" = 0 ]; then
	tap_pass "REQBUFS grants fewer than asked: adapts ($(sed -n 's/^note //p' "$out/sp-many.out"))"
else
	tap_fail "REQBUFS grants fewer than asked: adapts"
	show sp-many
fi

run_ct sp-filesink -d "$sp" -f YUYV -s ${W}x$H $RATE -p zcap -n $N --sink file -o "$tmp/sp-filesink.raw"
if ct_ok sp-filesink && same_frames "$tmp/sp-filesink.raw" "$tmp/sp-zc.raw" $((W * H * 2)); then
	tap_pass "library file sink writes the same frames"
else
	tap_fail "library file sink writes the same frames"
	show sp-filesink
fi

# --- multi-planar ---------------------------------------------------------

run_ct mp-zc -d "$mp" -f YUYV -s ${W}x$H $RATE -p zcap -n $N -o "$tmp/mp-zc.raw"
run_ct mp-copy -d "$mp" -f YUYV -s ${W}x$H $RATE -p memory -n $N -o "$tmp/mp-copy.raw"
if check_capture mp-zc zcap zero && check_capture mp-copy memory copy &&
	same_frames "$tmp/mp-zc.raw" "$tmp/mp-copy.raw" $((W * H * 2)); then
	tap_pass "multi-planar YUYV: zero copy through zcap.ko, identical to the copy path"
else
	tap_fail "multi-planar YUYV: zero copy through zcap.ko, identical to the copy path"
	show mp-zc
	show mp-copy
fi

# NV12M: two memory blocks, so two dma-bufs per buffer.
run_ct mp-nv12m-zc -d "$mp" -f NV12M -s ${W}x$H $RATE -p zcap -n $N -o "$tmp/mp-nv12m-zc.raw"
run_ct mp-nv12m-copy -d "$mp" -f NV12M -s ${W}x$H $RATE -p memory -n $N -o "$tmp/mp-nv12m-copy.raw"
if check_capture mp-nv12m-zc zcap zero && check_capture mp-nv12m-copy memory copy &&
	grep -q '^format NM12 .* planes 2 mem 2 ' "$out/mp-nv12m-zc.out" &&
	same_frames "$tmp/mp-nv12m-zc.raw" "$tmp/mp-nv12m-copy.raw" $((W * H * 3 / 2)); then
	tap_pass "multi-planar NV12M (2 dma-bufs per frame): zero copy, identical to the copy path"
else
	tap_fail "multi-planar NV12M (2 dma-bufs per frame): zero copy, identical to the copy path"
	show mp-nv12m-zc
	show mp-nv12m-copy
fi

# vivid starts NV16M's luma 128 bytes into its buffer (a data_offset).
run_ct mp-nv16m-zc -d "$mp" -f NV16M -s ${W}x$H $RATE -p zcap -n $N -o "$tmp/mp-nv16m-zc.raw"
run_ct mp-nv16m-copy -d "$mp" -f NV16M -s ${W}x$H $RATE -p memory -n $N -o "$tmp/mp-nv16m-copy.raw"
if check_capture mp-nv16m-zc zcap zero && check_capture mp-nv16m-copy memory copy &&
	[ "$(ct_field mp-nv16m-zc offsets)" = "128,0" ] &&
	same_frames "$tmp/mp-nv16m-zc.raw" "$tmp/mp-nv16m-copy.raw" $((W * H * 2)); then
	tap_pass "multi-planar NV16M: the driver's data_offset 128 travels with each sample, frames identical"
else
	tap_fail "multi-planar NV16M: the driver's data_offset travels with each sample"
	show mp-nv16m-zc
	show mp-nv16m-copy
fi

# --- other providers ------------------------------------------------------

modprobe udmabuf 2>/dev/null
for prov in heap udmabuf; do
	want=$prov dev=/dev/udmabuf cfg=CONFIG_UDMABUF
	if [ $prov = heap ]; then
		want=dma-heap dev=/dev/dma_heap/system cfg=CONFIG_DMABUF_HEAPS_SYSTEM
	fi
	if [ $old_kernel = 1 ] && [ ! -e $dev ]; then
		# Debian's 6.1 kernel is built without either.
		"$capture" -d "$sp" -f YUYV -s ${W}x$H $RATE -n 1 --provider $prov \
			>"$out/msg-$prov.txt" 2>&1
		tap_skip "provider $want: zero copy, frames identical to zcap.ko's" \
			"$ZCAP_KVER has no $dev ($cfg is not set); zcap-capture says: $(tail -1 "$out/msg-$prov.txt")"
		continue
	fi
	run_ct sp-$prov -d "$sp" -f YUYV -s ${W}x$H $RATE -p $prov -n $N -o "$tmp/sp-$prov.raw"
	if check_capture sp-$prov $want zero &&
		same_frames "$tmp/sp-$prov.raw" "$tmp/sp-zc.raw" $((W * H * 2)); then
		tap_pass "provider $want: zero copy, frames identical to zcap.ko's"
	else
		tap_fail "provider $want: zero copy, frames identical to zcap.ko's"
		show sp-$prov
	fi
done

# --- zcap-info and the tools' conventions -----------------------------------

"$info" --help >"$out/info-help.txt" 2>"$out/info-help.err"
rc1=$?
"$info" --version >"$out/info-version.txt" 2>&1
rc2=$?
"$info" -d /dev/null >"$out/info-null.txt" 2>&1
rc3=$?
if [ $rc1 -eq 0 ] && grep -q "^Usage: zcap-info" "$out/info-help.txt" && [ ! -s "$out/info-help.err" ] &&
	[ $rc2 -eq 0 ] && grep -qx "zcap-info [0-9]*\.[0-9]*\.[0-9]*" "$out/info-version.txt" &&
	"$capture" --version | grep -qx "zcap-capture $(cut -d' ' -f2 "$out/info-version.txt")" &&
	[ $rc3 -eq 1 ] && grep -q "not a V4L2 device" "$out/info-null.txt"; then
	tap_pass "zcap-info --help (stdout, exit 0), --version, -d on a non-device (exit 1)"
else
	tap_fail "zcap-info --help (stdout, exit 0), --version, -d on a non-device (exit 1)"
	tap_diag "exit $rc1 $rc2 $rc3" "$(cat "$out"/info-help.err "$out"/info-version.txt "$out"/info-null.txt)"
fi

# Bash completion knows every long option each tool's --help lists.
missing=
for t in zcap-capture:"$capture" zcap-info:"$info" zcap-bench:"$ZCAP_BUILD/tools/zcap-bench"; do
	for o in $("${t#*:}" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -q -- "$o\b" "$ZCAP_TOP/completion/zcap" || missing="$missing ${t%%:*}$o"
	done
done
if [ -z "$missing" ]; then
	tap_pass "completion/zcap completes every long option of the three tools' --help"
else
	tap_fail "completion/zcap completes every long option of the three tools' --help"
	tap_diag "missing:$missing"
fi

# What --json says of vivid and of each provider, against this kernel.
if [ -e /dev/udmabuf ]; then want_udmabuf=ok
elif [ $old_kernel = 1 ]; then want_udmabuf=absent
else want_udmabuf=not-loaded
fi
"$info" --json >"$out/info.json" 2>&1
rc1=$?
"$info" -d "$sp" --json >"$out/info-sp.json" 2>&1
rc2=$?
if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && "$py" - "$out/info.json" "$out/info-sp.json" "$sp" "$want_udmabuf" \
	>"$out/info-json-check.txt" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
one = json.load(open(sys.argv[2]))
sp, want_udmabuf = sys.argv[3], sys.argv[4]
dev = [v for v in d['devices'] if v['path'] == sp][0]
assert dev['driver'] == 'vivid' and dev['dmabuf_import'], dev
yuyv = [f for f in dev['formats'] if f['fourcc'] == 'YUYV'][0]
sizes = [s for s in yuyv['sizes'] if s.get('width') == 320 and s.get('height') == 180]
assert sizes and sizes[0]['intervals'], yuyv['sizes']
names = [f['fourcc'] for f in dev['formats']]
assert len(names) == len(set(names)), names
assert [v['path'] for v in one['devices']] == [sp], one['devices']
prov = {p['name']: p for p in d['providers']}
assert prov['zcap']['state'] == 'ok' and prov['zcap']['available'], prov['zcap']
assert prov['udmabuf']['state'] == want_udmabuf, (prov['udmabuf'], want_udmabuf)
if want_udmabuf == 'absent':
    assert 'CONFIG_UDMABUF' in prov['udmabuf']['reason'] and 'modprobe' not in prov['udmabuf']['fix']
if want_udmabuf == 'not-loaded':
    assert prov['udmabuf']['fix'] == 'sudo modprobe udmabuf', prov['udmabuf']
assert d['libzcap']['available'], d['libzcap']
print('ok', len(d['devices']), 'devices', len(dev['formats']), 'formats;', 'udmabuf', want_udmabuf)
PY
then
	tap_pass "zcap-info --json: vivid's formats, sizes and intervals, providers as this kernel has them ($(cat "$out/info-json-check.txt"))"
else
	tap_fail "zcap-info --json: vivid's formats, sizes and intervals, providers as this kernel has them"
	tap_diag "exit $rc1 $rc2" "$(cat "$out/info-json-check.txt")" "$(head -c 3000 "$out/info.json")"
fi

# A user outside group video: /dev/zcap refuses them. zcap-capture still
# captures (a copy) and says which provider refused and the fix;
# zcap-info says "refused". The capture node is opened up for this only.
vmode=$(stat -c %a "$sp")
zmode=$(stat -c %a /dev/zcap)
chmod 0666 "$sp"
chmod 0600 /dev/zcap
as_nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
$as_nobody "$capture" -d "$sp" -f YUYV -s ${W}x$H $RATE -n 2 >"$out/refused.txt" 2>&1
rc1=$?
$as_nobody "$info" --json >"$out/refused-info.json" 2>&1
rc2=$?
chmod "$vmode" "$sp"
chmod "$zmode" /dev/zcap
if [ $rc1 -eq 0 ] && grep -q "^refused:  zcap: /dev/zcap exists but refuses you.*fix: add yourself to group video" "$out/refused.txt" &&
	{ grep -q "by the source: no dma-buf provider could be used here" "$out/refused.txt" ||
	  grep -q "^provider: .*served by" "$out/refused.txt"; } &&
	[ $rc2 -eq 0 ] && "$py" -c 'import json,sys; p = {x["name"]: x for x in json.load(open(sys.argv[1]))["providers"]}; assert p["zcap"]["state"] == "refused" and "group video" in p["zcap"]["fix"]' \
		"$out/refused-info.json" 2>>"$out/refused.txt"; then
	tap_pass "a user /dev/zcap refuses: zcap-capture's summary and zcap-info say so, with the fix"
else
	tap_fail "a user /dev/zcap refuses: zcap-capture's summary and zcap-info say so, with the fix"
	tap_diag "exit $rc1 $rc2" "$(cat "$out/refused.txt")" "$(head -c 2000 "$out/refused-info.json")"
fi

# A reader that goes away: the capture ends, the summary goes to stderr,
# exit status 3 (zcap-capture(1)).
timeout 60 "$capture" -d "$sp" -f YUYV -s ${W}x$H $RATE -o - 2>"$out/epipe.txt" | head -c 100 >/dev/null
rc=${PIPESTATUS[0]}
if [ $rc -eq 3 ] && grep -q "closed it after [0-9]* frames: stopped" "$out/epipe.txt" &&
	grep -q "^frames: " "$out/epipe.txt" && grep -q "until its reader closed it" "$out/epipe.txt"; then
	tap_pass "zcap-capture -o - | head -c 100: exit 3, the summary on stderr"
else
	tap_fail "zcap-capture -o - | head -c 100: exit 3, the summary on stderr"
	tap_diag "exit $rc (124: hung, 141: killed by SIGPIPE)" "$(cat "$out/epipe.txt")"
fi

# A consumer that cannot be opened is named, with no advice about buffer
# providers (it is not theirs); a summary that cannot be written to a full
# standard output is an error.
"$capture" -d "$sp" -f YUYV -s ${W}x$H $RATE -n 1 --encode /dev/zcap-test-none \
	-o "$tmp/none.fwht" >"$out/no-encoder.txt" 2>&1
rc1=$?
"$capture" -d "$sp" -f YUYV -s ${W}x$H $RATE -n 2 -o "$tmp/full.raw" >/dev/full 2>"$out/full.txt"
rc2=$?
if [ $rc1 -eq 1 ] && grep -q "cannot open /dev/zcap-test-none: " "$out/no-encoder.txt" &&
	! grep -q "modprobe\|provider" "$out/no-encoder.txt" &&
	[ $rc2 -eq 1 ] && grep -q "writing the summary: No space left on device" "$out/full.txt"; then
	tap_pass "--encode on a missing device: named, exit 1; the summary into a full stdout: exit 1"
else
	tap_fail "--encode on a missing device: named, exit 1; the summary into a full stdout: exit 1"
	tap_diag "exit $rc1, $rc2" "$(cat "$out/no-encoder.txt" "$out/full.txt")"
fi
rm -f "$tmp/full.raw"

# A fourcc in any case.
"$capture" -d "$sp" -f yuyv -s ${W}x$H $RATE -n 1 >"$out/lowercase.txt" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "^format:   YUYV 320x180" "$out/lowercase.txt"; then
	tap_pass "zcap-capture -f yuyv captures YUYV"
else
	tap_fail "zcap-capture -f yuyv captures YUYV"
	tap_diag "exit $rc" "$(cat "$out/lowercase.txt")"
fi

# --- zcap-capture, 1280x720, with a PNG -------------------------------------

"$capture" -d "$sp" -s 1280x720 -f YUYV -n 3 -o "$tmp/hd.raw" --png "$out/hd.png" \
	>"$out/zcap-capture-hd.txt" 2>&1
rc=$?
sig=$(head -c 8 "$out/hd.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')
dims=$(od -An -tu1 -j16 -N8 "$out/hd.png" 2>/dev/null | awk '{ print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8 }')
if [ $rc -eq 0 ] && [ "$sig" = 89504e470d0a1a0a ] && [ "$dims" = 1280x720 ] &&
	[ "$(stat -c %s "$tmp/hd.raw")" -eq $((3 * 1280 * 720 * 2)) ] &&
	grep -q "^copied: *0 bytes by the CPU (zero copy)" "$out/zcap-capture-hd.txt" &&
	grep -q "^provider: zcap" "$out/zcap-capture-hd.txt"; then
	tap_pass "zcap-capture 1280x720: 3 frames, PNG 1280x720, zero copy through zcap"
else
	tap_fail "zcap-capture 1280x720 with a PNG"
	tap_diag "exit $rc, PNG signature $sig, size $dims" "$(cat "$out/zcap-capture-hd.txt")"
fi

# The progress line is for terminals only: under a pty it is there,
# in a file (every other zcap-capture run here) it is not.
# Escape codes only with a TERM that has them (TERM=dumb: a bare \r).
TERM=xterm script -qec "$capture -d $sp -f YUYV -s ${W}x$H $RATE -n 20" /dev/null \
	>"$out/zcap-capture-tty.txt" 2>&1
rc=$?
TERM=dumb script -qec "$capture -d $sp -f YUYV -s ${W}x$H $RATE -n 20" /dev/null \
	>"$out/zcap-capture-dumb.txt" 2>&1
rc2=$?
esc=$(printf '\033')
if [ $rc -eq 0 ] && grep -q "fps, [0-9]* frames, [0-9]* dropped, latency" "$out/zcap-capture-tty.txt" &&
	grep -q "$esc\[K" "$out/zcap-capture-tty.txt" &&
	[ $rc2 -eq 0 ] && grep -q "fps, [0-9]* frames, [0-9]* dropped, latency" "$out/zcap-capture-dumb.txt" &&
	! grep -q "$esc" "$out/zcap-capture-dumb.txt" "$out/zcap-capture-hd.txt" &&
	! grep -q "fps, [0-9]* frames, [0-9]* dropped, latency" "$out/zcap-capture-hd.txt"; then
	tap_pass "zcap-capture shows live progress on a terminal only, escape codes only if TERM has them"
else
	tap_fail "zcap-capture shows live progress on a terminal only, escape codes only if TERM has them"
	tap_diag "exit $rc $rc2" "$(tr '\r' '\n' <"$out/zcap-capture-tty.txt" | cat -v)" \
		"$(tr '\r' '\n' <"$out/zcap-capture-dumb.txt" | cat -v)"
fi

# Ctrl-C stops cleanly: every buffer back, the summary printed, success.
"$capture" -d "$sp" -f YUYV -s ${W}x$H $RATE -o "$tmp/sigint.raw" >"$out/zcap-capture-sigint.txt" 2>&1 &
cpid=$!
sleep 3
kill -INT $cpid
wait $cpid
rc=$?
written=$(stat -c %s "$tmp/sigint.raw" 2>/dev/null || echo 0)
if [ $rc -eq 0 ] && grep -q "^frames: *[1-9][0-9]* captured" "$out/zcap-capture-sigint.txt" &&
	[ "$written" -gt 0 ] && [ $((written % (W * H * 2))) -eq 0 ] &&
	[ "$(awk '$1 == "buffers" { print $2 }' /sys/kernel/debug/zcap/stats)" = 0 ]; then
	tap_pass "SIGINT stops zcap-capture cleanly ($((written / (W * H * 2))) whole frames, summary, no buffer left)"
else
	tap_fail "SIGINT stops zcap-capture cleanly"
	tap_diag "exit $rc, $written bytes" "$(cat "$out/zcap-capture-sigint.txt")" \
		"$(cat /sys/kernel/debug/zcap/stats)"
fi

# A file system that pins user pages to write them (9p here) cannot take a
# dma-buf mapping: the writer bounces those bytes and counts them.
"$capture" -d "$sp" -f YUYV -s ${W}x$H $RATE -n 3 -o "$out/on-9p.raw" >"$out/zcap-capture-9p.txt" 2>&1
rc=$?
head -c $((3 * W * H * 2)) "$tmp/sp-zc.raw" >"$tmp/first3.raw"
if [ $rc -eq 0 ] && cmp -s "$out/on-9p.raw" "$tmp/first3.raw" &&
	{ grep -q "^copied: *0 bytes by the CPU (zero copy)" "$out/zcap-capture-9p.txt" ||
	  grep -q "by the writer: the file system of $out/on-9p.raw refuses writes from dma-buf mappings" "$out/zcap-capture-9p.txt"; }; then
	tap_pass "writing frames to a 9p file works, a copy says why ($(grep '^copied:' "$out/zcap-capture-9p.txt" | sed 's/  */ /g'))"
else
	tap_fail "writing frames to a 9p file works"
	tap_diag "exit $rc" "$(cat "$out/zcap-capture-9p.txt")"
fi

# --- the input's signal changes while streaming ----------------------------

# vivid sends V4L2_EVENT_SOURCE_CHANGE (changes: RESOLUTION) to every input
# when its Colorspace control changes, as a receiver does when it locks
# to a new signal. zcap-capture stops with a message that says so and
# frees everything; a new run (which sets the format again) captures.
cs_old=$(v4l2-ctl -d "$sp" -C colorspace 2>/dev/null | awk '{ print $2 }')
cs_new=$([ "${cs_old:-0}" = 1 ] && echo 2 || echo 1)
"$capture" -d "$sp" -f YUYV -s ${W}x$H $RATE --provider zcap -q -o "$tmp/change.raw" \
	>"$out/source-change.txt" 2>&1 &
cpid=$!
for i in $(seq 300); do
	[ "$(stat -c %s "$tmp/change.raw" 2>/dev/null || echo 0)" -ge $((2 * W * H * 2)) ] && break
	sleep 0.1
done
v4l2-ctl -d "$sp" -c colorspace=$cs_new >"$out/colorspace.txt" 2>&1
for i in $(seq 50); do
	kill -0 $cpid 2>/dev/null || break
	sleep 0.1
done
if kill -0 $cpid 2>/dev/null; then
	kill -KILL $cpid
	echo "still running 5 s after the change: killed" >>"$out/source-change.txt"
fi
wait $cpid
rc=$?
v4l2-ctl -d "$sp" -c colorspace=${cs_old:-0} >>"$out/colorspace.txt" 2>&1
"$capture" -d "$sp" -f YUYV -s ${W}x$H $RATE --provider zcap -n 3 -q -o "$tmp/again.raw" \
	>"$out/source-change-again.txt" 2>&1
rc2=$?
want="zcap-capture: capture stopped: the signal at the input changed (a new resolution, or none); start again to capture it"
left=$(gauges_left /sys/kernel/debug/zcap/stats 2>/dev/null)
desc="the input's signal changes (V4L2_EVENT_SOURCE_CHANGE): zcap-capture stops within 5 s and says so, all freed; the next run captures"
if [ $rc -eq 1 ] && grep -qxF "$want" "$out/source-change.txt" && [ -z "$left" ] &&
	[ $rc2 -eq 0 ] && [ "$(stat -c %s "$tmp/again.raw")" -eq $((3 * W * H * 2)) ]; then
	tap_pass "$desc"
else
	tap_fail "$desc"
	tap_diag "colorspace $cs_old -> $cs_new: $(cat "$out/colorspace.txt")" \
		"exit status $rc (1 wanted); its output:" "$(cat "$out/source-change.txt")" \
		"gauges left: ${left:-none}" "the next run: exit status $rc2" \
		"$(cat "$out/source-change-again.txt")"
fi
rm -f "$tmp/change.raw" "$tmp/again.raw"

# --- unplug while streaming ----------------------------------------------

# vivid's "disconnect" button unregisters its nodes as a USB unplug would.
"$ct" -d "$mp" -f YUYV -s ${W}x$H $RATE -p zcap -n 100000 --wait 60 --expect-disconnect \
	>"$out/mp-unplug.out" 2>&1 &
ctpid=$!
for i in $(seq 300); do
	grep -q '^first-frame' "$out/mp-unplug.out" && break
	sleep 0.1
done
v4l2-ctl -d "$mp" -c disconnect=1 >"$out/disconnect.txt" 2>&1
wait $ctpid
rc=$?
if [ $rc -eq 0 ] && ct_ok mp-unplug && grep -q "outstanding 0 " "$out/mp-unplug.out"; then
	tap_pass "unplug while streaming: the source reports a disconnect and frees everything"
else
	tap_fail "unplug while streaming: the source reports a disconnect and frees everything"
	show mp-unplug
	tap_diag "$(cat "$out/disconnect.txt")"
fi

# --- nothing left behind --------------------------------------------------

stats=/sys/kernel/debug/zcap/stats
cp "$stats" "$out/zcap-stats-end.txt" 2>/dev/null
left=$(gauges_left "$stats" 2>/dev/null)
if [ -r "$stats" ] && [ -z "$left" ]; then
	tap_pass "debugfs gauges are all 0 after the captures"
else
	tap_fail "debugfs gauges are all 0 after the captures"
	tap_diag "$(cat "$stats" 2>&1)"
fi

lsmod >"$out/lsmod.txt"
if grep -q "^pools_created [1-9]" "$stats" 2>/dev/null; then
	tap_pass "zcap.ko served pools ($(awk '$1 == "pools_created" { print $2 }' "$stats") created)"
else
	tap_fail "zcap.ko served pools"
fi

if rmmod vivid 2>"$out/rmmod.err" && rmmod zcap 2>>"$out/rmmod.err"; then
	tap_pass "rmmod vivid and zcap: nothing holds them"
else
	tap_fail "rmmod vivid and zcap: nothing holds them"
	tap_diag "$(cat "$out/rmmod.err")" "$(lsmod | head -20)"
fi
modprobe -r udmabuf 2>/dev/null
rm -rf "$tmp"

tap_done
