/* SPDX-License-Identifier: MIT */
/* event-delivery, 64-bit stage: 4-level paging with a window of 4 KiB
 * pages, the guest's own IDT and TSS, then the scenarios. */
#include "events.h"
#include "report.h"
#include "stage.h"
#include "trap.h"

void stage64_main(struct report_totals *totals)
{
	report_init(totals, "event-delivery");
	trap_init();
	events_init();
	report_mode("double-fault");
	check_double_faults();
	report_mode("benign-first");
	check_benign_first();
	report_mode("table-stores");
	check_table_stores();
	report_finish();
}
