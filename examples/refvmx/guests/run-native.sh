#!/bin/sh
# SPDX-License-Identifier: MIT
# run-native.sh BUILDDIR GUEST [--expect-fail] [--cpus N] [--no-skip]
#               [--guest-cmdline ARGS] [--module FILE NAME]...
#
# Boots the guest GUEST.elf (or GUEST.bin, a flat Multiboot 1 image) from
# BUILDDIR natively in Bochs (N CPUs, default 1), as the Multiboot kernel
# itself (no hypervisor), with ARGS as its command line and each FILE as
# a boot module with the string NAME, and ends with one line:
#   native GUEST: PASS
#   native GUEST: FAIL <reason>
# (after a line with the counts and the boot-to-result time). PASS needs
# Bochs's pass status (the guest wrote 'D' to port 0x8900), no
# FAIL line and the guest's closing line with 0 failed. Exits 0 on PASS.
#
# With --expect-fail (the negative test) it exits 0 only if the guest
# failed the way a failing guest must: FAIL lines, a closing line counting
# them, and Bochs's fail status, not a hang or a crash. With --no-skip a
# SKIP line fails the run too: for a run whose every check must apply
# (smp-shootdown on two CPUs, whose SKIPs mean a missing second CPU).
#
# BUILDDIR is the meson build directory or the guests' own build
# directory. Environment: BOCHS_TIMEOUT (seconds, default 120),
# BOCHS_MEMORY (MiB, default 192),
# BOCHS_CPU_MODEL, KEEP_LOGS=1 to keep the ISO and serial log.
set -eu

usage() {
	echo "usage: $0 BUILDDIR GUEST [--expect-fail] [--cpus N] [--no-skip] [--guest-cmdline ARGS] [--module FILE NAME]..." >&2
	exit 2
}

[ $# -ge 2 ] || usage
builddir=$1
guest=$2
shift 2
expect_fail=false
cpus=1
no_skip=false
guest_cmdline=
modules=
while [ $# -gt 0 ]; do
	case $1 in
	--expect-fail) expect_fail=true ;;
	--no-skip) no_skip=true ;;
	--cpus)
		[ $# -ge 2 ] || usage
		cpus=$2
		shift
		;;
	--guest-cmdline)
		[ $# -ge 2 ] || usage
		guest_cmdline=$2
		shift
		;;
	--module)
		[ $# -ge 3 ] || usage
		modules="$modules $2 $3"
		shift 2
		;;
	*) usage ;;
	esac
	shift
done
scripts=$(cd "$(dirname "$0")/../scripts" && pwd)

elf=
for candidate in "$builddir/$guest.elf" "$builddir/$guest.bin" \
	"$builddir/examples/refvmx/guests/$guest.elf" \
	"$builddir/examples/refvmx/guests/$guest.bin"; do
	if [ -f "$candidate" ]; then
		elf=$candidate
		break
	fi
done
if [ -z "$elf" ]; then
	echo "native $guest: FAIL no $guest.elf in $builddir"
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/refvmx-native.XXXXXX")
if [ "${KEEP_LOGS:-0}" = 1 ]; then
	echo "run-native: keeping $work" >&2
else
	trap 'rm -rf "$work"' EXIT INT TERM
fi

# shellcheck disable=SC2086 # modules: FILE NAME pairs without spaces
if ! "$scripts/mkiso.sh" --cmdline "$guest_cmdline" "$work/$guest.iso" "$elf" $modules; then
	echo "native $guest: FAIL could not build the ISO"
	exit 1
fi

# The same memory refvmx's runs give Bochs (refvmx-bochs.sh): 192 MiB.
set -- --timeout "${BOCHS_TIMEOUT:-120}" --cpus "$cpus" --memory "${BOCHS_MEMORY:-192}"
if [ -n "${BOCHS_CPU_MODEL:-}" ]; then
	set -- "$@" --cpu-model "$BOCHS_CPU_MODEL"
fi
start=$(date +%s.%N)
status=0
"$scripts/bochs-run.sh" "$work/$guest.iso" "$work/serial.log" "$@" || status=$?
end=$(date +%s.%N)
seconds=$(echo "$start $end" | awk '{ printf "%.1f", $2 - $1 }')

log=$work/serial.log
fail_lines=$(grep -c '^FAIL ' "$log" || true)
pass_lines=$(grep -c '^PASS ' "$log" || true)
skip_lines=$(grep -c '^SKIP ' "$log" || true)
# The guest names itself; its variants (mb1-boot-aout...) share the name.
closing=$(grep -E "^[A-Za-z0-9_-]+: done, " "$log" | tail -n 1 || true)
failed=$(echo "$closing" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')

reason=
if [ "$status" = 124 ]; then
	reason="timed out after ${BOCHS_TIMEOUT:-120}s"
elif [ -z "$closing" ]; then
	reason="no closing line (Bochs status $status)"
elif [ "$fail_lines" -ne 0 ] || [ "$failed" != 0 ]; then
	reason="$fail_lines FAIL line(s), closing line says $failed failed (Bochs status $status)"
elif [ "$status" != 0 ]; then
	reason="Bochs status $status"
elif [ "$pass_lines" -eq 0 ]; then
	reason="no PASS line"
elif $no_skip && [ "$skip_lines" -ne 0 ]; then
	reason="$skip_lines SKIP line(s), and every check must run here"
fi

echo "run-native: $guest: $pass_lines PASS, $fail_lines FAIL, $skip_lines SKIP lines; Bochs status $status after ${seconds}s ($cpus CPU(s))"
if [ -z "$reason" ]; then
	echo "native $guest: PASS"
	$expect_fail && exit 1
	exit 0
fi
verdict="native $guest: FAIL $reason"
if $expect_fail; then
	# Failing for the right reason: counted FAILs and the fail status.
	if [ "$status" = 1 ] && [ "$fail_lines" -gt 0 ] &&
		[ "$failed" = "$fail_lines" ]; then
		echo "run-native: $guest failed as expected"
		echo "$verdict"
		exit 0
	fi
	echo "run-native: $guest did not fail the expected way"
fi
echo "$verdict"
exit 1
