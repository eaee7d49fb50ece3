#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs a build and consumes it exactly as a user on a fresh machine
# does: a plain `meson install` into the configured prefix, then the
# embedding example built with `pkg-config shadowmmu` alone and run with
# no LD_LIBRARY_PATH. It uninstalls again afterwards.
#
# As root on a machine with no shadowmmu installed (CI) it does exactly
# that. Otherwise (not root, or an install already there that it must not
# clobber) it checks a staged install under a scratch DESTDIR, pointing
# pkg-config and the loader at it, and says so.
# usage: check-install.sh BUILD_DIR
set -eu
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

staged() {
	echo "install: $1; checking a staged install instead"
	root="$tmp/root"
	meson install -C "$build" --destdir "$root" --quiet
	pc=$(find "$root" -name shadowmmu.pc | head -n 1)
	[ -n "$pc" ] || { echo "install: no shadowmmu.pc installed" >&2; exit 1; }
	export PKG_CONFIG_PATH="$(dirname "$pc")"
	prefix=$(pkg-config --variable=prefix shadowmmu)
	pc_args="--define-variable=prefix=$root$prefix"
	# shellcheck disable=SC2046
	cc -o "$tmp/embed" examples/embed/embed.c \
		$(pkg-config $pc_args --cflags --libs shadowmmu)
	LD_LIBRARY_PATH=$(pkg-config $pc_args --variable=libdir shadowmmu) \
		"$tmp/embed" >/dev/null
	echo "install: consumer built with pkg-config runs against the staged library"
	exit 0
}

[ "$(id -u)" -eq 0 ] || staged "not root"
! pkg-config --exists shadowmmu 2>/dev/null ||
	staged "a shadowmmu is installed already ($(pkg-config --variable=libdir shadowmmu))"

uninstall() {
	ninja -C "$build" uninstall >/dev/null 2>&1 || true
	command -v ldconfig >/dev/null 2>&1 && ldconfig
	rm -rf "$tmp"
}
trap uninstall EXIT
meson install -C "$build" --quiet
if ! pkg-config --exists shadowmmu; then
	libdir=$(meson introspect "$build" --buildoptions |
		python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="libdir"][0])')
	echo "install: pkg-config does not find shadowmmu after meson install (libdir=$libdir)" >&2
	exit 1
fi
cflags=$(pkg-config --cflags shadowmmu)
libs=$(pkg-config --libs shadowmmu)
echo "install: pkg-config shadowmmu: $cflags $libs"
# shellcheck disable=SC2086
cc -o "$tmp/embed" examples/embed/embed.c $cflags $libs
env -u LD_LIBRARY_PATH "$tmp/embed" >/dev/null
lib=$(ldd "$tmp/embed" | awk '/libshadowmmu/ { print $3 }')
echo "install: consumer built with pkg-config runs against $lib"
