/* SPDX-License-Identifier: MIT */
/*
 * Filling a leaf spte without the MMU lock: the commonest fault, a page
 * touched for the first time under shadow tables that exist already, and
 * its prefetched neighbours. vCPUs faulting on different memory then
 * share no lock and write no common cache line.
 *
 * Inside an RCU read-side section (nothing unlinked meanwhile is freed
 * before it ends), the fill walks the shadow from the vCPU's root down to
 * the level-1 page over the address and fills its slot as a prefetch
 * would (prefetch.c): from the guest entry that page mirrors, read afresh,
 * and the page's own role. The spte is then right for that page however
 * it is reached; should the page not be the one the guest's walk went
 * through (the guest changed a table meanwhile), the access faults again
 * and takes the locked path. Anything unusual — no link to the frame's
 * rmap region, a page out of sync, dirty logging on, a store to a
 * write-protected table — gives up, and the locked path decides.
 *
 * The protocol with the MMU lock's holder (sp_slot.h for the values):
 *
 *   1. read how often the page went out of sync, the slot (not
 *      present), then the guest entry;
 *   2. read backing_changes, then ask the host for the frame's hpa;
 *   3. set the slot's present bit, then freeze the slot, which fails if
 *      it changed since 1;
 *   4. a full fence; read what decides the spte: the page's frame order
 *      and rmap links, its sync state and whether it went out of sync
 *      since 1, whether the frame is a table in
 *      sync (the spte is then read-only), dirty logging, backing_changes;
 *   5. write the frame record if the page keeps one, and store the spte —
 *      or the value of 1 if a check failed.
 *
 * Whoever changes what 4 reads does so, then a full fence, then scans the
 * pages that may map the frame (rmap.c: act_on_range, go_scattered,
 * collect_links), waiting for every frozen slot it meets. By the two
 * fences, either the scan finds the fill's present bit and waits for its
 * slot, then reads its frame (and then write-protects or zaps the spte it
 * finds), or the fill's reads in 4 see the change; seeing the present bit
 * says nothing about which reads of the fill came first. A change of the
 * guest entry after 1 writes a tombstone into the slot after the new entry
 * is in memory (emulated_write.c, host_invalidate.c, unsync.c), so 3
 * fails — or 1 came after the tombstone, and read the new entry — unless
 * the page is out of sync, where the guest's stores go unseen: the page
 * then went out of sync after 1, which 4 sees even if it is back in sync
 * by then (its comparison found no spte in the slot). A page going out of
 * sync is marked in transition, then a full fence, then it copies the
 * guest entries a sync compares with, after waiting for every slot a fill
 * owns (unsync.c): so the copy is never older than the entry a fill that
 * passes 4 read in 1 — the walker sets A and D bits in tables in sync, and
 * a copy taken before that would make the guest's clearing them again
 * look like no change. Only after the copy does the page count as out of
 * sync for step 4's question about the frame: a fill never maps a table
 * writable before its copy is taken, so no guest store can change the
 * table between the copy and the comparisons that rely on it.
 */
#include "lock_check.h"
#include "sync.h"
#include "vcpu.h"

/* The level-1 page under vcpu's root that maps la, if every level above
 * it is linked. */
static struct sp *leaf_page(const struct smmu_vcpu *vcpu, uint64_t la)
{
	struct sp *sp = vcpu->root;
	while (sp->role.level > 1) {
		unsigned i = spte_index(la, sp->role.level);
		uint64_t spte = __atomic_load_n(&sp->spt[i], __ATOMIC_ACQUIRE);
		if (!(spte & X86_PTE_P) || (spte & X86_PTE_PS))
			return 0;
		sp = __atomic_load_n(&sp->child[i], __ATOMIC_ACQUIRE);
		if (!sp)
			return 0;
		sp_lru_touch(sp);
	}
	return sp;
}

/* What slot i of sp is filled from. */
struct fill_source {
	uint64_t gfn;
	uint8_t rights, pkey;
	bool dirty, global;
};

static bool source_of(const struct smmu_vcpu *vcpu, const struct sp *sp,
		      unsigned i, struct fill_source *src)
{
	if (sp->role.direct) {
		/* The guest's large page: its rights (W once it is dirty),
		 * key and G bit are the page's role. */
		*src = (struct fill_source){ .gfn = sp->gfn + i,
					     .rights = (uint8_t)sp->role.access,
					     .pkey = (uint8_t)sp->role.pkey,
					     .dirty = true,
					     .global = sp->role.global };
		return true;
	}
	const struct smmu_vm *vm = vcpu->vm;
	const struct gw_mmu *mmu = &vcpu->mmu;
	unsigned size;
	uint64_t gpa = sp_gpte_gpa(sp, i, &size), pte = 0;
	if (vm->ops->read_gpa(vm->host, gpa, &pte, size) != SMMU_GPA_OK)
		return false;
	/* As prefetch: never a translation the CPU could not have cached
	 * itself, so never from an entry whose A bit is clear. */
	uint64_t needed = X86_PTE_P | X86_PTE_A;
	if (bug_planted(vm, SMMU_INJECT_PREFETCH_UNACCESSED))
		needed = X86_PTE_P;
	if ((pte & needed) != needed || (pte & mmu->level[1].rsvd))
		return false;
	uint64_t addr = size == 4 ? pte & 0xfffff000u : pte & SPTE_ADDR;
	*src = (struct fill_source){
		.gfn = addr >> X86_PAGE_SHIFT,
		.rights =
			(uint8_t)(sp->role.access & gw_entry_rights(mmu, pte)),
		.pkey = gw_leaf_pkey(mmu, pte),
		.dirty = pte & X86_PTE_D,
		.global = pte & X86_PTE_G,
	};
	return true;
}

/* An out-of-sync page, or one going back in sync whose sptes are not yet
 * compared with the guest's entries (unsync.c): its table may have
 * changed unseen, and a fill would not record what it built from (the
 * comparison could then keep a stale spte). */
static bool not_in_sync(const struct sp *sp)
{
	return __atomic_load_n(&sp->unsync, __ATOMIC_SEQ_CST) ||
	       __atomic_load_n(&sp->in_transition, __ATOMIC_SEQ_CST);
}

/* Step 4 for the frame: may slot i of sp map it, and writable? `unsyncs`
 * is sp->went_unsync before step 1: the page went out of sync (and maybe
 * back) since, and the guest entry read in step 1 may be stale with the
 * slot unchanged. */
static bool checks_pass(const struct smmu_vm *vm, struct sp *sp, unsigned i,
			uint64_t gfn, uint64_t backing, uint32_t unsyncs,
			uint8_t *order)
{
	if (not_in_sync(sp) ||
	    __atomic_load_n(&sp->went_unsync, __ATOMIC_SEQ_CST) != unsyncs)
		return false;
	if (!sp->role.direct) {
		*order = __atomic_load_n(&sp->frames_order, __ATOMIC_SEQ_CST);
		if (*order == FRAMES_LINEAR ? gfn - i != sp->frames_base
					    : *order != FRAMES_SCATTERED)
			return false;
	}
	uint64_t region = gfn >> RMAP_REGION_SHIFT;
	if (__atomic_load_n(&sp->link_hint[0], __ATOMIC_SEQ_CST) != region &&
	    __atomic_load_n(&sp->link_hint[1], __ATOMIC_SEQ_CST) != region)
		return false;
	if (__atomic_load_n(&vm->dirty.bits, __ATOMIC_SEQ_CST))
		return false;
	return __atomic_load_n(&vm->shadow.backing_changes, __ATOMIC_SEQ_CST) ==
	       backing;
}

enum fill_result { FILL_DONE, FILL_PRESENT, FILL_GAVE_UP };

static enum fill_result fill_slot(struct smmu_vcpu *vcpu, struct sp *sp,
				  unsigned i, bool write,
				  const struct fill_known *known)
{
	struct smmu_vm *vm = vcpu->vm;
	uint64_t *slot = &sp->spt[i];
	uint32_t unsyncs = __atomic_load_n(&sp->went_unsync, __ATOMIC_SEQ_CST);
	uint64_t old = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (old & X86_PTE_P)
		return FILL_PRESENT;
	if (old == SPTE_FROZEN || not_in_sync(sp))
		return FILL_GAVE_UP;
	struct fill_source src;
	if (!source_of(vcpu, sp, i, &src) || (write && !src.dirty))
		return FILL_GAVE_UP;
	uint64_t backing, hpa;
	if (known && known->gfn == src.gfn) {
		/* Read in this order by the fault (step 2). */
		backing = known->backing;
		hpa = known->hpa;
	} else {
		backing = __atomic_load_n(&vm->shadow.backing_changes,
					  __ATOMIC_ACQUIRE);
		if (vm->ops->gfn_to_hpa(vm->host, src.gfn, &hpa) != SMMU_GPA_OK)
			return FILL_GAVE_UP;
	}

	present_mark(sp->present, i);
	if (!slot_freeze(slot, old))
		return FILL_GAVE_UP;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint8_t order = FRAMES_LINEAR;
	enum gfn_state state = GFN_UNSHADOWED;
	bool ok = checks_pass(vm, sp, i, src.gfn, backing, unsyncs, &order);
	if (ok && !bug_planted(vm, SMMU_INJECT_LOCKFREE_UNCHECKED)) {
		state = sp_gfn_state_rcu(vm, src.gfn);
		/* A store to a table in sync is emulated. */
		ok = !(write && state == GFN_SYNC);
	}
	if (!ok) {
		slot_thaw(slot, old);
		return FILL_GAVE_UP;
	}
	if (order == FRAMES_SCATTERED) {
		struct leaf_frames *f =
			__atomic_load_n(&sp->frames, __ATOMIC_ACQUIRE);
		__atomic_store_n(&f->lo[i], (uint32_t)src.gfn,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&f->hi[i], (uint8_t)(src.gfn >> 32),
				 __ATOMIC_RELAXED);
	}
	bool writable = src.dirty && state != GFN_SYNC;
	slot_thaw(slot,
		  leaf_spte(hpa, src.rights, writable, src.pkey, src.global));
	return FILL_DONE;
}

bool fill_lockfree(struct smmu_vcpu *vcpu, struct sp *leaf, uint64_t la,
		   bool write, const struct fill_known *known)
{
	MMU_LOCK_NOT_HELD(vcpu->vm);
	struct smmu_vm *vm = vcpu->vm;
	struct sp *sp = leaf ? leaf : leaf_page(vcpu, la);
	if (!sp)
		return false;
	unsigned index = spte_index(la, 1);
	if (fill_slot(vcpu, sp, index, write, known) != FILL_DONE)
		return false;
	sp_lru_touch(sp);
	sp_in_use(sp);
	unsigned window = vm->prefetch_window;
	unsigned first = index & ~(window - 1);
	for (unsigned i = first; i < first + window; i++)
		if (i != index &&
		    fill_slot(vcpu, sp, i, false, known) == FILL_DONE)
			VCPU_STAT(vcpu, prefetched);
	VCPU_STAT(vcpu, faults_lockfree);
	return true;
}
