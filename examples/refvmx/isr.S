/* SPDX-License-Identifier: MIT */
/*
 * Exception entry stubs of the host: each pushes its vector (and a zero
 * where the CPU pushes no error code) and calls exception_report(frame),
 * which prints the CPU state and stops. The host takes no interrupts
 * while it runs, so these are only ever its own bugs; only while it
 * waits (idle.c) it takes its wake-up IPI and timer.
 */
	.text
	.code64

.macro isr_noerr vec
isr_\vec:
	pushq $0
	pushq $\vec
	jmp isr_common
.endm
.macro isr_err vec
isr_\vec:
	pushq $\vec
	jmp isr_common
.endm

isr_noerr 0
isr_noerr 1
isr_noerr 2
isr_noerr 3
isr_noerr 4
isr_noerr 5
isr_noerr 6
isr_noerr 7
isr_err 8
isr_noerr 9
isr_err 10
isr_err 11
isr_err 12
isr_err 13
isr_err 14
isr_noerr 15
isr_noerr 16
isr_err 17
isr_noerr 18
isr_noerr 19
isr_noerr 20
isr_err 21

isr_common:
	push %rax
	push %rcx
	push %rdx
	push %rbx
	push %rbp
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	call exception_report
1:	cli
	hlt
	jmp 1b

/* Interrupts the host takes while it waits with interrupts on
 * (idle.c): the wake-up IPI and timer get an EOI, the spurious vector
 * none; either way the wait is over and its caller looks again. */
	.globl wake_isr
wake_isr:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	cld
	call lapic_eoi
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	iretq

	.globl spurious_isr
spurious_isr:
	iretq

	.section .rodata
	.balign 8
	.globl isr_table
isr_table:
	.quad isr_0, isr_1, isr_2, isr_3, isr_4, isr_5, isr_6, isr_7
	.quad isr_8, isr_9, isr_10, isr_11, isr_12, isr_13, isr_14, isr_15
	.quad isr_16, isr_17, isr_18, isr_19, isr_20, isr_21

	.section .note.GNU-stack, "", @progbits
