/* SPDX-License-Identifier: MIT */
#include "shootdown_checks.h"

#include "cpu.h"
#include "fault_probe.h"
#include "layout.h"
#include "paging_enter.h"
#include "remote.h"
#include "report.h"

/* Every access lands here in its page: not 0, so a mapping or a CR2
 * that drops the page offset shows. */
#define PROBE_OFFSET 0x234
#define LEAF_RW	     (X86_PTE_P | X86_PTE_RW)
/* Remaps per remap check: the second vCPU may cache each new mapping
 * before the next replaces it. */
#define REMAP_ROUNDS 3

/* The window's slots, one level-2 span (4 MiB or 2 MiB) each, so each
 * has a page table of its own. */
enum slot {
	SLOT_PAGE1, /* remapped between frames A and B */
	SLOT_PAGE2, /* remapped between frames C and D */
	SLOT_UNMAP, /* removed and mapped again */
	SLOT_TABLE, /* its page table replaced */
	SLOT_NEW,   /* a mapping created while both vCPUs run */
	SLOT_COUNT,
};

/* 4 KiB data pages at LAYOUT_DATA_PAGES_BASE (the mailbox is the last). */
enum frame {
	FRAME_A,
	FRAME_B,
	FRAME_C,
	FRAME_D,
	FRAME_E,
	FRAME_F,
	FRAME_G,
	FRAME_H,
	FRAME_I,
	FRAME_J,
};

struct space {
	struct address_space *as;
	uintptr_t window;
	uint64_t frame_of[SLOT_COUNT]; /* what each slot maps now, or 0 */
};

struct check {
	const char *name;
	void (*run)(struct space *s, const struct check *c);
	enum slot slot;
	enum flush_kind flush;
};

static uintptr_t slot_page(const struct space *s, enum slot slot)
{
	return s->window +
	       (uintptr_t)slot * (uintptr_t)paging_span(s->as->mode, 2);
}

static uint64_t frame_pa(enum frame f)
{
	return LAYOUT_DATA_PAGES_BASE + (uint64_t)f * X86_PAGE_SIZE;
}

/* Never 0 and never repeated, in either stage, so that a read returning
 * an earlier round's marker is caught rather than mistaken. */
static uint32_t new_marker(void)
{
#ifdef __x86_64__
	const uint32_t stage = 0x5d640000u;
#else
	const uint32_t stage = 0x5d320000u;
#endif
	static uint32_t count;

	return stage | (++count & 0xffff);
}

/* A new marker in frame pa, written through the identity map. */
static uint32_t mark(uint64_t pa)
{
	uint32_t m = new_marker();

	*(volatile uint32_t *)(uintptr_t)(pa + PROBE_OFFSET) = m;
	return m;
}

static void flush_local(enum flush_kind kind, uintptr_t page)
{
	if (kind == FLUSH_INVLPG)
		invlpg(page);
	else
		write_cr3(read_cr3());
}

/* As an OS does after changing a mapping both CPUs may use: flush here,
 * then shoot down the other and wait for its acknowledgement. */
static void shoot(enum flush_kind kind, uintptr_t page)
{
	flush_local(kind, page);
	remote_shootdown(kind, page);
}

/* What each vCPU sees. */

static bool expect_value(const char *check, const char *who, uintptr_t va,
			 const struct access_result *r, uint32_t want,
			 uint32_t old)
{
	if (r->faulted) {
		report_fail(check,
			    "%s: read at %p faulted: vector %llu, error "
			    "0x%llx, cr2 0x%llx",
			    who, (void *)va, (unsigned long long)r->vector,
			    (unsigned long long)r->error,
			    (unsigned long long)r->cr2);
		return false;
	}
	if (r->value != want) {
		report_fail(check,
			    "%s: read at %p gave 0x%08x, expected "
			    "0x%08x%s",
			    who, (void *)va, r->value, want,
			    old && r->value == old
				    ? " (the old mapping's marker)"
				    : "");
		return false;
	}
	return true;
}

static void local_access(bool write, uintptr_t va, uint32_t value,
			 struct access_result *r)
{
	struct fault f;
	bool faulted = write ? probe_write(va, value, &f)
			     : probe_read(va, &r->value, &f);

	r->faulted = faulted;
	r->vector = faulted ? f.vector : 0;
	r->error = faulted ? f.error : 0;
	r->cr2 = faulted ? f.cr2 : 0;
}

static bool expect_local_read(const char *check, uintptr_t va, uint32_t want,
			      uint32_t old)
{
	struct access_result r;

	local_access(false, va, 0, &r);
	return expect_value(check, "boot vCPU", va, &r, want, old);
}

static bool expect_remote_read(const char *check, uintptr_t va, uint32_t want,
			       uint32_t old)
{
	struct access_result r;

	remote_read(va, &r);
	return expect_value(check, "second vCPU", va, &r, want, old);
}

/* Both vCPUs, one after the other (never both probing at once). */
static bool expect_both_read(const char *check, uintptr_t va, uint32_t want,
			     uint32_t old)
{
	return expect_local_read(check, va, want, old) &&
	       expect_remote_read(check, va, want, old);
}

/* The access raised #PF with exactly this error code and CR2 = va (SDM
 * vol. 3, 4.7). */
static bool expect_pf(const char *check, const char *who, bool write,
		      uintptr_t va, const struct access_result *r,
		      uint64_t error)
{
	const char *access = write ? "write" : "read";

	if (!r->faulted) {
		report_fail(check,
			    "%s: %s at %p did not fault; expected #PF, "
			    "error 0x%llx",
			    who, access, (void *)va, (unsigned long long)error);
		return false;
	}
	if (r->vector != X86_VEC_PF || r->error != error || r->cr2 != va) {
		report_fail(check,
			    "%s: %s at %p: vector %llu, error 0x%llx, cr2 "
			    "0x%llx; expected vector 14, error 0x%llx, cr2 %p",
			    who, access, (void *)va,
			    (unsigned long long)r->vector,
			    (unsigned long long)r->error,
			    (unsigned long long)r->cr2,
			    (unsigned long long)error, (void *)va);
		return false;
	}
	return true;
}

static bool expect_local_pf(const char *check, bool write, uintptr_t va,
			    uint64_t error)
{
	struct access_result r;

	local_access(write, va, 0x0badf00d, &r);
	return expect_pf(check, "boot vCPU", write, va, &r, error);
}

static bool expect_remote_pf(const char *check, bool write, uintptr_t va,
			     uint64_t error)
{
	struct access_result r;

	if (write)
		remote_write(va, 0x0badf00d, &r);
	else
		remote_read(va, &r);
	return expect_pf(check, "second vCPU", write, va, &r, error);
}

/* The checks, in table order; each says what state it continues from. */

/* New mappings need no invalidation on either vCPU: nothing is cached
 * from a not-present entry (SDM 4.10.4.3). Both read both pages, so both
 * may hold the translations the remap checks replace. */
static void check_map_read_both(struct space *s, const struct check *c)
{
	static const enum slot slots[] = { SLOT_PAGE1, SLOT_PAGE2 };
	static const enum frame first[] = { FRAME_A, FRAME_C };

	for (unsigned int i = 0; i < 2; i++) {
		uintptr_t page = slot_page(s, slots[i]);
		uint32_t m = mark(frame_pa(first[i]));

		as_map(s->as, page, frame_pa(first[i]), 1, LEAF_RW);
		s->frame_of[slots[i]] = frame_pa(first[i]);
		if (!expect_both_read(c->name, page + PROBE_OFFSET, m, 0))
			return;
	}
	report_pass(c->name);
}

/* c->slot maps its first frame (map-read-both). Each round: both vCPUs
 * read the current frame, the boot vCPU moves the page to the other
 * frame and shoots down with c->flush, both must read the new frame. */
static void check_remap(struct space *s, const struct check *c)
{
	const struct paging_mode *m = s->as->mode;
	uintptr_t page = slot_page(s, c->slot), va = page + PROBE_OFFSET;
	void *pte = as_entry(s->as, page, 1);
	uint64_t pair[2] = {
		frame_pa(c->slot == SLOT_PAGE1 ? FRAME_A : FRAME_C),
		frame_pa(c->slot == SLOT_PAGE1 ? FRAME_B : FRAME_D)
	};

	for (unsigned int round = 0; round < REMAP_ROUNDS; round++) {
		uint64_t from = s->frame_of[c->slot];
		uint64_t to = from == pair[0] ? pair[1] : pair[0];
		uint32_t old = mark(from), new = mark(to);

		if (!expect_both_read(c->name, va, old, 0))
			return;
		pte_write(m, pte, to | LEAF_RW);
		shoot(c->flush, page);
		s->frame_of[c->slot] = to;
		if (!expect_both_read(c->name, va, new, old))
			return;
	}
	report_pass(c->name);
}

/* A mapping both vCPUs use is removed: after the shootdown each read
 * faults (error 0: not present, read, supervisor) and a write by the
 * second vCPU faults with W. */
static void check_unmap(struct space *s, const struct check *c)
{
	uintptr_t page = slot_page(s, c->slot), va = page + PROBE_OFFSET;
	void *pte = as_entry(s->as, page, 1);
	uint64_t frame = frame_pa(c->flush == FLUSH_INVLPG ? FRAME_E : FRAME_F);
	uint32_t m = mark(frame);

	/* The first unmap check maps the slot for the first time; the
	 * second finds it mapped again by present-again-without-shootdown. */
	if (s->frame_of[c->slot] != frame) {
		pte_write(s->as->mode, pte, frame | LEAF_RW);
		s->frame_of[c->slot] = frame;
	}
	if (!expect_both_read(c->name, va, m, 0))
		return;
	pte_write(s->as->mode, pte, 0);
	shoot(c->flush, page);
	s->frame_of[c->slot] = 0;
	if (expect_remote_pf(c->name, false, va, 0) &&
	    expect_remote_pf(c->name, true, va, PFERR_W) &&
	    expect_local_pf(c->name, false, va, 0))
		report_pass(c->name);
}

/* After the faults of the unmap check, the entry made present again
 * needs no shootdown: a not-present entry is never cached, and a #PF
 * invalidates what was cached for its address (SDM 4.10.4.3). */
static void check_present_again(struct space *s, const struct check *c)
{
	uintptr_t page = slot_page(s, c->slot), va = page + PROBE_OFFSET;
	uint32_t m = mark(frame_pa(FRAME_F));

	pte_write(s->as->mode, as_entry(s->as, page, 1),
		  frame_pa(FRAME_F) | LEAF_RW);
	s->frame_of[c->slot] = frame_pa(FRAME_F);
	if (expect_both_read(c->name, va, m, 0))
		report_pass(c->name);
}

/* The page-directory entry of a slot both vCPUs use is pointed at a new
 * page table that maps the page elsewhere. INVLPG also drops the
 * paging-structure-cache entries (SDM 4.10.4.1), MOV CR3 all of them. */
static void check_table_replace(struct space *s, const struct check *c)
{
	const struct paging_mode *m = s->as->mode;
	uintptr_t page = slot_page(s, c->slot), va = page + PROBE_OFFSET;
	uint64_t frame = frame_pa(c->flush == FLUSH_INVLPG ? FRAME_H : FRAME_I);
	uintptr_t table;
	uint32_t old, new;

	/* The first time, a first table mapping frame G. */
	if (!s->frame_of[c->slot]) {
		as_map(s->as, page, frame_pa(FRAME_G), 1, LEAF_RW);
		s->frame_of[c->slot] = frame_pa(FRAME_G);
	}
	old = mark(s->frame_of[c->slot]);
	new = mark(frame);
	if (!expect_both_read(c->name, va, old, 0))
		return;
	table = pt_alloc();
	pte_write(m,
		  (void *)(table + paging_index(m, page, 1) * m->entry_bytes),
		  frame | LEAF_RW);
	pte_write(m, as_entry(s->as, page, 2), table | X86_PTE_P | X86_PTE_RW);
	shoot(c->flush, page);
	s->frame_of[c->slot] = frame;
	if (expect_both_read(c->name, va, new, old))
		report_pass(c->name);
}

/* A mapping neither vCPU has used: the boot vCPU stores through it, and
 * the second vCPU must read the store there and in the frame itself. */
static void check_new_mapping_store(struct space *s, const struct check *c)
{
	uintptr_t page = slot_page(s, c->slot), va = page + PROBE_OFFSET;
	uint64_t frame = frame_pa(FRAME_J);
	uint32_t before = mark(frame), stored = new_marker();
	struct access_result r;
	uint32_t landed;

	as_map(s->as, page, frame, 1, LEAF_RW);
	s->frame_of[c->slot] = frame;
	local_access(true, va, stored, &r);
	if (r.faulted) {
		report_fail(c->name,
			    "boot vCPU: write at %p faulted: vector %llu, "
			    "error 0x%llx",
			    (void *)va, (unsigned long long)r.vector,
			    (unsigned long long)r.error);
		return;
	}
	landed = *(volatile uint32_t *)(uintptr_t)(frame + PROBE_OFFSET);
	if (landed != stored) {
		report_fail(c->name,
			    "boot vCPU: frame %p holds 0x%08x after the store "
			    "of 0x%08x through %p",
			    (void *)(uintptr_t)frame, landed, stored,
			    (void *)va);
		return;
	}
	if (expect_remote_read(c->name, va, stored, before) &&
	    expect_remote_read(c->name, (uintptr_t)frame + PROBE_OFFSET, stored,
			       before))
		report_pass(c->name);
}

/* The other way round, on the mapping of the previous check: a store by
 * the second vCPU, read by the boot vCPU through both addresses. */
static void check_second_store(struct space *s, const struct check *c)
{
	uintptr_t va = slot_page(s, c->slot) + PROBE_OFFSET;
	uint64_t frame = s->frame_of[c->slot];
	uint32_t before = mark(frame), stored = new_marker();
	struct access_result r;

	remote_write(va, stored, &r);
	if (r.faulted) {
		report_fail(c->name,
			    "second vCPU: write at %p faulted: vector %llu, "
			    "error 0x%llx",
			    (void *)va, (unsigned long long)r.vector,
			    (unsigned long long)r.error);
		return;
	}
	if (expect_local_read(c->name, va, stored, before) &&
	    expect_local_read(c->name, (uintptr_t)frame + PROBE_OFFSET, stored,
			      before))
		report_pass(c->name);
}

static const struct check checks[] = {
	{ "map-read-both", check_map_read_both, SLOT_PAGE1, FLUSH_INVLPG },
	{ "remap-invlpg-shootdown-page1", check_remap, SLOT_PAGE1,
	  FLUSH_INVLPG },
	{ "remap-cr3-shootdown-page2", check_remap, SLOT_PAGE2, FLUSH_CR3 },
	{ "remap-cr3-shootdown-page1", check_remap, SLOT_PAGE1, FLUSH_CR3 },
	{ "remap-invlpg-shootdown-page2", check_remap, SLOT_PAGE2,
	  FLUSH_INVLPG },
	{ "unmap-invlpg-shootdown-faults", check_unmap, SLOT_UNMAP,
	  FLUSH_INVLPG },
	{ "present-again-without-shootdown", check_present_again, SLOT_UNMAP,
	  FLUSH_INVLPG },
	{ "unmap-cr3-shootdown-faults", check_unmap, SLOT_UNMAP, FLUSH_CR3 },
	{ "table-replace-invlpg-shootdown", check_table_replace, SLOT_TABLE,
	  FLUSH_INVLPG },
	{ "table-replace-cr3-shootdown", check_table_replace, SLOT_TABLE,
	  FLUSH_CR3 },
	{ "new-mapping-store-seen", check_new_mapping_store, SLOT_NEW,
	  FLUSH_INVLPG },
	{ "second-vcpu-store-seen", check_second_store, SLOT_NEW,
	  FLUSH_INVLPG },
};

void shootdown_run_mode(const struct paging_mode *mode, uintptr_t window,
			bool have_second, struct address_space *as)
{
	struct space s = { .as = as, .window = window };

	report_mode(mode->name);
	if (!have_second) {
		for (unsigned int i = 0; i < sizeof(checks) / sizeof(checks[0]);
		     i++)
			report_skip(checks[i].name, "no second vCPU");
		return;
	}
	as_init(as, mode);
	as_map_identity(as, LAYOUT_IDENTITY_END, 2);
	/* PAE: MOV CR3 loads the four PDPTEs (SDM 4.4.1), so the window's
	 * must be present before either vCPU loads the root. */
	as_entry(as, window, 2);
	paging_enter(as);
	remote_enter(as);
	for (unsigned int i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		report_running(checks[i].name);
		checks[i].run(&s, &checks[i]);
	}
}
