/* SPDX-License-Identifier: MIT */
/*
 * Building guest page tables in any paging mode. Tables come from a pool
 * of pages in the identity-mapped region (layout.h), so the guest edits
 * every entry through its physical address whatever mode it runs in; an
 * entry is handed out as a pointer to it.
 *
 * Non-leaf entries are created present and writable with A clear (PAE
 * PDPTEs: present only, their other bits being reserved), so the checks
 * can watch the CPU set accessed flags.
 */
#ifndef GUEST_ADDRESS_SPACE_H
#define GUEST_ADDRESS_SPACE_H

#include <stdint.h>

#include "paging_mode.h"

struct address_space {
	const struct paging_mode *mode;
	uintptr_t root; /* physical address of the top-level table */
};

/* Start handing out the pool from its first page again. Only when no
 * table from it is in use: paging is off or runs on other tables. Reusing
 * frames across modes is deliberate: a shadow MMU must notice that a
 * frame now holds a different kind of table. */
void pt_pool_reset(void);
/* A zeroed page from the pool. */
uintptr_t pt_alloc(void);

void as_init(struct address_space *as, const struct paging_mode *mode);

/* The entry at `level` translating va, creating the tables above it. A
 * leaf at a higher level on the way is replaced by a table. */
void *as_entry(struct address_space *as, uintptr_t va, unsigned int level);
/* Map va to pa with a leaf at `level` (PS added above level 1); returns
 * the leaf entry. No invalidation: the caller decides. */
void *as_map(struct address_space *as, uintptr_t va, uint64_t pa,
	     unsigned int level, uint64_t flags);
/* Identity-map [0, end) with leaves at `level`, writable. */
void as_map_identity(struct address_space *as, uint64_t end,
		     unsigned int level);

uint64_t pte_read(const struct paging_mode *m, const void *entry);
void pte_write(const struct paging_mode *m, void *entry, uint64_t value);

#endif /* GUEST_ADDRESS_SPACE_H */
