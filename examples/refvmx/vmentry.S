/* SPDX-License-Identifier: MIT */
/*
 * int vmx_run(struct guest_regs *regs, int launched)
 *
 * Loads the guest's general-purpose registers and CR2 from *regs, enters
 * it (VMLAUNCH the first time, VMRESUME after) and, at the next VM exit,
 * stores them back and returns 0. Returns 1 if the VM-entry instruction
 * itself failed (VMfailValid/VMfailInvalid: read the VM-instruction
 * error). The VMCS host RSP is this function's stack, so it is written
 * on every call; the host RIP is vmx_exit_point, written once.
 */
#define REG_RAX 0
#define REG_RCX 8
#define REG_RDX 16
#define REG_RBX 24
#define REG_RBP 32
#define REG_RSI 40
#define REG_RDI 48
#define REG_R8 56
#define REG_R9 64
#define REG_R10 72
#define REG_R11 80
#define REG_R12 88
#define REG_R13 96
#define REG_R14 104
#define REG_R15 112
#define REG_CR2 120
#define VMCS_HOST_RSP 0x6c14

	.text
	.code64
	.globl vmx_run
vmx_run:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi			/* regs, found again at the exit */
	mov $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax
	jbe entry_failed_early

	mov REG_CR2(%rdi), %rax
	mov %rax, %cr2
	test %esi, %esi
	mov REG_RAX(%rdi), %rax
	mov REG_RCX(%rdi), %rcx
	mov REG_RDX(%rdi), %rdx
	mov REG_RBX(%rdi), %rbx
	mov REG_RBP(%rdi), %rbp
	mov REG_RSI(%rdi), %rsi
	mov REG_R8(%rdi), %r8
	mov REG_R9(%rdi), %r9
	mov REG_R10(%rdi), %r10
	mov REG_R11(%rdi), %r11
	mov REG_R12(%rdi), %r12
	mov REG_R13(%rdi), %r13
	mov REG_R14(%rdi), %r14
	mov REG_R15(%rdi), %r15
	mov REG_RDI(%rdi), %rdi		/* last: it held regs */
	/* The flags still hold the TEST of `launched`: MOVs keep them. */
	jnz 1f
	vmlaunch
	jmp entry_failed
1:	vmresume
entry_failed:
	pop %rdi
	jmp 2f
entry_failed_early:
	pop %rdi
2:	mov $1, %eax
	jmp 3f

	.globl vmx_exit_point
vmx_exit_point:
	push %rdi			/* the guest's rdi, under regs */
	mov 8(%rsp), %rdi		/* regs */
	mov %rax, REG_RAX(%rdi)
	mov %rcx, REG_RCX(%rdi)
	mov %rdx, REG_RDX(%rdi)
	mov %rbx, REG_RBX(%rdi)
	mov %rbp, REG_RBP(%rdi)
	mov %rsi, REG_RSI(%rdi)
	mov %r8, REG_R8(%rdi)
	mov %r9, REG_R9(%rdi)
	mov %r10, REG_R10(%rdi)
	mov %r11, REG_R11(%rdi)
	mov %r12, REG_R12(%rdi)
	mov %r13, REG_R13(%rdi)
	mov %r14, REG_R14(%rdi)
	mov %r15, REG_R15(%rdi)
	pop %rax
	mov %rax, REG_RDI(%rdi)
	mov %cr2, %rax
	mov %rax, REG_CR2(%rdi)
	pop %rdi			/* regs */
	xor %eax, %eax
3:	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

	.section .note.GNU-stack, "", @progbits
