/* SPDX-License-Identifier: MIT */
/* pt-permute, 32-bit stage: nothing; the permutations run in IA-32e
 * mode (pt_permute_64.c). */
#include "report.h"
#include "stage.h"

void stage32_main(struct report_totals *totals, const struct boot_entry *entry)
{
	(void)entry;
	report_init(totals, "pt-permute");
	report_note("pt-permute: the permutations run in the 64-bit stage");
}
