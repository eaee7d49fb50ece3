/* SPDX-License-Identifier: MIT */
/*
 * Freeing after a grace period (DESIGN 4.6, shared/seeds 003): a shadow
 * page taken out of the tree (and flushed from every CPU) goes back to
 * the host only once no walker, hardware or software, on any CPU can
 * still be reading it. The host's defer_free provides the grace period.
 */
#include "vm.h"

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

void sp_retire(struct smmu_vm *vm, struct sp *sp)
{
	sp->vm = vm;
	sp->rcu.func = free_after_grace_period;
	__atomic_add_fetch(&vm->shadow.frees_pending, 1, __ATOMIC_RELAXED);
	if (bug_planted(vm, SMMU_INJECT_FREE_BEFORE_GRACE)) {
		free_after_grace_period(&sp->rcu);
		return;
	}
	vm->ops->defer_free(vm->host, &sp->rcu);
}
