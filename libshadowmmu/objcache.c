/* SPDX-License-Identifier: MIT */
/*
 * Memory for shadow-page bookkeeping, from a per-vCPU cache filled before
 * the MMU lock is taken (sp.h, "objcache.c"). Objects go back to the host
 * when freed: frees happen in grace-period callbacks, without the lock and
 * on any CPU, where no vCPU's cache may be touched.
 */
#include "vm.h"

static size_t obj_size(enum obj_kind kind)
{
	switch (kind) {
	case OBJ_SP:
		return sizeof(struct sp);
	case OBJ_POINTERS:
		return 512 * sizeof(uint64_t);
	case OBJ_LEAF_FRAMES:
		return sizeof(struct leaf_frames);
	case OBJ_LINK:
		return sizeof(struct rmap_link) > sizeof(struct sp_parent)
			       ? sizeof(struct rmap_link)
			       : sizeof(struct sp_parent);
	case OBJ_KINDS:
		break;
	}
	return 0;
}

/* What the largest fault takes: a new page per level below a 5-level
 * root, each but the last with a child array, one frame record, a guest
 * entry copy per shadow of a table going out of sync, a parent link per
 * level, and rmap links for the spte and its prefetched neighbours. */
static const unsigned topup_to[OBJ_KINDS] = {
	[OBJ_SP] = 4,
	[OBJ_POINTERS] = 5,
	[OBJ_LEAF_FRAMES] = 2,
	[OBJ_LINK] = OBJ_CACHE_MAX,
};

void obj_cache_topup(struct smmu_vm *vm, struct obj_cache *c)
{
	for (unsigned k = 0; k < OBJ_KINDS; k++) {
		while (c->n[k] < topup_to[k]) {
			void *obj = vm->ops->alloc(vm->host,
						   obj_size((enum obj_kind)k));
			if (!obj)
				return;
			c->obj[k][c->n[k]++] = obj;
		}
	}
}

void obj_cache_drain(struct smmu_vm *vm, struct obj_cache *c)
{
	for (unsigned k = 0; k < OBJ_KINDS; k++)
		while (c->n[k])
			vm->ops->free(vm->host, c->obj[k][--c->n[k]],
				      obj_size((enum obj_kind)k));
}

void *obj_alloc(struct smmu_vm *vm, enum obj_kind kind)
{
	struct obj_cache *c = vm->shadow.cache;
	if (c && c->n[kind])
		return c->obj[kind][--c->n[kind]];
	void *obj = vm->ops->alloc(vm->host, obj_size(kind));
	/* A cache is lent only to the lock's holder (vcpu_lock). */
	if (!obj && c)
		vm->alloc_failed = true;
	return obj;
}

void obj_free(struct smmu_vm *vm, enum obj_kind kind, void *obj)
{
	vm->ops->free(vm->host, obj, obj_size(kind));
}
