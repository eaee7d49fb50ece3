/* SPDX-License-Identifier: MIT */
/*
 * event-delivery's own descriptor tables: the runtime's 64-bit GDT and
 * TSS (descriptors64.c), whose IST stacks let #PF and #DF run on a good
 * stack while the interrupted code's stack is the broken one; an IDT of
 * interrupt gates to the runtime's entry stubs, which hand every event
 * to event_handle(); and the log it fills.
 */
#include "events.h"

#include "cpu.h"
#include "descriptors64.h"
#include "layout.h"
#include "paging_enter.h"
#include "report.h"
#include "trap.h"

#define MSR_APIC_BASE  0x1b
#define APIC_BASE_EXTD (1u << 10)
#define APIC_BASE_EN   (1u << 11)
#define X2APIC_SVR     0x80f
#define X2APIC_EOI     0x80b
#define X2APIC_ID      0x802

extern char ev_resume[];
extern uintptr_t ev_saved_sp;

/* 256 gates of 16 bytes (descriptors64.c). */
static uint8_t idt[256 * 16] __attribute__((aligned(16)));
static uint8_t ist_stacks[3][8192] __attribute__((aligned(16)));

struct event_log event_log;
uintptr_t event_fix_sp;
struct address_space event_as;
static bool x2apic;

/* The runtime's entry stub of the vector; trap_handle() hands every
 * event to event_handle() first. */
static void set_gate(unsigned vector, unsigned ist)
{
	idt64_set_gate(idt, vector, (const void *)trap_stubs[vector], 0, ist);
}

void events_set_ist(unsigned vector, unsigned ist)
{
	idt[vector * 16 + 4] = (uint8_t)ist; /* the gate's IST byte */
}

void events_clear_log(void)
{
	event_log.count = 0;
	event_fix_sp = 0;
}

static bool is_fault(uint64_t vector)
{
	return vector == VEC_UD || vector == VEC_NP || vector == VEC_GP ||
	       vector == VEC_PF || vector == VEC_DF;
}

static bool event_handle(struct trap_frame *f)
{
	if (event_log.count < EVENT_LOG_SIZE)
		event_log.e[event_log.count++] =
			(struct event_log_entry){ f->vector, f->error, f->ip,
						  f->flags, read_cr2() };
	if (f->vector == VEC_SELF_IPI)
		wrmsr(X2APIC_EOI, 0);
	if (!is_fault(f->vector))
		return true;
	if (f->vector == VEC_PF && event_fix_sp) {
		/* Retry on a good stack: the faulting instruction, or the
		 * delivery of the event it was, runs again. */
		f->sp = event_fix_sp;
		event_fix_sp = 0;
		return true;
	}
	/* Abandon the operation: ev_resume restores the caller's stack. A
	 * #DF's saved RIP is undefined (SDM 6.15), so nothing returns to
	 * it. */
	f->ip = (uintptr_t)ev_resume;
	f->sp = ev_saved_sp;
	return true;
}

uint64_t *event_window_pte(uintptr_t va)
{
	return as_entry(&event_as, va, 1);
}

static void build_address_space(void)
{
	pt_pool_reset();
	as_init(&event_as, &paging_4level);
	as_map_identity(&event_as, LAYOUT_IDENTITY_END, 2);
	const uint64_t rw = X86_PTE_P | X86_PTE_RW;
	as_map(&event_as, MARKER_PAGE, LAYOUT_DATA_PAGES_BASE, 1, rw);
	/* The page table that maps the window, mapped as data too. */
	uint64_t pde = *(uint64_t *)as_entry(&event_as, WINDOW, 2);
	as_map(&event_as, PT_ALIAS, pde & 0x000ffffffffff000ull, 1, rw);
	paging_enter(&event_as);
}

static void load_tables(void)
{
	uint64_t ist[3];
	for (unsigned i = 0; i < 3; i++)
		ist[i] = (uintptr_t)(ist_stacks[i] + sizeof(ist_stacks[i]));
	descriptors64_load(0, ist);

	set_gate(VEC_NMI, 0);
	set_gate(VEC_BP, 0);
	set_gate(VEC_UD, 0);
	set_gate(VEC_DF, 2);
	set_gate(VEC_NP, 0);
	set_gate(VEC_GP, 0);
	set_gate(VEC_PF, 1);
	set_gate(VEC_SELF_IPI, 0);
	set_gate(VEC_SOFT, 0);
	trap_set_hook(event_handle);
	/* VEC_ABSENT stays zero: not present. */
	idt64_load(idt);
}

bool events_x2apic(void)
{
	return x2apic;
}

void events_init(void)
{
	/* A BIOS may leave the 8259s unmasked with the timer on vector 8:
	 * natively, the first STI would take it for a #DF. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	build_address_space();
	load_tables();
	uint32_t r[4];
	cpuid(1, 0, r);
	x2apic = r[2] & (1u << 21);
	if (x2apic) {
		wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EN);
		wrmsr(MSR_APIC_BASE,
		      rdmsr(MSR_APIC_BASE) | APIC_BASE_EN | APIC_BASE_EXTD);
		wrmsr(X2APIC_SVR, 0x1ff);
		event_apic_id = (uint32_t)rdmsr(X2APIC_ID);
	}
}
