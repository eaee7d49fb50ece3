/* SPDX-License-Identifier: MIT */
/*
 * SYSCALL and SYSENTER from ring 0 in 64-bit mode, each landing in a
 * target that records what the instruction set up (struct
 * entry_result, syscall_checks.c) and comes straight back: SYSCALL's
 * return address is in RCX and its RFLAGS in R11 (SDM vol. 2B,
 * SYSCALL); SYSENTER's way back is kept in R9/R10, which it leaves
 * alone. Both load SS as CS + 8 without reading the GDT; the targets
 * load the data selector again before anything else.
 */
#include "gdt.h"

#define EFLAGS_DF (1 << 10)
#define EFLAGS_AC (1 << 18)
#define R_RCX	0
#define R_R11	8
#define R_FLAGS	16
#define R_CS	24
#define R_SS	32
#define R_RSP	40

	.text
	.code64

/* Into the result at %r8: RFLAGS, CS and SS as the instruction left
 * them; then SS back to the data selector. */
	.macro record_state
	pushfq
	popq R_FLAGS(%r8)
	mov %cs, %eax
	movzwl %ax, %eax
	mov %rax, R_CS(%r8)
	mov %ss, %eax
	movzwl %ax, %eax
	mov %rax, R_SS(%r8)
	mov $GDT_DATA, %eax
	mov %eax, %ss
	.endm

/* void syscall_probe(struct entry_result *r) */
	.globl syscall_probe, syscall_target, syscall_return
syscall_probe:
	mov %rdi, %r8
	pushfq
	orq $(EFLAGS_DF | EFLAGS_AC), (%rsp)
	popfq
	syscall
syscall_return:
	pushfq
	andq $~(EFLAGS_DF | EFLAGS_AC), (%rsp)
	popfq
	ret

syscall_target:
	mov %rcx, R_RCX(%r8)
	mov %r11, R_R11(%r8)
	record_state
	push %r11
	popfq
	jmp *%rcx

/* void sysenter_probe(struct entry_result *r) */
	.globl sysenter_probe, sysenter_target
sysenter_probe:
	mov %rdi, %r8
	mov %rsp, %r9
	lea sysenter_return(%rip), %r10
	sysenter
sysenter_return:
	ret

sysenter_target:
	mov %rsp, R_RSP(%r8)
	record_state
	mov %r9, %rsp
	jmp *%r10
