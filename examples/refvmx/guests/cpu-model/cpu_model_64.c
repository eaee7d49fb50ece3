/* SPDX-License-Identifier: MIT */
/* cpu-model, 64-bit stage: MSRs, SYSCALL/SYSENTER, CPUID against the
 * control registers it governs, and XSAVE's XCR0. */
#include "cpu.h"
#include "cpu_model.h"
#include "report.h"
#include "stage.h"
#include "trap.h"

uint32_t cpuid_reg(uint32_t leaf, uint32_t sub, unsigned reg)
{
	uint32_t r[4], max[4];

	cpuid(leaf & 0x80000000u, 0, max);
	if (leaf > max[0])
		return 0;
	cpuid(leaf, sub, r);
	return r[reg];
}

bool cpuid_has(uint32_t leaf, uint32_t sub, unsigned reg, unsigned bit)
{
	return cpuid_reg(leaf, sub, reg) & BIT(bit);
}

void stage64_main(struct report_totals *totals)
{
	report_init(totals, "cpu-model");
	trap_init();
	report_mode("msr");
	check_msrs();
	check_syscall_sysenter();
	report_mode("cpuid");
	check_cpuid_and_controls();
	report_mode("xsave");
	check_xsave();
	report_finish();
}
