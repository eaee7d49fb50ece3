#!/bin/sh
# SPDX-License-Identifier: MIT
# The Linux guest: Debian's own cloud kernel with a busybox initramfs,
# booted natively in Bochs or under refvmx.
#
#   linux-guest.sh fetch
#       downloads linux-image-cloud-amd64 and busybox-static from Debian's
#       archive (apt-get download; as root, apt-get update first if the
#       lists are missing), extracts vmlinuz and the ELF vmlinux inside
#       it (its LZ4 payload, for the PVH entry note; linux/elfpack.c
#       drops its zero tails for refvmx to load), builds the workload
#       (linux/workload.c, gcc -static) and the initramfs (cpio newc,
#       uncompressed: linux/init, busybox, /bin/workload). Prints the
#       cache directory. Nothing of it enters the repository.
#   linux-guest.sh native [--cpus N] [--timeout S] [--append ARGS]
#       boots vmlinuz + initramfs from GRUB in Bochs, no hypervisor.
#   linux-guest.sh refvmx REFVMX.elf [--cpus N] [--timeout S]
#                  [--append ARGS] [refvmx-bochs.sh options]
#       boots vmlinux + initramfs under refvmx in Bochs.
#
# A run passes when the guest's /init printed "linux-guest: PASS" and the
# kernel powered the machine off (ACPI S5); it ends with one line,
# "linux-guest: PASS ..." or "linux-guest: FAIL <reason>". The fetch step
# exits 77 (meson's "skipped") when the packages cannot be had.
#
# Environment: REFVMX_LINUX_CACHE (default ~/.cache/refvmx-linux), where
# the packages and what is built from them live.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../linux" && pwd)
cache=${REFVMX_LINUX_CACHE:-${HOME:-/root}/.cache/refvmx-linux}
# What every run's kernel command line has: serial console, no crypto
# self-tests (7 s in Bochs), no HPET nor PCI (refvmx has neither), the
# TSC trusted (its rate comes from CPUID 15H), a panic ends the run.
# Bochs' instructions per virtual second: the guest's clock (TSC, timers)
# runs at this rate. 4 MHz, the other tests' rate, makes Linux's 250 Hz
# tick cost more than the guest's own work under refvmx.
ips=40000000
base_cmdline="console=ttyS0 quiet cryptomgr.notests hpet=disable pci=off no_timer_check tsc=reliable panic=-1"

usage() {
	sed -n '3,24p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

skip() {
	echo "linux-guest: SKIP $*"
	exit 77
}

need_tool() { # tool package
	command -v "$1" >/dev/null 2>&1 && return 0
	[ "$(id -u)" -eq 0 ] || skip "$1 is missing (apt-get install $2, as root)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null 2>&1 ||
		skip "cannot install $2"
}

# The versioned package behind a metapackage (linux-image-cloud-amd64
# depends on linux-image-6.1.0-N-cloud-amd64).
kernel_package() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n 1
}

# The ELF vmlinux inside a bzImage compressed with LZ4 (the kernel's
# legacy LZ4 frames, magic 02 21 4C 18): try each place the magic
# occurs until lz4 gives an ELF.
extract_vmlinux() { # vmlinuz out
	for off in $(LC_ALL=C grep -obUaP '\x02\x21\x4c\x18' "$1" | cut -d: -f1); do
		tail -c +"$((off + 1))" "$1" | lz4 -dc >"$2.tmp" 2>/dev/null || true
		if [ "$(head -c 4 "$2.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
			mv "$2.tmp" "$2"
			return 0
		fi
	done
	rm -f "$2.tmp"
	return 1
}

fetch() {
	mkdir -p "$cache/debs"
	need_tool lz4 lz4
	need_tool cpio cpio
	if ! apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1; then
		[ "$(id -u)" -eq 0 ] || skip "apt has no linux-image-cloud-amd64 and this is not root"
		apt-get update -qq >/dev/null 2>&1 || true
	fi
	kpkg=$(kernel_package)
	[ -n "$kpkg" ] || skip "apt cannot resolve linux-image-cloud-amd64"
	if [ ! -f "$cache/vmlinux.full" ] || [ "$(cat "$cache/kernel-package" 2>/dev/null)" != "$kpkg" ]; then
		(cd "$cache/debs" && rm -f ./*.deb &&
			apt-get download "$kpkg" busybox-static >/dev/null 2>&1) ||
			skip "apt-get download $kpkg busybox-static failed (no network?)"
		rm -rf "$cache/root"
		for deb in "$cache"/debs/*.deb; do
			dpkg-deb -x "$deb" "$cache/root"
		done
		cp "$cache"/root/boot/vmlinuz-* "$cache/vmlinuz"
		cp "$cache/root/bin/busybox" "$cache/busybox"
		extract_vmlinux "$cache/vmlinuz" "$cache/vmlinux.full" ||
			{ echo "linux-guest: no LZ4-compressed ELF in $cache/vmlinuz" >&2; exit 1; }
		basename "$cache"/root/boot/vmlinuz-* | sed 's/^vmlinuz-//' >"$cache/kernel-release"
		rm -rf "$cache/root"
		echo "$kpkg" >"$cache/kernel-package"
	fi
	# What refvmx loads: the same ELF without its zero tails and
	# alignment gaps (linux/elfpack.c), a third smaller for GRUB to read.
	if [ ! -f "$cache/vmlinux" ] || [ "$cache/vmlinux.full" -nt "$cache/vmlinux" ]; then
		gcc -O2 -o "$cache/elfpack" "$src/elfpack.c"
		"$cache/elfpack" "$cache/vmlinux.full" "$cache/vmlinux"
	fi
	# The workload and the initramfs are rebuilt every time (a second).
	gcc -static -O2 -Wall -pthread -o "$cache/workload" "$src/workload.c"
	ir=$cache/initramfs.d
	rm -rf "$ir"
	mkdir -p "$ir/bin" "$ir/proc" "$ir/sys" "$ir/dev" "$ir/tmp"
	cp "$cache/busybox" "$ir/bin/busybox"
	cp "$cache/workload" "$ir/bin/workload"
	cp "$src/init" "$ir/init"
	chmod 755 "$ir/init" "$ir/bin/busybox" "$ir/bin/workload"
	ln -s busybox "$ir/bin/sh"
	(cd "$ir" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$cache/initramfs.cpio"
	rm -rf "$ir"
	echo "$cache"
}

# The verdict of a run from its serial log: the guest's PASS line and
# the power-off (native: Bochs's ACPI soft-off; refvmx: its S5 line).
judge() { # log seconds what
	log=$1
	if grep -aq '^FAIL' "$log"; then
		echo "linux-guest: FAIL $(grep -a '^FAIL' "$log" | head -n 1) ($3)"
		return 1
	fi
	if grep -aq 'Kernel panic' "$log"; then
		echo "linux-guest: FAIL kernel panic: $(grep -a 'Kernel panic' "$log" | head -n 1) ($3)"
		return 1
	fi
	if ! grep -aq '^linux-guest: PASS' "$log"; then
		echo "linux-guest: FAIL no 'linux-guest: PASS' line ($3)"
		return 1
	fi
	echo "linux-guest: PASS ($3, $2 s in Bochs)"
}

native() {
	cpus=1 timeout=180 append="" ips=$ips
	while [ $# -gt 0 ]; do
		case $1 in
		--cpus) cpus=$2; shift 2 ;;
		--ips) ips=$2; shift 2 ;;
		--timeout) timeout=$2; shift 2 ;;
		--append) append=$2; shift 2 ;;
		*) usage ;;
		esac
	done
	fetch >/dev/null
	work=$(mktemp -d "${TMPDIR:-/tmp}/linux-guest.XXXXXX")
	trap 'rm -rf "$work"' EXIT INT TERM
	mkdir -p "$work/iso/boot/grub"
	cp "$cache/vmlinuz" "$work/iso/boot/vmlinuz"
	cp "$cache/initramfs.cpio" "$work/iso/boot/initramfs.cpio"
	cat >"$work/iso/boot/grub/grub.cfg" <<EOF
set timeout=0
serial --unit=0 --speed=115200
terminal_input serial
terminfo serial dumb
terminal_output serial
linux /boot/vmlinuz $base_cmdline $append
initrd /boot/initramfs.cpio
boot
EOF
	grub-mkrescue --locales= --themes= --fonts= -o "$work/linux.iso" "$work/iso" >/dev/null 2>&1
	start=$(date +%s.%N)
	# When the marker line appears (wall clock, polled).
	(
		for what in '^linux-guest: /init reached' '^linux-guest: PASS'; do
			while [ ! -e "$work/done" ]; do
				if grep -aq "$what" "$work/serial.log" 2>/dev/null; then
					awk -v s="$start" -v n="$(date +%s.%N)" -v w="$what" \
						'BEGIN { printf "linux-guest: mark \"%s\" after %.1f s (wall clock from Bochs start)\n", w, n - s }' >>"$work/mark"
					break
				fi
				sleep 0.2
			done
		done
	) &
	watcher=$!
	status=0
	sh "$here/bochs-run.sh" "$work/linux.iso" "$work/serial.log" --cpus "$cpus" \
		--timeout "$timeout" --memory 256 --ips "$ips" --ignore-bad-msrs >/dev/null || status=$?
	end=$(date +%s.%N)
	: >"$work/done"
	wait "$watcher" 2>/dev/null || true
	tr -d '\r' <"$work/serial.log" | grep -av '^\s*$' || true
	cat "$work/mark" 2>/dev/null || true
	seconds=$(echo "$start $end" | awk '{ printf "%.1f", $2 - $1 }')
	[ "$status" -ne 124 ] || { echo "linux-guest: FAIL timeout after $timeout s (native, $cpus CPU(s))"; return 1; }
	judge "$work/serial.log" "$seconds" "native, $cpus CPU(s)"
}

under_refvmx() {
	[ $# -ge 1 ] || usage
	refvmx=$1
	shift
	cpus=1 timeout=300 append="" rest="" cmdline="" ips=$ips
	while [ $# -gt 0 ]; do
		case $1 in
		--cpus) cpus=$2; shift 2 ;;
		--timeout) timeout=$2; shift 2 ;;
		--append) append=$2; shift 2 ;;
		--cmdline) cmdline=$2; shift 2 ;;
		--ips) ips=$2; shift 2 ;;
		*) rest="$rest $1"; shift ;;
		esac
	done
	fetch >/dev/null
	status=0
	# shellcheck disable=SC2086 # rest: refvmx-bochs.sh options without spaces
	sh "$here/../refvmx-bochs.sh" "$refvmx" "$cache/vmlinux" --cpus "$cpus" \
		--timeout "$timeout" --guest-ram 256 --ips "$ips" \
		--cmdline "shadow-pool=16 $cmdline" \
		--guest-cmdline "$base_cmdline $append" \
		--module "$cache/initramfs.cpio" initramfs \
		--expect-log '^linux-guest: /init reached' \
		--expect-log '^linux-guest: PASS' \
		--expect-log '^refvmx: guest powered off' \
		--mark '^refvmx: starting' --mark '^refvmx: entering the guest' \
		--mark '^linux-guest: /init reached' --mark '^linux-guest: PASS' \
		$rest || status=$?
	return $status
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case $cmd in
fetch) fetch ;;
native) native "$@" ;;
refvmx) under_refvmx "$@" ;;
*) usage ;;
esac
