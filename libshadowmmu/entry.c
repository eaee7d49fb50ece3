/* SPDX-License-Identifier: MIT */
/*
 * VM entry: what remote requests left for the vCPU, the root it runs on
 * (loaded, synced as owed), the hardware PCID and registers it runs with,
 * and the local flushes its entry needs (roots.h, flush.h). The vCPU is
 * in guest mode from here until smmu_vcpu_exit.
 */
#include "lock_check.h"
#include "vcpu.h"

enum smmu_status smmu_vcpu_enter(struct smmu_vcpu *vcpu, struct smmu_entry *out)
{
	if (!vcpu || !out)
		return SMMU_EINVAL;
	struct smmu_vm *vm = vcpu->vm;
	struct vcpu_roots *r = &vcpu->roots;
	if (!vm->shadow_ops) {
		smmu_log(vm, SMMU_LOG_ERROR,
			 "smmu_vcpu_enter: the host has no shadow-paging ops");
		return SMMU_EINVAL;
	}
	if (__atomic_load_n(&vcpu->place.cpu, __ATOMIC_ACQUIRE) < 0 &&
	    !__atomic_load_n(&vm->placement_unknown, __ATOMIC_ACQUIRE))
		__atomic_store_n(&vm->placement_unknown, 1, __ATOMIC_RELEASE);
	struct sp *root;
	bool clean = true;
	do {
		/* What remote requests left for this entry (flush.c). */
		uint32_t owed = flush_take_pending(vcpu);
		if ((owed & PENDING_RELOAD) && vcpu->root) {
			vm_lock(vm);
			roots_release(vcpu);
			vm_unlock(vm);
		}
		if (owed & PENDING_FLUSH)
			pcid_flush_vcpu(vcpu, true);
		root = vcpu->root;
		if (roots_owe_sync(vcpu) || !root) {
			/* Under the lock: a root links to shared shadow
			 * pages. */
			vcpu_lock(vcpu);
			vm->alloc_failed = false;
			root = roots_load(vcpu);
			bool no_memory = !root && vm->alloc_failed;
			vcpu_unlock(vcpu);
			if (no_memory) {
				smmu_log(vm, SMMU_LOG_ERROR,
					 "smmu_vcpu_enter: the host's alloc "
					 "failed: no memory for a shadow "
					 "page's bookkeeping");
				return SMMU_ENOMEM;
			}
			if (!root)
				return SMMU_ENOSPC;
		}
		clean &= pcid_prepare(vcpu, r->cur, root);
	} while (!flush_entering(vcpu));
	int32_t cpu = __atomic_load_n(&vcpu->place.cpu, __ATOMIC_ACQUIRE);
	if (cpu >= 0)
		vcpu->place.last_cpu = cpu;
	if (r->noflush_switch && clean)
		VCPU_STAT(vcpu, noflush_honoured);
	r->noflush_switch = false;

	bool ia32e = r->cur >= 0;
	uint16_t pcid = pcid_of_slot(vcpu, r->cur);
	/* Field by field: the flush array is filled only as far as
	 * nr_flushes says (zeroing all of it was most of an entry's cost). */
	out->cr3 = root->hpa | pcid;
	out->la57 = root->role.level == 5;
	out->pae = root->pae_root;
	out->pcide = ia32e && (vm->host_caps & SMMU_HOST_PCID);
	out->pge = ia32e && (vcpu->regs.cr4 & X86_CR4_PGE);
	out->noflush = !flush_queued_covers_pcid(vcpu, pcid);
	flush_take(vcpu, out);
	return SMMU_OK;
}
