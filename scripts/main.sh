#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job: set up, build, and show what the project does today —
# the embedding example runs a small guest on shadow paging, its CPU and
# TLB in software, and checks every outcome,
# the exhaustive walker check runs against the SDM specification, and the
# oracle runs a random multi-vCPU guest on simulated hardware, first on
# the oracle's own naive shadow MMU, then on the library's shadow core;
# then refvmx boots in Bochs' VMX emulation and runs its page-table
# torture guest on the library's shadow paging; last, smmu-bench compares
# what the flush policies cost, the oracle judging every flush.
#
# Everything is built in build-main/ (the project's default options),
# leaving a build/ of your own and its options alone; smmu-bench's plot
# and table land in build-main/ too.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh

b=build-main
[ -d "$b" ] || meson setup "$b" >/dev/null
echo "== building in $b/ =="
ninja -C "$b"

echo
echo "== embedding example (examples/embed) =="
./$b/examples/embed/smmu-embed

echo
echo "== guest walker vs. SDM specification, every permutation =="
./$b/tests/test-walk-permutations

echo
echo "== the oracle: a random 2-vCPU guest on simulated hardware (smmu-sim) =="
./$b/adapters/posix/smmu-sim --vcpus 2 --ops 20000 --seed 1

echo
echo "== the library's shadow core under the oracle: 3 vCPUs, PAE and 5-level, a 40-page pool =="
./$b/adapters/posix/smmu-sim --mmu lib --mode pae --vcpus 3 --ops 20000 --seed 1 --pool-pages 40
./$b/adapters/posix/smmu-sim --mmu lib --mode 5level --vcpus 3 --ops 20000 --seed 1 --pool-pages 40

echo
if command -v bochs >/dev/null 2>&1; then
	echo "== refvmx, the reference VMX hypervisor, in Bochs: pt-torture on 2 CPUs on shadow paging =="
	meson configure "$b" -Drefvmx_guest=pt-torture -Drefvmx_cpus=2 >/dev/null
	meson compile -C "$b" refvmx-bochs
else
	echo "== refvmx: Bochs is not installed, so the reference hypervisor is not booted =="
fi

echo
echo "== smmu-bench: what each flush policy costs per guest operation (bench/README.md) =="
./$b/bench/smmu-bench --no-progress --policy all --remote both --plot "$b/smmu-bench.svg" --csv "$b/smmu-bench.csv"

echo
echo "main: built in $b/ (the programs above: $b/adapters/posix/smmu-sim, $b/bench/smmu-bench, $b/examples/refvmx/refvmx.elf);"
echo "main: smmu-bench's plot and table: $b/smmu-bench.svg, $b/smmu-bench.csv"
