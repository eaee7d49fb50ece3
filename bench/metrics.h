/* SPDX-License-Identifier: MIT */
/*
 * What one run measured (struct bench_result), and the sums the tables
 * and the cost model derive from it. README.md (smmu-bench) says what
 * each metric means.
 */
#ifndef SMMU_BENCH_METRICS_H
#define SMMU_BENCH_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"
#include "workload.h"

/* The scope of a flush: one address; one PCID (a context); every
 * translation of a vCPU (natively: of the CPU, globals kept); everything,
 * globals included (on the host: every vCPU on the CPU). */
enum bench_scope {
	BENCH_SCOPE_ADDR,
	BENCH_SCOPE_PCID,
	BENCH_SCOPE_VCPU,
	BENCH_SCOPE_ALL,
	BENCH_NR_SCOPES,
};
extern const char *const bench_scope_names[BENCH_NR_SCOPES];

/* Where a hardware flush ran: on the vCPU's own CPU at VM entry (a
 * flush the library deferred to entry), on its own CPU inside an exit
 * handler, or on another CPU by IPI or by assisted flush. */
enum bench_where {
	BENCH_AT_ENTRY,
	BENCH_IN_EXIT,
	BENCH_BY_IPI,
	BENCH_BY_ASSISTED,
	BENCH_NR_WHERE,
};
extern const char *const bench_where_names[BENCH_NR_WHERE];

/* VM exits, by what the host did with them. */
enum bench_exit {
	BENCH_EXIT_PF_FIXED,	/* #PF: the shadow was filled */
	BENCH_EXIT_PF_INJECTED, /* #PF: the guest takes it */
	BENCH_EXIT_PF_EMULATED, /* #PF: a store to a guarded table */
	BENCH_EXIT_PF_ERROR,	/* #PF: the library failed it */
	BENCH_EXIT_CR,		/* MOV to CR0/CR3/CR4, WRMSR EFER */
	BENCH_EXIT_INVLPG,
	BENCH_EXIT_INVPCID,
	BENCH_EXIT_PV_FLUSH,  /* the guest's "flush my TLB" hypercall */
	BENCH_EXIT_INTERRUPT, /* a flush IPI taken by a running vCPU */
	BENCH_NR_EXITS,
};
extern const char *const bench_exit_names[BENCH_NR_EXITS];

struct bench_result {
	char workload[BENCH_LABEL_LEN];
	const char *policy;
	enum bench_remote remote;
	bool oracle; /* checked by the oracle (else timed) */
	unsigned vcpus;

	/* The guest. required: the flushes a native CPU would do for the
	 * same guest (its own invalidations, by scope). */
	uint64_t ops, accesses, stores, pt_stores, guest_shootdowns;
	uint64_t cr3_flush, cr3_noflush; /* its MOV CR3s, by whether they
					    flush natively */
	uint64_t required[BENCH_NR_SCOPES];

	/* The host. */
	uint64_t exits[BENCH_NR_EXITS];
	uint64_t entries;
	uint64_t flushes[BENCH_NR_SCOPES][BENCH_NR_WHERE];
	uint64_t ipis, ipi_requests;	      /* per target / per sender */
	uint64_t assisted, assisted_requests; /* the same */

	/* The library (smmu_stats and the roots it returned). */
	uint64_t sp_built, sp_zapped, sp_synced, sp_evicted;
	uint64_t emulated_writes, root_switches, roots_rebuilt;
	/* Its flush engine: remote requests, the vCPUs they reached, of
	 * which deferred to their next entry and skipped (TLB clock); the
	 * kick_cpus and assisted_flush calls it made, and their CPUs. */
	uint64_t remote_requests, remote_targets, remote_deferred;
	uint64_t remote_skipped, kicks, kicked_cpus;
	uint64_t engine_assisted, engine_assisted_cpus;

	/* The hardware TLBs: entries hardware flushes dropped, split by
	 * whether the guest had invalidated them (invalidated), whether the
	 * shadow tables no longer gave them (stale), or neither
	 * (collateral: translations and paging-structure entries). */
	uint64_t dropped, dropped_invalidated, dropped_stale;
	uint64_t collateral_tlb, collateral_psc;
	uint64_t tlb_walks;

	uint64_t violations;
	uint64_t lib_ns; /* time inside the library's entry points */
};

/* Sums: a where or scope of -1 means all of them. */
uint64_t bench_flushes(const struct bench_result *r, int scope, int where);
uint64_t bench_required(const struct bench_result *r);
uint64_t bench_exits(const struct bench_result *r);
uint64_t bench_collateral(const struct bench_result *r);
/* n per guest operation. */
double bench_per_op(const struct bench_result *r, uint64_t n);

#endif
