/* SPDX-License-Identifier: MIT */
/*
 * The code a STARTUP IPI sends another vCPU to, copied to
 * LAYOUT_STARTUP_PAGE by startup_page_install() (startup_page.c). It is
 * entered in one of two states:
 *  - natively, as the SDM describes: real mode, CS = STARTUP_PAGE >> 4,
 *    IP = 0, after INIT left caching disabled (SDM vol. 3, 8.4.4.1 and
 *    table 9-1);
 *  - under refvmx, which has no unrestricted guest: 32-bit protected mode,
 *    paging off, flat segments from a GDTR that is not ours (refvmx's
 *    documented deviation).
 * The first three instructions decode the same in 16-bit and 32-bit code
 * (MOV from CR0 ignores the operand size; TEST AL and a short Jcc have no
 * operand-size form) and tell the two apart by CR0.PE. The real-mode
 * path switches to protected mode itself; both then load the guest's GDT,
 * segments and stack and call the C entry with 1 or 0 for how they came.
 *
 * Only position-independent references are used, or addresses computed
 * as STARTUP_PAGE + (label - startup_stub): the bytes run at
 * STARTUP_PAGE, not where this blob was linked. The boot vCPU fills the
 * three slots at the end (startup_page_install) before sending the IPI.
 */
#include "gdt.h"
#include "layout.h"

#define STARTUP_PAGE	LAYOUT_STARTUP_PAGE
#define CR0_PE		0x00000001
#define CR0_CD_NW	0x60000000
#define AT_PAGE(label)	(STARTUP_PAGE + (label) - startup_stub)

	.text
	.globl startup_stub, startup_stub_end
	.globl startup_stub_gdtr, startup_stub_stack, startup_stub_entry

	.code16
startup_stub:
	mov %cr0, %eax
	test $CR0_PE, %al
	jnz from_protected_mode

	/* Real mode. DS = CS, so the GDT pointer is at its offset in the
	 * page; LGDTL takes its 32-bit base. Caching back on (CD = NW = 0)
	 * with PE set, then a far jump into the 32-bit code segment. */
	cli
	mov %cs, %ax
	mov %ax, %ds
	lgdtl startup_stub_gdtr - startup_stub
	mov %cr0, %eax
	and $~CR0_CD_NW, %eax
	or $CR0_PE, %eax
	mov %eax, %cr0
	mov $1, %edi
	ljmpl $GDT_CODE32, $AT_PAGE(flat)

	.code32
from_protected_mode:
	cli
	xor %edi, %edi
	/* refvmx's GDTR is not the guest's: load ours before any selector. */
	lgdt AT_PAGE(startup_stub_gdtr)
	ljmp $GDT_CODE32, $AT_PAGE(flat)

flat:
	mov $GDT_DATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	mov %eax, %ss
	cld
	mov AT_PAGE(startup_stub_stack), %esp
	/* The stack 16-byte aligned at the call, as the i386 ABI gcc
	 * follows expects; one argument, how we came. */
	sub $12, %esp
	push %edi
	call *AT_PAGE(startup_stub_entry)
	/* The entry never returns. Spin rather than HLT: under refvmx a HLT
	 * with interrupts off would end this vCPU. */
1:	pause
	jmp 1b

	.balign 8
startup_stub_gdtr:		/* LGDT operand: limit, 32-bit base (SGDT's) */
	.word 0
	.long 0
	.balign 4
startup_stub_stack:		/* top of the stack, 16-byte aligned */
	.long 0
startup_stub_entry:		/* void entry(uint32_t entered_in_real_mode) */
	.long 0
startup_stub_end:
