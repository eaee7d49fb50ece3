/* SPDX-License-Identifier: MIT */
/*
 * Translation and its invalidation: a virtual page moved from one
 * physical page to another is seen at its new place after INVLPG, MOV CR3
 * or a CR4.PGE change, for 4 KiB, large and 1 GiB pages, global pages,
 * and page tables the guest edits through a self map while they are in
 * use. Only the new translation is checked: the SDM allows a stale one to
 * survive a change that nothing invalidated, and never requires it to.
 */
#include "torture.h"

#include "expect.h"
#include "report.h"

/* The last 4 KiB of a large page: reading there shows the whole large
 * page is mapped, not just its first 4 KiB. */
static uint64_t large_tail(const struct torture *t)
{
	return paging_span(t->as.mode, 2) - X86_PAGE_SIZE;
}

/* 4 KiB pages, invalidated by INVLPG, MOV CR3 or nothing at all. */

static void check_map_read(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_REMAP);
	uint32_t a = mark(page_pa(PAGE_A));

	/* The slot was never mapped, and no TLB or paging-structure cache
	 * entry is made from a not-present entry (SDM 4.10.4.3): no
	 * invalidation needed. */
	as_map(&t->as, va, page_pa(PAGE_A), 1, LEAF_RW);
	if (expect_read(check, va + PROBE_OFFSET, a, 0))
		report_pass(check);
}

void torture_check_invlpg_remap(struct torture *t, const char *check)
{
	const struct paging_mode *m = t->as.mode;
	uintptr_t va = slot_va(t, SLOT_REMAP);
	void *pte = as_entry(&t->as, va, 1);
	uint32_t a = mark(page_pa(PAGE_A));
	uint32_t b = mark(page_pa(PAGE_B));

	/* Put the old mapping to use first, so the remap replaces a
	 * translation the CPU may hold. */
	pte_write(m, pte, page_pa(PAGE_A) | LEAF_RW);
	invlpg(va);
	if (!expect_read(check, va + PROBE_OFFSET, a, 0))
		return;
	pte_write(m, pte, page_pa(PAGE_B) | LEAF_RW);
	invlpg(va);
	if (expect_read(check, va + PROBE_OFFSET, b, a))
		report_pass(check);
}

static void check_cr3_reload_remap(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_CR3);
	uint32_t a = mark(page_pa(PAGE_A));
	uint32_t b = mark(page_pa(PAGE_B));
	void *pte = as_map(&t->as, va, page_pa(PAGE_A), 1, LEAF_RW);

	if (!expect_read(check, va + PROBE_OFFSET, a, 0))
		return;
	pte_write(t->as.mode, pte, page_pa(PAGE_B) | LEAF_RW);
	/* CR4.PCIDE is 0: MOV CR3 flushes every non-global translation. */
	write_cr3(read_cr3());
	if (expect_read(check, va + PROBE_OFFSET, b, a))
		report_pass(check);
}

/* SLOT_CR3 maps page B here (previous check); a second address space
 * maps it to page C. Switching back and forth twice also covers a
 * hypervisor that caches the roots it has seen. */
static void check_cr3_switch(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_CR3);
	uintptr_t home = t->as.root;
	struct address_space other;
	uint32_t b = mark(page_pa(PAGE_B));
	uint32_t c = mark(page_pa(PAGE_C));

	torture_build_space(&other, t->as.mode, t->window);
	as_map(&other, va, page_pa(PAGE_C), 1, LEAF_RW);

	for (int round = 0; round < 2; round++) {
		bool ok;

		write_cr3(other.root);
		ok = expect_read(check, va + PROBE_OFFSET, c, b);
		write_cr3(home);
		if (!ok || !expect_read(check, va + PROBE_OFFSET, b, c))
			return;
	}
	report_pass(check);
}

/* Large pages: 4 MiB in 32-bit paging, 2 MiB otherwise. A CPU may cache
 * a large page as several 4 KiB pieces (SDM 4.10.2.3), so each check
 * invalidates exactly the address it then reads. */

static void check_large_read(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_LARGE);
	uint64_t tail = large_tail(t);
	uint32_t head_marker = mark(LAYOUT_LARGE_FRAME_A);
	uint32_t tail_marker = mark(LAYOUT_LARGE_FRAME_A + tail);

	as_map(&t->as, va, LAYOUT_LARGE_FRAME_A, 2, LEAF_RW);
	if (expect_read(check, va + PROBE_OFFSET, head_marker, 0) &&
	    expect_read(check, va + tail + PROBE_OFFSET, tail_marker, 0))
		report_pass(check);
}

/* SLOT_LARGE maps frame A (previous check); it moves to frame B. */
static void check_large_invlpg_remap(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_LARGE);
	uint64_t tail = large_tail(t);
	uint32_t a = mark(LAYOUT_LARGE_FRAME_A + tail);
	uint32_t b = mark(LAYOUT_LARGE_FRAME_B + tail);

	pte_write(t->as.mode, as_entry(&t->as, va, 2),
		  LAYOUT_LARGE_FRAME_B | X86_PTE_PS | LEAF_RW);
	invlpg(va + tail);
	if (expect_read(check, va + tail + PROBE_OFFSET, b, a))
		report_pass(check);
}

/* SLOT_LARGE maps frame B (previous check); its PDE becomes a page table
 * that maps the tail's 4 KiB to page C. */
static void check_large_split(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_LARGE);
	uint64_t tail = large_tail(t);
	uint32_t b = mark(LAYOUT_LARGE_FRAME_B + tail);
	uint32_t c = mark(page_pa(PAGE_C));

	as_map(&t->as, va + tail, page_pa(PAGE_C), 1, LEAF_RW);
	invlpg(va + tail);
	if (expect_read(check, va + tail + PROBE_OFFSET, c, b))
		report_pass(check);
}

/* A self map: the PDE of SLOT_SELF points at the page directory itself,
 * so inside that slot the directory's tables appear as pages, and the
 * guest reads and writes its own PTEs by virtual address. The directory
 * is then in use as a directory and as a page table at once. */

/* Where SLOT_REMAP's PTE appears through the self map: in the slot of the
 * self entry, the page of PD index pd_index(va), at its PTE's offset. */
static uintptr_t self_mapped_pte(const struct torture *t, uintptr_t va)
{
	const struct paging_mode *m = t->as.mode;
	uintptr_t pd_base = 0;

	if (m->levels > 2)
		pd_base = va & ~((uintptr_t)paging_span(m, 3) - 1);
	return pd_base +
	       ((uintptr_t)paging_index(m, slot_va(t, SLOT_SELF), 2)
		<< paging_shift(m, 2)) +
	       ((uintptr_t)paging_index(m, va, 2) << X86_PAGE_SHIFT) +
	       paging_index(m, va, 1) * m->entry_bytes;
}

static void check_self_map_read(struct torture *t, const char *check)
{
	const struct paging_mode *m = t->as.mode;
	uintptr_t target = slot_va(t, SLOT_REMAP);
	void *pte = as_entry(&t->as, target, 1);
	uintptr_t pd = (uintptr_t)as_entry(&t->as, target, 2) &
		       ~(uintptr_t)(X86_PAGE_SIZE - 1);

	pte_write(m, as_entry(&t->as, slot_va(t, SLOT_SELF), 2),
		  pd | X86_PTE_P | X86_PTE_RW);
	if (expect_read(check, self_mapped_pte(t, target),
			(uint32_t)pte_read(m, pte), 0))
		report_pass(check);
}

/* The self map is in place (previous check); SLOT_REMAP maps page B
 * (invlpg-remap). */
static void check_self_map_write(struct torture *t, const char *check)
{
	const struct paging_mode *m = t->as.mode;
	uintptr_t target = slot_va(t, SLOT_REMAP);
	void *pte = as_entry(&t->as, target, 1);
	uint32_t b = mark(page_pa(PAGE_B));
	uint32_t a = mark(page_pa(PAGE_A));
	/* The low half holds the frame and flags; the high half stays 0. */
	uint32_t new_pte = (uint32_t)(page_pa(PAGE_A) | LEAF_RW);

	if (!expect_write(check, self_mapped_pte(t, target), new_pte))
		return;
	if (pte_read(m, pte) != new_pte) {
		report_fail(check,
			    "PTE is 0x%llx after the store through the "
			    "self map, expected 0x%x",
			    (unsigned long long)pte_read(m, pte), new_pte);
		return;
	}
	invlpg(target);
	if (expect_read(check, target + PROBE_OFFSET, a, b))
		report_pass(check);
}

/* Global pages (SDM 4.10.2.4, 4.10.4.1): MOV CR3 may keep them, but any
 * change of CR4.PGE and INVLPG drop them. CR4.PGE = 1 from here on. */

static void check_global_read(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_GLOBAL);
	uint32_t a = mark(page_pa(PAGE_A));

	write_cr4(read_cr4() | X86_CR4_PGE);
	as_map(&t->as, va, page_pa(PAGE_A), 1, LEAF_RW | X86_PTE_G);
	if (!expect_read(check, va + PROBE_OFFSET, a, 0))
		return;
	/* The entry is unchanged, so whether the reload kept the global
	 * translation or not, the read gives the same. */
	write_cr3(read_cr3());
	if (expect_read(check, va + PROBE_OFFSET, a, 0))
		report_pass(check);
}

/* SLOT_GLOBAL maps page A, global (previous check). */
static void check_global_pge_toggle(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_GLOBAL);
	unsigned long cr4 = read_cr4();
	uint32_t a = mark(page_pa(PAGE_A));
	uint32_t b = mark(page_pa(PAGE_B));

	pte_write(t->as.mode, as_entry(&t->as, va, 1),
		  page_pa(PAGE_B) | LEAF_RW | X86_PTE_G);
	write_cr4(cr4 & ~X86_CR4_PGE);
	write_cr4(cr4 | X86_CR4_PGE);
	if (expect_read(check, va + PROBE_OFFSET, b, a))
		report_pass(check);
}

/* SLOT_GLOBAL maps page B, global (previous check). */
static void check_global_invlpg(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_GLOBAL);
	uint32_t b = mark(page_pa(PAGE_B));
	uint32_t c = mark(page_pa(PAGE_C));

	pte_write(t->as.mode, as_entry(&t->as, va, 1),
		  page_pa(PAGE_C) | LEAF_RW | X86_PTE_G);
	invlpg(va);
	if (expect_read(check, va + PROBE_OFFSET, c, b))
		report_pass(check);
}

/* With CR4.PGE = 1, MOV CR3 still flushes non-global translations.
 * SLOT_CR3 maps page B (cr3-switch). */
static void check_cr3_reload_remap_with_pge(struct torture *t,
					    const char *check)
{
	uintptr_t va = slot_va(t, SLOT_CR3);
	uint32_t a = mark(page_pa(PAGE_A));
	uint32_t b = mark(page_pa(PAGE_B));

	if (!expect_read(check, va + PROBE_OFFSET, b, 0))
		return;
	pte_write(t->as.mode, as_entry(&t->as, va, 1),
		  page_pa(PAGE_A) | LEAF_RW);
	write_cr3(read_cr3());
	if (expect_read(check, va + PROBE_OFFSET, a, b))
		report_pass(check);
}

/* 1 GiB pages, in the window's second GiB: its own PDPT entry. */

static uintptr_t gigabyte_va(const struct torture *t)
{
	return t->window + (uintptr_t)X86_PAGE_SIZE_1G;
}

static void check_1g_read(struct torture *t, const char *check)
{
	uintptr_t va = gigabyte_va(t);
	uint32_t a = mark(LAYOUT_LARGE_FRAME_A);

	as_map(&t->as, va, 0, 3, LEAF_RW);
	if (expect_read(check, va + LAYOUT_LARGE_FRAME_A + PROBE_OFFSET, a, 0))
		report_pass(check);
}

/* The 1 GiB page (previous check) becomes a page directory whose 2 MiB
 * page at frame A's offset maps frame B. */
static void check_1g_split(struct torture *t, const char *check)
{
	uintptr_t va = gigabyte_va(t) + LAYOUT_LARGE_FRAME_A;
	uint32_t a = mark(LAYOUT_LARGE_FRAME_A);
	uint32_t b = mark(LAYOUT_LARGE_FRAME_B);

	as_map(&t->as, va, LAYOUT_LARGE_FRAME_B, 2, LEAF_RW);
	invlpg(va);
	if (expect_read(check, va + PROBE_OFFSET, b, a))
		report_pass(check);
}

static const struct check checks[] = {
	{ "map-read", check_map_read, REQ_NONE },
	{ "invlpg-remap", torture_check_invlpg_remap, REQ_NONE },
	{ "cr3-reload-remap", check_cr3_reload_remap, REQ_NONE },
	{ "cr3-switch", check_cr3_switch, REQ_NONE },
	{ "large-read", check_large_read, REQ_NONE },
	{ "large-invlpg-remap", check_large_invlpg_remap, REQ_NONE },
	{ "large-split", check_large_split, REQ_NONE },
	{ "self-map-read", check_self_map_read, REQ_NONE },
	{ "self-map-write", check_self_map_write, REQ_NONE },
	{ "global-read", check_global_read, REQ_PGE },
	{ "global-pge-toggle", check_global_pge_toggle, REQ_PGE },
	{ "global-invlpg", check_global_invlpg, REQ_PGE },
	{ "cr3-reload-remap-with-pge", check_cr3_reload_remap_with_pge,
	  REQ_PGE },
	{ "1g-read", check_1g_read, REQ_1G },
	{ "1g-split", check_1g_split, REQ_1G },
};

const struct check_group translation_checks = {
	checks, sizeof(checks) / sizeof(checks[0])
};
