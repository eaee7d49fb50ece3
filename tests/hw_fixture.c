/* SPDX-License-Identifier: MIT */
#include "hw_fixture.h"

#include <criterion/criterion.h>

#define RAM_SIZE   (16ull << 20)
#define POOL_PAGES 512u

struct smmu_posix_ram hw_ram;
struct sim_pool pool;
struct sim_hpa_space space;
struct hw_tlb *tlb;
struct hw_mmu_ctx ctx;
uint64_t root;
uint32_t pkru;

void make_tlb(unsigned tlb_capacity, unsigned psc_capacity)
{
	hw_tlb_destroy(tlb);
	tlb = hw_tlb_create(
		&(struct hw_tlb_config){ .tlb_capacity = tlb_capacity,
					 .psc_capacity = psc_capacity,
					 .seed = 12345 });
	cr_assert_not_null(tlb);
}

uint64_t new_table(void)
{
	uint64_t hpa;
	void *hva;
	cr_assert(sim_pool_alloc(&pool, &hpa, &hva));
	return hpa;
}

void hw_fixture_setup(void)
{
	cr_assert_eq(smmu_posix_ram_init(&hw_ram, RAM_SIZE), 0);
	cr_assert_eq(sim_pool_init(&pool, POOL_PAGES, POOL_PAGES), 0);
	space = (struct sim_hpa_space){ .ram = &hw_ram, .pool = &pool };
	tlb = NULL;
	make_tlb(0, 0);
	root = new_table();
	pkru = 0;
	ctx = (struct hw_mmu_ctx){ .vpid = 1,
				   .cr3 = root,
				   .pge = true,
				   .wp = true,
				   .nxe = true,
				   .maxphyaddr = 46 };
}

void hw_fixture_teardown(void)
{
	hw_tlb_destroy(tlb);
	sim_pool_fini(&pool);
	smmu_posix_ram_fini(&hw_ram);
}

uint64_t hpa_of_gpa(uint64_t gpa)
{
	return SIM_GUEST_HPA_BASE + gpa;
}

uint64_t *entry_in(uint64_t table, uint64_t la, unsigned level)
{
	unsigned shift = 12 + 9 * (level - 1);
	uint64_t *p = sim_hpa_ptr(&space, table + 8 * ((la >> shift) & 511), 8);
	cr_assert_not_null(p);
	return p;
}

uint64_t *slot_in(uint64_t top, uint64_t la, unsigned level)
{
	uint64_t table = top;
	for (unsigned l = ctx.la57 ? 5 : 4; l > level; l--) {
		uint64_t *p = entry_in(table, la, l);
		if (!(*p & X86_PTE_P))
			*p = new_table() | DIR;
		table = *p & ADDR;
	}
	return entry_in(table, la, level);
}

uint64_t *slot(uint64_t la, unsigned level)
{
	return slot_in(root, la, level);
}

void map_in(uint64_t top, uint64_t la, uint64_t hpa, unsigned level,
	    uint64_t flags)
{
	*slot_in(top, la, level) = hpa | flags | (level > 1 ? X86_PTE_PS : 0);
}

void map(uint64_t la, uint64_t gpa, uint64_t flags)
{
	map_in(root, la, hpa_of_gpa(gpa), 1, flags);
}

enum hw_status xlate(uint64_t la, uint32_t flags, struct hw_result *r)
{
	struct smmu_access a = { .la = la, .flags = flags, .pkru = pkru };
	return hw_translate(tlb, &ctx, &space, &a, r);
}

uint32_t pf(uint64_t la, uint32_t flags)
{
	struct hw_result r;
	cr_assert_eq(xlate(la, flags, &r), HW_PAGE_FAULT, "la %#llx flags %#x",
		     (unsigned long long)la, flags);
	return r.pf_error;
}

uint64_t ok(uint64_t la, uint32_t flags)
{
	struct hw_result r;
	enum hw_status st = xlate(la, flags, &r);
	cr_assert_eq(st, HW_OK, "la %#llx flags %#x: status %d err %#x",
		     (unsigned long long)la, flags, st, r.pf_error);
	return r.hpa;
}

void use_pcid(uint16_t pcid)
{
	ctx.pcide = true;
	ctx.cr3 = root | pcid;
}
