/* SPDX-License-Identifier: MIT */
/*
 * For 64-bit assembly that leaves a C caller's frame in a way the
 * compiler cannot see (resuming after a fault, switching stacks): the
 * registers the SysV AMD64 ABI makes callee-saved, saved on entry and
 * restored on the way out.
 */
#ifndef GUEST_CALLEE_SAVED_H
#define GUEST_CALLEE_SAVED_H

	.macro push_callee_saved
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	.endm

	.macro pop_callee_saved
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	.endm

#endif /* GUEST_CALLEE_SAVED_H */
