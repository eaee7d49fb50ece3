/* SPDX-License-Identifier: MIT */
/*
 * The walker, mode by mode: page sizes, PSE-36, PAE PDPTE registers, LA57,
 * MAXPHYADDR, reserved bits, canonical addresses and accessed/dirty
 * updates (including the race with a concurrent guest write).
 */
#include <criterion/criterion.h>

#include "guest_pt.h"

#define RAM    (64ull << 20)
#define TABLES (48ull << 20) /* page tables live above 48 MiB */

static struct fixture f;
static struct guest_pt pt;

static void setup_mode(enum smmu_paging_mode mode, uint8_t maxphyaddr,
		       bool gbpages)
{
	fixture_init(&f, RAM, maxphyaddr, gbpages, TABLES);
	guest_pt_init(&pt, &f, mode);
}

static void teardown(void)
{
	fixture_fini(&f);
}

static void expect_ok(uint64_t la, uint32_t flags, uint64_t gpa, uint64_t size)
{
	struct smmu_translation t;
	enum smmu_xlate_status st = fixture_translate(&f, la, flags, &t);
	cr_assert_eq(st, SMMU_XLATE_OK, "la %#lx: status %d, pf_error %#x",
		     (unsigned long)la, st, t.pf_error);
	cr_expect_eq(t.gpa, gpa, "la %#lx: gpa %#lx, want %#lx",
		     (unsigned long)la, (unsigned long)t.gpa,
		     (unsigned long)gpa);
	cr_expect_eq(t.page_size, size, "la %#lx: page size %#lx, want %#lx",
		     (unsigned long)la, (unsigned long)t.page_size,
		     (unsigned long)size);
}

static void expect_pf(uint64_t la, uint32_t flags, uint32_t error)
{
	struct smmu_translation t;
	enum smmu_xlate_status st = fixture_translate(&f, la, flags, &t);
	cr_assert_eq(st, SMMU_XLATE_PAGE_FAULT, "la %#lx: status %d",
		     (unsigned long)la, st);
	cr_expect_eq(t.pf_error, error, "la %#lx: pf_error %#x, want %#x",
		     (unsigned long)la, t.pf_error, error);
}

#define RSVD_READ ((uint32_t)(PFERR_P | PFERR_RSVD))

/* ---- 32-bit paging (SDM 4.3) ---- */

Test(mode_32bit, maps_4k_pages_with_4_byte_entries, .fini = teardown)
{
	setup_mode(SMMU_PAGING_32BIT, 36, false);
	guest_pt_map(&pt, 0xc0001000, 0x123000, 1, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	expect_ok(0xc0001abc, 0, 0x123abc, X86_PAGE_SIZE);
}

Test(mode_32bit, ignores_upper_32_bits_of_the_linear_address, .fini = teardown)
{
	setup_mode(SMMU_PAGING_32BIT, 36, false);
	guest_pt_map(&pt, 0xc0001000, 0x123000, 1, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	expect_ok(0xffff0000c0001abcull, 0, 0x123abc, X86_PAGE_SIZE);
}

Test(mode_32bit, pse_maps_4m_pages, .fini = teardown)
{
	setup_mode(SMMU_PAGING_32BIT, 36, false);
	guest_pt_map(&pt, 0x80000000, 0x00c00000, 2, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, X86_CR4_PSE, 0);
	expect_ok(0x80123456, 0, 0x00d23456, X86_PAGE_SIZE_4M);
}

Test(mode_32bit, ps_is_ignored_without_cr4_pse, .fini = teardown)
{
	setup_mode(SMMU_PAGING_32BIT, 36, false);
	/* The PDE has PS=1 but, with CR4.PSE=0, points to a page table. */
	uint64_t table = fixture_alloc_table(&f);
	guest_pt_write(&pt, pt.root + 4 * (0x80000000u >> 22),
		       table | GPT_ALL | X86_PTE_PS);
	guest_pt_write(&pt, table + 4 * 5, 0x333000 | GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	expect_ok(0x80005010, 0, 0x333010, X86_PAGE_SIZE);
}

Test(mode_32bit, pse36_reaches_above_4g, .fini = teardown)
{
	setup_mode(SMMU_PAGING_32BIT, 40, false);
	/* PDE bits 20:13 hold physical bits 39:32: 0xab -> 0xab_0000_0000. */
	uint64_t pde = 0x00400000 | (0xabull << 13) | GPT_ALL | X86_PTE_PS;
	guest_pt_write(&pt, pt.root + 4 * (0x40000000u >> 22), pde);
	guest_pt_activate(&pt, 0, X86_CR4_PSE, 0);
	expect_ok(0x40001234, 0, 0xab00401234ull, X86_PAGE_SIZE_4M);
}

Test(mode_32bit, pse36_bits_above_maxphyaddr_are_reserved, .fini = teardown)
{
	setup_mode(SMMU_PAGING_32BIT, 36, false);
	/* MAXPHYADDR 36: only PDE bits 16:13 carry address bits. */
	uint64_t base = 0x00400000 | GPT_ALL | X86_PTE_PS;
	guest_pt_write(&pt, pt.root + 4 * 1, base | (0xfull << 13));
	guest_pt_write(&pt, pt.root + 4 * 2, base | (1ull << 17));
	guest_pt_write(&pt, pt.root + 4 * 3, base | (1ull << 21));
	guest_pt_activate(&pt, 0, X86_CR4_PSE, 0);
	expect_ok(0x00400000, 0, 0xf00400000ull, X86_PAGE_SIZE_4M);
	expect_pf(0x00800000, 0, RSVD_READ);
	expect_pf(0x00c00000, SMMU_ACCESS_WRITE, RSVD_READ | (uint32_t)PFERR_W);
}

Test(mode_32bit, maxphyaddr_32_reserves_all_pse36_bits, .fini = teardown)
{
	setup_mode(SMMU_PAGING_32BIT, 32, false);
	guest_pt_write(&pt, pt.root + 4,
		       0x00400000 | GPT_ALL | X86_PTE_PS | (1ull << 13));
	guest_pt_activate(&pt, 0, X86_CR4_PSE, 0);
	expect_pf(0x00400000, 0, RSVD_READ);
}

Test(mode_32bit, no_xd_bit_so_fetch_error_needs_smep, .fini = teardown)
{
	setup_mode(SMMU_PAGING_32BIT, 36, false);
	/* Not present: a fetch reports I/D only with SMEP (SDM 4.7), even
	 * with EFER.NXE=1, because CR4.PAE=0. */
	guest_pt_activate(&pt, 0, 0, X86_EFER_NXE);
	expect_pf(0x1000, SMMU_ACCESS_FETCH, 0);
	guest_pt_activate(&pt, 0, X86_CR4_SMEP, X86_EFER_NXE);
	expect_pf(0x1000, SMMU_ACCESS_FETCH, (uint32_t)PFERR_I);
}

Test(mode_32bit, sets_accessed_and_dirty_in_4_byte_entries, .fini = teardown)
{
	setup_mode(SMMU_PAGING_32BIT, 36, false);
	uint64_t pte = guest_pt_map(&pt, 0x2000, 0x5000, 1, GPT_ALL, GPT_ALL);
	uint64_t pde = guest_pt_entry_gpa(&pt, 0x2000, 2);
	guest_pt_activate(&pt, 0, 0, 0);
	expect_ok(0x2000, SMMU_ACCESS_WRITE, 0x5000, X86_PAGE_SIZE);
	cr_expect_eq(guest_pt_read(&pt, pde),
		     (guest_pt_read(&pt, pde) & ~0xfffull) | GPT_ALL |
			     X86_PTE_A);
	cr_expect_eq(guest_pt_read(&pt, pte),
		     0x5000 | GPT_ALL | X86_PTE_A | X86_PTE_D);
}

/* ---- PAE paging (SDM 4.4) ---- */

Test(mode_pae, maps_4k_and_2m_pages, .fini = teardown)
{
	setup_mode(SMMU_PAGING_PAE, 36, false);
	guest_pt_map(&pt, 0x40001000, 0x7000, 1, GPT_ALL, GPT_ALL);
	guest_pt_map(&pt, 0xc0200000, 0x800000, 2, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	expect_ok(0x40001008, 0, 0x7008, X86_PAGE_SIZE);
	expect_ok(0xc0312345, 0, 0x912345, X86_PAGE_SIZE_2M);
}

Test(mode_pae, reaches_physical_addresses_above_4g, .fini = teardown)
{
	setup_mode(SMMU_PAGING_PAE, 40, false);
	guest_pt_map(&pt, 0x1000, 0xfe00001000ull, 1, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	expect_ok(0x1234, 0, 0xfe00001234ull, X86_PAGE_SIZE);
}

Test(mode_pae, walks_the_pdpte_registers_not_memory, .fini = teardown)
{
	setup_mode(SMMU_PAGING_PAE, 36, false);
	guest_pt_map(&pt, 0x1000, 0x7000, 1, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	/* Clearing PDPTE 0 in memory changes nothing until CR3 is loaded
	 * again (SDM 4.4.1). */
	smmu_posix_ram_write64(&f.host.ram, pt.root, 0);
	expect_ok(0x1000, 0, 0x7000, X86_PAGE_SIZE);
	/* And the walk does not set A in the PDPT. */
	cr_expect_eq(smmu_posix_ram_read64(&f.host.ram, pt.root), 0);
}

Test(mode_pae, not_present_pdpte_register_faults, .fini = teardown)
{
	setup_mode(SMMU_PAGING_PAE, 36, false);
	guest_pt_map(&pt, 0x1000, 0x7000, 1, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	expect_pf(0x80000000, SMMU_ACCESS_USER | SMMU_ACCESS_WRITE,
		  (uint32_t)(PFERR_U | PFERR_W));
}

Test(mode_pae, pdpte_register_reserved_bits_fault_with_rsvd, .fini = teardown)
{
	/* Reachable only when the host sets PDPTEs directly (state restore;
	 * MOV CR3 refuses them with #GP). Each reserved class faults. */
	const uint64_t bad[] = { 1ull << 1, 1ull << 2,	1ull << 5,
				 1ull << 8, 1ull << 36, 1ull << 63 };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup_mode(SMMU_PAGING_PAE, 36, false);
		guest_pt_map(&pt, 0x1000, 0x7000, 1, GPT_ALL, GPT_ALL);
		pt.pdpte[0] |= bad[i];
		guest_pt_activate(&pt, 0, 0, X86_EFER_NXE);
		expect_pf(0x1000, 0, RSVD_READ);
		fixture_fini(&f);
	}
	setup_mode(SMMU_PAGING_PAE, 36, false); /* for the .fini */
}

Test(mode_pae, entry_bits_62_to_maxphyaddr_are_reserved, .fini = teardown)
{
	setup_mode(SMMU_PAGING_PAE, 36, false);
	uint64_t pte = guest_pt_map(&pt, 0x1000, 0x7000, 1, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, X86_EFER_NXE);
	guest_pt_write(&pt, pte, 0x7000 | GPT_ALL | (1ull << 36));
	expect_pf(0x1000, 0, RSVD_READ);
	guest_pt_write(&pt, pte, 0x7000 | GPT_ALL | (1ull << 62));
	expect_pf(0x1000, 0, RSVD_READ);
	guest_pt_write(&pt, pte, 0x7000 | GPT_ALL | (1ull << 35));
	expect_ok(0x1000, 0, 0x800007000ull, X86_PAGE_SIZE);
}

Test(mode_pae, xd_bit_is_reserved_without_nxe, .fini = teardown)
{
	setup_mode(SMMU_PAGING_PAE, 36, false);
	guest_pt_map(&pt, 0x1000, 0x7000, 1, GPT_ALL | X86_PTE_XD, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	expect_pf(0x1000, 0, RSVD_READ);
	guest_pt_activate(&pt, 0, 0, X86_EFER_NXE);
	expect_pf(0x1000, SMMU_ACCESS_FETCH, (uint32_t)(PFERR_P | PFERR_I));
	expect_ok(0x1000, 0, 0x7000, X86_PAGE_SIZE);
}

Test(mode_pae, large_page_alignment_bits_are_reserved, .fini = teardown)
{
	setup_mode(SMMU_PAGING_PAE, 36, false);
	uint64_t pde =
		guest_pt_map(&pt, 0x200000, 0x400000, 2, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	guest_pt_write(&pt, pde,
		       0x400000 | GPT_ALL | X86_PTE_PS | (1ull << 13));
	expect_pf(0x200000, 0, RSVD_READ);
	guest_pt_write(&pt, pde,
		       0x400000 | GPT_ALL | X86_PTE_PS | X86_PTE_PAT_LARGE);
	expect_ok(0x200000, 0, 0x400000, X86_PAGE_SIZE_2M);
}

/* ---- 4-level paging (SDM 4.5) ---- */

Test(mode_4level, maps_4k_2m_and_1g_pages, .fini = teardown)
{
	setup_mode(SMMU_PAGING_4LEVEL, 46, true);
	guest_pt_map(&pt, 0x7fffffff000ull, 0x1000, 1, GPT_ALL, GPT_ALL);
	guest_pt_map(&pt, 0xffff800000200000ull, 0x3fe00000ull, 2, GPT_ALL,
		     GPT_ALL);
	guest_pt_map(&pt, 0x40000000ull, 0x1c0000000ull, 3, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	expect_ok(0x7ffffffffffull, 0, 0x1fff, X86_PAGE_SIZE);
	expect_ok(0xffff8000003fffffull, 0, 0x3fffffffull, X86_PAGE_SIZE_2M);
	expect_ok(0x7fffffffull, 0, 0x1ffffffffull, X86_PAGE_SIZE_1G);
}

Test(mode_4level, ps_in_pdpte_is_reserved_without_1g_pages, .fini = teardown)
{
	setup_mode(SMMU_PAGING_4LEVEL, 46, false);
	guest_pt_map(&pt, 0x40000000ull, 0x40000000ull, 3, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	expect_pf(0x40000000ull, 0, RSVD_READ);
}

Test(mode_4level, 1g_page_alignment_bits_are_reserved, .fini = teardown)
{
	setup_mode(SMMU_PAGING_4LEVEL, 46, true);
	uint64_t e = guest_pt_map(&pt, 0x40000000ull, 0x40000000ull, 3, GPT_ALL,
				  GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	guest_pt_write(&pt, e, guest_pt_read(&pt, e) | (1ull << 29));
	expect_pf(0x40000000ull, 0, RSVD_READ);
}

Test(mode_4level, ps_in_pml4e_is_reserved, .fini = teardown)
{
	setup_mode(SMMU_PAGING_4LEVEL, 46, true);
	guest_pt_map(&pt, 0x1000, 0x1000, 1, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	guest_pt_write(&pt, pt.root, guest_pt_read(&pt, pt.root) | X86_PTE_PS);
	expect_pf(0x1000, SMMU_ACCESS_USER, RSVD_READ | (uint32_t)PFERR_U);
}

Test(mode_4level, maxphyaddr_decides_which_address_bits_are_reserved,
     .fini = teardown)
{
	const uint8_t widths[] = { 36, 39, 46, 52 };
	for (unsigned i = 0; i < 4; i++) {
		uint8_t m = widths[i];
		setup_mode(SMMU_PAGING_4LEVEL, m, true);
		uint64_t pte =
			guest_pt_map(&pt, 0x1000, 0x1000, 1, GPT_ALL, GPT_ALL);
		guest_pt_activate(&pt, 0, 0, 0);
		/* The highest legal bit translates... */
		guest_pt_write(&pt, pte, (1ull << (m - 1)) | GPT_ALL);
		expect_ok(0x1000, 0, 1ull << (m - 1), X86_PAGE_SIZE);
		/* ...the first bit above MAXPHYADDR is reserved. */
		if (m < 52) {
			guest_pt_write(&pt, pte, (1ull << m) | GPT_ALL);
			expect_pf(0x1000, 0, RSVD_READ);
		}
		/* Bits 62:52 are ignored, never reserved. */
		guest_pt_write(&pt, pte, 0x1000 | GPT_ALL | (0x7ffull << 52));
		expect_ok(0x1000, 0, 0x1000, X86_PAGE_SIZE);
		fixture_fini(&f);
	}
	setup_mode(SMMU_PAGING_4LEVEL, 46, true);
}

Test(mode_4level, non_canonical_addresses_are_reported, .fini = teardown)
{
	setup_mode(SMMU_PAGING_4LEVEL, 46, true);
	guest_pt_activate(&pt, 0, 0, 0);
	struct smmu_translation t;
	const uint64_t bad[] = { 0x0000800000000000ull, 0xffff7fffffffffffull,
				 0x8000000000000000ull, 0x00ff000000000000ull };
	for (unsigned i = 0; i < 4; i++)
		cr_expect_eq(fixture_translate(&f, bad[i], 0, &t),
			     SMMU_XLATE_NONCANONICAL, "la %#lx",
			     (unsigned long)bad[i]);
	/* Canonical extremes walk (and fault: nothing is mapped). */
	cr_expect_eq(fixture_translate(&f, 0x00007fffffffffffull, 0, &t),
		     SMMU_XLATE_PAGE_FAULT);
	cr_expect_eq(fixture_translate(&f, 0xffff800000000000ull, 0, &t),
		     SMMU_XLATE_PAGE_FAULT);
}

Test(mode_4level, pcid_bits_of_cr3_are_not_address_bits, .fini = teardown)
{
	setup_mode(SMMU_PAGING_4LEVEL, 46, true);
	guest_pt_map(&pt, 0x1000, 0x9000, 1, GPT_ALL, GPT_ALL);
	struct smmu_paging_regs r = { .cr0 = X86_CR0_PE | X86_CR0_PG,
				      .cr3 = pt.root | 0x123,
				      .cr4 = X86_CR4_PAE | X86_CR4_PCIDE,
				      .efer = X86_EFER_LME | X86_EFER_LMA };
	cr_assert_eq(smmu_vcpu_set_paging(f.vcpu, &r), SMMU_OK);
	expect_ok(0x1000, 0, 0x9000, X86_PAGE_SIZE);
}

Test(mode_4level, global_needs_cr4_pge, .fini = teardown)
{
	setup_mode(SMMU_PAGING_4LEVEL, 46, true);
	guest_pt_map(&pt, 0x1000, 0x9000, 1, GPT_ALL | X86_PTE_G,
		     GPT_ALL | X86_PTE_G);
	struct smmu_translation t;
	guest_pt_activate(&pt, 0, 0, 0);
	cr_assert_eq(fixture_translate(&f, 0x1000, 0, &t), SMMU_XLATE_OK);
	cr_expect_not(t.global);
	guest_pt_activate(&pt, 0, X86_CR4_PGE, 0);
	cr_assert_eq(fixture_translate(&f, 0x1000, 0, &t), SMMU_XLATE_OK);
	cr_expect(t.global);
}

Test(mode_4level, reports_the_protection_key_only_with_pke, .fini = teardown)
{
	setup_mode(SMMU_PAGING_4LEVEL, 46, true);
	guest_pt_map(&pt, 0x1000, 0x9000, 1, GPT_ALL | (9ull << 59), GPT_ALL);
	struct smmu_translation t;
	guest_pt_activate(&pt, 0, 0, 0);
	cr_assert_eq(fixture_translate(&f, 0x1000, 0, &t), SMMU_XLATE_OK);
	cr_expect_eq(t.pkey, 0);
	guest_pt_activate(&pt, 0, X86_CR4_PKE, 0);
	cr_assert_eq(fixture_translate(&f, 0x1000, 0, &t), SMMU_XLATE_OK);
	cr_expect_eq(t.pkey, 9);
}

/* ---- 5-level paging (SDM 4.5, CR4.LA57) ---- */

Test(mode_5level, translates_57_bit_addresses, .fini = teardown)
{
	setup_mode(SMMU_PAGING_5LEVEL, 52, true);
	const uint64_t la = 0x00ff123456789000ull; /* PML5 index 0x1ff */
	guest_pt_map(&pt, la, 0xabc000, 1, GPT_ALL, GPT_ALL);
	guest_pt_map(&pt, 0x0001000000000000ull, 0xdef000, 1, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	expect_ok(la | 0x42, 0, 0xabc042, X86_PAGE_SIZE);
	/* Differs from a mapped address only above bit 47: a 4-level walk
	 * would alias them. */
	expect_ok(0x0001000000000010ull, 0, 0xdef010, X86_PAGE_SIZE);
	expect_pf(0x0002000000000000ull, 0, 0);
}

Test(mode_5level, canonical_boundary_is_bit_56, .fini = teardown)
{
	setup_mode(SMMU_PAGING_5LEVEL, 52, true);
	guest_pt_activate(&pt, 0, 0, 0);
	struct smmu_translation t;
	cr_expect_eq(fixture_translate(&f, 0x0100000000000000ull, 0, &t),
		     SMMU_XLATE_NONCANONICAL);
	cr_expect_eq(fixture_translate(&f, 0xfeffffffffffffffull, 0, &t),
		     SMMU_XLATE_NONCANONICAL);
	cr_expect_eq(fixture_translate(&f, 0xff00000000000000ull, 0, &t),
		     SMMU_XLATE_PAGE_FAULT);
	cr_expect_eq(fixture_translate(&f, 0x0000800000000000ull, 0, &t),
		     SMMU_XLATE_PAGE_FAULT);
}

Test(mode_5level, ps_in_pml5e_is_reserved, .fini = teardown)
{
	setup_mode(SMMU_PAGING_5LEVEL, 52, true);
	guest_pt_map(&pt, 0x1000, 0x1000, 1, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	guest_pt_write(&pt, pt.root, guest_pt_read(&pt, pt.root) | X86_PTE_PS);
	expect_pf(0x1000, 0, RSVD_READ);
}

/* ---- paging off ---- */

Test(mode_off, linear_is_physical_and_everything_is_allowed, .fini = teardown)
{
	setup_mode(SMMU_PAGING_4LEVEL, 46, true); /* tables unused */
	struct smmu_translation t;
	cr_assert_eq(fixture_translate(&f, 0xfee00123,
				       SMMU_ACCESS_USER | SMMU_ACCESS_WRITE,
				       &t),
		     SMMU_XLATE_OK);
	cr_expect_eq(t.gpa, 0xfee00123);
	cr_expect_eq(t.rights, SMMU_RIGHT_W | SMMU_RIGHT_U | SMMU_RIGHT_X);
	/* Outside IA-32e mode linear addresses have 32 bits. */
	cr_assert_eq(fixture_translate(&f, 0x100001234ull, 0, &t),
		     SMMU_XLATE_OK);
	cr_expect_eq(t.gpa, 0x1234);
}

/* ---- accessed and dirty flags (SDM 4.8) ---- */

Test(accessed_dirty, read_sets_a_at_every_level_and_no_d, .fini = teardown)
{
	setup_mode(SMMU_PAGING_4LEVEL, 46, true);
	const uint64_t la = 0x12345000;
	guest_pt_map(&pt, la, 0x9000, 1, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	expect_ok(la, 0, 0x9000, X86_PAGE_SIZE);
	for (int l = 4; l >= 1; l--) {
		uint64_t e = guest_pt_read(&pt, guest_pt_entry_gpa(&pt, la, l));
		cr_expect(e & X86_PTE_A, "level %d: A not set", l);
		cr_expect_not(e & X86_PTE_D, "level %d: D set by a read", l);
	}
}

Test(accessed_dirty, write_sets_d_in_the_leaf_only, .fini = teardown)
{
	setup_mode(SMMU_PAGING_4LEVEL, 46, true);
	const uint64_t la = 0x40200000;
	uint64_t leaf = guest_pt_map(&pt, la, 0x800000, 2, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	expect_ok(la, SMMU_ACCESS_WRITE, 0x800000, X86_PAGE_SIZE_2M);
	cr_expect_eq(guest_pt_read(&pt, leaf),
		     0x800000 | GPT_ALL | X86_PTE_PS | X86_PTE_A | X86_PTE_D);
	for (int l = 4; l >= 3; l--) {
		uint64_t e = guest_pt_read(&pt, guest_pt_entry_gpa(&pt, la, l));
		cr_expect_eq(e & (X86_PTE_A | X86_PTE_D), X86_PTE_A, "level %d",
			     l);
	}
}

Test(accessed_dirty, faulting_access_changes_nothing, .fini = teardown)
{
	setup_mode(SMMU_PAGING_4LEVEL, 46, true);
	const uint64_t la = 0x5000;
	uint64_t leaf = guest_pt_map(&pt, la, 0x9000, 1, X86_PTE_P, GPT_ALL);
	guest_pt_activate(&pt, X86_CR0_WP, 0, 0);
	expect_pf(la, SMMU_ACCESS_WRITE, (uint32_t)(PFERR_P | PFERR_W));
	cr_expect_eq(guest_pt_read(&pt, leaf), 0x9000 | X86_PTE_P);
	for (int l = 4; l >= 2; l--)
		cr_expect_not(
			guest_pt_read(&pt, guest_pt_entry_gpa(&pt, la, l)) &
				X86_PTE_A,
			"level %d", l);
}

/* A host whose compare-exchange first lets "another vCPU" rewrite the
 * entry, so the walker's expected old value is stale. */
static struct {
	unsigned races_left; /* how many cmpxchgs lose the race */
	uint64_t new_gpa;    /* what the racing vCPU remaps the leaf to */
	uint64_t leaf_gpa;
	unsigned calls;
} race;

static int racy_cmpxchg(void *host, uint64_t gpa, unsigned size,
			uint64_t old_val, uint64_t new_val)
{
	race.calls++;
	if (race.races_left && gpa == race.leaf_gpa) {
		race.races_left--;
		uint64_t cur = smmu_posix_ram_read64(&f.host.ram, gpa);
		/* Toggle between two targets so every race is a real change. */
		uint64_t target = (cur & 0x000ffffffffff000ull) == race.new_gpa
					  ? 0x9000
					  : race.new_gpa;
		smmu_posix_ram_write64(&f.host.ram, gpa,
				       target | (cur & 0xfff));
	}
	return smmu_posix_host_ops.cmpxchg_gpa(host, gpa, size, old_val,
					       new_val);
}

static void use_racy_host(void)
{
	static struct smmu_host_ops ops;
	ops = smmu_posix_host_ops;
	ops.cmpxchg_gpa = racy_cmpxchg;
	smmu_vcpu_destroy(f.vcpu);
	cr_assert_eq(smmu_vm_destroy(f.vm), SMMU_OK);
	struct smmu_vm_config cfg = { .maxphyaddr = 46, .gbpages = true };
	cr_assert_eq(smmu_vm_create(&cfg, &ops, &f.host, &f.vm), SMMU_OK);
	cr_assert_eq(smmu_vcpu_create(f.vm, 0, &f.vcpu), SMMU_OK);
}

Test(accessed_dirty, lost_race_rewalks_and_uses_the_new_entry, .fini = teardown)
{
	setup_mode(SMMU_PAGING_4LEVEL, 46, true);
	use_racy_host();
	race = (typeof(race)){ .races_left = 1, .new_gpa = 0x77000 };
	race.leaf_gpa = guest_pt_map(&pt, 0x5000, 0x9000, 1, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	/* The first attempt read 0x9000, then the entry became 0x77000: the
	 * result must be the new translation, with A/D set on it. */
	expect_ok(0x5008, SMMU_ACCESS_WRITE, 0x77008, X86_PAGE_SIZE);
	cr_expect_eq(guest_pt_read(&pt, race.leaf_gpa),
		     0x77000 | GPT_ALL | X86_PTE_A | X86_PTE_D);
}

Test(accessed_dirty, endless_races_end_in_retry, .fini = teardown)
{
	setup_mode(SMMU_PAGING_4LEVEL, 46, true);
	use_racy_host();
	race = (typeof(race)){ .races_left = ~0u, .new_gpa = 0x77000 };
	race.leaf_gpa = guest_pt_map(&pt, 0x5000, 0x9000, 1, GPT_ALL, GPT_ALL);
	guest_pt_activate(&pt, 0, 0, 0);
	struct smmu_translation t;
	cr_expect_eq(fixture_translate(&f, 0x5000, 0, &t), SMMU_XLATE_RETRY);
	cr_expect_lt(race.calls, 100, "the walker must give up, not spin");
}
