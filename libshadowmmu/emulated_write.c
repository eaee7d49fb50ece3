/* SPDX-License-Identifier: MIT */
/*
 * Guest stores the host emulates to a write-protected guest table: the
 * other half of the sync invariant (sp.h). The library writes the guest
 * memory itself and zaps the shadow entries that mirror what changed, in
 * one step under the MMU lock.
 */
#include "lock_check.h"
#include "sync.h"
#include "vm.h"

/* The shadow entries of `sp` that mirror guest entry `e` of its table:
 * the first in *index, how many as the result (0 if outside sp). */
static unsigned mirrored(const struct sp *sp, unsigned e, unsigned *index)
{
	unsigned q = sp->role.quadrant;
	if (sp->role.guest_levels != 2) {
		*index = e; /* 8-byte formats: entry for entry */
		return 1;
	}
	if (sp->role.level == 2) {
		/* One 4 MiB guest PDE, two 2 MiB shadow PDEs. */
		if (e / 256 != q)
			return 0;
		*index = (e % 256) * 2;
		return 2;
	}
	if (e / 512 != q)
		return 0;
	*index = e % 512;
	return 1;
}

enum mirror_step {
	/* Before the store: empty every mirroring spte; a level-1 slot
	 * stays frozen, so that no fill without the lock can take it with
	 * the old guest entry in hand (sp_slot.h). */
	MIRRORS_TAKE,
	/* After it: thaw them, empty, each with a fresh tombstone. */
	MIRRORS_RELEASE,
};

/* Do `step` to the entries of every shadow of guest table gfn that mirror
 * the guest entries in bytes [offset, offset + len) of that table. */
static void mirrors(struct smmu_vm *vm, uint64_t gfn, unsigned offset,
		    unsigned len, enum mirror_step step)
{
	for (struct sp *sp = vm->shadow.sp_hash[sp_bucket_of(gfn)]; sp;
	     sp = sp->next) {
		if (sp->gfn != gfn || sp->role.direct)
			continue;
		unsigned size = sp->role.guest_levels == 2 ? 4 : 8;
		for (unsigned e = offset / size; e <= (offset + len - 1) / size;
		     e++) {
			unsigned index, n = mirrored(sp, e, &index);
			for (unsigned k = 0; k < n; k++) {
				if (sp->role.level > 1) {
					if (step == MIRRORS_TAKE)
						sp_zap_spte(vm, sp, index + k);
				} else if (step == MIRRORS_TAKE) {
					sp_take_slot(vm, sp, index + k);
				} else {
					sp_release_slot(sp, index + k);
				}
			}
		}
	}
}

int smmu_vm_emulated_write(struct smmu_vm *vm, uint64_t gpa, const void *data,
			   unsigned len)
{
	if (!vm)
		return SMMU_GPA_NOT_RAM;
	if (!vm->shadow_ops || !data || len == 0 ||
	    (gpa & 0xfff) + len > X86_PAGE_SIZE) {
		smmu_log(vm, SMMU_LOG_ERROR,
			 "smmu_vm_emulated_write: no shadow-paging host ops, "
			 "no data, or not 1..4096 bytes within one page");
		return SMMU_GPA_NOT_RAM;
	}
	uint64_t gfn = gpa >> X86_PAGE_SHIFT;

	vm_lock(vm);
	SHADOW_STAT(vm, emulated_writes);
	/* Zap first, then store: a CPU that walks the shadow meanwhile
	 * faults and waits for the lock, and the fault then sees the new
	 * guest value (a walk that found the old spte after the store
	 * would see something no CPU could: another vCPU may have read the
	 * new entry as data). The level-1 slots stay frozen across the
	 * store, so a fill without the lock that read the old entry before
	 * cannot take them after it (sp_slot.h). The hardware may keep
	 * what it cached until the guest invalidates: that is
	 * architecturally allowed. */
	sp_note_write(vm, gfn);
	sp_count_store(vm, gfn);
	bool zap = !bug_planted(vm, SMMU_INJECT_NO_ZAP_ON_WRITE);
	unsigned offset = (unsigned)(gpa & 0xfff);
	if (zap)
		mirrors(vm, gfn, offset, len, MIRRORS_TAKE);
	int r = vm->ops->write_gpa(vm->host, gpa, data, len);
	if (zap)
		mirrors(vm, gfn, offset, len, MIRRORS_RELEASE);
	sp_tables_changed(&vm->shadow);
	if (r == SMMU_GPA_OK)
		dirty_log_mark(vm, gfn);
	vm_unlock(vm);
	return r;
}
