/* SPDX-License-Identifier: MIT */
/*
 * Write-flood detection. Every store to a shadowed guest table costs an
 * exit and an emulation. A guest that stores to the same table again and
 * again while no fault walks through its shadow has most likely stopped
 * using it as a table (freed it and reused the frame for data, or is
 * filling a new table before it links it): keep shadowing it and every
 * store stays an exit. After a few such stores the shadows of the frame
 * are dropped; with none left the frame is no longer write-protected (the
 * next write fault maps it writable), and if the guest does walk it again
 * it is shadowed afresh from what it then holds.
 */
#include "shadow.h"
#include "vm.h"

/* Consecutive emulated stores, with no fault through the shadow between
 * them, after which a table is taken for data. */
#define WRITE_FLOOD_STORES 3

void sp_note_write(struct smmu_vm *vm, uint64_t gfn)
{
	struct sp **bucket = &vm->shadow.sp_hash[sp_bucket_of(gfn)];
	bool flooded = false;
	for (struct sp *sp = *bucket; sp; sp = sp->next) {
		if (sp->gfn != gfn || sp->role.direct)
			continue;
		if (sp->write_flood < WRITE_FLOOD_STORES)
			sp->write_flood++;
		flooded |= sp->write_flood >= WRITE_FLOOD_STORES;
	}
	if (!flooded)
		return;
	/* A page in use as a root, or on a path a fault is building, stays:
	 * the guest is using it right now. Zapping unhashes the page, so
	 * look again from the head of the chain after each. */
	for (;;) {
		struct sp *victim = 0;
		for (struct sp *sp = *bucket; sp && !victim; sp = sp->next)
			if (sp->gfn == gfn && !sp->role.direct &&
			    sp->write_flood >= WRITE_FLOOD_STORES &&
			    !sp->root_count && !sp->pinned)
				victim = sp;
		if (!victim)
			return;
		SHADOW_STAT(vm, unshadowed);
		sp_zap_page(vm, victim);
	}
}
