#!/bin/sh
# SPDX-License-Identifier: MIT
# mkiso.sh [--cmdline ARGS] OUT.iso KERNEL.elf [MODULE.elf NAME]...
#
# A BIOS-bootable GRUB rescue ISO (grub-mkrescue, ../../../../shared/BOCHS.md
# "Boot route") that boots KERNEL.elf at once, with GRUB's console on COM1
# at 115200 (terminfo "dumb", set before the serial terminal starts:
# its default, vt100, starts by clearing the screen with escape codes
# that would open every serial log), and passes each MODULE.elf as a
# module whose command line is NAME. The kernel is booted as Multiboot 2
# when it has that header (grub-file --is-x86-multiboot2: refvmx, the
# Multiboot 2 guests), else as Multiboot 1 ("multiboot" and "module"
# lines: the Multiboot 1 guests and kvm-unit-tests kernels run natively).
# refvmx is the kernel and the guests its modules; a guest alone is the
# kernel for a native run. --cmdline gives the kernel a command line.
set -eu

usage() {
	echo "usage: $0 [--cmdline ARGS] OUT.iso KERNEL.elf [MODULE.elf NAME]..." >&2
	exit 2
}

cmdline=
if [ "${1:-}" = --cmdline ]; then
	[ $# -ge 2 ] || usage
	cmdline=$2
	shift 2
fi
[ $# -ge 2 ] || usage
out=$1
kernel=$2
shift 2
[ $(($# % 2)) -eq 0 ] || usage
[ -f "$kernel" ] || { echo "$0: no kernel $kernel" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/refvmx-iso.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
isodir=$work/iso
mkdir -p "$isodir/boot/grub"
cp "$kernel" "$isodir/boot/kernel.elf"

kernel_cmd=multiboot2 module_cmd=module2
if ! grub-file --is-x86-multiboot2 "$kernel"; then
	if grub-file --is-x86-multiboot "$kernel"; then
		kernel_cmd=multiboot module_cmd=module
	else
		echo "$0: $kernel has no Multiboot header GRUB accepts" >&2
		exit 2
	fi
fi
cfg=$isodir/boot/grub/grub.cfg
{
	echo 'set timeout=0'
	echo 'serial --unit=0 --speed=115200'
	echo 'terminal_input serial'
	echo 'terminfo serial dumb'
	echo 'terminal_output serial'
	echo "$kernel_cmd /boot/kernel.elf $cmdline"
} >"$cfg"
n=0
while [ $# -gt 0 ]; do
	[ -f "$1" ] || { echo "$0: no module $1" >&2; exit 2; }
	n=$((n + 1))
	cp "$1" "$isodir/boot/module$n.elf"
	echo "$module_cmd /boot/module$n.elf $2" >>"$cfg"
	shift 2
done
echo 'boot' >>"$cfg"

# Only the BIOS platform is wanted; no locales, themes or fonts keeps the
# image small and the run free of their loading.
log=$work/grub-mkrescue.log
if ! grub-mkrescue --locales= --themes= --fonts= -o "$out" "$isodir" >"$log" 2>&1; then
	cat "$log" >&2
	echo "$0: grub-mkrescue failed" >&2
	exit 1
fi
