/* SPDX-License-Identifier: MIT */
/*
 * A bounded shadow-page pool: when the host's budget is spent, the least
 * recently used shadow pages that no vCPU runs on as its root and no fault
 * is linking through are evicted, a batch at a time. Eviction unlinks each
 * from every spte that points to it and drops its own entries; then every
 * CPU is flushed once (their TLBs and paging-structure caches may hold the
 * pages), and the pages are freed only after an RCU grace period, so that
 * no walker, hardware or software, can ever read a recycled page (DESIGN
 * 4.6, shared/seeds 003).
 */
#include "shadow.h"
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

void sp_lru_touch(struct smmu_vm *vm, struct sp *sp)
{
	if (!sp->in_cache || vm->shadow.lru_tail == sp)
		return;
	lru_remove(vm, sp);
	sp_lru_add(vm, sp);
}

bool sp_link(struct smmu_vm *vm, struct sp *parent, unsigned index,
	     struct sp *child)
{
	struct sp_parent *p = vm->ops->alloc(vm->host, sizeof(*p));
	if (!p)
		return false;
	p->sp = parent;
	p->index = index;
	p->next = child->parents;
	child->parents = p;
	parent->child[index] = child;
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
	struct sp *child = parent->child[index];
	parent->child[index] = 0;
	if (child && parent->pae_root &&
	    !bug_planted(vm, SMMU_INJECT_PAE_UNPINNED))
		child->root_count--;
	parent->unsync_children[index / 64] &= ~(1ull << (index % 64));
	for (struct sp_parent **p = child ? &child->parents : 0; p && *p;
	     p = &(*p)->next) {
		if ((*p)->sp == parent && (*p)->index == index) {
			struct sp_parent *gone = *p;
			*p = gone->next;
			vm->ops->free(vm->host, gone, sizeof(*gone));
			return;
		}
	}
}

void sp_root_get(struct smmu_vm *vm, struct sp *sp)
{
	(void)vm;
	sp->root_count++;
}

void sp_root_put(struct smmu_vm *vm, struct sp *sp)
{
	(void)vm;
	sp->root_count--;
}

void sp_free_arrays(struct smmu_vm *vm, struct sp *sp)
{
	const struct smmu_host_ops *ops = vm->ops;
	if (sp->leaf_gfn)
		ops->free(vm->host, sp->leaf_gfn, 512 * sizeof(uint64_t));
	if (sp->gpte)
		ops->free(vm->host, sp->gpte, 512 * sizeof(uint64_t));
	if (sp->child)
		ops->free(vm->host, sp->child, 512 * sizeof(struct sp *));
}

void sp_free_now(struct smmu_vm *vm, struct sp *sp)
{
	const struct smmu_host_ops *ops = vm->ops;
	while (sp->parents) {
		struct sp_parent *p = sp->parents;
		sp->parents = p->next;
		ops->free(vm->host, p, sizeof(*p));
	}
	sp_free_arrays(vm, sp);
	ops->free_page(vm->host, sp->hpa, sp->spt);
	ops->free(vm->host, sp, sizeof(*sp));
}

static void free_after_grace_period(struct smmu_rcu_head *head)
{
	struct sp *sp = (struct sp *)((char *)head -
				      __builtin_offsetof(struct sp, rcu));
	struct smmu_vm *vm = sp->vm;
	sp_free_now(vm, sp);
	/* The last touch of the VM: smmu_vm_destroy may free it as soon
	 * as this reaches 0. */
	__atomic_sub_fetch(&vm->shadow.frees_pending, 1, __ATOMIC_RELEASE);
}

/* Take a page out of the shadow tree: nothing links to it, it maps
 * nothing, and no lookup finds it. CPUs may still cache it. */
static void unhook(struct smmu_vm *vm, struct sp *sp)
{
	while (sp->parents) {
		struct sp_parent *p = sp->parents;
		__atomic_store_n(&p->sp->spt[p->index], 0, __ATOMIC_RELEASE);
		sp_unlink(vm, p->sp, p->index);
	}
	for (unsigned i = 0; i < 512; i++)
		shadow_zap_spte(vm, sp, i);
	sp_cache_remove(vm, sp);
	lru_remove(vm, sp);
	sp->in_cache = false;
}

/* After the flush of every CPU: free it once none can be mid-walk. */
static void retire(struct smmu_vm *vm, struct sp *sp)
{
	sp->vm = vm;
	sp->rcu.func = free_after_grace_period;
	__atomic_add_fetch(&vm->shadow.frees_pending, 1, __ATOMIC_RELAXED);
	vm->ops->defer_free(vm->host, &sp->rcu);
}

static void flush_for_eviction(struct smmu_vm *vm)
{
	if (!bug_planted(vm, SMMU_INJECT_NO_FLUSH_ON_EVICT))
		shadow_flush_all_cpus(vm);
}

void sp_zap_page(struct smmu_vm *vm, struct sp *sp)
{
	SHADOW_STAT(vm, sp_zapped);
	unhook(vm, sp);
	flush_for_eviction(vm);
	retire(vm, sp);
}

/* Pages evicted in one go when the budget is spent: one remote flush and
 * one grace period pay for all of them, instead of one each. */
#define EVICT_BATCH 8

static struct sp *lru_victim(struct smmu_vm *vm)
{
	struct sp *sp = vm->shadow.lru_head;
	while (sp && (sp->root_count || sp->pinned))
		sp = sp->lru_next;
	return sp;
}

static bool evict_batch(struct smmu_vm *vm)
{
	struct sp *batch = 0; /* chained through the unused hash link */
	for (unsigned n = 0; n < EVICT_BATCH; n++) {
		struct sp *victim = lru_victim(vm);
		if (!victim)
			break;
		SHADOW_STAT(vm, evictions);
		SHADOW_STAT(vm, sp_zapped);
		unhook(vm, victim);
		victim->next = batch;
		batch = victim;
	}
	if (!batch)
		return false;
	flush_for_eviction(vm);
	while (batch) {
		struct sp *next = batch->next;
		retire(vm, batch);
		batch = next;
	}
	return true;
}

bool sp_alloc_page(struct smmu_vm *vm, uint64_t *hpa, void **hva)
{
	while (!vm->ops->alloc_page(vm->host, hpa, hva))
		if (!evict_batch(vm))
			return false;
	return true;
}
