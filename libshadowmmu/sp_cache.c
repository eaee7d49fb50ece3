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
#include "lock_check.h"
#include "vm.h"

struct sp *sp_find(struct smmu_vm *vm, uint64_t gfn, union sp_role role)
{
	MMU_LOCK_HELD(vm);
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

void sp_cache_insert(struct smmu_vm *vm, struct sp *sp)
{
	MMU_LOCK_HELD(vm);
	unsigned b = sp_bucket_of(sp->gfn);
	sp->next = vm->shadow.sp_hash[b];
	/* Published whole to lock-free readers (sp_gfn_state_rcu), in the
	 * order that protecting its frame relies on (wrprot.c). */
	__atomic_store_n(&vm->shadow.sp_hash[b], sp, __ATOMIC_SEQ_CST);
	sp->in_cache = true;
}

void sp_cache_remove(struct smmu_vm *vm, struct sp *sp)
{
	MMU_LOCK_HELD(vm);
	/* A lock-free reader on sp goes on along sp->next, which stays:
	 * sp is freed after a grace period. */
	for (struct sp **p = &vm->shadow.sp_hash[sp_bucket_of(sp->gfn)]; *p;
	     p = &(*p)->next) {
		if (*p == sp) {
			__atomic_store_n(p, sp->next, __ATOMIC_RELEASE);
			break;
		}
	}
	sp->in_cache = false;
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
