/* SPDX-License-Identifier: MIT */
/*
 * One seeded random guest (adapters/posix/workload*.c) run on the
 * simulated machine under a chosen shadow MMU: the random-run helper of
 * the oracle's and the library core's tests.
 */
#ifndef SMMU_TEST_RANDOM_GUEST_H
#define SMMU_TEST_RANDOM_GUEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

#include "sim.h"

struct random_guest {
	const struct sim_mmu_ops *mmu; /* NULL: the naive shadow MMU */
	enum smmu_paging_mode mode;
	unsigned vcpus, pcpus, ops;
	unsigned spaces;       /* 0: the workload's default */
	unsigned pcids;	       /* PCIDs the spaces share (0: one each) */
	unsigned tlb_capacity; /* 0: never evict */
	uint32_t pool_pages;   /* 0: 4096 */
	uint64_t seed;	       /* 0: 1 */
	uint32_t inject;       /* the MMU's fault-injection knobs */
	/* lib: smmu_vm_config.cached_roots (0: default) and host_caps
	 * (0: SMMU_HOST_ALL; SIM_HOST_NO_CAPS: none). */
	uint8_t cached_roots;
	uint32_t host_caps;
	enum smmu_policy_preset policy; /* lib: the flush policy */
	bool no_flush_engine;		/* lib: flush_all_cpus only */
	bool slow_readers; /* lib: lock-free walks yield inside their
			      RCU section */
	bool assisted;	   /* remote flushes by assisted flush */
	bool host_4k_only; /* lib: guest RAM not offered as 2 MiB blocks */
	bool careless;	   /* no invalidation after page-table changes */
	bool no_pcid;
	bool rights;  /* SMEP, SMAP, PKE, CR0.WP and EFER.NXE toggles on */
	bool toggles; /* those, and CR4.PCIDE and CR0.PG toggles too */
	FILE *report; /* if set: every violation is printed there */
	/* If set: the mix of operations (enum workload_op weights),
	 * WL_NR_OPS of them. */
	const unsigned *weights;
	/* If set: called after the run, before the machine is torn down
	 * (to read the MMU's counters). */
	void (*inspect)(struct sim *s, void *arg);
	void *inspect_arg;
};

/* The violations of the run, shadow pages the MMU leaked included.
 * Without knobs the first three are printed in full. */
uint64_t random_guest_run(const struct random_guest *r);

#endif
