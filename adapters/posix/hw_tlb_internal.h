/* SPDX-License-Identifier: MIT */
/*
 * Between hw_tlb.c (the caches and every invalidation) and hw_walk.c (the
 * walker that consults and fills them). Callers use hw_mmu.h only.
 *
 * Levels are numbered as the SDM walks them: 1 = PTE, 2 = PDE, 3 = PDPTE,
 * 4 = PML4E, 5 = PML5E. A TLB entry is filed under its leaf's level (1, 2
 * or 3 for 4 KiB, 2 MiB, 1 GiB); a paging-structure-cache (PSC) entry
 * under the level of the non-leaf entry it caches (2..5). Either way the
 * key's page is la >> hw_level_shift(level): the la bits that select that
 * entry (SDM 4.10.2.1, 4.10.3.1).
 */
#ifndef SMMU_POSIX_HW_TLB_INTERNAL_H
#define SMMU_POSIX_HW_TLB_INTERNAL_H

#include <pthread.h>

#include "hw_mmu.h"

/* Tag of a global translation: usable under any PCID of its VPID (SDM
 * 4.10.2.4). PCIDs are 12 bits, so this never collides with one. */
#define HW_PCID_GLOBAL 0xffffu

static inline unsigned hw_level_shift(unsigned level)
{
	return X86_PAGE_SHIFT + 9 * (level - 1);
}

struct hw_key {
	uint64_t page; /* la >> hw_level_shift(level) */
	uint16_t vpid;
	uint16_t pcid; /* or HW_PCID_GLOBAL */
	uint8_t level;
};

/* One cached translation (TLB) or one cached non-leaf entry (PSC). */
struct hw_entry {
	struct hw_key key;
	uint64_t hpa;	/* TLB: page frame; PSC: the table it references */
	uint32_t gen;	/* PSC: pool generation of that table when cached */
	bool pooled;	/* PSC: that table is a pool page, gen is meaningful */
	uint8_t rights; /* SMMU_RIGHT_*; X means no XD seen, NXE not applied */
	uint8_t pkey;	/* TLB: protection key of the leaf */
	bool dirty;	/* TLB: D of the leaf */
	int32_t next;	/* hash chain */
	uint64_t tag[2]; /* an observer's (hw_tlb_entry_info.tag) */
};

/* A hash table over a dense array, so that a random victim is one index
 * away and a scope flush is one linear pass. */
struct hw_cache {
	struct hw_entry *ents;
	uint32_t n, alloc;
	int32_t *buckets; /* heads of chains, -1 = empty */
	uint32_t nbuckets;
	unsigned capacity; /* 0 = unbounded */
	struct hw_tlb *tlb; /* the TLB it belongs to (for its observer) */
	bool psc;	    /* the paging-structure cache, not the TLB */
};

struct hw_tlb {
	pthread_mutex_t lock; /* everything below */
	struct hw_cache tlb, psc;
	uint64_t rng; /* xorshift64 state for eviction */
	struct hw_tlb_stats stats;
	const struct hw_tlb_observer *obs; /* NULL: none */
	/* Why entries removed now leave, for the observer: set by the
	 * operation that removes them, HW_LEAVE_REPLACE otherwise. */
	enum hw_leave_cause leaving;
};

/* All of these expect tlb->lock held. A returned entry pointer is valid
 * until the next insertion or removal. */
struct hw_entry *hw_cache_find(struct hw_cache *c, const struct hw_key *k);
/* Insert or overwrite by key, evicting a random entry when full. */
void hw_cache_put(struct hw_tlb *tlb, struct hw_cache *c,
		  const struct hw_entry *e);
void hw_cache_del(struct hw_cache *c, const struct hw_key *k);

/* The translation the CPU may use for la in (vpid, pcid): its own or a
 * global one, of any page size. */
struct hw_entry *hw_tlb_lookup(struct hw_tlb *tlb, uint16_t vpid, uint16_t pcid,
			       uint64_t la);
/* What a #PF on la removes (SDM 4.10.4.1, "page-fault exceptions"): the
 * translations for la in pcid and global ones, and the PSC entries that
 * would be used to translate la in pcid. */
void hw_tlb_forget_la(struct hw_tlb *tlb, uint16_t vpid, uint16_t pcid,
		      uint64_t la);

#endif
