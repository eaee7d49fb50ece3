/* SPDX-License-Identifier: MIT */
/* event-delivery, 32-bit stage: nothing; the scenarios need IA-32e
 * mode's IST stacks. */
#include "report.h"
#include "stage.h"

void stage32_main(struct report_totals *totals, const struct boot_entry *entry)
{
	(void)entry;
	report_init(totals, "event-delivery");
	report_note("event-delivery: the checks run in the 64-bit stage");
}
