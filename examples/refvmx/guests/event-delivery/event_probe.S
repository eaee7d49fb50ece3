/* SPDX-License-Identifier: MIT */
/*
 * void ev_run(uintptr_t sp, unsigned op): the one operation of a
 * scenario, run on the stack the scenario chose (an unmapped page, a
 * page-table frame), from which the CPU's own pushes fault or land
 * where they must not. Handlers that abandon the operation resume at
 * ev_resume, which restores the caller's stack and registers.
 */

#include "callee_saved.h"

#define X2APIC_ICR	0x830
/* NMI, physical destination in EDX (the self shorthand is only valid
 * with fixed delivery, SDM table 10-3). */
#define ICR_NMI		((4 << 8) | (1 << 14))
#define MSR_ABSENT	0x40001234

	.bss
	.balign 8
	.globl ev_saved_sp, event_target, event_apic_id
ev_saved_sp:	.quad 0
event_target:	.quad 0
event_apic_id:	.quad 0

	.text
	.code64
	.globl ev_run, ev_resume
ev_run:
	push_callee_saved
	mov %rsp, ev_saved_sp(%rip)
	mov %esi, %eax
	mov %rdi, %rsp
	cmp $0, %eax
	je op_int_absent
	cmp $1, %eax
	je op_noncanonical
	cmp $2, %eax
	je op_load
	cmp $3, %eax
	je op_int3
	cmp $4, %eax
	je op_int_soft
	cmp $5, %eax
	je op_sti_window
	cmp $6, %eax
	je op_self_nmi
	cmp $7, %eax
	je op_call
	jmp op_wrmsr_absent

op_int_absent:
	int $0x81
	jmp ev_resume
op_noncanonical:
	movabs $0x8000000000000000, %rbx
	mov (%rbx), %rax
	jmp ev_resume
op_load:
	mov event_target(%rip), %rbx
	mov (%rbx), %rax
	jmp ev_resume
op_int3:
	int3
	jmp ev_resume
op_int_soft:
	int $0x80
	jmp ev_resume
op_sti_window:
	sti
	nop
	nop
	nop
	nop
	cli
	jmp ev_resume
op_self_nmi:
	mov $X2APIC_ICR, %ecx
	mov $ICR_NMI, %eax
	mov event_apic_id(%rip), %edx
	wrmsr
	nop
	nop
	nop
	nop
	jmp ev_resume
op_call:
	call nothing
	jmp ev_resume
op_wrmsr_absent:
	mov $MSR_ABSENT, %ecx
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
	jmp ev_resume

nothing:
	ret

ev_resume:
	mov ev_saved_sp(%rip), %rsp
	pop_callee_saved
	ret
