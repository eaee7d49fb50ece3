/* SPDX-License-Identifier: MIT */
#include "guest.h"

#include <string.h>

#define UPPER (X86_PTE_P | X86_PTE_RW | X86_PTE_US | X86_PTE_A)
#define LEAF  (UPPER | X86_PTE_D)

static uint64_t *table(struct cb_host *h, uint64_t gfn)
{
	return (uint64_t *)cb_host_ram(h, gfn << 12);
}

void cb_guest_build(struct cb_host *h)
{
	for (uint64_t gfn = CB_TABLES_GFN;
	     gfn <= CB_PML4_GFN(CB_MAX_SPACES - 1); gfn++)
		memset(table(h, gfn), 0, 4096);
	for (unsigned page = 0; page < CB_PAGES; page++)
		*cb_pte(h, page) = ((uint64_t)page << 12) | LEAF;
	for (unsigned i = 0; i < CB_NR_PTS; i++)
		table(h, CB_PD_GFN)[i] = ((uint64_t)CB_PT_GFN(i) << 12) | UPPER;
	table(h, CB_PDPT_GFN)[(CB_GUEST_LA >> 30) & 511] =
		((uint64_t)CB_PD_GFN << 12) | UPPER;
	for (unsigned k = 0; k < CB_MAX_SPACES; k++)
		table(h, CB_PML4_GFN(k))[(CB_GUEST_LA >> 39) & 511] =
			((uint64_t)CB_PDPT_GFN << 12) | UPPER;
}

uint64_t cb_guest_cr3(unsigned k, bool pcide, bool noflush)
{
	uint64_t cr3 = (uint64_t)CB_PML4_GFN(k) << 12;
	if (pcide)
		cr3 |= (k + 1) | (noflush ? X86_CR3_NOFLUSH : 0);
	return cr3;
}

struct smmu_paging_regs cb_guest_regs(bool pcide)
{
	struct smmu_paging_regs r;
	memset(&r, 0, sizeof(r));
	r.cr0 = X86_CR0_PE | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	r.cr4 = X86_CR4_PAE | (pcide ? X86_CR4_PCIDE : 0);
	r.efer = X86_EFER_LME | X86_EFER_LMA;
	r.cr3 = cb_guest_cr3(0, pcide, false);
	return r;
}
