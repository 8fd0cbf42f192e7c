# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# An emulated USB camera for the VM suites: a UVC gadget on dummy_hcd's
# loopback bus, driven on the host side by the real uvcvideo driver.
# Sourced by suites (after tap.sh); lives outside suites/ because every
# file there is run as a suite.
#
#   . "$ZCAP_TOP/tests/vm/uvc-gadget.sh"
#   cam=$(uvc_setup) || ...     # modules, configfs, bind; prints /dev/videoN
#   uvc_unplug                  # unbind the gadget: uvcvideo sees a disconnect
#   cam=$(uvc_replug) || ...    # bind again; prints the new node
#   uvc_teardown                # unbind, remove, unload everything
#   uvc_fourcc MJPEG            # MJPG: the V4L2 fourcc of a format name
#   uvc_wait_bytes FILE BYTES PID; uvc_wait_exit PID TENTHS   # for captures
#
# uvc_setup and uvc_replug pass their arguments to the gadget's program,
# tests/vm/uvc_gadget.c (--stall-after N, --count N). Its log goes to
# $ZCAP_RESULTS/uvc_gadget.log. State is kept in files under /tmp, so the
# functions work from command substitutions (subshells) too.
#
# The camera: YUYV and MJPEG, each 640x480 and 1280x720, at frame
# intervals of 333333, 666666 and 1000000 x 100 ns (30, 15 and 10 fps);
# isochronous, 3072 bytes per microframe (3 x 1024). dummy_hcd is ours,
# built with isochronous transfers (tests/vm/dummy_hcd.mk): Debian's must
# not be loaded. The rig unloads only zcap, vivid and the like between
# suites: a suite that calls uvc_setup calls uvc_teardown before it ends.

. "$ZCAP_TOP/tests/vm/suites-lib.sh"

UVC_CONFIGFS=/sys/kernel/config
UVC_G=$UVC_CONFIGFS/usb_gadget/zcap-uvc
UVC_F=$UVC_G/functions/uvc.0
UVC_STATE=/tmp/zcap-uvc
UVC_LOG=${ZCAP_RESULTS:-/tmp}/uvc_gadget.log
# Host side first: each module is unloaded after whatever uses it.
UVC_MODULES="uvcvideo usb_f_uvc libcomposite dummy_hcd udc_core"

_uvc_say() {
	echo "uvc-gadget: $*" >&2
}

# Under TCG every fork costs a tenth of a second: the helpers that run in
# loops use shell builtins only.

# _uvc_alive PID: running (an orphan that exited stays a zombie until
# PID 1 reaps it, and kill -0 succeeds on a zombie).
_uvc_alive() {
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	read -r _ _ state _ <"/proc/$1/stat" 2>/dev/null && [ "$state" != Z ]
}

# _uvc_pid: the program's PID, if one was started.
_uvc_pid() {
	pid=
	[ -r "$UVC_STATE/pid" ] && read -r pid <"$UVC_STATE/pid"
	echo "$pid"
}

# The uvcvideo capture node: its parent's driver is uvcvideo, and index 0
# (uvcvideo's metadata node is index 1). The gadget's own node is a
# /dev/videoN too, and vivid may be loaded: never a fixed number.
uvc_dev() {
	for d in /sys/class/video4linux/video*; do
		_uvc_driver_is "$d" uvcvideo || continue
		read -r index <"$d/index" 2>/dev/null || continue
		if [ "$index" = 0 ]; then
			echo "/dev/${d##*/}"
			return 0
		fi
	done
	return 1
}

# _uvc_driver_is DIR DRIVER: DRIVER drives the parent of the video4linux
# device DIR.
_uvc_driver_is() {
	[ -r "$1/device/uevent" ] || return 1
	while read -r line; do
		[ "$line" = "DRIVER=$2" ] && return 0
	done <"$1/device/uevent"
	return 1
}

_uvc_modules() {
	if grep -q '^dummy_hcd ' /proc/modules; then
		_uvc_say "a dummy_hcd is loaded already (Debian's has no isochronous endpoints)"
		return 1
	fi
	# insmod resolves nothing: what our dummy_hcd.ko links against first.
	modprobe udc_core && modprobe usbcore &&
		insmod "$ZCAP_BUILD/dummy_hcd/$ZCAP_KVER/dummy_hcd.ko" &&
		modprobe libcomposite && modprobe usb_f_uvc && modprobe uvcvideo ||
		return 1
	if ! grep -q " $UVC_CONFIGFS configfs " /proc/mounts; then
		mount -t configfs configfs "$UVC_CONFIGFS" || return 1
		: >"$UVC_STATE/mounted"
	fi
}

# _uvc_write FILE TEXT: TEXT in a single write(), as configfs wants a
# list: the shell's echo and printf may write it line by line, and each
# write replaces the whole list.
_uvc_write() {
	echo "$2" | dd of="$1" bs=4096 count=1 iflag=fullblock status=none
}

# _uvc_frame DIR W H: a frame descriptor, 30, 15 and 10 fps.
_uvc_frame() {
	mkdir -p "$1" &&
		echo "$2" >"$1/wWidth" &&
		echo "$3" >"$1/wHeight" &&
		echo $(($2 * $3 * 2)) >"$1/dwMaxVideoFrameBufferSize" &&
		echo $(($2 * $3 * 16 * 10)) >"$1/dwMinBitRate" &&
		echo $(($2 * $3 * 16 * 30)) >"$1/dwMaxBitRate" &&
		echo 333333 >"$1/dwDefaultFrameInterval" &&
		_uvc_write "$1/dwFrameInterval" '333333
666666
1000000'
}

# configfs resolves a link's target from the cwd, not from the link's
# directory: every target is an absolute path.
_uvc_function() {
	mkdir -p "$UVC_F" &&
		echo 3072 >"$UVC_F/streaming_maxpacket" &&
		echo 1 >"$UVC_F/streaming_interval" &&
		mkdir -p "$UVC_F/control/header/h" &&
		ln -s "$UVC_F/control/header/h" "$UVC_F/control/class/fs/h" &&
		ln -s "$UVC_F/control/header/h" "$UVC_F/control/class/ss/h" &&
		_uvc_frame "$UVC_F/streaming/uncompressed/u/480p" 640 480 &&
		_uvc_frame "$UVC_F/streaming/uncompressed/u/720p" 1280 720 &&
		_uvc_frame "$UVC_F/streaming/mjpeg/m/480p" 640 480 &&
		_uvc_frame "$UVC_F/streaming/mjpeg/m/720p" 1280 720 &&
		mkdir -p "$UVC_F/streaming/header/h" &&
		ln -s "$UVC_F/streaming/uncompressed/u" "$UVC_F/streaming/header/h/u" &&
		ln -s "$UVC_F/streaming/mjpeg/m" "$UVC_F/streaming/header/h/m" &&
		ln -s "$UVC_F/streaming/header/h" "$UVC_F/streaming/class/fs/h" &&
		ln -s "$UVC_F/streaming/header/h" "$UVC_F/streaming/class/hs/h" &&
		ln -s "$UVC_F/streaming/header/h" "$UVC_F/streaming/class/ss/h"
}

_uvc_gadget() {
	mkdir -p "$UVC_G" &&
		echo 0x1d6b >"$UVC_G/idVendor" &&	# Linux Foundation
		echo 0x0104 >"$UVC_G/idProduct" &&	# multifunction composite
		echo 0x0200 >"$UVC_G/bcdUSB" &&
		mkdir -p "$UVC_G/strings/0x409" &&
		echo zcap >"$UVC_G/strings/0x409/manufacturer" &&
		echo "zcap emulated UVC camera" >"$UVC_G/strings/0x409/product" &&
		echo zcap-uvc-0 >"$UVC_G/strings/0x409/serialnumber" &&
		mkdir -p "$UVC_G/configs/c.1/strings/0x409" &&
		echo UVC >"$UVC_G/configs/c.1/strings/0x409/configuration" &&
		_uvc_function &&
		ln -s "$UVC_F" "$UVC_G/configs/c.1/uvc.0"
}

# _uvc_plug ARGS...: bind, start the program, print the uvcvideo node.
# Its stdout goes elsewhere: a command substitution would wait for it.
_uvc_plug() {
	echo dummy_udc.0 >"$UVC_G/UDC" || return 1
	if ! gnode=$(wait_dev dummy_udc); then
		_uvc_say "the gadget's V4L2 node did not appear"
		return 1
	fi
	echo "# uvc_gadget --device $gnode $*" >>"$UVC_LOG"
	"$ZCAP_BUILD/vm-tests/uvc_gadget" --device "$gnode" "$@" \
		</dev/null >/dev/null 2>>"$UVC_LOG" &
	echo $! >"$UVC_STATE/pid"
	# The program precomputes its JPEGs before it connects; TCG is slow.
	n=0
	while [ $n -lt 600 ]; do
		if d=$(uvc_dev) && [ -c "$d" ]; then
			echo "$d"
			return 0
		fi
		_uvc_alive "$(_uvc_pid)" || break
		n=$((n + 1))
		sleep 0.1
	done
	_uvc_say "no uvcvideo node appeared (see $UVC_LOG)"
	return 1
}

uvc_setup() {
	mkdir -p "$UVC_STATE" &&
		_uvc_modules &&
		_uvc_gadget &&
		_uvc_plug "$@"
}

uvc_replug() {
	_uvc_plug "$@"
}

# uvc_fourcc NAME: the V4L2 fourcc of one of the camera's format names.
uvc_fourcc() {
	case $1 in
	MJPEG) echo MJPG ;;
	*) echo "$1" ;;
	esac
}

# uvc_wait_bytes FILE BYTES PID: wait (at most 30 s) until FILE holds
# BYTES, or process PID, which writes it, has ended.
uvc_wait_bytes() {
	n=0
	while [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -lt "$2" ] &&
		[ $n -lt 300 ] && _uvc_alive "$3"; do
		n=$((n + 1))
		sleep 0.1
	done
}

# uvc_wait_exit PID TENTHS: wait up to TENTHS tenths of a second for
# process PID to end; false if it still runs.
uvc_wait_exit() {
	n=0
	while _uvc_alive "$1" && [ $n -lt "$2" ]; do
		n=$((n + 1))
		sleep 0.1
	done
	! _uvc_alive "$1"
}

# Unplug: the program closes the gadget's node first, which disconnects
# the gadget from the bus (uvcvideo sees the camera go), then the gadget is
# unbound, which would wait for that close anyway. Closing first also
# stops the function's streaming before its endpoint goes: unbinding under
# a live stream makes usb_f_uvc requeue every cancelled request and log
# "Failed to queue request" for each.
uvc_unplug() {
	pid=$(_uvc_pid)
	[ -n "$(cat "$UVC_G/UDC" 2>/dev/null)" ] || return 0
	if _uvc_alive "$pid"; then
		kill -TERM "$pid"
		if ! uvc_wait_exit "$pid" 100; then
			_uvc_say "uvc_gadget did not exit on SIGTERM: killing it"
			kill -KILL "$pid" 2>/dev/null
			uvc_wait_exit "$pid" 50
		fi
	fi
	rm -f "$UVC_STATE/pid"
	echo "" >"$UVC_G/UDC" || return 1
	# uvcvideo lets go of its node once the disconnect is through.
	n=0
	while uvc_dev >/dev/null && [ $n -lt 100 ]; do
		n=$((n + 1))
		sleep 0.1
	done
	! uvc_dev >/dev/null
}

# Links first, then directories, children before parents; each step may
# find nothing to do after a setup that failed half way.
_uvc_remove() {
	[ -d "$UVC_G" ] || return 0
	rm -f "$UVC_G/configs/c.1/uvc.0" "$UVC_F"/control/class/*/h \
		"$UVC_F"/streaming/class/*/h "$UVC_F"/streaming/header/h/[um]
	for d in "$UVC_G/configs/c.1/strings/0x409" "$UVC_G/configs/c.1" \
		"$UVC_F/streaming/header/h" \
		"$UVC_F"/streaming/uncompressed/u/*p "$UVC_F/streaming/uncompressed/u" \
		"$UVC_F"/streaming/mjpeg/m/*p "$UVC_F/streaming/mjpeg/m" \
		"$UVC_F/control/header/h" "$UVC_F" \
		"$UVC_G/strings/0x409" "$UVC_G"; do
		[ -d "$d" ] && rmdir "$d"
	done
	[ ! -d "$UVC_G" ]
}

# Everything back as it was: the next suite starts clean. Goes as far as
# it can even when a step fails; fails if anything is left.
uvc_teardown() {
	status=0
	[ -d "$UVC_G" ] && { uvc_unplug || status=1; }
	pid=$(_uvc_pid)
	_uvc_alive "$pid" && kill -KILL "$pid"
	if ! _uvc_remove; then
		_uvc_say "cannot remove $UVC_G: $(find "$UVC_G" | head -n 5)"
		status=1
	fi
	if [ -e "$UVC_STATE/mounted" ]; then
		umount "$UVC_CONFIGFS" && rm -f "$UVC_STATE/mounted"
	fi
	for m in $UVC_MODULES; do
		grep -q "^$m " /proc/modules || continue
		modprobe -r "$m" 2>/dev/null || rmmod "$m"
	done
	# What they pulled in, if nothing else holds it.
	modprobe -r usbcore configfs 2>/dev/null
	for m in $UVC_MODULES; do
		if grep -q "^$m " /proc/modules; then
			_uvc_say "$m is still loaded: $(grep "^$m " /proc/modules)"
			status=1
		fi
	done
	return $status
}
