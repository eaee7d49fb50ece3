#!/bin/sh
# SPDX-License-Identifier: MIT
# Run by `meson install`: refresh the dynamic loader's cache so that a
# consumer linked with `pkg-config --libs shadowmmu` runs without
# LD_LIBRARY_PATH. Only for a real install as root: a staged install
# (DESTDIR) is the packager's business, and a user without root installed
# into a prefix of their own, which ld.so does not search anyway.
[ -z "${DESTDIR:-}" ] || exit 0
[ "$(id -u)" -eq 0 ] || exit 0
command -v ldconfig >/dev/null 2>&1 || exit 0
ldconfig
