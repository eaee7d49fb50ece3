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

/* The root of a guest in IA-32e mode: the shadow of its PML4 or PML5. */
static union sp_role root_role(const struct gw_mmu *mmu, uint64_t *gfn)
{
	*gfn = mmu->root >> X86_PAGE_SHIFT;
	return (union sp_role){ .level = mmu->desc->levels,
				.guest_levels = mmu->desc->levels,
				.access = SMMU_RIGHT_W | SMMU_RIGHT_U |
					  SMMU_RIGHT_X,
				.nxe = mmu->nxe };
}

/* The root of a guest not in IA-32e mode: the vCPU's PAE PDPT, emptied.
 * Its four entries link on demand to shadows of the guest's directories
 * (from the PDPTE registers, or quarters of the one 32-bit directory) or
 * to direct pages (paging off). Nothing else walks it, and the CPU loads
 * its entries afresh at this entry. NULL when no page can be had, or the
 * host's page is above 4 GiB, where legacy CR3 cannot reach. */
static struct sp *pae_root(struct smmu_vcpu *vcpu, unsigned guest_levels)
{
	struct smmu_vm *vm = vcpu->vm;
	struct sp *sp = &vcpu->shadow.pae_root;
	if (!sp->child) {
		sp->child = vm->ops->alloc(vm->host, 512 * sizeof(struct sp *));
		if (!sp->child)
			return 0;
	}
	if (!sp->spt) {
		void *hva;
		if (!sp_alloc_page(vm, &sp->hpa, &hva))
			return 0;
		sp->spt = hva;
		sp->pae_root = true;
	}
	if (sp->hpa >> 32) {
		smmu_log(vm, SMMU_LOG_ERROR,
			 "smmu_vcpu_enter: alloc_page gave a page above 4 GiB "
			 "for a PAE root (guests outside IA-32e mode need one "
			 "below)");
		return 0;
	}
	/* Emptied when it stopped being the root (drop_pae_links). */
	sp->role = (union sp_role){ .level = 3,
				    .guest_levels = guest_levels,
				    .access = SMMU_RIGHT_W | SMMU_RIGHT_U |
					      SMMU_RIGHT_X,
				    .nxe = vcpu->mmu.nxe };
	return sp;
}

/* A PAE root that stops being the vCPU's root gives up its links: the
 * directories they pin count against the pool for as long as they are
 * linked, which would be forever once the vCPU has left legacy paging
 * (SMMU_ENOSPC in 5-level paging with a pool at the documented
 * minimum). The vCPU is in a VM exit: its PDPTE registers are reloaded
 * at the next entry. */
static void drop_pae_links(struct smmu_vm *vm, struct sp *sp)
{
	for (unsigned i = 0; sp->child && i < 4; i++) {
		if (sp->child[i])
			sp_unlink(vm, sp, i);
		__atomic_store_n(&sp->spt[i], 0, __ATOMIC_RELEASE);
	}
	for (unsigned w = 0; w < 512 / 64; w++)
		sp->unsync_children[w] = 0;
}

void shadow_vcpu_destroy(struct smmu_vcpu *vcpu)
{
	struct smmu_vm *vm = vcpu->vm;
	struct sp *sp = &vcpu->shadow.pae_root;
	vm->ops->lock(vm->host);
	shadow_vcpu_drop_root(vcpu);
	if (sp->child)
		vm->ops->free(vm->host, sp->child, 512 * sizeof(struct sp *));
	if (sp->spt)
		vm->ops->free_page(vm->host, sp->hpa, sp->spt);
	vm->ops->unlock(vm->host);
}

void shadow_vcpu_drop_root(struct smmu_vcpu *vcpu)
{
	struct sp *root = vcpu->shadow.root;
	vcpu->shadow.root = 0;
	if (root && root->in_cache)
		sp_root_put(vcpu->vm, root);
	else if (root && root->pae_root)
		drop_pae_links(vcpu->vm, root);
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
	if (!vcpu->shadow.root) {
		/* Under the lock: a root links to shared shadow pages, and
		 * rebuilding one unlinks it from them. */
		vm->ops->lock(vm->host);
		if (!vcpu->mmu.desc->ia32e) {
			vcpu->shadow.root = pae_root(
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
		    !bug_planted(vm, SMMU_INJECT_NO_SYNC_ON_INVALIDATE))
			sp_sync_tree(vm, vcpu->shadow.root);
		vm->ops->unlock(vm->host);
		if (!vcpu->shadow.root)
			return SMMU_ENOSPC;
		/* One hardware tag for all of a vCPU's roots: the old root's
		 * translations must go (the XSA-294 class). */
		if (!bug_planted(vm, SMMU_INJECT_NO_FLUSH_ON_NEW_ROOT))
			vcpu->shadow.need_flush = true;
	}
	out->cr3 = vcpu->shadow.root->hpa;
	out->la57 = vcpu->shadow.root->role.level == 5;
	out->pae = vcpu->shadow.root->pae_root;
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
	    !bug_planted(vm, SMMU_INJECT_NO_SYNC_ON_INVALIDATE)) {
		vm->ops->lock(vm->host);
		if (one_address)
			sp_sync_address(vm, vcpu->shadow.root, la);
		else
			sp_sync_tree(vm, vcpu->shadow.root);
		vm->ops->unlock(vm->host);
	}
	if (!bug_planted(vm, SMMU_INJECT_NO_FLUSH_ON_INVALIDATE))
		vcpu->shadow.need_flush = true;
}

enum smmu_status smmu_vcpu_invlpg(struct smmu_vcpu *vcpu, uint64_t la)
{
	if (!vcpu)
		return SMMU_EINVAL;
	/* SDM vol. 2, INVLPG: a non-canonical address is a no-op. */
	if (gw_la_canonical(&vcpu->mmu, la))
		invalidate(vcpu, true, gw_la(&vcpu->mmu, la));
	return SMMU_OK;
}

/* SDM vol. 2, INVPCID: the #GP(0) conditions the descriptor and the
 * paging registers decide. */
static bool invpcid_faults(const struct smmu_vcpu *vcpu, unsigned type,
			   uint64_t pcid, uint64_t la)
{
	if (type > 3 || (pcid & ~X86_CR3_PCID_MASK))
		return true;
	if (type == 0 && !gw_la_canonical(&vcpu->mmu, la))
		return true;
	return type <= 1 && pcid && !(vcpu->regs.cr4 & X86_CR4_PCIDE);
}

enum smmu_cr_result smmu_vcpu_invpcid(struct smmu_vcpu *vcpu, unsigned type,
				      uint64_t pcid, uint64_t la)
{
	if (!vcpu)
		return SMMU_CR_EINVAL;
	if (!(vcpu->vm->features.cpu & SMMU_CPU_INVPCID))
		return SMMU_CR_INJECT_UD;
	if (invpcid_faults(vcpu, type, pcid, la))
		return SMMU_CR_INJECT_GP;
	/* One root per vCPU for now: every PCID is synced. */
	invalidate(vcpu, type == 0, gw_la(&vcpu->mmu, la));
	return SMMU_CR_DONE;
}

enum smmu_status smmu_vcpu_pv_flush(struct smmu_vcpu *vcpu)
{
	if (!vcpu)
		return SMMU_EINVAL;
	invalidate(vcpu, false, 0);
	return SMMU_OK;
}
