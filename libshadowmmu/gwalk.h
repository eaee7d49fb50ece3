/* SPDX-License-Identifier: MIT */
/*
 * gwalk: the guest page-table walker.
 *
 * Paging modes are data (gwalk_modes.c): one description per mode and level.
 * When a vCPU's paging registers change, gw_mmu_init() turns the mode
 * description plus the registers and CPU features into a struct gw_mmu (the
 * reserved-bit masks and page-size rules of each level); gw_walk() is one
 * loop over that table for every mode.
 */
#ifndef SMMU_GWALK_H
#define SMMU_GWALK_H

#include <shadowmmu/shadowmmu.h>

#define GW_MAX_LEVELS 5

/* What bit 7 (PS) means in an entry at a given level. */
enum gw_ps {
	GW_PS_NONE,    /* bit 7 is not PS (4 KiB PTE: PAT) */
	GW_PS_IGNORED, /* PS is ignored: entry always references a table */
	GW_PS_RSVD,    /* PS must be 0: reserved-bit fault if set */
	GW_PS_LEAF,    /* PS=1 maps a large page */
};

/* Static description of one level of one paging mode. */
struct gw_level_desc {
	uint8_t shift;	    /* lowest linear-address bit this level indexes */
	uint8_t index_bits; /* width of the index into the table */
};

/* Static description of a paging mode. */
struct gw_mode_desc {
	enum smmu_paging_mode mode;
	uint8_t levels;	    /* levels walked, incl. the PAE PDPTE registers */
	uint8_t entry_size; /* bytes per entry: 4 or 8 */
	uint8_t la_bits;    /* significant linear-address bits */
	bool canonical;	    /* upper la bits must sign-extend bit la_bits-1 */
	bool pdpte_regs;    /* top level comes from the PDPTE registers */
	bool ia32e;	    /* IA-32e paging: XD, protection keys */
	/* level[1] is the page table, level[levels] the root */
	struct gw_level_desc level[GW_MAX_LEVELS + 1];
};

/* Per-level rules derived from mode, registers and CPU features. */
struct gw_level {
	uint64_t rsvd;	     /* reserved bits of any present entry */
	uint64_t rsvd_large; /* further reserved bits when it maps a page */
	enum gw_ps ps;
};

/* Everything the walker needs, derived once per paging-register change. */
struct gw_mmu {
	const struct gw_mode_desc *desc;
	struct gw_level level[GW_MAX_LEVELS + 1];
	uint64_t root;	   /* gpa of the root table (not used with PDPTEs) */
	uint64_t pdpte[4]; /* PAE PDPTE registers */
	uint64_t rsvd_pdpte;
	bool wp, smep, smap, pke, pge, nxe;
	bool fetch_in_error; /* #PF error code reports I/D (SDM 4.7) */
};

/* Guest CPU features the walker honours. */
struct gw_features {
	uint8_t maxphyaddr;
	bool gbpages;
	uint32_t cpu; /* SMMU_CPU_* */
	/* Control bits of the features the guest lacks: reserved for it. */
	uint64_t cr4_reserved, efer_reserved;
};

/* The SMMU_RIGHT_* one guest entry grants (SDM 4.6): R/W, U/S and, with
 * EFER.NXE, XD. */
static inline uint8_t gw_entry_rights(const struct gw_mmu *mmu, uint64_t pte)
{
	uint8_t r = SMMU_RIGHT_X;
	if (pte & X86_PTE_RW)
		r |= SMMU_RIGHT_W;
	if (pte & X86_PTE_US)
		r |= SMMU_RIGHT_U;
	if (mmu->nxe && (pte & X86_PTE_XD))
		r &= (uint8_t)~SMMU_RIGHT_X;
	return r;
}

/* The protection key a leaf carries (bits 62:59 in IA-32e paging, none
 * otherwise), whether CR4.PKE makes it count or not: a shadow entry
 * carries it either way, so that it stays right when PKE changes. */
static inline uint8_t gw_leaf_pkey(const struct gw_mmu *mmu, uint64_t pte)
{
	if (!mmu->desc->ia32e)
		return 0;
	return (uint8_t)((pte & X86_PTE_PKEY_MASK) >> X86_PTE_PKEY_SHIFT);
}

/* Is la canonical in this mode (always, outside IA-32e mode)? */
bool gw_la_canonical(const struct gw_mmu *mmu, uint64_t la);
/* The linear address the CPU uses for la: its low 32 bits outside IA-32e
 * mode, where a CPU never produces more (SDM 3.3.7). */
uint64_t gw_la(const struct gw_mmu *mmu, uint64_t la);

/* Paging mode selected by a set of registers (SDM 4.1.1). */
enum smmu_paging_mode gw_paging_mode(const struct smmu_paging_regs *regs);
/* Reserved bits of a PAE PDPTE for a given MAXPHYADDR (SDM 4.4.1). */
uint64_t gw_pdpte_rsvd(uint8_t maxphyaddr);
/* Derive the walker's rules from registers and features. */
void gw_mmu_init(struct gw_mmu *mmu, const struct smmu_paging_regs *regs,
		 const struct gw_features *features);

/* Where the guest's host memory is. */
struct gw_guest {
	const struct smmu_host_ops *ops;
	void *host;
	/* Optional: told of each guest-physical address the walk writes
	 * (an A/D update), for dirty logging. */
	void (*wrote)(void *ctx, uint64_t gpa);
	void *wrote_ctx;
	/* A paging entry outside guest RAM reads as all ones, as on real
	 * platforms, and the walk goes on (gw_walk.through_not_ram); without
	 * it the walk ends with SMMU_XLATE_NOT_RAM there. */
	bool not_ram_reads_ones;
};

/* A finished walk: the public result plus the path, for shadowing. */
struct gw_walk {
	struct smmu_translation xlate;
	uint8_t leaf_level;		     /* level of the leaf (or fault) */
	uint64_t pte[GW_MAX_LEVELS + 1];     /* entries read, by level */
	uint64_t pte_gpa[GW_MAX_LEVELS + 1]; /* where each was read */
	unsigned retries;		     /* A/D races lost */
	/* An entry was read outside RAM, as all ones (xlate.not_ram_gpa:
	 * the last such). */
	bool through_not_ram;
};

/* Bound on walks restarted because the guest changed an entry between our
 * read and our A/D compare-exchange; past it the host re-enters the guest. */
#define GW_MAX_RETRIES 16

enum smmu_xlate_status gw_walk(struct gw_walk *walk, const struct gw_mmu *mmu,
			       const struct gw_guest *guest,
			       const struct smmu_access *access);

#endif
