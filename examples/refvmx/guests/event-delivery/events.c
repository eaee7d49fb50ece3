/* SPDX-License-Identifier: MIT */
/*
 * event-delivery's own descriptor tables: a GDT like boot.S's plus a
 * 64-bit TSS whose IST stacks let #PF, #DF and the NMI run on a good
 * stack while the interrupted code's stack is the broken one; an IDT of
 * interrupt gates to event_entry.S; and the log handlers fill.
 */
#include "events.h"

#include "cpu.h"
#include "gdt.h"
#include "layout.h"
#include "paging_enter.h"
#include "report.h"

#define GDT_TSS	       0x20
#define GATE_INTERRUPT 0x8e
#define MSR_APIC_BASE  0x1b
#define APIC_BASE_EXTD (1u << 10)
#define APIC_BASE_EN   (1u << 11)
#define X2APIC_SVR     0x80f
#define X2APIC_EOI     0x80b
#define X2APIC_ID      0x802

struct event_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

struct idt_gate {
	uint16_t offset_low, selector;
	uint8_t ist, type;
	uint16_t offset_mid;
	uint32_t offset_high, reserved;
} __attribute__((packed));

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));

struct descriptor_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern char ev_stub_2[], ev_stub_3[], ev_stub_6[], ev_stub_8[], ev_stub_11[],
	ev_stub_13[], ev_stub_14[], ev_stub_0x40[], ev_stub_0x80[];
extern char ev_resume[];
extern uintptr_t ev_saved_sp;

static struct idt_gate idt[256] __attribute__((aligned(16)));
static uint64_t gdt[6] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static uint8_t ist_stacks[3][8192] __attribute__((aligned(16)));

struct event_log event_log;
uintptr_t event_fix_sp;
struct address_space event_as;
static bool x2apic;

static void set_gate(unsigned vector, const void *stub, unsigned ist)
{
	uintptr_t a = (uintptr_t)stub;
	idt[vector] = (struct idt_gate){
		.offset_low = (uint16_t)a,
		.selector = GDT_CODE64,
		.ist = (uint8_t)ist,
		.type = GATE_INTERRUPT,
		.offset_mid = (uint16_t)(a >> 16),
		.offset_high = (uint32_t)(a >> 32),
	};
}

void events_set_ist(unsigned vector, unsigned ist)
{
	idt[vector].ist = (uint8_t)ist;
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

void event_handle(struct event_frame *f);

void event_handle(struct event_frame *f)
{
	if (event_log.count < EVENT_LOG_SIZE)
		event_log.e[event_log.count++] = (struct event_log_entry){
			f->vector, f->error, f->rip, f->rflags, read_cr2()
		};
	if (f->vector == VEC_SELF_IPI)
		wrmsr(X2APIC_EOI, 0);
	if (!is_fault(f->vector))
		return;
	if (f->vector == VEC_PF && event_fix_sp) {
		/* Retry on a good stack: the faulting instruction, or the
		 * delivery of the event it was, runs again. */
		f->rsp = event_fix_sp;
		event_fix_sp = 0;
		return;
	}
	/* Abandon the operation: ev_resume restores the caller's stack. A
	 * #DF's saved RIP is undefined (SDM 6.15), so nothing returns to
	 * it. */
	f->rip = (uintptr_t)ev_resume;
	f->rsp = ev_saved_sp;
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
	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffull; /* GDT_CODE32 */
	gdt[2] = 0x00cf93000000ffffull; /* GDT_DATA */
	gdt[3] = 0x00af9b000000ffffull; /* GDT_CODE64 */
	uint64_t base = (uintptr_t)&tss, limit = sizeof(tss) - 1;
	gdt[4] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
		 ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[5] = base >> 32;
	for (unsigned i = 0; i < 3; i++)
		tss.ist[i] = (uintptr_t)(ist_stacks[i] + sizeof(ist_stacks[i]));
	tss.iomap_base = sizeof(tss);
	struct descriptor_pointer g = { sizeof(gdt) - 1, (uintptr_t)gdt };
	__asm__ volatile("lgdt %0\n\tltr %w1" : : "m"(g), "r"(GDT_TSS));

	set_gate(VEC_NMI, ev_stub_2, 0);
	set_gate(VEC_BP, ev_stub_3, 0);
	set_gate(VEC_UD, ev_stub_6, 0);
	set_gate(VEC_DF, ev_stub_8, 2);
	set_gate(VEC_NP, ev_stub_11, 0);
	set_gate(VEC_GP, ev_stub_13, 0);
	set_gate(VEC_PF, ev_stub_14, 1);
	set_gate(VEC_SELF_IPI, ev_stub_0x40, 0);
	set_gate(VEC_SOFT, ev_stub_0x80, 0);
	/* VEC_ABSENT stays zero: not present. */
	struct descriptor_pointer i = { sizeof(idt) - 1, (uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(i));
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
