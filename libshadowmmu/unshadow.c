/* SPDX-License-Identifier: MIT */
/*
 * Unshadowing: a guest frame whose tables stop being shadowed, so that
 * its stores run at full speed instead of one exit and one emulation
 * each. The shadows of the frame are zapped; with none left the frame is
 * no longer write-protected (the next write fault maps it writable), and
 * if the guest does walk it again it is shadowed afresh from what it
 * then holds.
 *
 * Two reasons to do it. Write floods: a guest that stores to the same
 * table again and again while no fault walks through its shadow has most
 * likely stopped using it as a table (freed it and reused the frame for
 * data, or is filling a new table before it links it). And the host's
 * request (smmu_vm_unprotect_gfn): a store it cannot emulate, such as the
 * CPU's own pushes while delivering an event onto a frame that is still
 * shadowed.
 */
#include "lock_check.h"
#include "sync.h"
#include "vm.h"

/* Consecutive emulated stores, with no fault through the shadow between
 * them, after which a table is taken for data. */
#define WRITE_FLOOD_STORES 3

/* Zap the shadows of gfn (only the flooded ones if flooded_only); a page
 * in use as a root, or on a path a fault is building, stays: the guest
 * is using it right now. true if none is left. */
static bool unshadow(struct smmu_vm *vm, uint64_t gfn, bool flooded_only)
{
	struct sp **bucket = &vm->shadow.sp_hash[sp_bucket_of(gfn)];
	/* Zapping unhashes the page: look again from the head of the chain
	 * after each. */
	for (;;) {
		struct sp *victim = 0;
		bool busy = false;
		for (struct sp *sp = *bucket; sp && !victim; sp = sp->next) {
			if (sp->gfn != gfn || sp->role.direct ||
			    (flooded_only && __atomic_load_n(&sp->write_flood,
							     __ATOMIC_RELAXED) <
						     WRITE_FLOOD_STORES))
				continue;
			if (sp->root_count || sp->pinned)
				busy = true;
			else
				victim = sp;
		}
		if (!victim)
			return !busy;
		SHADOW_STAT(vm, unshadowed);
		sp_zap_page(vm, victim);
	}
}

void sp_note_write(struct smmu_vm *vm, uint64_t gfn)
{
	bool flooded = false;
	for (struct sp *sp = vm->shadow.sp_hash[sp_bucket_of(gfn)]; sp;
	     sp = sp->next) {
		if (sp->gfn != gfn || sp->role.direct)
			continue;
		uint8_t n = __atomic_load_n(&sp->write_flood, __ATOMIC_RELAXED);
		if (n < WRITE_FLOOD_STORES)
			__atomic_store_n(&sp->write_flood, ++n,
					 __ATOMIC_RELAXED);
		flooded |= n >= WRITE_FLOOD_STORES;
	}
	if (flooded)
		unshadow(vm, gfn, true);
}

enum smmu_status smmu_vm_unprotect_gfn(struct smmu_vm *vm, uint64_t gfn)
{
	if (!vm || !vm->shadow_ops)
		return SMMU_EINVAL;
	vm_lock(vm);
	/* Last-level tables go out of sync instead: writable, and synced
	 * at the guest's next invalidation. Unshadowed, one that maps the
	 * very address stored to would be shadowed again, and protected, by
	 * the retried store's own fault. */
	bool done = sp_force_unsync(vm, gfn) || unshadow(vm, gfn, false);
	vm_unlock(vm);
	return done ? SMMU_OK : SMMU_EBUSY;
}
