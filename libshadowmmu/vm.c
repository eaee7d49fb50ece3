/* SPDX-License-Identifier: MIT */
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

static uint64_t read_stat(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

enum smmu_status smmu_vm_get_stats(const struct smmu_vm *vm,
				   struct smmu_stats *out)
{
	if (!vm || !out)
		return SMMU_EINVAL;
	const struct shadow_vm *sh = &vm->shadow;
	out->sp_created = read_stat(&sh->stats.sp_created);
	out->sp_evicted = read_stat(&sh->stats.evictions);
	out->sp_lookups = read_stat(&sh->stats.sp_lookups);
	out->sp_hits = read_stat(&sh->stats.sp_hits);
	out->sp_chain_steps = read_stat(&sh->stats.sp_chain_steps);
	out->write_protects = read_stat(&sh->stats.write_protects);
	out->faults_fixed = read_stat(&sh->stats.faults_fixed);
	out->faults_injected = read_stat(&sh->stats.faults_injected);
	out->faults_emulated = read_stat(&sh->stats.faults_emulated);
	out->emulated_writes = read_stat(&sh->stats.emulated_writes);
	out->sptes_zapped = read_stat(&sh->stats.sptes_zapped);
	out->walk_races = read_stat(&sh->stats.walk_races);
	out->unshadowed = read_stat(&sh->stats.unshadowed);
	out->sp_zapped = read_stat(&sh->stats.sp_zapped);
	out->sp_unsynced = read_stat(&sh->stats.sp_unsynced);
	out->sp_synced = read_stat(&sh->stats.sp_synced);
	out->sp_unsync_checks = read_stat(&sh->stats.sp_unsync_checks);
	out->prefetched = read_stat(&sh->stats.prefetched);
	out->large_sptes = read_stat(&sh->stats.large_sptes);
	out->root_loads = read_stat(&sh->stats.root_loads);
	out->root_cache_hits = read_stat(&sh->stats.root_cache_hits);
	out->roots_built = read_stat(&sh->stats.roots_built);
	out->noflush_honoured = read_stat(&sh->stats.noflush_honoured);
	for (unsigned i = 0; i <= SMMU_FLUSH_VCPU_ALL; i++)
		out->flushes[i] = read_stat(&sh->stats.flushes[i]);
	out->remote_flushes = read_stat(&sh->remote_flushes);
	out->remote_requests = read_stat(&sh->stats.remote_requests);
	out->remote_targets = read_stat(&sh->stats.remote_targets);
	out->remote_deferred = read_stat(&sh->stats.remote_deferred);
	out->remote_skipped = read_stat(&sh->stats.remote_skipped);
	out->kicks = read_stat(&sh->stats.kicks);
	out->kicked_cpus = read_stat(&sh->stats.kicked_cpus);
	out->assisted = read_stat(&sh->stats.assisted);
	out->assisted_cpus = read_stat(&sh->stats.assisted_cpus);
	out->faults_spurious = read_stat(&sh->stats.faults_spurious);
	return SMMU_OK;
}
