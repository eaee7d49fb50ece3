/* SPDX-License-Identifier: MIT */
/*
 * Assertions of the MMU lock rules (LOCKING.md), compiled in with
 * -Dlock_checks=true and checked through the host's optional lock_held
 * op. A breach is a library bug (or a host calling an entry point with
 * the lock held): it is logged, and the CPU stops on a trap, where a
 * debugger or the host's fault handler finds the stack.
 */
#ifndef SMMU_LOCK_CHECK_H
#define SMMU_LOCK_CHECK_H

#include "vm.h"

#ifdef SMMU_LOCK_CHECKS
static inline void lock_check(const struct smmu_vm *vm, bool must_hold,
			      const char *where)
{
	if (!vm->ops->lock_held || vm->ops->lock_held(vm->host) == must_hold)
		return;
	smmu_log(vm, SMMU_LOG_ERROR,
		 must_hold ? "LOCKING.md breached: the MMU lock is not held in"
			   : "LOCKING.md breached: the MMU lock is held in");
	smmu_log(vm, SMMU_LOG_ERROR, where);
	__builtin_trap();
}
#define MMU_LOCK_HELD(vm)     lock_check(vm, true, __func__)
#define MMU_LOCK_NOT_HELD(vm) lock_check(vm, false, __func__)
#else
static inline void lock_check(const struct smmu_vm *vm, bool must_hold,
			      const char *where)
{
	(void)vm, (void)must_hold, (void)where;
}
#define MMU_LOCK_HELD(vm)     ((void)(vm))
#define MMU_LOCK_NOT_HELD(vm) ((void)(vm))
#endif

/* Every time the library takes or drops the MMU lock (named by the
 * caller in a breach). */
static inline void vm_lock_in(struct smmu_vm *vm, const char *where)
{
	lock_check(vm, false, where);
	vm->ops->lock(vm->host);
}

static inline void vm_unlock_in(struct smmu_vm *vm, const char *where)
{
	lock_check(vm, true, where);
	vm->ops->unlock(vm->host);
}

#define vm_lock(vm)   vm_lock_in(vm, __func__)
#define vm_unlock(vm) vm_unlock_in(vm, __func__)

#endif
