/* SPDX-License-Identifier: MIT */
/*
 * The host's own changes to guest memory (smmu_vm_invalidate_gfn_range),
 * made while vCPUs run, under the oracle: a device writing a guest page
 * table, frames taken away, a guest's root moved to other host pages; and
 * dirty logging on the minimal host.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "guest_pt.h"
#include "lib_mmu.h"
#include "oracle_guest.h"
#include "shadow_host.h"

static struct oguest g;
static bool live;

static void fini(void)
{
	if (live)
		og_fini(&g);
	live = false;
}

TestSuite(host_changes, .fini = fini, .timeout = 60);

#define LA     OG_LA
#define PAGE_A OG_PAGE_A
#define PAGE_B OG_PAGE_B

static void lib_guest(unsigned vcpus, unsigned pcpus, uint32_t inject,
		      bool assisted)
{
	og_init(&g, &(struct oguest_config){ .mmu = &lib_mmu_ops,
					     .nr_vcpus = vcpus,
					     .nr_pcpus = pcpus,
					     .inject = inject,
					     .assisted_flush = assisted });
	live = true;
}

static void host_op(unsigned v, enum gop_kind kind, uint64_t gpa, uint64_t val)
{
	og_op(&g, v,
	      (struct gop){ .kind = (uint8_t)kind, .la = gpa, .val = val });
}

/* ---- a device writes a guest page table (the class of CVE-2026-46113) */

/* vCPU 0 keeps reading LA and invalidating it; vCPU 1, as a device,
 * rewrites LA's PTE by DMA to page B and then shoots vCPU 0 down: from
 * that invalidation on, vCPU 0 must see page B. Page A, which LA mapped
 * writable, then becomes a page table of vCPU 0's: the write protection
 * must find every mapping of it. */
static uint64_t device_rewrites_a_pte(uint32_t inject, bool assisted)
{
	lib_guest(2, 0, inject, assisted);
	uint64_t pml4 = og_space(&g);
	uint64_t pte = og_map(&g, pml4, LA, PAGE_A, OG_USER);
	const uint64_t la3 = LA + (4ull << 20);
	og_start(&g, 0, pml4, 0, 0);
	og_start(&g, 1, pml4, 0, 0);
	og_write(&g, 0, LA, 1); /* a writable spte for page A */
	for (int i = 0; i < 40; i++) {
		og_read(&g, 0, LA);
		og_invlpg(&g, 0, LA);
	}
	og_read(&g, 1, LA);
	host_op(1, GOP_DMA_STORE, pte, PAGE_B | OG_USER);
	og_op(&g, 1,
	      (struct gop){ .kind = GOP_SHOOTDOWN, .la = LA, .targets = 1 });
	/* Page A becomes the page table that maps la3. */
	og_link_table(&g, pml4, la3, 1, PAGE_A);
	og_set_pte(&g, 1, PAGE_A + 8 * ((la3 >> 12) & 511), PAGE_B | OG_USER);
	og_read(&g, 1, la3);
	og_write(&g, 1, LA, 2); /* page B now: page A stays a table */
	og_invlpg(&g, 1, la3);
	og_read(&g, 1, la3);
	return og_run(&g);
}

Test(host_changes, device_write_to_a_guest_table_is_seen_after_invalidation)
{
	cr_expect_eq(device_rewrites_a_pte(0, false), 0, "IPI flushes");
	fini();
	cr_expect_eq(device_rewrites_a_pte(0, true), 0, "assisted flushes");
}

/* One vCPU, whose thread also stands in for the device: LA read, its PTE
 * rewritten by DMA, LA invalidated and read again: page B. */
static uint64_t device_then_invalidation(uint32_t inject)
{
	lib_guest(1, 0, inject, false);
	uint64_t pml4 = og_space(&g);
	uint64_t pte = og_map(&g, pml4, LA, PAGE_A, OG_USER);
	og_start(&g, 0, pml4, 0, 0);
	og_read(&g, 0, LA);
	host_op(0, GOP_DMA_STORE, pte, PAGE_B | OG_USER);
	og_invlpg(&g, 0, LA);
	og_read(&g, 0, LA);
	return og_run(&g);
}

Test(host_changes, device_write_left_in_the_shadow_is_caught)
{
	cr_expect_eq(device_then_invalidation(0), 0);
	fini();
	cr_expect_gt(device_then_invalidation(SMMU_INJECT_CONTENT_IGNORED), 0);
}

/* ---- frames taken away ---- */

/* vCPU 1, as the host, takes page A away while vCPU 0 uses it through
 * LA: every later access to LA is an MMIO exit, never page A's old host
 * page (a stale mapping would reach memory the host reuses). */
static uint64_t frame_taken_away(bool assisted)
{
	lib_guest(2, 0, 0, assisted);
	uint64_t pml4 = og_space(&g);
	og_map(&g, pml4, LA, PAGE_A, OG_USER);
	og_start(&g, 0, pml4, 0, 0);
	og_start(&g, 1, pml4, 0, 0);
	for (int i = 0; i < 40; i++)
		og_write(&g, 0, LA, (uint64_t)i);
	og_read(&g, 1, LA);
	host_op(1, GOP_HOST_UNMAP, PAGE_A, 4096);
	return og_run(&g);
}

Test(host_changes, unmapped_frame_is_never_reached_again)
{
	cr_expect_eq(frame_taken_away(false), 0, "IPI flushes");
	fini();
	cr_expect_eq(frame_taken_away(true), 0, "assisted flushes");
}

/* A leaf whose frame is below its slot: the first leaf of LOW_LA's page
 * table is slot 7 and maps frame 2, so the shadow page's record of
 * "frame = base + slot" has base 2 - 7, below zero. The reverse map
 * compared that base as a plain number, found the page could map no frame
 * of the range taken away, and left the leaf: the vCPU went on reaching
 * the host page behind a frame the host had taken away and reported.
 * Found by fuzz-api in the long run (a guest entry any guest may write);
 * an arithmetic slip rather than a rule, so no knob plants it, and this
 * fails on the code before the fix. */
#define LOW_LA	 (OG_LA + 7 * 4096)
#define LOW_PAGE 0x2000ull

static uint64_t frame_below_its_slot_taken_away(void)
{
	lib_guest(1, 0, 0, false);
	uint64_t pml4 = og_space(&g);
	og_map(&g, pml4, LOW_LA, LOW_PAGE, OG_USER);
	og_start(&g, 0, pml4, 0, 0);
	og_read(&g, 0, LOW_LA);
	host_op(0, GOP_HOST_UNMAP, LOW_PAGE, 4096);
	og_read(&g, 0, LOW_LA); /* an MMIO exit, or a violation */
	return og_run(&g);
}

Test(host_changes, frame_below_its_slot_is_unmapped_too)
{
	cr_expect_eq(frame_below_its_slot_taken_away(), 0);
	cr_expect_eq(g.sim.vcpu[0].stats.emulated, 1,
		     "the second read is not an MMIO exit");
}

/* ---- seed 002: a root moved, a state change no TLB flush makes ---- */

/* Both vCPUs take turns on one CPU (the same interleaving every run).
 * vCPU 1, as the host, moves the frame of vCPU 0's PML4 to other host
 * pages (same content). vCPU 0 then points its PML4 entry for LA at
 * another PDPT, reloads CR3 and reads LA: page B. A vCPU left on its old,
 * now untracked, root would see page A. */
static uint64_t root_moved(uint32_t inject, unsigned pcpus, bool assisted)
{
	lib_guest(2, pcpus, inject, assisted);
	uint64_t pml4 = og_space(&g);
	og_map(&g, pml4, LA, PAGE_A, OG_USER);
	uint64_t other = og_space(&g);
	og_map(&g, other, LA, PAGE_B, OG_USER);
	uint64_t pdpt_b = smmu_posix_ram_read64(&g.sim.host.ram, other);
	og_start(&g, 0, pml4, 0, 0);
	og_start(&g, 1, other, 0, 0);
	/* vCPU 0's first turn (8 operations), before the move. */
	for (int i = 0; i < 8; i++)
		og_read(&g, 0, LA);
	host_op(1, GOP_HOST_REMAP, pml4, 4096);
	og_set_pte(&g, 0, pml4, pdpt_b);
	og_mov_cr3(&g, 0, pml4);
	og_read(&g, 0, LA);
	return og_run(&g);
}

Test(host_changes, root_frame_moved_is_dropped_by_its_vcpu)
{
	cr_expect_eq(root_moved(0, 1, false), 0, "taking turns");
	fini();
	cr_expect_eq(root_moved(0, 0, false), 0, "two CPUs, IPIs");
	fini();
	cr_expect_eq(root_moved(0, 0, true), 0, "two CPUs, assisted");
}

Test(host_changes, root_moved_as_a_tlb_matter_only_is_caught)
{
	cr_expect_gt(root_moved(SMMU_INJECT_STATE_AS_TLB_FLUSH, 1, false), 0);
}

/* ---- dirty logging (minimal host, no simulated CPU) ---- */

static struct shadow_host h;

static void dirty_fini(void)
{
	shadow_host_fini(&h);
}

TestSuite(dirty_log, .fini = dirty_fini);

#define RAM  (64ull << 20)
#define DATA (32ull << 20)

static void fault(uint64_t la, uint32_t flags)
{
	struct smmu_fault f = shadow_host_fault(&h, la, flags);
	cr_assert_eq(f.action, SMMU_FAULT_FIXED, "la %#llx: %s",
		     (unsigned long long)la, f.reason ? f.reason : "");
}

Test(dirty_log, records_each_written_frame_once_per_round)
{
	shadow_host_init(&h, RAM, 64, 0);
	struct guest_pt pt;
	guest_pt_init_ram(&pt, &h.posix.ram, &h.next_table, SMMU_PAGING_4LEVEL);
	/* 16 pages, dirty in the guest's tables already (so a write needs
	 * no A/D update), mapped at 0..16 pages. */
	for (uint64_t i = 0; i < 16; i++)
		guest_pt_map(&pt, i << 12, DATA + (i << 12), 1,
			     X86_PTE_P | X86_PTE_RW | X86_PTE_US | X86_PTE_A |
				     X86_PTE_D,
			     X86_PTE_P | X86_PTE_RW | X86_PTE_US | X86_PTE_A);
	struct smmu_paging_regs r = guest_pt_regs(&pt, X86_CR0_WP, 0, 0);
	cr_assert_eq(smmu_vcpu_set_paging(h.vcpu, &r), SMMU_OK);
	shadow_host_enter(&h);
	for (uint64_t i = 0; i < 16; i++)
		fault(i << 12, SMMU_ACCESS_WRITE); /* writable before logging */

	const uint64_t first = DATA >> 12;
	cr_assert_eq(smmu_vm_dirty_log_start(h.vm, first, 16), SMMU_OK);
	cr_expect_eq(smmu_vm_dirty_log_start(h.vm, first, 16), SMMU_EBUSY);
	for (uint64_t i = 0; i < 16; i++)
		cr_expect_not(shadow_host_walk(&h, i << 12) & X86_PTE_RW,
			      "page %llu writable while logging starts",
			      (unsigned long long)i);
	/* Reads map read-only; writes to pages 3 and 9 are recorded. */
	fault(2 << 12, 0);
	cr_expect_not(shadow_host_walk(&h, 2 << 12) & X86_PTE_RW);
	fault(3 << 12, SMMU_ACCESS_WRITE);
	fault(9 << 12, SMMU_ACCESS_WRITE);
	cr_expect(shadow_host_walk(&h, 3 << 12) & X86_PTE_RW);
	uint64_t bits = 0;
	cr_assert_eq(smmu_vm_dirty_log_get_and_clear(h.vm, &bits), SMMU_OK);
	cr_expect_eq(bits, (1ull << 3) | (1ull << 9));
	/* Protected again: the next write to page 3 is in the next round. */
	cr_expect_not(shadow_host_walk(&h, 3 << 12) & X86_PTE_RW);
	cr_assert_eq(smmu_vm_dirty_log_get_and_clear(h.vm, &bits), SMMU_OK);
	cr_expect_eq(bits, 0);
	fault(3 << 12, SMMU_ACCESS_WRITE);
	uint64_t v = 7;
	cr_assert_eq(smmu_vm_emulated_write(h.vm, DATA + (5 << 12), &v, 8),
		     SMMU_GPA_OK);
	cr_assert_eq(smmu_vm_dirty_log_get_and_clear(h.vm, &bits), SMMU_OK);
	cr_expect_eq(bits, (1ull << 3) | (1ull << 5), "%#llx",
		     (unsigned long long)bits);
	cr_expect_eq(smmu_vm_dirty_log_stop(h.vm), SMMU_OK);
	cr_expect_eq(smmu_vm_dirty_log_stop(h.vm), SMMU_EINVAL);
}

Test(dirty_log, walker_updates_of_a_logged_table_are_recorded)
{
	/* The guest's table frames are in the logged range: setting A in
	 * them is a write the migration must copy. */
	shadow_host_init(&h, RAM, 64, 0);
	struct guest_pt pt;
	guest_pt_init_ram(&pt, &h.posix.ram, &h.next_table, SMMU_PAGING_4LEVEL);
	uint64_t pte = guest_pt_map(&pt, 0, DATA, 1,
				    X86_PTE_P | X86_PTE_RW | X86_PTE_US,
				    X86_PTE_P | X86_PTE_RW | X86_PTE_US);
	struct smmu_paging_regs r = guest_pt_regs(&pt, X86_CR0_WP, 0, 0);
	cr_assert_eq(smmu_vcpu_set_paging(h.vcpu, &r), SMMU_OK);
	shadow_host_enter(&h);
	const uint64_t first = 1ull << 8; /* the table region from 1 MiB */
	cr_assert_eq(smmu_vm_dirty_log_start(h.vm, first, 64), SMMU_OK);
	fault(0, 0);
	uint64_t bits[1] = { 0 };
	cr_assert_eq(smmu_vm_dirty_log_get_and_clear(h.vm, bits), SMMU_OK);
	cr_expect(bits[0] & (1ull << ((pte >> 12) - first)),
		  "the PTE's frame got its A bit and is not recorded");
}
