/* SPDX-License-Identifier: MIT */
/*
 * The 32-bit stage, linked for LAYOUT_STAGE32_BASE and flattened to a
 * binary, embedded at that address in the ELF64 image (guest64.ld.S puts
 * .stage32 there), so loading the image's segments puts it in place.
 * STAGE32_BIN is the binary's path, from the build.
 */
	.section .stage32, "ax"
	.globl stage32_blob
stage32_blob:
	.incbin STAGE32_BIN
