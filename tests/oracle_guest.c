/* SPDX-License-Identifier: MIT */
#include "oracle_guest.h"

#include <criterion/criterion.h>
#include <string.h>

#define TABLES_START (1ull << 20)

static uint64_t new_table(struct oguest *g)
{
	uint64_t gpa = g->next_table;
	cr_assert_lt(gpa, OG_DATA, "oracle guest: out of table pages");
	g->next_table += 4096;
	return gpa;
}

static struct smmu_posix_ram *ram(struct oguest *g)
{
	return &g->sim.host.ram;
}

void og_init(struct oguest *g, const struct oguest_config *cfg)
{
	memset(g, 0, sizeof(*g));
	struct sim_config sc = {
		.nr_vcpus = cfg->nr_vcpus ? cfg->nr_vcpus : 1,
		.nr_pcpus = cfg->nr_pcpus,
		.ram_size = OG_RAM,
		.maxphyaddr = 46,
		.gbpages = true,
		.pool_pages = cfg->pool_pages ? cfg->pool_pages : 4096,
		.tlb = { .tlb_capacity = cfg->tlb_capacity, .seed = 1 },
		.mmu = cfg->mmu ? cfg->mmu : &naive_shadow_ops,
		.inject = cfg->inject,
		.unsync_after_stores = cfg->unsync_after_stores,
		.prefetch_window = cfg->prefetch_window,
		.cached_roots = cfg->cached_roots,
		.host_caps = cfg->host_caps,
		.assisted_flush = cfg->assisted_flush,
		.host_4k_only = cfg->host_4k_only,
		.report_max = 3,
	};
	cr_assert_eq(sim_init(&g->sim, &sc), 0);
	g->next_table = TABLES_START;

	/* The direct map: supervisor 2 MiB pages under one PDPT and PD that
	 * every address space links, so the kernel half is made of tables
	 * shared between roots at two levels. */
	g->kernel_pdpt = new_table(g);
	uint64_t pd = new_table(g);
	smmu_posix_ram_write64(ram(g), g->kernel_pdpt,
			       pd | X86_PTE_P | X86_PTE_RW);
	for (uint64_t i = 0; i < OG_RAM >> 21; i++)
		smmu_posix_ram_write64(ram(g), pd + 8 * i,
				       (i << 21) | X86_PTE_P | X86_PTE_RW |
					       X86_PTE_PS);
}

void og_fini(struct oguest *g)
{
	sim_fini(&g->sim);
}

uint64_t og_space(struct oguest *g)
{
	uint64_t pml4 = new_table(g);
	smmu_posix_ram_write64(ram(g), pml4 + 8 * ((OG_DIRECT_MAP >> 39) & 511),
			       g->kernel_pdpt | X86_PTE_P | X86_PTE_RW);
	return pml4;
}

/* The gpa of the entry at `level` covering la, building the tables
 * above it as needed. */
static uint64_t entry_at(struct oguest *g, uint64_t pml4, uint64_t la,
			 int level)
{
	uint64_t table = pml4;
	for (int l = 4; l > level; l--) {
		uint64_t e_gpa = table + 8 * ((la >> (12 + 9 * (l - 1))) & 511);
		uint64_t e = smmu_posix_ram_read64(ram(g), e_gpa);
		if (!(e & X86_PTE_P)) {
			e = new_table(g) | OG_USER;
			smmu_posix_ram_write64(ram(g), e_gpa, e);
		}
		table = e & 0x000ffffffffff000ull;
	}
	return table + 8 * ((la >> (12 + 9 * (level - 1))) & 511);
}

uint64_t og_map(struct oguest *g, uint64_t pml4, uint64_t la, uint64_t gpa,
		uint64_t flags)
{
	uint64_t pte = entry_at(g, pml4, la, 1);
	smmu_posix_ram_write64(ram(g), pte, gpa | flags);
	return pte;
}

uint64_t og_link_table(struct oguest *g, uint64_t pml4, uint64_t la, int level,
		       uint64_t table)
{
	uint64_t e = entry_at(g, pml4, la, level);
	smmu_posix_ram_write64(ram(g), e, table | OG_USER);
	return e;
}

void og_start(struct oguest *g, unsigned v, uint64_t pml4, uint16_t pcid,
	      uint64_t cr4_extra)
{
	struct smmu_paging_regs r = {
		.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
		.cr3 = pml4 | pcid,
		.cr4 = X86_CR4_PAE | cr4_extra | (pcid ? X86_CR4_PCIDE : 0),
		.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE,
	};
	cr_assert_eq(sim_vcpu_set_regs(&g->sim, v, &r), 0);
}

void og_op(struct oguest *g, unsigned v, struct gop op)
{
	guest_prog_add(&g->sim.vcpu[v].prog, op);
}

void og_read(struct oguest *g, unsigned v, uint64_t la)
{
	og_op(g, v, (struct gop){ .kind = GOP_ACCESS, .la = la });
}

void og_write(struct oguest *g, unsigned v, uint64_t la, uint64_t val)
{
	og_op(g, v, (struct gop){ .kind = GOP_STORE, .la = la, .val = val });
}

void og_set_pte(struct oguest *g, unsigned v, uint64_t pte_gpa, uint64_t val)
{
	og_write(g, v, OG_DIRECT_MAP + pte_gpa, val);
}

void og_invlpg(struct oguest *g, unsigned v, uint64_t la)
{
	og_op(g, v, (struct gop){ .kind = GOP_INVLPG, .la = la });
}

void og_mov_cr3(struct oguest *g, unsigned v, uint64_t cr3)
{
	og_op(g, v, (struct gop){ .kind = GOP_MOV_CR3, .val = cr3 });
}

void og_pv_flush(struct oguest *g, unsigned v)
{
	og_op(g, v, (struct gop){ .kind = GOP_PV_FLUSH });
}

uint64_t og_run(struct oguest *g)
{
	return sim_run(&g->sim);
}

uint64_t og_remap(struct oguest *g)
{
	uint64_t pml4 = og_space(g);
	uint64_t pte = og_map(g, pml4, OG_LA, OG_PAGE_A, OG_USER);
	og_start(g, 0, pml4, 0, 0);
	og_read(g, 0, OG_LA);
	og_set_pte(g, 0, pte, OG_PAGE_B | OG_USER);
	return pml4;
}

void og_noflush_then_flush(struct oguest *g)
{
	uint64_t pml4 = og_space(g);
	uint64_t pte = og_map(g, pml4, OG_LA, OG_PAGE_A, OG_USER);
	og_start(g, 0, pml4, 1, 0);
	og_read(g, 0, OG_LA);
	og_set_pte(g, 0, pte, OG_PAGE_B | OG_USER);
	og_mov_cr3(g, 0, pml4 | 1 | X86_CR3_NOFLUSH);
	og_read(g, 0, OG_LA);
	og_mov_cr3(g, 0, pml4 | 1);
	og_read(g, 0, OG_LA);
}

void og_unmap_then_invalidate(struct oguest *g)
{
	uint64_t pml4 = og_space(g);
	uint64_t pte = og_map(g, pml4, OG_LA, OG_PAGE_A, OG_USER);
	og_start(g, 0, pml4, 0, 0);
	og_read(g, 0, OG_LA);
	og_set_pte(g, 0, pte, 0);
	og_read(g, 0, OG_LA); /* may still hit */
	og_invlpg(g, 0, OG_LA);
	og_read(g, 0, OG_LA); /* must fault */
}

void og_five_spaces_noflush(struct oguest *g)
{
	uint64_t pml4[5];
	for (int i = 0; i < 5; i++) {
		pml4[i] = og_space(g);
		og_map(g, pml4[i], OG_LA, OG_DATA + 0x1000 * (i + 1), OG_USER);
	}
	og_start(g, 0, pml4[0], 1, 0);
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 5; i++) {
			uint64_t cr3 = pml4[i] | (uint64_t)(i + 1);
			if (round > 0)
				cr3 |= X86_CR3_NOFLUSH;
			og_mov_cr3(g, 0, cr3);
			og_read(g, 0, OG_LA);
		}
	}
}

void og_prev_root_across_pcide(struct oguest *g)
{
	uint64_t a = og_space(g), b = og_space(g);
	uint64_t pte = og_map(g, a, OG_LA, OG_PAGE_A, OG_USER);
	og_start(g, 0, a, 0, 0); /* PCIDE=0 */
	og_read(g, 0, OG_LA);
	og_set_pte(g, 0, pte, OG_PAGE_B | OG_USER);
	og_mov_cr3(g, 0, b); /* flushes PCID 000H: OG_LA -> page A is gone */
	og_op(g, 0,
	      (struct gop){ .kind = GOP_MOV_CR4,
			    .val = X86_CR4_PAE | X86_CR4_PCIDE });
	og_mov_cr3(g, 0, a | X86_CR3_NOFLUSH); /* PCID 000H again */
	og_read(g, 0, OG_LA);
}
