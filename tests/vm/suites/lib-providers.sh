#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# libzcap's dma-buf providers on a real kernel: the allocator contract on
# zcap.ko, the system dma-heap and udmabuf ($ZCAP_BUILD/vm-tests/lib_providers,
# built by `make lib-providers-test`), zcap's debugfs gauges back to zero,
# and zcap.ko unloadable afterwards (no buffer left alive).
# zcap-vm-timeout: 240

. "$ZCAP_TOP/tests/vm/tap.sh"

bin=$ZCAP_BUILD/vm-tests/lib_providers
echo "TAP version 13"

if [ -f "$ZCAP_MODULE" ]; then
	tap_ok "insmod zcap.ko" insmod "$ZCAP_MODULE"
else
	tap_fail "insmod zcap.ko"
	tap_diag "$ZCAP_MODULE is missing: make modules"
fi
# udmabuf may be built in or a module; a kernel without it (or without the
# system dma-heap) has the provider skipped inside, with the reason.
[ -e /dev/udmabuf ] || modprobe udmabuf 2>/dev/null
for d in /dev/zcap /dev/dma_heap/system /dev/udmabuf; do
	if [ -e "$d" ]; then
		tap_diag "$(ls -l "$d")"
	else
		tap_diag "no $d in $(uname -r)"
	fi
done

if [ -x "$bin" ]; then
	"$bin" >"$ZCAP_RESULTS/lib_providers.out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"not ok "*)
			d=${line#not ok }
			tap_fail "${d#* - }"
			;;
		"ok "*"# SKIP "*)
			d=${line#ok }
			d=${d#* - }
			tap_skip "${d%% \# SKIP *}" "${d#* \# SKIP }"
			;;
		"ok "*)
			d=${line#ok }
			tap_pass "${d#* - }"
			;;
		"#"*)
			echo "$line"
			;;
		1..*) ;;
		*)
			tap_diag "$line"
			;;
		esac
	done <"$ZCAP_RESULTS/lib_providers.out"
	if [ $rc -ne 0 ] && [ $_tap_failed -eq 0 ]; then
		tap_fail "lib_providers exit status $rc"
	fi
else
	tap_fail "lib_providers test binary"
	tap_diag "$bin is missing: make lib-providers-test"
fi

if grep -q '^zcap ' /proc/modules; then
	tap_ok "rmmod zcap: the library left no buffer alive" rmmod zcap
fi
modprobe -r udmabuf 2>/dev/null

echo "1..$_tap_n"
tap_done
