#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job: set up, build, and show what the project does today —
# the embedding example boots a guest's paging and translates accesses,
# the exhaustive walker check runs against the SDM specification, and the
# oracle runs a random multi-vCPU guest on simulated hardware.
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

echo
echo "== the oracle: a random 2-vCPU guest on simulated hardware (smmu-sim) =="
./build/adapters/posix/smmu-sim --vcpus 2 --ops 20000 --seed 1
