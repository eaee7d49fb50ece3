/* SPDX-License-Identifier: MIT */
/*
 * The guest's exception and interrupt entry points: each makes a
 * uniform frame (a zero error code where the CPU pushes none, the
 * vector), saves the general registers, calls event_handle(frame) and
 * returns with IRETQ to whatever frame->rip and frame->rsp then say.
 */
	.text
	.code64

	.macro stub vec, err
	.globl ev_stub_\vec
ev_stub_\vec:
	.if \err == 0
	push $0
	.endif
	push $\vec
	jmp ev_common
	.endm

	stub 2, 0
	stub 3, 0
	stub 6, 0
	stub 8, 1
	stub 11, 1
	stub 13, 1
	stub 14, 1
	stub 0x40, 0
	stub 0x80, 0

ev_common:
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
	mov %rsp, %rdi
	cld
	call event_handle
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
	add $16, %rsp
	iretq
