/* SPDX-License-Identifier: MIT */
/*
 * The image's entry, in 32-bit protected mode with paging off as both
 * GRUB and refvmx start a Multiboot kernel (the header, 1 or 2, is in
 * mb1_header.S or mb2_header.S). Nothing from the loader is used but
 * what it left in EAX and EBX, which are kept, with EFLAGS and CR0 at
 * entry, for the 32-bit stage (struct boot_entry, stage.h): not its
 * GDT, not its stack. boot.S loads its own GDT, runs the 32-bit stage,
 * enters IA-32e mode on a small identity map and runs the 64-bit stage,
 * which ends the run.
 */
#include "gdt.h"
#include "layout.h"

#define CR0_WP		0x00010000
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define MSR_EFER	0xc0000080
#define EFER_LME	0x00000100
#define PDE_2M_RW	0x83		/* present, writable, PS */

	.section .text.boot, "ax"
	.code32
	.globl _start
_start:
	/* Before anything changes them: the loader's magic and
	 * information, and the state it left. */
	mov %eax, boot_entry
	mov %ebx, boot_entry + 4
	mov $boot_stack_top, %esp	/* the loader's ESP is undefined */
	pushf
	popl boot_entry + 8
	mov %cr0, %eax
	mov %eax, boot_entry + 12
	cli
	cld
	lgdt gdt_pointer
	ljmp $GDT_CODE32, $1f
1:	mov $GDT_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	mov %eax, %ss
	mov $boot_stack_top, %esp

	/* Loaders zero .bss; a guest that relies on that breaks on the
	 * first loader that does not. (boot_entry is in .data.) */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb

	push $boot_entry
	push $report_totals
	call stage32_blob	/* its first instruction jumps to stage32_main */
	add $8, %esp

	/* Identity-map [0, LAYOUT_IDENTITY_END) with 2 MiB pages. */
	movl $(boot_pdpt + 3), boot_pml4
	movl $(boot_pd + 3), boot_pdpt
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $21, %eax
	or $PDE_2M_RW, %eax
	mov %eax, boot_pd(, %ecx, 8)
	inc %ecx
	cmp $(LAYOUT_IDENTITY_END >> 21), %ecx
	jb 2b

	/* IA-32e mode (SDM vol. 3, "Initializing IA-32e Mode"): PAE, CR3,
	 * EFER.LME, then CR0.PG. The 32-bit stage's CR4.PSE/PGE go. */
	mov $CR4_PAE, %eax
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PG | CR0_WP), %eax
	mov %eax, %cr0
	ljmp $GDT_CODE64, $long_mode

	.code64
long_mode:
	mov $boot_stack_top, %esp	/* zero-extends into RSP */
	mov $report_totals, %edi
	call stage64_main
3:	cli
	hlt
	jmp 3b

/* The accessed bits are preset so that loading a selector never writes
 * the GDT. */
	.data
	.balign 8
gdt:
	.quad 0
	.quad 0x00cf9b000000ffff	/* GDT_CODE32: base 0, 4 GiB, 32-bit */
	.quad 0x00cf93000000ffff	/* GDT_DATA: base 0, 4 GiB, writable */
	.quad 0x00af9b000000ffff	/* GDT_CODE64: L = 1 */
gdt_end:
gdt_pointer:
	.short gdt_end - gdt - 1
	.long gdt

/* struct boot_entry: EAX, EBX, EFLAGS and CR0 as the loader left them. */
	.balign 4
	.globl boot_entry
boot_entry:
	.long 0, 0, 0, 0

	.bss
	.balign 4096
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pd:
	.skip 4096
boot_stack:
	.skip 16384
boot_stack_top:

/* The counts both stages report into. */
	.balign 8
	.globl report_totals
report_totals:
	.skip 16		/* struct report_totals */
