#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages zcap needs to build and to run its tests.
# Asks dpkg first, so it costs a fraction of a second when nothing is
# missing; only then does it call apt-get (update once, then install).
#
# Usage: scripts/deps.sh [--check]
#   --check   only report what is missing; exit 1 if anything is

set -euo pipefail

# The two Debian kernel series the module is tested on: the metapackages
# pull in whatever ABI is current, so no ABI number (-56, .117) appears
# here. linux-source-* provides what Debian's kernels leave out
# (kselftest_harness.h, checkpatch.pl, vicodec, v4l2-mem2mem), and the
# whole source of the debug kernel (tests/debug/), which bc, flex, bison,
# libelf-dev (objtool) and libssl-dev build. The GStreamer plugin builds
# against GStreamer's development files; its suite runs stock elements
# (gst-launch-1.0, v4l2src, v4l2fwhtenc, filesink) around it. valgrind's
# lackey counts what one frame touches (tests/bench/frame_cost_trace.sh,
# in make check and make bench). `make deb` and its test (tests/pkg/)
# need dpkg-buildpackage, debhelper with dh_dkms, dkms (to build the
# module from the packaged source) and lintian.
PACKAGES=(
	gcc gcc-multilib make pkg-config sparse
	bc flex bison libelf-dev libssl-dev
	libdrm-dev libpng-dev libjpeg62-turbo-dev
	qemu-system-x86 busybox-static kmod cpio xz-utils
	v4l-utils
	libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
	gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
	gnuplot-nox valgrind
	dpkg-dev debhelper dh-dkms dkms lintian
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	linux-image-6.12-amd64 linux-headers-6.12-amd64 linux-source-6.12
)

check_only=0
case "${1:-}" in
--check) check_only=1 ;;
"") ;;
*) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "deps: missing Debian packages: ${missing[*]}"
if [ $check_only -eq 1 ]; then
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: installing them needs root; run as root:" >&2
	echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
