/* SPDX-License-Identifier: MIT */
/*
 * The architectural reference model's rules, driven directly: guest page
 * tables written into RAM, registers, guest stores and invalidations given
 * to the model, and for each rule of SDM vol. 3A 4.10 an outcome that the
 * rule allows before an invalidation and forbids after it (or keeps
 * allowing when the SDM says it survives). No sim, no MMU: every violation
 * count in the project comes from this model, so it is tested on its own.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ref_model.h"

#define RAM_SIZE (8ull << 20)

/* Data pages: only their addresses matter. */
#define PAGE_A 0x200000ull
#define PAGE_B 0x201000ull
#define PAGE_C 0x202000ull
#define PAGE_D 0x203000ull
#define PAGE_E 0x204000ull
#define PAGE_F 0x205000ull
#define BIG_A  0x400000ull /* 2 MiB and 4 MiB aligned */
#define BIG_B  0xc00000ull

/* Linear addresses, below 4 GiB so that every mode can map them. */
#define LA     0x40000000ull /* 4 KiB pages in one page table */
#define LA2    (LA + 0x1000)
#define LA3    (LA + 0x2000)
#define LA_G   0x40400000ull /* a global page, in another page table */
#define LA_2M  0x40600000ull /* a 2 MiB page */
#define LA_1G  0x80000000ull /* a 1 GiB page (IA-32e) */
#define LA_4M  0x40800000ull /* a 4 MiB page (32-bit paging) */
#define GPA_1G 0x40000000ull
#define GPB_1G 0xc0000000ull

#define TABLE (X86_PTE_P | X86_PTE_RW | X86_PTE_US | X86_PTE_A)
#define LEAF  (TABLE | X86_PTE_D)
#define RO    (X86_PTE_P | X86_PTE_US | X86_PTE_A | X86_PTE_D)

#define READ  0u
#define WRITE SMMU_ACCESS_WRITE

static struct smmu_posix_ram ram;
static struct ref_model *m;
static struct smmu_paging_regs cur[2]; /* what each vCPU has loaded */
static uint64_t next_table = 0x10000;
static struct ref_verdict why;

static void setup(void)
{
	cr_assert_eq(smmu_posix_ram_init(&ram, RAM_SIZE), 0);
	m = ref_model_create(&(struct ref_model_config){ .ram = &ram,
							 .nr_vcpus = 2,
							 .maxphyaddr = 40,
							 .gbpages = true });
	cr_assert_not_null(m);
}

static void teardown(void)
{
	ref_model_destroy(m);
	smmu_posix_ram_fini(&ram);
}

TestSuite(ref_model, .init = setup, .fini = teardown);

/* ---- guest page tables, written straight into RAM before the run ---- */

enum mode { M32, MPAE, M4L, M5L };

struct space {
	enum mode mode;
	uint64_t root; /* PAE: the PDPT */
};

static unsigned esz(const struct space *s)
{
	return s->mode == M32 ? 4 : 8;
}

static int top(const struct space *s)
{
	static const int levels[] = {
		[M32] = 2, [MPAE] = 3, [M4L] = 4, [M5L] = 5
	};
	return levels[s->mode];
}

static uint64_t idx(const struct space *s, uint64_t la, int level)
{
	if (s->mode == M32)
		return (la >> (12 + 10 * (level - 1))) & 0x3ff;
	return (la >> (12 + 9 * (level - 1))) & 0x1ff;
}

static uint64_t rd(const struct space *s, uint64_t gpa)
{
	return esz(s) == 4 ? smmu_posix_ram_read32(&ram, gpa)
			   : smmu_posix_ram_read64(&ram, gpa);
}

static void wr(const struct space *s, uint64_t gpa, uint64_t val)
{
	if (esz(s) == 4)
		smmu_posix_ram_write32(&ram, gpa, (uint32_t)val);
	else
		smmu_posix_ram_write64(&ram, gpa, val);
}

static uint64_t new_table(void)
{
	uint64_t t = next_table;
	next_table += X86_PAGE_SIZE;
	cr_assert_lt(next_table, PAGE_A);
	return t;
}

static struct space space(enum mode mode)
{
	return (struct space){ .mode = mode, .root = new_table() };
}

static uint64_t next_of(const struct space *s, uint64_t e)
{
	return e & (s->mode == M32 ? 0xfffff000ull : X86_BITS(51, 12));
}

/* gpa of the entry at `level` for la; the tables above must exist. */
static uint64_t entry(const struct space *s, uint64_t la, int level)
{
	uint64_t t = s->root;
	for (int l = top(s); l > level; l--)
		t = next_of(s, rd(s, t + idx(s, la, l) * esz(s)));
	return t + idx(s, la, level) * esz(s);
}

/* Write `val` as la's entry at `level`, creating tables above it (PAE
 * PDPTEs have no R/W, U/S or A: those bits are reserved there). Returns
 * the entry's gpa. */
static uint64_t map(const struct space *s, uint64_t la, int level, uint64_t val)
{
	uint64_t t = s->root;
	for (int l = top(s); l > level; l--) {
		uint64_t eg = t + idx(s, la, l) * esz(s);
		uint64_t e = rd(s, eg);
		if (!(e & X86_PTE_P)) {
			e = new_table() |
			    (s->mode == MPAE && l == 3 ? X86_PTE_P : TABLE);
			wr(s, eg, e);
		}
		t = next_of(s, e);
	}
	uint64_t eg = t + idx(s, la, level) * esz(s);
	wr(s, eg, val);
	return eg;
}

/* ---- the run: every change goes through the model ---- */

/* A guest store to a paging entry (4-byte entries: the 8-byte slot with
 * the neighbour kept). */
static void guest_sets(const struct space *s, uint64_t gpa, uint64_t val)
{
	uint64_t slot = gpa & ~7ull, v = val;
	if (esz(s) == 4) {
		unsigned sh = (unsigned)(gpa & 4) * 8;
		v = (smmu_posix_ram_read64(&ram, slot) &
		     ~(0xffffffffull << sh)) |
		    ((val & 0xffffffffull) << sh);
	}
	cr_assert(ref_model_store(m, slot, v));
}

/* The MMU under test changes the entry at gpa to val while handling
 * `inflight` (NULL: no access in flight); whether the model lets it. */
static bool mmu_sets(const struct space *s, unsigned v, uint64_t gpa,
		     uint64_t val, const struct smmu_access *inflight)
{
	bool allowed;
	memset(&why, 0, sizeof(why));
	cr_assert_eq(ref_model_cmpxchg(m, v, gpa, esz(s), rd(s, gpa), val,
				       inflight, &why, &allowed),
		     SMMU_GPA_OK);
	cr_expect(allowed || why.why[0], "a refused change without a verdict");
	return allowed;
}

static struct smmu_paging_regs regs_for(const struct space *s, uint16_t pcid,
					uint64_t cr4)
{
	struct smmu_paging_regs r = {
		.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
		.cr3 = s->root | pcid,
		.cr4 = cr4,
	};
	switch (s->mode) {
	case M32:
		break;
	case MPAE:
		r.cr4 |= X86_CR4_PAE;
		for (int i = 0; i < 4; i++)
			r.pdpte[i] =
				smmu_posix_ram_read64(&ram, s->root + 8 * i);
		break;
	case M5L:
		r.cr4 |= X86_CR4_LA57;
		/* fall through */
	case M4L:
		r.cr4 |= X86_CR4_PAE;
		r.efer = X86_EFER_LME | X86_EFER_LMA;
		break;
	}
	return r;
}

/* Reset vCPU v into space s: everything flushed. */
static void start(unsigned v, const struct space *s, uint16_t pcid,
		  uint64_t cr4)
{
	cur[v] = regs_for(s, pcid, cr4);
	ref_model_regs(m, v, REF_SET, 0, &cur[v]);
}

/* MOV to CR3 (PAE: PDPTEs reloaded from memory, SDM 4.4.1). */
static void mov_cr3(unsigned v, const struct space *s, uint16_t pcid,
		    bool noflush)
{
	struct smmu_paging_regs r = regs_for(s, pcid, cur[v].cr4);
	r.cr0 = cur[v].cr0;
	r.efer = cur[v].efer;
	cur[v] = r;
	ref_model_regs(m, v, REF_MOV_CR3,
		       r.cr3 | (noflush ? X86_CR3_NOFLUSH : 0), &r);
}

static void mov_cr(unsigned v, enum ref_reg_event ev, uint64_t *reg,
		   uint64_t val)
{
	*reg = val;
	ref_model_regs(m, v, ev, val, &cur[v]);
}

#define mov_cr0(v, val)	   mov_cr(v, REF_MOV_CR0, &cur[v].cr0, val)
#define mov_cr4(v, val)	   mov_cr(v, REF_MOV_CR4, &cur[v].cr4, val)
#define wrmsr_efer(v, val) mov_cr(v, REF_WRMSR_EFER, &cur[v].efer, val)

/* ---- asking the model ---- */

static bool check(unsigned v, uint64_t la, uint32_t flags, uint64_t started,
		  bool fault, uint64_t val)
{
	struct smmu_access a = { .la = la, .flags = flags };
	struct ref_outcome o = { .fault = fault };
	if (fault)
		o.pf_error = (uint32_t)val;
	else
		o.gpa = val;
	memset(&why, 0, sizeof(why));
	return ref_model_check(m, v, &a, started, &o, &why);
}

/* May vCPU v, for an access starting now, reach gpa / take #PF(err)? A
 * #PF answer also delivers the fault, with its invalidation. */
static bool sees(unsigned v, uint64_t la, uint32_t flags, uint64_t gpa)
{
	return check(v, la, flags, ref_model_now(m), false, gpa);
}

static bool faults(unsigned v, uint64_t la, uint32_t flags, uint32_t err)
{
	return check(v, la, flags, ref_model_now(m), true, err);
}

static struct ref_outcome now_says(unsigned v, uint64_t la, uint32_t flags)
{
	return ref_model_expect_now(
		m, v, &(struct smmu_access){ .la = la, .flags = flags });
}

#define ALLOWED(e)   cr_expect(e, "%s was forbidden: %s", #e, why.why)
#define FORBIDDEN(e) cr_expect(!(e), "%s was allowed", #e)

#define EXPECT_NOW_GPA(v, la, flags, want)                                     \
	do {                                                                   \
		struct ref_outcome o_ = now_says(v, la, flags);                \
		cr_expect(!o_.fault && o_.gpa == (want),                       \
			  "expect_now %#llx: fault %d err %#x gpa %#llx",      \
			  (unsigned long long)(la), o_.fault, o_.pf_error,     \
			  (unsigned long long)o_.gpa);                         \
	} while (0)

#define EXPECT_NOW_PF(v, la, flags, want)                                      \
	do {                                                                   \
		struct ref_outcome o_ = now_says(v, la, flags);                \
		cr_expect(o_.fault && (o_.pf_error == (want)),                 \
			  "expect_now %#llx: fault %d err %#x gpa %#llx",      \
			  (unsigned long long)(la), o_.fault, o_.pf_error,     \
			  (unsigned long long)o_.gpa);                         \
	} while (0)

/* ---- 4.10.2, 4.10.4.1 INVLPG ---- */

Test(ref_model, remapped_pte_keeps_old_translation_until_invlpg)
{
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | LEAF);
	start(0, &s, 0, 0);
	ALLOWED(sees(0, LA + 0x123, READ, PAGE_A + 0x123));

	guest_sets(&s, pte, PAGE_B | LEAF);
	EXPECT_NOW_GPA(0, LA + 0x123, READ, PAGE_B + 0x123);
	ALLOWED(sees(0, LA + 0x123, READ, PAGE_A + 0x123));
	ALLOWED(sees(0, LA + 0x123, WRITE, PAGE_A + 0x123));
	ALLOWED(sees(0, LA + 0x123, READ, PAGE_B + 0x123));
	FORBIDDEN(sees(0, LA + 0x123, READ, PAGE_C + 0x123));
	FORBIDDEN(sees(0, LA + 0x123, READ, PAGE_A + 0x124));

	/* Any address inside the page names it. */
	ref_model_invlpg(m, 0, LA + 0xff8);
	FORBIDDEN(sees(0, LA + 0x123, READ, PAGE_A + 0x123));
	FORBIDDEN(sees(0, LA + 0x123, WRITE, PAGE_A + 0x123));
	ALLOWED(sees(0, LA + 0x123, READ, PAGE_B + 0x123));
	ALLOWED(sees(0, LA + 0x123, WRITE, PAGE_B + 0x123));
}

Test(ref_model, invlpg_invalidates_only_the_executing_vcpus_tlb)
{
	/* TLBs are per logical processor: another vCPU keeps its stale
	 * translation until it invalidates too (SDM 4.10.5). */
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | LEAF);
	start(0, &s, 0, 0);
	start(1, &s, 0, 0);
	guest_sets(&s, pte, PAGE_B | LEAF);
	ref_model_invlpg(m, 0, LA);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(1, LA, READ, PAGE_A));
	ref_model_invlpg(m, 1, LA);
	FORBIDDEN(sees(1, LA, READ, PAGE_A));
	ALLOWED(sees(1, LA, READ, PAGE_B));
}

Test(ref_model, invlpg_of_another_4k_page_keeps_this_pages_translation)
{
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | LEAF);
	map(&s, LA2, 1, PAGE_C | LEAF);
	start(0, &s, 0, 0);
	guest_sets(&s, pte, PAGE_B | LEAF);

	ref_model_invlpg(m, 0, LA2);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA2, READ, PAGE_C));
	ref_model_invlpg(m, 0, LA);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
}

Test(ref_model, invlpg_anywhere_in_a_2m_page_invalidates_it)
{
	struct space s = space(M4L);
	uint64_t pde = map(&s, LA_2M, 2, BIG_A | LEAF | X86_PTE_PS);
	start(0, &s, 0, 0);
	ALLOWED(sees(0, LA_2M + 0x123456, READ, BIG_A + 0x123456));
	guest_sets(&s, pde, BIG_B | LEAF | X86_PTE_PS | X86_PTE_PAT_LARGE);
	EXPECT_NOW_GPA(0, LA_2M + 0x123456, READ, BIG_B + 0x123456);
	ALLOWED(sees(0, LA_2M + 0x123456, READ, BIG_A + 0x123456));
	ALLOWED(sees(0, LA_2M, READ, BIG_A));

	/* An address outside the 2 MiB page leaves it alone. */
	ref_model_invlpg(m, 0, LA_2M + X86_PAGE_SIZE_2M);
	ALLOWED(sees(0, LA_2M + 0x123456, READ, BIG_A + 0x123456));

	/* The last 4 KiB of it, far from the addresses checked. */
	ref_model_invlpg(m, 0, LA_2M + 0x1ff000);
	FORBIDDEN(sees(0, LA_2M + 0x123456, READ, BIG_A + 0x123456));
	FORBIDDEN(sees(0, LA_2M, READ, BIG_A));
	ALLOWED(sees(0, LA_2M + 0x123456, READ, BIG_B + 0x123456));
}

Test(ref_model, invlpg_anywhere_in_a_1g_page_invalidates_it)
{
	struct space s = space(M4L);
	uint64_t pdpte = map(&s, LA_1G, 3, GPA_1G | LEAF | X86_PTE_PS);
	start(0, &s, 0, 0);
	guest_sets(&s, pdpte, GPB_1G | LEAF | X86_PTE_PS);
	ALLOWED(sees(0, LA_1G + 0x12345678, READ, GPA_1G + 0x12345678));
	ref_model_invlpg(m, 0, LA_1G + 0x3ffff000);
	FORBIDDEN(sees(0, LA_1G + 0x12345678, READ, GPA_1G + 0x12345678));
	ALLOWED(sees(0, LA_1G + 0x12345678, READ, GPB_1G + 0x12345678));
}

/* ---- 4.10.4.1 MOV to CR3, global pages (4.10.2.4) ---- */

Test(ref_model, mov_cr3_without_pcide_keeps_only_global_translations)
{
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | LEAF);
	uint64_t gpte = map(&s, LA_G, 1, PAGE_C | LEAF | X86_PTE_G);
	start(0, &s, 0, X86_CR4_PGE);
	guest_sets(&s, pte, PAGE_B | LEAF);
	guest_sets(&s, gpte, PAGE_D | LEAF | X86_PTE_G);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA_G, READ, PAGE_C));

	/* Same CR3 value, operand without bit 63. */
	mov_cr3(0, &s, 0, false);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, READ, PAGE_B));
	ALLOWED(sees(0, LA_G, READ, PAGE_C));
	ALLOWED(sees(0, LA_G, READ, PAGE_D));

	/* INVLPG removes global translations of its page too. */
	ref_model_invlpg(m, 0, LA_G);
	FORBIDDEN(sees(0, LA_G, READ, PAGE_C));
	ALLOWED(sees(0, LA_G, READ, PAGE_D));
}

Test(ref_model, mov_cr3_without_pcide_ignores_bit_63)
{
	/* With CR4.PCIDE=0 bit 63 of the operand is not a NOFLUSH bit: the
	 * non-global translations of PCID 000H go. */
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | LEAF);
	start(0, &s, 0, 0);
	guest_sets(&s, pte, PAGE_B | LEAF);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	mov_cr3(0, &s, 0, true);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
}

Test(ref_model, changing_cr4_pge_invalidates_global_translations)
{
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | LEAF);
	uint64_t gpte = map(&s, LA_G, 1, PAGE_C | LEAF | X86_PTE_G);
	start(0, &s, 0, X86_CR4_PGE);
	guest_sets(&s, gpte, PAGE_D | LEAF | X86_PTE_G);
	mov_cr3(0, &s, 0, false);
	ALLOWED(sees(0, LA_G, READ, PAGE_C));

	/* PGE 1 -> 0 */
	mov_cr4(0, cur[0].cr4 & ~X86_CR4_PGE);
	FORBIDDEN(sees(0, LA_G, READ, PAGE_C));
	ALLOWED(sees(0, LA_G, READ, PAGE_D));

	/* PGE 0 -> 1 flushes as well, non-global translations included. */
	guest_sets(&s, pte, PAGE_B | LEAF);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	mov_cr4(0, cur[0].cr4 | X86_CR4_PGE);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, READ, PAGE_B));
}

Test(ref_model, global_translation_is_used_under_any_pcid)
{
	/* SDM 4.10.2.4: a global TLB entry may translate for a PCID other
	 * than the one it was cached with; INVLPG removes it regardless of
	 * PCID. */
	struct space s1 = space(M4L), s2 = space(M4L);
	map(&s1, LA_G, 1, PAGE_C | LEAF | X86_PTE_G);
	map(&s2, LA_G, 1, PAGE_D | LEAF);
	start(0, &s1, 1, X86_CR4_PGE | X86_CR4_PCIDE);
	mov_cr3(0, &s2, 2, false);
	EXPECT_NOW_GPA(0, LA_G, READ, PAGE_D);
	ALLOWED(sees(0, LA_G, READ, PAGE_C));
	ALLOWED(sees(0, LA_G, READ, PAGE_D));
	ref_model_invlpg(m, 0, LA_G);
	FORBIDDEN(sees(0, LA_G, READ, PAGE_C));
}

Test(ref_model, mov_cr4_setting_smep_invalidates_the_current_pcid)
{
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | LEAF);
	start(0, &s, 0, 0);
	guest_sets(&s, pte, PAGE_B | LEAF);
	/* Bits the SDM does not list (VMXE here) invalidate nothing. */
	mov_cr4(0, cur[0].cr4 | X86_CR4_VMXE);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	mov_cr4(0, cur[0].cr4 | X86_CR4_SMEP);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, READ, PAGE_B));
}

/* ---- 4.10.1 PCIDs ---- */

Test(ref_model, noflush_cr3_round_trip_keeps_the_pcids_translations)
{
	struct space s1 = space(M4L), s2 = space(M4L);
	uint64_t pte = map(&s1, LA, 1, PAGE_A | LEAF);
	map(&s2, LA, 1, PAGE_C | LEAF);
	start(0, &s1, 1, X86_CR4_PCIDE);
	guest_sets(&s1, pte, PAGE_B | LEAF);

	mov_cr3(0, &s2, 2, true);
	mov_cr3(0, &s1, 1, true);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, READ, PAGE_B));

	/* Leaving without NOFLUSH flushes the new PCID (2), not PCID 1. */
	mov_cr3(0, &s2, 2, false);
	mov_cr3(0, &s1, 1, true);
	ALLOWED(sees(0, LA, READ, PAGE_A));

	/* Returning without NOFLUSH flushes PCID 1. */
	mov_cr3(0, &s2, 2, true);
	mov_cr3(0, &s1, 1, false);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, READ, PAGE_B));
}

Test(ref_model, translation_of_another_pcids_tables_is_never_used)
{
	/* Seed 000 (XSA-294): five address spaces, five PCIDs, LA mapped
	 * to a different page in each; round trips with NOFLUSH. Each PCID
	 * may only ever see its own page. */
	struct space s[5];
	const uint64_t page[5] = { PAGE_A, PAGE_B, PAGE_C, PAGE_D, PAGE_E };
	for (int i = 0; i < 5; i++) {
		s[i] = space(M4L);
		map(&s[i], LA, 1, page[i] | LEAF);
	}
	start(0, &s[0], 1, X86_CR4_PCIDE | X86_CR4_PGE);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 5; i++) {
			mov_cr3(0, &s[i], (uint16_t)(i + 1), true);
			for (int j = 0; j < 5; j++) {
				if (i == j)
					ALLOWED(sees(0, LA, READ, page[j]));
				else
					FORBIDDEN(sees(0, LA, READ, page[j]));
			}
		}
	}
}

Test(ref_model, noflush_cr3_to_other_tables_keeps_the_pcids_translations)
{
	/* Translations are tagged by PCID, not by CR3: a NOFLUSH switch to
	 * other tables under the same PCID may still use the old ones. */
	struct space s1 = space(M4L), s2 = space(M4L);
	map(&s1, LA, 1, PAGE_A | LEAF);
	map(&s2, LA, 1, PAGE_B | LEAF);
	start(0, &s1, 1, X86_CR4_PCIDE);
	mov_cr3(0, &s2, 1, true);
	EXPECT_NOW_GPA(0, LA, READ, PAGE_B);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, READ, PAGE_B));
	mov_cr3(0, &s2, 1, false);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, READ, PAGE_B));
}

Test(ref_model, pcid_caches_nothing_while_it_is_not_loaded)
{
	/* SDM 4.10.1: TLB and paging-structure-cache entries are created
	 * for the current PCID only. PCID 1 was not loaded between the
	 * reset and the change of S1's PTE, so nothing of A is cached. */
	struct space s1 = space(M4L), s2 = space(M4L);
	uint64_t pte = map(&s1, LA, 1, PAGE_A | LEAF);
	map(&s2, LA, 1, PAGE_C | LEAF);
	start(0, &s2, 2, X86_CR4_PCIDE);
	guest_sets(&s1, pte, PAGE_B | LEAF);
	mov_cr3(0, &s1, 1, true);
	EXPECT_NOW_GPA(0, LA, READ, PAGE_B);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, READ, PAGE_B));
}

Test(ref_model, invpcid_of_an_unloaded_pcid_leaves_nothing_to_go_stale)
{
	/* Seed 001's class (cached prev_roots): PCID 1 is left with
	 * NOFLUSH, invalidated while not loaded, then its tables change.
	 * Without the INVPCID A stays cached; with it, nothing is. */
	struct space s1 = space(M4L), s2 = space(M4L);
	uint64_t pte = map(&s1, LA, 1, PAGE_A | LEAF);
	map(&s2, LA, 1, PAGE_C | LEAF);
	start(0, &s1, 1, X86_CR4_PCIDE);
	mov_cr3(0, &s2, 2, true);
	guest_sets(&s1, pte, PAGE_B | LEAF);
	mov_cr3(0, &s1, 1, true);
	ALLOWED(sees(0, LA, READ, PAGE_A));

	mov_cr3(0, &s2, 2, true);
	ref_model_invpcid(m, 0, 1, 1, 0);
	guest_sets(&s1, pte, PAGE_D | LEAF);
	mov_cr3(0, &s1, 1, true);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(sees(0, LA, READ, PAGE_B));
	ALLOWED(sees(0, LA, READ, PAGE_D));
}

/* ---- 4.10.4.1 INVPCID ---- */

/* One space used by PCIDs 2 and then 1 (current): LA -> A and LA2 -> C
 * non-global, LA_G -> E global; then all three remapped (B, D, F). Each
 * stale translation is asserted allowed in both PCIDs before returning. */
static struct space pcid_world(void)
{
	struct space s = space(M4L);
	uint64_t p1 = map(&s, LA, 1, PAGE_A | LEAF);
	uint64_t p2 = map(&s, LA2, 1, PAGE_C | LEAF);
	uint64_t pg = map(&s, LA_G, 1, PAGE_E | LEAF | X86_PTE_G);
	start(0, &s, 2, X86_CR4_PCIDE | X86_CR4_PGE);
	mov_cr3(0, &s, 1, true);
	guest_sets(&s, p1, PAGE_B | LEAF);
	guest_sets(&s, p2, PAGE_D | LEAF);
	guest_sets(&s, pg, PAGE_F | LEAF | X86_PTE_G);
	for (int pcid = 2; pcid >= 1; pcid--) {
		mov_cr3(0, &s, (uint16_t)pcid, true);
		ALLOWED(sees(0, LA, READ, PAGE_A));
		ALLOWED(sees(0, LA2, READ, PAGE_C));
		ALLOWED(sees(0, LA_G, READ, PAGE_E));
	}
	return s;
}

Test(ref_model, invpcid_type0_invalidates_one_address_of_one_pcid)
{
	struct space s = pcid_world();
	ref_model_invpcid(m, 0, 0, 1, LA);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, READ, PAGE_B));
	ALLOWED(sees(0, LA2, READ, PAGE_C)); /* other address */
	ref_model_invpcid(m, 0, 0, 1, LA_G);
	ALLOWED(sees(0, LA_G, READ, PAGE_E)); /* global */

	/* The descriptor's PCID counts, not the current one. */
	ref_model_invpcid(m, 0, 0, 2, LA2);
	ALLOWED(sees(0, LA2, READ, PAGE_C));
	mov_cr3(0, &s, 2, true);
	ALLOWED(sees(0, LA, READ, PAGE_A)); /* other PCID */
	FORBIDDEN(sees(0, LA2, READ, PAGE_C));
}

Test(ref_model, invpcid_type1_invalidates_one_pcid_but_not_globals)
{
	struct space s = pcid_world();
	ref_model_invpcid(m, 0, 1, 2, 0);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	ref_model_invpcid(m, 0, 1, 1, 0);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(sees(0, LA2, READ, PAGE_C));
	ALLOWED(sees(0, LA_G, READ, PAGE_E));
	mov_cr3(0, &s, 2, true);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(sees(0, LA2, READ, PAGE_C));
}

Test(ref_model, invpcid_type1_keeps_other_pcids)
{
	struct space s = pcid_world();
	ref_model_invpcid(m, 0, 1, 1, 0);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	mov_cr3(0, &s, 2, true);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA2, READ, PAGE_C));
}

Test(ref_model, invpcid_type2_invalidates_everything)
{
	struct space s = pcid_world();
	ref_model_invpcid(m, 0, 2, 0, 0);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(sees(0, LA2, READ, PAGE_C));
	FORBIDDEN(sees(0, LA_G, READ, PAGE_E));
	ALLOWED(sees(0, LA_G, READ, PAGE_F));
	mov_cr3(0, &s, 2, true);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(sees(0, LA_G, READ, PAGE_E));
}

Test(ref_model, invpcid_type3_keeps_only_globals)
{
	struct space s = pcid_world();
	ref_model_invpcid(m, 0, 3, 0, 0);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(sees(0, LA2, READ, PAGE_C));
	ALLOWED(sees(0, LA_G, READ, PAGE_E));
	mov_cr3(0, &s, 2, true);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(sees(0, LA2, READ, PAGE_C));
	ALLOWED(sees(0, LA_G, READ, PAGE_E));
}

Test(ref_model, flush_all_invalidates_everything)
{
	struct space s = pcid_world();
	ref_model_flush_all(m, 0);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(sees(0, LA_G, READ, PAGE_E));
	ALLOWED(sees(0, LA, READ, PAGE_B));
	mov_cr3(0, &s, 2, true);
	FORBIDDEN(sees(0, LA2, READ, PAGE_C));
	FORBIDDEN(sees(0, LA_G, READ, PAGE_E));
}

Test(ref_model, ref_set_invalidates_everything)
{
	struct space s = pcid_world();
	start(0, &s, 1, X86_CR4_PCIDE | X86_CR4_PGE);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(sees(0, LA_G, READ, PAGE_E));
	ALLOWED(sees(0, LA_G, READ, PAGE_F));
}

/* ---- 4.10.4.3 optional invalidation; 4.10.4.1 page faults ---- */

Test(ref_model, write_to_page_made_writable_may_fault_once)
{
	/* R/W 0 -> 1 without INVLPG: a "spurious" #PF at most once per
	 * address, since the #PF invalidates what it used (4.10.4.3). */
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | RO);
	uint64_t pte2 = map(&s, LA2, 1, PAGE_B | RO);
	start(0, &s, 0, 0);
	EXPECT_NOW_PF(0, LA, WRITE, PFERR_P | PFERR_W);
	ALLOWED(sees(0, LA, READ, PAGE_A));

	guest_sets(&s, pte, PAGE_A | LEAF);
	guest_sets(&s, pte2, PAGE_B | LEAF);
	EXPECT_NOW_GPA(0, LA, WRITE, PAGE_A);
	ALLOWED(sees(0, LA, WRITE, PAGE_A));
	ALLOWED(faults(0, LA, WRITE, PFERR_P | PFERR_W));
	FORBIDDEN(faults(0, LA, WRITE, PFERR_P | PFERR_W));
	ALLOWED(sees(0, LA, WRITE, PAGE_A));
	/* The stale translation explains only its own error code. */
	FORBIDDEN(faults(0, LA2, WRITE, PFERR_P));
}

Test(ref_model, page_fault_invalidates_its_address_only)
{
	struct space s = space(M4L);
	uint64_t p1 = map(&s, LA, 1, PAGE_A | LEAF);
	uint64_t p2 = map(&s, LA2, 1, PAGE_C | LEAF);
	start(0, &s, 0, 0);
	guest_sets(&s, p1, 0);
	guest_sets(&s, p2, 0);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	ALLOWED(faults(0, LA, READ, 0));
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA2, READ, PAGE_C));
}

Test(ref_model, spurious_fault_from_a_global_translation_happens_once)
{
	/* 4.10.4.3: "Such an exception will occur at most once for each
	 * affected linear address"; 4.10.4.1: the #PF invalidates any TLB
	 * entry for the faulting address's page number. */
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA_G, 1, PAGE_A | RO | X86_PTE_G);
	start(0, &s, 0, X86_CR4_PGE);
	guest_sets(&s, pte, PAGE_A | LEAF | X86_PTE_G);
	mov_cr3(0, &s, 0, false);
	ALLOWED(faults(0, LA_G, WRITE, PFERR_P | PFERR_W));
	FORBIDDEN(faults(0, LA_G, WRITE, PFERR_P | PFERR_W));
}

Test(ref_model, entry_that_was_never_present_translates_nothing)
{
	/* SDM 4.10.2.3 / 4.10.4.3: nothing is cached from an entry with
	 * P=0, so P 0 -> 1 needs no invalidation. */
	struct space s = space(M4L);
	map(&s, LA2, 1, PAGE_C | LEAF); /* LA's page table exists */
	uint64_t pte = entry(&s, LA, 1);
	start(0, &s, 0, 0);
	EXPECT_NOW_PF(0, LA, READ, 0);
	FORBIDDEN(sees(0, LA, READ, 0));
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(faults(0, LA, READ, 0));
	FORBIDDEN(faults(0, LA, READ, PFERR_P));

	guest_sets(&s, pte, PAGE_A | LEAF);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(faults(0, LA, READ, 0));
}

Test(ref_model, upper_entry_made_present_needs_no_invalidation)
{
	struct space s = space(M4L);
	map(&s, LA_G, 1, PAGE_C | LEAF); /* the page directory exists */
	uint64_t pde = entry(&s, LA, 2);
	uint64_t pt = new_table();
	smmu_posix_ram_write64(&ram, pt, PAGE_A | LEAF);
	start(0, &s, 0, 0);
	ALLOWED(faults(0, LA, READ, 0));
	guest_sets(&s, pde, pt | TABLE);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(faults(0, LA, READ, 0));
}

Test(ref_model, unmapped_page_may_still_translate_until_invlpg)
{
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | LEAF);
	start(0, &s, 0, 0);
	guest_sets(&s, pte, 0);
	EXPECT_NOW_PF(0, LA, WRITE, PFERR_W);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, WRITE, PAGE_A));
	ref_model_invlpg(m, 0, LA);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(faults(0, LA, WRITE, PFERR_W));
}

/* ---- 4.8 accessed and dirty flags ---- */

Test(ref_model, successful_access_needs_accessed_in_every_entry)
{
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | LEAF);
	uint64_t pde = entry(&s, LA, 2);
	smmu_posix_ram_write64(&ram, pde, rd(&s, pde) & ~X86_PTE_A);
	smmu_posix_ram_write64(&ram, pte, rd(&s, pte) & ~X86_PTE_A);
	start(0, &s, 0, 0);
	struct smmu_access acc = { .la = LA, .flags = READ };

	/* The MMU returned the page without setting A: no CPU does. */
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	cr_expect(mmu_sets(&s, 0, pde, rd(&s, pde) | X86_PTE_A, &acc), "%s",
		  why.why);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	cr_expect(mmu_sets(&s, 0, pte, rd(&s, pte) | X86_PTE_A, &acc), "%s",
		  why.why);
	ALLOWED(sees(0, LA, READ, PAGE_A));
}

Test(ref_model, write_needs_dirty_in_the_leaf)
{
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | TABLE); /* A=1, D=0 */
	start(0, &s, 0, 0);
	struct smmu_access wacc = { .la = LA, .flags = WRITE };
	ALLOWED(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(sees(0, LA, WRITE, PAGE_A));
	cr_expect(mmu_sets(&s, 0, pte, rd(&s, pte) | X86_PTE_D, &wacc), "%s",
		  why.why);
	ALLOWED(sees(0, LA, WRITE, PAGE_A));
}

Test(ref_model, write_through_a_stale_clean_translation_is_not_allowed)
{
	/* A cached translation with D=0 does not let a write through
	 * without the dirty flag being set in memory (the model's rule: a
	 * write through a clean cached translation walks memory again). */
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | TABLE);
	start(0, &s, 0, 0);
	guest_sets(&s, pte, PAGE_B | LEAF);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(sees(0, LA, WRITE, PAGE_A));
	ALLOWED(sees(0, LA, WRITE, PAGE_B));
}

Test(ref_model,
     translation_through_an_entry_with_accessed_clear_was_never_cached)
{
	/* SDM 4.10.2.3: no TLB entry is made unless A is 1 in every entry
	 * used, and the CPU sets A before caching. A PTE the guest changes
	 * while A=0, with no walk having set it, left nothing to go stale. */
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | X86_PTE_P | X86_PTE_RW);
	start(0, &s, 0, 0);
	guest_sets(&s, pte, PAGE_B | LEAF);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, READ, PAGE_B));

	/* Once the MMU set A for a walk, that value may be cached. */
	struct smmu_access acc = { .la = LA, .flags = READ };
	guest_sets(&s, pte, PAGE_C | X86_PTE_P | X86_PTE_RW);
	cr_expect(mmu_sets(&s, 0, pte, rd(&s, pte) | X86_PTE_A, &acc), "%s",
		  why.why);
	guest_sets(&s, pte, PAGE_D | LEAF);
	ALLOWED(sees(0, LA, READ, PAGE_C));
}

Test(ref_model, mmu_may_only_set_a_and_d_on_the_in_flight_walk)
{
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | X86_PTE_P | X86_PTE_RW);
	uint64_t other = map(&s, LA2, 1, PAGE_C | X86_PTE_P | X86_PTE_RW);
	uint64_t pde = entry(&s, LA, 2);
	uint64_t pml4e = entry(&s, LA, 4);
	struct space s1 = space(M4L);
	map(&s1, LA, 1, PAGE_B | LEAF);
	start(0, &s, 0, 0);
	start(1, &s1, 0, 0);
	struct smmu_access racc = { .la = LA, .flags = READ };
	struct smmu_access wacc = { .la = LA, .flags = WRITE };
	uint64_t v = rd(&s, pte);

	FORBIDDEN(mmu_sets(&s, 0, pte, v | X86_PTE_D, &racc)); /* D, read */
	guest_sets(&s, pte, v);
	FORBIDDEN(mmu_sets(&s, 0, pte, v | X86_PTE_A, NULL)); /* no access */
	guest_sets(&s, pte, v);
	/* A slot that no walk of LA uses; a bit other than A/D. */
	FORBIDDEN(mmu_sets(&s, 0, other, rd(&s, other) | X86_PTE_A, &racc));
	FORBIDDEN(mmu_sets(&s, 0, pte, v | X86_PTE_A | X86_PTE_US, &racc));
	guest_sets(&s, pte, v);
	/* Clearing A; D in an entry that maps no page. */
	FORBIDDEN(mmu_sets(&s, 0, pml4e, rd(&s, pml4e) & ~X86_PTE_A, &racc));
	guest_sets(&s, pml4e, rd(&s, pml4e) | X86_PTE_A);
	FORBIDDEN(mmu_sets(&s, 0, pde, rd(&s, pde) | X86_PTE_D, &wacc));
	guest_sets(&s, pde, rd(&s, pde) & ~X86_PTE_D);
	/* vCPU 1 runs other tables: LA's entries are not on its walk. */
	FORBIDDEN(mmu_sets(&s, 1, pte, v | X86_PTE_A, &racc));
	guest_sets(&s, pte, v);

	ALLOWED(mmu_sets(&s, 0, pte, v | X86_PTE_A, &racc));
	ALLOWED(mmu_sets(&s, 0, pte, v | X86_PTE_A | X86_PTE_D, &wacc));
	FORBIDDEN(mmu_sets(&s, 0, pte, v | X86_PTE_A, &wacc)); /* clears D */
}

Test(ref_model, cmpxchg_with_a_stale_old_value_changes_nothing)
{
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | X86_PTE_P);
	start(0, &s, 0, 0);
	struct smmu_access racc = { .la = LA, .flags = READ };
	bool allowed = false;
	cr_expect_eq(ref_model_cmpxchg(m, 0, pte, 8, PAGE_B | X86_PTE_P,
				       PAGE_B | X86_PTE_P | X86_PTE_A, &racc,
				       &why, &allowed),
		     SMMU_GPA_CHANGED);
	cr_expect(allowed);
	cr_expect_eq(rd(&s, pte), PAGE_A | X86_PTE_P);
	cr_expect_eq(ref_model_cmpxchg(m, 0, RAM_SIZE, 8, 0, X86_PTE_A, &racc,
				       &why, &allowed),
		     SMMU_GPA_NOT_RAM);
}

/* ---- 4.10.3 paging-structure caches ---- */

Test(ref_model, repointed_pde_may_still_lead_to_the_old_page_table)
{
	/* PT1: LA -> A, LA2 and LA3 not present. PT2: LA -> B, LA2 -> C,
	 * LA3 -> D. The PDE moves from PT1 to PT2 without invalidation. */
	struct space s = space(M4L);
	map(&s, LA, 1, PAGE_A | LEAF);
	uint64_t pde = entry(&s, LA, 2);
	uint64_t pt2 = new_table();
	smmu_posix_ram_write64(&ram, pt2 + 8 * idx(&s, LA, 1), PAGE_B | LEAF);
	smmu_posix_ram_write64(&ram, pt2 + 8 * idx(&s, LA2, 1), PAGE_C | LEAF);
	smmu_posix_ram_write64(&ram, pt2 + 8 * idx(&s, LA3, 1), PAGE_D | LEAF);
	start(0, &s, 0, 0);
	guest_sets(&s, pde, pt2 | TABLE);
	EXPECT_NOW_GPA(0, LA2, READ, PAGE_C);

	ALLOWED(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, READ, PAGE_B));
	ALLOWED(sees(0, LA2, READ, PAGE_C));
	/* A cached PDE leads to PT1, whose entry is not present. */
	ALLOWED(faults(0, LA2, READ, 0));
	/* That #PF invalidated the PDE-cache entries for LA2. */
	FORBIDDEN(faults(0, LA2, READ, 0));

	ref_model_invlpg(m, 0, LA3);
	FORBIDDEN(faults(0, LA3, READ, 0));
	ALLOWED(sees(0, LA3, READ, PAGE_D));
	ref_model_invlpg(m, 0, LA);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, READ, PAGE_B));
}

Test(ref_model, invlpg_invalidates_paging_structure_caches_for_all_addresses)
{
	/* SDM 4.10.4.1: "INVLPG also invalidates all entries in all
	 * paging-structure caches associated with the current PCID,
	 * regardless of the linear addresses to which they correspond." */
	struct space s = space(M4L);
	map(&s, LA, 1, PAGE_A | LEAF);
	uint64_t pde = entry(&s, LA, 2);
	uint64_t pt2 = new_table();
	smmu_posix_ram_write64(&ram, pt2 + 8 * idx(&s, LA3, 1), PAGE_D | LEAF);
	start(0, &s, 0, 0);
	guest_sets(&s, pde, pt2 | TABLE);
	ref_model_invlpg(m, 0, LA);
	FORBIDDEN(faults(0, LA3, READ, 0));
	ALLOWED(sees(0, LA3, READ, PAGE_D));
}

Test(ref_model, stale_levels_combine_in_any_order)
{
	/* Documented permissiveness (ref_model.h): the model does not track
	 * in which order cached levels were filled. PT2's entry for LA
	 * changed from B to C before the PDE pointed at PT2, so no CPU ever
	 * walked PDE -> PT2 -> B; the model still allows it. */
	struct space s = space(M4L);
	map(&s, LA, 1, PAGE_A | LEAF);
	uint64_t pde = entry(&s, LA, 2);
	uint64_t pt2 = new_table();
	uint64_t pte2 = pt2 + 8 * idx(&s, LA, 1);
	smmu_posix_ram_write64(&ram, pte2, PAGE_B | LEAF);
	start(0, &s, 0, 0);
	guest_sets(&s, pte2, PAGE_C | LEAF);
	guest_sets(&s, pde, pt2 | TABLE);
	ALLOWED(sees(0, LA, READ, PAGE_B));
	ref_model_invlpg(m, 0, LA);
	FORBIDDEN(sees(0, LA, READ, PAGE_B));
}

/* ---- faults from the values in memory while the access ran ---- */

Test(ref_model, fault_may_come_from_a_value_replaced_during_the_access)
{
	struct space s = space(M4L);
	map(&s, LA3, 1, PAGE_C | LEAF);
	uint64_t p1 = entry(&s, LA, 1), p2 = entry(&s, LA2, 1);
	start(0, &s, 0, 0);

	uint64_t before = ref_model_now(m);
	guest_sets(&s, p1, PAGE_A | LEAF);
	guest_sets(&s, p2, PAGE_B | LEAF);
	uint64_t after = ref_model_now(m);
	ALLOWED(check(0, LA, READ, before, true, 0));
	FORBIDDEN(check(0, LA2, READ, after, true, 0));
}

Test(ref_model, rights_fault_may_come_from_a_value_replaced_during_the_access)
{
	struct space s = space(M4L);
	uint64_t p1 = map(&s, LA, 1, PAGE_A | RO);
	uint64_t p2 = map(&s, LA2, 1, PAGE_B | RO);
	start(0, &s, 0, 0);

	uint64_t before = ref_model_now(m);
	guest_sets(&s, p1, PAGE_A | LEAF);
	guest_sets(&s, p2, PAGE_B | LEAF);
	ref_model_invlpg(m, 0, LA);
	ref_model_invlpg(m, 0, LA2);
	uint64_t after = ref_model_now(m);
	ALLOWED(check(0, LA, WRITE, before, true, PFERR_P | PFERR_W));
	FORBIDDEN(check(0, LA2, WRITE, after, true, PFERR_P | PFERR_W));
}

/* ---- 4.10.4.1 MOV to CR0, EFER.NXE; paging off ---- */

Test(ref_model, clearing_cr0_pg_invalidates_everything)
{
	struct space s = space(M32);
	uint64_t pte = map(&s, LA, 1, PAGE_A | LEAF);
	uint64_t gpte = map(&s, LA_G, 1, PAGE_C | LEAF | X86_PTE_G);
	start(0, &s, 0, X86_CR4_PGE);
	guest_sets(&s, pte, PAGE_B | LEAF);
	guest_sets(&s, gpte, PAGE_D | LEAF | X86_PTE_G);

	/* A MOV to CR0 that keeps PG invalidates nothing. */
	uint64_t cr0 = cur[0].cr0;
	mov_cr0(0, cr0 & ~X86_CR0_WP);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA_G, READ, PAGE_C));

	mov_cr0(0, cr0 & ~X86_CR0_PG);
	EXPECT_NOW_GPA(0, LA + 0x10, READ, LA + 0x10);
	ALLOWED(sees(0, LA + 0x10, READ, LA + 0x10));
	ALLOWED(sees(0, LA + 0x10, WRITE | SMMU_ACCESS_USER, LA + 0x10));
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(faults(0, LA, READ, 0));
	/* Linear addresses are 32 bits outside IA-32e mode. */
	ALLOWED(sees(0, 0x123456789ull, READ, 0x23456789ull));
	FORBIDDEN(sees(0, 0x123456789ull, READ, 0x123456789ull));

	mov_cr0(0, cr0);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(sees(0, LA_G, READ, PAGE_C));
	ALLOWED(sees(0, LA, READ, PAGE_B));
	ALLOWED(sees(0, LA_G, READ, PAGE_D));
}

Test(ref_model, nothing_is_cached_while_paging_is_off)
{
	/* Entries changed while CR0.PG=0 were never walked: after paging
	 * is enabled again only the new values translate. */
	struct space s = space(M32);
	uint64_t pte = map(&s, LA, 1, PAGE_A | LEAF);
	uint64_t gpte = map(&s, LA_G, 1, PAGE_C | LEAF | X86_PTE_G);
	start(0, &s, 0, X86_CR4_PGE);
	uint64_t cr0 = cur[0].cr0;
	mov_cr0(0, cr0 & ~X86_CR0_PG);
	guest_sets(&s, pte, PAGE_B | LEAF);
	guest_sets(&s, gpte, PAGE_D | LEAF | X86_PTE_G);
	mov_cr0(0, cr0);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(sees(0, LA_G, READ, PAGE_C));
	ALLOWED(sees(0, LA, READ, PAGE_B));
	ALLOWED(sees(0, LA_G, READ, PAGE_D));
}

Test(ref_model, changing_efer_nxe_invalidates_everything)
{
	/* The model's one documented strictness: not an SDM invalidation. */
	struct space s = space(M4L);
	uint64_t pte = map(&s, LA, 1, PAGE_A | LEAF);
	uint64_t gpte = map(&s, LA_G, 1, PAGE_C | LEAF | X86_PTE_G);
	start(0, &s, 0, X86_CR4_PGE);
	guest_sets(&s, pte, PAGE_B | LEAF);
	guest_sets(&s, gpte, PAGE_D | LEAF | X86_PTE_G);
	wrmsr_efer(0, cur[0].efer | X86_EFER_SCE);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA_G, READ, PAGE_C));
	wrmsr_efer(0, cur[0].efer | X86_EFER_NXE);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(sees(0, LA_G, READ, PAGE_C));
	ALLOWED(sees(0, LA, READ, PAGE_B));
}

/* ---- other paging modes ---- */

Test(ref_model, stale_32bit_pte_until_invlpg)
{
	/* 4-byte entries: LA and LA2 share an 8-byte slot. */
	struct space s = space(M32);
	uint64_t pte = map(&s, LA, 1, PAGE_A | LEAF);
	map(&s, LA2, 1, PAGE_C | LEAF);
	cr_assert_eq(pte & ~7ull, entry(&s, LA2, 1) & ~7ull);
	start(0, &s, 0, 0);
	guest_sets(&s, pte, PAGE_B | LEAF);
	EXPECT_NOW_GPA(0, LA, READ, PAGE_B);
	EXPECT_NOW_GPA(0, LA2, READ, PAGE_C);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA2, READ, PAGE_C));
	FORBIDDEN(sees(0, LA2, READ, PAGE_A));
	ref_model_invlpg(m, 0, LA);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, READ, PAGE_B));
}

Test(ref_model, invlpg_anywhere_in_a_4m_page_invalidates_it)
{
	struct space s = space(M32);
	uint64_t pde = map(&s, LA_4M, 2, BIG_A | LEAF | X86_PTE_PS);
	start(0, &s, 0, X86_CR4_PSE);
	guest_sets(&s, pde, BIG_B | LEAF | X86_PTE_PS);
	EXPECT_NOW_GPA(0, LA_4M + 0x345678, READ, BIG_B + 0x345678);
	ALLOWED(sees(0, LA_4M + 0x345678, READ, BIG_A + 0x345678));
	ref_model_invlpg(m, 0, LA_4M + 0x3ff000);
	FORBIDDEN(sees(0, LA_4M + 0x345678, READ, BIG_A + 0x345678));
	ALLOWED(sees(0, LA_4M + 0x345678, READ, BIG_B + 0x345678));
}

Test(ref_model, mmu_sets_accessed_with_4_byte_cmpxchg_in_32bit_paging)
{
	struct space s = space(M32);
	uint64_t pte = map(&s, LA, 1, PAGE_A | X86_PTE_P | X86_PTE_RW);
	map(&s, LA2, 1, PAGE_C | X86_PTE_P);
	start(0, &s, 0, 0);
	struct smmu_access acc = { .la = LA, .flags = READ };
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(mmu_sets(&s, 0, entry(&s, LA2, 1),
			   rd(&s, entry(&s, LA2, 1)) | X86_PTE_A, &acc));
	ALLOWED(mmu_sets(&s, 0, pte, rd(&s, pte) | X86_PTE_A, &acc));
	ALLOWED(sees(0, LA, READ, PAGE_A));
	EXPECT_NOW_GPA(0, LA2, READ, PAGE_C);
}

Test(ref_model, stale_pae_pte_until_invlpg)
{
	struct space s = space(MPAE);
	uint64_t pte = map(&s, LA, 1, PAGE_A | LEAF);
	start(0, &s, 0, 0);
	guest_sets(&s, pte, PAGE_B | LEAF);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	ref_model_invlpg(m, 0, LA);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, READ, PAGE_B));
}

Test(ref_model, pae_translates_through_the_pdpte_registers)
{
	/* SDM 4.4.1: PAE paging uses the PDPTE registers loaded by MOV CR3,
	 * not the PDPT in memory. */
	struct space s = space(MPAE);
	map(&s, LA, 1, PAGE_A | LEAF);
	uint64_t pdpte = entry(&s, LA, 3);
	struct space other = space(MPAE);
	map(&other, LA, 1, PAGE_B | LEAF);
	start(0, &s, 0, 0);
	guest_sets(&s, pdpte,
		   smmu_posix_ram_read64(&ram, entry(&other, LA, 3)));
	EXPECT_NOW_GPA(0, LA, READ, PAGE_A);
	ALLOWED(sees(0, LA, READ, PAGE_A));
	FORBIDDEN(sees(0, LA, READ, PAGE_B));

	mov_cr3(0, &s, 0, false); /* reloads the PDPTEs */
	EXPECT_NOW_GPA(0, LA, READ, PAGE_B);
	FORBIDDEN(sees(0, LA, READ, PAGE_A));
	ALLOWED(sees(0, LA, READ, PAGE_B));
}

Test(ref_model, stale_5level_pte_until_invlpg)
{
	const uint64_t la = 0x00ff123440000000ull; /* needs bits 56:48 */
	struct space s = space(M5L);
	uint64_t pte = map(&s, la, 1, PAGE_A | LEAF);
	start(0, &s, 0, 0);
	guest_sets(&s, pte, PAGE_B | LEAF);
	ALLOWED(sees(0, la, READ, PAGE_A));
	ref_model_invlpg(m, 0, la);
	FORBIDDEN(sees(0, la, READ, PAGE_A));
	ALLOWED(sees(0, la, READ, PAGE_B));
}
