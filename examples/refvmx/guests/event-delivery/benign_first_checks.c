/* SPDX-License-Identifier: MIT */
/*
 * A #PF while delivering a benign event (SDM table 6-5: a trap like
 * INT3, a software interrupt, an external interrupt, an NMI) is simply
 * delivered, not turned into a #DF. Once its handler has fixed the
 * stack, an instruction's event happens again (the instruction is
 * restarted); an external interrupt or NMI does not: the CPU had
 * accepted it when delivery began (the interrupt is in service, NMIs
 * blocked until the #PF handler's IRET: SDM vol. 3C 28.2.3 says the
 * blocking is in effect), so it is gone, as Bochs shows natively.
 */
#include "cpu.h"
#include "events.h"
#include "report.h"

#define BAD_STACK   (ABSENT_PAGE + 0x1000)
#define X2APIC_SELF 0x83f
#define X2APIC_EOI  0x80b
#define X2APIC_ISR0 0x810

/* The log must be: a #PF on the broken stack, then `vector`. */
static void expect_pf_then(const char *check, uint64_t vector, const char *what)
{
	const struct event_log_entry *pf = &event_log.e[0],
				     *then = &event_log.e[1];
	if (event_log.count == 2 && pf->vector == VEC_PF &&
	    pf->cr2 >= ABSENT_PAGE && pf->cr2 < ABSENT_PAGE + 0x1000 &&
	    (pf->rflags & EFLAGS_RF) && then->vector == vector) {
		report_pass(check);
		return;
	}
	for (unsigned i = 0; i < event_log.count; i++)
		report_note("event %u: vector %llu error 0x%llx rip 0x%llx "
			    "rflags 0x%llx cr2 0x%llx",
			    i, (unsigned long long)event_log.e[i].vector,
			    (unsigned long long)event_log.e[i].error,
			    (unsigned long long)event_log.e[i].rip,
			    (unsigned long long)event_log.e[i].rflags,
			    (unsigned long long)event_log.e[i].cr2);
	report_fail(
		check,
		"%s with the stack unmapped: %u event(s): vector %llu "
		"(CR2 0x%llx), then vector %llu (expected #PF, then "
		"vector %llu)",
		what, event_log.count, (unsigned long long)pf->vector,
		(unsigned long long)pf->cr2,
		(unsigned long long)(event_log.count > 1 ? then->vector : 0),
		(unsigned long long)vector);
}

/* The in-service bit of the self IPI's vector (x2APIC ISR registers,
 * 32 vectors each). */
static bool self_ipi_in_service(void)
{
	return rdmsr(X2APIC_ISR0 + VEC_SELF_IPI / 32) &
	       (1u << (VEC_SELF_IPI % 32));
}

static void expect_pf_only(const char *check, const char *what)
{
	const struct event_log_entry *pf = &event_log.e[0];
	if (event_log.count == 1 && pf->vector == VEC_PF &&
	    pf->cr2 >= ABSENT_PAGE && pf->cr2 < ABSENT_PAGE + 0x1000 &&
	    (pf->rflags & EFLAGS_RF))
		return;
	for (unsigned i = 0; i < event_log.count; i++)
		report_note("event %u: vector %llu error 0x%llx cr2 0x%llx", i,
			    (unsigned long long)event_log.e[i].vector,
			    (unsigned long long)event_log.e[i].error,
			    (unsigned long long)event_log.e[i].cr2);
	report_fail(check,
		    "%s with the stack unmapped: %u event(s), expected one "
		    "#PF (the CPU had accepted the %s)",
		    what, event_log.count, what);
}

static void check_accepted_events(void)
{
	unsigned failed_before;

	cli();
	wrmsr(X2APIC_SELF, VEC_SELF_IPI);
	events_clear_log();
	event_fix_sp = GOOD_STACK_TOP;
	ev_run(BAD_STACK, OP_STI_WINDOW);
	bool in_service = self_ipi_in_service();
	wrmsr(X2APIC_EOI, 0);
	failed_before = event_log.count;
	expect_pf_only("interrupt-then-pf-is-pf", "self IPI");
	if (failed_before == 1 && event_log.e[0].vector == VEC_PF) {
		if (in_service)
			report_pass("interrupt-then-pf-is-pf");
		else
			report_fail("interrupt-then-pf-is-pf",
				    "the IPI's vector is not in service: it "
				    "was not accepted, or was delivered");
	}

	events_clear_log();
	event_fix_sp = GOOD_STACK_TOP;
	ev_run(BAD_STACK, OP_SELF_NMI);
	failed_before = event_log.count;
	expect_pf_only("nmi-then-pf-is-pf", "NMI");
	/* The #PF handler's IRET ended the NMI blocking: a second NMI, on
	 * a good stack, arrives. */
	events_clear_log();
	ev_run(GOOD_STACK_TOP, OP_SELF_NMI);
	if (failed_before == 1 && event_log.count == 1 &&
	    event_log.e[0].vector == VEC_NMI)
		report_pass("nmi-then-pf-is-pf");
	else if (failed_before == 1)
		report_fail("nmi-then-pf-is-pf",
			    "a later NMI: %u event(s), first vector %llu",
			    event_log.count,
			    (unsigned long long)event_log.e[0].vector);
}

void check_benign_first(void)
{
	events_clear_log();
	event_fix_sp = GOOD_STACK_TOP;
	ev_run(BAD_STACK, OP_INT3);
	expect_pf_then("bp-then-pf-is-pf", VEC_BP, "INT3");

	events_clear_log();
	event_fix_sp = GOOD_STACK_TOP;
	ev_run(BAD_STACK, OP_INT_SOFT);
	expect_pf_then("int-n-then-pf-is-pf", VEC_SOFT, "INT 0x80");

	if (!events_x2apic()) {
		report_skip("interrupt-then-pf-is-pf", "no x2APIC");
		report_skip("nmi-then-pf-is-pf", "no x2APIC");
		return;
	}
	check_accepted_events();
}
