/* SPDX-License-Identifier: MIT */
/*
 * A bounded shadow-page pool: when the host's budget is spent, the least
 * recently used shadow page that no vCPU runs on as its root and no fault
 * is linking through is evicted. Eviction unlinks it from every spte that
 * points to it, drops its own entries, flushes every CPU (their TLBs and
 * paging-structure caches may hold it), and frees it only after an RCU
 * grace period, so that no walker, hardware or software, can ever read a
 * recycled page (DESIGN 4.6, shared/seeds 003).
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
	return true;
}

void sp_unlink(struct smmu_vm *vm, struct sp *parent, unsigned index)
{
	struct sp *child = parent->child[index];
	parent->child[index] = 0;
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

void sp_free_now(struct smmu_vm *vm, struct sp *sp)
{
	const struct smmu_host_ops *ops = vm->ops;
	while (sp->parents) {
		struct sp_parent *p = sp->parents;
		sp->parents = p->next;
		ops->free(vm->host, p, sizeof(*p));
	}
	if (sp->leaf_gfn)
		ops->free(vm->host, sp->leaf_gfn, 512 * sizeof(uint64_t));
	if (sp->child)
		ops->free(vm->host, sp->child, 512 * sizeof(struct sp *));
	ops->free_page(vm->host, sp->hpa, sp->spt);
	ops->free(vm->host, sp, sizeof(*sp));
}

static void free_after_grace_period(struct smmu_rcu_head *head)
{
	struct sp *sp = (struct sp *)((char *)head -
				      __builtin_offsetof(struct sp, rcu));
	sp_free_now(sp->vm, sp);
}

void sp_zap_page(struct smmu_vm *vm, struct sp *sp)
{
	/* Nothing links to it any more... */
	while (sp->parents) {
		struct sp_parent *p = sp->parents;
		__atomic_store_n(&p->sp->spt[p->index], 0, __ATOMIC_RELEASE);
		sp_unlink(vm, p->sp, p->index);
	}
	/* ...it links to nothing, maps nothing... */
	for (unsigned i = 0; i < 512; i++)
		shadow_zap_spte(vm, sp, i);
	/* ...and nobody finds it. */
	sp_cache_remove(vm, sp);
	lru_remove(vm, sp);
	sp->in_cache = false;

	/* CPUs may still cache it or be walking it: flush them all now,
	 * free it once none can be mid-walk. */
	if (!(vm->inject & SMMU_INJECT_NO_FLUSH_ON_EVICT))
		shadow_flush_all_cpus(vm);
	sp->vm = vm;
	sp->rcu.func = free_after_grace_period;
	vm->ops->defer_free(vm->host, &sp->rcu);
}

bool sp_evict_one(struct smmu_vm *vm)
{
	struct sp *victim = vm->shadow.lru_head;
	while (victim && (victim->root_count || victim->pinned))
		victim = victim->lru_next;
	if (!victim)
		return false;
	SHADOW_STAT(vm, evictions);
	sp_zap_page(vm, victim);
	return true;
}

bool sp_alloc_page(struct smmu_vm *vm, uint64_t *hpa, void **hva)
{
	/* The budget is spent: evict until a page comes free. */
	while (!vm->ops->alloc_page(vm->host, hpa, hva))
		if (!sp_evict_one(vm))
			return false;
	return true;
}
