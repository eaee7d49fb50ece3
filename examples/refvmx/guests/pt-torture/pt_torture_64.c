/* SPDX-License-Identifier: MIT */
/*
 * pt-torture's 64-bit stage: 4-level paging on tables of its own (boot.S's
 * identity map only got it here), then 5-level paging where the CPU has
 * it, and back to the 4-level tables to see them still honoured.
 */
#include "address_space.h"
#include "cpu.h"
#include "layout.h"
#include "paging_enter.h"
#include "torture.h"
#include "report.h"
#include "stage.h"
#include "trap.h"

/* High canonical windows, so the walks use upper-half top-level entries
 * (PML4 index 256; PML5 index 384). 1 GiB aligned. */
#define WINDOW_4LEVEL 0xffff800040000000ul
#define WINDOW_5LEVEL 0xff80000040000000ul

static void enter_mode(struct torture *t, const struct paging_mode *mode)
{
	report_mode(mode->name);
	torture_build(t, mode);
	paging_enter(&t->as);
	torture_check_control_registers(t, "control-registers");
}

void stage64_main(struct report_totals *totals)
{
	struct cpu_caps caps;
	struct torture four = { .window = WINDOW_4LEVEL, .caps = &caps };
	struct torture five = { .window = WINDOW_5LEVEL, .caps = &caps };

	report_init(totals, "pt-torture");
	trap_init();
	cpu_caps_read(&caps);

	/* The 32-bit stage's tables are dead: paging was off since. */
	pt_pool_reset();
	enter_mode(&four, &paging_4level);
	torture_run(&four);

	if (!caps.la57) {
		report_mode(NULL);
		report_skip("5-level",
			    "CPUID.(EAX=7,ECX=0):ECX[16] (LA57) is 0");
		report_finish();
	}
	enter_mode(&five, &paging_5level);
	torture_run(&five);

	report_mode(paging_4level.name);
	paging_enter(&four.as);
	torture_check_control_registers(&four,
					"control-registers-after-5-level");
	torture_check_invlpg_remap(&four, "invlpg-remap-after-5-level");
	report_finish();
}
