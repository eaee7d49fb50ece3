/* SPDX-License-Identifier: MIT */
/* struct smmu_vcpu: one virtual CPU's view of guest paging. */
#ifndef SMMU_VCPU_H
#define SMMU_VCPU_H

#include "gwalk.h"
#include "vm.h"

struct smmu_vcpu {
	struct smmu_vm *vm;
	uint32_t id;
	struct smmu_vcpu *next; /* in vm->vcpus */
	struct smmu_paging_regs regs;
	struct gw_mmu mmu; /* derived from regs by vcpu_regs_changed() */
	struct shadow_vcpu shadow;
};

/* Recompute everything derived from the paging registers. */
void vcpu_regs_changed(struct smmu_vcpu *vcpu);

#endif
