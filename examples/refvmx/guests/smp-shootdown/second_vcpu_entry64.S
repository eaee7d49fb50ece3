/* SPDX-License-Identifier: MIT */
/*
 * Where second_vcpu_to_64bit (in the 32-bit stage) lands: the second
 * vCPU's first 64-bit instruction. It takes a stack of its own in this
 * image and runs second_vcpu_main64(), which never returns.
 */
	.text
	.code64
	.globl second_vcpu_entry64
second_vcpu_entry64:
	lea second_vcpu_stack64_top(%rip), %rsp
	call second_vcpu_main64
1:	pause
	jmp 1b

	.bss
	.balign 16
second_vcpu_stack64:
	.skip 16384
second_vcpu_stack64_top:
