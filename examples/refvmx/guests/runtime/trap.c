/* SPDX-License-Identifier: MIT */
#include "trap.h"

#include "cpu.h"
#include "fault_probe.h"
#include "gdt.h"
#include "report.h"

#define TRAP_VECTORS 32
/* Present, DPL 0, interrupt gate (32- or 64-bit by the mode using it). */
#define GATE_INTERRUPT 0x8e

/* One gate (SDM 6.11 and 6.14.1). */
struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
#ifdef __x86_64__
	uint32_t offset_high;
	uint32_t reserved;
#endif
} __attribute__((packed));

struct idt_pointer {
	uint16_t limit;
	uintptr_t base;
} __attribute__((packed));

/* Entry points in trap_entry.S, one per vector. */
extern const uintptr_t trap_stubs[TRAP_VECTORS];

static struct idt_gate idt[TRAP_VECTORS] __attribute__((aligned(16)));

void trap_init(void)
{
#ifdef __x86_64__
	const uint16_t code = GDT_CODE64;
#else
	const uint16_t code = GDT_CODE32;
#endif
	struct idt_pointer pointer = { sizeof(idt) - 1, (uintptr_t)idt };

	for (unsigned int v = 0; v < TRAP_VECTORS; v++) {
		uintptr_t target = trap_stubs[v];

		idt[v] = (struct idt_gate){
			.offset_low = (uint16_t)target,
			.selector = code,
			.type = GATE_INTERRUPT,
			.offset_mid = (uint16_t)(target >> 16),
#ifdef __x86_64__
			.offset_high = (uint32_t)(target >> 32),
#endif
		};
	}
	__asm__ volatile("lidt %0" : : "m"(pointer));
}

void trap_handle(struct trap_frame *frame)
{
	unsigned long cr2 = read_cr2();

	if (fault_probe_catch(frame->vector, frame->error, cr2, &frame->ip))
		return;
	report_fatal("unexpected exception %lu, error 0x%lx, at ip %p, "
		     "cr2 %p",
		     (unsigned long)frame->vector, (unsigned long)frame->error,
		     (void *)frame->ip, (void *)cr2);
}
