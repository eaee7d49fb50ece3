/* SPDX-License-Identifier: MIT */
/*
 * pt-torture's 32-bit stage: paging off, then 32-bit paging, then PAE,
 * each from paging off on a fresh set of tables (the pool is reused, so
 * the same frames change from one kind of table to another), and back to
 * paging off for boot.S.
 */
#include "address_space.h"
#include "cpu.h"
#include "fault_probe.h"
#include "layout.h"
#include "paging_enter.h"
#include "torture.h"
#include "report.h"
#include "stage.h"
#include "trap.h"

/* Below the identity map, above nothing else: 1 GiB aligned. */
#define LEGACY_WINDOW 0x40000000u

/* With paging off, linear addresses are physical: a marker written and
 * read back through the probes. */
static void check_physical_readback(const char *check)
{
	static uint32_t count;
	volatile uint32_t *word = (volatile uint32_t *)LAYOUT_DATA_PAGES_BASE;
	uint32_t value = 0x70ff0000u | ++count;
	struct fault f;
	uint32_t got;

	*word = value;
	if (probe_read((uintptr_t)word, &got, &f))
		report_fail(check,
			    "read at %p faulted: vector %lu, error "
			    "0x%lx",
			    (void *)word, f.vector, f.error);
	else if (got != value)
		report_fail(check, "read 0x%08x, wrote 0x%08x", got, value);
	else
		report_pass(check);
}

static void check_paging_off_registers(const struct cpu_caps *caps,
				       const char *check)
{
	unsigned long cr0 = read_cr0(), cr4 = read_cr4();

	if (!(cr0 & X86_CR0_PE) || (cr0 & X86_CR0_PG))
		report_fail(check, "CR0 0x%lx: expected PE = 1, PG = 0", cr0);
	else if (cr4 & X86_CR4_VMXE)
		report_fail(check,
			    "CR4 0x%lx: VMXE reads 1, the guest never "
			    "set it",
			    cr4);
	else if ((caps->nx || caps->long_mode) &&
		 (rdmsr(X86_MSR_EFER) & X86_EFER_LMA))
		report_fail(check, "EFER.LMA is 1 with paging off");
	else
		report_pass(check);
}

static void run_legacy_mode(const struct paging_mode *mode,
			    const struct cpu_caps *caps)
{
	struct torture t = { .window = LEGACY_WINDOW, .caps = caps };

	report_mode(mode->name);
	pt_pool_reset();
	torture_build(&t, mode);
	paging_enter(&t.as);
	torture_check_control_registers(&t, "control-registers");
	torture_run(&t);
	paging_leave();
}

void stage32_main(struct report_totals *totals, const struct boot_entry *entry)
{
	struct cpu_caps caps;

	report_init(totals, "pt-torture");
	trap_init();
	cpu_caps_read(&caps);
	report_note("pt-torture: CPUID pse %d pge %d pae %d nx %d 1g %d lm %d "
		    "la57 %d maxphyaddr %u",
		    caps.pse, caps.pge, caps.pae, caps.nx, caps.page_1g,
		    caps.long_mode, caps.la57, caps.maxphyaddr);

	report_mode("paging-off");
	check_paging_off_registers(&caps, "control-registers");
	check_physical_readback("memory-readback");

	/* Every CPU with VMX has PSE and PAE; the test would be meaningless
	 * without them, so their absence is a failure, not a skip. */
	if (!caps.pse || !caps.pae)
		report_fatal("CPUID reports no PSE or no PAE");
	run_legacy_mode(&paging_32bit, &caps);
	run_legacy_mode(&paging_pae, &caps);

	report_mode("paging-off");
	check_physical_readback("memory-readback-after-pae");

	if (!caps.long_mode) {
		report_mode(NULL);
		report_skip("4-level", "CPUID.80000001H:EDX[29] (LM) is 0");
		report_skip("5-level", "CPUID.80000001H:EDX[29] (LM) is 0");
		report_finish();
	}
}
