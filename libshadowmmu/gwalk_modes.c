/* SPDX-License-Identifier: MIT */
/*
 * The x86 paging modes as data (SDM 4.3-4.5). Each mode is one table of
 * levels; gw_mmu_init() adds the rules that depend on MAXPHYADDR, EFER.NXE,
 * CR4.PSE and 1 GiB page support.
 */
#include "gwalk.h"

static const struct gw_mode_desc mode_off = {
	.mode = SMMU_PAGING_OFF,
	.levels = 0,
	.la_bits = 32,
};

/* SDM 4.3, tables 4-4 to 4-6 */
static const struct gw_mode_desc mode_32bit = {
	.mode = SMMU_PAGING_32BIT,
	.levels = 2,
	.entry_size = 4,
	.la_bits = 32,
	.level = { [1] = { 12, 10 }, [2] = { 22, 10 } },
};

/* SDM 4.4, tables 4-8 to 4-11; level 3 is the PDPTE registers */
static const struct gw_mode_desc mode_pae = {
	.mode = SMMU_PAGING_PAE,
	.levels = 3,
	.entry_size = 8,
	.la_bits = 32,
	.pdpte_regs = true,
	.level = { [1] = { 12, 9 }, [2] = { 21, 9 }, [3] = { 30, 2 } },
};

/* SDM 4.5, tables 4-14 to 4-20 */
static const struct gw_mode_desc mode_4level = {
	.mode = SMMU_PAGING_4LEVEL,
	.levels = 4,
	.entry_size = 8,
	.la_bits = 48,
	.canonical = true,
	.ia32e = true,
	.level = { [1] = { 12, 9 },
		   [2] = { 21, 9 },
		   [3] = { 30, 9 },
		   [4] = { 39, 9 } },
};

static const struct gw_mode_desc mode_5level = {
	.mode = SMMU_PAGING_5LEVEL,
	.levels = 5,
	.entry_size = 8,
	.la_bits = 57,
	.canonical = true,
	.ia32e = true,
	.level = { [1] = { 12, 9 },
		   [2] = { 21, 9 },
		   [3] = { 30, 9 },
		   [4] = { 39, 9 },
		   [5] = { 48, 9 } },
};

enum smmu_paging_mode gw_paging_mode(const struct smmu_paging_regs *regs)
{
	if (!(regs->cr0 & X86_CR0_PG))
		return SMMU_PAGING_OFF;
	if (regs->efer & X86_EFER_LMA)
		return (regs->cr4 & X86_CR4_LA57) ? SMMU_PAGING_5LEVEL
						  : SMMU_PAGING_4LEVEL;
	return (regs->cr4 & X86_CR4_PAE) ? SMMU_PAGING_PAE : SMMU_PAGING_32BIT;
}

static const struct gw_mode_desc *mode_desc(enum smmu_paging_mode mode)
{
	switch (mode) {
	case SMMU_PAGING_32BIT:
		return &mode_32bit;
	case SMMU_PAGING_PAE:
		return &mode_pae;
	case SMMU_PAGING_4LEVEL:
		return &mode_4level;
	case SMMU_PAGING_5LEVEL:
		return &mode_5level;
	case SMMU_PAGING_OFF:
	case SMMU_PAGING_INVALID:
		break;
	}
	return &mode_off;
}

/* Physical-address bits at and above MAXPHYADDR, up to bit 51. */
static uint64_t above_maxphyaddr(uint8_t maxphyaddr)
{
	return maxphyaddr >= 52 ? 0 : X86_BITS(51, maxphyaddr);
}

uint64_t gw_pdpte_rsvd(uint8_t maxphyaddr)
{
	/* Bits 2:1, 8:5 and 63:MAXPHYADDR (SDM table 4-8); unlike other PAE
	 * entries, bit 63 is reserved whatever EFER.NXE says. */
	return X86_BITS(2, 1) | X86_BITS(8, 5) | X86_BITS(63, maxphyaddr);
}

static void init_32bit(struct gw_mmu *mmu, const struct smmu_paging_regs *regs,
		       uint8_t maxphyaddr)
{
	/* 32-bit paging has no reserved bits except in a 4 MiB PDE, whose
	 * bits 20:13 carry physical bits 39:32 (PSE-36) up to MAXPHYADDR,
	 * capped at 40; bit 21 and the unused high bits are reserved. */
	uint8_t m = maxphyaddr > 40 ? 40 : maxphyaddr;
	mmu->level[1].ps = GW_PS_NONE;
	if (regs->cr4 & X86_CR4_PSE) {
		mmu->level[2].ps = GW_PS_LEAF;
		mmu->level[2].rsvd_large = X86_BITS(21, m - 19);
	} else {
		mmu->level[2].ps = GW_PS_IGNORED;
	}
	mmu->root = regs->cr3 & X86_BITS(31, 12);
}

static void init_pae(struct gw_mmu *mmu, const struct smmu_paging_regs *regs,
		     uint8_t maxphyaddr)
{
	/* PAE entries reserve bits 62:MAXPHYADDR, and bit 63 unless NXE. */
	uint64_t rsvd = X86_BITS(62, maxphyaddr);
	if (!mmu->nxe)
		rsvd |= X86_PTE_XD;
	mmu->level[1] = (struct gw_level){ .rsvd = rsvd, .ps = GW_PS_NONE };
	mmu->level[2] = (struct gw_level){ .rsvd = rsvd,
					   .rsvd_large = X86_BITS(20, 13),
					   .ps = GW_PS_LEAF };
	mmu->rsvd_pdpte = gw_pdpte_rsvd(maxphyaddr);
	for (int i = 0; i < 4; i++)
		mmu->pdpte[i] = regs->pdpte[i];
}

static void init_ia32e(struct gw_mmu *mmu, const struct smmu_paging_regs *regs,
		       const struct gw_features *features)
{
	/* IA-32e entries reserve bits 51:MAXPHYADDR, and bit 63 unless NXE;
	 * bits 62:52 are ignored (62:59 are the protection key of a leaf). */
	uint64_t rsvd = above_maxphyaddr(features->maxphyaddr);
	if (!mmu->nxe)
		rsvd |= X86_PTE_XD;
	for (int l = 1; l <= mmu->desc->levels; l++)
		mmu->level[l] =
			(struct gw_level){ .rsvd = rsvd, .ps = GW_PS_RSVD };
	mmu->level[1].ps = GW_PS_NONE;
	mmu->level[2].ps = GW_PS_LEAF;
	mmu->level[2].rsvd_large = X86_BITS(20, 13);
	if (features->gbpages) {
		mmu->level[3].ps = GW_PS_LEAF;
		mmu->level[3].rsvd_large = X86_BITS(29, 13);
	}
	mmu->root = regs->cr3 & X86_BITS(features->maxphyaddr - 1, 12);
}

void gw_mmu_init(struct gw_mmu *mmu, const struct smmu_paging_regs *regs,
		 const struct gw_features *features)
{
	*mmu = (struct gw_mmu){ 0 };
	mmu->desc = mode_desc(gw_paging_mode(regs));
	mmu->wp = regs->cr0 & X86_CR0_WP;
	mmu->pge = regs->cr4 & X86_CR4_PGE;
	mmu->smep = regs->cr4 & X86_CR4_SMEP;
	mmu->smap = regs->cr4 & X86_CR4_SMAP;
	/* Protection keys exist only in IA-32e paging (SDM 4.6.2). */
	mmu->pke = (regs->cr4 & X86_CR4_PKE) && mmu->desc->ia32e;
	/* XD exists only in the 8-byte formats (SDM 4.1.3). */
	mmu->nxe = (regs->efer & X86_EFER_NXE) && mmu->desc->entry_size == 8;
	/* SDM 4.7: I/D is reported iff SMEP=1, or PAE=1 with NXE=1. */
	mmu->fetch_in_error = mmu->smep || ((regs->cr4 & X86_CR4_PAE) &&
					    (regs->efer & X86_EFER_NXE));

	switch (mmu->desc->mode) {
	case SMMU_PAGING_32BIT:
		init_32bit(mmu, regs, features->maxphyaddr);
		break;
	case SMMU_PAGING_PAE:
		init_pae(mmu, regs, features->maxphyaddr);
		break;
	case SMMU_PAGING_4LEVEL:
	case SMMU_PAGING_5LEVEL:
		init_ia32e(mmu, regs, features);
		break;
	case SMMU_PAGING_OFF:
	case SMMU_PAGING_INVALID:
		break;
	}
}
