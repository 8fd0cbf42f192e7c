# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers the VM suites share, sourced after tap.sh. It lives outside
# suites/ because every file there is run as a suite.
#   . "$ZCAP_TOP/tests/vm/suites-lib.sh"
#   cap=$(wait_dev vivid-000-vid-cap) || tap_fail "..."
#   [ -z "$(gauges_left "$stats")" ] && tap_pass "nothing left"

# dev_by_name NAME: the /dev node of the video4linux device called NAME.
dev_by_name() {
	for d in /sys/class/video4linux/video*; do
		[ -r "$d/name" ] || continue
		if [ "$(cat "$d/name")" = "$1" ]; then
			echo "/dev/${d##*/}"
			return 0
		fi
	done
	return 1
}

# wait_dev NAME: dev_by_name, given 5 s for udev/devtmpfs to make the node
# after a modprobe.
wait_dev() {
	n=0
	while [ $n -lt 50 ]; do
		if d=$(dev_by_name "$1") && [ -c "$d" ]; then
			echo "$d"
			return 0
		fi
		n=$((n + 1))
		sleep 0.1
	done
	return 1
}

# The gauges of zcap.ko's debugfs stats (/sys/kernel/debug/zcap/stats):
# what it holds right now, each back to 0 once nothing is held. The other
# lines are counters, which only grow. An awk regular expression.
ZCAP_GAUGES='^(pools|buffers|bytes|dmabufs|attachments|mappings|vmaps|mmaps)$'

# gauges_left STATS: the gauges of the stats file STATS that are not 0, a
# "NAME VALUE" line each; nothing when every one is back to 0.
gauges_left() {
	awk -v re="$ZCAP_GAUGES" '$1 ~ re && $2 != 0' "$1"
}

# ct_field NAME KEY: capture_test's value after KEY in $out/NAME.out, from
# the first line that is "KEY value" or a "run" line with KEY in it.
# shellcheck disable=SC2154 # $out: the suite's results directory
ct_field() {
	awk -v k="$2" '
		$1 == k { print $2; exit }
		$1 == "run" { for (i = 2; i < NF; i++) if ($i == k) { print $(i + 1); exit } }
	' "$out/$1.out"
}

# insmod_zcap DIR: load $ZCAP_MODULE as one test, its errors in
# DIR/insmod.err; a suite that cannot go on without it ends there.
insmod_zcap() {
	if insmod "$ZCAP_MODULE" 2>"$1/insmod.err" && [ -c /dev/zcap ]; then
		tap_pass "insmod zcap.ko"
	else
		tap_fail "insmod zcap.ko"
		tap_diag "$(cat "$1/insmod.err")"
		exit 1
	fi
}

# run_watched SECS OUT CMD [ARG...]: CMD with its output in OUT, given
# SECS seconds. One that is still running then is a hang: what each of
# its threads is waiting for (wchan, and the kernel stack where the
# kernel shows it) goes into OUT before it is killed, and the status is
# 124, as timeout(1) gives. Without this a hung program leaves only the
# rig's "stopped responding" and the suite's allowance spent. Its
# variables are rw_*: sh has no locals, and suites use $out, $n, $pid.
run_watched() {
	rw_secs=$1 rw_out=$2
	shift 2
	"$@" >"$rw_out" 2>&1 &
	rw_pid=$!
	rw_n=0
	while kill -0 "$rw_pid" 2>/dev/null && [ $rw_n -lt $((rw_secs * 10)) ]; do
		sleep 0.1
		rw_n=$((rw_n + 1))
	done
	if kill -0 "$rw_pid" 2>/dev/null; then
		{
			echo "hung: $* still running after $rw_secs s; its threads:"
			for t in /proc/"$rw_pid"/task/*; do
				echo "thread ${t##*/} $(cat "$t/comm" 2>/dev/null) in $(cat "$t/wchan" 2>/dev/null)"
				sed 's/^/    /' "$t/stack" 2>/dev/null
			done
		} >>"$rw_out"
		kill -9 "$rw_pid" 2>/dev/null
		wait "$rw_pid" 2>/dev/null
		return 124
	fi
	wait "$rw_pid"
}
