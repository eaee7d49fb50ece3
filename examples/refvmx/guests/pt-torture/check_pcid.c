/* SPDX-License-Identifier: MIT */
/*
 * Process-context identifiers (SDM vol. 3A, 4.10.1, 4.10.4) and INVPCID
 * (vol. 2B), in IA-32e mode: two address spaces map SLOT_PCID to
 * different pages, the checks' own space ("home") under PCID 1 and a
 * second one ("other") under PCID 2, and the checks switch between them
 * with and without NOFLUSH (CR3 bit 63).
 *
 * What is checked is what the architecture guarantees: a translation is
 * used only under the PCID it was cached for (global ones apart), an
 * unchanged entry reads the same across NOFLUSH switches, and after
 * every invalidation that covers an address in a PCID — MOV CR3 without
 * NOFLUSH, INVLPG, INVPCID of each type, CR4.PCIDE 1 -> 0 — the new
 * mapping is seen there. A changed entry that nothing invalidated may
 * read old or new; which one is a note, never a verdict.
 *
 * The group leaves CR4.PCIDE = 0 and CR3 = the home root, as it found
 * them: leaving IA-32e mode (for 5-level paging) needs PCIDE = 0.
 */
#include "torture.h"

#include "expect.h"
#include "fault_probe.h"
#include "insn_probe.h"
#include "report.h"

#define PCID_HOME  1ul
#define PCID_OTHER 2ul
#define NOFLUSH	   X86_CR3_NOFLUSH

/* The second address space, built at the group's first check of a
 * mode. */
static struct address_space other;

static unsigned long home_cr3(const struct torture *t, bool noflush)
{
	return t->as.root | PCID_HOME | (noflush ? NOFLUSH : 0);
}

static unsigned long other_cr3(bool noflush)
{
	return other.root | PCID_OTHER | (noflush ? NOFLUSH : 0);
}

static void *home_pte(struct torture *t, enum slot s)
{
	return as_entry(&t->as, slot_va(t, s), 1);
}

static void *other_pte(struct torture *t)
{
	return as_entry(&other, slot_va(t, SLOT_PCID), 1);
}

/* Point a leaf at a page with a fresh marker; returns the marker. */
static uint32_t remap(struct torture *t, void *pte, enum data_page p,
		      uint64_t flags)
{
	uint32_t m = mark(page_pa(p));

	pte_write(t->as.mode, pte, page_pa(p) | flags);
	return m;
}

/* CR4.PCIDE = 1 with CR3 = home under PCID 1, loaded without NOFLUSH so
 * that PCID 1 holds nothing older. false (with a FAIL line) if the CPU
 * refused. */
static bool pcid_on(struct torture *t, const char *check)
{
	unsigned long cr4 = read_cr4();

	if (!(cr4 & X86_CR4_PCIDE)) {
		unsigned v;

		write_cr3(t->as.root); /* PCID 0: the one PCIDE may start in */
		v = try_write_cr4(cr4 | X86_CR4_PCIDE);
		if (v || !(read_cr4() & X86_CR4_PCIDE)) {
			report_fail(check,
				    "MOV to CR4 setting PCIDE with CR3 0x%lx: "
				    "vector %u, CR4 0x%lx",
				    read_cr3(), v, read_cr4());
			return false;
		}
	}
	write_cr3(home_cr3(t, false));
	return true;
}

/* CR3 reads back as loaded, without bit 63 (which MOV to CR3 never
 * stores, SDM vol. 2B). */
static bool expect_cr3(const char *check, unsigned long want)
{
	unsigned long cr3 = read_cr3();

	if (cr3 == (want & ~NOFLUSH))
		return true;
	report_fail(check, "CR3 reads 0x%lx after loading 0x%lx", cr3, want);
	return false;
}

/* A read that may give either of two markers (an entry changed that
 * nothing invalidated); a note says which. */
static bool expect_either(const char *check, uintptr_t va, uint32_t old,
			  uint32_t now)
{
	struct fault f;
	uint32_t got;

	if (probe_read(va, &got, &f)) {
		report_fail(check,
			    "read at %p faulted: vector %lu, error 0x%lx, "
			    "cr2 %p",
			    (void *)va, f.vector, f.error, (void *)f.cr2);
		return false;
	}
	if (got != old && got != now) {
		report_fail(check,
			    "read at %p gave 0x%08x, expected 0x%08x (old) or "
			    "0x%08x (new)",
			    (void *)va, got, old, now);
		return false;
	}
	report_note("%s: the unflushed change read as the %s mapping", check,
		    got == old ? "old (cached)" : "new");
	return true;
}

/* ---- INVPCID with PCIDE = 0 ---- */

static bool expect_invpcid_gp(const char *check, unsigned long type,
			      uint64_t pcid, uint64_t la, const char *what)
{
	unsigned v = try_invpcid(type, pcid, la);

	if (v == VEC_GP)
		return true;
	report_fail(check,
		    "INVPCID %s (type %lu, PCID 0x%llx, address 0x%llx)"
		    ": vector %u, expected #GP",
		    what, type, (unsigned long long)pcid,
		    (unsigned long long)la, v);
	return false;
}

/* SDM vol. 2B, INVPCID, protected- and 64-bit-mode exceptions. */
static void check_invpcid_gp(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_PCID);
	/* Bit 47 set, bits 63:48 clear: not canonical with 4-level
	 * paging; with 5-level, bit 56 set, bits 63:57 clear. */
	uint64_t noncanonical =
		t->as.mode->levels == 5 ? 1ull << 56 : 1ull << 47;

	if (expect_invpcid_gp(check, 4, 0, 0, "of a type above 3") &&
	    expect_invpcid_gp(check, ~0ul, 0, 0, "of type all-ones") &&
	    expect_invpcid_gp(check, 0, PCID_HOME, va,
			      "type 0 of a PCID other than 0 with PCIDE = 0") &&
	    expect_invpcid_gp(check, 1, PCID_HOME, 0,
			      "type 1 of a PCID other than 0 with PCIDE = 0") &&
	    expect_invpcid_gp(check, 1, 1ull << 12, 0,
			      "with descriptor bit 12 set") &&
	    expect_invpcid_gp(check, 2, 1ull << 63, 0,
			      "with descriptor bit 63 set") &&
	    expect_invpcid_gp(check, 0, 0, noncanonical,
			      "type 0 of a non-canonical address"))
		report_pass(check);
}

/* PCIDE = 0: INVPCID type 0 of PCID 0 invalidates the address, type 3
 * every non-global translation. */
static void check_invpcid_without_pcide(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_PCID) + PROBE_OFFSET;
	void *pte = home_pte(t, SLOT_PCID);
	uint32_t a = remap(t, pte, PAGE_A, LEAF_RW);
	uint32_t b, c;

	invlpg(va);
	if (!expect_read(check, va, a, 0))
		return;
	b = remap(t, pte, PAGE_B, LEAF_RW);
	invpcid(0, 0, va);
	if (!expect_read(check, va, b, a))
		return;
	c = remap(t, pte, PAGE_C, LEAF_RW);
	invpcid(3, 0, 0);
	if (expect_read(check, va, c, b))
		report_pass(check);
}

/* ---- CR4.PCIDE and MOV CR3 ---- */

/* SDM 4.10.1: PCIDE can be set only with CR3[11:0] = 0 (#GP
 * otherwise); once set, CR3 holds the PCID. */
static void check_pcide_needs_pcid_0(struct torture *t, const char *check)
{
	unsigned long cr4 = read_cr4();
	unsigned v;

	/* Bit 0 of CR3 is ignored while PCIDE = 0, and is PCID bit 0
	 * once it is set. */
	write_cr3(t->as.root | 1);
	v = try_write_cr4(cr4 | X86_CR4_PCIDE);
	if (v != VEC_GP || (read_cr4() & X86_CR4_PCIDE)) {
		report_fail(check,
			    "setting CR4.PCIDE with CR3 0x%lx: vector %u, CR4 "
			    "0x%lx; expected #GP",
			    read_cr3(), v, read_cr4());
		write_cr4(cr4);
		write_cr3(t->as.root);
		return;
	}
	if (!pcid_on(t, check) || !expect_cr3(check, home_cr3(t, false)))
		return;
	report_pass(check);
}

/* The home space maps SLOT_PCID to page A under PCID 1, the other space
 * to page C under PCID 2: each PCID reads its own, whatever the other
 * one cached, and an unchanged entry reads the same after NOFLUSH
 * switches. */
static void check_pcid_switch(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_PCID) + PROBE_OFFSET;
	uint32_t a, c;

	if (!other.root || other.mode != t->as.mode)
		torture_build_space(&other, t->as.mode, t->window);
	c = remap(t, other_pte(t), PAGE_C, LEAF_RW);
	a = remap(t, home_pte(t, SLOT_PCID), PAGE_A, LEAF_RW);
	if (!pcid_on(t, check) || !expect_read(check, va, a, 0))
		return;
	/* The first load of PCID 2 flushes it: nothing older there. */
	write_cr3(other_cr3(false));
	if (!expect_cr3(check, other_cr3(false)) ||
	    !expect_read(check, va, c, a))
		return;
	write_cr3(home_cr3(t, true));
	if (!expect_cr3(check, home_cr3(t, true)) ||
	    !expect_read(check, va, a, c))
		return;
	write_cr3(other_cr3(true));
	if (!expect_read(check, va, c, a))
		return;
	write_cr3(home_cr3(t, true));
	if (expect_read(check, va, a, c))
		report_pass(check);
}

/* Home maps page A and PCID 1 caches it. The entry moves to page B
 * with no invalidation; NOFLUSH away and back may read either; MOV CR3
 * of PCID 1 without NOFLUSH then must read B. The other space maps
 * page C (previous check). */
static void check_pcid_flushing_load(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_PCID) + PROBE_OFFSET;
	void *pte = home_pte(t, SLOT_PCID);
	uint32_t a = remap(t, pte, PAGE_A, LEAF_RW);
	uint32_t c = mark(page_pa(PAGE_C));
	uint32_t b;

	if (!pcid_on(t, check) || !expect_read(check, va, a, 0))
		return;
	b = remap(t, pte, PAGE_B, LEAF_RW);
	write_cr3(other_cr3(true));
	if (!expect_read(check, va, c, a))
		return;
	write_cr3(home_cr3(t, true));
	if (!expect_either(check, va, a, b))
		return;
	write_cr3(home_cr3(t, false));
	if (!expect_read(check, va, b, a))
		return;
	/* The same from PCID 2: loading PCID 1 without NOFLUSH flushes
	 * it wherever the CPU comes from. */
	a = remap(t, pte, PAGE_A, LEAF_RW);
	write_cr3(other_cr3(true));
	write_cr3(home_cr3(t, false));
	if (expect_read(check, va, a, b))
		report_pass(check);
}

/* INVLPG under PCIDE = 1 invalidates the address in the current PCID. */
static void check_pcid_invlpg(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_PCID) + PROBE_OFFSET;
	void *pte = home_pte(t, SLOT_PCID);
	uint32_t a = remap(t, pte, PAGE_A, LEAF_RW);
	uint32_t d;

	if (!pcid_on(t, check) || !expect_read(check, va, a, 0))
		return;
	d = remap(t, pte, PAGE_D, LEAF_RW);
	invlpg(va);
	if (expect_read(check, va, d, a))
		report_pass(check);
}

/* ---- INVPCID with PCIDE = 1 ---- */

/* Change the other space's entry to page p while running home (PCID 2
 * may cache the old page), invalidate with `inv`, then NOFLUSH to PCID
 * 2: the new page must be read. Back home with NOFLUSH. */
static bool other_sees_after(struct torture *t, const char *check,
			     enum data_page p, unsigned long type,
			     uint64_t pcid, uint64_t la)
{
	uintptr_t va = slot_va(t, SLOT_PCID) + PROBE_OFFSET;
	void *pte = other_pte(t);
	uint64_t old_pa = pte_read(t->as.mode, pte) & ~0xfffull;
	uint32_t old = *probe_word(old_pa);
	uint32_t now;
	bool ok;

	/* PCID 2 caches the old page first. */
	write_cr3(other_cr3(true));
	ok = expect_read(check, va, old, 0);
	write_cr3(home_cr3(t, true));
	if (!ok)
		return false;
	now = remap(t, pte, p, LEAF_RW);
	invpcid(type, pcid, la);
	write_cr3(other_cr3(true));
	ok = expect_read(check, va, now, old);
	write_cr3(home_cr3(t, true));
	return ok;
}

/* Type 0: one address of a PCID that is not the current one. */
static void check_invpcid_address(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_PCID) + PROBE_OFFSET;

	if (!pcid_on(t, check))
		return;
	if (other_sees_after(t, check, PAGE_D, 0, PCID_OTHER, va))
		report_pass(check);
}

/* Type 1: one PCID, the other one and then the current one. */
static void check_invpcid_single_context(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_PCID) + PROBE_OFFSET;
	void *pte = home_pte(t, SLOT_PCID);
	uint32_t old, now;

	if (!pcid_on(t, check) ||
	    !other_sees_after(t, check, PAGE_E, 1, PCID_OTHER, 0))
		return;
	old = *probe_word(pte_read(t->as.mode, pte) & ~0xfffull);
	if (!expect_read(check, va, old, 0))
		return;
	now = remap(t, pte, PAGE_B, LEAF_RW);
	invpcid(1, PCID_HOME, 0);
	if (expect_read(check, va, now, old))
		report_pass(check);
}

/* Type 2: every PCID, global translations too. With CR4.PGE, a global
 * page of the home space changes along with the other space's entry. */
static void check_invpcid_all_with_globals(struct torture *t, const char *check)
{
	uintptr_t gva = slot_va(t, SLOT_PCID_GLOBAL) + PROBE_OFFSET;
	void *gpte = home_pte(t, SLOT_PCID_GLOBAL);
	uint32_t ga = 0, gb = 0;

	if (!pcid_on(t, check))
		return;
	if (t->caps->pge) {
		write_cr4(read_cr4() | X86_CR4_PGE);
		ga = remap(t, gpte, PAGE_A, LEAF_RW | X86_PTE_G);
		invlpg(gva);
		if (!expect_read(check, gva, ga, 0))
			return;
		gb = remap(t, gpte, PAGE_B, LEAF_RW | X86_PTE_G);
	}
	if (!other_sees_after(t, check, PAGE_C, 2, 0, 0))
		return;
	if (t->caps->pge && !expect_read(check, gva, gb, ga))
		return;
	report_pass(check);
}

/* Type 3: every PCID, global translations kept (not checked: keeping
 * them is allowed, never required). */
static void check_invpcid_all_non_global(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_PCID) + PROBE_OFFSET;
	void *pte = home_pte(t, SLOT_PCID);
	uint32_t old, now;

	if (!pcid_on(t, check))
		return;
	old = *probe_word(pte_read(t->as.mode, pte) & ~0xfffull);
	if (!expect_read(check, va, old, 0))
		return;
	now = remap(t, pte, PAGE_D, LEAF_RW);
	if (!other_sees_after(t, check, PAGE_E, 3, 0, 0) ||
	    !expect_read(check, va, now, old))
		return;
	report_pass(check);
}

/* CR4.PCIDE 1 -> 0 invalidates every translation of every PCID, global
 * ones too (SDM 4.10.4.1). Then the group's exit state: PCIDE = 0, CR3
 * the home root. */
static void check_pcide_clear_flushes(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_PCID) + PROBE_OFFSET;
	uintptr_t gva = slot_va(t, SLOT_PCID_GLOBAL) + PROBE_OFFSET;
	void *pte = home_pte(t, SLOT_PCID),
	     *gpte = home_pte(t, SLOT_PCID_GLOBAL);
	uint32_t a, b, ga = 0, gb = 0;
	bool ok;

	if (!pcid_on(t, check))
		return;
	if (t->caps->pge)
		write_cr4(read_cr4() | X86_CR4_PGE);
	a = remap(t, pte, PAGE_A, LEAF_RW);
	invlpg(va);
	ok = expect_read(check, va, a, 0);
	if (ok && t->caps->pge) {
		ga = remap(t, gpte, PAGE_C, LEAF_RW | X86_PTE_G);
		invlpg(gva);
		ok = expect_read(check, gva, ga, 0);
	}
	b = remap(t, pte, PAGE_B, LEAF_RW);
	if (t->caps->pge)
		gb = remap(t, gpte, PAGE_D, LEAF_RW | X86_PTE_G);
	write_cr4(read_cr4() & ~X86_CR4_PCIDE);
	if (read_cr4() & X86_CR4_PCIDE) {
		report_fail(check, "CR4.PCIDE still reads 1 after clearing it");
		ok = false;
	}
	ok = ok && expect_read(check, va, b, a) &&
	     (!t->caps->pge || expect_read(check, gva, gb, ga));
	write_cr3(t->as.root);
	if (ok)
		report_pass(check);
}

static const struct check checks[] = {
	{ "invpcid-gp", check_invpcid_gp, REQ_INVPCID },
	{ "invpcid-without-pcide", check_invpcid_without_pcide, REQ_INVPCID },
	{ "pcide-needs-pcid-0", check_pcide_needs_pcid_0, REQ_PCID },
	{ "pcid-switch", check_pcid_switch, REQ_PCID },
	{ "pcid-flushing-load", check_pcid_flushing_load, REQ_PCID },
	{ "pcid-invlpg", check_pcid_invlpg, REQ_PCID },
	{ "invpcid-address", check_invpcid_address, REQ_PCID_INVPCID },
	{ "invpcid-single-context", check_invpcid_single_context,
	  REQ_PCID_INVPCID },
	{ "invpcid-all-with-globals", check_invpcid_all_with_globals,
	  REQ_PCID_INVPCID },
	{ "invpcid-all-non-global", check_invpcid_all_non_global,
	  REQ_PCID_INVPCID },
	{ "pcide-clear-flushes", check_pcide_clear_flushes, REQ_PCID },
};

const struct check_group pcid_checks = { checks,
					 sizeof(checks) / sizeof(checks[0]) };
