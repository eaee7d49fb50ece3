/* SPDX-License-Identifier: MIT */
/*
 * Accessed and dirty flags (SDM 4.8): every paging-structure entry a walk
 * uses gets A; the entry that maps the page gets D on a write, also when
 * the CPU already holds a translation made before the write.
 */
#include "torture.h"

#include "expect.h"
#include "report.h"

static void check_accessed_on_read(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_AD);
	uint32_t v = mark(page_pa(PAGE_AD));
	/* A fresh slot: PDE and PTE are created with A and D clear. */
	void *pte = as_map(&t->as, va, page_pa(PAGE_AD), 1, LEAF_RW);
	void *pde = as_entry(&t->as, va, 2);

	if (expect_read(check, va + PROBE_OFFSET, v, 0) &&
	    expect_entry_bit(check, t, pte, "PTE", X86_PTE_A, "A", "a read") &&
	    expect_entry_bit(check, t, pde, "PDE", X86_PTE_A, "A", "a read"))
		report_pass(check);
}

/* SLOT_AD was read, not written (previous check). */
static void check_dirty_on_write(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_AD);
	void *pte = as_entry(&t->as, va, 1);
	uint32_t v = new_marker();

	if (!expect_write(check, va + PROBE_OFFSET, v) ||
	    !expect_entry_bit(check, t, pte, "PTE", X86_PTE_D, "D", "a write"))
		return;
	if (*probe_word(page_pa(PAGE_AD)) != v) {
		report_fail(check, "the write did not reach the page");
		return;
	}
	report_pass(check);
}

/* What an OS does to watch a page again: clear A and D, INVLPG. */
static void check_accessed_dirty_rearmed(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_AD);
	void *pte = as_entry(&t->as, va, 1);
	uint32_t v = mark(page_pa(PAGE_AD));

	pte_write(t->as.mode, pte, page_pa(PAGE_AD) | LEAF_RW);
	invlpg(va);
	if (expect_read(check, va + PROBE_OFFSET, v, 0) &&
	    expect_entry_bit(check, t, pte, "PTE", X86_PTE_A, "A",
			     "a read after clearing A and D") &&
	    expect_write(check, va + PROBE_OFFSET, new_marker()) &&
	    expect_entry_bit(check, t, pte, "PTE", X86_PTE_D, "D",
			     "a write after clearing A and D"))
		report_pass(check);
}

static void check_large_accessed_dirty(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_LARGE_AD);
	uint32_t a = mark(LAYOUT_LARGE_FRAME_A);
	void *pde = as_map(&t->as, va, LAYOUT_LARGE_FRAME_A, 2, LEAF_RW);

	if (!expect_read(check, va + PROBE_OFFSET, a, 0) ||
	    !expect_entry_bit(check, t, pde, "large-page PDE", X86_PTE_A, "A",
			      "a read") ||
	    !expect_write(check, va + PROBE_OFFSET, new_marker()) ||
	    !expect_entry_bit(check, t, pde, "large-page PDE", X86_PTE_D, "D",
			      "a write"))
		return;
	report_pass(check);
}

static const struct check checks[] = {
	{ "accessed-on-read", check_accessed_on_read, REQ_NONE },
	{ "dirty-on-write", check_dirty_on_write, REQ_NONE },
	{ "accessed-dirty-rearmed", check_accessed_dirty_rearmed, REQ_NONE },
	{ "large-accessed-dirty", check_large_accessed_dirty, REQ_NONE },
};

const struct check_group accessed_dirty_checks = {
	checks, sizeof(checks) / sizeof(checks[0])
};
