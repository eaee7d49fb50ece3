/* SPDX-License-Identifier: MIT */
/*
 * Getting the shadow page of (guest frame, role): found in the cache, or
 * built. Building one takes a page from the pool (which may evict), puts
 * it in the cache, and — for the first shadow of a guest table —
 * write-protects the frame everywhere before anyone relies on it.
 */
#include "lock_check.h"
#include "flush.h"
#include "sync.h"
#include "vm.h"

struct sp *sp_get(struct smmu_vm *vm, uint64_t gfn, union sp_role role)
{
	MMU_LOCK_HELD(vm);
	struct sp *sp = sp_find(vm, gfn, role);
	if (sp)
		return sp;
	/* All shadows of a frame share one sync state, and this one will
	 * be in sync (unsync.c, rule 1). */
	if (!role.direct && sp_gfn_state(vm, gfn) == GFN_UNSYNC)
		sp_sync_gfn(vm, gfn);

	sp = sp_alloc(vm, role);
	if (!sp)
		return 0;
	void *page;
	if (!sp_alloc_page(vm, &sp->hpa, &page)) {
		sp_free_struct(vm, sp);
		return 0;
	}
	/* Asked after any eviction: one may have taken the frame's only
	 * other shadow. */
	bool first_shadow = !role.direct && !sp_gfn_is_shadowed(vm, gfn);
	sp->spt = page;
	sp->gfn = gfn;
	sp->gen = ++vm->shadow.next_gen;
	sp_cache_insert(vm, sp);
	sp_lru_add(vm, sp);
	SHADOW_STAT(vm, sp_created);

	/* From now on the guest must not write this table unseen: remove
	 * write access from every mapping of its frame, in the shadows and
	 * in every CPU's TLB, before anyone relies on this shadow. */
	if (first_shadow && sp_protect_frame(vm, gfn))
		flush_remote(vm, 0);
	return sp;
}
