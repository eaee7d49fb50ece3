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
		.ram_size = OG_RAM,
		.maxphyaddr = 46,
		.gbpages = true,
		.pool_pages = cfg->pool_pages ? cfg->pool_pages : 4096,
		.tlb = { .tlb_capacity = cfg->tlb_capacity, .seed = 1 },
		.mmu = cfg->mmu ? cfg->mmu : &naive_shadow_ops,
		.inject = cfg->inject,
		.assisted_flush = cfg->assisted_flush,
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

uint64_t og_map(struct oguest *g, uint64_t pml4, uint64_t la, uint64_t gpa,
		uint64_t flags)
{
	uint64_t table = pml4;
	for (int l = 4; l > 1; l--) {
		uint64_t e_gpa = table + 8 * ((la >> (12 + 9 * (l - 1))) & 511);
		uint64_t e = smmu_posix_ram_read64(ram(g), e_gpa);
		if (!(e & X86_PTE_P)) {
			e = new_table(g) | OG_USER;
			smmu_posix_ram_write64(ram(g), e_gpa, e);
		}
		table = e & 0x000ffffffffff000ull;
	}
	uint64_t pte = table + 8 * ((la >> 12) & 511);
	smmu_posix_ram_write64(ram(g), pte, gpa | flags);
	return pte;
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
