/* SPDX-License-Identifier: MIT */
/*
 * Entry stubs for both stages, one per vector (exceptions and the
 * interrupts trap_set_interrupt() enables). Each stub makes the frame
 * uniform (a zero error code where the CPU pushes none, then the vector),
 * saves the general registers and calls trap_handle(frame). Returning with
 * IRET resumes at frame->ip, which a fault probe may have redirected.
 */

/* Vectors for which the CPU pushes an error code (SDM table 6-1); an
 * external interrupt or IPI never pushes one, whatever its vector. */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
		      (v) == 21 || (v) == 29 || (v) == 30)

	.text

	.altmacro
	.macro trap_stub vector
	.balign 16
trap_stub_\vector:
	.if !HAS_ERROR(\vector)
	push $0
	.endif
	push $\vector
	jmp trap_common
	.endm

	.set vector, 0
	.rept 256
	trap_stub %vector
	.set vector, vector + 1
	.endr

#ifdef __x86_64__
trap_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	/* The CPU aligned the stack to 16 before its 5 pushes; with the 2
	 * stub pushes and these 15 the call sees it aligned again. */
	mov %rsp, %rdi
	cld
	call trap_handle
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp		/* vector, error code */
	iretq
#else
trap_common:
	pusha
	mov %esp, %eax
	cld
	push %eax
	call trap_handle
	add $4, %esp
	popa
	add $8, %esp		/* vector, error code */
	iret
#endif

	.section .rodata
	.balign 8
	.globl trap_stubs
trap_stubs:
	.macro stub_address vector
#ifdef __x86_64__
	.quad trap_stub_\vector
#else
	.long trap_stub_\vector
#endif
	.endm
	.set vector, 0
	.rept 256
	stub_address %vector
	.set vector, vector + 1
	.endr
