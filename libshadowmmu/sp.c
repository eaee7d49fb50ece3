/* SPDX-License-Identifier: MIT */
/*
 * One shadow page's memory: the struct, the bookkeeping arrays its level
 * needs, and the table page the hardware walks (which the pool hands out,
 * sp_pool.c). The lowest shadow layer: it calls the host only.
 */
#include "vm.h"

struct sp *sp_alloc(struct smmu_vm *vm, union sp_role role)
{
	const struct smmu_host_ops *ops = vm->ops;
	struct sp *sp = ops->alloc(vm->host, sizeof(*sp));
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
	if (!ok) {
		sp_free_struct(vm, sp);
		return 0;
	}
	sp->role = role;
	sp->vm = vm;
	return sp;
}

void sp_free_struct(struct smmu_vm *vm, struct sp *sp)
{
	const struct smmu_host_ops *ops = vm->ops;
	if (sp->leaf_gfn)
		ops->free(vm->host, sp->leaf_gfn, 512 * sizeof(uint64_t));
	if (sp->gpte)
		ops->free(vm->host, sp->gpte, 512 * sizeof(uint64_t));
	if (sp->child)
		ops->free(vm->host, sp->child, 512 * sizeof(struct sp *));
	ops->free(vm->host, sp, sizeof(*sp));
}

void sp_free_now(struct smmu_vm *vm, struct sp *sp)
{
	const struct smmu_host_ops *ops = vm->ops;
	while (sp->parents) {
		struct sp_parent *p = sp->parents;
		sp->parents = p->next;
		ops->free(vm->host, p, sizeof(*p));
	}
	ops->free_page(vm->host, sp->hpa, sp->spt);
	sp_free_struct(vm, sp);
}
