#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs what building and testing libshadowmmu needs on Debian 12, and
# nothing if it is all there already. Needs root (or sudo) only when
# something is missing.
set -eu

# dpkg-dev gives meson the multiarch libdir (lib/x86_64-linux-gnu):
# without it meson installs to lib64, where neither pkg-config nor the
# dynamic loader look on Debian. gnuplot-nox draws smmu-bench's plots.
# The bochs line boots refvmx in Bochs' VMX emulation: Bochs, its BIOS
# images, and what grub-mkrescue needs for a BIOS ISO. doxygen, mscgen
# and graphviz build `ninja docs` (docs/README.md).
packages="gcc libc6-dev binutils dpkg-dev meson ninja-build pkg-config \
	libcriterion-dev liburcu-dev libcpuid-dev gnuplot-nox \
	bochs bochsbios vgabios grub-pc-bin grub-common xorriso \
	doxygen mscgen graphviz"

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "setup: installing$missing"
as_root=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "setup: need root (or sudo) to install:$missing" >&2
		exit 1
	}
	as_root="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update -qq
# shellcheck disable=SC2086
$as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "setup: done"
