/* SPDX-License-Identifier: MIT */
/*
 * void avx_roundtrip(const void *in, void *out): 32 bytes through YMM1,
 * with a CPUID (a VM exit under refvmx) while they are there. The guest's
 * C is compiled without SSE, so nothing else lives in the register.
 */
	.text
	.code64
	.globl avx_roundtrip
avx_roundtrip:
	push %rbx
	mov %rsi, %r8
	vmovdqu (%rdi), %ymm1
	xor %eax, %eax
	xor %ecx, %ecx
	cpuid
	vmovdqu %ymm1, (%r8)
	vzeroupper
	pop %rbx
	ret
