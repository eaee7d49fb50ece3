/* SPDX-License-Identifier: MIT */
/*
 * Guest page tables are untrusted input: self-references, cycles, tables
 * outside guest RAM, one page at several levels, garbage. The walker must
 * return a defined result for each and never touch memory outside RAM.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "guest_pt.h"

#define RAM    (16ull << 20)
#define TABLES (8ull << 20)

static struct fixture f;
static struct guest_pt pt;

static void setup(void)
{
	fixture_init(&f, RAM, 46, true, TABLES);
	guest_pt_init(&pt, &f, SMMU_PAGING_4LEVEL);
}

static void teardown(void)
{
	fixture_fini(&f);
}

TestSuite(hostile, .init = setup, .fini = teardown);

/* Linear address whose four indexes are i4, i3, i2, i1. */
static uint64_t la_of(unsigned i4, unsigned i3, unsigned i2, unsigned i1)
{
	uint64_t la = ((uint64_t)i4 << 39) | ((uint64_t)i3 << 30) |
		      ((uint64_t)i2 << 21) | ((uint64_t)i1 << 12);
	return (la & (1ull << 47)) ? la | 0xffff000000000000ull : la;
}

Test(hostile, self_referencing_pml4_is_a_recursive_mapping)
{
	/* PML4[511] -> PML4, as Windows and others map their own tables:
	 * walking 511,511,511,511 ends on the PML4 page itself. */
	guest_pt_map(&pt, 0x1000, 0x9000, 1, GPT_ALL, GPT_ALL);
	guest_pt_write(&pt, pt.root + 8 * 511, pt.root | GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);

	struct smmu_translation t;
	cr_assert_eq(
		fixture_translate(&f, la_of(511, 511, 511, 511) + 8, 0, &t),
		SMMU_XLATE_OK);
	cr_expect_eq(t.gpa, pt.root + 8);
	/* 511,511,511,0 is the PML4's own entry 0 read as a PTE: it maps the
	 * PDPT page. */
	cr_assert_eq(fixture_translate(&f, la_of(511, 511, 511, 0), 0, &t),
		     SMMU_XLATE_OK);
	cr_expect_eq(t.gpa, guest_pt_read(&pt, pt.root) & ~0xfffull);
}

Test(hostile, cycle_between_two_tables_terminates)
{
	/* PML4[0] -> B, B[0] -> PML4: every level alternates. The walk is
	 * bounded by the number of levels, not by the tables. */
	uint64_t b = fixture_alloc_table(&f);
	guest_pt_write(&pt, pt.root, b | GPT_ALL);
	guest_pt_write(&pt, b, pt.root | GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	struct smmu_translation t;
	cr_assert_eq(fixture_translate(&f, 0x0, 0, &t), SMMU_XLATE_OK);
	/* PML4[0], B[0], PML4[0], then B[0] is the PTE: it maps the PML4. */
	cr_expect_eq(t.gpa, pt.root);
}

Test(hostile, same_page_as_directory_and_table)
{
	/* One page used at levels 2 and 1: PD[0] -> PD. Its entry 1 is then
	 * both a PDE for 2 MiB..4 MiB and a PTE for 4 KiB..8 KiB. */
	guest_pt_map(&pt, 0x0, 0x0, 1, GPT_ALL, GPT_ALL);
	uint64_t pd = guest_pt_entry_gpa(&pt, 0, 2) & ~0xfffull;
	guest_pt_write(&pt, pd, pd | GPT_ALL);
	guest_pt_write(&pt, pd + 8, 0x600000 | GPT_ALL | X86_PTE_PS);
	guest_pt_activate(&pt, 0, 0, 0);
	struct smmu_translation t;
	cr_assert_eq(fixture_translate(&f, 0x200010, 0, &t), SMMU_XLATE_OK);
	cr_expect_eq(t.gpa, 0x600010);
	cr_expect_eq(t.page_size, X86_PAGE_SIZE_2M);
	/* As a PTE, bit 7 is PAT and the address is 4 KiB-aligned. */
	cr_assert_eq(fixture_translate(&f, 0x1010, 0, &t), SMMU_XLATE_OK);
	cr_expect_eq(t.gpa, 0x600010);
	cr_expect_eq(t.page_size, X86_PAGE_SIZE);
}

Test(hostile, table_beyond_guest_ram_is_not_ram)
{
	guest_pt_write(&pt, pt.root, (RAM + 0x5000) | GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	struct smmu_translation t;
	cr_assert_eq(fixture_translate(&f, 0x1000, 0, &t), SMMU_XLATE_NOT_RAM);
	cr_expect_eq(t.not_ram_gpa, RAM + 0x5000, "gpa of the entry read");
}

Test(hostile, table_in_an_mmio_hole_is_not_ram)
{
	const uint64_t hole = 4ull << 20;
	cr_assert_eq(smmu_posix_ram_add_hole(&f.host.ram, hole, 0x10000), 0);
	guest_pt_map(&pt, 0x1000, 0x9000, 1, GPT_ALL, GPT_ALL);
	uint64_t pde = guest_pt_entry_gpa(&pt, 0x1000, 2);
	guest_pt_write(&pt, pde, (hole + 0x2000) | GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	struct smmu_translation t;
	cr_assert_eq(fixture_translate(&f, 0x1000, 0, &t), SMMU_XLATE_NOT_RAM);
	cr_expect_eq(t.not_ram_gpa, hole + 0x2000 + 8);
}

Test(hostile, leaf_outside_ram_translates_for_the_host_to_decide)
{
	/* A page (not a table) outside RAM is the host's business: MMIO or
	 * an error. The walker reports the gpa. */
	guest_pt_map(&pt, 0x1000, 0xfee00000, 1, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	struct smmu_translation t;
	cr_assert_eq(fixture_translate(&f, 0x1000, 0, &t), SMMU_XLATE_OK);
	cr_expect_eq(t.gpa, 0xfee00000);
}

Test(hostile, cr3_beyond_guest_ram_is_not_ram)
{
	struct smmu_paging_regs r = { .cr0 = X86_CR0_PE | X86_CR0_PG,
				      .cr3 = 1ull << 40,
				      .cr4 = X86_CR4_PAE,
				      .efer = X86_EFER_LME | X86_EFER_LMA };
	cr_assert_eq(smmu_vcpu_set_paging(f.vcpu, &r), SMMU_OK);
	struct smmu_translation t;
	cr_assert_eq(fixture_translate(&f, 0, 0, &t), SMMU_XLATE_NOT_RAM);
	cr_expect_eq(t.not_ram_gpa, 1ull << 40);
}

/* xorshift64*: deterministic garbage. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

Test(hostile, garbage_tables_always_give_a_defined_result)
{
	/* Fill 64 table pages with random entries, biased so that many are
	 * present and point back into the table area, and translate random
	 * addresses in every mode. Any crash or out-of-RAM access fails the
	 * test (the posix host aborts on those); every status must be one of
	 * the defined outcomes. */
	const enum smmu_paging_mode modes[] = { SMMU_PAGING_32BIT,
						SMMU_PAGING_PAE,
						SMMU_PAGING_4LEVEL,
						SMMU_PAGING_5LEVEL };
	uint64_t seed = 0x5eed;
	unsigned counts[SMMU_XLATE_EINVAL + 1] = { 0 };
	uint8_t *tables = smmu_posix_ram_ptr(&f.host.ram, TABLES, 64 * 4096);
	cr_assert_not_null(tables);

	for (int round = 0; round < 200; round++) {
		for (unsigned i = 0; i < 64 * 4096 / 8; i++) {
			uint64_t r = next_rand(&seed);
			uint64_t target = TABLES + (r % 72) * 4096;
			/* 3 in 4: present, into the table area, PS rare. */
			uint64_t flags = ((r >> 52) & ~X86_PTE_PS) | X86_PTE_P;
			if ((r >> 40) % 8 == 0)
				flags |= X86_PTE_PS;
			uint64_t e = (r & 3) ? (target | flags) : r;
			memcpy(tables + 8 * i, &e, 8);
		}
		enum smmu_paging_mode m = modes[round % 4];
		uint64_t rnd = next_rand(&seed);
		struct smmu_paging_regs regs = {
			.cr0 = X86_CR0_PE | X86_CR0_PG |
			       ((rnd & 1) ? X86_CR0_WP : 0),
			.cr3 = TABLES + (rnd % 64) * 4096,
			.cr4 = rnd & (X86_CR4_PSE | X86_CR4_PGE | X86_CR4_SMEP |
				      X86_CR4_SMAP | X86_CR4_PKE),
			.efer = (rnd >> 8 & 1) ? X86_EFER_NXE : 0,
		};
		if (m != SMMU_PAGING_32BIT)
			regs.cr4 |= X86_CR4_PAE;
		if (m == SMMU_PAGING_4LEVEL || m == SMMU_PAGING_5LEVEL)
			regs.efer |= X86_EFER_LME | X86_EFER_LMA;
		if (m == SMMU_PAGING_5LEVEL)
			regs.cr4 |= X86_CR4_LA57;
		for (int i = 0; i < 4; i++)
			regs.pdpte[i] =
				(i % 2) ? next_rand(&seed) : TABLES | X86_PTE_P;
		cr_assert_eq(smmu_vcpu_set_paging(f.vcpu, &regs), SMMU_OK);

		for (int a = 0; a < 500; a++) {
			uint64_t r = next_rand(&seed);
			struct smmu_access acc = {
				.la = next_rand(&seed),
				.flags = (uint32_t)(r & (SMMU_ACCESS_WRITE |
							 SMMU_ACCESS_USER |
							 SMMU_ACCESS_AC)),
				.pkru = (uint32_t)(r >> 32),
			};
			if ((r >> 20) % 5 == 0)
				acc.flags = SMMU_ACCESS_FETCH;
			if (a % 2)
				acc.la = (int64_t)(acc.la << 16) >> 16;
			struct smmu_translation t;
			enum smmu_xlate_status st =
				smmu_vcpu_translate(f.vcpu, &acc, &t);
			cr_assert(st >= SMMU_XLATE_OK && st < SMMU_XLATE_EINVAL,
				  "undefined status %d", st);
			counts[st]++;
			if (st == SMMU_XLATE_PAGE_FAULT)
				cr_assert_eq(t.pf_error & ~0x3fu, 0);
		}
	}
	printf("hostile: garbage walks: %u ok, %u #PF, %u non-canonical, "
	       "%u not-RAM\n",
	       counts[SMMU_XLATE_OK], counts[SMMU_XLATE_PAGE_FAULT],
	       counts[SMMU_XLATE_NONCANONICAL], counts[SMMU_XLATE_NOT_RAM]);
	/* The garbage must exercise every outcome, or it tests nothing. */
	cr_expect_gt(counts[SMMU_XLATE_OK], 0);
	cr_expect_gt(counts[SMMU_XLATE_PAGE_FAULT], 0);
	cr_expect_gt(counts[SMMU_XLATE_NONCANONICAL], 0);
	cr_expect_gt(counts[SMMU_XLATE_NOT_RAM], 0);
}
