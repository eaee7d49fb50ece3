/* SPDX-License-Identifier: MIT */
/*
 * void second_vcpu_to_64bit(uint32_t root, uint32_t entry64)
 *
 * The second vCPU's move from the 32-bit stage to the 64-bit one, the
 * way boot.S takes the boot vCPU there (SDM vol. 3, 9.8.5, "Initializing
 * IA-32e Mode"): with paging off, CR4.PAE, CR3 = root (the boot vCPU's
 * identity map), EFER.LME, then CR0.PG; a far return into the 64-bit
 * code segment lands on entry64, in the other image. Interrupts stay off
 * until the 64-bit side has loaded its IDT.
 */
#include "gdt.h"

#define CR0_WP		0x00010000
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define MSR_EFER	0xc0000080
#define EFER_LME	0x00000100

	.text
	.code32
	.globl second_vcpu_to_64bit
second_vcpu_to_64bit:
	cli
	mov 4(%esp), %edx	/* root */
	mov 8(%esp), %ebx	/* entry64 */
	mov $CR4_PAE, %eax
	mov %eax, %cr4
	mov %edx, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PG | CR0_WP), %eax
	mov %eax, %cr0
	/* Compatibility mode now; the far return switches to 64-bit code. */
	push $GDT_CODE64
	push %ebx
	lret
