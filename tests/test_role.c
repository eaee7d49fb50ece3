/* SPDX-License-Identifier: MIT */
/*
 * Role completeness (libshadowmmu/README.md, "What the role holds"): every
 * register bit and CPU feature that changes the meaning of a guest table
 * either is part of a shadow page's role, or cannot change what a shadow
 * holds. Each test runs the same guest tables under both values of one
 * bit at once, on two vCPUs of one VM, so that a shadow built under one
 * value is offered to the other; every access is judged by the oracle.
 * A bit that changes a shadow's content without being in the role shows
 * as a violation here (SMMU_INJECT_ROLE_WITHOUT_PSE plants one).
 */
#include <criterion/criterion.h>

#include "guest_pt.h"
#include "lib_mmu.h"
#include "oracle_guest.h"

static struct oguest g;
static bool live; /* g is initialised */

static void fini(void)
{
	if (live)
		og_fini(&g);
	live = false;
}

TestSuite(role, .fini = fini, .timeout = 60);

#define USER_RW (X86_PTE_P | X86_PTE_RW | X86_PTE_US)
#define SUPV_RW (X86_PTE_P | X86_PTE_RW)
#define PAGE_A	OG_PAGE_A
#define PAGE_B	OG_PAGE_B
#define PAGE_C	(OG_DATA + 0x3000)
/* A 4 MiB-aligned frame above the table pages: a 4 MiB page with
 * CR4.PSE=1, a page table with CR4.PSE=0. */
#define BIG (OG_DATA + (4ull << 20))

/* Rounds of each vCPU's accesses: enough that both orders of building
 * a shared shadow happen. */
#define ROUNDS 100

static void role_guest_on(unsigned vcpus, unsigned pcpus, uint32_t inject,
			  bool assisted)
{
	og_init(&g, &(struct oguest_config){ .mmu = &lib_mmu_ops,
					     .nr_vcpus = vcpus,
					     .nr_pcpus = pcpus,
					     .inject = inject,
					     .assisted_flush = assisted });
	live = true;
}

static void role_guest(unsigned vcpus, uint32_t inject, bool assisted)
{
	role_guest_on(vcpus, 0, inject, assisted);
}

static void tables(struct guest_pt *pt, enum smmu_paging_mode mode)
{
	guest_pt_init_ram(pt, &g.sim.host.ram, &g.next_table, mode);
}

static void start(unsigned v, const struct guest_pt *pt, uint64_t cr0,
		  uint64_t cr4, uint64_t efer)
{
	struct smmu_paging_regs r = guest_pt_regs(pt, cr0, cr4, efer);
	cr_assert_eq(sim_vcpu_set_regs(&g.sim, v, &r), 0);
}

static void access(unsigned v, uint64_t la, uint32_t flags, uint32_t pkru)
{
	og_op(&g, v,
	      (struct gop){ .kind = GOP_ACCESS,
			    .la = la,
			    .flags = flags,
			    .pkru = pkru });
}

/* ROUNDS times: the access, then INVLPG, so that every access walks the
 * shadow tables afresh instead of hitting this vCPU's TLB. */
static void walk_often(unsigned v, uint64_t la, uint32_t flags, uint32_t pkru)
{
	for (int i = 0; i < ROUNDS; i++) {
		access(v, la, flags, pkru);
		og_invlpg(&g, v, la);
	}
}

static uint64_t injected(unsigned v)
{
	return g.sim.vcpu[v].stats.injected;
}

/* ---- CR4.PSE: in the role (32-bit directories) ---- */

#define PSE_LA	 0x400000ull /* directory entry 1 */
#define OTHER_LA 0x800000ull /* entry 2: a page table either way */

/* Directory entry 1 is PS=1 over BIG, user-writable. With CR4.PSE=1 it
 * maps a 4 MiB user page; with CR4.PSE=0 it links BIG as a page table,
 * whose entry 0 (the first bytes of BIG) maps PAGE_C supervisor-only and
 * whose entry 1 is not present. An access to OTHER_LA first makes the
 * vCPU's root link the directory's shadow, so that the accesses to
 * PSE_LA walk whatever that shadow holds without a fault. */
static void pse_tables(struct guest_pt *pt)
{
	tables(pt, SMMU_PAGING_32BIT);
	guest_pt_map(pt, OTHER_LA, PAGE_B, 1, USER_RW, USER_RW);
	guest_pt_map(pt, PSE_LA, BIG, 2, USER_RW, USER_RW);
	smmu_posix_ram_write32(&g.sim.host.ram, BIG, PAGE_C | SUPV_RW);
	smmu_posix_ram_write32(&g.sim.host.ram, BIG + 4, 0);
}

/* vCPU 0 runs with PSE=1, vCPU 1 with PSE=0; each round, each makes
 * its root link the directory, then reads PSE_LA as user and as
 * supervisor (which installs what its own reading of entry 1 gives) and
 * PSE_LA + 4 KiB as user, invalidating after each. */
static uint64_t pse_on_two_vcpus(unsigned pcpus, uint32_t inject, bool assisted)
{
	struct guest_pt pt;
	role_guest_on(2, pcpus, inject, assisted);
	pse_tables(&pt);
	start(0, &pt, X86_CR0_WP, X86_CR4_PSE, 0);
	start(1, &pt, X86_CR0_WP, 0, 0);
	for (int i = 0; i < ROUNDS; i++) {
		for (unsigned v = 0; v < 2; v++) {
			access(v, OTHER_LA, SMMU_ACCESS_USER, 0);
			access(v, PSE_LA, SMMU_ACCESS_USER, 0);
			og_invlpg(&g, v, PSE_LA);
			access(v, PSE_LA, 0, 0);
			og_invlpg(&g, v, PSE_LA);
			access(v, PSE_LA + 0x1000, SMMU_ACCESS_USER, 0);
			og_invlpg(&g, v, PSE_LA + 0x1000);
		}
	}
	return og_run(&g);
}

Test(role, pse_differs_between_two_vcpus_on_one_directory)
{
	cr_expect_eq(pse_on_two_vcpus(0, 0, false), 0, "IPI flushes");
	/* PSE=0: user access to a supervisor page, and a page not present */
	cr_expect_eq(injected(1), 2 * ROUNDS);
	cr_expect_eq(injected(0), 0, "PSE=1: one 4 MiB user page");
	fini();
	cr_expect_eq(pse_on_two_vcpus(0, 0, true), 0, "assisted flushes");
	fini();
	cr_expect_eq(pse_on_two_vcpus(1, 0, false), 0, "taking turns");
}

Test(role, pse_shared_across_vcpus_is_caught)
{
	/* Taking turns on one CPU: the same interleaving every run. */
	cr_expect_gt(pse_on_two_vcpus(1, SMMU_INJECT_ROLE_WITHOUT_PSE, false),
		     0);
}

static void set_cr4(unsigned v, uint64_t cr4)
{
	og_op(&g, v, (struct gop){ .kind = GOP_MOV_CR4, .val = cr4 });
}

/* One vCPU turns PSE off and on, each time followed by an invalidation
 * of everything (MOV CR3, then a PV flush): the directory's shadow built
 * under the other value must not be used again. */
static uint64_t pse_toggled(uint32_t inject)
{
	struct guest_pt pt;
	role_guest(1, inject, false);
	pse_tables(&pt);
	start(0, &pt, X86_CR0_WP, X86_CR4_PSE, 0);
	for (int i = 0; i < 4; i++) {
		access(0, PSE_LA, SMMU_ACCESS_USER, 0); /* 4 MiB page */
		set_cr4(0, 0);
		if (i & 1)
			og_pv_flush(&g, 0);
		else
			og_mov_cr3(&g, 0, pt.root);
		access(0, OTHER_LA, SMMU_ACCESS_USER, 0);
		access(0, PSE_LA, SMMU_ACCESS_USER, 0); /* #PF: supervisor */
		access(0, PSE_LA, 0, 0);		/* PAGE_C */
		set_cr4(0, X86_CR4_PSE);
		if (i & 1)
			og_pv_flush(&g, 0);
		else
			og_mov_cr3(&g, 0, pt.root);
	}
	return og_run(&g);
}

Test(role, pse_toggled_then_flushed_rebuilds_the_directory)
{
	cr_expect_eq(pse_toggled(0), 0);
	cr_expect_eq(injected(0), 4);
}

Test(role, pse_toggle_under_a_shared_shadow_is_caught)
{
	cr_expect_gt(pse_toggled(SMMU_INJECT_ROLE_WITHOUT_PSE), 0);
}

/* ---- EFER.NXE: in the role ---- */

/* A leaf with XD=1: with NXE=1 not executable, with NXE=0 a reserved-bit
 * fault on any access. The same PAE and 4-level tables. */
static void nxe_on_two_vcpus(enum smmu_paging_mode mode)
{
	struct guest_pt pt;
	role_guest(2, 0, false);
	tables(&pt, mode);
	guest_pt_map(&pt, OG_LA, PAGE_A, 1, USER_RW | X86_PTE_XD, USER_RW);
	start(0, &pt, X86_CR0_WP, 0, X86_EFER_NXE);
	start(1, &pt, X86_CR0_WP, 0, 0);
	for (unsigned v = 0; v < 2; v++) {
		walk_often(v, OG_LA, SMMU_ACCESS_USER, 0);
		walk_often(v, OG_LA, SMMU_ACCESS_USER | SMMU_ACCESS_FETCH, 0);
	}
	cr_expect_eq(og_run(&g), 0, "mode %d", mode);
	cr_expect_eq(injected(0), ROUNDS, "NXE=1: fetches fault");
	cr_expect_eq(injected(1), 2 * ROUNDS, "NXE=0: XD is reserved");
	fini();
}

Test(role, nxe_differs_between_two_vcpus)
{
	nxe_on_two_vcpus(SMMU_PAGING_PAE);
	nxe_on_two_vcpus(SMMU_PAGING_4LEVEL);
}

/* ---- bits the hardware checks on the shadow: not in the role ---- */

/* One leaf, accessed the same way by both vCPUs, which differ only in
 * `cr0`/`cr4` of vCPU 0; vCPU 0 faults on every access, vCPU 1 never. */
static void rights_bit(uint64_t leaf_flags, uint32_t access_flags,
		       uint32_t pkru, uint64_t cr0_0, uint64_t cr4_0)
{
	struct guest_pt pt;
	role_guest(2, 0, false);
	tables(&pt, SMMU_PAGING_4LEVEL);
	guest_pt_map(&pt, OG_LA, PAGE_A, 1, leaf_flags, USER_RW);
	start(0, &pt, cr0_0, cr4_0, X86_EFER_NXE);
	start(1, &pt, 0, 0, X86_EFER_NXE);
	for (unsigned v = 0; v < 2; v++)
		walk_often(v, OG_LA, access_flags, pkru);
	cr_expect_eq(og_run(&g), 0);
	cr_expect_eq(injected(0), ROUNDS);
	cr_expect_eq(injected(1), 0);
}

Test(role, wp_differs_between_two_vcpus)
{
	/* A supervisor store to a read-only user page: WP=1 refuses it,
	 * WP=0 allows it (and the library emulates it). */
	struct guest_pt pt;
	role_guest(2, 0, false);
	tables(&pt, SMMU_PAGING_4LEVEL);
	guest_pt_map(&pt, OG_LA, PAGE_A, 1, X86_PTE_P | X86_PTE_US, USER_RW);
	start(0, &pt, X86_CR0_WP, 0, X86_EFER_NXE);
	start(1, &pt, 0, 0, X86_EFER_NXE);
	for (unsigned v = 0; v < 2; v++) {
		for (int i = 0; i < ROUNDS; i++) {
			og_write(&g, v, OG_LA, (uint64_t)i);
			access(v, OG_LA, SMMU_ACCESS_USER, 0);
			og_invlpg(&g, v, OG_LA);
		}
	}
	cr_expect_eq(og_run(&g), 0);
	cr_expect_eq(injected(0), ROUNDS);
	cr_expect_eq(injected(1), 0);
}

Test(role, smep_differs_between_two_vcpus)
{
	rights_bit(USER_RW, SMMU_ACCESS_FETCH, 0, X86_CR0_WP, X86_CR4_SMEP);
}

Test(role, smap_differs_between_two_vcpus)
{
	rights_bit(USER_RW, 0, 0, X86_CR0_WP, X86_CR4_SMAP);
}

Test(role, pke_differs_between_two_vcpus)
{
	rights_bit(USER_RW | (3ull << X86_PTE_PKEY_SHIFT), SMMU_ACCESS_USER,
		   X86_PKRU_AD(3), X86_CR0_WP, X86_CR4_PKE);
}

/* ---- PGE and PCIDE: they change what a TLB keeps, not a table ---- */

/* vCPU 1 remaps a global page and invalidates it the way its registers
 * allow (MOV CR3); vCPU 0, with the other value of the bit, keeps reading
 * and is shot down last. The oracle knows what each may still see. */
static void flush_bit(uint64_t cr4_0, uint16_t pcid_0)
{
	role_guest(2, 0, false);
	uint64_t pml4 = og_space(&g);
	uint64_t pte = og_map(&g, pml4, OG_LA, PAGE_A, OG_USER | X86_PTE_G);
	og_start(&g, 0, pml4, pcid_0, cr4_0);
	og_start(&g, 1, pml4, 0, 0);
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t page = (i & 1) ? PAGE_A : PAGE_B;
		og_read(&g, 0, OG_LA);
		og_read(&g, 1, OG_LA);
		og_set_pte(&g, 1, pte, page | OG_USER | X86_PTE_G);
		og_mov_cr3(&g, 1, pml4);
		og_read(&g, 1, OG_LA);
		og_op(&g, 1,
		      (struct gop){ .kind = GOP_SHOOTDOWN,
				    .la = OG_LA,
				    .targets = 1 });
		og_read(&g, 0, OG_LA);
		og_mov_cr3(&g, 0, pml4 | pcid_0);
		og_read(&g, 0, OG_LA);
	}
	cr_expect_eq(og_run(&g), 0);
}

Test(role, pge_differs_between_two_vcpus)
{
	flush_bit(X86_CR4_PGE, 0);
}

Test(role, pcide_differs_between_two_vcpus)
{
	flush_bit(X86_CR4_PCIDE, 1);
}

/* ---- paging modes: in the role (guest_levels, direct) ---- */

/* 4-level and 5-level on one PML4: the 5-level root's first entry links
 * the 4-level root, so both translate OG_LA through the same tables. */
Test(role, la57_differs_between_two_vcpus)
{
	struct guest_pt pt4, pt5;
	role_guest(2, 0, false);
	tables(&pt4, SMMU_PAGING_4LEVEL);
	tables(&pt5, SMMU_PAGING_5LEVEL);
	guest_pt_map(&pt4, OG_LA, PAGE_A, 1, USER_RW, USER_RW);
	guest_pt_map(&pt4, OG_LA + 0x1000, PAGE_B, 1, X86_PTE_P, USER_RW);
	guest_pt_write(&pt5, pt5.root, pt4.root | USER_RW);
	start(0, &pt4, X86_CR0_WP, 0, X86_EFER_NXE);
	start(1, &pt5, X86_CR0_WP, 0, X86_EFER_NXE);
	for (unsigned v = 0; v < 2; v++) {
		walk_often(v, OG_LA, SMMU_ACCESS_USER, 0);
		walk_often(v, OG_LA + 0x1000, SMMU_ACCESS_USER, 0);
	}
	cr_expect_eq(og_run(&g), 0);
	cr_expect_eq(injected(0), ROUNDS);
	cr_expect_eq(injected(1), ROUNDS);
}

/* PAE and 4-level share a page directory and its page table: a PTE with
 * bit 52 set is reserved in PAE paging (bits 62:MAXPHYADDR) and ignored
 * in IA-32e paging (bits 62:52). */
Test(role, pae_and_4level_share_a_page_table)
{
	struct guest_pt pt4, pae;
	role_guest(2, 0, false);
	tables(&pt4, SMMU_PAGING_4LEVEL);
	uint64_t pte = guest_pt_map(&pt4, OG_LA, PAGE_A, 1, USER_RW, USER_RW);
	guest_pt_write(&pt4, pte, PAGE_A | USER_RW | (1ull << 52));
	uint64_t pd = guest_pt_read(&pt4, guest_pt_entry_gpa(&pt4, OG_LA, 3)) &
		      0x000ffffffffff000ull;
	tables(&pae, SMMU_PAGING_PAE);
	guest_pt_write(&pae, pae.root, pd | X86_PTE_P);
	pae.pdpte[0] = pd | X86_PTE_P;
	start(0, &pt4, X86_CR0_WP, 0, X86_EFER_NXE);
	start(1, &pae, X86_CR0_WP, 0, X86_EFER_NXE);
	for (unsigned v = 0; v < 2; v++)
		walk_often(v, OG_LA, SMMU_ACCESS_USER, 0);
	cr_expect_eq(og_run(&g), 0);
	cr_expect_eq(injected(0), 0, "4-level: bit 52 is ignored");
	cr_expect_eq(injected(1), ROUNDS, "PAE: bit 52 is reserved");
}

/* One frame is a 32-bit page table (4-byte entries) for vCPU 0 and a PAE
 * page table (8-byte entries) for vCPU 1. */
Test(role, one_frame_as_32bit_and_pae_page_table)
{
	struct guest_pt pt32, pae;
	role_guest(2, 0, false);
	tables(&pt32, SMMU_PAGING_32BIT);
	uint64_t pte = guest_pt_map(&pt32, 0, PAGE_A, 1, USER_RW, USER_RW);
	uint64_t table = pte & ~0xfffull;
	/* 8-byte entry 1 = 4-byte entries 2 and 3. */
	smmu_posix_ram_write64(&g.sim.host.ram, table + 8, PAGE_B | USER_RW);
	tables(&pae, SMMU_PAGING_PAE);
	uint64_t pd = guest_pt_alloc_table(&pae);
	guest_pt_write(&pae, pae.root, pd | X86_PTE_P);
	pae.pdpte[0] = pd | X86_PTE_P;
	guest_pt_write(&pae, pd, table | USER_RW);
	start(0, &pt32, X86_CR0_WP, 0, 0);
	start(1, &pae, X86_CR0_WP, 0, 0);
	for (unsigned v = 0; v < 2; v++) {
		walk_often(v, 0x1000, SMMU_ACCESS_USER, 0); /* 32-bit: #PF */
		walk_often(v, 0x2000, SMMU_ACCESS_USER, 0); /* PAE: #PF */
	}
	cr_expect_eq(og_run(&g), 0);
	cr_expect_eq(injected(0), ROUNDS);
	cr_expect_eq(injected(1), ROUNDS);
}

/* CR0.PG: paging off maps linear to physical through direct pages; the
 * same addresses with 32-bit paging on go through the guest's tables. */
Test(role, paging_off_and_on_on_two_vcpus)
{
	struct guest_pt pt;
	role_guest(2, 0, false);
	tables(&pt, SMMU_PAGING_32BIT);
	guest_pt_map(&pt, PAGE_C, PAGE_A, 1, USER_RW, USER_RW);
	struct smmu_paging_regs off = { .cr0 = X86_CR0_PE };
	cr_assert_eq(sim_vcpu_set_regs(&g.sim, 0, &off), 0);
	start(1, &pt, X86_CR0_WP, 0, 0);
	for (unsigned v = 0; v < 2; v++) {
		walk_often(v, PAGE_C, SMMU_ACCESS_USER, 0);
		walk_often(v, PAGE_B, SMMU_ACCESS_USER, 0); /* paging: #PF */
	}
	cr_expect_eq(og_run(&g), 0);
	cr_expect_eq(injected(0), 0);
	cr_expect_eq(injected(1), ROUNDS);
}
