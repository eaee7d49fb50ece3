#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs a build into a scratch root and builds the embedding example the
# way a consumer would: headers and flags from `pkg-config shadowmmu` only.
# usage: check-install.sh BUILD_DIR
set -eu
build=$1
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

meson install -C "$build" --destdir "$root" --quiet
pc=$(find "$root" -name shadowmmu.pc | head -n 1)
[ -n "$pc" ] || { echo "install: no shadowmmu.pc installed" >&2; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pc")"

# The .pc names the configured prefix; point it at the scratch root.
prefix=$(pkg-config --variable=prefix shadowmmu)
pc_args="--define-variable=prefix=$root$prefix"
cflags=$(pkg-config $pc_args --cflags shadowmmu)
libs=$(pkg-config $pc_args --libs shadowmmu)
echo "install: pkg-config shadowmmu: $cflags $libs"
# shellcheck disable=SC2086
cc -o "$root/embed" examples/embed/embed.c $cflags $libs
libdir=$(pkg-config $pc_args --variable=libdir shadowmmu)
LD_LIBRARY_PATH="$libdir" "$root/embed" >/dev/null
echo "install: consumer built with pkg-config runs against the installed library"
