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
static struct smmu_vcpu *second; /* a scenario's other vCPU */

static void fini_host(void)
{
	if (second)
		smmu_vcpu_destroy(second);
	second = NULL;
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

/* Found here, by the oracle on real threads (tsan.sh toggle-all, about
 * one run in twenty): a table going out of sync while another CPU fills
 * a mapping of its frame without the MMU lock. Going out of sync copies
 * the guest's entries (what later syncs compare with) from memory; if the
 * frame already counts as out of sync for fills without the lock, one of
 * them maps it writable, the guest stores through that mapping before the
 * copy is taken, and the copy holds the new entry while the shadow still
 * maps the old one: no sync ever sees the change. Here vCPU B fills such
 * a mapping (a guest page table maps the table's own frame, as Linux's
 * direct map does) at the moment vCPU A's write fault makes the table out
 * of sync — when the library reads the table for its copy — and the guest
 * stores a new entry through whatever B may write through. After the
 * guest's INVLPG the shadow must not map the old page. */
#define SYNCED_LA  0x400000ull /* through page table T, first entry */
#define ALIAS_BASE 0x600000ull /* through page table U */
#define ALIAS_LA   (ALIAS_BASE + 7 * 4096) /* maps T itself */
#define NEIGHB_LA  (ALIAS_BASE + 9 * 4096) /* maps T + 2: links U's rmap */
#define PAGE_OLD   (DATA + 0x1000)
#define PAGE_NEW   (DATA + 0x2000)

static struct copy_race {
	uint64_t table;	  /* T's gpa */
	uint64_t new_pte; /* what the guest stores into T's first entry */
	bool armed, stored;
	bool in_b; /* B runs: the lock is A's, not the calling CPU's */
	enum smmu_fault_action b_action;
} race;

static bool lock_held_by_caller(void *host)
{
	return !race.in_b && ((struct shadow_host *)host)->lock_depth;
}

/* Store the guest's new entry into T through B's mapping of T: memory
 * changes only if B's translation lets it write (a read-only one faults,
 * and the store waits for the MMU lock that A holds). */
static void store_through_b(void)
{
	uint64_t spte = shadow_host_walk(&h, ALIAS_LA);
	if (!(spte & X86_PTE_RW))
		return;
	smmu_posix_ram_write64(&h.posix.ram, race.table, race.new_pte);
	race.stored = true;
}

static int read_racing_with_b(void *host, uint64_t gpa, void *buf, size_t len)
{
	if (race.armed && h.lock_depth && (gpa >> 12) == (race.table >> 12)) {
		/* A holds the MMU lock and reads T: B's read of T through
		 * the alias, a fault settled without the lock. */
		race.armed = false;
		struct smmu_access acc = { .la = ALIAS_LA };
		struct smmu_fault f = { .action = SMMU_FAULT_ERROR };
		race.in_b = true;
		smmu_vcpu_page_fault(second, &acc, &f);
		race.in_b = false;
		race.b_action = f.action;
		store_through_b();
	}
	return smmu_posix_host_ops.read_gpa(host, gpa, buf, len);
}

static void no_rcu_section(void *host)
{
	(void)host; /* one thread: nothing is freed inside a fault */
}

static uint64_t table_unsynced_during_a_lockfree_fill(uint32_t inject)
{
	shadow_host_init(&h, RAM, 32, inject);
	host_live = true;
	/* Lock-free fills need the RCU pair; the VM reads its ops through
	 * the pointer it was given, so they may be set now. */
	h.ops.rcu_read_enter = no_rcu_section;
	h.ops.rcu_read_exit = no_rcu_section;
	h.ops.read_gpa = read_racing_with_b;
	h.ops.lock_held = lock_held_by_caller;
	struct guest_pt pt;
	guest_pt_init_ram(&pt, &h.posix.ram, &h.next_table, SMMU_PAGING_4LEVEL);
	const uint64_t leaf = USER_RW | X86_PTE_A | X86_PTE_D;
	uint64_t pte = guest_pt_map(&pt, SYNCED_LA, PAGE_OLD, 1, leaf, GPT_ALL);
	race = (struct copy_race){ .table = pte, .new_pte = PAGE_NEW | leaf };
	uint64_t t = pte & ~0xfffull;
	/* T + 2 is not a table: U and the tables above come before it. */
	guest_pt_map(&pt, ALIAS_LA, t, 1, leaf, GPT_ALL);
	guest_pt_map(&pt, NEIGHB_LA, t + 0x2000, 1, leaf, GPT_ALL);
	cr_assert_lt(guest_pt_entry_gpa(&pt, NEIGHB_LA, 1), t + 0x2000);
	struct smmu_paging_regs r = guest_pt_regs(&pt, X86_CR0_WP, 0, 0);
	cr_assert_eq(smmu_vcpu_create(h.vm, 1, &second), SMMU_OK);
	cr_assert_eq(smmu_vcpu_set_paging(h.vcpu, &r), SMMU_OK);
	cr_assert_eq(smmu_vcpu_set_paging(second, &r), SMMU_OK);
	struct smmu_entry b_entry;
	shadow_host_enter(&h);
	cr_assert_eq(smmu_vcpu_enter(second, &b_entry), SMMU_OK);
	cr_assert_eq(b_entry.cr3, h.entry.cr3, "one root for both vCPUs");

	/* A maps the page T points to; B's page table U gets its shadow,
	 * linked to the frames around T, without mapping T yet (prefetch
	 * fills 8-entry blocks: the alias is in the block before). */
	struct smmu_fault f = shadow_host_fault(&h, SYNCED_LA, 0);
	cr_assert_eq(f.action, SMMU_FAULT_FIXED);
	struct smmu_access acc = { .la = NEIGHB_LA };
	smmu_vcpu_page_fault(second, &acc, &f);
	cr_assert_eq(f.action, SMMU_FAULT_FIXED);
	cr_assert_eq(shadow_host_walk(&h, ALIAS_LA), 0);
	/* Stores to T the host emulated: its next write fault may make it
	 * out of sync (SMMU_UNSYNC_AFTER_DEFAULT). */
	uint64_t unused = 0;
	for (unsigned i = 0; i < SMMU_UNSYNC_AFTER_DEFAULT; i++)
		cr_assert_eq(
			smmu_vm_emulated_write(h.vm, t + 0x800, &unused, 8),
			SMMU_GPA_OK);

	race.armed = true;
	f = shadow_host_fault(&h, ALIAS_LA, SMMU_ACCESS_WRITE);
	cr_assert_eq(f.action, SMMU_FAULT_FIXED, "%s",
		     f.reason ? f.reason : "");
	cr_assert_not(race.armed, "T was not read under the lock: no race");
	cr_assert_eq(race.b_action, SMMU_FAULT_FIXED);
	shadow_host_enter(&h);
	if (!race.stored)
		store_through_b(); /* B's store, once A's fault is done */
	cr_assert(race.stored, "the alias is not writable after the fault");

	cr_assert_eq(smmu_vcpu_invlpg(h.vcpu, SYNCED_LA), SMMU_OK);
	shadow_host_enter(&h);
	uint64_t spte = shadow_host_walk(&h, SYNCED_LA);
	return spte & X86_PTE_P ? spte & X86_BITS(51, 12) : 0;
}

Test(bug_history_api, table_going_out_of_sync_copies_before_it_is_writable)
{
	uint64_t hpa = table_unsynced_during_a_lockfree_fill(0);
	cr_expect(hpa == 0 || hpa == shadow_host_hpa_of_gpa(PAGE_NEW),
		  "after INVLPG the shadow maps hpa %#llx (the old page)",
		  (unsigned long long)hpa);
}

Test(bug_history_api, table_writable_before_its_copy_is_caught)
{
	cr_expect_eq(table_unsynced_during_a_lockfree_fill(
			     SMMU_INJECT_UNSYNC_BEFORE_COPY),
		     shadow_host_hpa_of_gpa(PAGE_OLD));
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
