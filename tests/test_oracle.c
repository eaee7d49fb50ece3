/* SPDX-License-Identifier: MIT */
/*
 * The oracle's own tests: a correct shadow MMU (the naive one) produces
 * no violations, stale translations the SDM allows are allowed, and each
 * broken MMU — including the bugs of shared/seeds — is caught.
 */
#include <criterion/criterion.h>

#include "oracle_guest.h"

static struct oguest g;

static void fini(void)
{
	og_fini(&g);
}

TestSuite(oracle, .fini = fini);

#define LA     OG_LA
#define PAGE_A OG_PAGE_A
#define PAGE_B OG_PAGE_B

static uint64_t remap_setup(uint32_t inject)
{
	og_init(&g, &(struct oguest_config){ .inject = inject });
	return og_remap(&g);
}

Test(oracle, stale_translation_before_invalidation_is_allowed)
{
	/* No INVLPG after the remap: the CPU may still use page A. */
	remap_setup(0);
	og_read(&g, 0, LA);
	og_read(&g, 0, LA + 8);
	cr_expect_eq(og_run(&g), 0);
}

Test(oracle, invlpg_makes_the_new_mapping_visible)
{
	remap_setup(0);
	og_invlpg(&g, 0, LA);
	og_read(&g, 0, LA);
	cr_expect_eq(og_run(&g), 0);
}

Test(oracle, ignored_invlpg_is_a_violation)
{
	remap_setup(NAIVE_IGNORE_INVLPG);
	og_invlpg(&g, 0, LA);
	og_read(&g, 0, LA);
	cr_expect_gt(og_run(&g), 0);
}

Test(oracle, mov_cr3_without_pcid_flushes)
{
	uint64_t pml4 = remap_setup(0);
	og_mov_cr3(&g, 0, pml4);
	og_read(&g, 0, LA);
	cr_expect_eq(og_run(&g), 0);
}

Test(oracle, mov_cr3_that_does_not_flush_is_a_violation)
{
	uint64_t pml4 = remap_setup(NAIVE_NO_FLUSH_ON_CR3);
	og_mov_cr3(&g, 0, pml4);
	og_read(&g, 0, LA);
	cr_expect_gt(og_run(&g), 0);
}

Test(oracle, noflush_cr3_keeps_stale_translations_legally)
{
	og_init(&g, &(struct oguest_config){ 0 });
	og_noflush_then_flush(&g);
	cr_expect_eq(og_run(&g), 0);
}

Test(oracle, unmapped_page_faults_after_invalidation)
{
	og_init(&g, &(struct oguest_config){ 0 });
	og_unmap_then_invalidate(&g);
	cr_expect_eq(og_run(&g), 0);
	cr_expect_eq(g.sim.vcpu[0].stats.injected, 1);
}

Test(oracle, write_sets_dirty_and_permission_upgrade_is_seen)
{
	og_init(&g, &(struct oguest_config){ 0 });
	uint64_t pml4 = og_space(&g);
	uint64_t pte = og_map(&g, pml4, LA, PAGE_A,
			      X86_PTE_P | X86_PTE_US); /* read-only */
	og_start(&g, 0, pml4, 0, 0);
	og_op(&g, 0,
	      (struct gop){ .kind = GOP_STORE,
			    .la = LA,
			    .flags = SMMU_ACCESS_USER,
			    .val = 1 }); /* #PF: read-only */
	og_set_pte(&g, 0, pte, PAGE_A | OG_USER);
	og_op(&g, 0,
	      (struct gop){ .kind = GOP_STORE,
			    .la = LA,
			    .flags = SMMU_ACCESS_USER,
			    .val = 2 }); /* may fault once more, or succeed */
	cr_expect_eq(og_run(&g), 0);
	uint64_t now = smmu_posix_ram_read64(&g.sim.host.ram, pte);
	cr_expect(now & X86_PTE_D, "the successful write set D");
}

/* Seed 000 (XSA-294): five address spaces with distinct PCIDs map LA to
 * different pages; switching between them with NOFLUSH evicts one of the
 * naive MMU's four root slots. A rebuilt root under a hardware PCID that
 * still tags the previous root's translations must be flushed. */
static void five_spaces_noflush(uint32_t inject)
{
	og_init(&g, &(struct oguest_config){ .inject = inject });
	og_five_spaces_noflush(&g);
}

Test(oracle, seed000_root_rebuilt_under_noflush_is_flushed)
{
	five_spaces_noflush(0);
	cr_expect_eq(og_run(&g), 0);
}

Test(oracle, seed000_reusing_a_hardware_pcid_without_flush_is_caught)
{
	five_spaces_noflush(NAIVE_REUSE_ROOT_NOFLUSH);
	cr_expect_gt(og_run(&g), 0);
}

/* Seed 001: a root cached while CR4.PCIDE=0 holds translations the guest
 * flushed with its next MOV CR3; setting PCIDE does not make them valid
 * again, so a NOFLUSH switch back must not run on that root unsynced. */
static void prev_root_across_pcide(uint32_t inject)
{
	og_init(&g, &(struct oguest_config){ .inject = inject });
	og_prev_root_across_pcide(&g);
}

Test(oracle, seed001_prev_root_is_synced_across_pcide)
{
	prev_root_across_pcide(0);
	cr_expect_eq(og_run(&g), 0);
}

Test(oracle, seed001_prev_root_reused_after_pcide_is_caught)
{
	prev_root_across_pcide(NAIVE_PREV_ROOTS_ACROSS_PCIDE);
	cr_expect_gt(og_run(&g), 0);
}

/* Seed 004: a paravirtual flush must sync (here: drop) out-of-sync
 * shadow entries before the hardware flush counts as done. */
Test(oracle, seed004_pv_flush_syncs_first)
{
	remap_setup(0);
	og_pv_flush(&g, 0);
	og_read(&g, 0, LA);
	cr_expect_eq(og_run(&g), 0);
}

Test(oracle, seed004_flush_before_sync_is_caught)
{
	remap_setup(NAIVE_FLUSH_BEFORE_SYNC);
	og_pv_flush(&g, 0);
	og_read(&g, 0, LA);
	cr_expect_gt(og_run(&g), 0);
}

/* Shootdown: vCPU 0 remaps a page both vCPUs use and shoots vCPU 1 down
 * with a guest IPI; afterwards vCPU 1 must see the new page. */
Test(oracle, guest_shootdown_reaches_the_other_vcpu)
{
	og_init(&g, &(struct oguest_config){ .nr_vcpus = 2 });
	uint64_t pml4 = og_space(&g);
	uint64_t pte = og_map(&g, pml4, LA, PAGE_A, OG_USER);
	og_start(&g, 0, pml4, 0, 0);
	og_start(&g, 1, pml4, 0, 0);
	for (int i = 0; i < 50; i++) {
		og_read(&g, 1, LA);
		og_read(&g, 0, LA);
		og_set_pte(&g, 0, pte, ((i & 1) ? PAGE_A : PAGE_B) | OG_USER);
		og_invlpg(&g, 0, LA);
		og_op(&g, 0,
		      (struct gop){
			      .kind = GOP_SHOOTDOWN, .la = LA, .targets = 2 });
	}
	cr_expect_eq(og_run(&g), 0);
	cr_expect_eq(g.sim.vcpu[1].stats.invalidations, 50);
}
