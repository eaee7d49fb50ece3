/* SPDX-License-Identifier: MIT */
/*
 * Guest writes to CR0, CR3, CR4 and IA32_EFER, checked against the Intel
 * SDM (vol. 3A 2.5, 4.1.2, 4.4.1, 4.10.1, 4.10.4.1 and vol. 2 "MOV—Move
 * to/from Control Registers"): which writes fault, what they change when
 * they do not, when the PAE PDPTE registers are loaded, and that the
 * walker sees the new state afterwards.
 *
 * Every guest is booted through the write entry points, the way a guest
 * kernel would, so the tests exercise the same path as a VM exit.
 */
#include <criterion/criterion.h>

#include "fixture.h"

#define RAM_SIZE   (16u << 20)
#define MAXPHYADDR 36
#define TABLE_BASE 0x100000u

/* CR0 of a guest in protected mode, without and with paging. */
#define CR0_PROT  (X86_CR0_PE | X86_CR0_NE)
#define CR0_PAGED (CR0_PROT | X86_CR0_PG)

/* A linear address every test hierarchy maps, and where each maps it. */
#define LA_LOW UINT64_C(0x400000)
/* Canonical only with 57-bit linear addresses (bit 48 set, bit 47 clear). */
#define LA_LA57		(X86_BIT(48) | LA_LOW)
#define GPA_32BIT	UINT64_C(0xa00000)
#define GPA_PAE		UINT64_C(0xa01000)
#define GPA_4LEVEL	UINT64_C(0xa02000)
#define GPA_5LEVEL	UINT64_C(0xa03000)
#define GPA_5LEVEL_HIGH UINT64_C(0xa04000)
#define GPA_OTHER	UINT64_C(0xa05000)
/* Guest-physical space the guest has no RAM at (RAM is 16 MiB). */
#define GPA_BEYOND_RAM UINT64_C(0xfff00000)

/* Reserved bits of a present PAE PDPTE (SDM table 4-8). */
#define PDPTE_RSVD (X86_BITS(2, 1) | X86_BITS(8, 5) | X86_BITS(63, MAXPHYADDR))

static struct fixture f;

static void setup(void)
{
	fixture_init(&f, RAM_SIZE, MAXPHYADDR, false, TABLE_BASE);
}

static void teardown(void)
{
	fixture_fini(&f);
}

static struct smmu_paging_regs regs_now(void)
{
	struct smmu_paging_regs r;
	smmu_vcpu_get_paging(f.vcpu, &r);
	return r;
}

static enum smmu_paging_mode mode_now(void)
{
	return smmu_vcpu_paging_mode(f.vcpu);
}

#define ULL(v) ((unsigned long long)(v))

static void assert_regs_eq(const struct smmu_paging_regs *got,
			   const struct smmu_paging_regs *want)
{
	cr_assert_eq(got->cr0, want->cr0, "CR0 is %#llx, expected %#llx",
		     ULL(got->cr0), ULL(want->cr0));
	cr_assert_eq(got->cr3, want->cr3, "CR3 is %#llx, expected %#llx",
		     ULL(got->cr3), ULL(want->cr3));
	cr_assert_eq(got->cr4, want->cr4, "CR4 is %#llx, expected %#llx",
		     ULL(got->cr4), ULL(want->cr4));
	cr_assert_eq(got->efer, want->efer, "EFER is %#llx, expected %#llx",
		     ULL(got->efer), ULL(want->efer));
	for (int i = 0; i < 4; i++)
		cr_assert_eq(got->pdpte[i], want->pdpte[i],
			     "PDPTE%d is %#llx, expected %#llx", i,
			     ULL(got->pdpte[i]), ULL(want->pdpte[i]));
}

/* The write must take effect. */
#define assert_done(write)                                                     \
	cr_assert_eq((write), SMMU_CR_DONE, "%s faulted", #write)

/* The write must fault with #GP and leave every paging register, and so
 * the paging mode, as it was. */
#define assert_gp(write)                                                       \
	do {                                                                   \
		struct smmu_paging_regs before_ = regs_now();                  \
		enum smmu_paging_mode mode_ = mode_now();                      \
		cr_assert_eq((write), SMMU_CR_INJECT_GP, "%s did not fault",   \
			     #write);                                          \
		struct smmu_paging_regs after_ = regs_now();                   \
		assert_regs_eq(&after_, &before_);                             \
		cr_assert_eq(mode_now(), mode_, "%s changed the mode",         \
			     #write);                                          \
	} while (0)

static void put_entry(uint64_t gpa, unsigned size, uint64_t val)
{
	if (size == 4)
		smmu_posix_ram_write32(&f.host.ram, gpa, (uint32_t)val);
	else
		smmu_posix_ram_write64(&f.host.ram, gpa, val);
}

static uint64_t get_entry(uint64_t gpa, unsigned size)
{
	if (size == 4)
		return smmu_posix_ram_read32(&f.host.ram, gpa);
	return smmu_posix_ram_read64(&f.host.ram, gpa);
}

/* Map the 4 KiB page at `la` to `gpa` in the `mode` hierarchy rooted at
 * `root`, allocating the tables on the way. */
static void map_page(enum smmu_paging_mode mode, uint64_t root, uint64_t la,
		     uint64_t gpa)
{
	unsigned levels = mode == SMMU_PAGING_32BIT    ? 2
			  : mode == SMMU_PAGING_PAE    ? 3
			  : mode == SMMU_PAGING_4LEVEL ? 4
						       : 5;
	unsigned bits = mode == SMMU_PAGING_32BIT ? 10 : 9;
	unsigned size = mode == SMMU_PAGING_32BIT ? 4 : 8;
	uint64_t table = root;

	for (unsigned l = levels;; l--) {
		unsigned shift = 12 + bits * (l - 1);
		uint64_t slot =
			table + ((la >> shift) & ((1u << bits) - 1)) * size;
		if (l == 1) {
			put_entry(slot, size, gpa | X86_PTE_P | X86_PTE_RW);
			return;
		}
		uint64_t e = get_entry(slot, size);
		if (!(e & X86_PTE_P)) {
			/* A PDPTE has no R/W bit: bits 2:1 are reserved. */
			uint64_t flags = mode == SMMU_PAGING_PAE && l == 3
						 ? X86_PTE_P
						 : X86_PTE_P | X86_PTE_RW;
			e = fixture_alloc_table(&f) | flags;
			put_entry(slot, size, e);
		}
		table = e & X86_BITS(51, 12);
	}
}

static uint64_t pdpte_in_memory(uint64_t pdpt, int i)
{
	return smmu_posix_ram_read64(&f.host.ram, pdpt + 8 * i);
}

/* A page-directory-pointer table with four present PDPTEs; PDPTE0 maps
 * LA_LOW to GPA_PAE. */
static uint64_t build_pdpt(void)
{
	uint64_t pdpt = fixture_alloc_table(&f);
	map_page(SMMU_PAGING_PAE, pdpt, LA_LOW, GPA_PAE);
	for (int i = 1; i < 4; i++)
		smmu_posix_ram_write64(&f.host.ram, pdpt + 8 * i,
				       fixture_alloc_table(&f) | X86_PTE_P);
	return pdpt;
}

/* The root of a `mode` hierarchy mapping LA_LOW (and, with 5 levels,
 * LA_LA57) to that mode's GPA_*. */
static uint64_t build_root(enum smmu_paging_mode mode)
{
	uint64_t root;
	switch (mode) {
	case SMMU_PAGING_32BIT:
		root = fixture_alloc_table(&f);
		map_page(mode, root, LA_LOW, GPA_32BIT);
		return root;
	case SMMU_PAGING_PAE:
		return build_pdpt();
	case SMMU_PAGING_4LEVEL:
		root = fixture_alloc_table(&f);
		map_page(mode, root, LA_LOW, GPA_4LEVEL);
		return root;
	case SMMU_PAGING_5LEVEL:
		root = fixture_alloc_table(&f);
		map_page(mode, root, LA_LOW, GPA_5LEVEL);
		map_page(mode, root, LA_LA57, GPA_5LEVEL_HIGH);
		return root;
	case SMMU_PAGING_OFF:
	case SMMU_PAGING_INVALID:
		break;
	}
	cr_assert_fail("no hierarchy for paging off");
	return 0;
}

/* Boot from reset into `mode` as a guest kernel does; returns CR3. */
static uint64_t boot(enum smmu_paging_mode mode)
{
	uint64_t root = build_root(mode);
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	if (mode == SMMU_PAGING_5LEVEL)
		assert_done(smmu_vcpu_write_cr4(f.vcpu,
						X86_CR4_PAE | X86_CR4_LA57));
	else if (mode != SMMU_PAGING_32BIT)
		assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE));
	if (mode == SMMU_PAGING_4LEVEL || mode == SMMU_PAGING_5LEVEL)
		assert_done(smmu_vcpu_write_efer(f.vcpu, X86_EFER_LME));
	assert_done(smmu_vcpu_write_cr3(f.vcpu, root));
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED));
	cr_assert_eq(mode_now(), mode);
	return root;
}

static enum smmu_xlate_status translate(uint64_t la, uint64_t *gpa)
{
	struct smmu_translation t;
	enum smmu_xlate_status st = fixture_translate(&f, la, 0, &t);
	*gpa = t.gpa;
	return st;
}

static void assert_translates(uint64_t la, uint64_t want)
{
	uint64_t gpa;
	cr_assert_eq(translate(la, &gpa), SMMU_XLATE_OK,
		     "la %#llx does not translate", ULL(la));
	cr_assert_eq(gpa, want, "la %#llx -> gpa %#llx, expected %#llx",
		     ULL(la), ULL(gpa), ULL(want));
}

TestSuite(boot, .init = setup, .fini = teardown);
TestSuite(cr0, .init = setup, .fini = teardown);
TestSuite(cr3, .init = setup, .fini = teardown);
TestSuite(cr4, .init = setup, .fini = teardown);
TestSuite(efer, .init = setup, .fini = teardown);
TestSuite(pdpte, .init = setup, .fini = teardown);
TestSuite(xlate, .init = setup, .fini = teardown);

/* --- Boot sequences (SDM 4.1.2, 9.8.5) --- */

Test(boot, reset_protected_then_pg_selects_32bit_paging)
{
	uint64_t pd = build_root(SMMU_PAGING_32BIT);

	cr_assert_eq(mode_now(), SMMU_PAGING_OFF);
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	cr_assert_eq(mode_now(), SMMU_PAGING_OFF);
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pd));
	cr_assert_eq(mode_now(), SMMU_PAGING_OFF);
	assert_translates(LA_LOW, LA_LOW);

	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED));
	cr_assert_eq(mode_now(), SMMU_PAGING_32BIT);
	struct smmu_paging_regs r = regs_now();
	cr_assert_eq(r.cr0, CR0_PAGED);
	cr_assert_eq(r.cr3, pd);
	cr_assert_eq(r.efer, 0);
	assert_translates(LA_LOW, GPA_32BIT);
}

Test(boot, pae_then_pg_selects_pae_paging_and_loads_pdptes)
{
	uint64_t pdpt = build_root(SMMU_PAGING_PAE);

	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE));
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pdpt));
	cr_assert_eq(mode_now(), SMMU_PAGING_OFF);
	/* Without paging, MOV to CR3 loads no PDPTEs. */
	for (int i = 0; i < 4; i++)
		cr_assert_eq(regs_now().pdpte[i], 0);

	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED));
	cr_assert_eq(mode_now(), SMMU_PAGING_PAE);
	struct smmu_paging_regs r = regs_now();
	cr_assert_eq(r.efer & X86_EFER_LMA, 0);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(r.pdpte[i], pdpte_in_memory(pdpt, i),
			     "PDPTE%d not loaded by CR0.PG", i);
	assert_translates(LA_LOW, GPA_PAE);
}

Test(boot, pg_with_lme_activates_ia32e_4level_paging)
{
	uint64_t pml4 = build_root(SMMU_PAGING_4LEVEL);

	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE));
	assert_done(smmu_vcpu_write_efer(f.vcpu, X86_EFER_LME));
	cr_assert_eq(regs_now().efer, X86_EFER_LME, "LME alone sets LMA");
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pml4));
	cr_assert_eq(mode_now(), SMMU_PAGING_OFF);

	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED));
	cr_assert_eq(mode_now(), SMMU_PAGING_4LEVEL);
	cr_assert_eq(regs_now().efer, X86_EFER_LME | X86_EFER_LMA);
	assert_translates(LA_LOW, GPA_4LEVEL);
	uint64_t gpa;
	cr_assert_eq(translate(LA_LA57, &gpa), SMMU_XLATE_NONCANONICAL);
}

Test(boot, pg_with_lme_and_la57_activates_5level_paging)
{
	uint64_t pml5 = build_root(SMMU_PAGING_5LEVEL);

	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_LA57));
	assert_done(smmu_vcpu_write_efer(f.vcpu, X86_EFER_LME));
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pml5));
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED));
	cr_assert_eq(mode_now(), SMMU_PAGING_5LEVEL);
	cr_assert_eq(regs_now().efer, X86_EFER_LME | X86_EFER_LMA);
	assert_translates(LA_LOW, GPA_5LEVEL);
	assert_translates(LA_LA57, GPA_5LEVEL_HIGH);
}

Test(boot, clearing_pg_leaves_ia32e_mode_and_clears_lma)
{
	boot(SMMU_PAGING_4LEVEL);

	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	cr_assert_eq(mode_now(), SMMU_PAGING_OFF);
	cr_assert_eq(regs_now().efer, X86_EFER_LME, "LMA survived PG=0");
	assert_translates(LA_LOW, LA_LOW);

	/* SDM 4.1.2: the way back to legacy paging is PG=0, LME=0, PG=1. */
	uint64_t pdpt = build_pdpt();
	assert_done(smmu_vcpu_write_efer(f.vcpu, 0));
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pdpt));
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED));
	cr_assert_eq(mode_now(), SMMU_PAGING_PAE);
	cr_assert_eq(regs_now().efer, 0);
	assert_translates(LA_LOW, GPA_PAE);
}

Test(boot, cr4_pae_switches_between_32bit_and_pae_paging)
{
	/* SDM 4.1.2: MOV to CR4 moves between 32-bit and PAE paging. */
	uint64_t pd = boot(SMMU_PAGING_32BIT);
	uint64_t pdpt = build_pdpt();
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pdpt));
	cr_assert_eq(regs_now().pdpte[0], 0, "32-bit paging loaded PDPTEs");

	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE));
	cr_assert_eq(mode_now(), SMMU_PAGING_PAE);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(regs_now().pdpte[i], pdpte_in_memory(pdpt, i));
	assert_translates(LA_LOW, GPA_PAE);

	assert_done(smmu_vcpu_write_cr4(f.vcpu, 0));
	cr_assert_eq(mode_now(), SMMU_PAGING_32BIT);
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pd));
	assert_translates(LA_LOW, GPA_32BIT);
}

/* --- CR0 (SDM vol. 2 MOV CR; vol. 3A 2.5, 4.1.2) --- */

Test(cr0, pg_without_pe_injects_gp)
{
	assert_gp(smmu_vcpu_write_cr0(f.vcpu, X86_CR0_PG));
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_gp(smmu_vcpu_write_cr0(f.vcpu, X86_CR0_PG | X86_CR0_NE));

	/* Nor can PE be cleared while paging stays on. */
	boot(SMMU_PAGING_32BIT);
	assert_gp(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED & ~X86_CR0_PE));
	cr_assert_eq(mode_now(), SMMU_PAGING_32BIT);
}

Test(cr0, bits_63_32_inject_gp)
{
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_gp(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT | X86_BIT(32)));
	assert_gp(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT | X86_BIT(63)));

	boot(SMMU_PAGING_4LEVEL);
	assert_gp(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED | X86_BIT(40)));
	assert_gp(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT | X86_BIT(32)));
	cr_assert_eq(mode_now(), SMMU_PAGING_4LEVEL);
}

Test(cr0, nw_without_cd_injects_gp)
{
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_gp(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT | X86_CR0_NW));
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT | X86_CR0_CD));
	assert_done(smmu_vcpu_write_cr0(f.vcpu,
					CR0_PROT | X86_CR0_CD | X86_CR0_NW));
	/* Clearing CD while NW stays set is the same invalid combination. */
	assert_gp(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT | X86_CR0_NW));
	cr_assert_eq(regs_now().cr0, CR0_PROT | X86_CR0_CD | X86_CR0_NW);
}

Test(cr0, pg_with_lme_without_pae_injects_gp)
{
	uint64_t pml4 = build_root(SMMU_PAGING_4LEVEL);
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_done(smmu_vcpu_write_efer(f.vcpu, X86_EFER_LME));
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pml4));

	assert_gp(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED));
	cr_assert_eq(regs_now().efer & X86_EFER_LMA, 0);

	/* With PAE set first, the same write activates IA-32e mode. */
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE));
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED));
	cr_assert_eq(mode_now(), SMMU_PAGING_4LEVEL);
}

Test(cr0, clearing_pg_with_pcide_injects_gp)
{
	boot(SMMU_PAGING_4LEVEL);
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_PCIDE));

	assert_gp(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	cr_assert_eq(regs_now().efer & X86_EFER_LMA, X86_EFER_LMA);

	/* SDM 4.10.1: software clears PCIDE before disabling paging. */
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE));
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	cr_assert_eq(mode_now(), SMMU_PAGING_OFF);
}

/* --- CR3 (SDM 4.5, table 4-12; 4.10.4.1) --- */

Test(cr3, bits_above_maxphyaddr_inject_gp_in_ia32e_mode)
{
	uint64_t pml4 = boot(SMMU_PAGING_4LEVEL);

	assert_gp(smmu_vcpu_write_cr3(f.vcpu, pml4 | X86_BIT(MAXPHYADDR)));
	assert_gp(smmu_vcpu_write_cr3(f.vcpu, pml4 | X86_BIT(51)));
	assert_gp(smmu_vcpu_write_cr3(f.vcpu, pml4 | X86_BIT(62)));
	/* The highest bit below MAXPHYADDR is an address bit, kept whole. */
	uint64_t high = pml4 | X86_BIT(MAXPHYADDR - 1);
	assert_done(smmu_vcpu_write_cr3(f.vcpu, high));
	cr_assert_eq(regs_now().cr3, high);
}

Test(cr3, bit63_without_pcide_injects_gp)
{
	uint64_t pml4 = boot(SMMU_PAGING_4LEVEL);
	assert_gp(smmu_vcpu_write_cr3(f.vcpu, pml4 | X86_CR3_NOFLUSH));
}

Test(cr3, bit63_with_pcide_is_noflush_and_not_stored)
{
	uint64_t pml4 = boot(SMMU_PAGING_4LEVEL);
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_PCIDE));

	assert_done(smmu_vcpu_write_cr3(f.vcpu, pml4 | X86_CR3_NOFLUSH | 7));
	cr_assert_eq(regs_now().cr3, pml4 | 7, "CR3 is %#llx",
		     ULL(regs_now().cr3));
	assert_translates(LA_LOW, GPA_4LEVEL);
	/* Bits 62:MAXPHYADDR stay reserved with PCIDE. */
	assert_gp(smmu_vcpu_write_cr3(f.vcpu, pml4 | X86_CR3_NOFLUSH |
						      X86_BIT(MAXPHYADDR)));
}

Test(cr3, keeps_only_32_bits_outside_ia32e_mode)
{
	/* SDM vol. 2 MOV CR: outside 64-bit mode the operand is 32 bits. */
	assert_done(smmu_vcpu_write_cr3(f.vcpu,
					X86_BIT(63) | X86_BIT(32) | 0x5000));
	cr_assert_eq(regs_now().cr3, 0x5000);

	uint64_t pd = boot(SMMU_PAGING_32BIT);
	assert_done(smmu_vcpu_write_cr3(f.vcpu, X86_BITS(63, 32) | pd));
	cr_assert_eq(regs_now().cr3, pd);
	assert_translates(LA_LOW, GPA_32BIT);
}

Test(cr3, keeps_only_32_bits_in_pae_mode)
{
	uint64_t pdpt = boot(SMMU_PAGING_PAE);
	uint64_t other = build_pdpt();

	assert_done(smmu_vcpu_write_cr3(f.vcpu, X86_BIT(32) | other));
	struct smmu_paging_regs r = regs_now();
	cr_assert_eq(r.cr3, other);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(r.pdpte[i], pdpte_in_memory(other, i));
	cr_assert_neq(r.pdpte[0], pdpte_in_memory(pdpt, 0));
}

Test(cr3, keeps_all_64_bits_in_ia32e_mode)
{
	uint64_t pml4 = boot(SMMU_PAGING_4LEVEL);
	/* Bit 32 is below MAXPHYADDR: an address bit, not truncated. */
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pml4 | X86_BIT(32)));
	cr_assert_eq(regs_now().cr3, pml4 | X86_BIT(32));
}

/* --- CR4 (SDM 2.5, 4.1.2, 4.10.1) --- */

Test(cr4, clearing_pae_in_ia32e_mode_injects_gp)
{
	boot(SMMU_PAGING_4LEVEL);
	assert_gp(smmu_vcpu_write_cr4(f.vcpu, 0));
	assert_gp(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PGE));
	cr_assert_eq(mode_now(), SMMU_PAGING_4LEVEL);
}

Test(cr4, clearing_pae_in_5level_mode_injects_gp)
{
	boot(SMMU_PAGING_5LEVEL);
	assert_gp(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_LA57));
}

Test(cr4, setting_la57_in_ia32e_mode_injects_gp)
{
	boot(SMMU_PAGING_4LEVEL);
	assert_gp(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_LA57));
	cr_assert_eq(mode_now(), SMMU_PAGING_4LEVEL);
}

Test(cr4, clearing_la57_in_ia32e_mode_injects_gp)
{
	boot(SMMU_PAGING_5LEVEL);
	assert_gp(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE));
	cr_assert_eq(mode_now(), SMMU_PAGING_5LEVEL);
	/* Writes that keep LA57 are fine. */
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_LA57 |
							X86_CR4_PGE));
}

Test(cr4, la57_may_change_outside_ia32e_mode)
{
	/* Before activation (LME=1, PG=0) ... */
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_done(smmu_vcpu_write_efer(f.vcpu, X86_EFER_LME));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_LA57));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE));
	assert_done(smmu_vcpu_write_efer(f.vcpu, 0));

	/* ... and in PAE paging, where LA57 has no effect. */
	boot(SMMU_PAGING_PAE);
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_LA57));
	cr_assert_eq(mode_now(), SMMU_PAGING_PAE);
}

Test(cr4, setting_pcide_outside_ia32e_mode_injects_gp)
{
	assert_gp(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PCIDE));

	/* LME alone is not IA-32e mode. */
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE));
	assert_done(smmu_vcpu_write_efer(f.vcpu, X86_EFER_LME));
	assert_gp(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_PCIDE));
	assert_done(smmu_vcpu_write_efer(f.vcpu, 0));

	boot(SMMU_PAGING_PAE);
	assert_gp(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_PCIDE));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, 0));
	cr_assert_eq(mode_now(), SMMU_PAGING_32BIT);
	assert_gp(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PCIDE));
}

Test(cr4, setting_pcide_with_cr3_low_bits_injects_gp)
{
	uint64_t pml4 = boot(SMMU_PAGING_4LEVEL);

	/* CR3[11:0] includes PWT and PCD: any nonzero value faults. */
	const uint64_t low[] = { X86_PTE_PWT, X86_PTE_PCD, 1, X86_BIT(11) };
	for (unsigned i = 0; i < sizeof(low) / sizeof(low[0]); i++) {
		assert_done(smmu_vcpu_write_cr3(f.vcpu, pml4 | low[i]));
		assert_gp(smmu_vcpu_write_cr4(f.vcpu,
					      X86_CR4_PAE | X86_CR4_PCIDE));
	}
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pml4));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_PCIDE));
}

Test(cr4, keeping_pcide_with_nonzero_pcid_is_allowed)
{
	/* The CR3[11:0] rule applies to changing PCIDE from 0 to 1 only. */
	uint64_t pml4 = boot(SMMU_PAGING_4LEVEL);
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_PCIDE));
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pml4 | 0x123));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_PCIDE |
							X86_CR4_PGE));
	cr_assert_eq(regs_now().cr3, pml4 | 0x123);
}

/* --- IA32_EFER (SDM 2.2.1, 4.1.2) --- */

Test(efer, lma_is_read_only)
{
	assert_done(smmu_vcpu_write_efer(f.vcpu, X86_EFER_LMA));
	cr_assert_eq(regs_now().efer, 0, "WRMSR set LMA");
	cr_assert_eq(mode_now(), SMMU_PAGING_OFF);

	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE));
	assert_done(smmu_vcpu_write_efer(f.vcpu, X86_EFER_LME | X86_EFER_LMA));
	cr_assert_eq(regs_now().efer, X86_EFER_LME, "WRMSR set LMA");
	assert_done(smmu_vcpu_write_efer(f.vcpu, 0));

	boot(SMMU_PAGING_4LEVEL);
	assert_done(smmu_vcpu_write_efer(f.vcpu, X86_EFER_LME | X86_EFER_NXE));
	cr_assert_eq(regs_now().efer,
		     X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE,
		     "WRMSR cleared LMA");
	cr_assert_eq(mode_now(), SMMU_PAGING_4LEVEL);
}

Test(efer, changing_lme_while_paging_injects_gp)
{
	boot(SMMU_PAGING_PAE);
	assert_gp(smmu_vcpu_write_efer(f.vcpu, X86_EFER_LME));
	/* Other bits may change. */
	assert_done(smmu_vcpu_write_efer(f.vcpu, X86_EFER_NXE));
}

Test(efer, clearing_lme_in_ia32e_mode_injects_gp)
{
	boot(SMMU_PAGING_4LEVEL);
	assert_gp(smmu_vcpu_write_efer(f.vcpu, 0));
	assert_gp(smmu_vcpu_write_efer(f.vcpu, X86_EFER_LMA));
	cr_assert_eq(mode_now(), SMMU_PAGING_4LEVEL);
}

Test(efer, lme_may_change_while_paging_is_off)
{
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_done(smmu_vcpu_write_efer(f.vcpu, X86_EFER_LME));
	cr_assert_eq(regs_now().efer, X86_EFER_LME);
	assert_done(smmu_vcpu_write_efer(f.vcpu, 0));
	cr_assert_eq(regs_now().efer, 0);
}

/* --- PAE PDPTE registers (SDM 4.4.1, table 4-8) --- */

Test(pdpte, mov_cr3_in_pae_mode_loads_all_four)
{
	boot(SMMU_PAGING_PAE);
	uint64_t pdpt = build_pdpt();

	assert_done(smmu_vcpu_write_cr3(f.vcpu, pdpt));
	struct smmu_paging_regs r = regs_now();
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(r.pdpte[i], pdpte_in_memory(pdpt, i),
			     "PDPTE%d is %#llx", i, ULL(r.pdpte[i]));
		cr_assert(r.pdpte[i] & X86_PTE_P);
	}
}

Test(pdpte, table_is_read_at_cr3_bits_31_5)
{
	boot(SMMU_PAGING_PAE);
	uint64_t page = build_pdpt();
	uint64_t pdpt = page + 0x60; /* 32-byte aligned, not page aligned */
	for (int i = 0; i < 4; i++)
		smmu_posix_ram_write64(&f.host.ram, pdpt + 8 * i,
				       pdpte_in_memory(page, 3 - i));

	/* CR3 bits 4:0 (PWT, PCD among them) are not address bits. */
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pdpt | 0x18));
	for (int i = 0; i < 4; i++)
		cr_assert_eq(regs_now().pdpte[i], pdpte_in_memory(page, 3 - i));
}

/* In PAE paging, MOV to CR3 of a PDPT whose PDPTE i is present with one of
 * `bits` set must fault, for every i, and change nothing; the same PDPT
 * without the bit loads. */
static void assert_reserved_bits_fault(const int *bits, unsigned n)
{
	uint64_t pdpt = build_pdpt();
	struct smmu_paging_regs before = regs_now();

	cr_assert_eq(mode_now(), SMMU_PAGING_PAE);
	for (unsigned k = 0; k < n; k++) {
		for (int i = 0; i < 4; i++) {
			uint64_t good = pdpte_in_memory(pdpt, i);
			smmu_posix_ram_write64(&f.host.ram, pdpt + 8 * i,
					       good | X86_BIT(bits[k]));
			cr_assert_eq(smmu_vcpu_write_cr3(f.vcpu, pdpt),
				     SMMU_CR_INJECT_GP,
				     "PDPTE%d with bit %d did not fault", i,
				     bits[k]);
			struct smmu_paging_regs after = regs_now();
			assert_regs_eq(&after, &before);
			smmu_posix_ram_write64(&f.host.ram, pdpt + 8 * i, good);
		}
	}
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pdpt));
}

Test(pdpte, reserved_bits_2_1_inject_gp)
{
	static const int bits[] = { 1, 2 };
	boot(SMMU_PAGING_PAE);
	assert_reserved_bits_fault(bits, 2);
}

Test(pdpte, reserved_bits_8_5_inject_gp)
{
	static const int bits[] = { 5, 6, 7, 8 };
	boot(SMMU_PAGING_PAE);
	assert_reserved_bits_fault(bits, 4);
}

Test(pdpte, bits_above_maxphyaddr_inject_gp)
{
	static const int bits[] = { MAXPHYADDR, 40, 51, 52, 58, 62 };
	boot(SMMU_PAGING_PAE);
	assert_reserved_bits_fault(bits, 6);
}

Test(pdpte, bit63_injects_gp_even_with_nxe)
{
	/* Bit 63 is XD in other PAE entries; in a PDPTE it is reserved
	 * whatever EFER.NXE says. */
	static const int bits[] = { 63 };
	boot(SMMU_PAGING_PAE);
	assert_reserved_bits_fault(bits, 1);
	assert_done(smmu_vcpu_write_efer(f.vcpu, X86_EFER_NXE));
	assert_reserved_bits_fault(bits, 1);
}

Test(pdpte, non_reserved_bits_are_loaded)
{
	boot(SMMU_PAGING_PAE);
	uint64_t pdpt = build_pdpt();
	/* PWT, PCD, the ignored bits 11:9 and the top address bit. */
	uint64_t extra = X86_PTE_PWT | X86_PTE_PCD | X86_BITS(11, 9) |
			 X86_BIT(MAXPHYADDR - 1);
	for (int i = 0; i < 4; i++)
		smmu_posix_ram_write64(&f.host.ram, pdpt + 8 * i,
				       pdpte_in_memory(pdpt, i) | extra);

	assert_done(smmu_vcpu_write_cr3(f.vcpu, pdpt));
	for (int i = 0; i < 4; i++)
		cr_assert_eq(regs_now().pdpte[i], pdpte_in_memory(pdpt, i));
}

Test(pdpte, not_present_with_reserved_bits_is_loaded)
{
	boot(SMMU_PAGING_PAE);
	uint64_t pdpt = build_pdpt();
	uint64_t junk = PDPTE_RSVD | X86_BITS(35, 12); /* P=0 */
	smmu_posix_ram_write64(&f.host.ram, pdpt + 8 * 2, junk);

	assert_done(smmu_vcpu_write_cr3(f.vcpu, pdpt));
	cr_assert_eq(regs_now().cr3, pdpt);
	cr_assert_eq(regs_now().pdpte[2], junk);
	assert_translates(LA_LOW, GPA_PAE);
}

Test(pdpte, pdpt_in_a_ram_hole_injects_gp)
{
	boot(SMMU_PAGING_PAE);
	uint64_t pdpt = build_pdpt();
	cr_assert_eq(smmu_posix_ram_add_hole(&f.host.ram, pdpt, 4096), 0);

	assert_gp(smmu_vcpu_write_cr3(f.vcpu, pdpt));
}

Test(pdpte, pdpt_beyond_ram_injects_gp)
{
	boot(SMMU_PAGING_PAE);
	assert_gp(smmu_vcpu_write_cr3(f.vcpu, GPA_BEYOND_RAM));
	/* The last 32 bytes of RAM are a valid (all not-present) PDPT. */
	assert_done(smmu_vcpu_write_cr3(f.vcpu, RAM_SIZE - 32));

	/* Enabling PAE paging reads the PDPT too. */
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_done(smmu_vcpu_write_cr3(f.vcpu, GPA_BEYOND_RAM));
	assert_gp(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED));
	cr_assert_eq(mode_now(), SMMU_PAGING_OFF);
}

Test(pdpte, enabling_pg_with_bad_pdpte_injects_gp)
{
	uint64_t pdpt = build_pdpt();
	smmu_posix_ram_write64(&f.host.ram, pdpt + 8,
			       pdpte_in_memory(pdpt, 1) | X86_PTE_RW);
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE));
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pdpt));

	assert_gp(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED));
	cr_assert_eq(mode_now(), SMMU_PAGING_OFF);
}

Test(pdpte, setting_cr4_pae_with_bad_pdpte_injects_gp)
{
	boot(SMMU_PAGING_32BIT);
	uint64_t pdpt = build_pdpt();
	smmu_posix_ram_write64(&f.host.ram, pdpt,
			       pdpte_in_memory(pdpt, 0) | X86_BIT(63));
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pdpt));

	assert_gp(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE));
	cr_assert_eq(mode_now(), SMMU_PAGING_32BIT);
}

/* Give PDPTE3 in guest memory a new present value; returns it. */
static uint64_t rewrite_pdpte3(uint64_t pdpt)
{
	uint64_t e = fixture_alloc_table(&f) | X86_PTE_P;
	smmu_posix_ram_write64(&f.host.ram, pdpt + 8 * 3, e);
	return e;
}

Test(pdpte, cr0_cd_and_nw_changes_reload)
{
	uint64_t pdpt = boot(SMMU_PAGING_PAE);
	const uint64_t cr0[] = {
		CR0_PAGED | X86_CR0_CD,
		CR0_PAGED | X86_CR0_CD | X86_CR0_NW,
		CR0_PAGED | X86_CR0_CD,
		CR0_PAGED,
	};
	for (unsigned i = 0; i < sizeof(cr0) / sizeof(cr0[0]); i++) {
		uint64_t e = rewrite_pdpte3(pdpt);
		assert_done(smmu_vcpu_write_cr0(f.vcpu, cr0[i]));
		cr_assert_eq(regs_now().pdpte[3], e,
			     "CR0 %#llx did not reload the PDPTEs",
			     ULL(cr0[i]));
	}
}

Test(pdpte, cr0_changes_to_other_bits_do_not_reload)
{
	uint64_t pdpt = boot(SMMU_PAGING_PAE);
	uint64_t loaded = regs_now().pdpte[3];
	uint64_t e = rewrite_pdpte3(pdpt);

	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED | X86_CR0_WP));
	assert_done(smmu_vcpu_write_cr0(f.vcpu,
					X86_CR0_PE | X86_CR0_PG | X86_CR0_WP));
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED | X86_CR0_WP));
	cr_assert_eq(regs_now().pdpte[3], loaded, "WP/NE change reloaded");

	/* Not even a bad PDPTE is noticed by such a write. */
	smmu_posix_ram_write64(&f.host.ram, pdpt, X86_PTE_P | X86_PTE_RW);
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED));
	cr_assert_eq(regs_now().pdpte[3], loaded);

	smmu_posix_ram_write64(&f.host.ram, pdpt, 0);
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED | X86_CR0_CD));
	cr_assert_eq(regs_now().pdpte[3], e, "CD change did not reload");
}

Test(pdpte, cr4_pge_pse_smep_changes_reload)
{
	uint64_t pdpt = boot(SMMU_PAGING_PAE);
	const uint64_t bits[] = { X86_CR4_PGE, X86_CR4_PSE, X86_CR4_SMEP };
	uint64_t cr4 = X86_CR4_PAE;

	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < 3; i++) {
			cr4 ^= bits[i]; /* set on the first pass, clear after */
			uint64_t e = rewrite_pdpte3(pdpt);
			assert_done(smmu_vcpu_write_cr4(f.vcpu, cr4));
			cr_assert_eq(regs_now().pdpte[3], e,
				     "CR4 %#llx did not reload the PDPTEs",
				     ULL(cr4));
		}
	}
}

Test(pdpte, cr4_changes_to_other_bits_do_not_reload)
{
	uint64_t pdpt = boot(SMMU_PAGING_PAE);
	uint64_t loaded = regs_now().pdpte[3];
	uint64_t e = rewrite_pdpte3(pdpt);
	const uint64_t cr4[] = {
		X86_CR4_PAE | X86_CR4_SMAP,
		X86_CR4_PAE | X86_CR4_SMAP | X86_CR4_PKE,
		X86_CR4_PAE | X86_CR4_PKE | X86_CR4_VMXE,
		X86_CR4_PAE | X86_CR4_LA57,
		X86_CR4_PAE,
	};
	for (unsigned i = 0; i < sizeof(cr4) / sizeof(cr4[0]); i++) {
		assert_done(smmu_vcpu_write_cr4(f.vcpu, cr4[i]));
		cr_assert_eq(regs_now().pdpte[3], loaded,
			     "CR4 %#llx reloaded the PDPTEs", ULL(cr4[i]));
	}

	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_PGE));
	cr_assert_eq(regs_now().pdpte[3], e, "PGE change did not reload");
}

Test(pdpte, efer_write_does_not_reload)
{
	/* WRMSR is not among the operations of SDM 4.4.1 that load them. */
	uint64_t pdpt = boot(SMMU_PAGING_PAE);
	uint64_t loaded = regs_now().pdpte[3];
	rewrite_pdpte3(pdpt);

	assert_done(smmu_vcpu_write_efer(f.vcpu, X86_EFER_NXE));
	assert_done(smmu_vcpu_write_efer(f.vcpu, 0));
	cr_assert_eq(regs_now().pdpte[3], loaded, "WRMSR reloaded PDPTEs");
}

Test(pdpte, reload_that_faults_changes_nothing)
{
	uint64_t pdpt = boot(SMMU_PAGING_PAE);
	smmu_posix_ram_write64(&f.host.ram, pdpt + 8 * 2,
			       pdpte_in_memory(pdpt, 2) | X86_BIT(5));

	assert_gp(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_PGE));
	assert_gp(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED | X86_CR0_CD));
	assert_gp(smmu_vcpu_write_cr3(f.vcpu, pdpt));
	/* A write that does not reload succeeds on the same memory. */
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_SMAP));
}

Test(pdpte, none_loaded_outside_pae_paging)
{
	/* A "PDPT" whose first entry is present with reserved bits. */
	uint64_t bad = fixture_alloc_table(&f);
	smmu_posix_ram_write64(&f.host.ram, bad, X86_PTE_P | X86_PTE_RW);

	/* Paging off, even with CR4.PAE=1. */
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE));
	assert_done(smmu_vcpu_write_cr3(f.vcpu, bad));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_PGE));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, 0));
	cr_assert_eq(regs_now().pdpte[0], 0);

	/* 32-bit paging. */
	boot(SMMU_PAGING_32BIT);
	assert_done(smmu_vcpu_write_cr3(f.vcpu, bad));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PGE));
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED | X86_CR0_CD));
	cr_assert_eq(regs_now().pdpte[0], 0);
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, 0));

	/* IA-32e paging: a PML4 entry (P, R/W) is a bad PDPTE. */
	boot(SMMU_PAGING_4LEVEL);
	assert_done(smmu_vcpu_write_cr3(f.vcpu, bad));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE | X86_CR4_PGE));
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED | X86_CR0_CD));
	cr_assert_eq(regs_now().pdpte[0], 0);
}

Test(pdpte, ia32e_activation_loads_none)
{
	uint64_t pml4 = build_root(SMMU_PAGING_4LEVEL);
	cr_assert(pdpte_in_memory(pml4, 0) & PDPTE_RSVD);

	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_done(smmu_vcpu_write_cr4(f.vcpu, X86_CR4_PAE));
	assert_done(smmu_vcpu_write_efer(f.vcpu, X86_EFER_LME));
	assert_done(smmu_vcpu_write_cr3(f.vcpu, pml4));
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PAGED));
	cr_assert_eq(mode_now(), SMMU_PAGING_4LEVEL);
	cr_assert_eq(regs_now().pdpte[0], 0);
}

/* --- The walker sees the new state --- */

Test(xlate, cr3_switch_changes_translation)
{
	uint64_t a = boot(SMMU_PAGING_4LEVEL);
	uint64_t b = fixture_alloc_table(&f);
	map_page(SMMU_PAGING_4LEVEL, b, LA_LOW, GPA_OTHER);

	assert_translates(LA_LOW, GPA_4LEVEL);
	assert_done(smmu_vcpu_write_cr3(f.vcpu, b));
	assert_translates(LA_LOW, GPA_OTHER);
	assert_done(smmu_vcpu_write_cr3(f.vcpu, a));
	assert_translates(LA_LOW, GPA_4LEVEL);
}

Test(xlate, pae_walk_uses_pdpte_registers_until_reload)
{
	/* SDM 4.4.1: the walk starts from the PDPTE registers, not from
	 * memory; a guest that edits its PDPT must reload CR3. */
	uint64_t pdpt = boot(SMMU_PAGING_PAE);
	smmu_posix_ram_write64(&f.host.ram, pdpt, 0);
	assert_translates(LA_LOW, GPA_PAE);

	assert_done(smmu_vcpu_write_cr3(f.vcpu, pdpt));
	uint64_t gpa;
	cr_assert_eq(translate(LA_LOW, &gpa), SMMU_XLATE_PAGE_FAULT);
}

Test(xlate, clearing_pg_makes_translation_identity)
{
	boot(SMMU_PAGING_32BIT);
	assert_translates(LA_LOW, GPA_32BIT);
	assert_done(smmu_vcpu_write_cr0(f.vcpu, CR0_PROT));
	assert_translates(LA_LOW, LA_LOW);
}

/* ---- the guest's CPU features bound its control registers ---- */

/* A VM whose guest CPU shows `features` only (smmu_vm_config). */
static struct smmu_vcpu *vcpu_with(struct smmu_posix_host *h,
				   struct smmu_vm **vm, uint32_t features)
{
	struct smmu_vm_config cfg = { .maxphyaddr = MAXPHYADDR,
				      .cpu_features = features };
	struct smmu_vcpu *v;
	cr_assert_eq(smmu_posix_ram_init(&h->ram, RAM_SIZE), 0);
	cr_assert_eq(smmu_vm_create(&cfg, &smmu_posix_host_ops, h, vm),
		     SMMU_OK);
	cr_assert_eq(smmu_vcpu_create(*vm, 0, &v), SMMU_OK);
	return v;
}

Test(features, cr4_and_efer_bits_of_missing_features_fault)
{
	static const struct {
		uint32_t feature;
		bool efer;
		uint64_t bit;
	} bits[] = {
		{ SMMU_CPU_PSE, false, X86_CR4_PSE },
		{ SMMU_CPU_PAE, false, X86_CR4_PAE },
		{ SMMU_CPU_PGE, false, X86_CR4_PGE },
		{ SMMU_CPU_PCID, false, X86_CR4_PCIDE },
		{ SMMU_CPU_SMEP, false, X86_CR4_SMEP },
		{ SMMU_CPU_SMAP, false, X86_CR4_SMAP },
		{ SMMU_CPU_PKU, false, X86_CR4_PKE },
		{ SMMU_CPU_LA57, false, X86_CR4_LA57 },
		{ SMMU_CPU_NX, true, X86_EFER_NXE },
		{ SMMU_CPU_LM, true, X86_EFER_LME },
	};
	for (unsigned i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		struct smmu_posix_host h = { 0 };
		struct smmu_vm *vm;
		struct smmu_vcpu *v =
			vcpu_with(&h, &vm, SMMU_CPU_ALL & ~bits[i].feature);
		uint64_t bit = bits[i].bit;
		enum smmu_cr_result r = bits[i].efer
						? smmu_vcpu_write_efer(v, bit)
						: smmu_vcpu_write_cr4(v, bit);
		cr_expect_eq(r, SMMU_CR_INJECT_GP,
			     "bit %#llx without its "
			     "feature",
			     (unsigned long long)bit);
		struct smmu_paging_regs regs = { .cr0 = X86_CR0_PE };
		if (bits[i].efer)
			regs.efer = bit;
		else if (bit != X86_CR4_PCIDE) /* PCIDE needs IA-32e */
			regs.cr4 = bit;
		if (regs.efer || regs.cr4)
			cr_expect_eq(smmu_vcpu_set_paging(v, &regs),
				     SMMU_EINVAL);
		smmu_vcpu_destroy(v);
		cr_assert_eq(smmu_vm_destroy(vm), SMMU_OK);
		smmu_posix_ram_fini(&h.ram);
	}
}

Test(features, every_feature_by_default_and_invpcid_ud_without_it)
{
	struct smmu_posix_host h = { 0 };
	struct smmu_vm *vm;
	struct smmu_vcpu *v = vcpu_with(&h, &vm, 0); /* 0: all */
	cr_expect_eq(smmu_vcpu_write_cr4(v, X86_CR4_PSE | X86_CR4_PAE |
						    X86_CR4_PGE | X86_CR4_SMEP |
						    X86_CR4_SMAP | X86_CR4_PKE |
						    X86_CR4_LA57),
		     SMMU_CR_DONE);
	cr_expect_eq(smmu_vcpu_invpcid(v, 2, 0, 0), SMMU_CR_DONE);
	smmu_vcpu_destroy(v);
	cr_assert_eq(smmu_vm_destroy(vm), SMMU_OK);
	smmu_posix_ram_fini(&h.ram);

	v = vcpu_with(&h, &vm, SMMU_CPU_ALL & ~SMMU_CPU_INVPCID);
	cr_expect_eq(smmu_vcpu_invpcid(v, 2, 0, 0), SMMU_CR_INJECT_UD);
	smmu_vcpu_destroy(v);
	cr_assert_eq(smmu_vm_destroy(vm), SMMU_OK);
	smmu_posix_ram_fini(&h.ram);
}
