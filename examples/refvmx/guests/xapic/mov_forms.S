/* SPDX-License-Identifier: MIT */
/*
 * The APIC's registers read and written with each MOV form a compiler
 * or a kernel uses, for a hypervisor that must decode them (SDM vol. 2,
 * MOV, MOVZX, MOVSX): ModRM with a base register and disp8, REX-extended
 * registers, byte and word loads, and MOV with a 64-bit moffs operand
 * (A1/A3), once at the APIC's own address and once through an alias
 * above 4 GiB.
 */
#define APIC_PAGE	0xfee00000
#define APIC_ALIAS	0x00007f00fee00000
#define VERSION		0x30
#define TPR		0x80

	.text
	.code64

/* void read_forms(uint32_t out[8]): the version register seven ways,
 * and TPR sign-extended from its low byte (out[7]). */
	.globl read_forms
read_forms:
	push %rbx
	mov $APIC_PAGE, %ebx
	mov VERSION(%rbx), %eax			/* 8B /r, disp8 */
	mov %eax, 0(%rdi)
	lea VERSION(%rbx), %r9
	mov (%r9), %r10d			/* REX.RB 8B */
	mov %r10d, 4(%rdi)
	movzbl VERSION(%rbx), %eax		/* 0F B6 */
	mov %eax, 8(%rdi)
	movzwl VERSION(%rbx), %eax		/* 0F B7 */
	mov %eax, 12(%rdi)
	movabs APIC_PAGE + VERSION, %eax	/* A1, 64-bit moffs */
	mov %eax, 16(%rdi)
	movabs APIC_ALIAS + VERSION, %eax	/* A1, above 4 GiB */
	mov %eax, 20(%rdi)
	movb VERSION(%rbx), %cl			/* 8A */
	movzbl %cl, %ecx
	mov %ecx, 24(%rdi)
	movsbl TPR(%rbx), %eax			/* 0F BE */
	mov %eax, 28(%rdi)
	pop %rbx
	ret

/* void tpr_store_imm(void): MOV r/m32, imm32 (C7 /0) of 0x10. */
	.globl tpr_store_imm
tpr_store_imm:
	mov $APIC_PAGE, %eax
	movl $0x10, TPR(%rax)
	ret

/* void tpr_store_r11(uint32_t v): MOV r/m32, r32 with REX.R (44 89). */
	.globl tpr_store_r11
tpr_store_r11:
	mov %edi, %r11d
	mov $APIC_PAGE, %eax
	mov %r11d, TPR(%rax)
	ret

/* void tpr_store_moffs(uint32_t v): A3 with a 64-bit moffs. */
	.globl tpr_store_moffs
tpr_store_moffs:
	mov %edi, %eax
	movabs %eax, APIC_PAGE + TPR
	ret

/* void tpr_store_moffs_alias(uint32_t v): the same above 4 GiB. */
	.globl tpr_store_moffs_alias
tpr_store_moffs_alias:
	mov %edi, %eax
	movabs %eax, APIC_ALIAS + TPR
	ret
