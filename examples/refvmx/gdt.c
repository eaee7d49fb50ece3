/* SPDX-License-Identifier: MIT */
#include "gdt.h"

/* 64-bit TSS: only its I/O map base matters here (no I/O bitmap). */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));

static struct tss64 tss = { .iomap_base = sizeof(struct tss64) };

/* null, code, data, and the two slots of the 64-bit TSS descriptor.
 * Writable: LTR marks the TSS busy in its descriptor. */
static uint64_t gdt[5] __attribute__((aligned(16))) = {
	0,
	0x00af9a000000ffffull, /* 64-bit code, DPL 0 */
	0x00cf92000000ffffull, /* data, DPL 0 */
	0,
	0,
};

uint64_t gdt_base(void)
{
	return (uint64_t)gdt;
}

uint64_t tss_base(void)
{
	return (uint64_t)&tss;
}

void gdt_load(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
	gdt[3] = (limit & 0xffff) | (base & 0xffffff) << 16 |
		 0x89ull << 40 /* present, available 64-bit TSS */ |
		 ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[4] = base >> 32;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(gdt) - 1, (uint64_t)gdt };
	__asm__ volatile("lgdt %0\n\t"
			 "ltr %w1"
			 :
			 : "m"(ptr), "r"((uint16_t)HOST_TR)
			 : "memory");
}
