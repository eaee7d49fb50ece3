/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's roots and hardware PCIDs (roots.c, pcid.c), and what guest
 * invalidations do to them (invalidate.c).
 *
 * In IA-32e mode a vCPU keeps its current root and up to cached_roots
 * previous ones (prev_roots) in slots keyed by (guest root frame, guest
 * PCID, role). Every root a slot keeps is pinned (sp.root_count), so a
 * switch back to it is bookkeeping of the vCPU's own, without the MMU
 * lock; when the pool has nothing else left to evict it unpins cached
 * roots (root_slot.held) and may evict them: the vCPU then finds its
 * root gone when it switches back, and rebuilds it. Each slot runs under a
 * hardware PCID of its own (with SMMU_HOST_PCID), so a switch between cached
 * roots keeps their translations in the hardware TLB as a native CPU keeps them
 * per PCID.
 *
 * Two facts per slot carry the guest's invalidations while the slot is
 * not current: need_sync (the guest invalidated what this root
 * translates: sync its out-of-sync tables before it runs) and
 * flush_pending (drop its hardware PCID's translations before it runs).
 * Per hardware PCID, the generation of the root whose translations it may
 * hold (0: none) and the slot they were cached for: running another root,
 * or the same root for another slot (another guest PCID), on it needs a
 * flush first, whatever the guest's NOFLUSH says (XSA-294, shared/seeds
 * 000), and running the same unchanged root for the same slot needs none
 * (Xen's fix over-flushes here).
 *
 * Outside IA-32e mode (paging off, 32-bit, PAE) the vCPU runs on its
 * private PAE root, rebuilt whenever its registers change, on PCID 0.
 *
 * Everything here is the vCPU's own and changed only by calls on its
 * behalf; the shadow pages it reaches are under the MMU lock.
 */
#ifndef SMMU_ROOTS_H
#define SMMU_ROOTS_H

#include "sp.h"

#define ROOT_SLOT_PENDING_MAX 4

struct root_slot {
	bool used;
	/* Which virtual TLB the slot is: new whenever it is taken for
	 * another key. Two slots may run one root (the same guest table
	 * under two PCIDs); a hardware PCID's translations belong to one. */
	uint32_t id;
	uint16_t pcid; /* guest PCID; 0 without CR4.PCIDE */
	union sp_role role;
	uint64_t gfn; /* the guest's root table */
	/* sp.gen of the root this slot has tracked invalidations for; a
	 * root found with another generation was rebuilt meanwhile, or
	 * built by another vCPU, and is synced before use. 0: none yet. */
	uint64_t gen;
	uint64_t last_used; /* LRU among the slots */
	bool need_sync;
	bool flush_pending;
	/* shadow_vm.unsync_seq when the slot stopped being current, and
	 * whether the vCPU came back to it since, unchecked: a root that
	 * links out-of-sync pages filled while the vCPU ran another (under
	 * another PCID, maybe) is synced first, NOFLUSH or not (unsync.c). */
	uint64_t left_seq;
	bool returned;
	/* Addresses the guest invalidated while the slot was not current,
	 * whose leaves were out of sync: synced when it runs again, since
	 * its PCID caches nothing until then and must find what the guest
	 * tables say then (a sync at the invalidation would miss later
	 * unseen changes). More than fit: need_sync. */
	uint8_t nr_pending;
	uint64_t pending_la[ROOT_SLOT_PENDING_MAX];
	/* The root while the slot is not current, pinned (root_count) so
	 * that switching back takes no lock: ownership of the pin moves
	 * between here and smmu_vcpu.root. The pool may take it (under the
	 * MMU lock) when nothing else is left to evict: exchanged, so that
	 * exactly one of the two owns the pin. NULL: not pinned, found again
	 * by (gfn, role, gen) under the lock. */
	struct sp *held;
};

struct vcpu_roots {
	unsigned nr_slots; /* cached_roots + 1 */
	int cur;	   /* slot of the current root; -1 outside IA-32e */
	uint64_t clock;
	struct root_slot slot[SMMU_CACHED_ROOTS_MAX + 1];
	/* By hardware PCID (slot + 1 with SMMU_HOST_PCID; 0 otherwise and
	 * outside IA-32e mode): sp.gen of the root whose non-global
	 * translations it may hold, 0 when it holds none. */
	uint64_t hw_gen[SMMU_CACHED_ROOTS_MAX + 2];
	/* And the slot (root_slot.id, 0 outside IA-32e mode) they were
	 * cached for. */
	uint32_t hw_owner[SMMU_CACHED_ROOTS_MAX + 2];
	uint32_t next_slot_id;
	uint16_t ran_pcid; /* hardware PCID of the last run */
	/* Per hardware PCID, the flushes of every CPU done (shadow_vm.
	 * remote_flushes) and the assisted flushes of this vCPU begun
	 * (vcpu_placement.emptied) when it was last left: two more of
	 * either and it is empty (pcid.c). */
	uint64_t left_remote[SMMU_CACHED_ROOTS_MAX + 2];
	uint64_t left_emptied[SMMU_CACHED_ROOTS_MAX + 2];
	/* shadow_vm.splinters_dropped when this vCPU last flushed all it
	 * holds (pieces are never global: with or without globals). */
	uint64_t splinters_flushed;
	bool noflush_switch;   /* the last MOV CR3 had NOFLUSH */
	struct sp pae_root;    /* private root outside IA-32e mode */
	uint64_t pae_root_cr3; /* the CR3 it was last built for */
};

/* roots.c */
void roots_init(struct smmu_vcpu *vcpu);
/* The registers changed: pick the slot for the root they select (and
 * stop running on the old root if it is another). */
void roots_follow_regs(struct smmu_vcpu *vcpu);
/* The root to run on, loaded, pinned and synced as owed; NULL when the
 * pool cannot hold one. MMU lock held. */
struct sp *roots_load(struct smmu_vcpu *vcpu);
/* Just before entry, without the lock: does the current slot owe a
 * sync (roots_load then does it)? Also when the vCPU came back to it and
 * out-of-sync pages moved meanwhile. */
bool roots_owe_sync(struct smmu_vcpu *vcpu);
/* Stop running on the current root (MMU lock held). */
void roots_release(struct smmu_vcpu *vcpu);
/* The pool's last resort: unpin every vCPU's cached roots; true if one
 * was. MMU lock held. */
bool roots_unpin_cached(struct smmu_vm *vm);
/* Forget every cached root and stop running on the current one: the
 * next entry builds (or finds) and syncs it afresh (a policy's reload). */
void roots_drop_all(struct smmu_vcpu *vcpu);
/* Mark the slots of guest PCID pcid (every slot if `all`) as owing a sync
 * and a flush of their hardware PCID before they run. */
void roots_invalidate(struct smmu_vcpu *vcpu, bool all, uint16_t pcid);
/* Sync la now in the roots of guest PCID pcid (every cached root if
 * `all`); flush it in their hardware PCIDs unless `all` (the caller
 * flushes every PCID). MMU lock held. */
void roots_sync_address(struct smmu_vcpu *vcpu, bool all, uint16_t pcid,
			uint64_t la);
/* The same without the lock when nothing needs syncing: true if no root
 * it covers has la's leaf in an out-of-sync page (then the flushes are
 * queued as roots_sync_address would); false: take the lock and call
 * roots_sync_address. */
bool roots_address_in_sync(struct smmu_vcpu *vcpu, bool all, uint16_t pcid,
			   uint64_t la);
void roots_destroy(struct smmu_vcpu *vcpu);

/* pcid.c */
/* The hardware PCID a slot runs under (-1: outside IA-32e mode). */
uint16_t pcid_of_slot(const struct smmu_vcpu *vcpu, int slot);
/* Queue a flush of one hardware PCID / of every PCID of the vCPU, and
 * forget what they held. */
void pcid_flush(struct smmu_vcpu *vcpu, uint16_t hw_pcid);
void pcid_flush_vcpu(struct smmu_vcpu *vcpu, bool global);
/* Just before entry on `root` in slot (-1 outside IA-32e): the flush the
 * hardware PCID needs, if any. true if none was needed. */
bool pcid_prepare(struct smmu_vcpu *vcpu, int slot, const struct sp *root);

/* invalidate.c: the guest's control-register writes, as SDM 4.10.4.1
 * says they invalidate, after the registers changed (old: before). */
enum cr_write { CR_WRITE_CR0, CR_WRITE_CR3, CR_WRITE_CR4, CR_WRITE_EFER };
void invalidate_cr_write(struct smmu_vcpu *vcpu,
			 const struct smmu_paging_regs *old, enum cr_write cr,
			 bool noflush);
/* Registers replaced by smmu_vcpu_set_paging: everything. */
void invalidate_everything(struct smmu_vcpu *vcpu);
/* A #PF the guest takes at la: la's translations, as INVLPG. */
void invalidate_faulted_address(struct smmu_vcpu *vcpu, uint64_t la);

#endif
