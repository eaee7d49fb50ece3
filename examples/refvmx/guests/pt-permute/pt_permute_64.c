/* SPDX-License-Identifier: MIT */
/*
 * pt-permute, 64-bit stage: 4-level paging with the test page's
 * directory and table entries under the guest's control, ring 3 through
 * the runtime's user segments, then every permutation (permute.h).
 * Each access starts from a fresh translation (the entries rewritten,
 * INVLPG), so the CPU must walk the guest's entries as they are, and
 * ends with the entries' A/D bits checked: after a completed access the
 * directory entry and the leaf are accessed and the leaf is dirty iff it
 * was or the access wrote; a faulting access leaves D as it was. The six
 * accesses then run again in a row on one translation, which the CPU
 * checks as cached (run_cached).
 *
 * The command line picks the size: "full" runs every control setting;
 * by default only those with EFLAGS.AC clear (AC only ever lifts SMAP's
 * checks), half the rounds; "quick" only those with CR0.WP and EFER.NXE
 * set, a quarter of that. A digest of every outcome (# digest)
 * lets two runs be compared: natively and under refvmx it must be the
 * same.
 */
#include "address_space.h"
#include "cpu.h"
#include "descriptors64.h"
#include "layout.h"
#include "paging_enter.h"
#include "permute.h"
#include "report.h"
#include "stage.h"
#include "trap.h"

#define TEST_4K	    0x40000000ul /* its PDE and PTE are permuted */
#define TEST_2M	    0x40200000ul /* its PDE is a permuted 2 MiB leaf */
#define USER_STUB   0x50000000ul /* ring 3's code */
#define USER_STACK  0x50001000ul
#define FRAME_4K    (LAYOUT_DATA_PAGES_END - 0x3000)
#define STUB_FRAME  (LAYOUT_DATA_PAGES_END - 0x5000)
#define STACK_FRAME (LAYOUT_DATA_PAGES_END - 0x4000)
#define FRAME_2M    LAYOUT_LARGE_FRAME_A
#define RET	    0xc3
#define CR0_WP	    (1ul << 16)
#define EFER_NXE    (1ull << 11)
#define EFLAGS_AC   (1ul << 18)
#define VEC_BACK    0x82

uint64_t do_access(uint64_t kind, uint64_t addr, uint64_t user,
		   uint64_t rflags);
void access_pf_entry(void);
void access_back_entry(void);
extern uint64_t access_error, access_cr2;
extern const char user_stub[], user_stub_end[];

static uint8_t idt[256 * 16] __attribute__((aligned(16)));
static uint8_t ring0_stack[8192] __attribute__((aligned(16)));
static struct address_space as;
static volatile uint64_t *pde_4k, *pte_4k, *pde_2m;
static uint64_t rsvd_mask;

/* Outcomes so far: counts and a digest over all of them (FNV-1a). */
static uint64_t accesses, mismatches, digest = 0xcbf29ce484222325ull;

static void hash(uint64_t v)
{
	for (unsigned i = 0; i < 8; i++) {
		digest ^= (v >> (8 * i)) & 0xff;
		digest *= 0x100000001b3ull;
	}
}

static void setup(void)
{
	pt_pool_reset();
	as_init(&as, &paging_4level);
	as_map_identity(&as, LAYOUT_IDENTITY_END, 2);
	const uint64_t user_rw = X86_PTE_P | X86_PTE_RW | X86_PTE_US;
	as_map(&as, USER_STUB, STUB_FRAME, 1, X86_PTE_P | X86_PTE_US);
	as_map(&as, USER_STACK, STACK_FRAME, 1, user_rw);
	pte_4k = as_map(&as, TEST_4K, FRAME_4K, 1, user_rw);
	pde_4k = as_entry(&as, TEST_4K, 2);
	pde_2m = as_map(&as, TEST_2M, FRAME_2M, 2, user_rw);
	/* Above the permuted levels everything allows everything. */
	uint64_t *upper[] = { as_entry(&as, TEST_4K, 4),
			      as_entry(&as, TEST_4K, 3),
			      as_entry(&as, USER_STUB, 4),
			      as_entry(&as, USER_STUB, 3),
			      as_entry(&as, USER_STUB, 2) };
	for (unsigned i = 0; i < 5; i++)
		*upper[i] |= X86_PTE_US;
	volatile uint8_t *stub = (volatile uint8_t *)STUB_FRAME;
	for (const char *c = user_stub; c < user_stub_end; c++)
		stub[c - user_stub] = (uint8_t)*c;
	*(volatile uint8_t *)FRAME_4K = RET;
	*(volatile uint8_t *)FRAME_2M = RET;
	paging_enter(&as);

	descriptors64_load((uintptr_t)(ring0_stack + sizeof(ring0_stack)), 0);
	idt64_set_gate(idt, 14, access_pf_entry, 0, 0);
	idt64_set_gate(idt, VEC_BACK, access_back_entry, 3, 0);
	idt64_load(idt);
}

static void apply(const struct controls *c)
{
	unsigned long cr0 = read_cr0(), cr4 = read_cr4();
	cr0 = c->wp ? cr0 | CR0_WP : cr0 & ~CR0_WP;
	cr4 = c->smep ? cr4 | X86_CR4_SMEP : cr4 & ~X86_CR4_SMEP;
	cr4 = c->smap ? cr4 | X86_CR4_SMAP : cr4 & ~X86_CR4_SMAP;
	write_cr0(cr0);
	write_cr4(cr4);
	uint64_t efer = rdmsr(X86_MSR_EFER);
	wrmsr(X86_MSR_EFER, c->nxe ? efer | EFER_NXE : efer & ~EFER_NXE);
}

/* One access on entries just written; true if it matched the model. */
static bool run_one(const struct permutation *p, const char **why,
		    struct outcome *got)
{
	uintptr_t va = p->large ? TEST_2M : TEST_4K;
	volatile uint64_t *leaf = p->large ? pde_2m : pte_4k;
	uint64_t leaf_before = p->large ? p->pde : p->pte;
	/* A and D as the permutation says, whatever the last access did. */
	*leaf = leaf_before;
	invlpg(va);
	got->fault = do_access(p->kind, va, p->user,
			       0x2 | (p->ctl->ac ? EFLAGS_AC : 0));
	got->error = got->fault ? (uint32_t)access_error : 0;
	uint64_t leaf_after = *leaf, dir_after = *(p->large ? pde_2m : pde_4k);
	struct outcome want = model_access(p, rsvd_mask);
	hash(got->fault | (uint64_t)got->error << 1 | leaf_after << 16);
	*why = 0;
	if (got->fault != want.fault || got->error != want.error)
		*why = "the #PF (or its absence)";
	else if (got->fault &&
		 access_cr2 != va + (p->kind == ACCESS_FETCH ? 0 : 0x100))
		*why = "CR2";
	else if (!got->fault &&
		 (!(dir_after & X86_PTE_A) || !(leaf_after & X86_PTE_A) ||
		  !!(leaf_after & X86_PTE_D) != ((leaf_before & X86_PTE_D) ||
						 p->kind == ACCESS_WRITE)))
		*why = "A/D after the access";
	else if (got->fault &&
		 (leaf_after & X86_PTE_D) != (leaf_before & X86_PTE_D))
		*why = "D after a faulting access";
	return !*why;
}

static void note_mismatch(const struct permutation *p, const char *why,
			  const struct outcome *got)
{
	struct outcome want = model_access(p, rsvd_mask);
	if (++mismatches > 8)
		return;
	report_note("mismatch (%s): pde 0x%llx pte 0x%llx %s %s %s, WP %u "
		    "NXE %u SMEP %u SMAP %u AC %u: got %s 0x%x, model %s 0x%x",
		    why, (unsigned long long)p->pde,
		    (unsigned long long)(p->large ? 0 : p->pte),
		    p->large ? "2M" : "4K",
		    p->kind == ACCESS_READ    ? "read"
		    : p->kind == ACCESS_WRITE ? "write"
					      : "fetch",
		    p->user ? "user" : "supervisor", p->ctl->wp, p->ctl->nxe,
		    p->ctl->smep, p->ctl->smap, p->ctl->ac,
		    got->fault ? "#PF" : "ok", got->error,
		    want.fault ? "#PF" : "ok", want.error);
}

/* The six accesses again, in a row, on the translation the first of
 * them loaded: nothing changed, so each must end as the model says
 * (SDM 4.10.2: a cached translation has the rights of the entries it
 * came from). Here the CPU checks them against what it cached (under a
 * shadow MMU: the shadow entries, with the real CR0.WP, SMEP, SMAP), not
 * a fresh walk. User accesses come first, so that supervisor ones meet
 * the translations they loaded (SMAP, SMEP). D is set once a write
 * completed. */
static void run_cached(struct permutation *p)
{
	uintptr_t va = p->large ? TEST_2M : TEST_4K;
	volatile uint64_t *leaf = p->large ? pde_2m : pte_4k;
	uint64_t leaf_before = p->large ? p->pde : p->pte;
	bool wrote = false;
	*leaf = leaf_before;
	invlpg(va);
	for (unsigned k = 0; k < 6; k++) {
		struct outcome got;
		p->kind = (enum access_kind)(k % 3);
		p->user = k >= 3;
		accesses++;
		p->user = k < 3;
		got.fault = do_access(p->kind, va, p->user,
				      0x2 | (p->ctl->ac ? EFLAGS_AC : 0));
		got.error = got.fault ? (uint32_t)access_error : 0;
		wrote = wrote || (!got.fault && p->kind == ACCESS_WRITE);
		uint64_t after = *leaf;
		struct outcome want = model_access(p, rsvd_mask);
		hash(got.fault | (uint64_t)got.error << 1 | after << 16);
		if (got.fault != want.fault || got.error != want.error)
			note_mismatch(p, "the #PF on a cached translation",
				      &got);
		else if (!!(after & X86_PTE_D) !=
			 ((leaf_before & X86_PTE_D) || wrote))
			note_mismatch(p, "D on a cached translation", &got);
	}
}

/* Six accesses (read, write, fetch; supervisor, user) on one pair of
 * entries, each from a fresh translation, then all six on one. */
static void run_accesses(struct permutation *p)
{
	for (unsigned k = 0; k < 6; k++) {
		const char *why;
		struct outcome got;
		p->kind = (enum access_kind)(k % 3);
		p->user = k >= 3;
		accesses++;
		if (!run_one(p, &why, &got))
			note_mismatch(p, why, &got);
	}
	run_cached(p);
}

/* The flags the permutations take: P, R/W, U/S, A (and D, XD) in every
 * combination, and optionally the reserved bit. */
static uint64_t flags_of(unsigned bits, bool leaf)
{
	uint64_t f = 0;
	f |= (bits & 1) ? X86_PTE_P : 0;
	f |= (bits & 2) ? X86_PTE_RW : 0;
	f |= (bits & 4) ? X86_PTE_US : 0;
	f |= (bits & 8) ? X86_PTE_A : 0;
	f |= (bits & 16) ? X86_PTE_XD : 0;
	f |= (leaf && (bits & 32)) ? X86_PTE_D : 0;
	return f;
}

static void run_round(const struct controls *c)
{
	apply(c);
	struct permutation p = { .ctl = c };
	uint64_t rsvd_choices = rsvd_mask ? 2 : 1;
	uintptr_t pt = (uintptr_t)(*pde_4k & 0x000ffffffffff000ull);
	/* 4 KiB: directory entry (32) x its reserved bit x table entry (64)
	 * x its reserved bit (unless the directory's faults first). */
	p.large = false;
	for (unsigned d = 0; d < 32; d++) {
		for (uint64_t rd = 0; rd < rsvd_choices; rd++) {
			p.pde = pt | flags_of(d, false) |
				(rd ? rsvd_mask & -rsvd_mask : 0);
			*pde_4k = p.pde;
			for (unsigned t = 0; t < 64; t++) {
				for (uint64_t rt = 0; rt < rsvd_choices - rd;
				     rt++) {
					p.pte = FRAME_4K | flags_of(t, true) |
						(rt ? rsvd_mask & -rsvd_mask
						    : 0);
					run_accesses(&p);
				}
			}
		}
	}
	/* 2 MiB leaves: the directory entry alone (64) x its reserved bit. */
	p.large = true;
	for (unsigned d = 0; d < 64; d++) {
		for (uint64_t rd = 0; rd < rsvd_choices; rd++) {
			p.pde = FRAME_2M | X86_PTE_PS | flags_of(d, true) |
				(rd ? rsvd_mask & -rsvd_mask : 0);
			*pde_2m = p.pde;
			run_accesses(&p);
		}
	}
	*pde_4k = pt | X86_PTE_P | X86_PTE_RW | X86_PTE_US;
	*pde_2m = FRAME_2M | X86_PTE_PS | X86_PTE_P | X86_PTE_RW | X86_PTE_US;
}

/* Identity-map the 2 MiB around gpa (a loader may put its information
 * anywhere below 4 GiB), read-only. */
static void map_loader_data(uint64_t gpa)
{
	uint64_t base = gpa & ~(X86_PAGE_SIZE_2M - 1);
	if (base >= LAYOUT_IDENTITY_END)
		as_map(&as, base, base, 2, X86_PTE_P);
	write_cr3(read_cr3());
}

enum run_size { RUN_QUICK, RUN_DEFAULT, RUN_FULL };

static bool has_word(const char *s, const char *w)
{
	for (; *s; s++) {
		unsigned i = 0;
		while (w[i] && s[i] == w[i])
			i++;
		if (!w[i])
			return true;
	}
	return false;
}

/* The Multiboot 1 command line: "full", "quick" or neither. */
static enum run_size run_size(const struct boot_entry *entry)
{
	const uint32_t *info = (const uint32_t *)(uintptr_t)entry->info;
	if (entry->magic != 0x2badb002u)
		return RUN_DEFAULT;
	map_loader_data(entry->info);
	if (!(info[0] & 4))
		return RUN_DEFAULT;
	map_loader_data(info[4]);
	const char *s = (const char *)(uintptr_t)info[4];
	return has_word(s, "full")    ? RUN_FULL
	       : has_word(s, "quick") ? RUN_QUICK
				      : RUN_DEFAULT;
}

extern struct boot_entry boot_entry; /* boot.S */

void stage64_main(struct report_totals *totals)
{
	struct cpu_caps caps;
	report_init(totals, "pt-permute");
	trap_init();
	cpu_caps_read(&caps);
	uint32_t r[4];
	cpuid(7, 0, r);
	bool has_smep = r[1] & (1u << 7), has_smap = r[1] & (1u << 20);
	if (caps.maxphyaddr < 52)
		rsvd_mask = (1ull << 52) - (1ull << caps.maxphyaddr);
	setup();
	enum run_size size = run_size(&boot_entry);
	report_mode("4-level");
	uint64_t start = rdtsc();
	unsigned rounds = 0;
	for (unsigned m = 0; m < 32; m++) {
		struct controls c = { m & 1, m & 2, m & 4, m & 8, m & 16 };
		if ((c.smep && !has_smep) || (c.smap && !has_smap) ||
		    (c.nxe && !caps.nx))
			continue;
		if (size != RUN_FULL && c.ac)
			continue;
		if (size == RUN_QUICK && (!c.wp || c.nxe != caps.nx))
			continue;
		run_round(&c);
		rounds++;
	}
	apply(&(struct controls){ .wp = true, .nxe = caps.nx });
	report_note("digest 0x%016llx over %llu accesses in %u rounds (%s), "
		    "%llu TSC cycles",
		    (unsigned long long)digest, (unsigned long long)accesses,
		    rounds,
		    size == RUN_FULL	? "full"
		    : size == RUN_QUICK ? "quick"
					: "default",
		    (unsigned long long)(rdtsc() - start));
	if (!mismatches && accesses)
		report_pass("permutations-match-the-model");
	else
		report_fail("permutations-match-the-model",
			    "%llu of %llu accesses differ from the model",
			    (unsigned long long)mismatches,
			    (unsigned long long)accesses);
	report_finish();
}
