/* SPDX-License-Identifier: MIT */
/*
 * smmu-bench's accounting on guests small enough that every count is
 * known, with the library as it is (libshadowmmu/roots.c, pcid.c,
 * invalidate.c, flush.c) on a host that does every flush it names
 * (SMMU_HOST_ALL): each cached root runs under a hardware PCID of its
 * own (root cache slot i under PCID i + 1), a guest invalidation becomes
 * a flush of its own scope at the next VM entry, and a switch to a
 * cached root nothing changed flushes nothing. When the library's
 * flushing changes, the counts here change with it, reasoned out anew.
 *
 * Also: the host's remote flushes by IPI and by assisted flush, a
 * fault-injection knob that the oracle must report, runs that count
 * the same however often they are repeated, and the cost model adding up
 * its own table.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "costs.h"
#include "guest.h"
#include "run.h"
#include "workload.h"

#define PAGE X86_PAGE_SIZE

static struct bench_run_config config(void)
{
	return (struct bench_run_config){ .policy = &bench_policies[0],
					  .oracle = true,
					  .seed = 1,
					  .report_max = 3 };
}

static void run(const struct bench_trace *t, const struct bench_run_config *c,
		struct bench_result *r)
{
	char err[256];
	cr_assert_eq(bench_run(t, c, r, err, sizeof(err)), 0, "%s", err);
}

/* Two address spaces mapping BG_USER to their own frames; vCPU 0 starts
 * in A and has run in both (each root built) before three more switches
 * A, B, A. With pcid the spaces are PCIDs 1 and 2 and the three switches
 * use NOFLUSH; without, CR4.PCIDE is clear. */
static void two_spaces(struct bench_trace *t, bool pcid)
{
	struct bench_guest g;
	bench_trace_init(t);
	bench_guest_init(&g, t, 1, true);
	uint64_t a = bench_guest_space(&g, BG_SPACE_FULL);
	uint64_t b = bench_guest_space(&g, BG_SPACE_FULL);
	bench_guest_map(&g, a, BG_USER, bench_guest_frame(&g), BG_USER_RW);
	bench_guest_map(&g, b, BG_USER, bench_guest_frame(&g), BG_USER_RW);
	uint64_t cr3a = a | (pcid ? 1 : 0), cr3b = b | (pcid ? 2 : 0);
	uint64_t nofl = pcid ? X86_CR3_NOFLUSH : 0;
	bench_guest_start(&g, 0, cr3a, pcid, true);
	bench_guest_go(&g, 0);
	bench_guest_read(&g, 0, BG_USER, SMMU_ACCESS_USER);
	bench_guest_cr3(&g, 0, cr3b); /* B's first use: no NOFLUSH */
	bench_guest_read(&g, 0, BG_USER, SMMU_ACCESS_USER);
	for (unsigned i = 0; i < 3; i++) {
		bench_guest_cr3(&g, 0, (i & 1 ? cr3b : cr3a) | nofl);
		bench_guest_read(&g, 0, BG_USER, SMMU_ACCESS_USER);
	}
	bench_guest_fini(&g);
}

Test(bench_metrics, three_switches_between_two_cached_roots)
{
	struct bench_trace t;
	struct bench_result r;
	struct bench_run_config c = config();
	two_spaces(&t, true);
	run(&t, &c, &r);
	cr_assert_eq(r.violations, 0);
	cr_expect_eq(r.ops, 9);
	/* The registers set at reset flush everything (one INVVPID single
	 * context at the first entry); B's first load without NOFLUSH
	 * flushes its own PCID (INVPCID single context). The three NOFLUSH
	 * switches between the two cached roots flush nothing. */
	cr_expect_eq(r.flushes[BENCH_SCOPE_VCPU][BENCH_AT_ENTRY], 1);
	cr_expect_eq(r.flushes[BENCH_SCOPE_PCID][BENCH_AT_ENTRY], 1);
	cr_expect_eq(bench_flushes(&r, -1, -1), 2);
	cr_expect_eq(r.exits[BENCH_EXIT_CR], 4);
	/* One fault fills each space's path; after that each root's
	 * translations wait under its own PCID. */
	cr_expect_eq(r.exits[BENCH_EXIT_PF_FIXED], 2);
	cr_expect_eq(bench_exits(&r), 6);
	cr_expect_eq(r.root_switches, 4);
	cr_expect_eq(r.roots_rebuilt, 0);
	/* Natively too only B's first load flushes (its PCID, not A's). */
	cr_expect_eq(r.required[BENCH_SCOPE_PCID], 1);
	cr_expect_eq(bench_required(&r), 1);
	cr_expect_eq(r.cr3_flush, 1);
	cr_expect_eq(r.cr3_noflush, 3);
	/* Each flush found its PCID empty: nothing dropped, no collateral
	 * (before PCIDs per root, each switch dropped the other space's
	 * translation and three paging-structure entries: 16). */
	cr_expect_eq(r.dropped, 0);
	cr_expect_eq(bench_collateral(&r), 0);
	bench_trace_fini(&t);
}

Test(bench_metrics, switches_without_pcid_drop_only_what_the_guest_flushed)
{
	struct bench_trace t;
	struct bench_result r;
	struct bench_run_config c = config();
	two_spaces(&t, false);
	run(&t, &c, &r);
	cr_assert_eq(r.violations, 0);
	/* Without CR4.PCIDE every MOV CR3 flushes PCID 000H natively: all
	 * four. The library owes it to every cached root of that PCID,
	 * each flushed (its hardware PCID) when it runs next: B at its
	 * first entry (empty), then A, B, A with the 4 entries each had. */
	cr_expect_eq(r.required[BENCH_SCOPE_PCID], 4);
	cr_expect_eq(r.cr3_flush, 4);
	cr_expect_eq(r.flushes[BENCH_SCOPE_VCPU][BENCH_AT_ENTRY], 1);
	cr_expect_eq(r.flushes[BENCH_SCOPE_PCID][BENCH_AT_ENTRY], 4);
	cr_expect_eq(bench_flushes(&r, -1, -1), 5);
	cr_expect_eq(r.dropped, 12);
	cr_expect_eq(r.dropped_invalidated, 12);
	cr_expect_eq(bench_collateral(&r), 0);
	bench_trace_fini(&t);
}

Test(bench_metrics, invlpg_flushes_its_address_and_spares_the_neighbour)
{
	struct bench_trace t;
	struct bench_result r;
	struct bench_run_config c = config();
	struct bench_guest g;
	bench_trace_init(&t);
	bench_guest_init(&g, &t, 1, true);
	uint64_t s = bench_guest_space(&g, BG_SPACE_FULL);
	bench_guest_map(&g, s, BG_USER, bench_guest_frame(&g), BG_USER_RW);
	bench_guest_map(&g, s, BG_USER + PAGE, bench_guest_frame(&g),
			BG_USER_RW);
	bench_guest_start(&g, 0, s | 1, true, true);
	bench_guest_go(&g, 0);
	bench_guest_read(&g, 0, BG_USER, SMMU_ACCESS_USER);
	bench_guest_read(&g, 0, BG_USER + PAGE, SMMU_ACCESS_USER);
	bench_guest_invlpg(&g, 0, BG_USER);
	bench_guest_read(&g, 0, BG_USER + PAGE, SMMU_ACCESS_USER);
	bench_guest_fini(&g);
	run(&t, &c, &r);
	cr_assert_eq(r.violations, 0);
	cr_expect_eq(r.exits[BENCH_EXIT_INVLPG], 1);
	cr_expect_eq(r.required[BENCH_SCOPE_ADDR], 1);
	cr_expect_eq(bench_required(&r), 1);
	/* The reset's flush, then the INVLPG's own: one address in every
	 * PCID (INVVPID individual address). */
	cr_expect_eq(r.flushes[BENCH_SCOPE_VCPU][BENCH_AT_ENTRY], 1);
	cr_expect_eq(r.flushes[BENCH_SCOPE_ADDR][BENCH_AT_ENTRY], 1);
	cr_expect_eq(bench_flushes(&r, -1, -1), 2);
	/* It drops the page's translation and the three paging-structure
	 * entries on its path, all of which the guest's INVLPG invalidated
	 * (it empties the PCID's paging-structure caches, SDM 4.10.4.1);
	 * the neighbour's translation stays and the last read hits it. */
	cr_expect_eq(r.dropped, 4);
	cr_expect_eq(r.dropped_invalidated, 4);
	cr_expect_eq(bench_collateral(&r), 0);
	cr_expect_eq(r.exits[BENCH_EXIT_PF_FIXED], 2);
	bench_trace_fini(&t);
}

/* One cached root besides the current one: a third address space takes
 * over the first one's slot, and the hardware PCID that slot runs under
 * still holds the first space's translations. */
static const struct bench_policy one_cached_root = {
	.name = "one-cached-root", .vm = { .cached_roots = 1 }, .remote = -1
};

Test(bench_metrics, a_pcid_taken_over_drops_valid_entries_as_collateral)
{
	struct bench_trace t;
	struct bench_result r;
	struct bench_run_config c = config();
	struct bench_guest g;
	uint64_t space[3];
	c.policy = &one_cached_root;
	bench_trace_init(&t);
	bench_guest_init(&g, &t, 1, true);
	for (unsigned i = 0; i < 3; i++) {
		space[i] = bench_guest_space(&g, BG_SPACE_FULL);
		bench_guest_map(&g, space[i], BG_USER, bench_guest_frame(&g),
				BG_USER_RW);
	}
	bench_guest_start(&g, 0, space[0] | 1, true, true);
	bench_guest_go(&g, 0);
	bench_guest_read(&g, 0, BG_USER, SMMU_ACCESS_USER);
	for (unsigned i = 1; i < 3; i++) {
		bench_guest_cr3(&g, 0, space[i] | (i + 1));
		bench_guest_read(&g, 0, BG_USER, SMMU_ACCESS_USER);
	}
	bench_guest_fini(&g);
	run(&t, &c, &r);
	cr_assert_eq(r.violations, 0);
	/* The reset's flush; B's first load flushes its PCID (empty); C's
	 * first load takes over A's slot, whose PCID holds A's translation
	 * and three paging-structure entries: one flush of it, for C's
	 * sake and because A's root left them there. */
	cr_expect_eq(r.flushes[BENCH_SCOPE_VCPU][BENCH_AT_ENTRY], 1);
	cr_expect_eq(r.flushes[BENCH_SCOPE_PCID][BENCH_AT_ENTRY], 2);
	cr_expect_eq(r.required[BENCH_SCOPE_PCID], 2);
	/* A's entries were valid (its root is still in the cache, and its
	 * shadows give them) and A's PCID was never flushed by the guest:
	 * a native CPU, with PCIDs to spare, would have kept them. */
	cr_expect_eq(r.dropped, 4);
	cr_expect_eq(r.collateral_tlb, 1);
	cr_expect_eq(r.collateral_psc, 3);
	cr_expect_eq(r.dropped_invalidated, 0);
	bench_trace_fini(&t);
}

/* Two vCPUs in a pool too small for their working set: the library
 * evicts all the time, and every eviction makes every vCPU flush. */
static void evicting_pair(struct bench_trace *t)
{
	struct bench_spec spec;
	char err[256];
	cr_assert_eq(bench_spec_parse("pressure:vcpus=2:tables=32:rounds=150:"
				      "pool=16",
				      1.0, &spec, err, sizeof(err)),
		     0, "%s", err);
	bench_trace_init(t);
	cr_assert_eq(bench_spec_trace(&spec, 3, t, err, sizeof(err)), 0, "%s",
		     err);
}

/* A host that offers the flush engine nothing (no smmu_vcpu_load, no
 * kick_cpus or assisted_flush): every remote request is flush_all_cpus,
 * which flushes the caller's CPU and sends the other CPU an IPI or an
 * assisted flush. */
static const struct bench_policy no_engine = { .name = "no-engine",
					       .remote = -1,
					       .no_flush_engine = true };

Test(bench_metrics, flushes_of_every_cpu_by_ipi_are_counted_on_both_cpus)
{
	struct bench_trace t;
	struct bench_result r;
	struct bench_run_config c = config();
	c.policy = &no_engine;
	evicting_pair(&t);
	run(&t, &c, &r);
	cr_assert_eq(r.violations, 0);
	cr_assert_gt(r.sp_evicted, 0);
	cr_assert_gt(r.remote_requests, 0);
	/* Each request: the caller's own TLB in its exit handler, one IPI
	 * to the other CPU, which flushes there and leaves the guest. */
	cr_expect_eq(r.ipi_requests, r.remote_requests);
	cr_expect_eq(r.ipis, r.ipi_requests);
	cr_expect_eq(r.flushes[BENCH_SCOPE_ALL][BENCH_IN_EXIT],
		     r.remote_requests);
	cr_expect_eq(r.flushes[BENCH_SCOPE_ALL][BENCH_BY_IPI], r.ipis);
	cr_expect_eq(r.exits[BENCH_EXIT_INTERRUPT], r.ipis);
	cr_expect_eq(bench_flushes(&r, -1, BENCH_BY_ASSISTED), 0);
	cr_expect_eq(r.assisted + r.assisted_requests, 0);
	bench_trace_fini(&t);
}

Test(bench_metrics, flushes_of_every_cpu_by_assisted_flush_interrupt_nobody)
{
	struct bench_trace t;
	struct bench_result r;
	struct bench_run_config c = config();
	c.policy = &no_engine;
	c.remote = BENCH_REMOTE_ASSISTED;
	evicting_pair(&t);
	run(&t, &c, &r);
	cr_assert_eq(r.violations, 0);
	cr_assert_gt(r.remote_requests, 0);
	cr_expect_eq(r.assisted_requests, r.remote_requests);
	cr_expect_eq(r.assisted, r.assisted_requests);
	cr_expect_eq(r.flushes[BENCH_SCOPE_ALL][BENCH_IN_EXIT],
		     r.remote_requests);
	cr_expect_eq(r.flushes[BENCH_SCOPE_ALL][BENCH_BY_ASSISTED], r.assisted);
	cr_expect_eq(r.ipis + r.ipi_requests, 0);
	cr_expect_eq(r.exits[BENCH_EXIT_INTERRUPT], 0);
	cr_expect_eq(bench_flushes(&r, -1, BENCH_BY_IPI), 0);
	bench_trace_fini(&t);
}

/* With the flush engine (the default policy's host): a vCPU in guest
 * mode is kicked and flushes at its next entry, one that is not is left
 * the flush for its entry; the host's IPIs are the library's kicks. */
Test(bench_metrics, the_flush_engine_kicks_and_the_kicked_flush_at_entry)
{
	struct bench_trace t;
	struct bench_result r;
	struct bench_run_config c = config();
	evicting_pair(&t);
	run(&t, &c, &r);
	cr_assert_eq(r.violations, 0);
	cr_assert_gt(r.kicks, 0);
	/* The requester is in an exit (its fault), never among the CPUs
	 * kicked: the host sends an IPI to each of them. */
	cr_expect_eq(r.ipi_requests, r.kicks);
	cr_expect_eq(r.ipis, r.kicked_cpus);
	cr_expect_eq(r.exits[BENCH_EXIT_INTERRUPT], r.ipis);
	/* A kick flushes nothing where it lands, nor does the requester:
	 * every flush runs at a VM entry. */
	cr_expect_eq(bench_flushes(&r, -1, BENCH_BY_IPI), 0);
	cr_expect_eq(bench_flushes(&r, -1, BENCH_IN_EXIT), 0);
	cr_expect_eq(bench_flushes(&r, -1, BENCH_AT_ENTRY),
		     bench_flushes(&r, -1, -1));
	cr_expect_gt(r.remote_deferred, 0);
	bench_trace_fini(&t);
}

Test(bench_metrics, the_flush_engine_flushes_running_vcpus_in_place_if_assisted)
{
	struct bench_trace t;
	struct bench_result r;
	struct bench_run_config c = config();
	c.remote = BENCH_REMOTE_ASSISTED;
	evicting_pair(&t);
	run(&t, &c, &r);
	cr_assert_eq(r.violations, 0);
	cr_assert_gt(r.engine_assisted, 0);
	/* As above, the requester's own CPU is never among them. */
	cr_expect_eq(r.assisted_requests, r.engine_assisted);
	cr_expect_eq(r.assisted, r.engine_assisted_cpus);
	cr_expect_eq(r.flushes[BENCH_SCOPE_ALL][BENCH_BY_ASSISTED], r.assisted);
	/* Requests that change a vCPU's state still kick it. */
	cr_expect_eq(r.ipis, r.kicked_cpus);
	cr_expect_eq(bench_flushes(&r, -1, BENCH_BY_IPI), 0);
	bench_trace_fini(&t);
}

/* More processes than the vCPU caches roots: slots, and the hardware
 * PCIDs they run under, go from one process's root to another's. */
static void ctxsw_trace(struct bench_trace *t)
{
	struct bench_spec spec;
	char err[256];
	cr_assert_eq(bench_spec_parse("ctxsw:noflush:procs=16:rounds=2", 1.0,
				      &spec, err, sizeof(err)),
		     0, "%s", err);
	bench_trace_init(t);
	cr_assert_eq(bench_spec_trace(&spec, 1, t, err, sizeof(err)), 0, "%s",
		     err);
}

Test(bench_metrics, a_library_bug_built_in_is_reported_as_violations)
{
	struct bench_trace t;
	struct bench_result clean, buggy;
	struct bench_run_config c = config();
	FILE *quiet = fopen("/dev/null", "w");
	ctxsw_trace(&t);
	run(&t, &c, &clean);
	cr_expect_eq(clean.violations, 0);
	/* XSA-294's class: a root that takes over a hardware PCID keeps
	 * the translations another process's root left there, and the
	 * processes map the same addresses to other frames. */
	c.inject = SMMU_INJECT_NO_FLUSH_ON_NEW_ROOT;
	c.report = quiet;
	run(&t, &c, &buggy);
	cr_expect_gt(buggy.violations, 0);
	cr_expect_lt(bench_flushes(&buggy, -1, -1),
		     bench_flushes(&clean, -1, -1));
	fclose(quiet);
	bench_trace_fini(&t);
}

static void expect_same_counts(struct bench_result a, struct bench_result b,
			       const char *what)
{
	a.lib_ns = b.lib_ns = 0;
	a.oracle = b.oracle;
	cr_expect_eq(memcmp(&a, &b, sizeof(a)), 0, "%s", what);
}

Test(bench_metrics, several_vcpus_count_the_same_every_time, .timeout = 60)
{
	struct bench_trace t;
	struct bench_spec spec;
	struct bench_result first, again, unchecked;
	struct bench_run_config c = config();
	char err[256];
	cr_assert_eq(bench_spec_parse("shootdown:vcpus=4:rounds=6", 1.0, &spec,
				      err, sizeof(err)),
		     0);
	bench_trace_init(&t);
	cr_assert_eq(bench_spec_trace(&spec, 5, &t, err, sizeof(err)), 0);
	run(&t, &c, &first);
	cr_assert_eq(first.violations, 0);
	cr_assert_gt(first.guest_shootdowns, 0);
	for (unsigned i = 0; i < 3; i++) {
		run(&t, &c, &again);
		expect_same_counts(first, again, "a repeated run");
	}
	/* The oracle watches; it does not change what the library does. */
	c.oracle = false;
	run(&t, &c, &unchecked);
	expect_same_counts(first, unchecked, "the run without the oracle");
	bench_trace_fini(&t);
}

Test(bench_metrics, modelled_cycles_add_up_the_cost_table)
{
	struct bench_result r = { .ops = 10 };
	r.exits[BENCH_EXIT_CR] = 2;
	r.exits[BENCH_EXIT_INTERRUPT] = 1;
	r.flushes[BENCH_SCOPE_VCPU][BENCH_AT_ENTRY] = 3;
	r.flushes[BENCH_SCOPE_ADDR][BENCH_BY_IPI] = 1;
	r.ipis = 1;
	r.assisted_requests = 2;
	r.collateral_tlb = 5;
	r.collateral_psc = 7;
	r.required[BENCH_SCOPE_ADDR] = 4;
	r.required[BENCH_SCOPE_ALL] = 1;
	r.cr3_noflush = 6;
	const struct bench_cost_figure *k = bench_costs;
	double host = 3 * k[BENCH_COST_EXIT].cycles +
		      3 * k[BENCH_COST_INVVPID_SINGLE].cycles +
		      k[BENCH_COST_INVVPID_ADDR].cycles +
		      k[BENCH_COST_IPI].cycles +
		      2 * k[BENCH_COST_ASSISTED].cycles +
		      5 * k[BENCH_COST_REFILL_TLB].cycles +
		      7 * k[BENCH_COST_REFILL_PSC].cycles;
	double native = 4 * k[BENCH_COST_INVLPG].cycles +
			k[BENCH_COST_INVPCID_ALL_GLOBAL].cycles +
			6 * k[BENCH_COST_CR3_LOAD].cycles;
	cr_expect_float_eq(bench_modelled_cycles(&r), host, 1e-9);
	cr_expect_float_eq(bench_native_cycles(&r), native, 1e-9);
}

/* COSTS.md must cite every figure the model uses, with its value. */
Test(bench_metrics, every_cost_figure_is_in_costs_md)
{
	FILE *in = fopen(BENCH_COSTS_MD, "r");
	cr_assert_not_null(in, "cannot read %s", BENCH_COSTS_MD);
	static char doc[1 << 16];
	size_t n = fread(doc, 1, sizeof(doc) - 1, in);
	doc[n] = 0;
	fclose(in);
	for (unsigned i = 0; i < BENCH_NR_COSTS; i++) {
		char row[96];
		snprintf(row, sizeof(row), "| `%s` | %.0f |",
			 bench_costs[i].name, bench_costs[i].cycles);
		cr_expect(strstr(doc, row) != NULL,
			  "COSTS.md has no row starting '%s'", row);
	}
}
