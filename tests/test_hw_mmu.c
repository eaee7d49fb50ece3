/* SPDX-License-Identifier: MIT */
/*
 * The simulated hardware MMU's walk of the shadow tables: 4- and 5-level,
 * every leaf size, A/D (SDM vol. 3A 4.8), rights and error codes (4.6,
 * 4.7), reserved bits (4.5), and the results that expose a broken MMU
 * under test instead of masking it.
 */
#include <criterion/criterion.h>
#include <signal.h>

#include "hw_fixture.h"

TestSuite(hw, .init = hw_fixture_setup, .fini = hw_fixture_teardown);

/* --- walks ------------------------------------------------------------ */

Test(hw, walk_4level_4k_leaf_translates_page_and_offset)
{
	map(0x400000, 0x5000, RWU);
	struct hw_result r;
	cr_assert_eq(xlate(0x400123, 0, &r), HW_OK);
	cr_expect_eq(r.hpa, hpa_of_gpa(0x5123));
	cr_expect_eq(r.page_size, X86_PAGE_SIZE);
	cr_expect_eq(r.rights, SMMU_RIGHT_W | SMMU_RIGHT_U | SMMU_RIGHT_X);
	cr_expect_not(r.tlb_hit);
	cr_assert_eq(xlate(0x400456, 0, &r), HW_OK);
	cr_expect(r.tlb_hit);
	cr_expect_eq(r.hpa, hpa_of_gpa(0x5456));
}

Test(hw, walk_4level_2m_and_1g_leaves)
{
	map_in(root, 0x40200000, hpa_of_gpa(0x400000), 2, RWU);
	map_in(root, 0x80000000, SIM_GUEST_HPA_BASE, 3, RWU);
	struct hw_result r;
	cr_assert_eq(xlate(0x40212345, 0, &r), HW_OK);
	cr_expect_eq(r.hpa, hpa_of_gpa(0x412345));
	cr_expect_eq(r.page_size, X86_PAGE_SIZE_2M);
	cr_assert_eq(xlate(0x83456789, 0, &r), HW_OK);
	cr_expect_eq(r.hpa, SIM_GUEST_HPA_BASE + 0x3456789);
	cr_expect_eq(r.page_size, X86_PAGE_SIZE_1G);
}

Test(hw, large_leaf_pat_bit_is_not_part_of_the_frame)
{
	map_in(root, 0x40200000, hpa_of_gpa(0x400000) | X86_PTE_PAT_LARGE, 2,
	       RWU);
	cr_expect_eq(ok(0x40200010, 0), hpa_of_gpa(0x400010));
}

Test(hw, walk_5level_4k_2m_1g_leaves_in_both_halves)
{
	ctx.la57 = true;
	uint64_t lo = 3ull << 48, hi = 0xfff0000000000000ull;
	map(lo | 0x1000, 0x7000, RWU);
	map_in(root, lo | 0x40200000, hpa_of_gpa(0x600000), 2, RWU);
	map_in(root, hi | 0x40000000, SIM_GUEST_HPA_BASE, 3, RWU);
	map(hi | 0x2000, 0x9000, RWU);
	cr_expect_eq(ok(lo | 0x1008, 0), hpa_of_gpa(0x7008));
	cr_expect_eq(ok(lo | 0x40300000, 0), hpa_of_gpa(0x700000));
	cr_expect_eq(ok(hi | 0x40abcdef, 0), SIM_GUEST_HPA_BASE + 0xabcdef);
	cr_expect_eq(ok(hi | 0x2ff8, 0), hpa_of_gpa(0x9ff8));
	/* the same root read as 4-level tables maps none of it */
	ctx.la57 = false;
	hw_tlb_flush_all(tlb);
	cr_expect_eq(pf(0x1000, 0), 0);
}

Test(hw, leaf_pointing_outside_known_memory_still_translates)
{
	map_in(root, 0x1000, 0x5000, 1, RWU);
	cr_expect_eq(ok(0x1234, 0), 0x5234);
}

/* --- accessed and dirty (SDM 4.8) --------------------------------------- */

Test(hw, read_sets_accessed_in_every_entry_and_no_dirty)
{
	map(0x400000, 0x5000, RWU);
	ok(0x400000, 0);
	for (unsigned l = 4; l >= 1; l--) {
		uint64_t e = *slot(0x400000, l);
		cr_expect(e & X86_PTE_A, "level %u", l);
		cr_expect_not(e & X86_PTE_D, "level %u", l);
	}
}

Test(hw, write_sets_dirty_in_the_leaf_only)
{
	map_in(root, 0x40200000, hpa_of_gpa(0x400000), 2, RWU);
	map(0x1000, 0x5000, RWU);
	ok(0x40200000, SMMU_ACCESS_WRITE);
	ok(0x1000, SMMU_ACCESS_WRITE);
	cr_expect(*slot(0x40200000, 2) & X86_PTE_D);
	cr_expect(*slot(0x1000, 1) & X86_PTE_D);
	cr_expect_not(*slot(0x1000, 2) & X86_PTE_D);
	cr_expect_not(*slot(0x1000, 3) & X86_PTE_D);
}

/* --- rights and error codes (SDM 4.6, 4.7) ---------------------------------
 */

Test(hw, user_access_to_supervisor_page_faults)
{
	map(0x1000, 0x5000, X86_PTE_P | X86_PTE_RW);
	cr_expect_eq(pf(0x1000, SMMU_ACCESS_USER), PFERR_P | PFERR_U);
	cr_expect_eq(pf(0x1000, SMMU_ACCESS_USER | SMMU_ACCESS_WRITE),
		     PFERR_P | PFERR_W | PFERR_U);
}

Test(hw, user_write_needs_rw_at_every_level)
{
	map(0x1000, 0x5000, RWU);
	*slot(0x1000, 3) &= ~X86_PTE_RW;
	cr_expect_eq(ok(0x1000, SMMU_ACCESS_USER), hpa_of_gpa(0x5000));
	cr_expect_eq(pf(0x1000, SMMU_ACCESS_USER | SMMU_ACCESS_WRITE),
		     PFERR_P | PFERR_W | PFERR_U);
}

Test(hw, supervisor_write_to_read_only_page_faults_only_with_wp)
{
	map(0x1000, 0x5000, X86_PTE_P);
	cr_expect_eq(pf(0x1000, SMMU_ACCESS_WRITE), PFERR_P | PFERR_W);
	ctx.wp = false;
	cr_expect_eq(ok(0x1000, SMMU_ACCESS_WRITE), hpa_of_gpa(0x5000));
}

Test(hw, smep_blocks_supervisor_fetch_from_user_page)
{
	map(0x1000, 0x5000, RWU);
	ok(0x1000, SMMU_ACCESS_FETCH);
	ctx.smep = true; /* rights use the current CR4, even on a TLB hit */
	struct hw_result r;
	cr_assert_eq(xlate(0x1000, SMMU_ACCESS_FETCH, &r), HW_PAGE_FAULT);
	cr_expect(r.tlb_hit);
	cr_expect_eq(r.pf_error, PFERR_P | PFERR_I);
	cr_expect_eq(ok(0x1000, SMMU_ACCESS_FETCH | SMMU_ACCESS_USER),
		     hpa_of_gpa(0x5000));
}

Test(hw, smap_blocks_supervisor_data_access_to_user_page_unless_ac)
{
	map(0x1000, 0x5000, RWU);
	ctx.smap = true;
	cr_expect_eq(pf(0x1000, 0), PFERR_P);
	cr_expect_eq(pf(0x1000, SMMU_ACCESS_WRITE), PFERR_P | PFERR_W);
	ok(0x1000, SMMU_ACCESS_AC);
	ok(0x1000, SMMU_ACCESS_AC | SMMU_ACCESS_WRITE);
	/* implicit supervisor accesses ignore EFLAGS.AC */
	cr_expect_eq(pf(0x1000, SMMU_ACCESS_IMPLICIT | SMMU_ACCESS_AC),
		     PFERR_P);
	/* and SMAP says nothing about fetches or supervisor pages */
	ok(0x1000, SMMU_ACCESS_FETCH);
	map(0x2000, 0x6000, X86_PTE_P | X86_PTE_RW);
	ok(0x2000, SMMU_ACCESS_IMPLICIT);
}

Test(hw, xd_blocks_fetch_at_any_level_with_nxe)
{
	map(0x1000, 0x5000, RWU | X86_PTE_XD);
	map(0x40001000, 0x6000, RWU);
	*slot(0x40001000, 3) |= X86_PTE_XD;
	cr_expect_eq(pf(0x1000, SMMU_ACCESS_FETCH), PFERR_P | PFERR_I);
	cr_expect_eq(pf(0x40001000, SMMU_ACCESS_FETCH | SMMU_ACCESS_USER),
		     PFERR_P | PFERR_U | PFERR_I);
	struct hw_result r;
	cr_assert_eq(xlate(0x1000, 0, &r), HW_OK);
	cr_expect_eq(r.rights, SMMU_RIGHT_W | SMMU_RIGHT_U);
}

Test(hw, xd_is_reserved_without_nxe_and_fetch_has_no_i_bit)
{
	ctx.nxe = false;
	map(0x1000, 0x5000, RWU | X86_PTE_XD);
	cr_expect_eq(pf(0x1000, SMMU_ACCESS_FETCH), PFERR_P | PFERR_RSVD);
	cr_expect_eq(pf(0x9000, SMMU_ACCESS_FETCH), 0);
	ctx.smep = true;
	cr_expect_eq(pf(0x9000, SMMU_ACCESS_FETCH), PFERR_I);
}

Test(hw, pkru_access_disable_blocks_data_accesses_not_fetches)
{
	ctx.pke = true;
	map(0x1000, 0x5000, RWU | (3ull << X86_PTE_PKEY_SHIFT));
	ok(0x1000, SMMU_ACCESS_USER);
	pkru = X86_PKRU_AD(3);
	cr_expect_eq(pf(0x1000, SMMU_ACCESS_USER),
		     PFERR_P | PFERR_U | PFERR_PK);
	cr_expect_eq(pf(0x1000, 0), PFERR_P | PFERR_PK);
	ok(0x1000, SMMU_ACCESS_FETCH | SMMU_ACCESS_USER);
	pkru = X86_PKRU_AD(2) | X86_PKRU_WD(2); /* another key */
	ok(0x1000, SMMU_ACCESS_USER | SMMU_ACCESS_WRITE);
}

Test(hw, pkru_write_disable_blocks_user_writes_and_supervisor_with_wp)
{
	ctx.pke = true;
	map(0x1000, 0x5000, RWU | (3ull << X86_PTE_PKEY_SHIFT));
	pkru = X86_PKRU_WD(3);
	ok(0x1000, SMMU_ACCESS_USER);
	cr_expect_eq(pf(0x1000, SMMU_ACCESS_USER | SMMU_ACCESS_WRITE),
		     PFERR_P | PFERR_W | PFERR_U | PFERR_PK);
	cr_expect_eq(pf(0x1000, SMMU_ACCESS_WRITE),
		     PFERR_P | PFERR_W | PFERR_PK);
	ctx.wp = false;
	ok(0x1000, SMMU_ACCESS_WRITE);
}

Test(hw, pk_bit_accompanies_a_paging_rights_violation)
{
	ctx.pke = true;
	map(0x1000, 0x5000, X86_PTE_P | X86_PTE_US | (1ull << 59));
	pkru = X86_PKRU_WD(1);
	cr_expect_eq(pf(0x1000, SMMU_ACCESS_USER | SMMU_ACCESS_WRITE),
		     PFERR_P | PFERR_W | PFERR_U | PFERR_PK);
}

Test(hw, protection_keys_ignore_supervisor_pages_and_pke_off)
{
	map(0x1000, 0x5000, X86_PTE_P | X86_PTE_RW | (3ull << 59));
	map(0x2000, 0x6000, RWU | (3ull << 59));
	pkru = X86_PKRU_AD(3);
	ok(0x2000, SMMU_ACCESS_USER); /* CR4.PKE=0 */
	ctx.pke = true;
	ok(0x1000, 0);
	ok(0x1000, SMMU_ACCESS_WRITE);
}

/* --- reserved bits -------------------------------------------------------- */

Test(hw, address_bits_above_maxphyaddr_are_reserved)
{
	map_in(root, 0x1000, (1ull << 47) | hpa_of_gpa(0x5000), 1, RWU);
	cr_expect_eq(pf(0x1000, SMMU_ACCESS_USER | SMMU_ACCESS_WRITE),
		     PFERR_P | PFERR_W | PFERR_U | PFERR_RSVD);
	ctx.maxphyaddr = 48;
	cr_expect_eq(ok(0x1000, 0), (1ull << 47) | hpa_of_gpa(0x5000));
	*slot(0x1000, 3) |= 1ull << 50;
	hw_tlb_flush_all(tlb);
	cr_expect_eq(pf(0x1000, 0), PFERR_P | PFERR_RSVD);
}

Test(hw, ps_is_reserved_in_pml4e_and_pml5e)
{
	map(0x1000, 0x5000, RWU);
	*slot(0x1000, 4) |= X86_PTE_PS;
	cr_expect_eq(pf(0x1000, 0), PFERR_P | PFERR_RSVD);
	ctx.la57 = true;
	uint64_t la = 7ull << 48;
	map(la, 0x5000, RWU);
	*slot(la, 5) |= X86_PTE_PS;
	cr_expect_eq(pf(la, 0), PFERR_P | PFERR_RSVD);
}

Test(hw, misaligned_large_frames_are_reserved)
{
	map_in(root, 0x40000000, SIM_GUEST_HPA_BASE | (1ull << 13), 3, RWU);
	map_in(root, 0x200000, hpa_of_gpa(0x200000) | (1ull << 20), 2, RWU);
	cr_expect_eq(pf(0x40000000, 0), PFERR_P | PFERR_RSVD);
	cr_expect_eq(pf(0x200000, 0), PFERR_P | PFERR_RSVD);
}

Test(hw, not_present_upper_entry_faults_with_p_clear)
{
	cr_expect_eq(pf(0x1000, SMMU_ACCESS_USER | SMMU_ACCESS_WRITE),
		     PFERR_W | PFERR_U);
	map(0x1000, 0x5000, RWU);
	*slot(0x1000, 3) &= ~X86_PTE_P;
	cr_expect_eq(pf(0x1000, 0), 0);
	cr_expect_not(*slot(0x1000, 4) & X86_PTE_A, "no A on a fault");
}

/* --- bugs of the MMU under test surface, never masked --------------------- */

Test(hw, entry_pointing_nowhere_is_bad_hpa)
{
	map(0x1000, 0x5000, RWU);
	*slot(0x1000, 2) = 0x5000 | DIR;
	struct hw_result r;
	cr_assert_eq(xlate(0x1000, 0, &r), HW_BAD_HPA);
	cr_expect_eq(r.bad_hpa, 0x5000);
	ctx.cr3 = 0x7000;
	cr_assert_eq(xlate(0x1000, 0, &r), HW_BAD_HPA);
	cr_expect_eq(r.bad_hpa, 0x7000);
}

Test(hw, walk_into_freed_pool_page_is_freed_table)
{
	map(0x1000, 0x5000, RWU);
	uint64_t pt = *slot(0x1000, 2) & ADDR;
	sim_pool_free(&pool, pt);
	struct hw_result r;
	cr_assert_eq(xlate(0x1000, 0, &r), HW_FREED_TABLE);
	cr_expect_eq(r.bad_hpa, pt);
}

Test(hw, fetch_that_writes_is_a_caller_bug, .signal = SIGABRT)
{
	struct hw_result r;
	xlate(0x1000, SMMU_ACCESS_FETCH | SMMU_ACCESS_WRITE, &r);
}

Test(hw, implicit_user_access_is_a_caller_bug, .signal = SIGABRT)
{
	struct hw_result r;
	xlate(0x1000, SMMU_ACCESS_IMPLICIT | SMMU_ACCESS_USER, &r);
}
