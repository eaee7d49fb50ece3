/* SPDX-License-Identifier: MIT */
/*
 * Statistics without locked instructions. Each set of counters has one
 * writer at a time: the VM's set (shadow_vm.stats) the MMU lock's holder,
 * a vCPU's set (smmu_vcpu.stats) the calls made for that vCPU, which the
 * host never runs concurrently. So a bump is a plain load and store —
 * relaxed atomics, which compile to ordinary moves, only so that
 * smmu_vm_get_stats may read them from another CPU meanwhile — and no
 * cache line is written by two CPUs: vCPUs faulting side by side share
 * nothing here. smmu_vm_get_stats adds the sets up.
 */
#ifndef SMMU_STATS_H
#define SMMU_STATS_H

#include <shadowmmu/shadowmmu.h>

/* Every field a uint64_t: the sets are added up field by field. */
struct shadow_stats {
	uint64_t sp_created, sp_lookups, sp_hits, sp_chain_steps;
	uint64_t write_protects, faults_fixed, faults_injected;
	uint64_t faults_emulated, emulated_writes, sptes_zapped;
	uint64_t walk_races, evictions, unshadowed;
	uint64_t sp_zapped, sp_unsynced, sp_synced, sp_unsync_checks;
	uint64_t prefetched, large_sptes;
	uint64_t root_loads, root_cache_hits, roots_built;
	uint64_t noflush_honoured;
	uint64_t flushes[SMMU_FLUSH_VCPU_ALL + 1];
	uint64_t remote_requests, remote_targets, remote_deferred;
	uint64_t remote_skipped, kicks, kicked_cpus, assisted;
	uint64_t assisted_cpus, faults_spurious, sync_skipped, faults_lockfree;
};

static inline void stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter,
			 __atomic_load_n(counter, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

/* `to` += `from`, field by field (relaxed loads of `from`). */
static inline void stats_accumulate(struct shadow_stats *to,
				    const struct shadow_stats *from)
{
	uint64_t *t = (uint64_t *)to;
	const uint64_t *f = (const uint64_t *)from;
	for (unsigned i = 0; i < sizeof(*to) / sizeof(uint64_t); i++)
		t[i] += __atomic_load_n(&f[i], __ATOMIC_RELAXED);
}

/* The VM's counters: MMU lock held. */
#define SHADOW_STAT_ADD(vm, field, n) stat_add(&(vm)->shadow.stats.field, (n))
#define SHADOW_STAT(vm, field)	      SHADOW_STAT_ADD(vm, field, 1)
/* The vCPU's counters: on a call made for that vCPU, lock or not. */
#define VCPU_STAT_ADD(vcpu, field, n) stat_add(&(vcpu)->stats.field, (n))
#define VCPU_STAT(vcpu, field)	      VCPU_STAT_ADD(vcpu, field, 1)

#endif
