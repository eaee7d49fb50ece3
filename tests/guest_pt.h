/* SPDX-License-Identifier: MIT */
/*
 * Builds guest page tables in a fixture's guest RAM, for any paging mode,
 * so that tests state mappings instead of poking entries by hand.
 */
#ifndef SMMU_TEST_GUEST_PT_H
#define SMMU_TEST_GUEST_PT_H

#include "fixture.h"

struct guest_pt {
	struct smmu_posix_ram *ram;
	uint64_t *next_table; /* bump allocator of table pages in ram */
	struct fixture *f;    /* NULL: tables in a simulated machine's RAM */
	enum smmu_paging_mode mode;
	uint64_t root;	   /* gpa of the top table (PAE: the 32-byte PDPT) */
	uint64_t pdpte[4]; /* PAE: what set_paging loads as registers */
};

/* Empty tables for `mode` (not OFF), in the fixture's RAM. */
void guest_pt_init(struct guest_pt *pt, struct fixture *f,
		   enum smmu_paging_mode mode);
/* The same in any guest RAM (a simulated machine's), table pages taken
 * from *next_table upwards. */
void guest_pt_init_ram(struct guest_pt *pt, struct smmu_posix_ram *ram,
		       uint64_t *next_table, enum smmu_paging_mode mode);
/* A zeroed table page from the allocator; its gpa. */
uint64_t guest_pt_alloc_table(struct guest_pt *pt);
/* Map `la` to `gpa` with a leaf at `leaf_level` (1 = 4 KiB PTE, 2 = PDE,
 * 3 = PDPTE); `leaf_flags` are the leaf's flags (P etc. included; PS is
 * added for large leaves), upper entries get `table_flags`. Returns the gpa
 * of the leaf entry. */
uint64_t guest_pt_map(struct guest_pt *pt, uint64_t la, uint64_t gpa,
		      int leaf_level, uint64_t leaf_flags,
		      uint64_t table_flags);
/* gpa of the entry at `level` for `la` (the tables must exist). */
uint64_t guest_pt_entry_gpa(const struct guest_pt *pt, uint64_t la, int level);
uint64_t guest_pt_read(const struct guest_pt *pt, uint64_t entry_gpa);
void guest_pt_write(struct guest_pt *pt, uint64_t entry_gpa, uint64_t val);
/* Registers selecting this mode with the given extra CR0/CR4/EFER bits
 * (CR0.PE|PG, CR4.PAE/LA57, EFER.LME|LMA are added as the mode needs). */
struct smmu_paging_regs guest_pt_regs(const struct guest_pt *pt, uint64_t cr0,
				      uint64_t cr4, uint64_t efer);
/* Load them into the fixture's vCPU. */
void guest_pt_activate(struct guest_pt *pt, uint64_t cr0, uint64_t cr4,
		       uint64_t efer);

/* Table flags that let everything through. */
#define GPT_ALL (X86_PTE_P | X86_PTE_RW | X86_PTE_US)

#endif
