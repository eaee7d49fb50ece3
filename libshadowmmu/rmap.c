/* SPDX-License-Identifier: MIT */
/*
 * The reverse map: guest frame -> the leaf sptes that map it, so that a
 * frame that starts to hold a shadowed table can be write-protected
 * everywhere it is mapped.
 */
#include "vm.h"

static unsigned bucket_of(uint64_t gfn)
{
	return (unsigned)((gfn * 0x9e3779b97f4a7c15ull) >> 52) &
	       (RMAP_HASH_BUCKETS - 1);
}

static struct rmap_head *head_of(struct smmu_vm *vm, uint64_t gfn)
{
	for (struct rmap_head *h = vm->shadow.rmap_hash[bucket_of(gfn)]; h;
	     h = h->next)
		if (h->gfn == gfn)
			return h;
	return 0;
}

bool rmap_add(struct smmu_vm *vm, uint64_t gfn, struct sp *sp, unsigned index)
{
	const struct smmu_host_ops *ops = vm->ops;
	struct rmap_head *h = head_of(vm, gfn);
	if (!h) {
		h = ops->alloc(vm->host, sizeof(*h));
		if (!h)
			return false;
		h->gfn = gfn;
		unsigned b = bucket_of(gfn);
		h->next = vm->shadow.rmap_hash[b];
		vm->shadow.rmap_hash[b] = h;
	}
	struct rmap_entry *e = ops->alloc(vm->host, sizeof(*e));
	if (!e)
		return false;
	e->sp = sp;
	e->index = index;
	e->next = h->entries;
	h->entries = e;
	return true;
}

void rmap_remove(struct smmu_vm *vm, uint64_t gfn, struct sp *sp,
		 unsigned index)
{
	struct rmap_head *h = head_of(vm, gfn);
	for (struct rmap_entry **p = h ? &h->entries : 0; p && *p;
	     p = &(*p)->next) {
		if ((*p)->sp == sp && (*p)->index == index) {
			struct rmap_entry *e = *p;
			*p = e->next;
			vm->ops->free(vm->host, e, sizeof(*e));
			return;
		}
	}
}

bool rmap_write_protect(struct smmu_vm *vm, uint64_t gfn)
{
	bool was_writable = false;
	struct rmap_head *h = head_of(vm, gfn);
	for (struct rmap_entry *e = h ? h->entries : 0; e; e = e->next) {
		uint64_t *sptep = &e->sp->spt[e->index];
		uint64_t spte = __atomic_load_n(sptep, __ATOMIC_ACQUIRE);
		if (spte & X86_PTE_RW) {
			/* Atomic: the hardware sets A/D in sptes as it walks.
			 */
			__atomic_fetch_and(sptep, ~X86_PTE_RW,
					   __ATOMIC_ACQ_REL);
			was_writable = true;
		}
	}
	return was_writable;
}

bool rmap_zap_large(struct smmu_vm *vm, uint64_t gfn)
{
	bool was_writable = false;
	struct rmap_head *h = head_of(vm, (gfn & ~511ull) | RMAP_LARGE);
	while (h && h->entries) {
		struct rmap_entry *e = h->entries;
		uint64_t old = __atomic_exchange_n(&e->sp->spt[e->index], 0,
						   __ATOMIC_ACQ_REL);
		was_writable |= (old & X86_PTE_RW) != 0;
		SHADOW_STAT(vm, sptes_zapped);
		h->entries = e->next;
		vm->ops->free(vm->host, e, sizeof(*e));
	}
	return was_writable;
}

bool rmap_first(struct smmu_vm *vm, uint64_t gfn, struct sp **sp,
		unsigned *index)
{
	struct rmap_head *h = head_of(vm, gfn);
	if (!h || !h->entries)
		return false;
	*sp = h->entries->sp;
	*index = h->entries->index;
	return true;
}

void rmap_destroy(struct smmu_vm *vm)
{
	const struct smmu_host_ops *ops = vm->ops;
	for (unsigned b = 0; b < RMAP_HASH_BUCKETS; b++) {
		struct rmap_head *h = vm->shadow.rmap_hash[b];
		while (h) {
			struct rmap_head *next = h->next;
			struct rmap_entry *e = h->entries;
			while (e) {
				struct rmap_entry *en = e->next;
				ops->free(vm->host, e, sizeof(*e));
				e = en;
			}
			ops->free(vm->host, h, sizeof(*h));
			h = next;
		}
		vm->shadow.rmap_hash[b] = 0;
	}
}
