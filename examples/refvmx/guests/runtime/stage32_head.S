/* SPDX-License-Identifier: MIT */
/*
 * The first bytes of the 32-bit stage blob: boot.S calls the blob's start
 * address, whatever the linker made of the C code behind it.
 */
	.section .stage32_head, "ax"
	.code32
	.globl stage32_head
stage32_head:
	jmp stage32_main
