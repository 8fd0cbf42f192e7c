#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Extract files from Debian's kernel source tarball into the build tree,
# for what Debian's kernel packages leave out (kselftest_harness.h,
# checkpatch.pl, vicodec, v4l2-mem2mem.c). Nothing extracted is committed.
#
# Usage: scripts/ksrc.sh SERIES GLOB...
#   SERIES  6.1 or 6.12 (a full kernel release such as 6.1.0-56-amd64
#           is accepted and cut to its series)
#   GLOB    paths inside the kernel tree, tar --wildcards patterns,
#           e.g. 'tools/testing/selftests/kselftest_harness.h'
#           'drivers/media/test-drivers/vicodec/*'
#
# Files land at $BUILD/ksrc/SERIES/<path> (the tarball's top directory
# is stripped). The directory $BUILD/ksrc/SERIES is printed on stdout.
# Each distinct set of globs is extracted once: decompressing the tarball
# takes ~10 s, so callers should ask for everything they need in one call.
# BUILD defaults to <repo>/build.

set -euo pipefail

if [ $# -lt 2 ]; then
	echo "usage: $0 SERIES GLOB..." >&2
	exit 2
fi

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
series=$(echo "$1" | cut -d. -f1,2)
shift

tarball=/usr/src/linux-source-$series.tar.xz
if [ ! -r "$tarball" ]; then
	echo "ksrc: $tarball is missing: install linux-source-$series (make deps)" >&2
	exit 1
fi

dest=$build/ksrc/$series
mkdir -p "$dest"
key=$(printf '%s\n' "$@" | md5sum | cut -c1-16)
stamp=$dest/.stamp-$key

# Parallel make jobs may ask for the same files at the same time.
exec 9>"$dest/.lock"
flock 9

if [ ! -e "$stamp" ] || [ "$tarball" -nt "$stamp" ]; then
	globs=()
	for g in "$@"; do
		globs+=("linux-source-$series/${g#/}")
	done
	if ! tar -xJf "$tarball" -C "$dest" --strip-components=1 \
		--wildcards "${globs[@]}"; then
		echo "ksrc: could not extract $* from $tarball" >&2
		exit 1
	fi
	printf '%s\n' "$@" >"$stamp"
fi

echo "$dest"
