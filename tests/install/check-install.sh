#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make install` and `make uninstall` into a staging root (DESTDIR), as a
# host test of `make check` (tests/install/install.mk): where every part
# lands (the multiarch libdir on Debian, GStreamer's plugin directory, the
# udev rule with uaccess, man pages, the bash completion under each tool's
# name), that the installed tools use the shared library and carry no
# test hooks, that a staged install runs no ldconfig, and that uninstall
# leaves nothing behind. TAP on stdout.
#
#   check-install.sh TOP BUILD
set -u
top=$1 build=$2
stage=$build/install-stage
log=$build/results/host/install.log
n=0 status=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		[ -n "${3:-}" ] && sed 's/^/# /' <<<"$3"
		status=1
	fi
}

mk() {
	make -C "$top" --no-print-directory BUILD="$build" DESTDIR="$stage" PREFIX=/usr "$@"
}

echo "TAP version 13"
echo "1..7"
rm -rf "$stage"
mk install >"$log" 2>&1
ok $? "make install DESTDIR=... PREFIX=/usr" "$(tail -20 "$log")"

ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
libdir=/usr/lib${ma:+/$ma}
plugindir=$(pkg-config --variable=pluginsdir gstreamer-1.0 2>/dev/null)
missing=
for f in "$libdir/libzcap.so.0" "$libdir/libzcap.so" "$libdir/libzcap.a" \
	"$libdir/pkgconfig/zcap.pc" /usr/include/zcap/zcap.h /usr/include/zcap/version.h \
	/usr/bin/zcap-capture /usr/bin/zcap-info /usr/bin/zcap-bench \
	/usr/share/man/man1/zcap-capture.1 /usr/share/man/man1/zcap-info.1 \
	/usr/share/man/man1/zcap-bench.1 /usr/share/man/man7/zcap.7 \
	/usr/share/bash-completion/completions/zcap-capture \
	/usr/share/bash-completion/completions/zcap-info \
	/usr/share/bash-completion/completions/zcap-bench \
	/lib/udev/rules.d/70-zcap.rules ${plugindir:+"$plugindir/libgstzcap.so"}; do
	[ -e "$stage$f" ] || [ -L "$stage$f" ] || missing="$missing $f"
done
ok "$([ -z "$missing" ]; echo $?)" "every part where it belongs (libraries in $libdir, plugin in ${plugindir:-?}, man pages, completion by each tool's name, udev rule)" \
	"missing:$missing"

bad=
for t in zcap-capture zcap-info zcap-bench; do
	readelf -d "$stage/usr/bin/$t" 2>/dev/null | grep -q 'NEEDED.*\[libzcap\.so\.0\]' ||
		bad="$bad $t: no DT_NEEDED libzcap.so.0;"
	readelf -s "$stage/usr/bin/$t" 2>/dev/null | grep -q '__wrap_' &&
		bad="$bad $t: has __wrap_ hooks;"
done
ok "$([ -z "$bad" ]; echo $?)" "the installed tools link libzcap.so.0 and carry no test hooks" "$bad"

rule=$stage/lib/udev/rules.d/70-zcap.rules
grep -q 'GROUP="video"' "$rule" && grep -q 'TAG+="uaccess"' "$rule"
ok $? "the udev rule gives /dev/zcap to group video and to the seat's user (uaccess)" "$(cat "$rule")"

! grep -qx ldconfig "$log"
ok $? "a staged install (DESTDIR) runs no ldconfig"

# `make dkms` installs for every kernel that has headers here, not only the
# running one (the loop as make would run it; a live DKMS install needs root
# and changes the machine, which the package test's DKMS build stands in for).
want=$(for v in $(ls -1 /lib/modules 2>/dev/null); do [ -d "/lib/modules/$v/build" ] && echo "$v"; done | sort -V | xargs)
loop=$(make -C "$top" --no-print-directory -n dkms 2>/dev/null | grep -o 'for k in [^;]*;' | head -n 1)
[ -n "$want" ] && [ "$loop" = "for k in $want;" ]
ok $? "make dkms installs for every kernel with headers ($want)" "make -n dkms: ${loop:-no loop}"

mk uninstall >>"$log" 2>&1
left=$(cd "$stage" && find . ! -type d | sort)
ok "$([ -z "$left" ]; echo $?)" "make uninstall leaves no file behind" "$left"
rm -rf "$stage"
exit $status
