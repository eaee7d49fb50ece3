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

/* Zap the entries of every shadow of guest table gfn that mirror the
 * guest entries in bytes [offset, offset + len) of that table. */
static void zap_entries(struct smmu_vm *vm, uint64_t gfn, unsigned offset,
			unsigned len)
{
	for (struct sp *sp = vm->shadow.sp_hash[sp_bucket_of(gfn)]; sp;
	     sp = sp->next) {
		if (sp->gfn != gfn || sp->role.direct)
			continue;
		unsigned size = sp->role.guest_levels == 2 ? 4 : 8;
		for (unsigned e = offset / size; e <= (offset + len - 1) / size;
		     e++) {
			unsigned index, n = mirrored(sp, e, &index);
			for (unsigned k = 0; k < n; k++)
				sp_zap_spte(vm, sp, index + k);
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
	/* Store first, then zap: a fill without the lock that read the
	 * slot before the zap and the guest entry before the store finds
	 * the slot changed and gives up (sp_slot.h); one that reads the
	 * slot after the zap reads the new entry. A CPU that walks the
	 * shadow between the two uses the old translation, as if it had
	 * walked before the store, which the vCPU has not retired yet;
	 * the hardware may keep what it cached until the guest
	 * invalidates: that is architecturally allowed. */
	sp_note_write(vm, gfn);
	sp_count_store(vm, gfn);
	int r = vm->ops->write_gpa(vm->host, gpa, data, len);
	if (!bug_planted(vm, SMMU_INJECT_NO_ZAP_ON_WRITE))
		zap_entries(vm, gfn, (unsigned)(gpa & 0xfff), len);
	sp_tables_changed(&vm->shadow);
	if (r == SMMU_GPA_OK)
		dirty_log_mark(vm, gfn);
	vm_unlock(vm);
	return r;
}
