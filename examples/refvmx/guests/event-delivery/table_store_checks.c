/* SPDX-License-Identifier: MIT */
/*
 * Stores into a page that is also a live page table, which a shadow
 * MMU write-protects and must then perform itself: the CPU's own pushes
 * while it delivers an interrupt (there is no instruction to decode), a
 * CALL's return address, and instructions a hypervisor's emulator may
 * not know (ADD to memory, MOVSQ). Each store must land, and the table
 * must go on translating as the guest's entries say: under refvmx each
 * store ends in smmu_vm_unprotect_gfn and a retry. Each scenario gets a
 * fresh window page table that has just been walked (so a shadow MMU
 * holds it write-protected and in sync), and stores into it through
 * its data alias (events.h); the pushes land in entries 507-511, which
 * map nothing the guest uses.
 */
#include "cpu.h"
#include "events.h"
#include "gdt.h"
#include "layout.h"
#include "report.h"

#define FRAME_A	 LAYOUT_DATA_PAGES_BASE
#define FRAME_B	 (LAYOUT_DATA_PAGES_BASE + 0x1000)
#define MARKER_A 0xa11ce0a1u
#define MARKER_B 0xb0b0b0b1u
#define LEAF_RW	 (X86_PTE_P | X86_PTE_RW)
#define PT_TOP	 (PT_ALIAS + 0x1000)

static volatile uint64_t *const pt_alias = (volatile uint64_t *)PT_ALIAS;

/* Read through the table (shadowing it again if a store unshadowed it). */
static uint32_t marker(void)
{
	return *(volatile uint32_t *)MARKER_PAGE;
}

/* Point MARKER_PAGE at `frame` and see it through the table. */
static bool remap_seen(uint64_t frame, uint32_t expect)
{
	*event_window_pte(MARKER_PAGE) = frame | LEAF_RW;
	invlpg(MARKER_PAGE);
	return marker() == expect;
}

/* A new page table for the window, mapping MARKER_PAGE to frame A, and
 * the alias pointing at it; walked once before it is returned. */
static void fresh_table(void)
{
	uintptr_t pt = pt_alloc();
	uint64_t *pde = as_entry(&event_as, WINDOW, 2);
	*pde = pt | LEAF_RW;
	*event_window_pte(MARKER_PAGE) = FRAME_A | LEAF_RW;
	*(uint64_t *)as_entry(&event_as, PT_ALIAS, 1) = pt | LEAF_RW;
	write_cr3(read_cr3());
	(void)marker();
}

static void check_interrupt_push(void)
{
	fresh_table();
	bool before = marker() == MARKER_A;
	events_clear_log();
	ev_run(PT_TOP, OP_INT_SOFT);
	/* The 64-bit interrupt frame, from the top: SS, RSP, RFLAGS, CS,
	 * RIP (SDM 6.14.2). */
	uint64_t ss = pt_alias[511], rsp = pt_alias[510], cs = pt_alias[508];
	bool frame_ok = ss == GDT_DATA && rsp == PT_TOP && cs == GDT_CODE64;
	bool after = remap_seen(FRAME_B, MARKER_B);
	if (before && event_log.count == 1 &&
	    event_log.e[0].vector == VEC_SOFT && frame_ok && after)
		report_pass("interrupt-frame-onto-table");
	else
		report_fail("interrupt-frame-onto-table",
			    "marker before %u; %u event(s); pushed SS 0x%llx "
			    "RSP 0x%llx CS 0x%llx; remapped page read %s",
			    before, event_log.count, (unsigned long long)ss,
			    (unsigned long long)rsp, (unsigned long long)cs,
			    after ? "right" : "wrong");
}

static void check_call_push(void)
{
	fresh_table();
	bool before = marker() == MARKER_A;
	ev_run(PT_TOP, OP_CALL);
	uint64_t ret = pt_alias[511];
	bool after = remap_seen(FRAME_B, MARKER_B);
	if (before && ret >= LAYOUT_IMAGE_BASE && ret < LAYOUT_STAGE32_BASE &&
	    after)
		report_pass("call-onto-table");
	else
		report_fail("call-onto-table",
			    "marker before %u; return address 0x%llx; "
			    "remapped page read %s",
			    before, (unsigned long long)ret,
			    after ? "right" : "wrong");
}

static void check_unusual_stores(void)
{
	fresh_table();
	volatile uint64_t *pte = event_window_pte(MARKER_PAGE);
	bool before = marker() == MARKER_A;
	/* ADD r/m64, imm32 (REX.W 81 /0): frame A + 4 KiB = frame B. */
	__asm__ volatile("addq $0x1000, %0" : "+m"(*pte) : : "memory");
	invlpg(MARKER_PAGE);
	bool added = marker() == MARKER_B;
	/* MOVSQ: a string move into the entry. */
	uint64_t value = FRAME_A | LEAF_RW;
	const void *src = &value;
	void *dst = (void *)pte;
	__asm__ volatile("movsq" : "+S"(src), "+D"(dst) : : "memory");
	invlpg(MARKER_PAGE);
	bool moved = marker() == MARKER_A;
	if (before && added && moved)
		report_pass("add-and-movs-to-table");
	else
		report_fail("add-and-movs-to-table",
			    "marker before %u, after ADD %u, after MOVSQ %u",
			    before, added, moved);
}

void check_table_stores(void)
{
	*(volatile uint32_t *)FRAME_A = MARKER_A;
	*(volatile uint32_t *)FRAME_B = MARKER_B;
	check_interrupt_push();
	check_call_push();
	check_unusual_stores();
}
