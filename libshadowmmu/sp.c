/* SPDX-License-Identifier: MIT */
/*
 * One shadow page's memory: the struct, the bookkeeping arrays its level
 * needs, and the table page the hardware walks (which the pool hands out,
 * sp_pool.c); and clearing one of its leaf entries. The lowest shadow
 * layer: it calls the host and the object cache only.
 */
#include "lock_check.h"
#include "vm.h"

struct sp *sp_alloc(struct smmu_vm *vm, union sp_role role)
{
	struct sp *sp = obj_alloc(vm, OBJ_SP);
	if (!sp)
		return 0;
	if (role.level > 1) {
		sp->child = obj_alloc(vm, OBJ_POINTERS);
		if (!sp->child) {
			sp_free_struct(vm, sp);
			return 0;
		}
	}
	sp->role = role;
	sp->vm = vm;
	sp->links_gc_at = 8;
	sp->link_hint[0] = sp->link_hint[1] = LINK_HINT_NONE;
	return sp;
}

void sp_free_struct(struct smmu_vm *vm, struct sp *sp)
{
	if (sp->frames)
		obj_free(vm, OBJ_LEAF_FRAMES, sp->frames);
	if (sp->large_gfn)
		obj_free(vm, OBJ_POINTERS, sp->large_gfn);
	if (sp->gpte)
		obj_free(vm, OBJ_POINTERS, sp->gpte);
	if (sp->child)
		obj_free(vm, OBJ_POINTERS, sp->child);
	obj_free(vm, OBJ_SP, sp);
}

void sp_free_now(struct smmu_vm *vm, struct sp *sp)
{
	while (sp->parents) {
		struct sp_parent *p = sp->parents;
		sp->parents = p->next;
		obj_free(vm, OBJ_LINK, p);
	}
	vm->ops->free_page(vm->host, sp->hpa, sp->spt);
	sp_free_struct(vm, sp);
}

/* A dirty spte mapping gfn goes, and with it the only record that the
 * frame was written: a write watch on it (unsync.c) must not trust the
 * clear D bits that are left. */
static void watch_lost(struct smmu_vm *vm, uint64_t gfn)
{
	for (struct sp *sp = vm->shadow.sp_hash[sp_bucket_of(gfn)]; sp;
	     sp = sp->next)
		if (sp->gfn == gfn)
			sp->write_watch = false;
}

/* Empty level-1 slot `index`: a fresh tombstone in place of whatever it
 * held once no fill owns it. Its present bit goes first: no fill starts
 * on a present slot, so none can have set it again meanwhile. The value
 * it held. */
static uint64_t empty_leaf_slot(struct sp *sp, unsigned index)
{
	uint64_t *slot = &sp->spt[index];
	uint64_t tomb = sp_tombstone(sp);
	for (;;) {
		uint64_t v = slot_settled(slot);
		if (v & X86_PTE_P)
			present_unmark(sp->present, index);
		/* The hardware may set A or D meanwhile: then again. */
		if (__atomic_compare_exchange_n(slot, &v, tomb, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			return v;
	}
}

bool sp_clear_leaf(struct smmu_vm *vm, struct sp *sp, unsigned index)
{
	MMU_LOCK_HELD(vm);
	uint64_t old;
	if (sp->role.level == 1) {
		old = empty_leaf_slot(sp, index);
		if ((old & X86_PTE_P) && (old & X86_PTE_D) &&
		    vm->shadow.watching)
			watch_lost(vm, sp_leaf_gfn(sp, index));
	} else {
		/* 2 MiB leaves are the lock's holder's alone. */
		old = __atomic_exchange_n(&sp->spt[index], 0, __ATOMIC_ACQ_REL);
	}
	if (!(old & X86_PTE_P))
		return false;
	SHADOW_STAT(vm, sptes_zapped);
	if (!(old & X86_PTE_RW))
		return false;
	/* Whoever flushes every CPU next clears it (flush.c). */
	vm->shadow.writable_dropped = true;
	return true;
}

void sp_take_slot(struct smmu_vm *vm, struct sp *sp, unsigned index)
{
	MMU_LOCK_HELD(vm);
	uint64_t *slot = &sp->spt[index];
	for (;;) {
		uint64_t v = slot_settled(slot);
		if (v & X86_PTE_P)
			sp_clear_leaf(vm, sp, index);
		else if (slot_freeze(slot, v))
			return;
	}
}

void sp_release_slot(struct sp *sp, unsigned index)
{
	slot_thaw(&sp->spt[index], sp_tombstone(sp));
}
