/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's roots: the cache of previous roots (prev_roots) keyed by
 * (guest root frame, guest PCID, role), the current root's loading at VM
 * entry, and the private PAE root outside IA-32e mode (roots.h).
 */
#include "sync.h"
#include "vcpu.h"

/* The role of an IA-32e guest's root: the shadow of its PML4 or PML5. */
static union sp_role root_role(const struct gw_mmu *mmu)
{
	return (union sp_role){ .level = mmu->desc->levels,
				.guest_levels = mmu->desc->levels,
				.access = SMMU_RIGHT_W | SMMU_RIGHT_U |
					  SMMU_RIGHT_X,
				.nxe = mmu->nxe };
}

void roots_init(struct smmu_vcpu *vcpu)
{
	struct vcpu_roots *r = &vcpu->roots;
	r->nr_slots = vcpu->vm->policy.cached_roots + 1u;
	r->cur = -1;
}

/* ---- the private PAE root (outside IA-32e mode) ---- */

/* A PAE root that stops being the vCPU's root gives up its links: the
 * directories they pin count against the pool for as long as they are
 * linked, which would be forever once the vCPU has left legacy paging
 * (SMMU_ENOSPC in 5-level paging with a pool at the documented
 * minimum). The vCPU is in a VM exit: its PDPTE registers are reloaded
 * at the next entry. */
static void drop_pae_links(struct smmu_vm *vm, struct sp *sp)
{
	if (!sp->spt)
		return;
	for (unsigned i = 0; sp->child && i < 4; i++) {
		__atomic_store_n(&sp->spt[i], 0, __ATOMIC_RELEASE);
		if (sp->child[i])
			sp_unlink(vm, sp, i);
	}
	for (unsigned w = 0; w < 512 / 64; w++)
		sp->unsync_children[w] = 0;
}

/* The root of a guest not in IA-32e mode: the vCPU's PAE PDPT, empty.
 * Its four entries link on demand to shadows of the guest's directories
 * (from the PDPTE registers, or quarters of the one 32-bit directory) or
 * to direct pages (paging off); linking syncs what it links, and the CPU
 * loads the entries afresh at this entry. NULL when no page can be had,
 * or the host's page is above 4 GiB, where legacy CR3 cannot reach. */
static struct sp *pae_root(struct smmu_vcpu *vcpu)
{
	struct smmu_vm *vm = vcpu->vm;
	struct sp *sp = &vcpu->roots.pae_root;
	if (!sp->child) {
		sp->child = obj_alloc(vm, OBJ_POINTERS);
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
	sp->role = (union sp_role){
		.level = 3,
		.guest_levels = (uint32_t)vcpu->mmu.desc->levels,
		.access = SMMU_RIGHT_W | SMMU_RIGHT_U | SMMU_RIGHT_X,
		.nxe = vcpu->mmu.nxe
	};
	/* A new root for the hardware PCID bookkeeping (pcid.c). */
	sp->gen = ++vm->shadow.next_gen;
	return sp;
}

/* ---- the cache of roots ---- */

void roots_release(struct smmu_vcpu *vcpu)
{
	struct sp *root = vcpu->root;
	vcpu->root = 0;
	if (!root)
		return;
	if (root->pae_root)
		drop_pae_links(vcpu->vm, root);
	else
		sp_root_put(vcpu->vm, root);
}

/* The slot for (gfn, pcid, role): found, or the least recently used one
 * other than the current one (an unused one first) taken over, which
 * sets *fresh. A new slot owes a sync: this vCPU knows nothing of what
 * the guest invalidated before it cached the root. What its hardware
 * PCID still holds is another root's, which pcid.c sees by generation. */
static int slot_for(struct vcpu_roots *r, uint64_t gfn, uint16_t pcid,
		    union sp_role role, bool *fresh)
{
	int victim = -1;
	*fresh = false;
	for (unsigned i = 0; i < r->nr_slots; i++) {
		struct root_slot *s = &r->slot[i];
		if (s->used && s->gfn == gfn && s->pcid == pcid &&
		    s->role.word == role.word)
			return (int)i;
		if ((int)i == r->cur && r->nr_slots > 1)
			continue;
		if (victim >= 0 && !r->slot[victim].used)
			continue;
		if (!s->used || victim < 0 ||
		    s->last_used < r->slot[victim].last_used)
			victim = (int)i;
	}
	r->slot[victim] = (struct root_slot){ .used = true,
					      .gfn = gfn,
					      .pcid = pcid,
					      .role = role,
					      .need_sync = true };
	*fresh = true;
	return victim;
}

void roots_follow_regs(struct smmu_vcpu *vcpu)
{
	struct vcpu_roots *r = &vcpu->roots;
	int cur = -1;
	bool fresh = false;
	if (vcpu_ia32e(vcpu)) {
		const struct gw_mmu *mmu = &vcpu->mmu;
		uint16_t pcid =
			(vcpu->regs.cr4 & X86_CR4_PCIDE)
				? (uint16_t)(vcpu->regs.cr3 & X86_CR3_PCID_MASK)
				: 0;
		cur = slot_for(r, mmu->root >> X86_PAGE_SHIFT, pcid,
			       root_role(mmu), &fresh);
		r->slot[cur].last_used = ++r->clock;
	}
	/* Outside IA-32e mode the PAE root mirrors registers that may have
	 * changed, the PDPTEs a MOV CR3 reloads even for the same CR3:
	 * always rebuilt. */
	bool keep_pae =
		cur < 0 && r->cur < 0 &&
		bug_planted(vcpu->vm, SMMU_INJECT_PAE_ROOT_ACROSS_CR3) &&
		vcpu->regs.cr3 == r->pae_root_cr3;
	r->pae_root_cr3 = vcpu->regs.cr3;
	if ((cur != r->cur || cur < 0 || fresh) && !keep_pae) {
		struct smmu_vm *vm = vcpu->vm;
		if (vcpu->root) {
			vm->ops->lock(vm->host);
			roots_release(vcpu);
			vm->ops->unlock(vm->host);
		}
	}
	r->cur = cur;
}

void roots_drop_all(struct smmu_vcpu *vcpu)
{
	struct smmu_vm *vm = vcpu->vm;
	struct vcpu_roots *r = &vcpu->roots;
	if (vcpu->root) {
		vm->ops->lock(vm->host);
		roots_release(vcpu);
		vm->ops->unlock(vm->host);
	}
	for (unsigned i = 0; i < r->nr_slots; i++)
		r->slot[i].used = false;
	r->cur = -1;
	roots_follow_regs(vcpu);
}

void roots_invalidate(struct smmu_vcpu *vcpu, bool all, uint16_t pcid)
{
	struct vcpu_roots *r = &vcpu->roots;
	for (unsigned i = 0; i < r->nr_slots; i++) {
		struct root_slot *s = &r->slot[i];
		if (s->used && (all || s->pcid == pcid)) {
			s->need_sync = true;
			s->flush_pending = true;
		}
	}
}

/* The cached root of slot i as this vCPU left it, if the pool has not
 * evicted it since: NULL otherwise (it is rebuilt, and synced, when the
 * vCPU comes back to it). MMU lock held. */
static struct sp *cached_root(struct smmu_vcpu *vcpu, unsigned i)
{
	const struct root_slot *s = &vcpu->roots.slot[i];
	if ((int)i == vcpu->roots.cur && vcpu->root)
		return vcpu->root;
	struct sp *sp = sp_find(vcpu->vm, s->gfn, s->role);
	return sp && sp->gen == s->gen ? sp : 0;
}

void roots_sync_address(struct smmu_vcpu *vcpu, bool all, uint16_t pcid,
			uint64_t la)
{
	struct smmu_vm *vm = vcpu->vm;
	struct vcpu_roots *r = &vcpu->roots;
	if (r->cur < 0) {
		if (vcpu->root)
			sp_sync_address(vm, vcpu->root, la);
		return;
	}
	for (unsigned i = 0; i < r->nr_slots; i++) {
		struct root_slot *s = &r->slot[i];
		if (!s->used || (!all && s->pcid != pcid))
			continue;
		if (bug_planted(vm, SMMU_INJECT_SYNC_CURRENT_ROOT_ONLY) &&
		    (int)i != r->cur)
			continue;
		struct sp *root = cached_root(vcpu, i);
		if (root && !bug_planted(vm, SMMU_INJECT_NO_SYNC_ON_INVALIDATE))
			sp_sync_address(vm, root, la);
		if (!all &&
		    !bug_planted(vm, SMMU_INJECT_NO_FLUSH_ON_INVALIDATE))
			flush_local(vcpu, SMMU_FLUSH_PCID_ADDR,
				    pcid_of_slot(vcpu, (int)i), la);
	}
}

/* Load the current slot's root: the cached one if the pool kept it,
 * else a new one; sync it if it owes one. */
static struct sp *load_slot_root(struct smmu_vcpu *vcpu)
{
	struct smmu_vm *vm = vcpu->vm;
	struct root_slot *s = &vcpu->roots.slot[vcpu->roots.cur];
	struct sp *root = vcpu->root;
	if (!root) {
		VCPU_STAT(vcpu, root_loads);
		root = sp_find(vm, s->gfn, s->role);
		if (root && root->gen == s->gen) {
			VCPU_STAT(vcpu, root_cache_hits);
		} else {
			if (!root)
				VCPU_STAT(vcpu, roots_built);
			root = sp_get(vm, s->gfn, s->role);
			if (!root)
				return 0;
			/* Rebuilt, or built by another vCPU: this slot
			 * does not know what it missed. */
			s->need_sync = true;
			s->gen = root->gen;
		}
		root->root_count++;
		vcpu->root = root;
	}
	if (s->need_sync) {
		if (!bug_planted(vm, SMMU_INJECT_NO_SYNC_ON_INVALIDATE))
			sp_sync_tree(vm, root);
		s->need_sync = false;
	}
	return root;
}

struct sp *roots_load(struct smmu_vcpu *vcpu)
{
	if (vcpu->roots.cur >= 0)
		return load_slot_root(vcpu);
	if (!vcpu->root)
		vcpu->root = pae_root(vcpu);
	return vcpu->root;
}

void roots_destroy(struct smmu_vcpu *vcpu)
{
	struct smmu_vm *vm = vcpu->vm;
	struct sp *sp = &vcpu->roots.pae_root;
	vm->ops->lock(vm->host);
	roots_release(vcpu);
	drop_pae_links(vm, sp);
	if (sp->child)
		obj_free(vm, OBJ_POINTERS, sp->child);
	if (sp->spt)
		vm->ops->free_page(vm->host, sp->hpa, sp->spt);
	vm->ops->unlock(vm->host);
}
