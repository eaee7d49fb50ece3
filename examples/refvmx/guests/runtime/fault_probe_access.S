/* SPDX-License-Identifier: MIT */
/*
 * The probed accesses (fault_probe.h), for both stages. Each saves the
 * stack pointer and arms probe_resume before its one access. After a
 * fault, trap_handle() resumes at probe_recover, which restores the stack
 * pointer as it was on entry (dropping the return address an exec probe's
 * call pushed), disarms and returns 0 to the caller. No callee-saved
 * register is touched, and IRET restored the rest.
 */

#include "callee_saved.h"

	.bss
	.balign 8
	.globl probe_resume
probe_resume:
	.quad 0
probe_sp:
	.quad 0

	.text
#ifdef __x86_64__

	.macro arm
	movq $probe_recover, probe_resume(%rip)
	mov %rsp, probe_sp(%rip)
	.endm

	.macro disarm
	movq $0, probe_resume(%rip)
	.endm

/* uint32_t probe_access_read(uintptr_t va) */
	.globl probe_access_read
probe_access_read:
	arm
	movl (%rdi), %eax
	disarm
	ret

/* void probe_access_write(uintptr_t va, uint32_t value) */
	.globl probe_access_write
probe_access_write:
	arm
	movl %esi, (%rdi)
	disarm
	ret

/* uint32_t probe_access_exec(uintptr_t va) */
	.globl probe_access_exec
probe_access_exec:
	arm
	call *%rdi
	disarm
	ret

probe_recover:
	mov probe_sp(%rip), %rsp
	disarm
	xor %eax, %eax
	ret

/* void probe_access_call(void (*fn)(void *), void *arg): fn may change
 * callee-saved registers before it faults, so they are kept here and
 * restored on both ways out. */
	.globl probe_access_call
probe_access_call:
	push_callee_saved
	sub $8, %rsp		/* 16-byte alignment at fn's call */
	movq $call_recover, probe_resume(%rip)
	mov %rsp, probe_sp(%rip)
	mov %rdi, %rax
	mov %rsi, %rdi
	call *%rax
call_recover:
	mov probe_sp(%rip), %rsp
	disarm
	add $8, %rsp
	pop_callee_saved
	ret

#else /* 32-bit stage: cdecl, arguments on the stack */

	.macro arm
	movl $probe_recover, probe_resume
	mov %esp, probe_sp
	.endm

	.macro disarm
	movl $0, probe_resume
	.endm

	.globl probe_access_read
probe_access_read:
	arm
	mov 4(%esp), %edx
	movl (%edx), %eax
	disarm
	ret

	.globl probe_access_write
probe_access_write:
	arm
	mov 4(%esp), %edx
	mov 8(%esp), %eax
	movl %eax, (%edx)
	disarm
	ret

	.globl probe_access_exec
probe_access_exec:
	arm
	mov 4(%esp), %edx
	call *%edx
	disarm
	ret

probe_recover:
	mov probe_sp, %esp
	disarm
	xor %eax, %eax
	ret

	.globl probe_access_call
probe_access_call:
	push %ebx
	push %ebp
	push %esi
	push %edi
	mov 20(%esp), %eax	/* fn */
	mov 24(%esp), %edx	/* arg */
	sub $12, %esp		/* 16-byte alignment at fn's call */
	push %edx
	movl $call_recover, probe_resume
	mov %esp, probe_sp
	call *%eax
call_recover:
	mov probe_sp, %esp
	disarm
	add $16, %esp
	pop %edi
	pop %esi
	pop %ebp
	pop %ebx
	ret

#endif
