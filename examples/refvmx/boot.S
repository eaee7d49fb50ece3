/* SPDX-License-Identifier: MIT */
/*
 * refvmx's first instructions. GRUB (multiboot2) enters here in 32-bit
 * protected mode with paging off; this file builds the host's page tables
 * (the first 4 GiB identity-mapped with 2 MiB pages: RAM, the local APIC
 * and the UART all live there), switches to IA-32e mode and calls
 * kmain(multiboot2 info) on the boot stack.
 */
#define MB2_MAGIC    0xe85250d6
#define MB2_ARCH_I386 0
#define CR0_PE       (1 << 0)
#define CR0_NE       (1 << 5)
#define CR0_PG       (1 << 31)
#define CR4_PAE      (1 << 5)
#define EFER_MSR     0xc0000080
#define EFER_LME     (1 << 8)
#define EFER_NXE     (1 << 11)

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* end tag */
	.short 0
	.short 0
	.long 8
mb2_header_end:

	.section .bss
	.balign 4096
	.globl boot_pml4
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
boot_pd:	.skip 4 * 4096
	.balign 16
	.globl boot_stack_top
boot_stack:	.skip 16384
boot_stack_top:

	.section .rodata
	.balign 8
gdt64:
	.quad 0				/* null */
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff	/* 0x10: data, DPL 0 */
gdt64_end:
	.globl gdt64_ptr
gdt64_ptr:
	.short gdt64_end - gdt64 - 1
	.quad gdt64

	.section .text.boot, "ax"
	.code32
	.globl _start
_start:
	cli
	mov %ebx, %edi			/* multiboot2 info, kept for kmain */
	mov $boot_stack_top, %esp

	/* PML4[0] -> PDPT; PDPT[0..3] -> four PDs; 2048 x 2 MiB pages. */
	mov $boot_pdpt, %eax
	or $0x3, %eax
	mov %eax, boot_pml4
	mov $boot_pd, %eax
	or $0x3, %eax
	mov $boot_pdpt, %ebx
	mov $4, %ecx
1:	mov %eax, (%ebx)
	add $4096, %eax
	add $8, %ebx
	loop 1b
	mov $boot_pd, %ebx
	xor %eax, %eax
	mov $2048, %ecx
2:	mov %eax, %edx
	or $0x83, %edx			/* P | RW | PS */
	mov %edx, (%ebx)
	movl $0, 4(%ebx)
	add $0x200000, %eax
	add $8, %ebx
	loop 2b

	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $EFER_MSR, %ecx
	rdmsr
	or $(EFER_LME | EFER_NXE), %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PE | CR0_NE | CR0_PG), %eax
	mov %eax, %cr0

	lgdt gdt64_ptr
	ljmp $0x08, $long_mode

	.code64
long_mode:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs
	mov $boot_stack_top, %rsp
	/* edi still holds the multiboot2 info address (zero-extended). */
	mov %edi, %edi
	call kmain
3:	cli
	hlt
	jmp 3b

	.section .note.GNU-stack, "", @progbits
