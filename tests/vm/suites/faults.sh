#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Faults and load: what zcap must survive, each test saying what it did and
# what it verified. The C half is tests/faults/zcap-faults.c; the parts that
# exercise zcap-capture use $ZCAP_BUILD/tools/zcap-capture and fail, saying
# so, when it is not built.
# zcap-vm-timeout: 480

. "$ZCAP_TOP/tests/vm/tap.sh"
. "$ZCAP_TOP/tests/vm/suites-lib.sh"

F=$ZCAP_BUILD/tests/faults/zcap-faults
CAPTURE=$ZCAP_BUILD/tools/zcap-capture
STATS=/sys/kernel/debug/zcap/stats
PARAMS=/sys/module/zcap/parameters
OUT=$ZCAP_RESULTS
SIZE=320x180
FRAME_BYTES=$((320 * 180 * 2))

# Background processes to reap whatever happens.
bg_pids=
cleanup() {
	for p in $bg_pids; do
		kill -KILL "$p" 2>/dev/null
	done
}
trap cleanup EXIT

# run DESCRIPTION COMMAND...: one test; its output becomes TAP comments.
run() {
	desc=$1
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		tap_pass "$desc"
	else
		tap_fail "$desc"
	fi
	[ -n "$out" ] && tap_diag "$out"
	[ $rc -eq 0 ] || tap_diag "exit status $rc: $*"
	return $rc
}

gauges() {
	awk -v re="$ZCAP_GAUGES" '$1 ~ re {
		printf "%s%s %s", sep, $1, $2; sep = ", " }' $STATS
}

gauge() {
	awk -v k="$1" '$1 == k { print $2 }' $STATS
}

gauges_zero() {
	[ -z "$(gauges_left $STATS)" ]
}

# wait_zero SECONDS: until every gauge is zero; prints how long it took.
wait_zero() {
	n=0
	while ! gauges_zero; do
		n=$((n + 1))
		[ $n -ge $(($1 * 10)) ] && return 1
		sleep 0.1
	done
	echo "$((n / 10)).$((n % 10)) s"
}

# wait_for SECONDS COMMAND...: until the command succeeds.
wait_for() {
	t=$(($1 * 10))
	shift
	while ! "$@" 2>/dev/null; do
		t=$((t - 1))
		[ $t -le 0 ] && return 1
		sleep 0.1
	done
}

grows() {
	[ -s "$1" ] && [ "$(stat -c %s "$1")" -ge "$2" ]
}

# The capture nodes of vivid, one per line, in instance order.
vivid_nodes() {
	for d in /sys/class/video4linux/video*; do
		[ -r "$d/name" ] || continue
		case "$(cat "$d/name")" in
		vivid-*-vid-cap) echo "$(cat "$d/name") /dev/${d##*/}" ;;
		esac
	done | sort | cut -d' ' -f2
}

load_vivid() {
	modprobe -r vivid 2>/dev/null
	modprobe vivid "$@" || return 1
	wait_for 10 test -n "$(vivid_nodes)"
}

have_capture() {
	if [ -x "$CAPTURE" ]; then
		return 0
	fi
	tap_fail "$1"
	tap_diag "$CAPTURE is missing: this part needs zcap-capture (make tools)"
	return 1
}

# --- setup ---------------------------------------------------------------
if [ ! -x "$F" ]; then
	tap_plan 1
	tap_fail "zcap-faults is built"
	tap_diag "$F is missing: make faults-bin"
	exit 1
fi
tap_plan $((21 + $("$F" regress | wc -l)))
if ! out=$(insmod "$ZCAP_MODULE" 2>&1); then
	tap_fail "insmod zcap.ko"
	tap_diag "$out"
	exit 1
fi
tap_pass "insmod zcap.ko"

# --- rmmod while buffers live ---------------------------------------------
for what in pool dmabuf mmap; do
	log=$OUT/hold-$what.log
	"$F" hold $what >"$log" 2>&1 &
	holder=$!
	bg_pids="$bg_pids $holder"
	if ! wait_for 10 grep -q '^ready$' "$log"; then
		tap_fail "rmmod zcap refused while only a $what holds a buffer"
		tap_diag "the holder never got ready:" "$(cat "$log")"
		kill $holder 2>/dev/null
		continue
	fi
	before=$(gauges)
	out=$("$F" rmmod 2>&1)
	rc=$?
	kill -TERM $holder
	wait $holder
	hrc=$?
	after=$(wait_zero 5)
	zrc=$?
	if [ $rc -eq 0 ] && [ $hrc -eq 0 ] && [ $zrc -eq 0 ]; then
		tap_pass "rmmod zcap refused while only a $what holds a buffer"
	else
		tap_fail "rmmod zcap refused while only a $what holds a buffer"
	fi
	tap_diag "did: $(grep '^holding' "$log")" "gauges while held: $before" \
		"did: delete_module(\"zcap\")" "$out" \
		"$(grep -v '^holding\|^ready' "$log")" \
		"did: let the holder go; gauges $(if [ $zrc -eq 0 ]; then echo "all zero after $after"; else gauges; fi)"
done

if out=$(rmmod zcap 2>&1) && [ ! -d /sys/module/zcap ]; then
	if out2=$(insmod "$ZCAP_MODULE" 2>&1); then
		tap_pass "rmmod zcap works once every buffer is gone (and insmod again)"
	else
		tap_fail "rmmod zcap works once every buffer is gone (and insmod again)"
		tap_diag "insmod: $out2"
		exit 1
	fi
else
	tap_fail "rmmod zcap works once every buffer is gone"
	tap_diag "$out" "gauges: $(gauges)"
fi

# --- the pool fd closed while its buffers stream in vivid -----------------
if ! load_vivid; then
	tap_fail "modprobe vivid"
	tap_diag "$(dmesg | tail -n 5)"
	exit 1
fi
cap=$(vivid_nodes | head -n 1)
tap_diag "vivid capture node: $cap"
run "pool fd closed while its buffers are queued in vivid: streaming goes on, then all freed" \
	"$F" closepool "$cap"

# --- a dma-buf held by vgem after its creator exited ----------------------
have_dri() {
	ls /dev/dri/card* >/dev/null 2>&1
}
if modprobe vgem && wait_for 10 have_dri; then
	run "a dma-buf held by vgem outlives its creating process, then is freed" "$F" vgem
else
	tap_fail "a dma-buf held by vgem outlives its creating process"
	tap_diag "modprobe vgem failed"
fi

# --- the global cap and a cgroup's memory.max -----------------------------
old_total=$(cat $PARAMS/max_total_bytes)
echo $((8 << 20)) >$PARAMS/max_total_bytes
run "max_total_bytes (lowered to 8 MiB): EDQUOT, nothing kept, the next pool under the cap works" \
	"$F" cap
echo "$old_total" >$PARAMS/max_total_bytes
run "cgroup v2 memory.max below the pool size: ENOMEM mid-allocation, no OOM kill, nothing kept, charged and uncharged" \
	"$F" cgroup
run "cgroup v2 memory.max stepped a page at a time across a 2 x 1 MiB pool: ENOMEM or a pool at every step, never the OOM killer" \
	"$F" cgroup-scan $((1 << 20)) 2

# --- a creator killed half way --------------------------------------------
run "SIGKILL during POOL_CREATE of 96 contiguous 2 MiB buffers: the call stops within a buffer, nothing kept" \
	"$F" killcreate contig $((2 << 20)) 96
run "SIGKILL during POOL_CREATE of 96 scattered 2 MiB buffers: the call stops within a buffer, nothing kept" \
	"$F" killcreate scattered $((2 << 20)) 96

# --- load -----------------------------------------------------------------
run "8 threads creating, exporting, mapping, handing over and closing pools for 15 s" \
	"$F" threads 8 15

# --- SIGKILL mid-stream ---------------------------------------------------
# Frames are flowing: the raw loop has said so, or zcap-capture's output
# holds two frames.
frames_flowing() {
	grep -q '^frames: ' "$1" 2>/dev/null || grows "$2" $((2 * FRAME_BYTES))
}

# start_capture DESCRIPTION LOG OUTPUT COMMAND...: run COMMAND in the
# background as $victim, its output in LOG, and wait until frames flow (in
# LOG or OUTPUT); sets desc and log for the caller. Fails the test when no
# frame comes.
start_capture() {
	desc=$1
	log=$2
	file=$3
	shift 3
	rm -f "$file"
	"$@" >"$log" 2>&1 &
	victim=$!
	bg_pids="$bg_pids $victim"
	if ! wait_for 30 frames_flowing "$log" "$file"; then
		tap_fail "$desc"
		tap_diag "no frames within 30 s:" "$(cat "$log")"
		kill -KILL $victim 2>/dev/null
		wait $victim
		return 1
	fi
}

# kill_test DESCRIPTION LOG OUTPUT COMMAND...: start a capture, wait for
# frames, SIGKILL it; everything must be freed and the device usable at once.
kill_test() {
	start_capture "$@" || return 1
	shift 3
	sleep 1
	during=$(gauges)
	kill -KILL $victim
	wait $victim
	st=$?
	if took=$(wait_zero 5); then
		freed="verified: every gauge back to zero $took after the kill"
		ok=1
	else
		freed="FAIL: gauges 5 s after the kill: $(gauges)"
		ok=0
	fi
	again=$(timeout 60 "$F" capture "$cap" 3 $SIZE 2>&1)
	arc=$?
	[ $arc -eq 0 ] || ok=0
	[ $st -eq 137 ] || ok=0
	if [ $ok -eq 1 ]; then
		tap_pass "$desc"
	else
		tap_fail "$desc"
	fi
	tap_diag "did: started '$*' and waited for frames" \
		"gauges mid-stream: $during" \
		"did: SIGKILL; exit status $st (137 wanted)" "$freed" \
		"did: a second capture of 3 frames right away (exit status $arc):" \
		"$again"
}

kill_test "SIGKILL of a raw DMABUF capture mid-stream: all freed, the device usable at once" \
	"$OUT/kill-raw.log" /nonexistent "$F" capture "$cap" 0 $SIZE
if have_capture "SIGKILL of zcap-capture mid-stream: all freed, the device usable at once"; then
	kill_test "SIGKILL of zcap-capture mid-stream: all freed, the device usable at once" \
		"$OUT/kill-zcap-capture.log" "$OUT/kill.raw" "$CAPTURE" -d "$cap" \
		-s $SIZE -f YUYV --provider zcap -o "$OUT/kill.raw"
	rm -f "$OUT/kill.raw"
fi

# --- vivid disconnect mid-stream ------------------------------------------
# await_victim TENTHS: wait up to TENTHS tenths of a second for $victim to
# exit by itself, else kill it; $st gets its exit status, $waited the
# tenths waited. Fails when it had to be killed.
await_victim() {
	waited=0
	while kill -0 $victim 2>/dev/null && [ $waited -lt $1 ]; do
		waited=$((waited + 1))
		sleep 0.1
	done
	alive=0
	if kill -0 $victim 2>/dev/null; then
		kill -KILL $victim
		alive=1
	fi
	wait $victim
	st=$?
	return $alive
}

# freed_after_exit: every gauge back to zero within 5 s; $freed says so.
freed_after_exit() {
	if took=$(wait_zero 5); then
		freed="verified: every gauge back to zero $took after it exited"
		return 0
	fi
	freed="FAIL: gauges 5 s after it exited: $(gauges)"
	return 1
}

# disconnect_test DESCRIPTION LOG OUTPUT COMMAND...: start a capture, wait for
# frames, press vivid's Disconnect; the capture must stop on its own with a
# non-zero status and a message that says so, and leave nothing behind.
disconnect_test() {
	ended=
	start_capture "$@" || return 1
	shift 3
	sleep 1
	press=$("$F" disconnect "$cap" 2>&1)
	ok=1
	if ! await_victim 200; then
		ended="FAIL: still running 20 s after the disconnect; killed"
		ok=0
	fi
	msg=$(grep -i 'disconnect\|unplug\|went away\|no such device' "$log" | head -n 3)
	if [ $st -eq 0 ] || [ -z "$msg" ]; then
		ok=0
	fi
	freed_after_exit || ok=0
	# vivid comes back once its last user is gone.
	if wait_for 10 test -c "$cap" && again=$(timeout 60 "$F" capture "$cap" 3 $SIZE 2>&1); then
		back="verified: vivid reconnected and captures again"
	else
		back="FAIL: vivid did not come back: $again"
		ok=0
	fi
	if [ $ok -eq 1 ]; then
		tap_pass "$desc"
	else
		tap_fail "$desc"
	fi
	tap_diag "did: started '$*' and waited for frames" "$press" \
		"${ended:-verified: it stopped by itself, exit status $st (non-zero wanted)}" \
		"its message: ${msg:-FAIL: none mentions the disconnect}" \
		"$freed" "$back"
	[ $ok -eq 1 ] || tap_diag "its output:" "$(tail -n 15 "$log")"
}

disconnect_test "vivid disconnect mid-stream: the raw DMABUF loop stops with ENODEV and frees everything" \
	"$OUT/disconnect-raw.log" /nonexistent "$F" capture "$cap" 0 $SIZE
if have_capture "vivid disconnect mid-stream: zcap-capture exits non-zero with a clear message, all freed"; then
	disconnect_test "vivid disconnect mid-stream: zcap-capture exits non-zero with a clear message, all freed" \
		"$OUT/disconnect-zcap-capture.log" "$OUT/disconnect.raw" "$CAPTURE" \
		-d "$cap" -s $SIZE -f YUYV --provider zcap -o "$OUT/disconnect.raw"
	rm -f "$OUT/disconnect.raw"
fi

# --- vivid's video output unplugged mid-stream ----------------------------
# The camera is vivid 000; the output, vivid 001's, goes away under a
# passthrough. zcap-capture must stop by itself, say so, and leave the
# camera free for the next capture.
vivid_node() {
	for d in /sys/class/video4linux/video*; do
		[ "$(cat "$d/name" 2>/dev/null)" = "$1" ] && echo "/dev/${d##*/}"
	done
}
output_unplug_test() {
	desc="vivid's video output unplugged mid-stream: zcap-capture --passthrough stops within 5 s, names it, all freed"
	have_capture "$desc" || return
	if ! load_vivid n_devs=2 || ! wait_for 10 test -n "$(vivid_node vivid-001-vid-out)"; then
		tap_fail "$desc"
		tap_diag "modprobe vivid n_devs=2 gave no vivid-001-vid-out"
		return
	fi
	cap=$(vivid_node vivid-000-vid-cap)
	out=$(vivid_node vivid-001-vid-out)
	start_capture "$desc" "$OUT/unplug-out.log" "$OUT/unplug-out.raw" "$CAPTURE" \
		-d "$cap" -s $SIZE -f YUYV --provider zcap --passthrough "$out" \
		-o "$OUT/unplug-out.raw" || return
	sleep 1
	during=$(gauges)
	press=$("$F" disconnect "$(vivid_node vivid-001-vid-cap)" 2>&1)
	ok=1
	if await_victim 50; then
		ended="verified: it stopped by itself $((waited / 10)).$((waited % 10)) s after the disconnect"
	else
		ended="FAIL: still running 5 s after the disconnect; killed"
		ok=0
	fi
	# The output is named: the camera is not what went away.
	want="zcap-capture: capture stopped: v4l2-output($out): device disconnected"
	msg=$(grep 'capture stopped' "$OUT/unplug-out.log")
	if [ $st -eq 0 ] || ! grep -qxF "$want" "$OUT/unplug-out.log"; then
		ok=0
	fi
	freed_after_exit || ok=0
	if again=$(timeout 60 "$F" capture "$cap" 3 $SIZE 2>&1); then
		back="verified: the camera captures again"
	else
		back="FAIL: the camera does not capture: $again"
		ok=0
	fi
	if [ $ok -eq 1 ]; then
		tap_pass "$desc"
	else
		tap_fail "$desc"
	fi
	tap_diag "did: $CAPTURE -d $cap --passthrough $out, waited for frames" \
		"gauges mid-stream: $during" "$press" \
		"$ended, exit status $st (non-zero wanted)" \
		"its message: ${msg:-FAIL: none says the capture stopped} ('$want' wanted)" \
		"$freed" "$back"
	[ $ok -eq 1 ] || tap_diag "its output:" "$(tail -n 15 "$OUT/unplug-out.log")"
	rm -f "$OUT/unplug-out.raw"
}
output_unplug_test

# --- 4 vivid devices streaming at once ------------------------------------
# par_have_frames KIND: every capture of parallel_test has its 10 frames.
par_have_frames() {
	for j in 1 2 3 4; do
		if [ "$1" = raw ]; then
			grep -q 'holding the pool' "$OUT/par-$1-$j.log" 2>/dev/null || return 1
		else
			[ "$(stat -c %s "/tmp/par-$1-$j.raw" 2>/dev/null || echo 0)" -ge \
				$((10 * FRAME_BYTES)) ] || return 1
		fi
	done
}

# parallel_test DESCRIPTION KIND: KIND raw or zcap-capture, 10 frames each.
# Each keeps its pool until all four pools were seen alive at one time, so
# that the overlap does not depend on how fast each one starts: a raw loop
# holds its pool after its frames until $release exists; zcap-capture
# runs until it is interrupted (SIGINT, a success), once it has 10 frames.
parallel_test() {
	desc=$1
	kind=$2
	pids=
	release=/tmp/par-release-$kind
	rm -f "$release"
	i=0
	for node in $nodes; do
		i=$((i + 1))
		if [ "$kind" = raw ]; then
			ZCAP_FAULTS_HOLD=$release timeout 180 "$F" capture "$node" 10 $SIZE \
				>"$OUT/par-$kind-$i.log" 2>&1 &
		else
			timeout 180 "$CAPTURE" -d "$node" -s $SIZE -f YUYV --provider zcap \
				-o "/tmp/par-$kind-$i.raw" >"$OUT/par-$kind-$i.log" 2>&1 &
		fi
		pids="$pids $!"
	done
	# Until all four pools are alive and each capture has its 10 frames.
	most=0
	during=
	t=0
	while [ $t -lt 1200 ]; do
		running=0
		for p in $pids; do
			kill -0 "$p" 2>/dev/null && running=$((running + 1))
		done
		[ $running -eq 0 ] && break
		n=$(gauge pools)
		if [ "$n" -gt "$most" ]; then
			most=$n
			during=$(gauges)
		fi
		[ "$most" -ge 4 ] && par_have_frames "$kind" && break
		t=$((t + 1))
		sleep 0.1
	done
	touch "$release"
	[ "$kind" = raw ] || kill -TERM $pids 2>/dev/null
	ok=1
	[ "$most" -ge 4 ] || ok=0
	lines=
	i=0
	for p in $pids; do
		i=$((i + 1))
		wait "$p"
		st=$?
		detail=$(tail -n 1 "$OUT/par-$kind-$i.log")
		if [ "$kind" != raw ]; then
			got=$(stat -c %s "/tmp/par-$kind-$i.raw" 2>/dev/null || echo 0)
			detail="$((got / FRAME_BYTES)) frames written ($got bytes)"
			[ "$got" -ge $((10 * FRAME_BYTES)) ] &&
				[ $((got % FRAME_BYTES)) -eq 0 ] || ok=0
			rm -f "/tmp/par-$kind-$i.raw"
		fi
		[ $st -eq 0 ] || ok=0
		lines="$lines
device $i: exit status $st; $detail"
	done
	rm -f "$release"
	if took=$(wait_zero 5); then
		freed="verified: every gauge back to zero $took after all four exited"
	else
		freed="FAIL: gauges after all four exited: $(gauges)"
		ok=0
	fi
	if [ $ok -eq 1 ]; then
		tap_pass "$desc"
	else
		tap_fail "$desc"
	fi
	if [ "$most" -ge 4 ]; then
		peak="verified: $most pools alive at the peak (4 wanted): $during"
	else
		peak="FAIL: $most pools alive at the peak (4 wanted): $during"
	fi
	tap_diag "did: 4 captures of 10 frames at once ($kind) on $(echo "$nodes" | tr '\n' ' ')" \
		"$peak" \
		"$lines" "$freed"
}

if load_vivid n_devs=4 node_types=0x1,0x1,0x1,0x1 &&
	[ "$(vivid_nodes | wc -l)" -eq 4 ]; then
	nodes=$(vivid_nodes)
	parallel_test "4 vivid devices streaming at once through zcap pools (raw DMABUF loops)" raw
	if have_capture "4 vivid devices streaming at once through zcap pools (zcap-capture x4)"; then
		parallel_test "4 vivid devices streaming at once through zcap pools (zcap-capture x4)" zcap-capture
	fi
else
	tap_fail "4 vivid devices streaming at once (raw DMABUF loops)"
	tap_diag "modprobe vivid n_devs=4 did not give 4 capture nodes:" "$(vivid_nodes)"
	tap_fail "4 vivid devices streaming at once (zcap-capture x4)"
fi
modprobe -r vivid 2>/dev/null

# --- regressions found by the fuzzer ---------------------------------------
for name in $("$F" regress | cut -f1); do
	what=$("$F" regress | awk -F '\t' -v n="$name" '$1 == n { print $2 }')
	run "regression $name: $what" "$F" regress "$name"
done

# --- the end state ---------------------------------------------------------
if gauges_zero && out=$(rmmod zcap 2>&1); then
	tap_pass "nothing left: gauges zero and rmmod zcap works"
else
	tap_fail "nothing left: gauges zero and rmmod zcap works"
	tap_diag "gauges: $(gauges)" "$out"
fi

tap_done
