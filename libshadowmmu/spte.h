/* SPDX-License-Identifier: MIT */
/* Shadow page-table entries: what the hardware walks, IA-32e format. */
#ifndef SMMU_SPTE_H
#define SMMU_SPTE_H

#include <shadowmmu/shadowmmu.h>

#define SPTE_ADDR  X86_BITS(51, 12)
#define SPTE_TABLE (X86_PTE_P | X86_PTE_RW | X86_PTE_US)

/* The index of la's entry in a shadow table of `level` (1: PT). */
static inline unsigned spte_index(uint64_t la, unsigned level)
{
	return (unsigned)(la >> (12 + 9 * (level - 1))) & 511;
}

/* A leaf spte mapping hpa with SMMU_RIGHT_* `rights`, writable only if
 * `writable` too (the guest's entry is dirty and the frame is not a
 * write-protected table), carrying protection key `pkey` and the guest
 * leaf's G bit (the hardware honours it only with its CR4.PGE, which
 * follows the guest's: smmu_entry.pge). */
static inline uint64_t leaf_spte(uint64_t hpa, uint8_t rights, bool writable,
				 uint8_t pkey, bool global)
{
	uint64_t spte = hpa | X86_PTE_P;
	if ((rights & SMMU_RIGHT_W) && writable)
		spte |= X86_PTE_RW;
	if (rights & SMMU_RIGHT_U)
		spte |= X86_PTE_US;
	if (!(rights & SMMU_RIGHT_X))
		spte |= X86_PTE_XD;
	if (global)
		spte |= X86_PTE_G;
	return spte | (uint64_t)pkey << X86_PTE_PKEY_SHIFT;
}

#endif
