/* SPDX-License-Identifier: MIT */
/*
 * VM entry: the root the vCPU runs on (loaded, synced as owed), the
 * hardware PCID and registers it runs with, and the local flushes its
 * entry needs (roots.h, flush.h).
 */
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
	struct sp *root = vcpu->root;
	if (!root || (r->cur >= 0 && r->slot[r->cur].need_sync)) {
		/* Under the lock: a root links to shared shadow pages. */
		vm->ops->lock(vm->host);
		root = roots_load(vcpu);
		vm->ops->unlock(vm->host);
		if (!root)
			return SMMU_ENOSPC;
	}
	bool clean = pcid_prepare(vcpu, r->cur, root);
	if (r->noflush_switch && clean)
		SHADOW_STAT(vm, noflush_honoured);
	r->noflush_switch = false;

	bool ia32e = r->cur >= 0;
	uint16_t pcid = pcid_of_slot(vcpu, r->cur);
	*out = (struct smmu_entry){
		.cr3 = root->hpa | pcid,
		.la57 = root->role.level == 5,
		.pae = root->pae_root,
		.pcide = ia32e && (vm->host_caps & SMMU_HOST_PCID),
		.pge = ia32e && (vcpu->regs.cr4 & X86_CR4_PGE),
		.noflush = !flush_queued_covers_pcid(vcpu, pcid),
	};
	flush_take(vcpu, out);
	return SMMU_OK;
}
