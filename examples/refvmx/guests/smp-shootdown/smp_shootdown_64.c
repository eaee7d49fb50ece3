/* SPDX-License-Identifier: MIT */
/*
 * smp-shootdown's 64-bit stage: the second vCPU follows the boot vCPU
 * into IA-32e mode, the shootdown checks run under 4-level paging, and
 * the boot vCPU, having every result, ends the run.
 */
#include "address_space.h"
#include "cpu.h"
#include "mailbox.h"
#include "remote.h"
#include "report.h"
#include "second_vcpu.h"
#include "shootdown_checks.h"
#include "stage.h"
#include "trap.h"

/* A high canonical window (PML4 index 256), as in pt-torture. */
#define WINDOW_4LEVEL 0xffff800040000000ul

static void check_second_in_64bit(const char *check)
{
	uint32_t efer;

	/* boot.S's image is below 4 GiB, so its identity map's root is
	 * too: the 32-bit side takes it in a 32-bit register. */
	remote_enter_64bit((uint32_t)read_cr3());
	efer = mailbox()->second_efer_low;
	if (!(efer & X86_EFER_LMA))
		report_fail(check,
			    "the second vCPU's EFER reads 0x%x: LMA "
			    "clear",
			    efer);
	else
		report_pass(check);
}

/* Every shootdown IPI sent was one interrupt on the second vCPU: no
 * delivery lost (each was acknowledged) and none doubled. */
static void check_one_interrupt_per_ipi(const char *check)
{
	volatile struct mailbox *mb = mailbox();
	uint32_t sent = mb->shootdowns_sent, taken = mb->shootdowns_taken;

	if (taken != sent)
		report_fail(check,
			    "%u shootdown IPIs sent, %u interrupts "
			    "taken",
			    sent, taken);
	else
		report_pass(check);
}

void stage64_main(struct report_totals *totals)
{
	bool have_second = mailbox()->second_alive;
	struct address_space as;

	report_init(totals, "smp-shootdown");
	trap_init();

	report_mode("smp");
	if (have_second) {
		trap_set_interrupt(SHOOTDOWN_VECTOR,
				   second_vcpu_shootdown_interrupt);
		trap_set_interrupt(SPURIOUS_VECTOR, spurious_interrupt);
		report_running("second-vcpu-64-bit");
		check_second_in_64bit("second-vcpu-64-bit");
	} else {
		report_skip("second-vcpu-64-bit", "no second vCPU");
	}

	/* Both vCPUs left the 32-bit stage's tables: the pool is free. */
	pt_pool_reset();
	shootdown_run_mode(&paging_4level, WINDOW_4LEVEL, have_second, &as);

	report_mode("smp");
	if (have_second) {
		check_one_interrupt_per_ipi("one-interrupt-per-shootdown");
		/* How close the bounded waits came to giving up. */
		report_note("slowest answer from the second vCPU: %u of %u "
			    "spins",
			    mailbox()->slowest_answer, ANSWER_SPINS);
	} else {
		report_skip("one-interrupt-per-shootdown", "no second vCPU");
	}
	report_finish();
}
