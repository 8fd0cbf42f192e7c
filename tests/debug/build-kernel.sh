#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build, or reuse, the debug kernel: Debian's linux-source-6.12 configured
# from `make tinyconfig` plus tests/debug/kernel.config (KASAN, kmemleak,
# lockdep, DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS, fault injection, and the
# drivers the suites load). Nothing of the kernel source is committed: it is
# unpacked here, at build time.
#
# Usage: tests/debug/build-kernel.sh [--print-key]
#
# The kernel is cached under $ZCAP_CACHE (default ~/.cache/zcap), in a
# directory named after a hash of the source tarball, kernel.config and this
# script, so that a clean clone (CI) reuses what an earlier run built, and a
# change to any of the three builds anew. The directory holds:
#   src/              the unpacked source
#   obj/              the object tree (O=), usable as KDIR for zcap.ko
#   bzImage           the kernel
#   modroot/lib/modules/<release>/   its modules, with modules.dep
#   release           the kernel release, e.g. 6.12.117-zcap-debug
# On success the directory's path is printed on the last line of stdout.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/kernel.config
tarball=${ZCAP_DEBUG_KSRC:-/usr/src/linux-source-6.12.tar.xz}
cache=${ZCAP_CACHE:-${HOME:-/root}/.cache/zcap}
jobs=${ZCAP_JOBS:-$(nproc)}

die() {
	echo "debug-kernel: $*" >&2
	exit 1
}

[ -r "$tarball" ] || die "$tarball is missing: install linux-source-6.12 (make deps)"
for tool in flex bison bc gcc make; do
	command -v "$tool" >/dev/null || die "$tool not found (make deps)"
done
[ -e /usr/include/libelf.h ] || die "libelf.h not found: install libelf-dev (make deps)"

key=$({
	stat -c '%s %Y' "$tarball"
	cat "$fragment" "$0"
	gcc --version | head -n 1
} | sha256sum | cut -c1-16)
if [ "${1:-}" = --print-key ]; then
	echo "$key"
	exit 0
fi

dir=$cache/debug-kernel/$key
mkdir -p "$dir"
# One build at a time per key; a second caller waits and then reuses it.
exec 9>"$dir/.lock"
flock 9

if [ -e "$dir/.done" ]; then
	echo "debug-kernel: reusing $(cat "$dir/release") in $dir" >&2
	echo "$dir"
	exit 0
fi

start=$(date +%s)
rm -rf "$dir/src" "$dir/obj" "$dir/modroot" "$dir/bzImage"
mkdir -p "$dir/src" "$dir/obj"
echo "debug-kernel: unpacking $tarball" >&2
tar -xJf "$tarball" -C "$dir/src" --strip-components=1

kmake() {
	make -C "$dir/src" O="$dir/obj" ARCH=x86_64 "$@"
}

echo "debug-kernel: configuring (tinyconfig + $(basename "$fragment"))" >&2
kmake -s tinyconfig >/dev/null
"$dir/src/scripts/kconfig/merge_config.sh" -m -O "$dir/obj" \
	"$dir/obj/.config" "$fragment" >"$dir/merge.log" 2>&1 ||
	die "merge_config failed: $dir/merge.log"
kmake -s olddefconfig >/dev/null

# Every line of the fragment must have survived olddefconfig.
missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF "$line" "$dir/obj/.config" && continue
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		grep -q "^$opt=" "$dir/obj/.config" || continue
		;;
	*) continue ;;
	esac
	echo "debug-kernel: not in the final .config: $line" >&2
	missing=1
done <"$fragment"
[ $missing -eq 0 ] || die "the configuration lost options (dependencies unmet); see $dir/obj/.config"

echo "debug-kernel: building with $jobs jobs (log: $dir/build.log)" >&2
if ! kmake -j"$jobs" bzImage modules >"$dir/build.log" 2>&1; then
	tail -n 30 "$dir/build.log" >&2
	die "the build failed: $dir/build.log"
fi
kmake -s INSTALL_MOD_PATH="$dir/modroot" modules_install >>"$dir/build.log" 2>&1 ||
	die "modules_install failed: $dir/build.log"
cp "$dir/obj/arch/x86/boot/bzImage" "$dir/bzImage"
kmake -s kernelrelease >"$dir/release"
touch "$dir/.done"
echo "debug-kernel: built $(cat "$dir/release") in $(($(date +%s) - start)) s" >&2
echo "$dir"
