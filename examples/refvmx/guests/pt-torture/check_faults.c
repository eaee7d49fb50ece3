/* SPDX-License-Identifier: MIT */
/*
 * Faults: the #PF error code and CR2, exactly, for not-present entries,
 * writes to read-only pages under CR0.WP = 1 (and their success under
 * WP = 0), rights that combine across levels, reserved bits and
 * execute-disable fetches (SDM 4.6 and 4.7).
 */
#include "torture.h"

#include "expect.h"
#include "report.h"

/* Not-present entries. */

/* A mapping in use is made not present and invalidated. */
static void check_absent_read(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_ABSENT);
	uint32_t a = mark(page_pa(PAGE_A));
	void *pte = as_map(&t->as, va, page_pa(PAGE_A), 1, LEAF_RW);

	if (!expect_read(check, va + PROBE_OFFSET, a, 0))
		return;
	pte_write(t->as.mode, pte, 0);
	invlpg(va);
	if (expect_pf(check, ACCESS_READ, va + PROBE_OFFSET, 0))
		report_pass(check);
}

/* SLOT_ABSENT is not present (previous check). */
static void check_absent_write(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_ABSENT);

	if (expect_pf(check, ACCESS_WRITE, va + PROBE_OFFSET, PFERR_W))
		report_pass(check);
}

/* A not-present entry made present needs no invalidation (SDM 4.10.4.3):
 * nothing is cached from a not-present entry, and a #PF invalidates what
 * was cached for its address. */
static void check_present_after_absent(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_ABSENT);
	uint32_t c = mark(page_pa(PAGE_C));

	pte_write(t->as.mode, as_entry(&t->as, va, 1),
		  page_pa(PAGE_C) | LEAF_RW);
	if (expect_read(check, va + PROBE_OFFSET, c, 0))
		report_pass(check);
}

static void check_absent_pde(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_NO_PDE) + PROBE_OFFSET;

	if (expect_pf(check, ACCESS_READ, va, 0) &&
	    expect_pf(check, ACCESS_WRITE, va, PFERR_W))
		report_pass(check);
}

/* CR0.WP (SDM 4.6.1): with WP = 1 a supervisor write to a read-only page
 * faults; with WP = 0 it succeeds. */

static void check_wp1_write_faults(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_RO);
	uint32_t r = mark(page_pa(PAGE_RO));

	write_cr0(read_cr0() | X86_CR0_WP);
	as_map(&t->as, va, page_pa(PAGE_RO), 1, LEAF_RO);
	if (!expect_read(check, va + PROBE_OFFSET, r, 0) ||
	    !expect_pf(check, ACCESS_WRITE, va + PROBE_OFFSET,
		       PFERR_P | PFERR_W))
		return;
	if (*probe_word(page_pa(PAGE_RO)) != r) {
		report_fail(check, "the faulting write changed the page");
		return;
	}
	report_pass(check);
}

/* SLOT_RO maps PAGE_RO read-only (previous check). */
static void check_wp0_write_succeeds(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_RO);
	uint32_t v = new_marker();
	bool wrote;

	write_cr0(read_cr0() & ~X86_CR0_WP);
	wrote = expect_write(check, va + PROBE_OFFSET, v);
	write_cr0(read_cr0() | X86_CR0_WP);
	if (!wrote)
		return;
	if (*probe_word(page_pa(PAGE_RO)) != v) {
		report_fail(check,
			    "the write did not reach the page (0x%08x "
			    "there, 0x%08x written)",
			    *probe_word(page_pa(PAGE_RO)), v);
		return;
	}
	report_pass(check);
}

/* Read-modify-write instructions on a read-only page under WP = 0. A
 * shadow-paging hypervisor keeps the page read-only in its own tables
 * (the hardware runs with WP = 1), so it must emulate each one: the
 * value stored, the register results and the flags must be the CPU's. */
static void check_wp0_rmw_instructions(struct torture *t, const char *check)
{
	volatile uint32_t *w =
		(volatile uint32_t *)(slot_va(t, SLOT_RO) + PROBE_OFFSET);
	volatile uint32_t *phys = probe_word(page_pa(PAGE_RO));
	uint32_t acc, reg, got[8];
	uint8_t flag[5];

	*phys = 0x0f0f0000u; /* through the identity map: writable */
	write_cr0(read_cr0() & ~X86_CR0_WP);
	__asm__ volatile("lock orl %1, %0" : "+m"(*w) : "r"(0x000000f0u));
	got[0] = *w; /* 0x0f0f00f0 */
	__asm__ volatile("lock andl $0xfff0ffff, %0" : "+m"(*w));
	got[1] = *w; /* 0x0f0000f0 */
	__asm__ volatile("xorl %2, %0; setz %1"
			 : "+m"(*w), "=q"(flag[0])
			 : "r"(0x0f0000f0u));
	got[2] = *w; /* 0, ZF = 1 */
	acc = 0;
	__asm__ volatile("lock cmpxchgl %3, %0; setz %1"
			 : "+m"(*w), "=q"(flag[1]), "+a"(acc)
			 : "r"(0x12345678u));
	got[3] = *w; /* 0x12345678, ZF = 1 */
	acc = 0;
	__asm__ volatile("lock cmpxchgl %3, %0; setz %1"
			 : "+m"(*w), "=q"(flag[2]), "+a"(acc)
			 : "r"(0xdeadbeefu));
	got[4] = acc; /* failed: EAX = 0x12345678, ZF = 0, memory kept */
	reg = 3;
	__asm__ volatile("lock btrl %2, %0; setc %1"
			 : "+m"(*w), "=q"(flag[3])
			 : "r"(reg));
	got[5] = *w; /* 0x12345670, CF = 1 */
	__asm__ volatile("lock btcl $0, %0; setc %1" : "+m"(*w), "=q"(flag[4]));
	got[6] = *w; /* 0x12345671, CF = 0 */
	reg = 0xcafef00du;
	__asm__ volatile("xchgl %1, %0" : "+m"(*w), "+r"(reg));
	got[7] = *w; /* 0xcafef00d; the register had 0x12345671 */
	write_cr0(read_cr0() | X86_CR0_WP);

	static const uint32_t want[8] = { 0x0f0f00f0u, 0x0f0000f0u, 0,
					  0x12345678u, 0x12345678u, 0x12345670u,
					  0x12345671u, 0xcafef00du };
	static const char *const what[8] = { "lock or",
					     "lock and imm",
					     "xor",
					     "lock cmpxchg (equal)",
					     "lock cmpxchg (not equal)",
					     "lock btr",
					     "lock btc imm",
					     "xchg" };
	for (unsigned int i = 0; i < 8; i++) {
		if (got[i] != want[i]) {
			report_fail(check, "%s gave 0x%08x, expected 0x%08x",
				    what[i], got[i], want[i]);
			return;
		}
	}
	if (reg != 0x12345671u || *phys != 0xcafef00du) {
		report_fail(check,
			    "xchg: register 0x%08x (expected 0x12345671), "
			    "page 0x%08x",
			    reg, *phys);
		return;
	}
	if (flag[0] != 1 || flag[1] != 1 || flag[2] != 0 || flag[3] != 1 ||
	    flag[4] != 0) {
		report_fail(check,
			    "flags: xor ZF %u, cmpxchg ZF %u then %u, btr CF "
			    "%u, btc CF %u (expected 1, 1, 0, 1, 0)",
			    flag[0], flag[1], flag[2], flag[3], flag[4]);
		return;
	}
	report_pass(check);
}

/* Back to WP = 1 after a write under WP = 0 went through. */
static void check_wp1_write_faults_again(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_RO);
	uint32_t r = mark(page_pa(PAGE_RO));

	if (!expect_pf(check, ACCESS_WRITE, va + PROBE_OFFSET,
		       PFERR_P | PFERR_W))
		return;
	if (*probe_word(page_pa(PAGE_RO)) != r) {
		report_fail(check, "the faulting write changed the page");
		return;
	}
	report_pass(check);
}

/* Access rights combine across levels (SDM 4.6.1): a read-only PDE makes
 * its writable PTE read-only. */
static void check_ro_pde_write_faults(struct torture *t, const char *check)
{
	const struct paging_mode *m = t->as.mode;
	uintptr_t va = slot_va(t, SLOT_RO_PDE);
	uint32_t r = mark(page_pa(PAGE_RO));
	void *pde;

	as_map(&t->as, va, page_pa(PAGE_RO), 1, LEAF_RW);
	pde = as_entry(&t->as, va, 2);
	pte_write(m, pde, pte_read(m, pde) & ~X86_PTE_RW);
	invlpg(va);
	if (expect_read(check, va + PROBE_OFFSET, r, 0) &&
	    expect_pf(check, ACCESS_WRITE, va + PROBE_OFFSET,
		      PFERR_P | PFERR_W))
		report_pass(check);
}

/* Reserved bits: #PF with RSVD and P, which SDM 4.7 says always come
 * together (reserved bits are only checked in present entries). */

static void check_rsvd_xd_without_nxe(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_RSVD);

	/* With EFER.NXE = 0 the XD bit is reserved (SDM 4.4.2, 4.5.4). */
	torture_set_nxe(t, false);
	as_map(&t->as, va, page_pa(PAGE_A), 1, LEAF_RW | X86_PTE_XD);
	invlpg(va);
	if (expect_pf(check, ACCESS_READ, va + PROBE_OFFSET,
		      PFERR_P | PFERR_RSVD))
		report_pass(check);
}

static void check_rsvd_phys_bit(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_RSVD);
	uint64_t beyond = UINT64_C(1) << t->caps->maxphyaddr;

	/* Address bits at and above MAXPHYADDR are reserved. */
	as_map(&t->as, va, page_pa(PAGE_A) | beyond, 1, LEAF_RW);
	invlpg(va);
	if (expect_pf(check, ACCESS_READ, va + PROBE_OFFSET,
		      PFERR_P | PFERR_RSVD))
		report_pass(check);
}

/* Execute-disable (SDM 4.6.1), EFER.NXE = 1 from here on. PAGE_CODE
 * holds "mov $value, %eax; ret" at PROBE_OFFSET: the same bytes in 32-
 * and 64-bit code. */

static uint32_t code_value;

static void write_code(uint32_t value)
{
	volatile uint8_t *code =
		(volatile uint8_t *)(uintptr_t)(page_pa(PAGE_CODE) +
						PROBE_OFFSET);

	code[0] = 0xb8; /* mov imm32, %eax */
	for (int i = 0; i < 4; i++)
		code[1 + i] = (uint8_t)(value >> (8 * i));
	code[5] = 0xc3; /* ret */
	code_value = value;
}

static void check_nx_fetch_faults(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_NX);

	torture_set_nxe(t, true);
	write_code(new_marker());
	as_map(&t->as, va, page_pa(PAGE_CODE), 1, LEAF_RW | X86_PTE_XD);
	if (expect_pf(check, ACCESS_FETCH, va + PROBE_OFFSET,
		      PFERR_P | PFERR_I))
		report_pass(check);
}

/* SLOT_NX maps PAGE_CODE execute-disabled (previous check). */
static void check_nx_read_allowed(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_NX);

	if (expect_read(check, va + PROBE_OFFSET,
			*probe_word(page_pa(PAGE_CODE)), 0))
		report_pass(check);
}

static void check_nx_cleared_fetch_runs(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_NX);

	pte_write(t->as.mode, as_entry(&t->as, va, 1),
		  page_pa(PAGE_CODE) | LEAF_RW);
	invlpg(va);
	if (expect_exec(check, va + PROBE_OFFSET, code_value))
		report_pass(check);
}

static void check_nx_pde_fetch_faults(struct torture *t, const char *check)
{
	const struct paging_mode *m = t->as.mode;
	uintptr_t va = slot_va(t, SLOT_NX_PDE);
	void *pde;

	as_map(&t->as, va, page_pa(PAGE_CODE), 1, LEAF_RW);
	pde = as_entry(&t->as, va, 2);
	pte_write(m, pde, pte_read(m, pde) | X86_PTE_XD);
	invlpg(va);
	if (expect_pf(check, ACCESS_FETCH, va + PROBE_OFFSET,
		      PFERR_P | PFERR_I))
		report_pass(check);
}

/* With EFER.NXE = 1 a fetch reports I/D even when nothing is present. */
static void check_absent_fetch(struct torture *t, const char *check)
{
	uintptr_t va = slot_va(t, SLOT_NO_PDE) + PROBE_OFFSET;

	if (expect_pf(check, ACCESS_FETCH, va, PFERR_I))
		report_pass(check);
}

static const struct check checks[] = {
	{ "absent-read-error-code", check_absent_read, REQ_NONE },
	{ "absent-write-error-code", check_absent_write, REQ_NONE },
	{ "present-after-absent", check_present_after_absent, REQ_NONE },
	{ "absent-pde-error-code", check_absent_pde, REQ_NONE },
	{ "wp1-write-faults", check_wp1_write_faults, REQ_NONE },
	{ "wp0-write-succeeds", check_wp0_write_succeeds, REQ_NONE },
	{ "wp0-rmw-instructions", check_wp0_rmw_instructions, REQ_NONE },
	{ "wp1-write-faults-again", check_wp1_write_faults_again, REQ_NONE },
	{ "ro-pde-write-faults", check_ro_pde_write_faults, REQ_NONE },
	{ "rsvd-xd-without-nxe", check_rsvd_xd_without_nxe, REQ_XD },
	{ "rsvd-phys-bit", check_rsvd_phys_bit, REQ_PHYS_RSVD },
	{ "nx-fetch-faults", check_nx_fetch_faults, REQ_NX },
	{ "nx-read-allowed", check_nx_read_allowed, REQ_NX },
	{ "nx-cleared-fetch-runs", check_nx_cleared_fetch_runs, REQ_NX },
	{ "nx-pde-fetch-faults", check_nx_pde_fetch_faults, REQ_NX },
	{ "absent-fetch-error-code", check_absent_fetch, REQ_NX },
};

const struct check_group fault_checks = { checks,
					  sizeof(checks) / sizeof(checks[0]) };
