#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot refvmx with one guest in Bochs (no VMX hardware needed) and judge
# the run. Usage:
#   refvmx-bochs.sh REFVMX.elf GUEST.elf [--cpus N] [--timeout S]
#                   [--cpu-model M] [--cmdline ARGS] [--guest-cmdline ARGS]
#                   [--guest-ram MIB] [--module FILE NAME]... [--ips N]
#                   [--mark RE]... [--progress S]
#                   [--expect-fail] [--expect-status N] [--expect-shutdown]
#                   [--expect-entry-failure] [--no-skip] [--expect-log RE]...
# Prints the serial log, then one line: "refvmx: PASS" or
# "refvmx: FAIL <reason>"; exits 0 on PASS. With --expect-fail the run
# must fail (the negative test), and the verdict is inverted. With
# --expect-entry-failure the run must end in a failed VM entry whose
# decoded VMCS checks are printed (use with --cmdline break-guest-tr).
# With --no-skip a SKIP line from the guest fails the run (a 2-CPU run
# must not skip its two-vCPU checks).
# --guest-cmdline gives the guest's module string after its name (a
# Multiboot 1 guest's command line is that whole string); --module adds
# a boot module refvmx passes on to the guest; --guest-ram sets the
# guest's RAM (default 128 MiB; Bochs gets 64 MiB more for refvmx, and
# the size of the guest and its modules).
# --expect-status N: the guest must end through the test-exit port with
# status N (a failure status, checked exactly); --expect-shutdown: it
# must end by writing "Shutdown" to port 0x8900.
# --mark RE (repeatable) prints how long after Bochs' start a serial line
# first matched RE ("refvmx: mark "RE" after N s"). --ips sets Bochs'
# instructions per virtual second (the guest's TSC rate; default 4M).
# --progress S: while Bochs runs, a line on stderr every S seconds
# (default 20; 0: none) with the time so far and the last serial line
# (scripts/bochs-run.sh).
# --expect-log RE (repeatable): a passing run must also have a log line
# matching the extended regular expression RE (refvmx's statistics: which
# flush path a run took).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 2 ] || { echo "usage: $0 REFVMX.elf GUEST.elf [options]" >&2; exit 2; }
kernel=$1 guest=$2
shift 2
cpus=1 timeout=120 model=corei7_skylake_x expect_fail=0 expect_entry=0 no_skip=0
cmdline="" guest_cmdline="" guest_ram=128 ips=4000000 expect_status="" expect_shutdown=0
modules="" expect_logs="" marks="" progress=20
nl='
'
while [ $# -gt 0 ]; do
	case $1 in
	--cpus) cpus=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--cpu-model) model=$2; shift 2 ;;
	--expect-fail) expect_fail=1; shift ;;
	--expect-entry-failure) expect_entry=1; shift ;;
	--no-skip) no_skip=1; shift ;;
	--cmdline) cmdline=$2; shift 2 ;;
	--guest-cmdline) guest_cmdline=$2; shift 2 ;;
	--guest-ram) guest_ram=$2; shift 2 ;;
	--module) modules="$modules $2 $3"; shift 3 ;;
	--ips) ips=$2; shift 2 ;;
	--mark) marks="$marks$2$nl"; shift 2 ;;
	--progress) progress=$2; shift 2 ;;
	--expect-status) expect_status=$2; shift 2 ;;
	--expect-shutdown) expect_shutdown=1; shift ;;
	--expect-log) expect_logs="$expect_logs$2$nl"; shift 2 ;;
	*) echo "refvmx-bochs: unknown option $1" >&2; exit 2 ;;
	esac
done
for tool in bochs grub-mkrescue xorriso; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "refvmx: FAIL $tool is not installed (scripts/setup.sh --refvmx installs it)"
		exit 1
	}
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
name=$(basename "$guest" .elf)
name=${name%.bin}
module_string=$name${guest_cmdline:+ $guest_cmdline}
# shellcheck disable=SC2086 # modules: FILE NAME pairs without spaces
sh "$here/scripts/mkiso.sh" --cmdline "guest-ram=$guest_ram $cmdline" \
	"$work/refvmx.iso" "$kernel" "$guest" "$module_string" $modules >/dev/null
# GRUB loads the guest and its modules below refvmx's own regions:
# Bochs gets their size on top.
module_mib=0
for f in "$guest" $(echo "$modules" | awk '{ for (i = 1; i <= NF; i += 2) print $i }'); do
	module_mib=$((module_mib + ($(wc -c <"$f") + 1048575) / 1048576))
done
start=$(date +%s.%N)
# Each --mark RE: the wall-clock time from Bochs' start until a serial
# line first matches RE (polled every 0.2 s).
if [ -n "$marks" ]; then
	(
		set -f
		pending=$marks
		while [ -n "$pending" ] && [ ! -e "$work/done" ]; do
			rest=""
			for re in $(printf '%s' "$pending" | tr ' ' '\001'); do
				re=$(printf '%s' "$re" | tr '\001' ' ')
				if grep -aEq -- "$re" "$work/serial.log" 2>/dev/null; then
					now=$(date +%s.%N)
					awk -v s="$start" -v n="$now" -v re="$re" \
						'BEGIN { printf "refvmx: mark \"%s\" after %.1f s\n", re, n - s }' >>"$work/marks"
				else
					rest="$rest$re$nl"
				fi
			done
			pending=$rest
			sleep 0.2
		done
	) &
	watcher=$!
fi
set +e
sh "$here/scripts/bochs-run.sh" "$work/refvmx.iso" "$work/serial.log" \
	--cpus "$cpus" --timeout "$timeout" --cpu-model "$model" --ips "$ips" \
	--memory $((guest_ram + 64 + module_mib)) --progress "$progress" >/dev/null
status=$?
set -e
end=$(date +%s.%N)
if [ -n "$marks" ]; then
	: >"$work/done"
	wait "$watcher" 2>/dev/null || true
fi
tr -d '\r' < "$work/serial.log" 2>/dev/null | grep -av '^\s*$' || true
cat "$work/marks" 2>/dev/null || true

log_pass=0
grep -aq '^refvmx: run passed' "$work/serial.log" 2>/dev/null && log_pass=1
if [ "$status" -eq 124 ]; then
	verdict="FAIL timeout after ${timeout} s"
elif [ "$status" -eq 0 ] && [ "$log_pass" -eq 1 ] && [ "$no_skip" -eq 1 ] &&
	grep -aq '^SKIP' "$work/serial.log"; then
	verdict="FAIL the guest skipped checks: $(grep -a '^SKIP' "$work/serial.log" | head -n 1)"
elif [ "$status" -eq 0 ] && [ "$log_pass" -eq 1 ] &&
	! grep -aq '^FAIL' "$work/serial.log"; then
	verdict=PASS
elif [ "$status" -eq 0 ]; then
	verdict="FAIL Bochs exited 0 but the log has no clean PASS"
else
	reason=$(grep -a '^refvmx: run failed: ' "$work/serial.log" | head -n 1 | sed 's/^refvmx: run failed: //')
	verdict="FAIL ${reason:-Bochs exit status $status}"
fi
if [ "$verdict" = PASS ] && [ -n "$expect_logs" ]; then
	while IFS= read -r re; do
		[ -n "$re" ] || continue
		if ! grep -aEq -- "$re" "$work/serial.log"; then
			verdict="FAIL no log line matches '$re'"
			break
		fi
	done <<EOF
$expect_logs
EOF
fi
seconds=$(echo "$start $end" | awk '{ printf "%.1f", $2 - $1 }')
echo "refvmx: boot to verdict $seconds s ($name, $cpus CPU(s), $model)"
guest_status=$(sed -n 's/^refvmx: guest wrote status \([0-9]*\) .*to the test-exit port.*/\1/p' \
	"$work/serial.log" | head -n 1)
if [ -n "$expect_status" ]; then
	if [ "$guest_status" = "$expect_status" ] && [ "$status" -eq 1 ]; then
		echo "refvmx: PASS (the guest ended with status $expect_status, as it must)"
		exit 0
	fi
	echo "refvmx: FAIL expected test-exit status $expect_status, got '${guest_status:-none}': ${verdict#FAIL }"
	exit 1
fi
if [ "$expect_shutdown" -eq 1 ]; then
	if grep -aq '^refvmx: run failed: the guest shut down without a test-exit status' "$work/serial.log" &&
		[ -z "$guest_status" ] && [ "$status" -eq 1 ]; then
		echo "refvmx: PASS (the guest's \"Shutdown\" ended the run)"
		exit 0
	fi
	echo "refvmx: FAIL the guest's \"Shutdown\" did not end the run: ${verdict#FAIL }"
	exit 1
fi
if [ "$expect_entry" -eq 1 ]; then
	if grep -aq '^refvmx: run failed: VM entry failed' "$work/serial.log" &&
		grep -aq '^refvmx: vmcs: ' "$work/serial.log"; then
		echo "refvmx: PASS (the broken VM entry failed and was diagnosed)"
		exit 0
	fi
	echo "refvmx: FAIL the broken VM entry was not diagnosed: ${verdict#FAIL }"
	exit 1
fi
if [ "$expect_fail" -eq 1 ]; then
	# The negative guest must fail by its own checks: it ends through
	# the test-exit port with a non-zero status. Any other failure (the
	# hypervisor's, a timeout) proves nothing about the harness.
	if [ "$verdict" = PASS ]; then
		echo "refvmx: FAIL the negative guest passed"
		exit 1
	elif [ -n "$guest_status" ] && [ "$guest_status" -ne 0 ]; then
		echo "refvmx: PASS (the negative guest failed its own checks, status $guest_status)"
		exit 0
	fi
	echo "refvmx: FAIL the negative guest did not fail by its own checks: ${verdict#FAIL }"
	exit 1
fi
echo "refvmx: $verdict"
[ "$verdict" = PASS ]
