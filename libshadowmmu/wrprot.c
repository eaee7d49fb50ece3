/* SPDX-License-Identifier: MIT */
/*
 * Write protection of guest page tables: the frame of a table the library
 * shadows in sync loses write access in every leaf spte that maps it, so
 * the guest's stores to it fault and come back as emulated writes.
 */
#include "lock_check.h"
#include "vm.h"

bool sp_protect_frame(struct smmu_vm *vm, uint64_t gfn)
{
	MMU_LOCK_HELD(vm);
	if (bug_planted(vm, SMMU_INJECT_NO_WRITE_PROTECT))
		return false;
	SHADOW_STAT(vm, write_protects);
	sp_tables_changed(&vm->shadow);
	/* A 2 MiB leaf over the frame goes: the next fault maps the 2 MiB
	 * in 4 KiB pieces, this frame read-only. */
	bool large_was_writable = false;
	if (!bug_planted(vm, SMMU_INJECT_LARGE_OVER_TABLES))
		large_was_writable = rmap_zap_large(vm, gfn, 1);
	/* A writable spte dropped without a flush may live on in a TLB,
	 * where no rmap walk finds it (shadow_vm.writable_dropped). */
	return rmap_write_protect(vm, gfn, 1) || large_was_writable ||
	       vm->shadow.writable_dropped;
}
