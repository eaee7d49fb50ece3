/* SPDX-License-Identifier: MIT */
/* struct smmu_vcpu: one virtual CPU's view of guest paging. */
#ifndef SMMU_VCPU_H
#define SMMU_VCPU_H

#include "lock_check.h"
#include "flush.h"
#include "gwalk.h"
#include "roots.h"
#include "vm.h"

struct smmu_vcpu {
	struct smmu_vm *vm;
	uint32_t id;
	struct smmu_vcpu *next; /* in vm->vcpus */
	struct smmu_paging_regs regs;
	struct gw_mmu mmu; /* derived from regs by vcpu_regs_changed() */
	/* Shadow paging: the root the vCPU runs on (NULL: load one at the
	 * next entry), its cached roots and hardware PCIDs, and the local
	 * flushes its next entry asks for. */
	struct sp *root;
	struct vcpu_roots roots;
	struct flush_queue flushes;
	/* The flush engine (flush.c) reads these from other CPUs: where the
	 * vCPU runs, whether it is in guest mode, and what it owes at its
	 * next entry. Atomic. */
	struct vcpu_placement place;
	/* Counters of this vCPU's calls (stats.h). */
	struct shadow_stats stats;
	/* Objects for the shadow pages its faults and entries build. */
	struct obj_cache cache;
};

/* Take the MMU lock for a call that may build shadow pages: the vCPU's
 * object cache is filled first, and the layers below take from it while
 * the lock is held. */
static inline void vcpu_lock(struct smmu_vcpu *vcpu)
{
	struct smmu_vm *vm = vcpu->vm;
	obj_cache_topup(vm, &vcpu->cache);
	vm_lock(vm);
	vm->shadow.cache = &vcpu->cache;
}

static inline void vcpu_unlock(struct smmu_vcpu *vcpu)
{
	struct smmu_vm *vm = vcpu->vm;
	vm->shadow.cache = 0;
	vm_unlock(vm);
}

/* Recompute everything derived from the paging registers. */
void vcpu_regs_changed(struct smmu_vcpu *vcpu);

/* Is the vCPU in IA-32e mode (4- or 5-level paging)? */
static inline bool vcpu_ia32e(const struct smmu_vcpu *vcpu)
{
	return vcpu->mmu.desc->ia32e;
}

#endif
