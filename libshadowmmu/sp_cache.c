/* SPDX-License-Identifier: MIT */
/*
 * The shadow-page cache: shadow pages keyed by (guest frame, role) in a
 * chained hash. The bucket is chosen from the frame alone, so all shadows
 * of a frame share a chain: finding whether a frame is shadowed, and
 * every shadow an emulated write must update, is one chain walk.
 *
 * Bound on collisions: a chain holds only shadow pages of this VM, so no
 * lookup takes more steps than the VM's shadow-page budget. That worst
 * case needs a guest that places its tables on frames that all hash
 * alike; it slows that guest's own faults (and, through the VM's MMU
 * lock, its other vCPUs), nothing else. Guests that allocate tables
 * normally spread over the 1024 buckets: the stats count the chain
 * steps, and smmu-sim measures 1.4 steps per lookup on its random
 * guests (every role of a frame shares the frame's chain).
 */
#include "shadow.h"
#include "vm.h"

struct sp *sp_find(struct smmu_vm *vm, uint64_t gfn, union sp_role role)
{
	struct shadow_vm *sh = &vm->shadow;
	SHADOW_STAT(vm, sp_lookups);
	for (struct sp *sp = sh->sp_hash[sp_bucket_of(gfn)]; sp;
	     sp = sp->next) {
		SHADOW_STAT(vm, sp_chain_steps);
		if (sp->gfn == gfn && sp->role.word == role.word) {
			SHADOW_STAT(vm, sp_hits);
			return sp;
		}
	}
	return 0;
}

bool sp_gfn_is_shadowed(struct smmu_vm *vm, uint64_t gfn)
{
	for (struct sp *sp = vm->shadow.sp_hash[sp_bucket_of(gfn)]; sp;
	     sp = sp->next)
		if (sp->gfn == gfn && !sp->role.direct)
			return true;
	return false;
}

bool sp_2m_holds_table(struct smmu_vm *vm, uint64_t gfn)
{
	for (uint64_t g = gfn & ~511ull; g < (gfn & ~511ull) + 512; g++)
		if (sp_gfn_is_shadowed(vm, g))
			return true;
	return false;
}

/* The shadow entries of `sp` that mirror guest entry `e` of its table:
 * the first in *index, how many as the result (0 if outside sp). */
static unsigned mirrored(const struct sp *sp, unsigned e, unsigned *index)
{
	unsigned q = sp->role.quadrant;
	if (sp->role.guest_levels != 2) {
		*index = e; /* 8-byte formats: entry for entry */
		return 1;
	}
	if (sp->role.level == 2) {
		/* One 4 MiB guest PDE, two 2 MiB shadow PDEs. */
		if (e / 256 != q)
			return 0;
		*index = (e % 256) * 2;
		return 2;
	}
	if (e / 512 != q)
		return 0;
	*index = e % 512;
	return 1;
}

void sp_zap_entries(struct smmu_vm *vm, uint64_t gfn, unsigned offset,
		    unsigned len)
{
	for (struct sp *sp = vm->shadow.sp_hash[sp_bucket_of(gfn)]; sp;
	     sp = sp->next) {
		if (sp->gfn != gfn || sp->role.direct)
			continue;
		unsigned size = sp->role.guest_levels == 2 ? 4 : 8;
		for (unsigned e = offset / size; e <= (offset + len - 1) / size;
		     e++) {
			unsigned index, n = mirrored(sp, e, &index);
			for (unsigned k = 0; k < n; k++)
				shadow_zap_spte(vm, sp, index + k);
		}
	}
}

struct sp *sp_get(struct smmu_vm *vm, uint64_t gfn, union sp_role role)
{
	struct sp *sp = sp_find(vm, gfn, role);
	if (sp)
		return sp;
	/* All shadows of a frame share one sync state, and this one will
	 * be in sync (sp_unsync.c, rule 1). */
	if (!role.direct && sp_gfn_state(vm, gfn) == GFN_UNSYNC)
		sp_sync_gfn(vm, gfn);

	const struct smmu_host_ops *ops = vm->ops;
	sp = ops->alloc(vm->host, sizeof(*sp));
	if (!sp)
		return 0;
	bool ok;
	if (role.level == 1) {
		sp->leaf_gfn = ops->alloc(vm->host, 512 * sizeof(uint64_t));
		ok = sp->leaf_gfn != 0;
		if (ok && !role.direct) {
			sp->gpte = ops->alloc(vm->host, 512 * sizeof(uint64_t));
			ok = sp->gpte != 0;
		}
	} else {
		sp->child = ops->alloc(vm->host, 512 * sizeof(struct sp *));
		ok = sp->child != 0;
		if (ok && role.level == 2) { /* may hold 2 MiB leaves */
			sp->leaf_gfn =
				ops->alloc(vm->host, 512 * sizeof(uint64_t));
			ok = sp->leaf_gfn != 0;
		}
	}
	void *page;
	if (!ok || !sp_alloc_page(vm, &sp->hpa, &page)) {
		sp_free_arrays(vm, sp);
		ops->free(vm->host, sp, sizeof(*sp));
		return 0;
	}
	/* Asked after any eviction: one may have taken the frame's only
	 * other shadow. */
	bool first_shadow = !role.direct && !sp_gfn_is_shadowed(vm, gfn);
	sp->spt = page;
	sp->gfn = gfn;
	sp->role = role;
	unsigned b = sp_bucket_of(gfn);
	sp->next = vm->shadow.sp_hash[b];
	vm->shadow.sp_hash[b] = sp;
	sp->in_cache = true;
	sp_lru_add(vm, sp);
	SHADOW_STAT(vm, sp_created);

	/* From now on the guest must not write this table unseen: remove
	 * write access from every mapping of its frame, in the shadows and
	 * in every CPU's TLB, before anyone relies on this shadow. */
	if (first_shadow && sp_protect_frame(vm, gfn))
		shadow_flush_all_cpus(vm);
	return sp;
}

void sp_cache_remove(struct smmu_vm *vm, struct sp *sp)
{
	for (struct sp **p = &vm->shadow.sp_hash[sp_bucket_of(sp->gfn)]; *p;
	     p = &(*p)->next) {
		if (*p == sp) {
			*p = sp->next;
			return;
		}
	}
}

void sp_cache_destroy(struct smmu_vm *vm)
{
	for (unsigned b = 0; b < SP_HASH_BUCKETS; b++) {
		struct sp *sp = vm->shadow.sp_hash[b];
		while (sp) {
			struct sp *next = sp->next;
			sp_free_now(vm, sp);
			sp = next;
		}
		vm->shadow.sp_hash[b] = 0;
	}
	vm->shadow.lru_head = vm->shadow.lru_tail = 0;
}
