/* SPDX-License-Identifier: MIT */
/*
 * uint64_t do_access(kind, addr, user, rflags): one access to the test
 * page, at CPL 0 or 3, with RFLAGS as given (EFLAGS.AC for SMAP): a read
 * or a write at addr + 0x100, or a call of addr (which holds RET).
 * Returns 0 when it completed, 1 when it raised #PF (access_error and
 * access_cr2 then hold what the CPU reported). Ring 3 is entered with
 * IRETQ into the user stub (copied to a user page) and left through INT
 * 0x82 (a DPL-3 gate) or the #PF; both come back to access_done in ring
 * 0, on the stack do_access saved.
 */

#include "callee_saved.h"

#define GDT_DATA	0x10
#define USER_DATA	0x23
#define USER_CODE	0x2b
#define USER_STUB	0x50000000
#define USER_STACK_TOP	0x50002000
#define STORED		0x5a5a5a5a

	.bss
	.balign 8
	.globl access_error, access_cr2
access_saved_sp:	.quad 0
access_faulted:		.quad 0
access_error:		.quad 0
access_cr2:		.quad 0

	.text
	.code64
	.globl do_access, access_pf_entry, access_back_entry
	.globl user_stub, user_stub_end
do_access:
	push_callee_saved
	mov %rsp, access_saved_sp(%rip)
	movq $0, access_faulted(%rip)
	test %rdx, %rdx
	jnz 1f
	push %rcx
	popfq
	call kernel_op
	jmp access_done
1:	pushq $USER_DATA
	pushq $USER_STACK_TOP
	push %rcx
	pushq $USER_CODE
	pushq $USER_STUB
	iretq

access_done:
	mov access_saved_sp(%rip), %rsp
	mov $GDT_DATA, %eax
	mov %eax, %ss		/* null after an interrupt from ring 3 */
	pushq $2
	popfq			/* AC and IF clear again */
	mov access_faulted(%rip), %rax
	pop_callee_saved
	ret

kernel_op:
	cmp $1, %edi
	je 1f
	cmp $2, %edi
	je 2f
	mov 0x100(%rsi), %eax
	ret
1:	movl $STORED, 0x100(%rsi)
	ret
2:	call *%rsi
	ret

/* #PF, from either ring: note it and abandon the access. */
access_pf_entry:
	pop %rax
	mov %rax, access_error(%rip)
	mov %cr2, %rax
	mov %rax, access_cr2(%rip)
	movq $1, access_faulted(%rip)
	jmp access_done

/* INT 0x82 from the user stub: the access completed. */
access_back_entry:
	jmp access_done

/* Position-independent: it runs from the user page it is copied to. */
user_stub:
	cmp $1, %edi
	je 1f
	cmp $2, %edi
	je 2f
	mov 0x100(%rsi), %eax
	int $0x82
1:	movl $STORED, 0x100(%rsi)
	int $0x82
2:	call *%rsi
	int $0x82
user_stub_end:
