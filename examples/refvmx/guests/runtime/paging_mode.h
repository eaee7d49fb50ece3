/* SPDX-License-Identifier: MIT */
/*
 * The four paging modes as data (SDM 4.3-4.5): how many levels, how wide
 * an entry and an index are, which CR4 bits select the mode. The address
 * space builder and the checks are written once against this table.
 *
 * Levels are numbered as the SDM counts them upwards from the page table:
 * 1 = PT, 2 = PD, 3 = PDPT, 4 = PML4, 5 = PML5. The root is at `levels`.
 */
#ifndef GUEST_PAGING_MODE_H
#define GUEST_PAGING_MODE_H

#include <stdbool.h>
#include <stdint.h>

struct paging_mode {
	const char *name;	  /* prefix of the check names */
	unsigned int levels;	  /* the root's level */
	unsigned int entry_bytes; /* 4 or 8 */
	unsigned int index_bits;  /* per level (PAE's PDPT uses 2 of its 9) */
	uint64_t address_mask;	  /* the frame bits of an entry */
	unsigned long cr4_bits;	  /* CR4.PSE/PAE/LA57 as the mode needs */
	bool has_xd;		  /* entries have the execute-disable bit */
	bool ia32e;		  /* runs with EFER.LMA = 1 */
};

extern const struct paging_mode paging_32bit;
extern const struct paging_mode paging_pae;
extern const struct paging_mode paging_4level;
extern const struct paging_mode paging_5level;

/* log2 of the bytes one entry at `level` maps. */
static inline unsigned int paging_shift(const struct paging_mode *m,
					unsigned int level)
{
	return 12 + m->index_bits * (level - 1);
}

static inline uint64_t paging_span(const struct paging_mode *m,
				   unsigned int level)
{
	return UINT64_C(1) << paging_shift(m, level);
}

/* The index of va's entry in its table at `level`. */
static inline unsigned int paging_index(const struct paging_mode *m,
					uintptr_t va, unsigned int level)
{
	return (unsigned int)(((uint64_t)va >> paging_shift(m, level)) &
			      ((1u << m->index_bits) - 1));
}

#endif /* GUEST_PAGING_MODE_H */
