# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers the VM suites share, sourced after tap.sh. It lives outside
# suites/ because every file there is run as a suite.
#   . "$ZCAP_TOP/tests/vm/suites-lib.sh"
#   cap=$(wait_dev vivid-000-vid-cap) || tap_fail "..."

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
