/* SPDX-License-Identifier: MIT */
/*
 * Keeping shadows and guest tables together, above the shadow-page
 * layers of sp.h: out-of-sync tables (unsync.c), frames that stop being
 * shadowed (unshadow.c), and prefetching neighbours on a fault
 * (prefetch.c). MMU lock held throughout.
 */
#ifndef SMMU_SYNC_H
#define SMMU_SYNC_H

#include "sp.h"

/* unsync.c */
enum gfn_state { GFN_UNSHADOWED, GFN_SYNC, GFN_UNSYNC };
enum gfn_state sp_gfn_state(struct smmu_vm *vm, uint64_t gfn);
/* The same without the lock, inside an RCU read-side section: pages are
 * hashed and unsynced with full barriers (sp_cache.c, wrprot.c). */
enum gfn_state sp_gfn_state_rcu(struct smmu_vm *vm, uint64_t gfn);
/* Count an emulated store to guest table gfn. */
void sp_count_store(struct smmu_vm *vm, uint64_t gfn);
/* A write fault on the frame of in-sync guest table gfn: make its
 * shadows out of sync if it qualifies; true if it did (the frame may
 * then be mapped writable). */
bool sp_try_unsync(struct smmu_vm *vm, uint64_t gfn);
/* The same whatever the stores so far: true if every shadow of gfn is a
 * last-level page, now out of sync (smmu_vm_unprotect_gfn). */
bool sp_force_unsync(struct smmu_vm *vm, uint64_t gfn);
/* A fill into out-of-sync page(s) (MMU lock held) reads guest entries
 * after begin and stores its sptes before end: what it stores may be a
 * value no vCPU away from the page's roots ever saw (shadow_vm.unsync_seq). */
void unsync_fill_begin(struct smmu_vm *vm);
void unsync_fill_end(struct smmu_vm *vm);
/* Without the lock: may an out-of-sync page hold an spte filled, or made
 * stale, since unsync_seq read `seq`? */
bool unsync_moved_since(struct smmu_vm *vm, uint64_t seq);
uint64_t unsync_seq_now(struct smmu_vm *vm);
/* Sync every out-of-sync page at or under sp. */
void sp_sync_tree(struct smmu_vm *vm, struct sp *sp);
/* Sync the spte that maps la under root, if its page is out of sync. */
void sp_sync_address(struct smmu_vm *vm, struct sp *root, uint64_t la);
/* Sync every shadow of guest table gfn and bring it back in sync. */
void sp_sync_gfn(struct smmu_vm *vm, uint64_t gfn);
/* Where the guest entry that spte `index` of level-1 page sp mirrors
 * lives, and its size: a 32-bit guest's page table is shadowed in two
 * halves. */
uint64_t sp_gpte_gpa(const struct sp *sp, unsigned index, unsigned *size);

/* dirty_log.c (smmu_vm_dirty_log_*). Is gfn logged? May a leaf spte map
 * it writable (not logged, or written already)? Record that it was
 * written; the same for a gpa, as gw_guest.wrote wants it. Make its
 * mappings read-only again (true: flush the CPUs). */
bool dirty_log_tracks(const struct smmu_vm *vm, uint64_t gfn);
bool dirty_log_overlaps(const struct smmu_vm *vm, uint64_t gfn, uint64_t n);
bool dirty_log_may_write(const struct smmu_vm *vm, uint64_t gfn);
void dirty_log_mark(struct smmu_vm *vm, uint64_t gfn);
void dirty_log_wrote(void *vm, uint64_t gpa);
bool dirty_log_protect(struct smmu_vm *vm, uint64_t first, uint64_t count);

/* unshadow.c. Count an emulated store to guest table gfn; stop shadowing
 * it if it looks like the guest no longer uses it as a table. */
void sp_note_write(struct smmu_vm *vm, uint64_t gfn);

/* prefetch.c. Spte `index` of level-1 page sp was just filled by a fault
 * of vcpu: fill its neighbours that the guest allows. */
void sp_prefetch(struct smmu_vcpu *vcpu, struct sp *sp, unsigned index);

/* fill_lockfree.c, without the MMU lock, inside an RCU read-side
 * section of the caller's, on a root that is not obsolete. A fault at la
 * (a store if `write`) whose guest walk succeeded: fill its leaf spte and
 * neighbours under the shadow tables that exist, in level-1 page `leaf`
 * if the caller found it (else looked for); false if it could not (the
 * locked path then decides). `known`: what the fault asked the host
 * already, not asked again for that frame. */
struct fill_known {
	uint64_t gfn, hpa; /* the frame the fault's walk found, its hpa */
	uint64_t backing;  /* backing_changes before gfn_to_hpa gave it */
};
bool fill_lockfree(struct smmu_vcpu *vcpu, struct sp *leaf, uint64_t la,
		   bool write, const struct fill_known *known);

#endif
