/* SPDX-License-Identifier: MIT */
/* exit-status ends in its 32-bit stage; this is never reached. */
#include "cpu.h"
#include "stage.h"

void stage64_main(struct report_totals *totals)
{
	(void)totals;
	halt_forever();
}
