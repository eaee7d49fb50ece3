/* SPDX-License-Identifier: MIT */
/*
 * The random workload generator, the guest side: configuration, layout,
 * entry values and building the guest (see workload.h; the programs are
 * generated in workload_programs.c).
 *
 * Guest-physical layout:
 *
 *   [0, 1 MiB)               unused
 *   [1 MiB, +T pages)        page-table pages, and nothing else; T is an
 *                            upper bound computed from the configuration
 *   [.., +D pages)           4 KiB data pages
 *   [.., +C large pages)     2 MiB (4 MiB in 32-bit paging) data pages,
 *                            aligned to their size
 *
 * A table page is only ever linked as a table, and a leaf only ever points
 * at a data page, whatever order the vCPUs' stores land in: every value
 * ever written to an entry is one of those, so guest stores to data can
 * never hit a table and the generator's copy of the tables stays exact.
 *
 * Linear layout, the same in every space (so a stale translation of one
 * space is a plausible wrong answer in another):
 *
 *   user half     windows of one PDE each (2 MiB, 4 MiB in 32-bit paging),
 *                 alternately from 4 MiB upward and from the top of the
 *                 user half downward, so that they sit under different
 *                 upper-level entries. Each window maps its first
 *                 `pages_per_window` pages with 4 KiB leaves through its own
 *                 page table; the PDE may instead be a large leaf (the page
 *                 table stays reserved to that PDE, so the guest can switch
 *                 back), or not present. Every space maps its own data.
 *   kernel half   the same kernel tables in every space: kernel windows of
 *                 16 supervisor pages (one starting as a global large leaf
 *                 when large pages are on) at KDATA, and the direct map at
 *                 DMAP: a supervisor, read/write, non-executable (global)
 *                 4 KiB mapping of the whole table region, DMAP + (gpa -
 *                 1 MiB). The guest changes its tables only by 8-byte
 *                 stores there, as a kernel does.
 *
 *   mode     KDATA                DMAP                 user half ends
 *   32-bit   0x80000000           0xc0000000           0x80000000
 *   PAE      0x80000000 (PDPTE 2) 0xc0000000 (PDPTE 3) 0x80000000
 *   4-level  0xffffffff80000000   0xffff888000000000   0x0000800000000000
 *   5-level  0xffffffff80000000   0xff11000000000000   0x0100000000000000
 *
 * The kernel half is built once in a prototype root and its top-level
 * entries are copied into every space's root, so the tables one level down
 * are shared (in 32-bit paging the kernel PDEs are copies, so only kernel
 * PTEs change there; in PAE the kernel page directories hang off PDPTEs 2
 * and 3). PDPTEs never change after the build: they are registers loaded at
 * MOV CR3 (SDM 4.4.1), which a guest would have to reload anyway.
 */
#include "workload_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_ram.h"

#define MAX_WINDOW_PG 32u /* 4 KiB pages mapped per user window, at most */
#define NONE	      UINT64_MAX

/* ---- deterministic randomness: splitmix64 ---- */

uint64_t wl_rng_next(struct wl_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, n); 0 when n is 0. */
uint64_t wl_rng_below(struct wl_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)wl_rng_next(r) * n) >> 64);
}

bool wl_rng_pct(struct wl_rng *r, unsigned pct)
{
	return wl_rng_below(r, 100) < pct;
}

bool wl_rng_chance(struct wl_rng *r, double p)
{
	return (double)(wl_rng_next(r) >> 11) * 0x1.0p-53 < p;
}

/* ---- paging modes, as data ---- */

static const struct wl_mode wl_modes[] = {
	[SMMU_PAGING_32BIT] = { "32-bit",
				2,
				4,
				{ 0, 12, 22 },
				{ 0, 10, 10 },
				X86_PAGE_SIZE_4M,
				UINT64_C(0x80000000),
				UINT64_C(0x80000000),
				UINT64_C(0xc0000000),
				32 },
	[SMMU_PAGING_PAE] = { "PAE",
			      3,
			      8,
			      { 0, 12, 21, 30 },
			      { 0, 9, 9, 2 },
			      X86_PAGE_SIZE_2M,
			      UINT64_C(0x80000000),
			      UINT64_C(0x80000000),
			      UINT64_C(0xc0000000),
			      32 },
	[SMMU_PAGING_4LEVEL] = { "4-level",
				 4,
				 8,
				 { 0, 12, 21, 30, 39 },
				 { 0, 9, 9, 9, 9 },
				 X86_PAGE_SIZE_2M,
				 UINT64_C(0x0000800000000000),
				 UINT64_C(0xffffffff80000000),
				 UINT64_C(0xffff888000000000),
				 48 },
	[SMMU_PAGING_5LEVEL] = { "5-level",
				 5,
				 8,
				 { 0, 12, 21, 30, 39, 48 },
				 { 0, 9, 9, 9, 9, 9 },
				 X86_PAGE_SIZE_2M,
				 UINT64_C(0x0100000000000000),
				 UINT64_C(0xffffffff80000000),
				 UINT64_C(0xff11000000000000),
				 57 },
};

static const struct wl_mode *mode_of(enum smmu_paging_mode mode)
{
	if (mode < SMMU_PAGING_32BIT || mode > SMMU_PAGING_5LEVEL)
		return NULL;
	return &wl_modes[mode];
}

static bool long_mode(enum smmu_paging_mode mode)
{
	return mode == SMMU_PAGING_4LEVEL || mode == SMMU_PAGING_5LEVEL;
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* ---- layout ---- */

static bool config_ok(const struct workload_config *wc)
{
	if (!mode_of(wc->mode)) {
		fprintf(stderr,
			"workload: paging mode %d is not 32-bit, PAE, "
			"4-level or 5-level\n",
			(int)wc->mode);
		return false;
	}
	if (wc->nr_vcpus < 1 || wc->nr_vcpus > SIM_MAX_CPUS) {
		fprintf(stderr, "workload: %u vCPUs, want 1..%u\n",
			wc->nr_vcpus, SIM_MAX_CPUS);
		return false;
	}
	if (wc->nr_spaces < 1 || wc->nr_spaces > WORKLOAD_MAX_SPACES) {
		fprintf(stderr, "workload: %u address spaces, want 1..%u\n",
			wc->nr_spaces, WORKLOAD_MAX_SPACES);
		return false;
	}
	if (wc->pages_per_space < 1 ||
	    wc->pages_per_space > WORKLOAD_MAX_PAGES) {
		fprintf(stderr, "workload: %u pages per space, want 1..%u\n",
			wc->pages_per_space, WORKLOAD_MAX_PAGES);
		return false;
	}
	if (!(wc->flush_prob >= 0.0 && wc->flush_prob <= 1.0)) {
		fprintf(stderr, "workload: flush probability %g, want 0..1\n",
			wc->flush_prob);
		return false;
	}
	if (wc->recent_pct > 100) {
		fprintf(stderr, "workload: recent_pct %u, want 0..100\n",
			wc->recent_pct);
		return false;
	}
	return true;
}

static void layout_of(const struct workload_config *wc, struct wl_layout *l)
{
	const struct wl_mode *m = mode_of(wc->mode);
	uint64_t per_table = PAGE / m->entry_size;
	unsigned L = m->levels;

	l->nr_windows =
		(wc->pages_per_space + MAX_WINDOW_PG - 1) / MAX_WINDOW_PG;
	if (l->nr_windows < 2)
		l->nr_windows = 2;
	l->window_pages =
		(wc->pages_per_space + l->nr_windows - 1) / l->nr_windows;
	l->nr_kwindows =
		2 + (wc->large && wc->mode != SMMU_PAGING_32BIT ? 1 : 0);

	/* Upper bound on table pages: every window and the direct map may
	 * need a whole path of tables; the direct map covers the region,
	 * itself included, hence the fixed point. */
	uint64_t fixed = 1 + (uint64_t)l->nr_kwindows * (L - 1) +
			 (uint64_t)wc->nr_spaces *
				 (1 + (uint64_t)l->nr_windows * (L - 1)) +
			 2;
	uint64_t t = fixed;
	for (;;) {
		uint64_t need = fixed + (t + per_table - 1) / per_table + 1 + L;
		if (need <= t)
			break;
		t = need;
	}
	l->nr_tables = t;

	l->data_base = TABLES_BASE + t * PAGE;
	l->nr_data = (uint64_t)wc->nr_spaces * wc->pages_per_space / 2 + 32;
	if (l->nr_data < 64)
		l->nr_data = 64;
	uint64_t end = l->data_base + l->nr_data * PAGE;
	l->large_base = align_up(end, m->large_size);
	l->nr_large =
		wc->large ? 4 + (wc->nr_spaces < 4 ? wc->nr_spaces : 4) : 0;
	end = l->large_base + l->nr_large * m->large_size;
	l->ram_size = align_up(end, X86_PAGE_SIZE_2M);
}

const char *const workload_op_names[WL_NR_OPS] = {
	[WL_OP_ACCESS] = "access", [WL_OP_STORE] = "store",
	[WL_OP_PTE] = "pte",	   [WL_OP_CR3] = "cr3",
	[WL_OP_CTL] = "ctl",	   [WL_OP_FLUSH] = "flush",
	[WL_OP_HOST] = "host",
};

const unsigned wl_default_weight[WL_NR_OPS] = {
	[WL_OP_ACCESS] = 55, [WL_OP_STORE] = 20, [WL_OP_PTE] = 12,
	[WL_OP_CR3] = 8,     [WL_OP_CTL] = 1,	 [WL_OP_FLUSH] = 4,
};

void workload_config_default(struct workload_config *wc)
{
	memset(wc, 0, sizeof(*wc));
	wc->nr_vcpus = 1;
	wc->ops = 10000;
	wc->seed = 1;
	wc->mode = SMMU_PAGING_4LEVEL;
	wc->pcid = true;
	wc->global = true;
	wc->large = true;
	wc->nx = true;
	wc->nr_spaces = 4;
	wc->pages_per_space = 64;
	wc->flush_prob = 0.9;
	wc->recent_pct = 30;
	memcpy(wc->weight, wl_default_weight, sizeof(wc->weight));
}

uint64_t workload_ram_size(const struct workload_config *wc)
{
	struct wl_layout l;
	if (!config_ok(wc))
		return 0;
	layout_of(wc, &l);
	return l.ram_size;
}

/* ---- generator state ---- */

static uint64_t addr_mask(const struct wl_gen *g)
{
	return g->m->entry_size == 4 ? UINT64_C(0xfffff000) : X86_BITS(51, 12);
}

static uint64_t *slot_of(struct wl_gen *g, uint64_t gpa)
{
	uint64_t off = (gpa & ~UINT64_C(7)) - TABLES_BASE;
	if (gpa < TABLES_BASE || off >= g->l.nr_tables * PAGE)
		abort(); /* a generator bug: tables live in their region */
	return &g->tab[off / 8];
}

uint64_t wl_entry_get(struct wl_gen *g, uint64_t gpa)
{
	uint64_t v = *slot_of(g, gpa);
	if (g->m->entry_size == 8)
		return v;
	return (gpa & 4) ? v >> 32 : v & 0xffffffffu;
}

/* Sets the entry in the copy; returns the full 8-byte slot now. */
uint64_t wl_entry_set(struct wl_gen *g, uint64_t gpa, uint64_t val)
{
	uint64_t *p = slot_of(g, gpa);
	if (g->m->entry_size == 8) {
		*p = val;
	} else {
		unsigned shift = (gpa & 4) ? 32 : 0;
		*p = (*p & ~(UINT64_C(0xffffffff) << shift)) |
		     ((val & 0xffffffffu) << shift);
	}
	if (g->building)
		smmu_posix_ram_write64(g->ram, gpa & ~UINT64_C(7), *p);
	return *p;
}

static unsigned index_of(const struct wl_gen *g, unsigned level, uint64_t la)
{
	return (unsigned)((la >> g->m->shift[level]) &
			  ((UINT64_C(1) << g->m->bits[level]) - 1));
}

static uint64_t alloc_table(struct wl_gen *g)
{
	if (g->tables_used == g->l.nr_tables)
		abort(); /* layout_of() under-counted: a generator bug */
	uint64_t gpa = TABLES_BASE + g->tables_used++ * PAGE;
	for (unsigned i = 0; i < PAGE / 8; i++)
		smmu_posix_ram_write64(g->ram, gpa + 8 * i, 0);
	return gpa;
}

/* Flags of an entry that links a table: everything allowed, so that the
 * leaves decide (PDPTE registers take P and nothing else, SDM 4.4.1). */
static uint64_t table_flags(const struct wl_gen *g, unsigned level, bool user)
{
	if (g->m->levels == 3 && level == 3)
		return X86_PTE_P;
	return X86_PTE_P | X86_PTE_RW | X86_PTE_A | (user ? X86_PTE_US : 0);
}

/* gpa of the entry for `la` at `level` under `root`, creating the tables
 * above it. */
static uint64_t entry_slot(struct wl_gen *g, uint64_t root, uint64_t la,
			   unsigned level, bool user)
{
	uint64_t table = root;
	for (unsigned l = g->m->levels; l > level; l--) {
		uint64_t egpa = table + index_of(g, l, la) * g->m->entry_size;
		uint64_t e = wl_entry_get(g, egpa);
		if (!(e & X86_PTE_P)) {
			e = alloc_table(g) | table_flags(g, l, user);
			wl_entry_set(g, egpa, e);
		}
		table = e & addr_mask(g);
	}
	return table + index_of(g, level, la) * g->m->entry_size;
}

static void add_item(struct wl_gen *g, struct wl_item it)
{
	if (g->nr_items == g->cap_items) {
		g->cap_items = g->cap_items ? 2 * g->cap_items : 256;
		g->items = realloc(g->items, g->cap_items * sizeof(*g->items));
		if (!g->items) {
			fprintf(stderr, "workload: out of memory\n");
			abort();
		}
	}
	g->items[g->nr_items++] = it;
}

/* ---- entry values ---- */

uint64_t wl_window_la(const struct wl_gen *g, unsigned w)
{
	uint64_t size = g->m->large_size;
	if (w % 2 == 0)
		return X86_PAGE_SIZE_4M + (uint64_t)(w / 2) * size;
	return g->m->user_top - (uint64_t)(w / 2 + 1) * size;
}

uint64_t wl_kwindow_la(const struct wl_gen *g, unsigned k)
{
	return g->m->kdata + (uint64_t)k * g->m->large_size;
}

/* Leaf rights, A and D; the address is the caller's. */
static uint64_t leaf_flags(struct wl_gen *g, bool user)
{
	struct wl_rng *r = &g->rng;
	uint64_t f = X86_PTE_P;
	if (wl_rng_pct(r, 75))
		f |= X86_PTE_RW;
	if (user && wl_rng_pct(r, 90))
		f |= X86_PTE_US;
	if (g->wc->global && wl_rng_pct(r, user ? 5 : 70))
		f |= X86_PTE_G;
	if (g->nx_bits && wl_rng_pct(r, user ? 25 : 40))
		f |= X86_PTE_XD;
	if (g->pke && user)
		f |= wl_rng_below(r, 16) << X86_PTE_PKEY_SHIFT;
	if (wl_rng_pct(r, 50))
		f |= X86_PTE_A;
	if (wl_rng_pct(r, 25))
		f |= X86_PTE_D;
	return f;
}

static uint64_t data_page(struct wl_gen *g)
{
	return g->l.data_base + wl_rng_below(&g->rng, g->l.nr_data) * PAGE;
}

static uint64_t large_page(struct wl_gen *g)
{
	return g->l.large_base +
	       wl_rng_below(&g->rng, g->l.nr_large) * g->m->large_size;
}

static uint64_t leaf_4k(struct wl_gen *g, bool user)
{
	return data_page(g) | leaf_flags(g, user);
}

static uint64_t leaf_large(struct wl_gen *g, bool user)
{
	return large_page(g) | X86_PTE_PS | leaf_flags(g, user);
}

static bool item_user(const struct wl_item *it)
{
	return it->space >= 0;
}

/* One random change of a 4 KiB leaf: remap, rights, unmap, map, age.
 * New rights are drawn like the initial ones, so that the mix of rights
 * does not drift towards everything-forbidden as a run goes on. */
uint64_t wl_change_pte(struct wl_gen *g, const struct wl_item *it, uint64_t old)
{
	struct wl_rng *r = &g->rng;
	bool user = item_user(it);
	if (!(old & X86_PTE_P))
		return leaf_4k(g, user);
	unsigned c = (unsigned)wl_rng_below(r, 100);
	if (c < 35)
		return (old & ~addr_mask(g)) | data_page(g);
	if (c < 65) {
		uint64_t rights = X86_PTE_RW | X86_PTE_US | X86_PTE_G |
				  X86_PTE_XD | X86_PTE_PKEY_MASK;
		uint64_t val = (old & ~rights) | (leaf_flags(g, user) & rights);
		if (val != old)
			return val;
		return old ^
		       (user && wl_rng_pct(r, 50) ? X86_PTE_US : X86_PTE_RW);
	}
	if (c < 75)
		return old & ~X86_PTE_P;
	return old & ~(X86_PTE_A | X86_PTE_D); /* page aging */
}

/* One random change of a window's PDE: table <-> large leaf <-> absent,
 * rights restricted at the upper level, large page remapped or aged. */
uint64_t wl_change_pde(struct wl_gen *g, const struct wl_item *it, uint64_t old)
{
	struct wl_rng *r = &g->rng;
	bool user = item_user(it);
	uint64_t table = it->pt | table_flags(g, 2, user);
	unsigned c = (unsigned)wl_rng_below(r, 100);
	bool large_ok = g->wc->large;

	if (!(old & X86_PTE_P))
		return (large_ok && c < 50) ? leaf_large(g, user) : table;
	if (!(old & X86_PTE_PS)) {
		if (large_ok && c < 40)
			return leaf_large(g, user);
		if (c < 45)
			return old & ~X86_PTE_P;
		if ((old & ~X86_PTE_A) != (table & ~X86_PTE_A))
			return table; /* restore full rights */
		if (g->nx_bits && wl_rng_pct(r, 50))
			return old | X86_PTE_XD;
		return old &
		       ~(wl_rng_pct(r, 50) || !user ? X86_PTE_RW : X86_PTE_US);
	}
	if (c < 40)
		return table;
	if (c < 45)
		return old & ~X86_PTE_P;
	if (c < 80)
		return (old & ~(addr_mask(g) & ~(g->m->large_size - 1))) |
		       large_page(g);
	if (wl_rng_pct(r, 50))
		return old & ~(X86_PTE_A | X86_PTE_D);
	return old ^ X86_PTE_RW;
}

/* ---- building the guest ---- */

/* A window of `pages` 4 KiB pages at `la` under `root`; its PTEs become
 * items, its PDE too when it belongs to one space or a shared table. */
static unsigned build_window(struct wl_gen *g, uint64_t root, int space,
			     uint64_t la, unsigned pages, bool pde_item,
			     bool start_large)
{
	bool user = space >= 0;
	unsigned first = g->nr_items;
	for (unsigned p = 0; p < pages; p++) {
		uint64_t pla = la + (uint64_t)p * PAGE;
		uint64_t slot = entry_slot(g, root, pla, 1, user);
		wl_entry_set(g, slot, leaf_4k(g, user));
		add_item(g, (struct wl_item){ .slot = slot,
					      .la = pla,
					      .pt = NONE,
					      .space = space,
					      .level = 1 });
	}
	if (!pde_item)
		return first;
	uint64_t pde = entry_slot(g, root, la, 2, user);
	struct wl_item it = { .slot = pde,
			      .la = la,
			      .pt = wl_entry_get(g, pde) & addr_mask(g),
			      .space = space,
			      .level = 2 };
	add_item(g, it);
	if (g->wc->large && start_large)
		wl_entry_set(g, pde, leaf_large(g, user));
	return first;
}

static void build_kernel(struct wl_gen *g)
{
	const struct wl_mode *m = g->m;
	g->kroot = alloc_table(g);

	/* The direct map of every table page, those it needs included. */
	uint64_t leaf = X86_PTE_P | X86_PTE_RW | X86_PTE_A | X86_PTE_D |
			(g->wc->global ? X86_PTE_G : 0) |
			(g->nx_bits ? X86_PTE_XD : 0);
	for (uint64_t i = 0; i < g->l.nr_tables; i++) {
		uint64_t slot =
			entry_slot(g, g->kroot, m->dmap + i * PAGE, 1, false);
		wl_entry_set(g, slot, (TABLES_BASE + i * PAGE) | leaf);
	}

	/* Kernel PDEs are copies in 32-bit paging: not changed there. */
	bool pde_item = g->m->levels > 2;
	for (unsigned k = 0; k < g->l.nr_kwindows; k++)
		g->kwin_item[k] =
			build_window(g, g->kroot, -1, wl_kwindow_la(g, k),
				     KWIN_PAGES, pde_item, k == 2);
}

static void build_space(struct wl_gen *g, unsigned sp)
{
	const struct wl_mode *m = g->m;
	unsigned L = m->levels;
	unsigned n = 1u << m->bits[L];
	uint64_t root = alloc_table(g);
	g->root[sp] = root;
	for (unsigned i = n / 2; i < n; i++) {
		uint64_t e = wl_entry_get(g, g->kroot + i * m->entry_size);
		if (e)
			wl_entry_set(g, root + i * m->entry_size, e);
	}
	for (unsigned w = 0; w < g->l.nr_windows; w++)
		g->uwin_item[sp * g->l.nr_windows + w] = build_window(
			g, root, (int)sp, wl_window_la(g, w), g->l.window_pages,
			true, wl_rng_pct(&g->rng, 30));
}

void workload_toggle_all(struct workload_config *wc)
{
	wc->smep = wc->smap = wc->pke = true;
	wc->wp_toggle = wc->nx_toggle = true;
	wc->pcide_toggle = wc->paging_toggle = true;
}

uint16_t wl_space_pcid(const struct wl_gen *g, unsigned sp)
{
	unsigned n = g->wc->pcids ? g->wc->pcids : g->wc->nr_spaces;
	return (uint16_t)(sp % n + 1);
}

uint64_t wl_space_cr3(const struct wl_gen *g, unsigned sp)
{
	return g->root[sp] | (g->pcide ? wl_space_pcid(g, sp) : 0);
}

static void initial_regs(struct wl_gen *g, unsigned v,
			 struct smmu_paging_regs *r)
{
	const struct workload_config *wc = g->wc;
	memset(r, 0, sizeof(*r));
	r->cr0 = X86_CR0_PE | X86_CR0_PG;
	if (!wc->wp_toggle || wl_rng_pct(&g->rng, 50))
		r->cr0 |= X86_CR0_WP;
	switch (wc->mode) {
	case SMMU_PAGING_32BIT:
		r->cr4 = wc->large ? X86_CR4_PSE : 0;
		break;
	case SMMU_PAGING_PAE:
		r->cr4 = X86_CR4_PAE;
		break;
	case SMMU_PAGING_5LEVEL:
		r->cr4 = X86_CR4_PAE | X86_CR4_LA57;
		r->efer = X86_EFER_LME | X86_EFER_LMA;
		break;
	default:
		r->cr4 = X86_CR4_PAE;
		r->efer = X86_EFER_LME | X86_EFER_LMA;
		break;
	}
	if (wc->global)
		r->cr4 |= X86_CR4_PGE;
	if (g->pcide)
		r->cr4 |= X86_CR4_PCIDE;
	if (wc->smep)
		r->cr4 |= X86_CR4_SMEP;
	if (wc->smap)
		r->cr4 |= X86_CR4_SMAP;
	if (g->pke)
		r->cr4 |= X86_CR4_PKE;
	if (wc->nx)
		r->efer |= X86_EFER_NXE;
	unsigned sp = v % wc->nr_spaces;
	g->vcpu[v].space = sp;
	r->cr3 = wl_space_cr3(g, sp);
	if (wc->mode == SMMU_PAGING_PAE)
		for (unsigned i = 0; i < 4; i++)
			r->pdpte[i] = wl_entry_get(g, g->root[sp] + 8 * i);
}

int workload_build(struct sim *s, const struct workload_config *wc)
{
	if (!config_ok(wc))
		return -1;
	if (wc->nr_vcpus != s->cfg.nr_vcpus) {
		fprintf(stderr,
			"workload: configured for %u vCPUs, the simulation "
			"has %u\n",
			wc->nr_vcpus, s->cfg.nr_vcpus);
		return -1;
	}

	struct wl_gen *g = calloc(1, sizeof(*g));
	if (!g) {
		fprintf(stderr, "workload: out of memory\n");
		return -1;
	}
	g->wc = wc;
	g->s = s;
	g->ram = &s->host.ram;
	g->m = mode_of(wc->mode);
	layout_of(wc, &g->l);
	g->rng.s = wc->seed;
	g->pcide = wc->pcid && long_mode(wc->mode);
	g->pke = wc->pke && long_mode(wc->mode);
	g->nx_bits = wc->nx && g->m->entry_size == 8;
	g->building = true;

	int ret = -1;
	if (g->l.ram_size > g->ram->size ||
	    (g->m->entry_size == 4 && g->l.ram_size > (UINT64_C(1) << 32)) ||
	    g->l.ram_size > (UINT64_C(1) << s->cfg.maxphyaddr)) {
		fprintf(stderr,
			"workload: needs %llu MiB of guest RAM below "
			"MAXPHYADDR %u (and 4 GiB in 32-bit paging), the "
			"simulation has %llu MiB\n",
			(unsigned long long)(g->l.ram_size >> 20),
			s->cfg.maxphyaddr,
			(unsigned long long)(g->ram->size >> 20));
		goto out;
	}
	g->tab = calloc(g->l.nr_tables * PAGE / 8, sizeof(uint64_t));
	g->uwin_item = calloc((size_t)wc->nr_spaces * g->l.nr_windows,
			      sizeof(*g->uwin_item));
	if (!g->tab || !g->uwin_item) {
		fprintf(stderr, "workload: out of memory\n");
		goto out;
	}

	build_kernel(g);
	g->first_space_item = g->nr_items;
	for (unsigned sp = 0; sp < wc->nr_spaces; sp++)
		build_space(g, sp);
	g->building = false;

	for (unsigned v = 0; v < wc->nr_vcpus; v++) {
		struct wl_vcpu *c = &g->vcpu[v];
		initial_regs(g, v, &c->regs);
		c->end = s->vcpu[v].prog.nr + wc->ops;
		if (sim_vcpu_set_regs(s, v, &c->regs)) {
			fprintf(stderr,
				"workload: vCPU %u refused its initial "
				"registers\n",
				v);
			goto out;
		}
	}
	wl_gen_programs(g);
	ret = 0;
out:
	free(g->items);
	free(g->uwin_item);
	free(g->tab);
	free(g);
	return ret;
}
