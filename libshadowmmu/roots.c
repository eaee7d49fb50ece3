/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's roots: the cache of previous roots (prev_roots) keyed by
 * (guest root frame, guest PCID, role), the current root's loading at VM
 * entry, and the private PAE root outside IA-32e mode (roots.h).
 */
#include "lock_check.h"
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
	MMU_LOCK_HELD(vcpu->vm);
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
 * PCID still holds is another slot's, which pcid.c sees by the new id. */
static int slot_for(struct vcpu_roots *r, uint64_t gfn, uint16_t pcid,
		    union sp_role role, bool *fresh, struct sp **unpin)
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
	/* The root it kept goes (its pin, under the lock). */
	*unpin = __atomic_exchange_n(&r->slot[victim].held, (struct sp *)0,
				     __ATOMIC_ACQ_REL);
	r->slot[victim] = (struct root_slot){ .used = true,
					      .id = ++r->next_slot_id,
					      .gfn = gfn,
					      .pcid = pcid,
					      .role = role,
					      .need_sync = true };
	*fresh = true;
	return victim;
}

/* Unpin whatever slot i holds. MMU lock held. */
static void unpin_slot(struct smmu_vm *vm, struct root_slot *s)
{
	struct sp *sp =
		__atomic_exchange_n(&s->held, (struct sp *)0, __ATOMIC_ACQ_REL);
	if (sp)
		sp_root_put(vm, sp);
}

bool roots_unpin_cached(struct smmu_vm *vm)
{
	MMU_LOCK_HELD(vm);
	bool any = false;
	for (struct smmu_vcpu *v = vm->vcpus; v; v = v->next) {
		for (unsigned i = 0; i < v->roots.nr_slots; i++) {
			struct root_slot *s = &v->roots.slot[i];
			any |= __atomic_load_n(&s->held, __ATOMIC_ACQUIRE) != 0;
			unpin_slot(vm, s);
		}
	}
	return any;
}

/* Switch from the current slot to slot `to` without the MMU lock: the
 * current root's pin moves into its slot, the one `to` holds becomes the
 * current root's. false if a pin would have to go (an obsolete root) or
 * `to` holds none: the caller does it under the lock. */
static bool switch_pinned(struct smmu_vcpu *vcpu, int to)
{
	struct vcpu_roots *r = &vcpu->roots;
	struct sp *old = vcpu->root;
	if (r->cur < 0 || !old ||
	    __atomic_load_n(&old->obsolete, __ATOMIC_ACQUIRE))
		return false;
	struct sp *next = __atomic_exchange_n(&r->slot[to].held, (struct sp *)0,
					      __ATOMIC_ACQ_REL);
	if (!next)
		return false;
	if (__atomic_load_n(&next->obsolete, __ATOMIC_ACQUIRE)) {
		/* The host took its frame while it was cached. */
		struct smmu_vm *vm = vcpu->vm;
		vm_lock(vm);
		sp_root_put(vm, next);
		vm_unlock(vm);
		return false;
	}
	__atomic_store_n(&r->slot[r->cur].held, old, __ATOMIC_RELEASE);
	vcpu->root = next;
	return true;
}

void roots_follow_regs(struct smmu_vcpu *vcpu)
{
	struct vcpu_roots *r = &vcpu->roots;
	struct smmu_vm *vm = vcpu->vm;
	int cur = -1;
	bool fresh = false;
	struct sp *unpin = 0;
	if (vcpu_ia32e(vcpu)) {
		const struct gw_mmu *mmu = &vcpu->mmu;
		uint16_t pcid =
			(vcpu->regs.cr4 & X86_CR4_PCIDE)
				? (uint16_t)(vcpu->regs.cr3 & X86_CR3_PCID_MASK)
				: 0;
		cur = slot_for(r, mmu->root >> X86_PAGE_SHIFT, pcid,
			       root_role(mmu), &fresh, &unpin);
		r->slot[cur].last_used = ++r->clock;
		r->slot[cur].returned |= cur != r->cur && !fresh;
	}
	if (cur != r->cur && r->cur >= 0)
		r->slot[r->cur].left_seq = unsync_seq_now(vm);
	if (cur >= 0 && cur != r->cur && !fresh && switch_pinned(vcpu, cur)) {
		r->cur = cur;
		return;
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
		/* The current root goes into its slot, pinned, unless it
		 * is obsolete; a slot taken over lets its old root go. */
		struct sp *old = vcpu->root;
		bool keep = old && r->cur >= 0 && cur != r->cur &&
			    !__atomic_load_n(&old->obsolete, __ATOMIC_ACQUIRE);
		if (keep) {
			__atomic_store_n(&r->slot[r->cur].held, old,
					 __ATOMIC_RELEASE);
			vcpu->root = 0;
		}
		if (vcpu->root || unpin) {
			vm_lock(vm);
			roots_release(vcpu);
			if (unpin)
				sp_root_put(vm, unpin);
			vm_unlock(vm);
		}
	} else if (unpin) {
		vm_lock(vm);
		sp_root_put(vm, unpin);
		vm_unlock(vm);
	}
	r->cur = cur;
}

void roots_drop_all(struct smmu_vcpu *vcpu)
{
	struct smmu_vm *vm = vcpu->vm;
	struct vcpu_roots *r = &vcpu->roots;
	vm_lock(vm);
	roots_release(vcpu);
	for (unsigned i = 0; i < r->nr_slots; i++) {
		unpin_slot(vm, &r->slot[i]);
		r->slot[i].used = false;
	}
	vm_unlock(vm);
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

bool roots_owe_sync(struct smmu_vcpu *vcpu)
{
	struct vcpu_roots *r = &vcpu->roots;
	if (r->cur < 0)
		return false;
	struct root_slot *s = &r->slot[r->cur];
	if (s->returned) {
		s->returned = false;
		if (unsync_moved_since(vcpu->vm, s->left_seq) &&
		    !bug_planted(vcpu->vm,
				 SMMU_INJECT_UNSYNC_SEEN_ACROSS_ROOTS))
			s->need_sync = true;
	}
	return s->need_sync || s->nr_pending;
}

/* Sync la in slot s's root when it runs again (roots.h, pending_la). */
static void sync_when_current(struct root_slot *s, uint64_t la)
{
	for (unsigned i = 0; i < s->nr_pending; i++)
		if (s->pending_la[i] == la)
			return;
	if (s->nr_pending < ROOT_SLOT_PENDING_MAX)
		s->pending_la[s->nr_pending++] = (uint64_t)la;
	else
		s->need_sync = true;
}

/* The cached root of slot i as this vCPU left it, if the pool has not
 * evicted it since: NULL otherwise (it is rebuilt, and synced, when the
 * vCPU comes back to it). MMU lock held. */
static struct sp *cached_root(struct smmu_vcpu *vcpu, unsigned i)
{
	const struct root_slot *s = &vcpu->roots.slot[i];
	if ((int)i == vcpu->roots.cur && vcpu->root)
		return vcpu->root;
	struct sp *held = __atomic_load_n(&s->held, __ATOMIC_ACQUIRE);
	if (held)
		return held; /* the pool unpins only under the lock */
	struct sp *sp = sp_find(vcpu->vm, s->gfn, s->role);
	return sp && sp->gen == s->gen ? sp : 0;
}

void roots_sync_address(struct smmu_vcpu *vcpu, bool all, uint16_t pcid,
			uint64_t la)
{
	MMU_LOCK_HELD(vcpu->vm);
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
		if (bug_planted(vm, SMMU_INJECT_NO_SYNC_ON_INVALIDATE)) {
			/* nothing synced */
		} else if ((int)i != r->cur &&
			   !bug_planted(vm, SMMU_INJECT_SYNC_AT_INVALIDATION)) {
			sync_when_current(s, la);
		} else {
			struct sp *root = cached_root(vcpu, i);
			if (root)
				sp_sync_address(vm, root, la);
		}
		if (!all &&
		    !bug_planted(vm, SMMU_INJECT_NO_FLUSH_ON_INVALIDATE))
			flush_local(vcpu, SMMU_FLUSH_PCID_ADDR,
				    pcid_of_slot(vcpu, (int)i), la);
	}
}

/* Does la's leaf under root sit in an out-of-sync page? Without the lock,
 * inside an RCU read-side section. */
static bool unsync_at(const struct sp *sp, uint64_t la)
{
	while (sp && sp->role.level > 1) {
		unsigned i = spte_index(la, sp->role.level);
		if (!(__atomic_load_n(&sp->spt[i], __ATOMIC_ACQUIRE) &
		      X86_PTE_P))
			return false;
		sp = __atomic_load_n(&sp->child[i], __ATOMIC_ACQUIRE);
	}
	/* One going back in sync is not yet: its sptes are compared after
	 * the flag goes (unsync.c, rule 3). */
	return sp && (__atomic_load_n(&sp->unsync, __ATOMIC_SEQ_CST) ||
		      __atomic_load_n(&sp->in_transition, __ATOMIC_SEQ_CST));
}

bool roots_address_in_sync(struct smmu_vcpu *vcpu, bool all, uint16_t pcid,
			   uint64_t la)
{
	MMU_LOCK_NOT_HELD(vcpu->vm);
	struct smmu_vm *vm = vcpu->vm;
	struct vcpu_roots *r = &vcpu->roots;
	/* A planted bug changes what the locked path syncs or flushes. */
	if (!vm->ops->rcu_read_enter ||
	    (vm->inject & (SMMU_INJECT_NO_SYNC_ON_INVALIDATE |
			   SMMU_INJECT_SYNC_CURRENT_ROOT_ONLY |
			   SMMU_INJECT_SYNC_AT_INVALIDATION |
			   SMMU_INJECT_NO_FLUSH_ON_INVALIDATE)))
		return false;
	bool in_sync = true;
	vm->ops->rcu_read_enter(vm->host);
	if (r->cur < 0) {
		in_sync = !vcpu->root || !unsync_at(vcpu->root, la);
	} else {
		for (unsigned i = 0; i < r->nr_slots && in_sync; i++) {
			struct root_slot *s = &r->slot[i];
			if (!s->used || (!all && s->pcid != pcid))
				continue;
			const struct sp *root =
				(int)i == r->cur
					? vcpu->root
					: __atomic_load_n(&s->held,
							  __ATOMIC_ACQUIRE);
			/* A root not pinned is found under the lock. */
			in_sync = root && !unsync_at(root, la);
		}
	}
	vm->ops->rcu_read_exit(vm->host);
	if (in_sync && !all)
		for (unsigned i = 0; i < r->nr_slots; i++)
			if (r->slot[i].used && r->slot[i].pcid == pcid)
				flush_local(vcpu, SMMU_FLUSH_PCID_ADDR,
					    pcid_of_slot(vcpu, (int)i), la);
	return in_sync;
}

/* Load the current slot's root: the cached one if the pool kept it,
 * else a new one; sync it if it owes one. */
static struct sp *load_slot_root(struct smmu_vcpu *vcpu)
{
	struct smmu_vm *vm = vcpu->vm;
	struct root_slot *s = &vcpu->roots.slot[vcpu->roots.cur];
	struct sp *root = vcpu->root;
	if (!root) {
		/* The root the slot keeps pinned, when the switch to it was
		 * not made without the lock (from outside IA-32e mode): its
		 * pin moves to the vCPU, as in switch_pinned. */
		struct sp *held = __atomic_exchange_n(&s->held, (struct sp *)0,
						      __ATOMIC_ACQ_REL);
		if (held && !held->obsolete) {
			vcpu->root = held;
			root = held;
		} else if (held) {
			sp_root_put(vm, held); /* the host took its frame */
		}
	}
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
	} else {
		for (unsigned i = 0; i < s->nr_pending; i++)
			sp_sync_address(vm, root, s->pending_la[i]);
	}
	s->nr_pending = 0;
	return root;
}

struct sp *roots_load(struct smmu_vcpu *vcpu)
{
	MMU_LOCK_HELD(vcpu->vm);
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
	vm_lock(vm);
	roots_release(vcpu);
	for (unsigned i = 0; i < vcpu->roots.nr_slots; i++)
		unpin_slot(vm, &vcpu->roots.slot[i]);
	drop_pae_links(vm, sp);
	if (sp->child)
		obj_free(vm, OBJ_POINTERS, sp->child);
	if (sp->spt)
		vm->ops->free_page(vm->host, sp->hpa, sp->spt);
	vm_unlock(vm);
}
