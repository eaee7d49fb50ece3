/* SPDX-License-Identifier: MIT */
/*
 * The bounded shadow-page pool: when the host's budget is spent, the least
 * recently used shadow pages that no vCPU runs on as its root and no fault
 * is linking through are evicted, a batch at a time. Recency is the clock
 * algorithm's: a fault marks the pages it uses referenced (one bit, set
 * only when clear), and eviction gives a referenced page a second chance
 * at the tail of the list instead of every fault reordering it. Eviction
 * unlinks each from every spte that points to it and drops its own entries;
 * then every CPU is flushed once (their TLBs and paging-structure caches may
 * hold the pages), and the pages are freed only after an RCU grace period, so
 * that no walker, hardware or software, can ever read a recycled page (DESIGN
 * 4.6, shared/seeds 003). Roots a vCPU keeps cached but does not run on
 * are evicted like any page; the vCPU finds them gone (roots.c).
 */
#include "lock_check.h"
#include "flush.h"
#include "vm.h"

static void lru_remove(struct smmu_vm *vm, struct sp *sp)
{
	struct shadow_vm *sh = &vm->shadow;
	if (sp->lru_prev)
		sp->lru_prev->lru_next = sp->lru_next;
	else if (sh->lru_head == sp)
		sh->lru_head = sp->lru_next;
	if (sp->lru_next)
		sp->lru_next->lru_prev = sp->lru_prev;
	else if (sh->lru_tail == sp)
		sh->lru_tail = sp->lru_prev;
	sp->lru_prev = sp->lru_next = 0;
}

void sp_lru_add(struct smmu_vm *vm, struct sp *sp)
{
	struct shadow_vm *sh = &vm->shadow;
	sp->lru_prev = sh->lru_tail;
	sp->lru_next = 0;
	if (sh->lru_tail)
		sh->lru_tail->lru_next = sp;
	else
		sh->lru_head = sp;
	sh->lru_tail = sp;
}

/* Take a page out of the shadow tree: nothing links to it, it maps
 * nothing, and no lookup finds it. CPUs may still cache it. */
void sp_unhook(struct smmu_vm *vm, struct sp *sp)
{
	MMU_LOCK_HELD(vm);
	while (sp->parents) {
		struct sp_parent *p = sp->parents;
		__atomic_store_n(&p->sp->spt[p->index], 0, __ATOMIC_RELEASE);
		sp_unlink(vm, p->sp, p->index);
	}
	for (unsigned i = 0; i < 512; i++)
		sp_zap_spte(vm, sp, i);
	rmap_forget(vm, sp);
	sp_cache_remove(vm, sp);
	lru_remove(vm, sp);
}

static void flush_for_eviction(struct smmu_vm *vm)
{
	if (!bug_planted(vm, SMMU_INJECT_NO_FLUSH_ON_EVICT))
		flush_remote(vm, REMOTE_FREES);
}

void sp_zap_page(struct smmu_vm *vm, struct sp *sp)
{
	MMU_LOCK_HELD(vm);
	SHADOW_STAT(vm, sp_zapped);
	sp_unhook(vm, sp);
	flush_for_eviction(vm);
	sp_retire(vm, sp);
}

void sp_zap_root(struct smmu_vm *vm, struct sp *sp)
{
	MMU_LOCK_HELD(vm);
	SHADOW_STAT(vm, sp_zapped);
	/* A PAE root's link stays: the CPU holds it in a register until
	 * the vCPU enters again, which rebuilds its root (roots.c). */
	for (struct sp_parent **p = &sp->parents; *p;) {
		struct sp_parent *link = *p;
		if (link->sp->pae_root) {
			p = &link->next;
			continue;
		}
		__atomic_store_n(&link->sp->spt[link->index], 0,
				 __ATOMIC_RELEASE);
		sp_unlink(vm, link->sp, link->index);
	}
	/* Emptied, so that a vCPU still on it faults rather than use what
	 * it holds (its request to drop it is on the way). */
	if (!bug_planted(vm, SMMU_INJECT_STATE_AS_TLB_FLUSH))
		for (unsigned i = 0; i < 512; i++)
			sp_zap_spte(vm, sp, i);
	rmap_forget(vm, sp);
	sp_cache_remove(vm, sp);
	lru_remove(vm, sp);
	__atomic_store_n(&sp->obsolete, true, __ATOMIC_RELEASE);
}

/* Pages evicted in one go when the budget is spent: one remote flush and
 * one grace period pay for all of them, instead of one each. */
#define EVICT_BATCH 8

/* The oldest page no root or fault holds that was not used since it was
 * last looked at here; a used one gets a second chance at the tail. Pages
 * moved to the tail are met again, unreferenced, before the end. */
static struct sp *lru_victim(struct smmu_vm *vm)
{
	struct sp *sp = vm->shadow.lru_head;
	while (sp) {
		struct sp *next = sp->lru_next;
		if (sp->root_count || sp->pinned) {
			sp = next;
			continue;
		}
		if (!__atomic_load_n(&sp->referenced, __ATOMIC_RELAXED))
			return sp;
		__atomic_store_n(&sp->referenced, 0, __ATOMIC_RELAXED);
		if (next) {
			lru_remove(vm, sp);
			sp_lru_add(vm, sp);
		} else {
			return sp; /* the only one left */
		}
		sp = next;
	}
	return 0;
}

static bool evict_batch(struct smmu_vm *vm)
{
	struct sp *batch = 0;
	for (unsigned n = 0; n < EVICT_BATCH; n++) {
		struct sp *victim = lru_victim(vm);
		if (!victim)
			break;
		SHADOW_STAT(vm, evictions);
		SHADOW_STAT(vm, sp_zapped);
		sp_unhook(vm, victim);
		victim->retire_next = batch;
		batch = victim;
	}
	if (!batch)
		return false;
	flush_for_eviction(vm);
	while (batch) {
		struct sp *next = batch->retire_next;
		sp_retire(vm, batch);
		batch = next;
	}
	return true;
}

bool sp_alloc_page(struct smmu_vm *vm, uint64_t *hpa, void **hva)
{
	MMU_LOCK_HELD(vm);
	while (!vm->ops->alloc_page(vm->host, hpa, hva)) {
		if (evict_batch(vm))
			continue;
		/* Roots the vCPUs keep cached are pinned so that switching
		 * back takes no lock (roots.h): unpinned as a last resort,
		 * through the layer that owns them. */
		if (!vm->shadow.unpin_cached_roots ||
		    !vm->shadow.unpin_cached_roots(vm))
			return false;
	}
	return true;
}
