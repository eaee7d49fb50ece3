#!/bin/sh
# SPDX-License-Identifier: MIT
# bochs-run.sh ISO SERIAL_LOG [--cpus N] [--timeout SECONDS] [--cpu-model MODEL]
#              [--memory MIB] [--ips N] [--ignore-bad-msrs] [--progress S]
#
# Boots ISO headless in Bochs the way ../../../../shared/BOCHS.md found to
# work: rfb display that waits for no client, the internal debugger fed
# "c" and "quit" from an -rc file, stdin from /dev/null, COM1 written to
# SERIAL_LOG, all under `timeout`. Each run has its own scratch directory
# (and rfb moves to a free port), so several can run at once.
#
# --ips sets Bochs' instructions per virtual second (default 4000000:
# TSC, LAPIC timer and the PIT run at that rate); --ignore-bad-msrs lets
# Bochs answer MSRs it does not model (a native Linux reads
# IA32_MISC_ENABLE, which Bochs' Skylake lacks; refvmx never needs it).
#
# While Bochs runs, every S seconds (--progress, default 20; 0: never) a
# line on stderr shows that it is alive: the time so far and the last
# line of the serial log, e.g.
#   bochs-run: 40 s, serial: [    2.340703] PCI: Fatal: No config space access function found
#
# Prints the serial log, then exits with Bochs's status: 0 when the guest
# wrote 'D' to port 0x8900 (pass), 1 for "Shutdown" there (fail) or a
# Bochs error, 124 on timeout. Defaults: 1 CPU, 120 s, corei7_skylake_x,
# 128 MiB of RAM.
set -eu

usage() {
	echo "usage: $0 ISO SERIAL_LOG [--cpus N] [--timeout SECONDS] [--cpu-model MODEL] [--memory MIB] [--ips N] [--ignore-bad-msrs] [--progress S]" >&2
	exit 2
}

[ $# -ge 2 ] || usage
iso=$1
serial=$2
shift 2
cpus=1
timeout_s=120
model=corei7_skylake_x
memory=128
ips=4000000
bad_msrs=0
progress=20
while [ $# -gt 0 ]; do
	if [ "$1" = --ignore-bad-msrs ]; then
		bad_msrs=1
		shift
		continue
	fi
	[ $# -ge 2 ] || usage
	case $1 in
	--ips) ips=$2 ;;
	--cpus) cpus=$2 ;;
	--timeout) timeout_s=$2 ;;
	--cpu-model) model=$2 ;;
	--memory) memory=$2 ;;
	--progress) progress=$2 ;;
	*) usage ;;
	esac
	shift 2
done
[ -f "$iso" ] || { echo "$0: no ISO $iso" >&2; exit 2; }

# Bochs runs in the scratch directory; the paths it is given must not
# depend on where this script was called from (nor contain spaces: the
# bochsrc takes them unquoted).
absolute() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "$PWD/$1" ;;
	esac
}
iso=$(absolute "$iso")
serial=$(absolute "$serial")

scratch=$(mktemp -d "${TMPDIR:-/tmp}/refvmx-bochs.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM

cat >"$scratch/bochsrc" <<BOCHSRC
config_interface: textconfig
display_library: rfb, options="timeout=0"
memory: guest=$memory, host=$memory
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
cpu: model=$model, count=$cpus, ips=$ips, reset_on_triple_fault=0, ignore_bad_msrs=$bad_msrs
pci: enabled=1, chipset=i440fx
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=cdrom, path=$iso, status=inserted
boot: cdrom
clock: sync=none, time0=local
com1: enabled=1, mode=file, dev=$serial
log: bochs.log
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
magic_break: enabled=0
port_e9_hack: enabled=0
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
BOCHSRC
printf 'c\nquit\n' >"$scratch/dbgrc"

# The progress lines (--progress): polled each second, so that the
# watcher ends within a second of Bochs. The last serial line is shown
# without carriage returns, escape codes or other control characters.
esc=$(printf '\033')
progress_watch() {
	begin=$(date +%s)
	next=$((begin + progress))
	while [ -d "$scratch" ] && [ ! -e "$scratch/done" ]; do
		sleep 1
		now=$(date +%s)
		[ "$now" -ge "$next" ] || continue
		next=$((now + progress))
		last=$(tail -c 4096 "$serial" 2>/dev/null | tr -d '\r' |
			sed "s/$esc\[[0-9;?]*[A-Za-z]//g" | tr -d '\000-\010\013-\037' |
			grep -av '^[[:space:]]*$' | tail -n 1 | cut -c 1-120) || true
		echo "bochs-run: $((now - begin)) s, serial: ${last:-(nothing yet)}" >&2
	done
}

# Two Bochs starting at the same moment can both bind rfb's first port;
# the one whose listen() then fails gives up on the whole port range
# ("RFB could not bind any port", exit 1, or a crash while panicking).
# That happens before the guest runs, so it is retried.
attempt=1
while :; do
	: >"$serial"
	rm -f "$scratch/done"
	watcher=
	if [ "$progress" -gt 0 ]; then
		progress_watch &
		watcher=$!
	fi
	status=0
	(cd "$scratch" &&
		timeout "$timeout_s" bochs-bin -q -f bochsrc -rc dbgrc \
			</dev/null >bochs.out 2>&1) || status=$?
	if [ -n "$watcher" ]; then
		: >"$scratch/done"
		wait "$watcher" 2>/dev/null || true
	fi
	if [ "$status" != 0 ] && [ "$attempt" -lt 5 ] &&
		grep -q 'RFB could not bind' "$scratch/bochs.log"; then
		echo "bochs-run: rfb found no free port, retrying" >&2
		attempt=$((attempt + 1))
		sleep "$attempt"
		continue
	fi
	break
done

cat "$serial"
case $status in
0) ;;
1)
	# A guest's "Shutdown" (logged as a panic of the shutdown port) and a
	# real Bochs panic both exit 1: say when it was the latter.
	if grep 'PANIC' "$scratch/bochs.log" | grep -qv 'Shutdown port'; then
		echo "bochs-run: Bochs panicked; the end of its log:" >&2
		tail -n 20 "$scratch/bochs.log" >&2
	fi
	;;
124) echo "bochs-run: timed out after ${timeout_s}s" >&2 ;;
*)
	echo "bochs-run: bochs exited with status $status; the end of its log:" >&2
	tail -n 20 "$scratch/bochs.log" >&2 || true
	;;
esac
exit "$status"
