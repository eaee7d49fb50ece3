/* SPDX-License-Identifier: MIT */
/*
 * The host's own changes to guest-physical memory (smmu_vm_invalidate_
 * gfn_range): frames taken away or re-backed, frames write-protected,
 * frames the host or a device wrote. Each with exactly the shadow updates
 * and flushes it needs:
 *
 *   UNMAP          every leaf spte mapping the frames goes (the host is
 *                  about to reuse their pages: every CPU is flushed before
 *                  this returns), and every shadow of a guest table in
 *                  them; a root a vCPU runs on becomes obsolete and that
 *                  vCPU drops it at its next entry (a STATE request: an
 *                  assisted flush cannot make it, seed 002).
 *   WRITE_PROTECT  every leaf spte mapping them becomes read-only; a flush
 *                  if one was writable.
 *   CONTENT        the shadows of guest tables in them are emptied, to be
 *                  rebuilt from what memory holds now, as after guest
 *                  stores; no flush: the guest invalidates before it may
 *                  rely on a changed entry, and then the usual sync and
 *                  flush follow. Zapping (never rewriting) keeps each
 *                  spte's rmap entry where it belongs (the class of
 *                  CVE-2026-46113).
 */
#include "lock_check.h"
#include "flush.h"
#include "sync.h"
#include "vcpu.h"

/* Is sp a shadow of a guest table in [first, first + count)? */
static bool shadows_table_in(const struct sp *sp, uint64_t first,
			     uint64_t count)
{
	return !sp->role.direct && sp->gfn - first < count;
}

/* The hash buckets that may hold shadows of guest tables in the range:
 * each frame's own, or every bucket once the frames outnumber the
 * buckets (a range of 2^40 frames must not take hours under the lock).
 * Scan i of scans_for(count). */
static uint64_t scans_for(uint64_t count)
{
	return count > SP_HASH_BUCKETS ? SP_HASH_BUCKETS : count;
}

static unsigned bucket_of_scan(uint64_t first, uint64_t count, uint64_t i)
{
	return count > SP_HASH_BUCKETS ? (unsigned)i : sp_bucket_of(first + i);
}

/* Take every shadow of a guest table in the range that bucket b holds
 * out of the tree: onto *retire, or obsolete if a vCPU runs on it (true
 * then). */
static bool unshadow_bucket(struct smmu_vm *vm, unsigned b, uint64_t first,
			    uint64_t count, struct sp **retire)
{
	bool state = false;
	for (;;) {
		struct sp *victim = 0;
		for (struct sp *sp = vm->shadow.sp_hash[b]; sp && !victim;
		     sp = sp->next)
			if (shadows_table_in(sp, first, count))
				victim = sp;
		if (!victim)
			return state;
		SHADOW_STAT(vm, unshadowed);
		if (victim->root_count) {
			sp_zap_root(vm, victim);
			state = true;
		} else {
			SHADOW_STAT(vm, sp_zapped);
			sp_unhook(vm, victim);
			victim->retire_next = *retire;
			*retire = victim;
		}
	}
}

/* Empty every shadow of a guest table in the range that bucket b holds. */
static void zap_bucket(struct smmu_vm *vm, unsigned b, uint64_t first,
		       uint64_t count)
{
	for (struct sp *sp = vm->shadow.sp_hash[b]; sp; sp = sp->next)
		if (shadows_table_in(sp, first, count))
			for (unsigned i = 0; i < 512; i++)
				sp_zap_spte(vm, sp, i);
}

static void unmap(struct smmu_vm *vm, uint64_t first, uint64_t count)
{
	struct sp *retire = 0;
	/* Before the zaps: a fill without the lock that the zaps do not
	 * see sees this (fill_lockfree.c). */
	__atomic_add_fetch(&vm->shadow.backing_changes, 1, __ATOMIC_SEQ_CST);
	bool state = false;
	/* Every leaf spte mapping the frames, 2 MiB leaves over them too. */
	rmap_zap_range(vm, first, count);
	for (uint64_t i = 0; i < scans_for(count); i++)
		state |= unshadow_bucket(vm, bucket_of_scan(first, count, i),
					 first, count, &retire);
	unsigned flags = REMOTE_FREES;
	if (state && !bug_planted(vm, SMMU_INJECT_STATE_AS_TLB_FLUSH))
		flags |= REMOTE_STATE;
	flush_remote(vm, flags);
	while (retire) {
		struct sp *next = retire->retire_next;
		sp_retire(vm, retire);
		retire = next;
	}
}

enum smmu_status smmu_vm_invalidate_gfn_range(struct smmu_vm *vm,
					      uint64_t first_gfn,
					      uint64_t count,
					      enum smmu_gfn_change how)
{
	if (!vm)
		return SMMU_EINVAL;
	if (!vm->shadow_ops || first_gfn + count < first_gfn ||
	    how > SMMU_GFN_CONTENT) {
		smmu_log(vm, SMMU_LOG_ERROR,
			 "smmu_vm_invalidate_gfn_range: no shadow-paging ops, "
			 "a range that wraps, or an unknown change");
		return SMMU_EINVAL;
	}
	vm_lock(vm);
	switch (how) {
	case SMMU_GFN_UNMAP:
		unmap(vm, first_gfn, count);
		break;
	case SMMU_GFN_WRITE_PROTECT:
		if (dirty_log_protect(vm, first_gfn, count))
			flush_remote(vm, 0);
		break;
	case SMMU_GFN_CONTENT:
		if (bug_planted(vm, SMMU_INJECT_CONTENT_IGNORED))
			break;
		for (uint64_t i = 0; i < scans_for(count); i++)
			zap_bucket(vm, bucket_of_scan(first_gfn, count, i),
				   first_gfn, count);
		sp_tables_changed(&vm->shadow);
		break;
	}
	vm_unlock(vm);
	return SMMU_OK;
}
