#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages, as installed: every .deb of DEB_OUT unpacked
# (dpkg -x) into one staging root, then checked there. TAP on stdout.
#
# Usage: tests/pkg/check-staged.sh DEB_OUT STAGE DKMS_TREE KO_DIR KVER...
#   DEB_OUT    the packages (`make deb-build`, debian/deb.mk); lintian's
#              report is left there as lintian.txt
#   STAGE      the staging root to make (emptied first)
#   DKMS_TREE  dkms's tree for the builds from the staged source
#   KO_DIR     where each kernel's DKMS-built zcap.ko is left, as
#              KO_DIR/<kver>/zcap.ko, for the VM suite (tests/vm/suites/pkg.sh)
#   KVER...    the kernels to build the module for (headers installed)
#
# What it proves: the packages hold what Documentation/packaging.md says;
# the libraries' SONAMEs and exports match their symbols files; a program
# builds and runs against the staged -dev packages through pkg-config alone;
# the GStreamer plugin loads from its package; the tools link the shared
# libraries and carry none of zcap-bench's test wrappers; the versions of
# module, dkms.conf and packages agree; the udev rule gives /dev/zcap to
# group video and to the seat (uaccess); dkms builds the module from the
# staged source for each kernel and refuses one older than 6.1.

# No pipefail: `cmd | grep -q` would fail whenever grep stops reading early.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/vm/tap.sh"

[ $# -ge 5 ] || { echo "usage: $0 DEB_OUT STAGE DKMS_TREE KO_DIR KVER..." >&2; exit 2; }
debs=$1 stage=$2 dkms_tree=$3 ko_dir=$4
shift 4
kvers=("$@")

ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
libdir=$stage/usr/lib/$ma
work=$(mktemp -d "${TMPDIR:-/tmp}/zcap-pkg.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The packages, their SONAMEs, and the public header of each -dev package.
runtime_libs=("libzcap0:libzcap.so.0" "libzcap-drm0:libzcap-drm.so.0" "libzcap-gst0:libzcap-gst.so.0")
packages=(zcap-dkms libzcap0 libzcap-dev libzcap-drm0 libzcap-drm-dev libzcap-gst0
	libzcap-gst-dev gstreamer1.0-zcap zcap-tools)

tap_plan $((13 + 2 * ${#kvers[@]}))

# deb_of PACKAGE: its .deb in DEB_OUT.
deb_of() {
	ls "$debs"/"$1"_*.deb 2>/dev/null | head -n 1
}

# --- the packages and lintian ---------------------------------------------

missing=
for p in "${packages[@]}"; do
	[ -n "$(deb_of "$p")" ] || missing="$missing $p"
done
if [ -z "$missing" ]; then
	tap_pass "make deb built ${#packages[@]} packages (${packages[*]})"
else
	tap_fail "make deb built every package"
	tap_diag "missing:$missing" "$(ls -l "$debs" 2>&1)"
	tap_done
	exit 1
fi

# lintian takes a while on one core: it runs beside the other checks, and
# is judged last.
lintian --tag-display-limit 0 "$debs"/*.changes >"$debs/lintian.txt" 2>&1 &
lintian_pid=$!

rm -rf "$stage"
mkdir -p "$stage"
for p in "${packages[@]}"; do
	dpkg -x "$(deb_of "$p")" "$stage" || tap_diag "dpkg -x $p failed"
	dpkg-deb -e "$(deb_of "$p")" "$work/ctl-$p"
done

# --- what each package holds -------------------------------------------

# has PACKAGE PATH...: every PATH is in PACKAGE's file list.
has() {
	local p=$1 f list
	shift
	list=$(dpkg-deb -c "$(deb_of "$p")" | awk '{ print $6 }' | sed 's,^\./,/,')
	for f in "$@"; do
		if ! grep -qx "$f" <<<"$list"; then
			echo "$p lacks $f"
			return 1
		fi
	done
}
plugindir=$(pkg-config --variable=pluginsdir gstreamer-1.0)
why=$(has zcap-dkms /usr/src/zcap-0.1.0/dkms.conf /usr/src/zcap-0.1.0/Kbuild \
		/usr/src/zcap-0.1.0/kernel/main.c /usr/src/zcap-0.1.0/include/uapi/linux/zcap.h \
		/lib/udev/rules.d/70-zcap.rules &&
	has libzcap0 "/usr/lib/$ma/libzcap.so.0.1.0" "/usr/lib/$ma/libzcap.so.0" &&
	has libzcap-dev /usr/include/zcap/zcap.h /usr/include/zcap/linux-zcap.h \
		/usr/include/zcap/version.h \
		"/usr/lib/$ma/libzcap.so" "/usr/lib/$ma/libzcap.a" "/usr/lib/$ma/pkgconfig/zcap.pc" &&
	has libzcap-drm0 "/usr/lib/$ma/libzcap-drm.so.0" &&
	has libzcap-drm-dev /usr/include/zcap/drm.h "/usr/lib/$ma/libzcap-drm.a" \
		"/usr/lib/$ma/pkgconfig/zcap-drm.pc" &&
	has libzcap-gst0 "/usr/lib/$ma/libzcap-gst.so.0" &&
	has libzcap-gst-dev /usr/include/zcap/gst.h "/usr/lib/$ma/pkgconfig/zcap-gst.pc" &&
	has gstreamer1.0-zcap "$plugindir/libgstzcap.so" &&
	has zcap-tools /usr/bin/zcap-capture /usr/bin/zcap-info /usr/bin/zcap-bench \
		/usr/share/man/man1/zcap-capture.1.gz /usr/share/man/man1/zcap-info.1.gz \
		/usr/share/man/man1/zcap-bench.1.gz /usr/share/man/man7/zcap.7.gz \
		/usr/share/bash-completion/completions/zcap-capture \
		/usr/share/bash-completion/completions/zcap-info \
		/usr/share/bash-completion/completions/zcap-bench)
if [ $? -eq 0 ]; then
	tap_pass "each package holds its files (module source and udev rule, libraries in /usr/lib/$ma, plugin in $plugindir, tools, man pages, bash completion by each tool's name)"
else
	tap_fail "each package holds its files"
	tap_diag "$why"
fi

# --- SONAMEs and symbols files ------------------------------------------

bad=
for e in "${runtime_libs[@]}"; do
	p=${e%%:*} so=${e#*:}
	real=$(readlink -f "$libdir/$so")
	soname=$(readelf -d "$real" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	dev=$(readlink -f "$libdir/${so%.0}")
	[ "$soname" = "$so" ] && [ -f "$real" ] && [ "$dev" = "$real" ] ||
		bad="$bad $so: SONAME '$soname', $libdir/$so -> $real, ${so%.0} -> $dev;"
done
if [ -z "$bad" ]; then
	tap_pass "SONAMEs libzcap.so.0, libzcap-drm.so.0, libzcap-gst.so.0; the -dev links reach them"
else
	tap_fail "SONAMEs and links"
	tap_diag "$bad"
fi

# The symbols file (in the package's control area) against what the staged
# library exports: the same NAME@VERSION set, every one at 0.1.0 or later.
bad=
for e in "${runtime_libs[@]}"; do
	p=${e%%:*} so=${e#*:}
	sym=$work/ctl-$p/symbols
	if [ ! -s "$sym" ]; then
		bad="$bad $p has no symbols file;"
		continue
	fi
	head -n 1 "$sym" | grep -q "^$so $p " || bad="$bad $p: first line '$(head -n 1 "$sym")';"
	sed -n 's/^ \([^ ]*\) .*/\1/p' "$sym" | sort >"$work/$p.want"
	nm -D --defined-only --with-symbol-versions "$libdir/$so" |
		awk '{ n = $3; sub(/@@?/, "@", n); if (n !~ /@/) n = n "@" n; print n }' |
		sort >"$work/$p.have"
	if ! diff -u "$work/$p.want" "$work/$p.have" >"$work/$p.diff"; then
		bad="$bad $p: $(grep '^[-+][^-+]' "$work/$p.diff" | tr '\n' ' ');"
	fi
done
if [ -z "$bad" ]; then
	tap_pass "symbols files match the exports ($(wc -l <"$work/libzcap0.have") of libzcap, $(wc -l <"$work/libzcap-drm0.have") of libzcap-drm, $(wc -l <"$work/libzcap-gst0.have") of libzcap-gst)"
else
	tap_fail "symbols files match the exports"
	tap_diag "$bad"
fi

# --- pkg-config against the staged -dev packages -------------------------

cat >"$work/use.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <zcap/zcap.h>
#include <zcap/drm.h>

int main(void)
{
	char buf[5];

	printf("%s %s ", zcap_fourcc_str(0x56595559, buf),
	       zcap_provider_name(ZCAP_PROVIDER_MEMORY));
	printf("%s\n", zcap_fourcc_str(zcap_v4l2_to_drm_fourcc(0x56595559), buf));
	return 0;
}
EOF
pc() {
	PKG_CONFIG_SYSROOT_DIR=$stage PKG_CONFIG_LIBDIR=$libdir/pkgconfig:/usr/lib/$ma/pkgconfig:/usr/share/pkgconfig \
		PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1 pkg-config "$@"
}
flags="$(pc --cflags zcap zcap-drm) $(pc --libs zcap zcap-drm)"
if gcc -std=c11 -Wall -Werror -o "$work/use" "$work/use.c" $flags >"$work/cc.log" 2>&1 &&
	out=$(LD_LIBRARY_PATH=$libdir "$work/use" 2>&1) && [ "$out" = "YUYV memory YUYV" ] &&
	readelf -d "$work/use" | grep -q 'NEEDED.*\[libzcap.so.0\]' &&
	[ "$(pc --modversion zcap)" = 0.1.0 ] &&
	pc --cflags zcap-gst >/dev/null 2>&1; then
	tap_pass "pkg-config zcap zcap-drm (zcap-gst too) from the staged -dev packages: a program builds, links libzcap.so.0 and runs ($out)"
else
	tap_fail "pkg-config zcap zcap-drm from the staged -dev packages: a program builds, links and runs"
	tap_diag "flags: $flags" "$(cat "$work/cc.log")" "output: ${out:-}"
fi

# The plugin from its package, with the staged libraries, in a registry of
# its own.
if out=$(GST_REGISTRY=$work/registry.bin GST_PLUGIN_SYSTEM_PATH_1_0=$plugindir \
	GST_PLUGIN_PATH= GST_PLUGIN_SYSTEM_PATH= LD_LIBRARY_PATH=$libdir \
	GST_PLUGIN_PATH_1_0=$stage$plugindir gst-inspect-1.0 "$stage$plugindir/libgstzcap.so" 2>&1) &&
	grep -q zcapsrc <<<"$out" && grep -q zcappool <<<"$out"; then
	tap_pass "gst-inspect-1.0 loads the packaged plugin (zcapsrc, zcappool)"
else
	tap_fail "gst-inspect-1.0 loads the packaged plugin (zcapsrc, zcappool)"
	tap_diag "$out"
fi

# --- the tools ------------------------------------------------------------

bad=
for t in zcap-capture zcap-info zcap-bench; do
	bin=$stage/usr/bin/$t
	readelf -d "$bin" | grep -q 'NEEDED.*\[libzcap.so.0\]' || bad="$bad $t does not link libzcap.so.0;"
	# Linked statically, libzcap's functions would be defined in the tool.
	if nm -D --defined-only "$bin" 2>/dev/null | grep -q ' zcap_'; then
		bad="$bad $t defines zcap_ symbols;"
	fi
	nm -D --undefined-only "$bin" | grep -q ' zcap_' || bad="$bad $t imports no zcap_ symbol;"
	if LD_LIBRARY_PATH=$libdir ldd "$bin" | grep -q 'not found'; then
		bad="$bad $t: $(LD_LIBRARY_PATH=$libdir ldd "$bin" | grep 'not found' | tr '\n' ' ')"
	fi
done
readelf -d "$stage/usr/bin/zcap-capture" | grep -q 'NEEDED.*\[libzcap-drm.so.0\]' ||
	bad="$bad zcap-capture does not link libzcap-drm.so.0;"
if [ -z "$bad" ]; then
	tap_pass "zcap-capture, zcap-info, zcap-bench link libzcap.so.0 (zcap-capture libzcap-drm.so.0) and contain none of it"
else
	tap_fail "the tools link the shared libraries"
	tap_diag "$bad"
fi

# zcap-bench's wrappers (tools/bench_hooks.c) are global functions: the
# full symbol table of the packaged binary (its -dbgsym package) would name
# them. The build tree's zcap-bench has them, which shows the check can
# see them.
dbg=$(deb_of zcap-tools-dbgsym)
hooks=
if [ -n "$dbg" ]; then
	dpkg -x "$dbg" "$work/dbgsym"
	id=$(readelf -n "$stage/usr/bin/zcap-bench" | sed -n 's/.*Build ID: //p')
	debugfile=$work/dbgsym/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
	hooks=$(nm "$debugfile" 2>&1 | grep -E ' (__wrap_|__real_)' | awk '{ print $NF }' | sort -u | tr '\n' ' ')
fi
if [ -n "$dbg" ] && [ -s "$debugfile" ] && nm "$debugfile" | grep -q ' T main$' && [ -z "$hooks" ] &&
	{ [ -z "${ZCAP_HOOKED_BENCH:-}" ] || nm "$ZCAP_HOOKED_BENCH" | grep -q ' T __wrap_malloc$'; }; then
	tap_pass "the packaged zcap-bench has no test wrappers (no __wrap_/__real_ in its full symbol table${ZCAP_HOOKED_BENCH:+, which the build tree zcap-bench has})"
else
	tap_fail "the packaged zcap-bench has no test wrappers"
	tap_diag "dbgsym: ${dbg:-none}, debug file: ${debugfile:-none}" "wrappers: ${hooks:-none}"
fi

# --- versions, udev -------------------------------------------------------

src=$stage/usr/src/zcap-0.1.0
conf_ver=$(sed -n 's/^PACKAGE_VERSION="*\([^"]*\)"*$/\1/p' "$src/dkms.conf" 2>/dev/null)
deb_ver=$(dpkg-deb -f "$(deb_of zcap-dkms)" Version)
mod_ver=$(sed -n 's/^#define ZCAP_MODULE_VERSION[[:space:]]*"\(.*\)"/\1/p' "$src/kernel/zcap.h" 2>/dev/null)
post_ver=$(sed -n 's/.*dkms install -m zcap -v \([^ ]*\) .*/\1/p' "$work/ctl-zcap-dkms/postinst" 2>/dev/null)
if [ -n "$conf_ver" ] && [ "$conf_ver" = "${deb_ver%%-*}" ] && [ "$mod_ver" = "$conf_ver" ] &&
	[ "$post_ver" = "$conf_ver" ] && [ -d "$stage/usr/src/zcap-$conf_ver" ]; then
	tap_pass "one version everywhere: package $deb_ver, dkms.conf, MODULE_VERSION, postinst ($conf_ver)"
else
	tap_fail "one version everywhere"
	tap_diag "package '$deb_ver' dkms.conf '$conf_ver' MODULE_VERSION '$mod_ver' postinst '$post_ver'"
fi

rule=$stage/lib/udev/rules.d/70-zcap.rules
if [ -f "$rule" ] && [[ "$(basename "$rule")" < 73-seat-late.rules ]] &&
	grep -v '^#' "$rule" | grep 'KERNEL=="zcap"' | grep 'GROUP="video"' | grep -q 'TAG+="uaccess"'; then
	tap_pass "udev rule: /dev/zcap to group video and TAG uaccess, sorted before 73-seat-late.rules"
else
	tap_fail "udev rule: /dev/zcap to group video and TAG uaccess, sorted before 73-seat-late.rules"
	tap_diag "$(cat "$rule" 2>&1)"
fi

# --- DKMS, from the staged source ---------------------------------------

# A tree of its own: nothing of the host's dkms state is touched. No signing
# (it would make a key in /var/lib/dkms).
rm -rf "$dkms_tree" "$ko_dir"
mkdir -p "$dkms_tree" "$ko_dir"
dk() {
	sign_file=/nonexistent dkms "$@" -m zcap -v "$conf_ver" \
		--sourcetree "$stage/usr/src" --dkmstree "$dkms_tree"
}
if out=$(dk add 2>&1); then
	tap_pass "dkms add, from the staged /usr/src/zcap-$conf_ver"
else
	tap_fail "dkms add, from the staged /usr/src/zcap-$conf_ver"
	tap_diag "$out"
fi
for k in "${kvers[@]}"; do
	dk build -k "$k" >"$work/dkms-$k.log" 2>&1
	rc=$?
	ko=$(ls "$dkms_tree/zcap/$conf_ver/$k"/*/module/zcap.ko* 2>/dev/null | head -n 1)
	mkdir -p "$ko_dir/$k"
	case $ko in
	*.xz) xz -dc "$ko" >"$ko_dir/$k/zcap.ko" ;;
	*.zst) zstd -dcq "$ko" >"$ko_dir/$k/zcap.ko" ;;
	?*) cp "$ko" "$ko_dir/$k/zcap.ko" ;;
	esac
	if [ $rc -eq 0 ] && [ -s "$ko_dir/$k/zcap.ko" ] &&
		[ "$(modinfo -F vermagic "$ko_dir/$k/zcap.ko" | cut -d' ' -f1)" = "$k" ]; then
		tap_pass "dkms build for $k: zcap.ko ($(basename "$ko"))"
	else
		tap_fail "dkms build for $k"
		tap_diag "exit $rc" "$(tail -20 "$work/dkms-$k.log")" \
			"$(tail -20 "$dkms_tree/zcap/$conf_ver/build/make.log" 2>/dev/null)"
	fi
	ver=$(modinfo -F version "$ko_dir/$k/zcap.ko" 2>/dev/null)
	author=$(modinfo -F author "$ko_dir/$k/zcap.ko" 2>/dev/null)
	if [ "$ver" = "$conf_ver" ] && [ -n "$author" ]; then
		tap_pass "modinfo ($k): version $ver, author $author"
	else
		tap_fail "modinfo ($k): version and author"
		tap_diag "version '$ver' author '$author'"
	fi
done

# BUILD_EXCLUSIVE_KERNEL: a kernel older than 6.1 is skipped (77), before
# dkms looks for its headers.
dk build -k 5.10.0-99-amd64 >"$work/dkms-old.log" 2>&1
rc=$?
if [ $rc -eq 77 ]; then
	tap_pass "dkms skips a 5.10 kernel (BUILD_EXCLUSIVE_KERNEL, exit 77)"
else
	tap_fail "dkms skips a 5.10 kernel (BUILD_EXCLUSIVE_KERNEL, exit 77)"
	tap_diag "exit $rc" "$(tail -5 "$work/dkms-old.log")"
fi


wait $lintian_pid
if [ -s "$debs/lintian.txt" ] && ! grep -q '^E: ' "$debs/lintian.txt"; then
	tap_pass "lintian: no error ($(grep -c '^W: ' "$debs/lintian.txt") warnings, Documentation/packaging.md says which)"
else
	tap_fail "lintian: no error"
	tap_diag "$(grep '^[EW]: ' "$debs/lintian.txt" 2>&1)"
fi

tap_done
