/* SPDX-License-Identifier: MIT */
/*
 * fail-guest, 32-bit stage: a correct check, then a deliberately wrong
 * one. After a remap and INVLPG the architecture guarantees the *new*
 * mapping; this guest insists on the old one, so it fails on any correct
 * CPU or hypervisor. It exists to prove that a FAIL line ends a run with
 * a non-zero status.
 */
#include "address_space.h"
#include "cpu.h"
#include "fault_probe.h"
#include "layout.h"
#include "paging_enter.h"
#include "report.h"
#include "stage.h"
#include "trap.h"

#define TEST_VA	   0x40000000u
#define PAGE_OLD   LAYOUT_DATA_PAGES_BASE
#define PAGE_NEW   (LAYOUT_DATA_PAGES_BASE + 0x1000)
#define MARKER_OLD 0x01d0000au
#define MARKER_NEW 0x0e30000bu
#define LEAF_RW	   (X86_PTE_P | X86_PTE_RW)

static bool read_va(const char *check, uint32_t *value)
{
	struct fault f;

	if (!probe_read(TEST_VA, value, &f))
		return true;
	report_fail(check, "read at %p faulted: vector %lu, error 0x%lx",
		    (void *)TEST_VA, f.vector, f.error);
	return false;
}

void stage32_main(struct report_totals *totals, const struct boot_entry *entry)
{
	struct address_space as;
	void *pte;
	uint32_t got;

	report_init(totals, "fail-guest");
	trap_init();
	report_note("fail-guest expects what is false: this run must fail");

	report_mode(paging_32bit.name);
	*(volatile uint32_t *)PAGE_OLD = MARKER_OLD;
	*(volatile uint32_t *)PAGE_NEW = MARKER_NEW;
	pt_pool_reset();
	as_init(&as, &paging_32bit);
	as_map_identity(&as, LAYOUT_IDENTITY_END, 1);
	pte = as_map(&as, TEST_VA, PAGE_OLD, 1, LEAF_RW);
	paging_enter(&as);

	if (read_va("map-read", &got)) {
		if (got == MARKER_OLD)
			report_pass("map-read");
		else
			report_fail("map-read", "read 0x%08x, expected 0x%08x",
				    got, MARKER_OLD);
	}

	pte_write(as.mode, pte, PAGE_NEW | LEAF_RW);
	invlpg(TEST_VA);
	if (read_va("expects-stale-mapping", &got)) {
		if (got == MARKER_OLD)
			report_pass("expects-stale-mapping");
		else
			report_fail("expects-stale-mapping",
				    "read 0x%08x after INVLPG (the new "
				    "mapping); this guest wrongly expects the "
				    "old one, 0x%08x",
				    got, MARKER_OLD);
	}
	paging_leave();
}
