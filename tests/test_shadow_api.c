/* SPDX-License-Identifier: MIT */
/*
 * The shadow-paging API's contract with its host, on a minimal host with
 * no simulated CPU (shadow_host.c): what every entry point does with a
 * NULL handle, the teardown order with deferred frees pending, linear
 * addresses a CPU outside IA-32e mode never produces, the pool minimum
 * across a change of paging mode, and INVPCID's #GP conditions.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "guest_pt.h"
#include "shadow_host.h"

static struct shadow_host h;

static void fini(void)
{
	shadow_host_fini(&h);
}

TestSuite(shadow_api, .fini = fini);

#define RAM	(64ull << 20)
#define DATA	(32ull << 20) /* data pages from here */
#define USER_RW (X86_PTE_P | X86_PTE_RW | X86_PTE_US)

static void tables(struct guest_pt *pt, enum smmu_paging_mode mode)
{
	guest_pt_init_ram(pt, &h.posix.ram, &h.next_table, mode);
}

static void activate(const struct guest_pt *pt, uint64_t cr4, uint64_t efer)
{
	struct smmu_paging_regs r = guest_pt_regs(pt, X86_CR0_WP, cr4, efer);
	cr_assert_eq(smmu_vcpu_set_paging(h.vcpu, &r), SMMU_OK);
}

/* ---- NULL handles: a defined result, never a crash ---- */

Test(shadow_api, every_entry_point_refuses_a_null_vcpu)
{
	shadow_host_init(&h, RAM, 16, 0);
	struct smmu_fault f = { .action = SMMU_FAULT_FIXED };
	struct smmu_access acc = { .la = 0x1000 };
	smmu_vcpu_page_fault(NULL, &acc, &f);
	cr_expect_eq(f.action, SMMU_FAULT_ERROR);
	cr_expect_not_null(f.reason);
	f.action = SMMU_FAULT_FIXED;
	smmu_vcpu_page_fault(h.vcpu, NULL, &f);
	cr_expect_eq(f.action, SMMU_FAULT_ERROR);
	smmu_vcpu_page_fault(h.vcpu, &acc, NULL); /* nothing to report to */

	cr_expect_eq(smmu_vcpu_invlpg(NULL, 0), SMMU_EINVAL);
	cr_expect_eq(smmu_vcpu_invpcid(NULL, 0, 0, 0), SMMU_CR_EINVAL);
	cr_expect_eq(smmu_vcpu_pv_flush(NULL), SMMU_EINVAL);
	cr_expect_eq(smmu_vcpu_write_cr0(NULL, X86_CR0_PE), SMMU_CR_EINVAL);
	cr_expect_eq(smmu_vcpu_write_cr3(NULL, 0), SMMU_CR_EINVAL);
	cr_expect_eq(smmu_vcpu_write_cr4(NULL, 0), SMMU_CR_EINVAL);
	cr_expect_eq(smmu_vcpu_write_efer(NULL, 0), SMMU_CR_EINVAL);

	struct smmu_paging_regs r;
	cr_expect_eq(smmu_vcpu_get_paging(NULL, &r), SMMU_EINVAL);
	cr_expect_eq(smmu_vcpu_get_paging(h.vcpu, NULL), SMMU_EINVAL);
	cr_expect_eq(smmu_vcpu_paging_mode(NULL), SMMU_PAGING_INVALID);
	cr_expect_eq(smmu_vcpu_set_paging(NULL, &r), SMMU_EINVAL);
	cr_expect_eq(smmu_vcpu_set_paging(h.vcpu, NULL), SMMU_EINVAL);

	struct smmu_entry e;
	cr_expect_eq(smmu_vcpu_enter(NULL, &e), SMMU_EINVAL);
	cr_expect_eq(smmu_vcpu_enter(h.vcpu, NULL), SMMU_EINVAL);
	struct smmu_translation t;
	cr_expect_eq(smmu_vcpu_translate(NULL, &acc, &t), SMMU_XLATE_EINVAL);

	struct smmu_stats st;
	cr_expect_eq(smmu_vm_get_stats(NULL, &st), SMMU_EINVAL);
	cr_expect_eq(smmu_vm_get_stats(h.vm, NULL), SMMU_EINVAL);
	cr_expect_eq(smmu_vm_get_stats(h.vm, &st), SMMU_OK);
	uint64_t v = 0;
	cr_expect_eq(smmu_vm_emulated_write(NULL, 0, &v, 8), SMMU_GPA_NOT_RAM);
	unsigned long logs = h.posix.nr_logs;
	cr_expect_eq(smmu_vm_emulated_write(h.vm, 0, NULL, 8),
		     SMMU_GPA_NOT_RAM);
	cr_expect_eq(smmu_vm_emulated_write(h.vm, 0xffc, &v, 8),
		     SMMU_GPA_NOT_RAM, "a store across a page");
	cr_expect_eq(h.posix.nr_logs, logs + 2, "each misuse is logged");
	smmu_vcpu_destroy(NULL);
	cr_expect_eq(smmu_vm_destroy(NULL), SMMU_EINVAL);
}

Test(shadow_api, fault_before_the_first_entry_is_an_error)
{
	/* No root exists yet: the hardware cannot have faulted on one, so
	 * the host called out of order; FIXED would hide that. */
	shadow_host_init(&h, RAM, 16, 0);
	struct smmu_fault f = shadow_host_fault(&h, 0x1000, 0);
	cr_expect_eq(f.action, SMMU_FAULT_ERROR);
	cr_expect_not_null(f.reason);
	shadow_host_enter(&h);
	f = shadow_host_fault(&h, 0x1000, 0);
	cr_expect_eq(f.action, SMMU_FAULT_FIXED, "%s",
		     f.reason ? f.reason : "");
}

Test(shadow_api, raw_hardware_error_code_is_accepted)
{
	/* P, RSVD and PK of the hardware's error code describe the shadow,
	 * not the guest's tables. */
	shadow_host_init(&h, RAM, 16, 0);
	shadow_host_enter(&h);
	struct smmu_fault f = shadow_host_fault(
		&h, 0x1000, (uint32_t)(PFERR_P | PFERR_W | PFERR_RSVD));
	cr_expect_eq(f.action, SMMU_FAULT_FIXED, "%s",
		     f.reason ? f.reason : "");
	cr_expect(shadow_host_walk(&h, 0x1000) & X86_PTE_P);
}

Test(shadow_api, error_code_through_the_mask_is_accepted_whatever_it_holds)
{
	/* A real CPU's error code may hold bits the library does not take
	 * (shadow stack, HLAT, SGX): through SMMU_ACCESS_PFERR_MASK they
	 * are gone. */
	shadow_host_init(&h, RAM, 16, 0);
	shadow_host_enter(&h);
	uint32_t hw = (uint32_t)(PFERR_P | PFERR_W | PFERR_RSVD | PFERR_PK |
				 PFERR_SS | PFERR_HLAT | PFERR_SGX);
	struct smmu_fault f =
		shadow_host_fault(&h, 0x1000, hw & SMMU_ACCESS_PFERR_MASK);
	cr_expect_eq(f.action, SMMU_FAULT_FIXED, "%s",
		     f.reason ? f.reason : "");
	cr_expect(shadow_host_walk(&h, 0x1000) & X86_PTE_RW);
}

Test(shadow_api, raw_error_code_bits_of_unshadowed_accesses_are_named)
{
	/* HLAT describes the host's paging and is ignored; a shadow-stack
	 * or SGX fault is refused with a reason that names it, never as
	 * "contradictory access flags". */
	shadow_host_init(&h, RAM, 16, 0);
	shadow_host_enter(&h);
	uint32_t w = (uint32_t)(PFERR_P | PFERR_W);
	struct smmu_fault f = shadow_host_fault(&h, 0x1000, w | PFERR_HLAT);
	cr_expect_eq(f.action, SMMU_FAULT_FIXED, "%s",
		     f.reason ? f.reason : "");
	f = shadow_host_fault(&h, 0x2000, w | PFERR_SS);
	cr_expect_eq(f.action, SMMU_FAULT_ERROR);
	cr_expect(f.reason && strstr(f.reason, "shadow-stack"), "%s",
		  f.reason ? f.reason : "(none)");
	f = shadow_host_fault(&h, 0x2000, w | PFERR_SGX);
	cr_expect_eq(f.action, SMMU_FAULT_ERROR);
	cr_expect(f.reason && strstr(f.reason, "SGX"), "%s",
		  f.reason ? f.reason : "(none)");
	/* An unknown bit is still the contradiction it was. */
	f = shadow_host_fault(&h, 0x2000, w | (1u << 20));
	cr_expect_eq(f.action, SMMU_FAULT_ERROR);
}

/* ---- teardown with deferred frees pending ---- */

Test(shadow_api, destroy_waits_for_deferred_frees)
{
	/* A 4-level guest faults in 40 pages, each under a page table of
	 * its own, through a pool of 12 (evictions), then floods the last
	 * page table with stores until it is no longer shadowed: that page
	 * goes to defer_free and waits there for its grace period. */
	shadow_host_init(&h, RAM, 12, 0);
	struct guest_pt pt;
	tables(&pt, SMMU_PAGING_4LEVEL);
	const unsigned pages = 40;
	for (unsigned i = 0; i < pages; i++)
		guest_pt_map(&pt, (uint64_t)i << 21, DATA + 4096ull * i, 1,
			     USER_RW, USER_RW);
	activate(&pt, 0, X86_EFER_NXE);
	shadow_host_enter(&h);
	for (unsigned i = 0; i < pages; i++) {
		struct smmu_fault f =
			shadow_host_fault(&h, (uint64_t)i << 21, 0);
		cr_assert_eq(f.action, SMMU_FAULT_FIXED, "%s",
			     f.reason ? f.reason : "");
	}
	struct smmu_stats st;
	smmu_vm_get_stats(h.vm, &st);
	cr_assert_gt(st.sp_evicted, 0);
	uint64_t pte = guest_pt_entry_gpa(&pt, (uint64_t)(pages - 1) << 21, 1);
	for (int i = 0; i < 4; i++) {
		uint64_t v = DATA | USER_RW;
		cr_assert_eq(smmu_vm_emulated_write(h.vm, pte + 8, &v, 8),
			     SMMU_GPA_OK);
	}
	cr_assert_gt(h.nr_deferred, 0, "no page waits for a grace period");
	smmu_vcpu_destroy(h.vcpu);
	h.vcpu = NULL;
	/* The callbacks free through the VM: destroying it now would let
	 * them read freed memory when the host runs them. */
	cr_expect_eq(smmu_vm_destroy(h.vm), SMMU_EBUSY);
	shadow_host_run_deferred(&h);
	cr_expect_eq(smmu_vm_destroy(h.vm), SMMU_OK);
	h.vm = NULL;
}

/* ---- linear addresses wider than 32 bits outside IA-32e mode ---- */

/* A host that passes an unmasked address gets the translation of its low
 * 32 bits, installed where the hardware looks: not a FIXED that the next
 * hardware walk faults on again, forever. */
static void wide_address_is_truncated(uint64_t la, uint64_t gpa)
{
	for (uint64_t high = 1; high; high <<= 8) {
		uint64_t wide = la | (high << 32);
		struct smmu_fault f = shadow_host_fault(&h, wide, 0);
		cr_assert_eq(f.action, SMMU_FAULT_FIXED, "%s",
			     f.reason ? f.reason : "");
		uint64_t spte = shadow_host_walk(&h, la);
		cr_assert(spte & X86_PTE_P, "la %#llx: nothing installed",
			  (unsigned long long)wide);
		cr_expect_eq(spte & X86_BITS(51, 12),
			     shadow_host_hpa_of_gpa(gpa) & X86_BITS(51, 12));
		cr_assert_eq(smmu_vcpu_invlpg(h.vcpu, wide), SMMU_OK);
		shadow_host_enter(&h);
	}
}

Test(shadow_api, wide_address_with_paging_off)
{
	shadow_host_init(&h, RAM, 32, 0);
	shadow_host_enter(&h);
	wide_address_is_truncated(DATA + 0x5000, DATA + 0x5000);
}

Test(shadow_api, wide_address_in_32bit_and_pae_paging)
{
	const enum smmu_paging_mode modes[] = { SMMU_PAGING_32BIT,
						SMMU_PAGING_PAE };
	for (unsigned m = 0; m < 2; m++) {
		shadow_host_init(&h, RAM, 32, 0);
		struct guest_pt pt;
		tables(&pt, modes[m]);
		guest_pt_map(&pt, 0xc0400000, DATA + 0x7000, 1, USER_RW,
			     USER_RW);
		activate(&pt, 0, 0);
		shadow_host_enter(&h);
		wide_address_is_truncated(0xc0400000, DATA + 0x7000);
		shadow_host_fini(&h);
	}
	shadow_host_init(&h, RAM, 16, 0); /* for fini */
}

/* ---- the pool minimum across a change of paging mode ---- */

Test(shadow_api, pae_root_releases_its_directories_when_the_mode_changes)
{
	/* One vCPU at the documented minimum of 5 x vCPUs + 4 pages. With
	 * paging off it touches all four GiB, so its PAE root links four
	 * direct directories; then it enters 5-level paging, where a
	 * fault needs a root and four tables. The directories must not
	 * stay pinned by a PAE root the vCPU no longer runs on. */
	shadow_host_init(&h, (4ull << 30) + (64ull << 20), 5 * 1 + 4, 0);
	shadow_host_enter(&h);
	for (uint64_t gib = 0; gib < 4; gib++) {
		struct smmu_fault f = shadow_host_fault(&h, (gib << 30) + DATA,
							SMMU_ACCESS_WRITE);
		cr_assert_eq(f.action, SMMU_FAULT_FIXED, "%s",
			     f.reason ? f.reason : "");
	}
	struct guest_pt pt;
	tables(&pt, SMMU_PAGING_5LEVEL);
	for (unsigned i = 0; i < 8; i++)
		guest_pt_map(&pt, (uint64_t)i << 39, DATA + 4096ull * i, 1,
			     USER_RW, USER_RW);
	activate(&pt, 0, X86_EFER_NXE);
	shadow_host_enter(&h);
	for (unsigned i = 0; i < 8; i++) {
		struct smmu_fault f =
			shadow_host_fault(&h, (uint64_t)i << 39, 0);
		cr_assert_eq(f.action, SMMU_FAULT_FIXED, "%s",
			     f.reason ? f.reason : "");
		shadow_host_run_deferred(&h);
	}
}

/* ---- roots kept across paging off and on: every pin given back ---- */

Test(shadow_api, root_cached_across_paging_off_is_released_once)
{
	/* A 4-level root stays cached (pinned) while the vCPU runs 32-bit
	 * paging; the host takes its frame meanwhile (the root leaves the
	 * cache, obsolete: only its pin can free it). Back in 4-level
	 * paging a new root is built for the slot, and paging goes off: the
	 * slot kept the new root and lost the old one's pin, which nothing
	 * freed then (found by fuzz-api). */
	shadow_host_init(&h, RAM, 32, 0);
	struct guest_pt pt, legacy;
	tables(&pt, SMMU_PAGING_4LEVEL);
	tables(&legacy, SMMU_PAGING_32BIT);
	guest_pt_map(&pt, 0x400000, DATA, 1, USER_RW, USER_RW);
	guest_pt_map(&legacy, 0x400000, DATA, 1, USER_RW, USER_RW);
	struct smmu_paging_regs r = guest_pt_regs(&pt, X86_CR0_WP, 0, 0);
	activate(&pt, 0, 0);
	shadow_host_enter(&h);
	activate(&legacy, 0, 0);
	shadow_host_enter(&h);
	cr_assert_eq(smmu_vm_invalidate_gfn_range(h.vm, r.cr3 >> 12, 1,
						  SMMU_GFN_UNMAP),
		     SMMU_OK);
	activate(&pt, 0, 0);
	shadow_host_enter(&h);
	cr_assert_eq(smmu_vcpu_write_cr0(h.vcpu, r.cr0 & ~X86_CR0_PG),
		     SMMU_CR_DONE);
	shadow_host_enter(&h);
	smmu_vcpu_destroy(h.vcpu);
	h.vcpu = NULL;
	shadow_host_run_deferred(&h);
	cr_assert_eq(smmu_vm_destroy(h.vm), SMMU_OK);
	h.vm = NULL;
	cr_expect_eq(h.allocated, 0, "%u shadow pages never freed",
		     h.allocated);
}

/* A host report over a range of 2^40 frames looks at the shadow pages
 * there are, not at every frame (which took hours under the MMU lock;
 * found by fuzz-api): the test's timeout is the check. */
Test(shadow_api, invalidation_of_a_huge_range_takes_no_time, .timeout = 20)
{
	shadow_host_init(&h, RAM, 32, 0);
	struct guest_pt pt;
	tables(&pt, SMMU_PAGING_4LEVEL);
	guest_pt_map(&pt, 0x400000, DATA, 1, USER_RW, USER_RW);
	activate(&pt, 0, X86_EFER_NXE);
	shadow_host_enter(&h);
	struct smmu_fault f = shadow_host_fault(&h, 0x400000, 0);
	cr_assert_eq(f.action, SMMU_FAULT_FIXED);
	for (int how = SMMU_GFN_UNMAP; how <= SMMU_GFN_CONTENT; how++) {
		cr_expect_eq(
			smmu_vm_invalidate_gfn_range(h.vm, 0, 1ull << 40, how),
			SMMU_OK, "how %d", how);
		shadow_host_enter(&h);
	}
	cr_expect_eq(shadow_host_walk(&h, 0x400000), 0, "unmapped");
}

/* ---- INVPCID (SDM vol. 2): #GP(0) exactly where the CPU raises it ---- */

Test(shadow_api, invpcid_faults_as_the_sdm_says)
{
	shadow_host_init(&h, RAM, 32, 0);
	struct guest_pt pt;
	tables(&pt, SMMU_PAGING_4LEVEL);
	activate(&pt, 0, X86_EFER_NXE); /* CR4.PCIDE=0 */
	shadow_host_enter(&h);
	const uint64_t noncanonical = 0x0000800000000000ull;
	struct smmu_vcpu *v = h.vcpu;
	cr_expect_eq(smmu_vcpu_invpcid(v, 4, 0, 0), SMMU_CR_INJECT_GP);
	cr_expect_eq(smmu_vcpu_invpcid(v, 0, 0, noncanonical),
		     SMMU_CR_INJECT_GP, "type 0, non-canonical address");
	cr_expect_eq(smmu_vcpu_invpcid(v, 0, 1, 0), SMMU_CR_INJECT_GP,
		     "type 0, PCID 1 with PCIDE=0");
	cr_expect_eq(smmu_vcpu_invpcid(v, 1, 1, 0), SMMU_CR_INJECT_GP,
		     "type 1, PCID 1 with PCIDE=0");
	cr_expect_eq(smmu_vcpu_invpcid(v, 1, 0x1000, 0), SMMU_CR_INJECT_GP,
		     "descriptor bits 63:12");
	/* Allowed: PCID 0 without PCIDE, types 2 and 3 whatever the
	 * descriptor's PCID and address say. */
	cr_expect_eq(smmu_vcpu_invpcid(v, 0, 0, 0x1000), SMMU_CR_DONE);
	cr_expect_eq(smmu_vcpu_invpcid(v, 1, 0, 0), SMMU_CR_DONE);
	cr_expect_eq(smmu_vcpu_invpcid(v, 2, 5, noncanonical), SMMU_CR_DONE);
	cr_expect_eq(smmu_vcpu_invpcid(v, 3, 5, noncanonical), SMMU_CR_DONE);

	activate(&pt, X86_CR4_PCIDE, X86_EFER_NXE);
	cr_expect_eq(smmu_vcpu_invpcid(v, 0, 1, 0x1000), SMMU_CR_DONE);
	cr_expect_eq(smmu_vcpu_invpcid(v, 1, 4095, 0), SMMU_CR_DONE);
	cr_expect_eq(smmu_vcpu_invpcid(v, 0, 1, noncanonical),
		     SMMU_CR_INJECT_GP);

	/* Outside IA-32e mode addresses are 32 bits: never non-canonical
	 * (INVPCID with paging off included, the CVE-2022-1789 class). */
	struct smmu_paging_regs off = { .cr0 = X86_CR0_PE };
	cr_assert_eq(smmu_vcpu_set_paging(v, &off), SMMU_OK);
	cr_expect_eq(smmu_vcpu_invpcid(v, 0, 0, noncanonical), SMMU_CR_DONE);
	cr_expect_eq(smmu_vcpu_invpcid(v, 2, 0, 0), SMMU_CR_DONE);
	shadow_host_enter(&h);
}

/* ---- unprotecting a frame the host cannot emulate a store to ---- */

Test(shadow_api, unprotected_table_frame_is_mapped_writable)
{
	/* A 4-level guest whose page table T is also mapped writable at
	 * WIN: a store through WIN is an emulation request while T is
	 * shadowed. The host gives up on emulating it and unprotects T;
	 * the retried store is mapped and runs. */
	shadow_host_init(&h, RAM, 32, 0);
	struct guest_pt pt;
	tables(&pt, SMMU_PAGING_4LEVEL);
	const uint64_t la = 0x400000, win = 0x800000;
	uint64_t pte = guest_pt_map(&pt, la, DATA, 1, USER_RW, USER_RW);
	uint64_t t = pte & ~0xfffull;
	guest_pt_map(&pt, win, t, 1, USER_RW | X86_PTE_D, USER_RW);
	activate(&pt, 0, X86_EFER_NXE);
	shadow_host_enter(&h);
	cr_assert_eq(shadow_host_fault(&h, la, 0).action, SMMU_FAULT_FIXED);
	struct smmu_fault f = shadow_host_fault(&h, win, SMMU_ACCESS_WRITE);
	cr_assert_eq(f.action, SMMU_FAULT_EMULATE);
	cr_assert_eq(f.gpa, t);

	cr_expect_eq(smmu_vm_unprotect_gfn(h.vm, t >> 12), SMMU_OK);
	shadow_host_enter(&h);
	f = shadow_host_fault(&h, win, SMMU_ACCESS_WRITE);
	cr_expect_eq(f.action, SMMU_FAULT_FIXED, "%s",
		     f.reason ? f.reason : "");
	cr_expect(shadow_host_walk(&h, win) & X86_PTE_RW);
	/* A last-level table goes out of sync rather than unshadowed. */
	struct smmu_stats st;
	smmu_vm_get_stats(h.vm, &st);
	cr_expect_eq(st.sp_unsynced, 1);
	cr_expect_eq(st.unshadowed, 0);

	/* The root's frame stays shadowed while the vCPU runs on it. */
	cr_expect_eq(smmu_vm_unprotect_gfn(h.vm, pt.root >> 12), SMMU_EBUSY);
	cr_expect_eq(smmu_vm_unprotect_gfn(NULL, 0), SMMU_EINVAL);
}

/* The table that maps the address stored to is the frame stored to:
 * unshadowed, it would be walked, shadowed and protected again by the
 * retried store's own fault, and the store would never run (found by a
 * refvmx guest whose stack lay in a page its own table mapped). */
Test(shadow_api, table_mapping_itself_is_unprotected_for_good)
{
	shadow_host_init(&h, RAM, 32, 0);
	struct guest_pt pt;
	tables(&pt, SMMU_PAGING_4LEVEL);
	const uint64_t la = 0x400000, self = la + 0x1000;
	uint64_t pte = guest_pt_map(&pt, la, DATA, 1, USER_RW, USER_RW);
	uint64_t t = pte & ~0xfffull;
	guest_pt_map(&pt, self, t, 1, USER_RW | X86_PTE_D, USER_RW);
	activate(&pt, 0, X86_EFER_NXE);
	shadow_host_enter(&h);
	cr_assert_eq(shadow_host_fault(&h, la, 0).action, SMMU_FAULT_FIXED);
	struct smmu_fault f = shadow_host_fault(&h, self, SMMU_ACCESS_WRITE);
	cr_assert_eq(f.action, SMMU_FAULT_EMULATE);
	cr_assert_eq(f.gpa, t);
	for (unsigned tries = 0; tries < 3; tries++) {
		cr_assert_eq(smmu_vm_unprotect_gfn(h.vm, t >> 12), SMMU_OK);
		shadow_host_enter(&h);
		f = shadow_host_fault(&h, self, SMMU_ACCESS_WRITE);
		if (f.action != SMMU_FAULT_EMULATE)
			break;
	}
	cr_expect_eq(f.action, SMMU_FAULT_FIXED, "the store still traps");
	cr_expect(shadow_host_walk(&h, self) & X86_PTE_RW);
	cr_expect(shadow_host_walk(&h, la), "the table is still shadowed");
}

/* ---- the lock checks (libshadowmmu/LOCKING.md) ---- */

/* A host that calls the library with the MMU lock held (from a callback,
 * say) would deadlock on a spinlock: a build with lock checks stops it at
 * the entry point, with a trap, before it takes the lock again. */
#ifdef SMMU_LOCK_CHECKS
Test(shadow_api, an_entry_point_called_with_the_lock_held_traps,
     .signal = SIGILL)
{
	shadow_host_init(&h, RAM, 64, 0);
	uint64_t v = 0;
	h.ops.lock(&h);
	smmu_vm_emulated_write(h.vm, DATA, &v, sizeof(v));
}
#endif
