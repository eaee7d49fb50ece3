/* SPDX-License-Identifier: MIT */
#include "lock_check.h"
#include "vm.h"

#include "vcpu.h"

/* Which control bits each paging feature owns. */
static const struct {
	uint32_t feature;
	uint64_t cr4, efer;
} feature_bits[] = {
	{ SMMU_CPU_PSE, X86_CR4_PSE, 0 },   { SMMU_CPU_PAE, X86_CR4_PAE, 0 },
	{ SMMU_CPU_PGE, X86_CR4_PGE, 0 },   { SMMU_CPU_PCID, X86_CR4_PCIDE, 0 },
	{ SMMU_CPU_SMEP, X86_CR4_SMEP, 0 }, { SMMU_CPU_SMAP, X86_CR4_SMAP, 0 },
	{ SMMU_CPU_PKU, X86_CR4_PKE, 0 },   { SMMU_CPU_LA57, X86_CR4_LA57, 0 },
	{ SMMU_CPU_NX, 0, X86_EFER_NXE },   { SMMU_CPU_LM, 0, X86_EFER_LME },
};

static void set_cpu_features(struct gw_features *f, uint32_t cpu)
{
	f->cpu = cpu;
	for (unsigned i = 0; i < sizeof(feature_bits) / sizeof(feature_bits[0]);
	     i++) {
		if (cpu & feature_bits[i].feature)
			continue;
		f->cr4_reserved |= feature_bits[i].cr4;
		f->efer_reserved |= feature_bits[i].efer;
	}
}

enum smmu_status smmu_policy_preset(enum smmu_policy_preset preset,
				    struct smmu_policy *out)
{
	if (!out)
		return SMMU_EINVAL;
	switch (preset) {
	case SMMU_POLICY_PRECISE:
		*out = (struct smmu_policy){
			.cached_roots = SMMU_CACHED_ROOTS_DEFAULT,
			.hw_pcids = true,
			.honour_noflush = true,
			.defer_idle = true,
			.use_assisted = true,
			.tlb_clock = true,
		};
		return SMMU_OK;
	case SMMU_POLICY_KVM:
		/* KVM_MMU_NUM_PREV_ROOTS is 3; kvm_mmu_unload on the PV
		 * flush (its fix for seed 004); roots freed on a PCIDE change
		 * (seed 001's fix); kvm_make_all_cpus_request kicks vCPUs in
		 * guest mode and leaves the others a request. */
		*out = (struct smmu_policy){
			.cached_roots = 3,
			.hw_pcids = true,
			.honour_noflush = true,
			.unload_on_pv_flush = true,
			.drop_roots_on_pcide = true,
			.defer_idle = true,
		};
		return SMMU_OK;
	case SMMU_POLICY_CONSERVATIVE:
		/* Xen's shadow mode: NOFLUSH ignored since XSA-292/294, no
		 * hardware PCIDs, FLUSH_FORCE_IPI for page-table frees (its
		 * fix for seed 003), flushes to the domain's whole dirty
		 * CPU mask; the assisted flush of e9aca9470ed86 otherwise. */
		*out = (struct smmu_policy){
			.use_assisted = true,
			.ipi_for_frees = true,
			.whole_vm = true,
		};
		return SMMU_OK;
	}
	return SMMU_EINVAL;
}

static const char *config_error(const struct smmu_vm_config *config,
				const struct smmu_host_ops *ops)
{
	if (!ops->alloc || !ops->free || !ops->read_gpa || !ops->cmpxchg_gpa)
		return "smmu_vm_create: host ops alloc, free, read_gpa and "
		       "cmpxchg_gpa are required";
	if (!ops->rcu_read_enter != !ops->rcu_read_exit)
		return "smmu_vm_create: rcu_read_enter and rcu_read_exit come "
		       "together";
	int shadow = !!ops->alloc_page + !!ops->free_page + !!ops->write_gpa +
		     !!ops->gfn_to_hpa + !!ops->lock + !!ops->unlock +
		     !!ops->flush_all_cpus + !!ops->defer_free;
	if (shadow != 0 && shadow != 8)
		return "smmu_vm_create: the shadow-paging host ops come all "
		       "together or not at all";
	/* 36 is the architectural minimum with PAE; 32 is allowed for old
	 * 32-bit-only guests. 52 is the architectural maximum. */
	if (config->maxphyaddr < 32 || config->maxphyaddr > 52)
		return "smmu_vm_create: maxphyaddr must be 32..52";
	if (config->cpu_features & ~SMMU_CPU_ALL)
		return "smmu_vm_create: unknown SMMU_CPU_* feature bits";
	if (config->cached_roots > SMMU_CACHED_ROOTS_MAX ||
	    (config->policy_knobs &&
	     config->policy_knobs->cached_roots > SMMU_CACHED_ROOTS_MAX))
		return "smmu_vm_create: cached_roots must be at most "
		       "SMMU_CACHED_ROOTS_MAX";
	struct smmu_policy unused;
	if (smmu_policy_preset(config->policy, &unused) != SMMU_OK)
		return "smmu_vm_create: unknown policy preset";
	if (config->host_caps & ~SMMU_HOST_ALL)
		return "smmu_vm_create: unknown SMMU_HOST_* bits";
	unsigned w = config->prefetch_window;
	if (w > 512 || (w & (w - 1)))
		return "smmu_vm_create: prefetch_window must be 0 or a power "
		       "of two up to 512";
	return 0;
}

enum smmu_status smmu_vm_create(const struct smmu_vm_config *config,
				const struct smmu_host_ops *ops, void *host,
				struct smmu_vm **vm_out)
{
	if (!vm_out)
		return SMMU_EINVAL;
	*vm_out = 0;
	if (!config || !ops)
		return SMMU_EINVAL;
	const char *err = config_error(config, ops);
	if (err) {
		if (ops->log)
			ops->log(host, SMMU_LOG_ERROR, err);
		return SMMU_EINVAL;
	}
	struct smmu_vm *vm = ops->alloc(host, sizeof(*vm));
	if (!vm)
		return SMMU_ENOMEM;
	vm->ops = ops;
	vm->host = host;
	vm->shadow_ops = ops->alloc_page != 0;
	vm->shadow.unpin_cached_roots = roots_unpin_cached;
	vm->inject = config->inject;
	if (config->policy_knobs)
		vm->policy = *config->policy_knobs;
	else
		smmu_policy_preset(config->policy, &vm->policy);
	if (config->cached_roots)
		vm->policy.cached_roots = config->cached_roots;
	vm->host_caps = config->host_caps;
	vm->prefetch_window = config->prefetch_window ? config->prefetch_window
						      : SMMU_PREFETCH_DEFAULT;
	vm->unsync_quiet_syncs = config->unsync_quiet_syncs
					 ? config->unsync_quiet_syncs
					 : SMMU_UNSYNC_QUIET_DEFAULT;
	vm->unsync_after_stores = config->unsync_after_stores
					  ? config->unsync_after_stores
					  : SMMU_UNSYNC_AFTER_DEFAULT;
	vm->features.maxphyaddr = config->maxphyaddr;
	vm->features.gbpages = config->gbpages;
	set_cpu_features(&vm->features, config->cpu_features
						? config->cpu_features
						: SMMU_CPU_ALL);
	*vm_out = vm;
	return SMMU_OK;
}

enum smmu_status smmu_vm_destroy(struct smmu_vm *vm)
{
	if (!vm)
		return SMMU_EINVAL;
	if (vm->vcpus) {
		smmu_log(vm, SMMU_LOG_ERROR,
			 "smmu_vm_destroy: the VM still has vCPUs");
		return SMMU_EBUSY;
	}
	/* Their callbacks free through the VM (sp_evict.c). */
	if (__atomic_load_n(&vm->shadow.frees_pending, __ATOMIC_ACQUIRE)) {
		smmu_log(vm, SMMU_LOG_ERROR,
			 "smmu_vm_destroy: shadow pages still wait for their "
			 "defer_free callback; run them, then destroy");
		return SMMU_EBUSY;
	}
	rmap_destroy(vm);
	sp_cache_destroy(vm);
	if (vm->dirty.bits)
		vm->ops->free(vm->host, vm->dirty.bits,
			      (size_t)((vm->dirty.count + 63) / 64 * 8));
	vm->ops->free(vm->host, vm, sizeof(*vm));
	return SMMU_OK;
}

enum smmu_status smmu_vm_get_stats(const struct smmu_vm *vm,
				   struct smmu_stats *out)
{
	if (!vm || !out)
		return SMMU_EINVAL;
	struct shadow_stats sum = { 0 };
	/* The lock keeps the vCPU list still (smmu_vcpu_create, _destroy)
	 * and the VM's counters' writer out; the vCPUs' own counters are
	 * read as they run. */
	struct smmu_vm *locked = (struct smmu_vm *)vm;
	if (vm->shadow_ops)
		vm_lock(locked);
	stats_accumulate(&sum, &vm->shadow.stats);
	for (const struct smmu_vcpu *v = vm->vcpus; v; v = v->next)
		stats_accumulate(&sum, &v->stats);
	if (vm->shadow_ops)
		vm_unlock(locked);
	*out = (struct smmu_stats){
		.sp_created = sum.sp_created,
		.sp_evicted = sum.evictions,
		.sp_lookups = sum.sp_lookups,
		.sp_hits = sum.sp_hits,
		.sp_chain_steps = sum.sp_chain_steps,
		.write_protects = sum.write_protects,
		.faults_fixed = sum.faults_fixed,
		.faults_injected = sum.faults_injected,
		.faults_emulated = sum.faults_emulated,
		.emulated_writes = sum.emulated_writes,
		.sptes_zapped = sum.sptes_zapped,
		.walk_races = sum.walk_races,
		.unshadowed = sum.unshadowed,
		.sp_zapped = sum.sp_zapped,
		.sp_unsynced = sum.sp_unsynced,
		.sp_synced = sum.sp_synced,
		.sp_unsync_checks = sum.sp_unsync_checks,
		.prefetched = sum.prefetched,
		.large_sptes = sum.large_sptes,
		.root_loads = sum.root_loads,
		.root_cache_hits = sum.root_cache_hits,
		.roots_built = sum.roots_built,
		.noflush_honoured = sum.noflush_honoured,
		.remote_flushes = __atomic_load_n(&vm->shadow.remote_flushes,
						  __ATOMIC_RELAXED),
		.remote_requests = sum.remote_requests,
		.remote_targets = sum.remote_targets,
		.remote_deferred = sum.remote_deferred,
		.remote_skipped = sum.remote_skipped,
		.kicks = sum.kicks,
		.kicked_cpus = sum.kicked_cpus,
		.assisted = sum.assisted,
		.assisted_cpus = sum.assisted_cpus,
		.faults_spurious = sum.faults_spurious,
		.sync_skipped = sum.sync_skipped,
		.faults_lockfree = sum.faults_lockfree,
	};
	for (unsigned i = 0; i <= SMMU_FLUSH_VCPU_ALL; i++)
		out->flushes[i] = sum.flushes[i];
	return SMMU_OK;
}
