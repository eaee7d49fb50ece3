/* SPDX-License-Identifier: MIT */
/*
 * Bug classes from the history of KVM's and Xen's shadow MMUs that no
 * other test file builds (tests/BUG_HISTORY.md maps every class to its
 * scenario and knob). Each scenario passes on the library as shipped and
 * fails with the knob that plants its class.
 */
#include <criterion/criterion.h>

#include "guest_pt.h"
#include "lib_mmu.h"
#include "oracle_guest.h"
#include "shadow_host.h"

#define RAM	(64ull << 20)
#define DATA	(32ull << 20)
#define USER_RW (X86_PTE_P | X86_PTE_RW | X86_PTE_US)

/* ---- on the minimal host: no simulated CPU ---- */

static struct shadow_host h;
static bool host_live;

static void fini_host(void)
{
	if (host_live)
		shadow_host_fini(&h);
	host_live = false;
}

TestSuite(bug_history_api, .fini = fini_host);

/* CVE-2019-3016's class: a remote request racing with the vCPU's entry.
 * Another CPU unmaps the frame behind a global translation of the vCPU
 * while the vCPU is inside smmu_vcpu_enter, between taking what it owed
 * and entering guest mode: the entry takes the MMU lock to sync the root
 * (after a MOV CR3), and the unmap runs just before that lock is taken.
 * The vCPU was out of guest mode when the request came, so the request
 * was left for its next entry — this one, which must carry the flush of
 * everything, globals included (the MOV CR3 flushes no global entry). */
#define GLOBAL_LA 0x40000000ull

static void unmap_data(struct shadow_host *x)
{
	cr_assert_eq(smmu_vm_invalidate_gfn_range(x->vm, DATA >> 12, 1,
						  SMMU_GFN_UNMAP),
		     SMMU_OK);
}

static bool entry_after_a_racing_unmap_flushes_all(uint32_t inject)
{
	shadow_host_init(&h, RAM, 32, inject);
	host_live = true;
	struct guest_pt pt;
	guest_pt_init_ram(&pt, &h.posix.ram, &h.next_table, SMMU_PAGING_4LEVEL);
	guest_pt_map(&pt, GLOBAL_LA, DATA, 1, USER_RW | X86_PTE_G, GPT_ALL);
	struct smmu_paging_regs r =
		guest_pt_regs(&pt, X86_CR0_WP, X86_CR4_PGE, X86_EFER_NXE);
	cr_assert_eq(smmu_vcpu_set_paging(h.vcpu, &r), SMMU_OK);
	cr_assert_eq(smmu_vcpu_load(h.vcpu, 0), SMMU_OK);
	shadow_host_enter(&h);
	struct smmu_fault f = shadow_host_fault(&h, GLOBAL_LA, 0);
	cr_assert_eq(f.action, SMMU_FAULT_FIXED, "%s",
		     f.reason ? f.reason : "");
	shadow_host_enter(&h); /* the guest caches the global page */
	cr_assert_eq(smmu_vcpu_exit(h.vcpu), SMMU_OK);
	cr_assert_eq(smmu_vcpu_write_cr3(h.vcpu, r.cr3), SMMU_CR_DONE);

	h.lock_hook = unmap_data;
	shadow_host_enter(&h);
	cr_assert_null(h.lock_hook, "the entry took no lock: no race made");
	cr_expect_eq(shadow_host_walk(&h, GLOBAL_LA), 0, "unmapped");
	for (unsigned i = 0; i < h.entry.nr_flushes; i++)
		if (h.entry.flush[i].scope == SMMU_FLUSH_VCPU_ALL)
			return true;
	return false;
}

Test(bug_history_api, entry_after_a_racing_request_flushes_what_it_owes)
{
	cr_expect(entry_after_a_racing_unmap_flushes_all(0),
		  "the entry kept the unmapped frame's global translation");
}

Test(bug_history_api, entry_missing_a_racing_request_is_caught)
{
	cr_expect_not(entry_after_a_racing_unmap_flushes_all(
		SMMU_INJECT_ENTRY_MISSES_REQUESTS));
}

/* CVE-2022-1789's class: INVPCID while paging is off (KVM called an
 * invalidation hook that paging-off mode does not have). Every type, with
 * and without a root, before the first entry and after: the SDM's answer,
 * and nothing else. The class is a missing check rather than a wrong
 * rule, so no knob plants it: this runs under ASan and UBSan in CI. */
Test(bug_history_api, invpcid_with_paging_off_is_architectural)
{
	shadow_host_init(&h, RAM, 32, 0);
	host_live = true;
	for (int entered = 0; entered < 2; entered++) {
		if (entered)
			shadow_host_enter(&h);
		for (unsigned type = 0; type < 4; type++) {
			cr_expect_eq(smmu_vcpu_invpcid(h.vcpu, type, 0, 0x1000),
				     SMMU_CR_DONE, "type %u", type);
			/* A PCID other than 0 while CR4.PCIDE=0: #GP for
			 * types 0 and 1 only. */
			cr_expect_eq(smmu_vcpu_invpcid(h.vcpu, type, 1, 0x1000),
				     type <= 1 ? SMMU_CR_INJECT_GP
					       : SMMU_CR_DONE,
				     "type %u", type);
		}
		cr_expect_eq(smmu_vcpu_invpcid(h.vcpu, 4, 0, 0),
			     SMMU_CR_INJECT_GP);
		cr_expect_eq(smmu_vcpu_invlpg(h.vcpu, 0x1000), SMMU_OK);
		cr_expect_eq(smmu_vcpu_pv_flush(h.vcpu), SMMU_OK);
	}
	struct smmu_fault f = shadow_host_fault(&h, 0x2000, SMMU_ACCESS_WRITE);
	cr_expect_eq(f.action, SMMU_FAULT_FIXED, "%s",
		     f.reason ? f.reason : "");
}

/* ---- under the oracle ---- */

static struct oguest g;
static bool guest_live;

static void fini_guest(void)
{
	if (guest_live)
		og_fini(&g);
	guest_live = false;
}

TestSuite(bug_history, .fini = fini_guest);

static void lib_guest(uint32_t inject, bool host_4k_only)
{
	og_init(&g, &(struct oguest_config){ .mmu = &lib_mmu_ops,
					     .inject = inject,
					     .host_4k_only = host_4k_only });
	guest_live = true;
}

/* KVM d28c6cfbbc5e's class: two guest 2 MiB pages over the same frames,
 * one writable and one read-only. A host without 2 MiB blocks shadows
 * each with a direct page of 4 KiB leaves; the two must differ, so that
 * after a read through the read-only one and a write through the writable
 * one, a write through the read-only one faults (walking the shadow: the
 * guest invalidated what the read cached). */
#define LARGE_RW 0x40000000ull
#define LARGE_RO 0x40200000ull
#define LARGE_PS (X86_PTE_P | X86_PTE_US | X86_PTE_PS | X86_PTE_A)

static uint64_t large_pages_under_two_rights(uint32_t inject)
{
	lib_guest(inject, true);
	uint64_t pml4 = og_space(&g);
	uint64_t rw = og_link_table(&g, pml4, LARGE_RW, 2, 0);
	uint64_t ro = og_link_table(&g, pml4, LARGE_RO, 2, 0);
	smmu_posix_ram_write64(&g.sim.host.ram, rw,
			       DATA | LARGE_PS | X86_PTE_RW | X86_PTE_D);
	smmu_posix_ram_write64(&g.sim.host.ram, ro, DATA | LARGE_PS);
	og_start(&g, 0, pml4, 0, 0);
	og_read(&g, 0, LARGE_RO + 0x20);     /* a read-only leaf */
	og_write(&g, 0, LARGE_RW + 0x10, 1); /* a writable one */
	og_invlpg(&g, 0, LARGE_RO);	     /* nothing cached for it */
	og_write(&g, 0, LARGE_RO + 0x30, 3); /* #PF: read-only */
	return og_run(&g);
}

Test(bug_history, large_pages_under_different_rights_have_two_shadows)
{
	cr_expect_eq(large_pages_under_two_rights(0), 0);
	cr_expect_eq(g.sim.vcpu[0].stats.injected, 1);
}

Test(bug_history, large_pages_sharing_a_shadow_across_rights_is_caught)
{
	cr_expect_gt(large_pages_under_two_rights(
			     SMMU_INJECT_DIRECT_SHARE_ACROSS_RIGHTS),
		     0);
}

/* A guest 2 MiB page that a host without 2 MiB blocks shadows with 4 KiB
 * leaves (splinters): INVLPG of any address in it invalidates the whole
 * 2 MiB translation (SDM vol. 3A 4.10.4.1: the translations for the page
 * containing the address, whatever its size), as Linux relies on when it
 * flushes a huge page with one INVLPG. The guest points the PDE at a page
 * table and invalidates the page's first address: a read of another
 * address in it must see the new mapping, not the splinter the CPU cached
 * for it. Found by the oracle's workload with host changes (a device's
 * DMA store into the PDE, then an INVLPG of the page). */
#define SPLIT_LA (LARGE_RW + 0x3000)
#define SPLIT_PT (DATA + 0x20000)

static uint64_t large_page_invalidated_through_one_address(uint32_t inject)
{
	lib_guest(inject, true);
	uint64_t pml4 = og_space(&g);
	uint64_t pde = og_link_table(&g, pml4, LARGE_RW, 2, 0);
	smmu_posix_ram_write64(&g.sim.host.ram, pde,
			       DATA | LARGE_PS | X86_PTE_RW | X86_PTE_D);
	smmu_posix_ram_write64(&g.sim.host.ram,
			       SPLIT_PT + 8 * ((SPLIT_LA >> 12) & 511),
			       (DATA + 0x400000) | OG_USER);
	og_start(&g, 0, pml4, 0, 0);
	og_read(&g, 0, SPLIT_LA);		    /* a splinter cached */
	og_set_pte(&g, 0, pde, SPLIT_PT | OG_USER); /* now a page table */
	og_invlpg(&g, 0, LARGE_RW);		    /* the whole 2 MiB page */
	og_read(&g, 0, SPLIT_LA); /* the new page, or a violation */
	return og_run(&g);
}

Test(bug_history, invlpg_in_a_splintered_large_page_flushes_all_of_it)
{
	cr_expect_eq(large_page_invalidated_through_one_address(0), 0);
}

Test(bug_history, invlpg_flushing_one_splinter_only_is_caught)
{
	cr_expect_gt(large_page_invalidated_through_one_address(
			     SMMU_INJECT_SPLINTERS_UNFLUSHED),
		     0);
}

/* XSA-286's class: a change of a higher-level entry. The guest points
 * the directory entry over LA at another page table and invalidates LA:
 * the old page table's shadow, and what was cached through it, must be
 * gone. */
#define LA	0x400000ull
#define PAGE_A	(DATA + 0x1000)
#define PAGE_B	(DATA + 0x2000)
#define PT2_GPA (DATA + 0x10000)

static uint64_t directory_entry_changed(uint32_t inject)
{
	lib_guest(inject, false);
	uint64_t pml4 = og_space(&g);
	uint64_t pt1 = og_map(&g, pml4, LA, PAGE_A, OG_USER) & ~0xfffull;
	uint64_t pde = og_link_table(&g, pml4, LA, 2, pt1); /* as it was */
	smmu_posix_ram_write64(&g.sim.host.ram,
			       PT2_GPA + 8 * ((LA >> 12) & 511),
			       PAGE_B | OG_USER);
	og_start(&g, 0, pml4, 0, 0);
	og_read(&g, 0, LA);
	og_set_pte(&g, 0, pde, PT2_GPA | OG_USER); /* emulated */
	og_invlpg(&g, 0, LA);
	og_read(&g, 0, LA); /* page B, or a violation */
	return og_run(&g);
}

Test(bug_history, directory_entry_change_is_seen_after_invalidation)
{
	cr_expect_eq(directory_entry_changed(0), 0);
}

Test(bug_history, directory_entry_change_left_in_the_shadow_is_caught)
{
	cr_expect_gt(directory_entry_changed(SMMU_INJECT_NO_ZAP_ON_WRITE), 0);
}
