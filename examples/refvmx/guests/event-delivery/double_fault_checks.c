/* SPDX-License-Identifier: MIT */
/*
 * The double-fault rules (SDM vol. 3A, 6.15, table 6-5) where the second
 * exception is a #PF, which is what a shadow-paging hypervisor raises
 * itself: a #PF while delivering a contributory exception (#NP, #GP) is
 * delivered as a #PF; a #PF while delivering a #PF is a #DF. And RF:
 * the RFLAGS image of every fault has RF set, a trap's has not
 * (SDM 18.3.1.1), whoever raised it.
 */
#include "cpu.h"
#include "events.h"
#include "report.h"

#define BAD_STACK (ABSENT_PAGE + 0x1000)

static bool in_absent_page(uint64_t cr2)
{
	return cr2 >= ABSENT_PAGE && cr2 < ABSENT_PAGE + 0x1000;
}

/* The log must be exactly one #PF from a push onto the absent stack. */
static void expect_one_stack_pf(const char *check, const char *first)
{
	const struct event_log_entry *e = &event_log.e[0];
	if (event_log.count == 1 && e->vector == VEC_PF &&
	    e->error == PFERR_W && in_absent_page(e->cr2) &&
	    (e->rflags & EFLAGS_RF)) {
		report_pass(check);
		return;
	}
	report_fail(check,
		    "delivering %s onto an unmapped stack: %u event(s), "
		    "first vector %llu error 0x%llx CR2 0x%llx RFLAGS 0x%llx "
		    "(expected one #PF, error 0x2, RF set)",
		    first, event_log.count, (unsigned long long)e->vector,
		    (unsigned long long)e->error, (unsigned long long)e->cr2,
		    (unsigned long long)e->rflags);
}

static void check_contributory_then_pf(void)
{
	events_clear_log();
	ev_run(BAD_STACK, OP_INT_ABSENT);
	expect_one_stack_pf("np-then-pf-is-pf", "#NP (INT through a "
						"not-present gate)");
	events_clear_log();
	ev_run(BAD_STACK, OP_NONCANONICAL);
	expect_one_stack_pf("gp-then-pf-is-pf", "#GP (a non-canonical "
						"load)");
}

static void check_pf_then_pf(void)
{
	/* #PF on the broken stack this time; #DF on its own (IST 2). */
	events_set_ist(VEC_PF, 0);
	events_clear_log();
	event_target = ABSENT_PAGE2;
	ev_run(BAD_STACK, OP_LOAD);
	events_set_ist(VEC_PF, 1);
	const struct event_log_entry *e = &event_log.e[0];
	if (event_log.count == 1 && e->vector == VEC_DF && e->error == 0)
		report_pass("pf-then-pf-is-df");
	else
		report_fail("pf-then-pf-is-df",
			    "%u event(s), first vector %llu error 0x%llx "
			    "(expected one #DF, error 0)",
			    event_log.count, (unsigned long long)e->vector,
			    (unsigned long long)e->error);
}

/* Faults a hypervisor injects (the #PF of a guest mapping, the #GP of an
 * MSR the CPU lacks) carry RF like the CPU's own; a trap does not. */
static void check_rf(void)
{
	events_clear_log();
	event_target = ABSENT_PAGE2;
	ev_run(GOOD_STACK_TOP, OP_LOAD);
	const struct event_log_entry *pf = &event_log.e[0];
	bool pf_ok = event_log.count == 1 && pf->vector == VEC_PF &&
		     pf->error == 0 && pf->cr2 == ABSENT_PAGE2 &&
		     (pf->rflags & EFLAGS_RF);
	events_clear_log();
	ev_run(GOOD_STACK_TOP, OP_WRMSR_ABSENT);
	const struct event_log_entry *gp = &event_log.e[0];
	bool gp_ok = event_log.count == 1 && gp->vector == VEC_GP &&
		     gp->error == 0 && (gp->rflags & EFLAGS_RF);
	if (pf_ok && gp_ok)
		report_pass("rf-on-faults");
	else
		report_fail("rf-on-faults",
			    "#PF: vector %llu error 0x%llx CR2 0x%llx RFLAGS "
			    "0x%llx; #GP: vector %llu RFLAGS 0x%llx",
			    (unsigned long long)pf->vector,
			    (unsigned long long)pf->error,
			    (unsigned long long)pf->cr2,
			    (unsigned long long)pf->rflags,
			    (unsigned long long)gp->vector,
			    (unsigned long long)gp->rflags);
	events_clear_log();
	ev_run(GOOD_STACK_TOP, OP_INT3);
	const struct event_log_entry *bp = &event_log.e[0];
	if (event_log.count == 1 && bp->vector == VEC_BP &&
	    !(bp->rflags & EFLAGS_RF))
		report_pass("no-rf-on-traps");
	else
		report_fail("no-rf-on-traps",
			    "INT3: %u event(s), vector %llu RFLAGS 0x%llx",
			    event_log.count, (unsigned long long)bp->vector,
			    (unsigned long long)bp->rflags);
}

void check_double_faults(void)
{
	check_contributory_then_pf();
	check_pf_then_pf();
	check_rf();
}
