/* SPDX-License-Identifier: MIT */
/*
 * One shadow page's memory: the struct, the bookkeeping arrays its level
 * needs, and the table page the hardware walks (which the pool hands out,
 * sp_pool.c); and clearing one of its leaf entries. The lowest shadow
 * layer: it calls the host and the object cache only.
 */
#include "vm.h"

struct sp *sp_alloc(struct smmu_vm *vm, union sp_role role)
{
	struct sp *sp = obj_alloc(vm, OBJ_SP);
	if (!sp)
		return 0;
	bool ok = true;
	if (role.level == 1) {
		if (!role.direct) {
			sp->frames = obj_alloc(vm, OBJ_LEAF_FRAMES);
			ok = sp->frames != 0;
		}
	} else {
		sp->child = obj_alloc(vm, OBJ_POINTERS);
		ok = sp->child != 0;
	}
	if (!ok) {
		sp_free_struct(vm, sp);
		return 0;
	}
	sp->role = role;
	sp->vm = vm;
	sp->links_gc_at = 8;
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

bool sp_clear_leaf(struct smmu_vm *vm, struct sp *sp, unsigned index)
{
	uint64_t old =
		__atomic_exchange_n(&sp->spt[index], 0, __ATOMIC_ACQ_REL);
	if (!(old & X86_PTE_P))
		return false;
	if (sp->role.level == 1) {
		sp->present[index / 64] &= ~(1ull << (index % 64));
		if ((old & X86_PTE_D) && vm->shadow.watching)
			watch_lost(vm, sp_leaf_gfn(sp, index));
	}
	SHADOW_STAT(vm, sptes_zapped);
	if (!(old & X86_PTE_RW))
		return false;
	/* Whoever flushes every CPU next clears it (flush.c). */
	vm->shadow.writable_dropped = true;
	return true;
}
