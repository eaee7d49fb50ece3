#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job: set up, build, and show what the library does today —
# the embedding example boots a guest's paging and translates accesses,
# and the exhaustive walker check runs against the SDM specification.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh

[ -d build ] || meson setup build >/dev/null
ninja -C build

echo
echo "== embedding example (examples/embed) =="
./build/examples/embed/smmu-embed

echo
echo "== guest walker vs. SDM specification, every permutation =="
./build/tests/test-walk-permutations
