#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The fault-injection sweep, on the debug kernel only (it needs
# CONFIG_FAULT_INJECTION): every slab and page allocation made with zcap on
# the stack while creating, exporting, mapping, attaching, mapping for a
# device and vmapping is failed in turn (tests/faults/failnth.c). Each
# failure must give a clean errno, keep nothing, and leave the next call
# working; the rig adds a clean kernel log and a clean kmemleak scan.
# zcap-vm-timeout: 900
# A failed vmap is the one error the dma-buf core WARNs about (dma_buf_vmap:
# WARN_ON_ONCE on any error of the exporter), whoever the exporter is:
# zcap-vm-expect-log: WARNING: CPU: [0-9]+ PID: [0-9]+ at drivers/dma-buf/dma-buf.c:[0-9]+ dma_buf_vmap

. "$ZCAP_TOP/tests/vm/tap.sh"
. "$ZCAP_TOP/tests/vm/suites-lib.sh"

F=$ZCAP_BUILD/tests/faults/zcap-faults

tap_plan 6
if [ ! -w /proc/self/fail-nth ]; then
	tap_fail "this kernel has fault injection (/proc/self/fail-nth)"
	tap_diag "$(uname -r) has no CONFIG_FAULT_INJECTION: run this suite with make check-debug"
	exit 1
fi
tap_ok "insmod zcap.ko" insmod "$ZCAP_MODULE"
tap_ok "modprobe vgem" modprobe vgem
# vb2-vmalloc (vivid's default): its QBUF of a dma-buf vmaps it.
tap_ok "modprobe vivid (vb2-vmalloc)" modprobe vivid n_devs=1 node_types=0x1
wait_dev vivid-000-vid-cap >/dev/null

out=$("$F" failsweep 2>&1)
rc=$?
if [ $rc -eq 0 ]; then
	tap_pass "every allocation of create, export, mmap, attach+map and vmap failed in turn: clean errno, nothing kept, next call works"
else
	tap_fail "every allocation of create, export, mmap, attach+map and vmap failed in turn"
fi
tap_diag "$out"

modprobe -r vivid vgem 2>/dev/null
tap_ok "rmmod zcap: nothing left" rmmod zcap

# This is the last suite of the debug boot: the checkers must still be on.
# Lockdep turns itself off after its first report, kmemleak when it runs out
# of room; either would make every later suite pass for the wrong reason.
if grep -q 'debug_locks: *1$' /proc/lockdep_stats 2>/dev/null &&
	dmesg | grep -q 'KernelAddressSanitizer initialized' &&
	echo scan >/sys/kernel/debug/kmemleak 2>/dev/null; then
	tap_pass "lockdep still on (debug_locks 1), KASAN initialized, kmemleak scanning"
else
	tap_fail "lockdep still on (debug_locks 1), KASAN initialized, kmemleak scanning"
	tap_diag "$(grep debug_locks /proc/lockdep_stats 2>&1)" \
		"$(dmesg | grep -i -m3 'kasan\|kmemleak')"
fi
tap_done
