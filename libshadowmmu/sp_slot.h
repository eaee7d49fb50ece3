/* SPDX-License-Identifier: MIT */
/*
 * The slots of level-1 shadow pages, which two kinds of writers share:
 * the MMU lock's holder, and lock-free fills (fill_lockfree.c), which
 * install a leaf under tables that exist already without the lock.
 *
 * A slot holds a present spte or one of these non-present values (the
 * CPU ignores every bit of an entry whose P bit is clear):
 *
 *   0            never used;
 *   a tombstone  (n << 2), n unique in the page: the lock's holder writes
 *                a fresh one whenever it empties a slot, or changes what
 *                the slot would be filled from (the guest entry), so that
 *                a fill that read the slot before that change finds it
 *                different afterwards (no ABA);
 *   SPTE_FROZEN  one writer owns the slot: it records the frame the spte
 *                will map, checks, and stores the spte (or, giving up,
 *                the value it found). Nobody else writes a frozen slot;
 *                the lock's holder waits until it thaws (a fill holds it
 *                for a few loads and stores, never for a lock).
 *
 * The present bitmap is a superset: a fill sets the slot's bit before it
 * freezes the slot, so that anyone who scans the page for a frame (the
 * rmap) after changing what fills must check finds a fill under way, and
 * waits for it (fill_lockfree.c has the argument).
 */
#ifndef SMMU_SP_SLOT_H
#define SMMU_SP_SLOT_H

#define SPTE_FROZEN 0x2ull

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

/* The slot's value once no one owns it. */
static inline uint64_t slot_settled(uint64_t *slot)
{
	uint64_t v;
	while ((v = __atomic_load_n(slot, __ATOMIC_ACQUIRE)) == SPTE_FROZEN)
		cpu_relax();
	return v;
}

/* Take a slot that holds `expected` (non-present); false if it does not
 * any more. */
static inline bool slot_freeze(uint64_t *slot, uint64_t expected)
{
	return __atomic_compare_exchange_n(slot, &expected, SPTE_FROZEN, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

static inline void slot_thaw(uint64_t *slot, uint64_t value)
{
	__atomic_store_n(slot, value, __ATOMIC_RELEASE);
}

static inline void present_mark(uint64_t *present, unsigned i)
{
	__atomic_fetch_or(&present[i / 64], 1ull << (i % 64), __ATOMIC_SEQ_CST);
}

static inline void present_unmark(uint64_t *present, unsigned i)
{
	__atomic_fetch_and(&present[i / 64], ~(1ull << (i % 64)),
			   __ATOMIC_SEQ_CST);
}

static inline uint64_t present_word(const uint64_t *present, unsigned w)
{
	return __atomic_load_n(&present[w], __ATOMIC_ACQUIRE);
}

#endif
