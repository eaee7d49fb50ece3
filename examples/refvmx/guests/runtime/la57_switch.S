/* SPDX-License-Identifier: MIT */
/*
 * void la57_switch(uint64_t root, uint64_t enable)
 *
 * CR4.LA57 cannot change while IA-32e mode is active, and IA-32e mode can
 * only be left from compatibility mode by clearing CR0.PG (SDM vol. 3,
 * "Switching Out of IA-32e Mode Operation"). So: far return into the 32-bit code segment, paging off (EFER.LMA
 * drops, EFER.LME stays), flip LA57, load the new root, paging on (LMA
 * comes back), far jump to 64-bit code. Code, stack and root all lie
 * below 4 GiB and are identity-mapped in both the old and new tables.
 *
 * The upper halves of the general registers are not guaranteed across
 * the detour (SDM vol. 1, 3.4.1.1, "General-Purpose Registers in 64-Bit
 * Mode"), so the callee-saved ones are kept on the stack and RSP is
 * rebuilt from ESP.
 */
#include "callee_saved.h"
#include "gdt.h"

#define CR0_PG   0x80000000
#define CR4_LA57 0x1000

	.text
	.code64
	.globl la57_switch
la57_switch:
	push_callee_saved
	pushq $GDT_CODE32
	pushq $1f
	lretq

	.code32
1:	mov %cr0, %eax
	and $~CR0_PG, %eax
	mov %eax, %cr0
	mov %cr4, %eax
	and $~CR4_LA57, %eax
	test %esi, %esi
	jz 2f
	or $CR4_LA57, %eax
2:	mov %eax, %cr4
	mov %edi, %cr3
	mov %cr0, %eax
	or $CR0_PG, %eax
	mov %eax, %cr0
	ljmp $GDT_CODE64, $3f

	.code64
3:	mov %esp, %esp		/* zero-extends into RSP */
	pop_callee_saved
	ret
