/* SPDX-License-Identifier: MIT */
/*
 * Dirty logging, for live migration: every leaf spte mapping a logged
 * frame is read-only until the guest writes the frame, which records it
 * (the write fault maps it writable again). get_and_clear hands the
 * record over and protects the frames it names once more. Frames the
 * library writes itself — emulated stores, the walker's A/D updates — are
 * recorded too. Guest large pages over logged frames are mapped 4 KiB at
 * a time (never one 2 MiB leaf), so each frame is seen.
 */
#include "lock_check.h"
#include "flush.h"
#include "sync.h"
#include "vm.h"

bool dirty_log_tracks(const struct smmu_vm *vm, uint64_t gfn)
{
	const struct dirty_log *d = &vm->dirty;
	return d->bits && gfn - d->first < d->count;
}

bool dirty_log_overlaps(const struct smmu_vm *vm, uint64_t gfn, uint64_t n)
{
	const struct dirty_log *d = &vm->dirty;
	return d->bits && gfn < d->first + d->count && d->first < gfn + n;
}

bool dirty_log_may_write(const struct smmu_vm *vm, uint64_t gfn)
{
	if (!dirty_log_tracks(vm, gfn))
		return true;
	uint64_t i = gfn - vm->dirty.first;
	return (__atomic_load_n(&vm->dirty.bits[i / 64], __ATOMIC_RELAXED) >>
		(i % 64)) &
	       1;
}

void dirty_log_mark(struct smmu_vm *vm, uint64_t gfn)
{
	if (!dirty_log_tracks(vm, gfn))
		return;
	uint64_t i = gfn - vm->dirty.first;
	__atomic_or_fetch(&vm->dirty.bits[i / 64], 1ull << (i % 64),
			  __ATOMIC_RELAXED);
}

void dirty_log_wrote(void *vm, uint64_t gpa)
{
	dirty_log_mark(vm, gpa >> X86_PAGE_SHIFT);
}

static size_t bitmap_bytes(uint64_t count)
{
	return (size_t)((count + 63) / 64 * 8);
}

/* Make every leaf spte mapping [first, first + count) read-only; true if
 * one was writable (the CPUs must be flushed). MMU lock held. */
bool dirty_log_protect(struct smmu_vm *vm, uint64_t first, uint64_t count)
{
	MMU_LOCK_HELD(vm);
	bool writable = vm->shadow.writable_dropped;
	writable |= rmap_write_protect(vm, first, count);
	/* A 2 MiB leaf goes: it is refilled 4 KiB at a time. */
	writable |= rmap_zap_large(vm, first, count);
	return writable;
}

enum smmu_status smmu_vm_dirty_log_start(struct smmu_vm *vm, uint64_t first_gfn,
					 uint64_t count)
{
	if (vm)
		MMU_LOCK_NOT_HELD(vm);
	if (!vm || !vm->shadow_ops || !count ||
	    count > SMMU_DIRTY_LOG_MAX_PAGES || first_gfn + count < first_gfn)
		return SMMU_EINVAL;
	/* Allocated outside the lock (alloc may be slow), then "logging
	 * already?" checked and the log set in one step under it: of two
	 * starts at once, one wins and the other gives its bitmap back.
	 * The look before is a hint only, sparing the allocation. */
	uint64_t *bits = 0;
	if (!__atomic_load_n(&vm->dirty.bits, __ATOMIC_ACQUIRE)) {
		bits = vm->ops->alloc(vm->host, bitmap_bytes(count));
		if (!bits)
			return SMMU_ENOMEM;
		vm_lock(vm);
		if (vm->dirty.bits) {
			vm_unlock(vm);
			vm->ops->free(vm->host, bits, bitmap_bytes(count));
			bits = 0;
		}
	}
	if (!bits) {
		smmu_log(vm, SMMU_LOG_ERROR,
			 "smmu_vm_dirty_log_start: logging already");
		return SMMU_EBUSY;
	}
	vm->dirty.first = first_gfn;
	vm->dirty.count = count;
	/* Before the scan: fills without the lock see it or are seen
	 * (fill_lockfree.c). */
	__atomic_store_n(&vm->dirty.bits, bits, __ATOMIC_SEQ_CST);
	if (dirty_log_protect(vm, first_gfn, count))
		flush_remote(vm, 0);
	vm_unlock(vm);
	return SMMU_OK;
}

enum smmu_status smmu_vm_dirty_log_get_and_clear(struct smmu_vm *vm,
						 uint64_t *bitmap)
{
	if (vm)
		MMU_LOCK_NOT_HELD(vm);
	if (!vm || !bitmap || !vm->shadow_ops)
		return SMMU_EINVAL;
	struct dirty_log *d = &vm->dirty;
	bool writable = false;
	/* Under the lock: a stop may run at once. */
	vm_lock(vm);
	if (!d->bits) {
		vm_unlock(vm);
		return SMMU_EINVAL;
	}
	/* Take the record, then protect what it names, then flush, before
	 * the host copies anything: a write the guest makes through a stale
	 * translation before the flush is to a frame this round reports;
	 * one after it faults and is in the next round's. Making a frame
	 * writable again takes the MMU lock (a fault), so none can slip in
	 * between. */
	for (uint64_t w = 0; w < (d->count + 63) / 64; w++) {
		uint64_t seen =
			__atomic_exchange_n(&d->bits[w], 0, __ATOMIC_RELAXED);
		bitmap[w] = seen;
		for (uint64_t b = seen; b; b &= b - 1)
			writable |= dirty_log_protect(
				vm,
				d->first + w * 64 +
					(uint64_t)__builtin_ctzll(b),
				1);
	}
	if (writable)
		flush_remote(vm, 0);
	vm_unlock(vm);
	return SMMU_OK;
}

enum smmu_status smmu_vm_dirty_log_stop(struct smmu_vm *vm)
{
	if (vm)
		MMU_LOCK_NOT_HELD(vm);
	if (!vm || !vm->shadow_ops)
		return SMMU_EINVAL;
	/* Under the lock: of two stops at once, one frees the log. */
	vm_lock(vm);
	uint64_t *bits = vm->dirty.bits;
	uint64_t count = vm->dirty.count;
	if (!bits) {
		vm_unlock(vm);
		return SMMU_EINVAL;
	}
	__atomic_store_n(&vm->dirty.bits, (uint64_t *)0, __ATOMIC_SEQ_CST);
	vm->dirty.first = vm->dirty.count = 0;
	vm_unlock(vm);
	vm->ops->free(vm->host, bits, bitmap_bytes(count));
	return SMMU_OK;
}
