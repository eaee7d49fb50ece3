/* SPDX-License-Identifier: MIT */
/*
 * The cost table. Published figures in nanoseconds are converted at
 * 2.5 GHz, the clock of the machine the exit figure was measured on;
 * that conversion makes them estimates in cycles. COSTS.md gives every
 * source and the reasoning behind every estimate.
 */
#include "costs.h"

#define GHZ 2.5

const struct bench_cost_figure bench_costs[BENCH_NR_COSTS] = {
	[BENCH_COST_EXIT] = { "exit", 1150,
			      "PVM (SOSP'23) Table 1: KVM hypercall 0.46 us "
			      "on a 2.5 GHz Cascade Lake",
			      false },
	[BENCH_COST_INVLPG] = { "invlpg", 350,
				"as INVPCID type 0 (Hansen, LKML 2017-12-05)",
				true },
	[BENCH_COST_INVPCID_ADDR] = { "invpcid-addr", 350,
				      "D. Hansen, LKML 2017-12-05: ~350 "
				      "cycles per page under PTI, Skylake",
				      false },
	[BENCH_COST_INVPCID_SINGLE] = { "invpcid-single", 376 * GHZ,
					"as INVPCID type 2 (Linux "
					"d8bced79af1d)",
					true },
	[BENCH_COST_INVPCID_ALL_GLOBAL] = { "invpcid-all-global", 376 * GHZ,
					    "Linux commit d8bced79af1d: 376 "
					    "ns on Skylake, at 2.5 GHz",
					    true },
	[BENCH_COST_INVPCID_ALL] = { "invpcid-all", 376 * GHZ,
				     "as INVPCID type 2 (Linux d8bced79af1d)",
				     true },
	[BENCH_COST_INVVPID_ADDR] = { "invvpid-addr", 350,
				      "as INVPCID type 0 (Hansen, LKML "
				      "2017-12-05)",
				      true },
	[BENCH_COST_INVVPID_SINGLE] = { "invvpid-single", 376 * GHZ,
					"as INVPCID type 2 (Linux "
					"d8bced79af1d)",
					true },
	[BENCH_COST_INVVPID_ALL] = { "invvpid-all", 376 * GHZ,
				     "as INVPCID type 2 (Linux d8bced79af1d)",
				     true },
	[BENCH_COST_CR3_LOAD] = { "cr3-load", 200,
				  "no published figure: a serialising "
				  "control-register write",
				  true },
	[BENCH_COST_IPI] = { "ipi", 775 * GHZ,
			     "N. Amit, flush-concurrency RFC: 1436 - 661 ns "
			     "per remote target, Haswell, at 2.5 GHz",
			     true },
	[BENCH_COST_ASSISTED] = { "assisted", 1150,
				  "one hypercall round trip (PVM Table 1); "
				  "the L0's own work is not known",
				  true },
	[BENCH_COST_REFILL_TLB] = { "refill-tlb", 40,
				    "no published figure: one page walk "
				    "whose upper levels hit the caches",
				    true },
	[BENCH_COST_REFILL_PSC] = { "refill-psc", 15,
				    "no published figure: one cached "
				    "memory read",
				    true },
};

static double cost(enum bench_cost c)
{
	return bench_costs[c].cycles;
}

double bench_modelled_cycles(const struct bench_result *r)
{
	/* A host flush of a scope, as the instruction a VMX host uses. */
	static const enum bench_cost host_flush[BENCH_NR_SCOPES] = {
		[BENCH_SCOPE_ADDR] = BENCH_COST_INVVPID_ADDR,
		[BENCH_SCOPE_PCID] = BENCH_COST_INVPCID_SINGLE,
		[BENCH_SCOPE_VCPU] = BENCH_COST_INVVPID_SINGLE,
		[BENCH_SCOPE_ALL] = BENCH_COST_INVVPID_ALL,
	};
	double c = (double)bench_exits(r) * cost(BENCH_COST_EXIT);
	for (int s = 0; s < BENCH_NR_SCOPES; s++)
		c += (double)bench_flushes(r, s, -1) * cost(host_flush[s]);
	c += (double)r->ipis * cost(BENCH_COST_IPI);
	c += (double)r->assisted_requests * cost(BENCH_COST_ASSISTED);
	c += (double)r->collateral_tlb * cost(BENCH_COST_REFILL_TLB);
	c += (double)r->collateral_psc * cost(BENCH_COST_REFILL_PSC);
	return c;
}

double bench_native_cycles(const struct bench_result *r)
{
	/* The guest's own invalidation of a scope. */
	static const enum bench_cost native[BENCH_NR_SCOPES] = {
		[BENCH_SCOPE_ADDR] = BENCH_COST_INVLPG,
		[BENCH_SCOPE_PCID] = BENCH_COST_INVPCID_SINGLE,
		[BENCH_SCOPE_VCPU] = BENCH_COST_INVPCID_ALL,
		[BENCH_SCOPE_ALL] = BENCH_COST_INVPCID_ALL_GLOBAL,
	};
	double c = (double)(r->cr3_flush + r->cr3_noflush) *
		   cost(BENCH_COST_CR3_LOAD);
	for (int s = 0; s < BENCH_NR_SCOPES; s++)
		c += (double)r->required[s] * cost(native[s]);
	return c;
}
