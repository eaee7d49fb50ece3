/* SPDX-License-Identifier: MIT */
/* mb1-boot, 64-bit stage: the checks are all in the 32-bit stage, where
 * paging is off; here the run ends. */
#include "report.h"
#include "stage.h"

void stage64_main(struct report_totals *totals)
{
	report_init(totals, "mb1-boot");
	report_finish();
}
