/* SPDX-License-Identifier: MIT */
/*
 * Where an AP starts: copied to TRAMPOLINE (0x8000) and entered in real
 * mode by a STARTUP IPI with vector 0x08. It goes through protected mode
 * into IA-32e mode on the boot page tables and jumps to the C entry with
 * the stack and argument the boot CPU left in the blob's data slots.
 * Everything is addressed relative to the blob's start, as it runs at an
 * address other than the one it is linked at.
 */
#define TRAMPOLINE 0x8000
#define AT(sym) (TRAMPOLINE + (sym) - trampoline_start)

	.section .rodata
	.balign 16
	.globl trampoline_start, trampoline_end
	.globl trampoline_cr3, trampoline_stack, trampoline_arg, trampoline_entry

	.code16
trampoline_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	lgdtl AT(tr_gdtr)
	mov %cr0, %eax
	or $1, %eax			/* PE */
	mov %eax, %cr0
	ljmpl $0x08, $AT(tr_pm)

	.code32
tr_pm:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %cr4, %eax
	or $(1 << 5), %eax		/* PAE */
	mov %eax, %cr4
	mov AT(trampoline_cr3), %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $((1 << 8) | (1 << 11)), %eax	/* LME, NXE */
	wrmsr
	mov %cr0, %eax
	or $((1 << 31) | (1 << 5)), %eax	/* PG, NE */
	mov %eax, %cr0
	ljmp $0x18, $AT(tr_lm)

	.code64
tr_lm:
	mov AT(trampoline_stack), %rsp
	mov AT(trampoline_arg), %rdi
	mov AT(trampoline_entry), %rax
	jmp *%rax

	.balign 8
tr_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
tr_gdtr:
	.short tr_gdtr - tr_gdt - 1
	.long AT(tr_gdt)
	.balign 8
trampoline_cr3:		.quad 0
trampoline_stack:	.quad 0
trampoline_arg:		.quad 0
trampoline_entry:	.quad 0
trampoline_end:

	.section .note.GNU-stack, "", @progbits
