/* SPDX-License-Identifier: MIT */
/* Each CPU's GDT and TSS (LTR marks a TSS descriptor busy, so CPUs
 * cannot share one), and its GS base. */
#include "gdt.h"

#include <vmx_asm.h>

#include "percpu.h"

#define MSR_GS_BASE 0xc0000101u

void percpu_load(struct cpu *c)
{
	c->self = c;
	c->tss.iomap_base = sizeof(struct tss64);
	c->gdt[0] = 0;
	c->gdt[1] = 0x00af9a000000ffffull; /* 64-bit code, DPL 0 */
	c->gdt[2] = 0x00cf92000000ffffull; /* data, DPL 0 */
	uint64_t base = (uint64_t)&c->tss, limit = sizeof(c->tss) - 1;
	c->gdt[3] = (limit & 0xffff) | (base & 0xffffff) << 16 |
		    0x89ull << 40 /* present, available 64-bit TSS */ |
		    ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	c->gdt[4] = base >> 32;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed))
	ptr = { sizeof(c->gdt) - 1, (uint64_t)c->gdt };
	__asm__ volatile("lgdt %0\n\t"
			 "mov %1, %%ds\n\t"
			 "mov %1, %%es\n\t"
			 "mov %1, %%ss\n\t"
			 "ltr %w2"
			 :
			 : "m"(ptr), "r"((uint64_t)HOST_DS),
			   "r"((uint16_t)HOST_TR)
			 : "memory");
	x86_wrmsr(MSR_GS_BASE, (uint64_t)c);
}

uint64_t gdt_base(void)
{
	return (uint64_t)this_cpu()->gdt;
}

uint64_t tss_base(void)
{
	return (uint64_t)&this_cpu()->tss;
}
