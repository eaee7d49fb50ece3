/* SPDX-License-Identifier: MIT */
/*
 * smp-shootdown's 32-bit stage: the boot vCPU's local APIC, the start of
 * the second vCPU, then the shootdown checks under 32-bit paging and PAE
 * paging, both vCPUs leaving paging after each mode so that the next can
 * reuse the page-table pool. The second vCPU stays parked in this stage
 * with paging off until the 64-bit stage calls it over.
 */
#include "address_space.h"
#include "apic_checks.h"
#include "cpu.h"
#include "mailbox.h"
#include "paging_enter.h"
#include "remote.h"
#include "report.h"
#include "second_vcpu.h"
#include "shootdown_checks.h"
#include "stage.h"
#include "trap.h"
#include "x2apic.h"

/* 1 GiB aligned, above the identity map, as in pt-torture. */
#define LEGACY_WINDOW 0x40000000u

/* The 8259s' command-free way to be silent: mask every line (OCW1). A
 * BIOS leaves the timer on, and its vector would land on an exception's
 * gate the moment the boot vCPU enables interrupts. Under refvmx these
 * ports do not exist and the writes vanish. */
static void mask_8259s(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

static bool start_second_vcpu(const char *check)
{
	volatile struct mailbox *mb = mailbox();

	if (!remote_start()) {
		report_skip(check, "no vCPU answered the STARTUP IPI: this run "
				   "has one vCPU");
		return false;
	}
	if (mb->second_x2apic_id != SECOND_VCPU_ID) {
		report_fail(check,
			    "the STARTUP IPI to x2APIC ID %u started "
			    "the vCPU with x2APIC ID %u",
			    SECOND_VCPU_ID, mb->second_x2apic_id);
		return false;
	}
	report_pass(check);
	return true;
}

static void run_legacy_mode(const struct paging_mode *mode, bool have_second)
{
	struct address_space as;

	pt_pool_reset();
	shootdown_run_mode(mode, LEGACY_WINDOW, have_second, &as);
	if (have_second)
		remote_leave_paging();
	paging_leave();
}

void stage32_main(struct report_totals *totals, const struct boot_entry *entry)
{
	struct cpu_caps caps;
	bool have_second = false;

	report_init(totals, "smp-shootdown");
	trap_init();
	cpu_caps_read(&caps);
	report_note("smp-shootdown: the boot vCPU remaps, shoots the second "
		    "vCPU's TLB down by IPI, both read back");
	mask_8259s();
	mailbox_clear();

	report_mode("smp");
	if (!x2apic_supported()) {
		report_skip("x2apic-mode", "CPUID.1:ECX[21] (x2APIC) is 0");
		report_skip("self-ipi", "CPUID.1:ECX[21] (x2APIC) is 0");
		report_skip("second-vcpu-started",
			    "CPUID.1:ECX[21] (x2APIC) is 0");
	} else {
		x2apic_enable();
		trap_set_interrupt(SHOOTDOWN_VECTOR,
				   second_vcpu_shootdown_interrupt);
		trap_set_interrupt(SELF_IPI_VECTOR, self_ipi_interrupt);
		trap_set_interrupt(SPURIOUS_VECTOR, spurious_interrupt);
		report_running("x2apic-mode");
		check_x2apic_mode("x2apic-mode");
		report_running("self-ipi");
		check_self_ipi("self-ipi");
		check_hlt_wake("hlt-wake");
		report_running("second-vcpu-started");
		have_second = start_second_vcpu("second-vcpu-started");
	}
	/* The 64-bit stage reads it back from the mailbox. */
	if (!have_second)
		mailbox()->second_alive = 0;

	/* Every CPU with VMX has PSE and PAE: their absence is a failure. */
	if (!caps.pse || !caps.pae)
		report_fatal("CPUID reports no PSE or no PAE");
	run_legacy_mode(&paging_32bit, have_second);
	run_legacy_mode(&paging_pae, have_second);

	if (!caps.long_mode) {
		report_mode(NULL);
		report_skip("4-level", "CPUID.80000001H:EDX[29] (LM) is 0");
		report_finish();
	}
}
