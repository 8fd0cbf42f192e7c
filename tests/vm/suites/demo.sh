#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: capture from vivid, the kernel's virtual camera, into buffers
# that zcap.ko allocates, with no copy between the driver and the program.
# Uses zcap-capture when it is built; otherwise the vivid cases of the
# module's selftests. Prints, in words, what happened and where the files are.
# zcap-vm-timeout: 600

. "$ZCAP_TOP/tests/vm/tap.sh"

say() {
	tap_diag "$@"
}

# The results share is mounted at its own host path, so $ZCAP_RESULTS is
# also where the user finds the files once the VM is gone.
capture=$ZCAP_BUILD/tools/zcap-capture
selftest=$ZCAP_BUILD/selftests/zcap_test
if [ -x "$capture" ]; then
	how=capture
	tap_plan 7
elif [ -x "$selftest" ]; then
	how=selftest
	tap_plan 4
else
	how=none
	tap_plan 3
fi
say "zcap demo on kernel $ZCAP_KVER, in a QEMU virtual machine"

if [ ! -f "$ZCAP_MODULE" ]; then
	tap_fail "load zcap.ko"
	say "$ZCAP_MODULE is not built: run 'make modules-all' (make demo does)."
elif out=$(insmod "$ZCAP_MODULE" 2>&1) && [ -c /dev/zcap ]; then
	tap_pass "load zcap.ko"
	say "zcap.ko is loaded: /dev/zcap hands out pools of dma-buf buffers."
else
	tap_fail "load zcap.ko"
	say "insmod $ZCAP_MODULE: $out" "$(ls -l /dev/zcap 2>&1)"
fi

cap=
if modprobe vivid 2>/dev/null; then
	n=0
	while [ $n -lt 50 ]; do
		for d in /sys/class/video4linux/video*; do
			[ -r "$d/name" ] || continue
			case "$(cat "$d/name")" in
			vivid-*-vid-cap) cap=/dev/${d##*/} ;;
			esac
		done
		[ -n "$cap" ] && [ -c "$cap" ] && break
		n=$((n + 1))
		sleep 0.1
	done
fi
if [ -n "$cap" ] && [ -c "$cap" ]; then
	tap_pass "vivid capture device $cap"
	say "vivid is loaded: $cap is a virtual camera drawing a test pattern."
	# vivid stamps the end of a frame from its nominal period by default,
	# later than a slow (TCG) VM delivers it: the start of its drawing is
	# a real time, so the latency zcap-capture reports means something.
	v4l2-ctl -d "$cap" -c timestamp_source=1 >/dev/null 2>&1 || true
else
	tap_fail "vivid capture device"
	say "modprobe vivid gave no capture device."
	cap=/dev/null
fi

case $how in
capture)
	# Capture into the VM's own memory (tmpfs): the share that carries
	# files out of the VM (9p) cannot write straight from dma-buf pages
	# and would make zcap-capture copy them through a bounce buffer.
	tmp=/tmp/zcap-demo
	mkdir -p $tmp
	say "" "Capturing 30 frames of 1280x720 from $cap with zcap-capture:" \
		"vivid writes each frame straight into a buffer from zcap.ko" \
		"(V4L2_MEMORY_DMABUF), and zcap-capture writes it to a file from there."
	if "$capture" -d "$cap" --size 1280x720 -n 30 -o $tmp/capture.raw \
		--png $tmp/frame.png >$tmp/zcap-capture.log 2>&1; then
		tap_pass "zcap-capture: 30 frames from vivid"
	else
		tap_fail "zcap-capture: 30 frames from vivid"
	fi
	say "zcap-capture said:"
	sed 's/^/#     /' $tmp/zcap-capture.log

	if grep -q '^provider: *zcap' $tmp/zcap-capture.log &&
		grep -q '^copied: *0 bytes' $tmp/zcap-capture.log; then
		tap_pass "the frames came in zcap buffers and the CPU copied none"
		say "'provider: zcap' and 'copied: 0 bytes': zero copy, measured."
	else
		tap_fail "the frames came in zcap buffers and the CPU copied none"
		say "zcap-capture did not report provider zcap and 0 bytes copied."
	fi

	cp $tmp/capture.raw $tmp/frame.png $tmp/zcap-capture.log "$ZCAP_RESULTS/" 2>/dev/null
	raw=$(stat -c %s "$ZCAP_RESULTS/capture.raw" 2>/dev/null || echo 0)
	sig=$(head -c 8 "$ZCAP_RESULTS/frame.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')
	if [ "$raw" -gt 0 ] && [ $((raw % 30)) -eq 0 ] && [ "$sig" = 89504e470d0a1a0a ]; then
		tap_pass "capture.raw holds 30 equal frames, frame.png is a PNG"
		fmt=$(sed -n 's/^format: *\([A-Za-z0-9]*\) .*/\1/p' $tmp/zcap-capture.log)
		say "" "Your files, on this machine (the VM is gone, they stay):" \
			"  $ZCAP_RESULTS/frame.png" \
			"      one captured frame: open it in any image viewer" \
			"  $ZCAP_RESULTS/capture.raw" \
			"      all 30 frames, raw ${fmt:-pixels}, $((raw / 30)) bytes each" \
			"  $ZCAP_RESULTS/zcap-capture.log" \
			"      what zcap-capture printed (above)"
		if [ "$fmt" = YUYV ]; then
			say "  To play the frames: ffplay -f rawvideo -pixel_format yuyv422" \
				"      -video_size 1280x720 $ZCAP_RESULTS/capture.raw"
		fi
	else
		tap_fail "capture.raw holds 30 equal frames, frame.png is a PNG"
		say "capture.raw is $raw bytes; frame.png starts with '$sig'"
	fi

	# Capture -> encoder -> file: vicodec, the kernel's own FWHT codec,
	# built from Debian's kernel source (Debian does not ship it).
	vic=$ZCAP_BUILD/vicodec/$ZCAP_KVER
	enc=
	for m in "$vic/v4l2-mem2mem.ko" "$vic/vicodec.ko"; do
		for d in $(modinfo -F depends "$m" 2>/dev/null | tr ',' ' '); do
			[ "$d" = v4l2_mem2mem ] || [ "$d" = v4l2-mem2mem ] || modprobe "$d"
		done
	done
	if insmod "$vic/v4l2-mem2mem.ko" 2>/dev/null && insmod "$vic/vicodec.ko" 2>/dev/null; then
		n=0
		while [ $n -lt 50 ] && [ -z "$enc" ]; do
			for d in /sys/class/video4linux/video*; do
				case "$(cat "$d/name" 2>/dev/null)" in
				*stateful-encoder*) enc=/dev/${d##*/} ;;
				esac
			done
			n=$((n + 1))
			[ -n "$enc" ] || sleep 0.1
		done
	fi
	if [ -n "$enc" ]; then
		tap_pass "vicodec encoder $enc"
		say "" "Encoding 30 frames of 640x480: vivid writes each frame into a zcap" \
			"buffer and the encoder ($enc, vicodec) reads that same buffer" \
			"(V4L2_MEMORY_DMABUF on its input): no copy between them."
		if "$capture" -d "$cap" --size 640x480 --format YUYV -n 30 --encode "$enc" \
			-o $tmp/capture.fwht >$tmp/zcap-encode.log 2>&1 &&
			[ "$(head -c 4 $tmp/capture.fwht | od -An -tx1 | tr -d ' \n')" = 4f4f4f4f ]; then
			tap_pass "zcap-capture --encode: 30 frames to an FWHT file"
		else
			tap_fail "zcap-capture --encode: 30 frames to an FWHT file"
		fi
		say "zcap-capture said:"
		sed 's/^/#     /' $tmp/zcap-encode.log
		cp $tmp/capture.fwht $tmp/zcap-encode.log "$ZCAP_RESULTS/" 2>/dev/null
		say "" "  $ZCAP_RESULTS/capture.fwht" \
			"      the encoded stream ($(stat -c %s $tmp/capture.fwht 2>/dev/null || echo 0) bytes," \
			"      $((640 * 480 * 2 * 30)) bytes raw); the encoder's summary is above"
		rmmod vicodec v4l2_mem2mem 2>/dev/null
	else
		tap_fail "vicodec encoder"
		say "vicodec is not built in $vic: 'make vm-prereqs' builds it."
		tap_fail "zcap-capture --encode: 30 frames to an FWHT file"
	fi
	;;
selftest)
	say "" "zcap-capture is not built yet, so the demo runs the vivid cases of" \
		"zcap's kernel selftests instead ($selftest)."
	# kselftest_harness filters: -f/-t/-v include a fixture, test or variant
	# by exact name; give every name that mentions vivid as all three.
	args=
	for w in $("$selftest" -l 2>&1 | tr -s ' \t' '\n' | grep vivid | sort -u); do
		args="$args -f $w -t $w -v $w"
	done
	if [ -z "$args" ]; then
		tap_skip "selftests: vivid cases" "the selftests have no vivid case"
		tap_skip "vivid captured into zcap buffers" "nothing ran"
	else
		# The vivid cases want two instances, as tests/vm/suites/selftests.sh
		# loads them: 0 with vmalloc buffers, 1 with dma-contig ones.
		modprobe -r vivid
		modprobe vivid n_devs=2 node_types=0x1,0x1 allocators=0,1
		n=0
		while [ $n -lt 50 ] && ! grep -qs vivid-001-vid-cap /sys/class/video4linux/*/name; do
			n=$((n + 1))
			sleep 0.1
		done
		# shellcheck disable=SC2086 # word splitting wanted
		"$selftest" $args >"$ZCAP_RESULTS/zcap_test.tap" 2>&1
		rc=$?
		if [ $rc -eq 0 ]; then
			tap_pass "selftests: vivid cases"
		else
			tap_fail "selftests: vivid cases (exit status $rc)"
		fi
		say "The vivid cases and how they ended:"
		grep -E '^(not )?ok ' "$ZCAP_RESULTS/zcap_test.tap" | sed 's/^/#     /'
		passed=$(grep -E '^ok ' "$ZCAP_RESULTS/zcap_test.tap" | grep -vci '# skip')
		failed=$(grep -cE '^not ok ' "$ZCAP_RESULTS/zcap_test.tap")
		if [ "$passed" -gt 0 ] && [ "$failed" -eq 0 ]; then
			tap_pass "vivid captured into zcap buffers ($passed cases)"
			say "In these cases vivid captured into buffers that zcap.ko allocated" \
				"and exported as dma-bufs: the frames never passed through a copy."
		else
			tap_fail "vivid captured into zcap buffers ($passed passed, $failed failed)"
		fi
		say "" "The selftests' full output, on this machine:" \
			"  $ZCAP_RESULTS/zcap_test.tap"
	fi
	;;
none)
	tap_fail "capture from vivid into zcap buffers"
	say "Neither $capture nor $selftest is built: run 'make' first."
	;;
esac

tap_done
