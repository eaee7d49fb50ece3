/* SPDX-License-Identifier: MIT */
/*
 * VM entry and guest invalidations. A guest invalidation syncs the
 * out-of-sync tables it covers (sp_unsync.c) right away, under the MMU
 * lock, and asks for the hardware flush at the next entry: the flush can
 * never come before the sync (shared/seeds 004). Every root of a vCPU
 * runs under one hardware tag for now, so every root change and every
 * invalidation flushes all of that vCPU's translations: over-flushing,
 * which is always correct; per-root PCIDs come with the PCID work.
 */
#include "shadow.h"
#include "vcpu.h"

static union sp_role root_role(const struct gw_mmu *mmu, uint64_t *gfn)
{
	union sp_role role = { .access = SMMU_RIGHT_W | SMMU_RIGHT_U |
					 SMMU_RIGHT_X,
			       .nxe = mmu->nxe };
	int levels = mmu->desc->levels;
	if (levels == 0) {
		/* Paging off: guest-physical memory, identity-mapped. */
		role.level = 4;
		role.direct = 1;
		*gfn = 0;
	} else {
		role.level = (uint32_t)levels;
		role.guest_levels = (uint32_t)levels;
		*gfn = mmu->root >> X86_PAGE_SHIFT;
	}
	return role;
}

/* One private page above a PAE or 32-bit guest's top level, kept for
 * the vCPU's life. */
static bool upper_page(struct smmu_vcpu *vcpu, struct sp *sp, unsigned level,
		       unsigned guest_levels)
{
	const struct smmu_host_ops *ops = vcpu->vm->ops;
	if (!sp->child) {
		sp->child =
			ops->alloc(vcpu->vm->host, 512 * sizeof(struct sp *));
		if (!sp->child)
			return false;
	}
	if (!sp->spt) {
		void *hva;
		if (!sp_alloc_page(vcpu->vm, &sp->hpa, &hva))
			return false;
		sp->spt = hva;
	}
	/* Its links to cached directories go: they lose this parent. */
	for (unsigned i = 0; i < 512; i++)
		if (sp->child[i])
			sp_unlink(vcpu->vm, sp, i);
	for (unsigned w = 0; w < 512 / 64; w++)
		sp->unsync_children[w] = 0;
	sp->role = (union sp_role){ .level = level,
				    .guest_levels = guest_levels,
				    .access = SMMU_RIGHT_W | SMMU_RIGHT_U |
					      SMMU_RIGHT_X };
	for (unsigned i = 0; i < 512; i++)
		__atomic_store_n(&sp->spt[i], 0, __ATOMIC_RELEASE);
	return true;
}

/* The root of a PAE or 32-bit guest: the vCPU's PML4, whose entry 0 is
 * its PDPT; the PDPT's four entries link on demand to shadows of the
 * guest's directories (from the PDPTE registers, or quarters of the one
 * 32-bit directory). Nothing else walks these pages, and the hardware
 * drops what it cached of their old contents at this entry (a new root
 * flushes). */
static struct sp *private_root(struct smmu_vcpu *vcpu, unsigned guest_levels)
{
	struct shadow_vcpu *sh = &vcpu->shadow;
	if (!upper_page(vcpu, &sh->upper_pml4, 4, guest_levels) ||
	    !upper_page(vcpu, &sh->upper_pdpt, 3, guest_levels))
		return 0;
	/* Linked like any page, so that out-of-sync pages below are found
	 * from the root. */
	if (!sp_link(vcpu->vm, &sh->upper_pml4, 0, &sh->upper_pdpt))
		return 0;
	__atomic_store_n(&sh->upper_pml4.spt[0],
			 sh->upper_pdpt.hpa | SPTE_TABLE, __ATOMIC_RELEASE);
	return &sh->upper_pml4;
}

void shadow_vcpu_destroy(struct smmu_vcpu *vcpu)
{
	struct smmu_vm *vm = vcpu->vm;
	struct sp *upper[2] = { &vcpu->shadow.upper_pml4,
				&vcpu->shadow.upper_pdpt };
	vm->ops->lock(vm->host);
	shadow_vcpu_drop_root(vcpu);
	for (int i = 0; i < 2; i++) {
		for (unsigned k = 0; upper[i]->child && k < 512; k++)
			if (upper[i]->child[k])
				sp_unlink(vm, upper[i], k);
		if (upper[i]->child)
			vm->ops->free(vm->host, upper[i]->child,
				      512 * sizeof(struct sp *));
		if (upper[i]->spt)
			vm->ops->free_page(vm->host, upper[i]->hpa,
					   upper[i]->spt);
	}
	vm->ops->unlock(vm->host);
}

/* The vCPU stops running on its root (MMU lock held). */
void shadow_vcpu_drop_root(struct smmu_vcpu *vcpu)
{
	struct sp *root = vcpu->shadow.root;
	vcpu->shadow.root = 0;
	if (root && root->in_cache)
		sp_root_put(vcpu->vm, root);
}

enum smmu_status smmu_vcpu_enter(struct smmu_vcpu *vcpu, struct smmu_entry *out)
{
	if (!vcpu || !out)
		return SMMU_EINVAL;
	struct smmu_vm *vm = vcpu->vm;
	if (!vm->shadow_ops) {
		smmu_log(vm, SMMU_LOG_ERROR,
			 "smmu_vcpu_enter: the host has no shadow-paging ops");
		return SMMU_EINVAL;
	}
	enum smmu_paging_mode mode = vcpu->mmu.desc->mode;
	if (!vcpu->shadow.root) {
		/* Under the lock: a root links to shared shadow pages, and
		 * rebuilding one unlinks it from them. */
		vm->ops->lock(vm->host);
		if (mode == SMMU_PAGING_PAE || mode == SMMU_PAGING_32BIT) {
			vcpu->shadow.root = private_root(
				vcpu, (unsigned)vcpu->mmu.desc->levels);
		} else {
			uint64_t gfn;
			union sp_role role = root_role(&vcpu->mmu, &gfn);
			vcpu->shadow.root = sp_get(vm, gfn, role);
			if (vcpu->shadow.root)
				sp_root_get(vm, vcpu->shadow.root);
		}
		/* Every root change may be a guest invalidation (MOV CR3,
		 * CR4.PGE, ...); syncing when it is not costs time only. */
		if (vcpu->shadow.root &&
		    !(vm->inject & SMMU_INJECT_NO_SYNC_ON_INVALIDATE))
			sp_sync_tree(vm, vcpu->shadow.root);
		vm->ops->unlock(vm->host);
		if (!vcpu->shadow.root)
			return SMMU_ENOSPC;
		/* One hardware tag for all of a vCPU's roots: the old root's
		 * translations must go (the XSA-294 class). */
		if (!(vm->inject & SMMU_INJECT_NO_FLUSH_ON_NEW_ROOT))
			vcpu->shadow.need_flush = true;
	}
	out->cr3 = vcpu->shadow.root->hpa;
	out->la57 = vcpu->shadow.root->role.level == 5;
	out->flush =
		vcpu->shadow.need_flush ? SMMU_FLUSH_VCPU : SMMU_FLUSH_NONE;
	vcpu->shadow.need_flush = false;
	return SMMU_OK;
}

/* A guest invalidation of one address (one_address) or of everything
 * under the current root: sync what it covers now, flush at the next
 * entry. A vCPU without a root gets one, synced, at that entry. Only the
 * vCPU itself changes its root, so it is read without the lock. */
static void invalidate(struct smmu_vcpu *vcpu, bool one_address, uint64_t la)
{
	struct smmu_vm *vm = vcpu->vm;
	if (vm->shadow_ops && vcpu->shadow.root &&
	    !(vm->inject & SMMU_INJECT_NO_SYNC_ON_INVALIDATE)) {
		vm->ops->lock(vm->host);
		if (one_address)
			sp_sync_address(vm, vcpu->shadow.root, la);
		else
			sp_sync_tree(vm, vcpu->shadow.root);
		vm->ops->unlock(vm->host);
	}
	if (!(vm->inject & SMMU_INJECT_NO_FLUSH_ON_INVALIDATE))
		vcpu->shadow.need_flush = true;
}

void smmu_vcpu_invlpg(struct smmu_vcpu *vcpu, uint64_t la)
{
	invalidate(vcpu, true, la);
}

enum smmu_cr_result smmu_vcpu_invpcid(struct smmu_vcpu *vcpu, unsigned type,
				      uint16_t pcid, uint64_t la)
{
	(void)pcid; /* one root per vCPU for now: every PCID is synced */
	if (type > 3)
		return SMMU_CR_INJECT_GP; /* SDM vol. 2: INVPCID */
	invalidate(vcpu, type == 0, la);
	return SMMU_CR_DONE;
}

void smmu_vcpu_pv_flush(struct smmu_vcpu *vcpu)
{
	invalidate(vcpu, false, 0);
}
