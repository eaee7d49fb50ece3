/* SPDX-License-Identifier: MIT */
/*
 * The shadow tree's entries and links, the layer every other one builds
 * on: zapping an spte (its rmap entry or its link to a child goes with
 * it), storing a leaf, recording which spte links which page (parents),
 * and the unsync_children bits that lead invalidations down to
 * out-of-sync pages (unsync.c). MMU lock held throughout.
 */
#include "lock_check.h"
#include "vm.h"

void sp_zap_spte(struct smmu_vm *vm, struct sp *sp, unsigned index)
{
	MMU_LOCK_HELD(vm);
	if (sp->role.level == 1) {
		sp_clear_leaf(vm, sp, index);
		return;
	}
	uint64_t spte = __atomic_load_n(&sp->spt[index], __ATOMIC_ACQUIRE);
	if (!(spte & X86_PTE_P))
		return;
	if (spte & X86_PTE_PS) {
		/* A 32-bit guest's 4 MiB page is two 2 MiB leaves. */
		if (sp->role.guest_levels == 2 || sp->role.direct)
			sp_splinters_dropped(&vm->shadow);
		sp_clear_leaf(vm, sp, index);
		return;
	}
	__atomic_store_n(&sp->spt[index], 0, __ATOMIC_RELEASE);
	sp_unlink(vm, sp, index);
	SHADOW_STAT(vm, sptes_zapped);
}

void sp_set_leaf(struct sp *sp, unsigned index, uint64_t spte)
{
	present_mark(sp->present, index);
	slot_thaw(&sp->spt[index], spte);
}

bool sp_has_unsync_child(const struct sp *sp)
{
	for (unsigned w = 0; w < 512 / 64; w++)
		if (sp->unsync_children[w])
			return true;
	return false;
}

void sp_mark_unsync_child(struct sp *parent, unsigned index)
{
	uint64_t bit = 1ull << (index % 64);
	if (parent->unsync_children[index / 64] & bit)
		return; /* its ancestors know already */
	parent->unsync_children[index / 64] |= bit;
	for (struct sp_parent *p = parent->parents; p; p = p->next)
		sp_mark_unsync_child(p->sp, p->index);
}

/* An obsolete page nothing holds any more goes, with whatever was
 * linked under it since it became obsolete. */
static void sp_retire_if_obsolete(struct smmu_vm *vm, struct sp *sp)
{
	if (!sp->obsolete || sp->root_count || sp->pinned)
		return;
	for (unsigned i = 0; i < 512; i++)
		sp_zap_spte(vm, sp, i);
	rmap_forget(vm, sp);
	sp_retire(vm, sp);
}

void sp_root_put(struct smmu_vm *vm, struct sp *sp)
{
	/* Every vCPU that ran on an obsolete root flushed before it ran
	 * again (the request that made it obsolete saw to that). */
	if (!--sp->root_count)
		sp_retire_if_obsolete(vm, sp);
}

void sp_unpin(struct smmu_vm *vm, struct sp *sp)
{
	if (!--sp->pinned)
		sp_retire_if_obsolete(vm, sp);
}

bool sp_link(struct smmu_vm *vm, struct sp *parent, unsigned index,
	     struct sp *child)
{
	MMU_LOCK_HELD(vm);
	struct sp_parent *p = obj_alloc(vm, OBJ_LINK);
	if (!p)
		return false;
	p->sp = parent;
	p->index = index;
	p->next = child->parents;
	child->parents = p;
	/* Published to lock-free walkers (fill_lockfree.c, roots.c): the
	 * child complete before the pointer. */
	__atomic_store_n(&parent->child[index], child, __ATOMIC_RELEASE);
	/* The CPU holds a PAE root's entries in registers until the owner
	 * next enters: what they link must not be evicted before it stops
	 * being linked. */
	if (parent->pae_root && !bug_planted(vm, SMMU_INJECT_PAE_UNPINNED))
		child->root_count++;
	if (child->unsync || (child->child && sp_has_unsync_child(child)))
		sp_mark_unsync_child(parent, index);
	return true;
}

void sp_unlink(struct smmu_vm *vm, struct sp *parent, unsigned index)
{
	MMU_LOCK_HELD(vm);
	struct sp *child = parent->child[index];
	__atomic_store_n(&parent->child[index], (struct sp *)0,
			 __ATOMIC_RELAXED);
	if (child && child->role.direct)
		sp_splinters_dropped(&vm->shadow);
	if (child && parent->pae_root &&
	    !bug_planted(vm, SMMU_INJECT_PAE_UNPINNED))
		sp_root_put(vm, child);
	parent->unsync_children[index / 64] &= ~(1ull << (index % 64));
	for (struct sp_parent **p = child ? &child->parents : 0; p && *p;
	     p = &(*p)->next) {
		if ((*p)->sp == parent && (*p)->index == index) {
			struct sp_parent *gone = *p;
			*p = gone->next;
			obj_free(vm, OBJ_LINK, gone);
			return;
		}
	}
}
