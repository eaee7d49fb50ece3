/* SPDX-License-Identifier: MIT */
/* xapic, 32-bit stage: paging off, the APIC page at its physical
 * address; registers, priorities, IPIs, the timer, a second vCPU. */
#include "cpu.h"
#include "report.h"
#include "stage.h"
#include "trap.h"
#include "xapic.h"

void stage32_main(struct report_totals *totals, const struct boot_entry *entry)
{
	(void)entry;
	report_init(totals, "xapic");
	trap_init();
	report_note("xapic: the local APIC through its page at 0x%x",
		    APIC_PAGE);
	/* The 8259s off (a BIOS may leave them on), the APIC on with
	 * spurious vector 0xff. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	apic_write(APIC_SVR, 0x1ff);
	report_mode("xapic");
	check_registers();
	check_priorities();
	check_ipis();
	check_timer();
	report_mode("smp");
	check_second_vcpu();
}
