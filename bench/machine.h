/* SPDX-License-Identifier: MIT */
/*
 * The simulated machine of one run and what is counted on it: shared by
 * run.c (the MMU-op wrappers: exits, entries, the native floor, library
 * time) and tlb_account.c (the TLB observer: hardware flushes and what
 * they drop).
 */
#ifndef SMMU_BENCH_MACHINE_H
#define SMMU_BENCH_MACHINE_H

#include "metrics.h"
#include "sim.h"

/* Where a vCPU's thread is, for telling flushes apart. */
enum bench_phase {
	BENCH_IN_GUEST,	  /* running guest code, or the sim's own work */
	BENCH_IN_ENTRY,	  /* in smmu_vcpu_enter (and its host side) */
	BENCH_IN_HANDLER, /* in another library entry point */
};

/* Per vCPU: touched by its own thread only, summed after the run. */
struct bench_vcpu_acct {
	enum bench_phase phase;
	uint64_t exits[BENCH_NR_EXITS];
	uint64_t entries, cr3_flush, cr3_noflush;
	uint64_t required[BENCH_NR_SCOPES];
	uint64_t root_switches, roots_rebuilt, last_root;
	struct u64map roots; /* guest root -> shadow root hpa | pool gen */
	uint64_t lib_ns;
};

/* Per simulated CPU: the observer of its TLB. */
struct bench_cpu_acct {
	struct bench_machine *m;
	struct sim_cpu *cpu;
	struct hw_tlb_observer obs;
	bool counting; /* the flush in progress belongs to the run */
};

struct bench_machine {
	struct sim sim;
	struct sim_mmu_ops ops; /* lib_mmu_ops, wrapped */
	struct bench_vcpu_acct vcpu[SIM_MAX_CPUS];
	struct bench_cpu_acct cpu[SIM_MAX_CPUS];
	/* Bumped by any CPU's thread (atomically). */
	uint64_t flushes[BENCH_NR_SCOPES][BENCH_NR_WHERE];
	uint64_t dropped, dropped_invalidated, dropped_stale;
	uint64_t collateral_tlb, collateral_psc;
};

/* Watch every TLB of m / stop. */
void bench_tlb_account_attach(struct bench_machine *m);
void bench_tlb_account_detach(struct bench_machine *m);

#endif
