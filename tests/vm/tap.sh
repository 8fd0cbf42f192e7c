# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# TAP helpers for shell suites run by the VM rig (or anywhere else).
#   . "$ZCAP_TOP/tests/vm/tap.sh"
#   tap_plan 3
#   tap_ok "vivid loads" modprobe vivid     # runs the command: ok if it succeeds
#   tap_pass "a check done by hand"; tap_fail "why"; tap_skip "what" "why"
#   tap_diag "anything worth reading"
#   tap_done                                 # exit 1 if any test failed
# A failing command's output is shown as TAP comments.

_tap_n=0
_tap_failed=0

tap_plan() {
	echo "TAP version 13"
	echo "1..$1"
}

tap_diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

tap_pass() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n $1"
}

tap_fail() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n $1"
}

tap_skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n $1 # SKIP $2"
}

# tap_ok DESCRIPTION COMMAND [ARG...]
tap_ok() {
	_tap_desc=$1
	shift
	if _tap_out=$("$@" 2>&1); then
		tap_pass "$_tap_desc"
	else
		_tap_rc=$?
		tap_fail "$_tap_desc"
		tap_diag "\$ $*" "$_tap_out" "exit status $_tap_rc"
	fi
}

tap_done() {
	[ $_tap_failed -eq 0 ]
}
