/* SPDX-License-Identifier: MIT */
/*
 * Prefetch: when a fault fills a leaf spte, fill its neighbours in the
 * same aligned block of `prefetch_window` sptes too, so that a guest
 * touching consecutive pages takes one exit instead of one per page.
 *
 * A prefetched spte must be one the hardware could have cached itself,
 * without the guest's help: a neighbour in a guest page table is taken
 * only if its entry is present, has no reserved bit set and already has
 * A set. Prefetch never sets A or D (SDM 4.8: the CPU sets them when it
 * uses an entry; a translation built from a clean entry would let the
 * guest use it with A still clear). It is writable only if D is set, as
 * on the fault path. A neighbour inside a guest large page (a direct
 * page) has the large page's rights, and its A and D, already.
 */
#include "lock_check.h"
#include "sync.h"
#include "vcpu.h"

/* Install spte `index` of level-1 page sp mapping gfn; false if the
 * frame is not RAM or the reverse map is out of memory. */
static bool fill(struct smmu_vm *vm, struct sp *sp, unsigned index,
		 uint64_t gfn, uint8_t rights, bool dirty, uint8_t pkey,
		 bool global)
{
	uint64_t hpa;
	if (vm->ops->gfn_to_hpa(vm->host, gfn, &hpa) != SMMU_GPA_OK)
		return false; /* MMIO: the host emulates it on a fault */
	bool writable = dirty && sp_gfn_state(vm, gfn) != GFN_SYNC &&
			dirty_log_may_write(vm, gfn);
	uint64_t spte = leaf_spte(hpa, rights, writable, pkey, global);
	sp_take_slot(vm, sp, index);
	if (!rmap_add(vm, sp, index, gfn)) {
		sp_release_slot(sp, index);
		return false;
	}
	sp_set_leaf(sp, index, spte);
	SHADOW_STAT(vm, prefetched);
	return true;
}

/* A neighbour under a guest page table: from its guest entry. */
static void prefetch_from_guest(struct smmu_vcpu *vcpu, struct sp *sp,
				unsigned index)
{
	struct smmu_vm *vm = vcpu->vm;
	const struct gw_mmu *mmu = &vcpu->mmu;
	unsigned size;
	uint64_t gpa = sp_gpte_gpa(sp, index, &size), pte = 0;
	if (vm->ops->read_gpa(vm->host, gpa, &pte, size) != SMMU_GPA_OK)
		return;
	uint64_t needed = X86_PTE_P | X86_PTE_A;
	if (bug_planted(vm, SMMU_INJECT_PREFETCH_UNACCESSED))
		needed = X86_PTE_P;
	if ((pte & needed) != needed || (pte & mmu->level[1].rsvd))
		return;
	uint64_t addr = size == 4 ? pte & 0xfffff000u : pte & SPTE_ADDR;
	uint8_t rights = sp->role.access & gw_entry_rights(mmu, pte);
	uint8_t pkey = gw_leaf_pkey(mmu, pte);
	if (fill(vm, sp, index, addr >> X86_PAGE_SHIFT, rights, pte & X86_PTE_D,
		 pkey, pte & X86_PTE_G) &&
	    sp->gpte)
		sp->gpte[index] = pte; /* what a sync compares */
}

void sp_prefetch(struct smmu_vcpu *vcpu, struct sp *sp, unsigned index)
{
	MMU_LOCK_HELD(vcpu->vm);
	struct smmu_vm *vm = vcpu->vm;
	unsigned window = vm->prefetch_window;
	unsigned first = index & ~(window - 1);
	for (unsigned i = first; i < first + window; i++) {
		if (i == index ||
		    (__atomic_load_n(&sp->spt[i], __ATOMIC_ACQUIRE) &
		     X86_PTE_P))
			continue;
		if (sp->role.direct)
			/* The direct page's access holds W only once the
			 * guest's large page is dirty. */
			fill(vm, sp, i, sp->gfn + i, sp->role.access, true,
			     (uint8_t)sp->role.pkey, sp->role.global);
		else
			prefetch_from_guest(vcpu, sp, i);
	}
}
