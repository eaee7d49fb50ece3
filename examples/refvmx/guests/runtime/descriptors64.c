/* SPDX-License-Identifier: MIT */
#include "descriptors64.h"

#ifdef __x86_64__

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));

struct idt_gate {
	uint16_t offset_low, selector;
	uint8_t ist, type;
	uint16_t offset_mid;
	uint32_t offset_high, reserved;
} __attribute__((packed));

struct descriptor_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static uint64_t gdt[8] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));

void descriptors64_load(uint64_t rsp0, const uint64_t ist[3])
{
	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffull; /* GDT_CODE32 */
	gdt[2] = 0x00cf93000000ffffull; /* GDT_DATA */
	gdt[3] = 0x00af9b000000ffffull; /* GDT_CODE64 */
	gdt[4] = 0x00cff3000000ffffull; /* user data, DPL 3 */
	gdt[5] = 0x00affb000000ffffull; /* user 64-bit code, DPL 3 */
	uint64_t base = (uintptr_t)&tss, limit = sizeof(tss) - 1;
	gdt[6] = (limit & 0xffff) | (base & 0xffffff) << 16 |
		 0x89ull << 40 /* present, available 64-bit TSS */ |
		 ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[7] = base >> 32;
	tss.rsp[0] = rsp0;
	for (unsigned i = 0; i < 3; i++)
		tss.ist[i] = ist ? ist[i] : 0;
	tss.iomap_base = sizeof(tss);
	struct descriptor_pointer p = { sizeof(gdt) - 1, (uintptr_t)gdt };
	__asm__ volatile("lgdt %0\n\tltr %w1" : : "m"(p), "r"(GDT_TSS));
}

void idt64_set_gate(void *idt, unsigned vector, const void *handler,
		    unsigned dpl, unsigned ist)
{
	uintptr_t a = (uintptr_t)handler;
	((struct idt_gate *)idt)[vector] = (struct idt_gate){
		.offset_low = (uint16_t)a,
		.selector = GDT_CODE64,
		.ist = (uint8_t)ist,
		.type = (uint8_t)(0x8e |
				  (dpl << 5)), /* present interrupt gate */
		.offset_mid = (uint16_t)(a >> 16),
		.offset_high = (uint32_t)(a >> 32),
	};
}

void idt64_load(void *idt)
{
	struct descriptor_pointer p = { 256 * 16 - 1, (uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(p));
}

#endif
