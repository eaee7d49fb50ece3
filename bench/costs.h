/* SPDX-License-Identifier: MIT */
/*
 * The cost model: a cycle figure per event, each with its source
 * (COSTS.md cites and explains every one; estimates are marked), and the
 * modelled cycles of a run from its counts. Counts are exact and
 * reproducible; the figures are other machines' measurements or
 * estimates, so modelled cycles compare policies, not hosts.
 */
#ifndef SMMU_BENCH_COSTS_H
#define SMMU_BENCH_COSTS_H

#include "metrics.h"

enum bench_cost {
	BENCH_COST_EXIT,	       /* VM exit + entry round trip */
	BENCH_COST_INVLPG,	       /* INVLPG */
	BENCH_COST_INVPCID_ADDR,       /* INVPCID type 0 */
	BENCH_COST_INVPCID_SINGLE,     /* INVPCID type 1 */
	BENCH_COST_INVPCID_ALL_GLOBAL, /* INVPCID type 2 */
	BENCH_COST_INVPCID_ALL,	       /* INVPCID type 3 */
	BENCH_COST_INVVPID_ADDR,       /* INVVPID individual address */
	BENCH_COST_INVVPID_SINGLE,     /* INVVPID single context */
	BENCH_COST_INVVPID_ALL,	       /* INVVPID all contexts */
	BENCH_COST_CR3_LOAD,   /* MOV CR3 with NOFLUSH: the load alone */
	BENCH_COST_IPI,	       /* one shootdown target, send + receive */
	BENCH_COST_ASSISTED,   /* one assisted-flush hypercall */
	BENCH_COST_REFILL_TLB, /* a translation walked again */
	BENCH_COST_REFILL_PSC, /* a paging-structure entry read again */
	BENCH_NR_COSTS,
};

struct bench_cost_figure {
	const char *name; /* as in COSTS.md and `smmu-bench costs` */
	double cycles;
	const char *source;
	bool estimate;
};

extern const struct bench_cost_figure bench_costs[BENCH_NR_COSTS];

/* What the run cost the host in flush-related work: exits, hardware
 * flushes, IPIs and hypercalls, and refilling the collateral entries. */
double bench_modelled_cycles(const struct bench_result *r);
/* The native floor: the guest's own invalidations and CR3 loads on a
 * CPU without virtualization. */
double bench_native_cycles(const struct bench_result *r);

#endif
