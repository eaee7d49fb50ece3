#!/bin/sh
# SPDX-License-Identifier: MIT
# kvm-unit-tests.sh [--build] KUT_DIR REFVMX.elf [--timeout S] [TEST...]
#
# Runs x86 tests of kvm-unit-tests (a checkout the user provides, e.g.
# from https://gitlab.com/kvm-unit-tests/kvm-unit-tests; nothing of it is
# part of this repository) as unmodified Multiboot 1 kernels under refvmx
# in Bochs, one run per test, and prints a table of results.
#
# --build first configures and builds KUT_DIR for x86_64 (./configure
# --arch=x86_64 && make), in the checkout itself as kvm-unit-tests does.
# Each TEST is a name in KUT_DIR/x86 (msr runs x86/msr.flat); without any,
# the tests that need no QEMU device and no second CPU are run (see
# DEFAULT_TESTS). access_test, the page-table permutations (about 1.9
# million accesses), takes about 5 minutes under refvmx.
#
# kvm-unit-tests reads its environment from the first boot module: the
# script passes one with NR_CPUS=1 (its application processors start in
# real mode, which refvmx cannot run without unrestricted guest),
# MEMSIZE and TEST_DEVICE=0 (QEMU's test device is absent, so the tests
# that need it are skipped by the suite itself). A test ends by writing
# its status to port 0xf4: 0 is PASS, 38 (77 >> 1, the suite's "all
# skipped") SKIP, anything else FAIL.
set -eu

DEFAULT_TESTS="apic debug eventinj idt_test la57 memory msr pcid pmu
rmap_chain setjmp smap tsc umip xsave"

usage() {
	echo "usage: $0 [--build] KUT_DIR REFVMX.elf [--timeout S] [TEST...]" >&2
	exit 2
}

build=0
if [ "${1:-}" = --build ]; then
	build=1
	shift
fi
[ $# -ge 2 ] || usage
kut=$(cd "$1" && pwd)
refvmx=$2
shift 2
timeout=300
if [ "${1:-}" = --timeout ]; then
	[ $# -ge 2 ] || usage
	timeout=$2
	shift 2
fi
tests=${*:-$DEFAULT_TESTS}
here=$(cd "$(dirname "$0")/.." && pwd)

if [ "$build" -eq 1 ]; then
	(cd "$kut" && ./configure --arch=x86_64 >/dev/null && make -j"$(nproc)" >/dev/null) || {
		echo "kvm-unit-tests: the build in $kut failed" >&2
		exit 1
	}
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/refvmx-kut.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
printf 'NR_CPUS=1\nMEMSIZE=128\nTEST_DEVICE=0\n' >"$work/env"

table=$work/table
failed=0
for t in $tests; do
	flat=$kut/x86/$t.flat
	if [ ! -f "$flat" ]; then
		echo "$t: no $flat (build it with --build)" | tee -a "$table"
		failed=1
		continue
	fi
	log=$work/$t.log
	sh "$here/refvmx-bochs.sh" "$refvmx" "$flat" --module "$work/env" env \
		--timeout "$timeout" >"$log" 2>&1 || true
	status=$(sed -n 's/^refvmx: guest wrote status \([0-9]*\) .*/\1/p' "$log" | head -n 1)
	summary=$(grep -a '^SUMMARY:' "$log" | tail -n 1 | tr -d '\r')
	seconds=$(sed -n 's/^refvmx: boot to verdict \([0-9.]*\) s.*/\1/p' "$log")
	case $status in
	0) verdict=PASS ;;
	38) verdict=SKIP ;;
	'')
		verdict="FAIL ($(sed -n 's/^refvmx: FAIL //p' "$log" | tail -n 1))"
		failed=1
		;;
	*)
		verdict="FAIL (status $status)"
		failed=1
		;;
	esac
	echo "$t: $verdict in ${seconds:-?} s; ${summary:-no SUMMARY line}" | tee -a "$table"
	grep -a -e '^FAIL' -e '^refvmx: exits by reason' "$log" | sed "s/^/  $t: /" || true
done
echo "kvm-unit-tests under refvmx:"
cat "$table"
exit "$failed"
