#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make fuzz`: the fuzz suite in its long form, at least FUZZ_OPS (default
# 1,000,000) operations within FUZZ_TIME (default 900) seconds. The VM rig
# passes no variables of its own into a suite, so the make target leaves
# them in $ZCAP_BUILD/tests/fuzz/long.conf.
# zcap-vm-timeout: 1080

conf=$ZCAP_BUILD/tests/fuzz/long.conf
if [ -r "$conf" ]; then
	# shellcheck disable=SC1090
	. "$conf"
fi
ZCAP_FUZZ_MODE=long
export ZCAP_FUZZ_MODE ZCAP_FUZZ_OPS ZCAP_FUZZ_TIME ZCAP_FUZZ_SEED
exec "$ZCAP_TOP/tests/vm/suites/fuzz.sh"
