/* SPDX-License-Identifier: MIT */
/*
 * fail-guest, 64-bit stage: asserts a marker it knows is wrong, so the
 * run ends with two failures counted across both stages.
 */
#include "cpu.h"
#include "layout.h"
#include "report.h"
#include "stage.h"
#include "trap.h"

void stage64_main(struct report_totals *totals)
{
	volatile uint32_t *word = (volatile uint32_t *)LAYOUT_DATA_PAGES_BASE;
	const uint32_t written = 0x600dc0deu;
	uint32_t got;

	report_init(totals, "fail-guest");
	trap_init();
	report_mode("4-level");

	*word = written;
	got = *word;
	if (got == ~written)
		report_pass("wrong-marker");
	else
		report_fail("wrong-marker",
			    "read 0x%08x, just as written; this guest wrongly "
			    "expects its complement, 0x%08x",
			    got, ~written);
	report_finish();
}
