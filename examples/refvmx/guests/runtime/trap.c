/* SPDX-License-Identifier: MIT */
#include "trap.h"

#include "cpu.h"
#include "fault_probe.h"
#include "gdt.h"
#include "report.h"

/* Exceptions: always present. */
#define TRAP_EXCEPTIONS 32
#define TRAP_VECTORS	256
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

static struct idt_gate idt[TRAP_VECTORS] __attribute__((aligned(16)));
static trap_interrupt_handler interrupt_handlers[TRAP_VECTORS];
static trap_hook hook;

static void set_gate(unsigned int v)
{
#ifdef __x86_64__
	const uint16_t code = GDT_CODE64;
#else
	const uint16_t code = GDT_CODE32;
#endif
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

void trap_init(void)
{
	for (unsigned int v = 0; v < TRAP_EXCEPTIONS; v++)
		set_gate(v);
	trap_load();
}

void trap_load(void)
{
	struct idt_pointer pointer = { sizeof(idt) - 1, (uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(pointer));
}

void trap_set_interrupt(uint8_t vector, trap_interrupt_handler handler)
{
	if (vector < TRAP_EXCEPTIONS && vector != TRAP_NMI)
		report_fatal("vector %u is an exception's", vector);
	/* The handler first: the gate may be used as soon as it is set. */
	interrupt_handlers[vector] = handler;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	set_gate(vector);
}

void trap_set_hook(trap_hook h)
{
	hook = h;
}

void trap_handle(struct trap_frame *frame)
{
	unsigned long cr2 = read_cr2();

	if (hook && hook(frame))
		return;
	/* Before the probes: an interrupt is never the probed access's. */
	if ((frame->vector >= TRAP_EXCEPTIONS || frame->vector == TRAP_NMI) &&
	    interrupt_handlers[frame->vector]) {
		interrupt_handlers[frame->vector](frame);
		return;
	}
	if (fault_probe_catch(frame->vector, frame->error, cr2, frame->flags,
			      &frame->ip))
		return;
	report_fatal("unexpected exception %lu, error 0x%lx, at ip %p, "
		     "cr2 %p",
		     (unsigned long)frame->vector, (unsigned long)frame->error,
		     (void *)frame->ip, (void *)cr2);
}
