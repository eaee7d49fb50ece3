/* SPDX-License-Identifier: MIT */
/*
 * The random workload generator (see workload.h).
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
 *
 * Programs are generated round-robin, one operation per vCPU at a time,
 * so the shared table copy evolves roughly as the run will. Each vCPU's
 * registers depend only on its own program and are tracked exactly. The
 * operations (enum workload_op, weighted):
 *
 *   access/store  user code mostly on user pages and the kernel on its own,
 *                 with some of everything else (SMAP with and without
 *                 EFLAGS.AC, implicit supervisor reads, fetches, random
 *                 PKRU); aimed at the latest page-table changes
 *                 (recent_pct), at a small per-vCPU working set, or
 *                 anywhere, reads also at the direct map and at random
 *                 canonical addresses.
 *   pte           one entry changed, often one behind a page this vCPU used
 *                 lately: a leaf remapped, given new rights, unmapped,
 *                 mapped again or aged (A/D cleared); a window's PDE turned
 *                 into a large leaf, back into its table, unmapped, or
 *                 restricted. With flush_prob, the careful invalidation
 *                 follows: INVLPG, a CR3 reload, INVPCID or a PV flush
 *                 locally, and a shootdown of the other vCPUs.
 *   cr3           a switch to a random space (NOFLUSH half the time with
 *                 PCIDs).
 *   ctl           CR4.PGE/SMEP/SMAP or CR0.WP flipped.
 *   flush         an invalidation with no change behind it.
 */
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_ops.h"
#include "guest_ram.h"
#include "sim.h"

#define TABLES_BASE   UINT64_C(0x100000)
#define PAGE	      X86_PAGE_SIZE
#define MAX_WINDOW_PG 32u /* 4 KiB pages mapped per user window, at most */
#define KWIN_PAGES    16u /* 4 KiB pages per kernel window */
#define NR_RECENT     32u
#define NR_TOUCHED    16u
#define WORKING_SET   8u /* pages a vCPU keeps coming back to */
#define NONE	      UINT64_MAX

/* ---- deterministic randomness: splitmix64 ---- */

struct wl_rng {
	uint64_t s;
};

static uint64_t rng_next(struct wl_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, n); 0 when n is 0. */
static uint64_t rng_below(struct wl_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

static bool rng_pct(struct wl_rng *r, unsigned pct)
{
	return rng_below(r, 100) < pct;
}

static bool rng_chance(struct wl_rng *r, double p)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53 < p;
}

/* ---- paging modes, as data ---- */

struct wl_mode {
	const char *name;
	unsigned levels;     /* table levels; PAE counts the PDPT */
	unsigned entry_size; /* bytes */
	uint8_t shift[6];    /* [1] = PT */
	uint8_t bits[6];
	uint64_t large_size; /* a leaf at level 2 */
	uint64_t user_top;   /* end of the user half */
	uint64_t kdata, dmap;
	unsigned la_bits; /* linear-address width (canonical form) */
};

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

struct wl_layout {
	unsigned nr_windows, window_pages; /* user windows per space */
	unsigned nr_kwindows;		   /* kernel windows */
	uint64_t nr_tables;		   /* table region, pages */
	uint64_t data_base, nr_data;	   /* 4 KiB data pages */
	uint64_t large_base, nr_large;	   /* large data pages */
	uint64_t ram_size;
};

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
};

static const unsigned default_weight[WL_NR_OPS] = {
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
	memcpy(wc->weight, default_weight, sizeof(wc->weight));
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

/* An entry the guest changes while it runs. */
struct wl_item {
	uint64_t slot; /* gpa of the entry */
	uint64_t la;   /* first linear address it maps */
	uint64_t pt;   /* level 2: the page table it links when not large */
	int space;     /* -1: kernel, shared by every space */
	uint8_t level; /* 1: 4 KiB leaf; 2: PDE (table, large leaf or absent) */
};

struct wl_vcpu {
	unsigned space;
	struct smmu_paging_regs regs;
	unsigned end; /* program length to stop at */
	/* Items behind pages this vCPU accessed lately: changing those
	 * makes stale translations likely. */
	unsigned touched[NR_TOUCHED];
	unsigned nr_touched, touched_pos;
	uint64_t working[WORKING_SET]; /* page las, 0: not chosen yet */
};

struct wl_gen {
	const struct workload_config *wc;
	struct sim *s;
	struct smmu_posix_ram *ram;
	const struct wl_mode *m;
	struct wl_layout l;
	struct wl_rng rng;
	bool pcide, pke, nx_bits, building;
	uint64_t tables_used;
	uint64_t *tab; /* the table region, as 8-byte slots */
	uint64_t kroot;
	uint64_t root[WORKLOAD_MAX_SPACES];
	struct wl_item *items;
	unsigned nr_items, cap_items;
	unsigned first_space_item; /* items before it are the kernel's */
	unsigned *uwin_item; /* [space][window]: the window's first item */
	unsigned kwin_item[3];
	uint64_t recent[NR_RECENT]; /* recently changed page las */
	unsigned nr_recent, recent_pos;
	struct wl_vcpu vcpu[SIM_MAX_CPUS];
};

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

static uint64_t entry_get(struct wl_gen *g, uint64_t gpa)
{
	uint64_t v = *slot_of(g, gpa);
	if (g->m->entry_size == 8)
		return v;
	return (gpa & 4) ? v >> 32 : v & 0xffffffffu;
}

/* Sets the entry in the copy; returns the full 8-byte slot now. */
static uint64_t entry_set(struct wl_gen *g, uint64_t gpa, uint64_t val)
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
		uint64_t e = entry_get(g, egpa);
		if (!(e & X86_PTE_P)) {
			e = alloc_table(g) | table_flags(g, l, user);
			entry_set(g, egpa, e);
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

static uint64_t window_la(const struct wl_gen *g, unsigned w)
{
	uint64_t size = g->m->large_size;
	if (w % 2 == 0)
		return X86_PAGE_SIZE_4M + (uint64_t)(w / 2) * size;
	return g->m->user_top - (uint64_t)(w / 2 + 1) * size;
}

static uint64_t kwindow_la(const struct wl_gen *g, unsigned k)
{
	return g->m->kdata + (uint64_t)k * g->m->large_size;
}

/* Leaf rights, A and D; the address is the caller's. */
static uint64_t leaf_flags(struct wl_gen *g, bool user)
{
	struct wl_rng *r = &g->rng;
	uint64_t f = X86_PTE_P;
	if (rng_pct(r, 75))
		f |= X86_PTE_RW;
	if (user && rng_pct(r, 90))
		f |= X86_PTE_US;
	if (g->wc->global && rng_pct(r, user ? 5 : 70))
		f |= X86_PTE_G;
	if (g->nx_bits && rng_pct(r, user ? 25 : 40))
		f |= X86_PTE_XD;
	if (g->pke && user)
		f |= rng_below(r, 16) << X86_PTE_PKEY_SHIFT;
	if (rng_pct(r, 50))
		f |= X86_PTE_A;
	if (rng_pct(r, 25))
		f |= X86_PTE_D;
	return f;
}

static uint64_t data_page(struct wl_gen *g)
{
	return g->l.data_base + rng_below(&g->rng, g->l.nr_data) * PAGE;
}

static uint64_t large_page(struct wl_gen *g)
{
	return g->l.large_base +
	       rng_below(&g->rng, g->l.nr_large) * g->m->large_size;
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
static uint64_t change_pte(struct wl_gen *g, const struct wl_item *it,
			   uint64_t old)
{
	struct wl_rng *r = &g->rng;
	bool user = item_user(it);
	if (!(old & X86_PTE_P))
		return leaf_4k(g, user);
	unsigned c = (unsigned)rng_below(r, 100);
	if (c < 35)
		return (old & ~addr_mask(g)) | data_page(g);
	if (c < 65) {
		uint64_t rights = X86_PTE_RW | X86_PTE_US | X86_PTE_G |
				  X86_PTE_XD | X86_PTE_PKEY_MASK;
		uint64_t val = (old & ~rights) | (leaf_flags(g, user) & rights);
		if (val != old)
			return val;
		return old ^ (user && rng_pct(r, 50) ? X86_PTE_US : X86_PTE_RW);
	}
	if (c < 75)
		return old & ~X86_PTE_P;
	return old & ~(X86_PTE_A | X86_PTE_D); /* page aging */
}

/* One random change of a window's PDE: table <-> large leaf <-> absent,
 * rights restricted at the upper level, large page remapped or aged. */
static uint64_t change_pde(struct wl_gen *g, const struct wl_item *it,
			   uint64_t old)
{
	struct wl_rng *r = &g->rng;
	bool user = item_user(it);
	uint64_t table = it->pt | table_flags(g, 2, user);
	unsigned c = (unsigned)rng_below(r, 100);
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
		if (g->nx_bits && rng_pct(r, 50))
			return old | X86_PTE_XD;
		return old &
		       ~(rng_pct(r, 50) || !user ? X86_PTE_RW : X86_PTE_US);
	}
	if (c < 40)
		return table;
	if (c < 45)
		return old & ~X86_PTE_P;
	if (c < 80)
		return (old & ~(addr_mask(g) & ~(g->m->large_size - 1))) |
		       large_page(g);
	if (rng_pct(r, 50))
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
		entry_set(g, slot, leaf_4k(g, user));
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
			      .pt = entry_get(g, pde) & addr_mask(g),
			      .space = space,
			      .level = 2 };
	add_item(g, it);
	if (g->wc->large && start_large)
		entry_set(g, pde, leaf_large(g, user));
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
		entry_set(g, slot, (TABLES_BASE + i * PAGE) | leaf);
	}

	/* Kernel PDEs are copies in 32-bit paging: not changed there. */
	bool pde_item = g->m->levels > 2;
	for (unsigned k = 0; k < g->l.nr_kwindows; k++)
		g->kwin_item[k] =
			build_window(g, g->kroot, -1, kwindow_la(g, k),
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
		uint64_t e = entry_get(g, g->kroot + i * m->entry_size);
		if (e)
			entry_set(g, root + i * m->entry_size, e);
	}
	for (unsigned w = 0; w < g->l.nr_windows; w++)
		g->uwin_item[sp * g->l.nr_windows + w] = build_window(
			g, root, (int)sp, window_la(g, w), g->l.window_pages,
			true, rng_pct(&g->rng, 30));
}

static uint16_t space_pcid(unsigned sp)
{
	return (uint16_t)(sp + 1);
}

static uint64_t space_cr3(const struct wl_gen *g, unsigned sp)
{
	return g->root[sp] | (g->pcide ? space_pcid(sp) : 0);
}

static void initial_regs(struct wl_gen *g, unsigned v,
			 struct smmu_paging_regs *r)
{
	const struct workload_config *wc = g->wc;
	memset(r, 0, sizeof(*r));
	r->cr0 = X86_CR0_PE | X86_CR0_PG;
	if (!wc->wp_toggle || rng_pct(&g->rng, 50))
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
	r->cr3 = space_cr3(g, sp);
	if (wc->mode == SMMU_PAGING_PAE)
		for (unsigned i = 0; i < 4; i++)
			r->pdpte[i] = entry_get(g, g->root[sp] + 8 * i);
}

/* ---- programs ---- */

static void emit(struct wl_gen *g, unsigned v, struct gop op)
{
	struct guest_prog *p = &g->s->vcpu[v].prog;
	if (p->nr < g->vcpu[v].end)
		guest_prog_add(p, op);
}

static bool prog_full(const struct wl_gen *g, unsigned v)
{
	return g->s->vcpu[v].prog.nr >= g->vcpu[v].end;
}

static uint64_t canonical(const struct wl_gen *g, uint64_t la)
{
	unsigned bits = g->m->la_bits;
	if (bits == 32)
		return la & 0xffffffffu;
	uint64_t sign = UINT64_C(1) << (bits - 1);
	la &= (sign << 1) - 1;
	return (la ^ sign) - sign;
}

static uint32_t random_pkru(struct wl_gen *g)
{
	if (!g->pke || !rng_pct(&g->rng, 30))
		return 0;
	uint32_t pkru = 0;
	for (unsigned k = 0; k < 16; k++) {
		if (rng_pct(&g->rng, 12))
			pkru |= X86_PKRU_AD(k);
		if (rng_pct(&g->rng, 25))
			pkru |= X86_PKRU_WD(k);
	}
	return pkru;
}

/* A page in a user window (the one past the mapped ones sometimes). */
static uint64_t user_page(struct wl_gen *g)
{
	unsigned w = (unsigned)rng_below(&g->rng, g->l.nr_windows);
	return window_la(g, w) +
	       rng_below(&g->rng, g->l.window_pages + 1) * PAGE;
}

static uint64_t kernel_page(struct wl_gen *g)
{
	unsigned k = (unsigned)rng_below(&g->rng, g->l.nr_kwindows);
	return kwindow_la(g, k) + rng_below(&g->rng, KWIN_PAGES + 1) * PAGE;
}

static uint64_t random_page(struct wl_gen *g)
{
	return rng_pct(&g->rng, 70) ? user_page(g) : kernel_page(g);
}

/* Where an access or store goes: recently changed pages (mostly the
 * latest), the vCPU's working set (locality: what it cached before a
 * change is what it uses after), else anywhere. Reads also roam the direct
 * map and random canonical addresses; stores never target the direct map,
 * only page-table updates do. */
static uint64_t pick_la(struct wl_gen *g, unsigned v, bool store)
{
	struct wl_rng *r = &g->rng;
	struct wl_vcpu *c = &g->vcpu[v];
	uint64_t page;
	unsigned k = (unsigned)rng_below(r, 100);
	if (g->nr_recent && rng_pct(r, g->wc->recent_pct)) {
		page = g->recent[rng_pct(r, 50) ? (g->recent_pos + NR_RECENT -
						   1) % NR_RECENT
						: rng_below(r, g->nr_recent)];
	} else if (k < 50) {
		unsigned i = (unsigned)rng_below(r, WORKING_SET);
		if (!c->working[i] || rng_pct(r, 5))
			c->working[i] = random_page(g);
		page = c->working[i];
	} else if (k < 80 || (store && k >= 90)) {
		page = user_page(g);
	} else if (k < 90) {
		page = kernel_page(g);
	} else if (k < 97) {
		page = g->m->dmap + rng_below(r, g->tables_used) * PAGE;
	} else {
		return canonical(g, rng_next(r)) & ~UINT64_C(7);
	}
	return page + rng_below(r, PAGE / 8) * 8;
}

static bool is_user_la(const struct wl_gen *g, uint64_t la)
{
	return la < g->m->user_top;
}

/* Mostly what a kernel and its processes do (user code on user pages,
 * the kernel on its own), with enough of the rest to hit every rights
 * check: supervisor accesses to user pages (SMAP, EFLAGS.AC), user
 * accesses to kernel pages, implicit supervisor accesses, fetches. */
static uint32_t access_flags(struct wl_gen *g, uint64_t la, bool store)
{
	struct wl_rng *r = &g->rng;
	bool user = rng_pct(r, is_user_la(g, la) ? 75 : 5);
	if (!store && rng_pct(r, 12))
		return SMMU_ACCESS_FETCH | (user ? SMMU_ACCESS_USER : 0);
	if (user)
		return SMMU_ACCESS_USER;
	uint32_t f = 0;
	if (g->wc->smap && is_user_la(g, la) && rng_pct(r, 60))
		f |= SMMU_ACCESS_AC;
	if (!store && rng_pct(r, 4))
		f |= SMMU_ACCESS_IMPLICIT;
	return f;
}

/* The item that maps `la` in `space` (its PDE with `pde`), or -1. */
static int item_at(const struct wl_gen *g, unsigned space, uint64_t la,
		   bool pde)
{
	uint64_t size = g->m->large_size;
	uint64_t base = la & ~(size - 1);
	unsigned first, pages;
	bool has_pde = true;
	unsigned w;

	for (w = 0; w < g->l.nr_windows && window_la(g, w) != base; w++)
		;
	if (w < g->l.nr_windows) {
		first = g->uwin_item[space * g->l.nr_windows + w];
		pages = g->l.window_pages;
	} else {
		for (w = 0; w < g->l.nr_kwindows && kwindow_la(g, w) != base;
		     w++)
			;
		if (w == g->l.nr_kwindows)
			return -1;
		first = g->kwin_item[w];
		pages = KWIN_PAGES;
		has_pde = g->m->levels > 2;
	}
	if (pde)
		return has_pde ? (int)(first + pages) : -1;
	uint64_t p = (la - base) / PAGE;
	return p < pages ? (int)(first + p) : -1;
}

static void touch(struct wl_gen *g, unsigned v, uint64_t la)
{
	struct wl_vcpu *c = &g->vcpu[v];
	int i = item_at(g, c->space, la, rng_pct(&g->rng, 10));
	if (i < 0)
		return;
	c->touched[c->touched_pos] = (unsigned)i;
	c->touched_pos = (c->touched_pos + 1) % NR_TOUCHED;
	if (c->nr_touched < NR_TOUCHED)
		c->nr_touched++;
}

static void gen_access(struct wl_gen *g, unsigned v, bool store)
{
	uint64_t la = pick_la(g, v, store);
	struct gop op = { .kind = store ? GOP_STORE : GOP_ACCESS,
			  .flags = access_flags(g, la, store),
			  .pkru = random_pkru(g),
			  .la = la };
	if (store)
		op.val = rng_next(&g->rng);
	emit(g, v, op);
	touch(g, v, la);
}

static uint64_t other_vcpus(const struct wl_gen *g, unsigned v)
{
	uint64_t all = g->wc->nr_vcpus == 64
			       ? ~UINT64_C(0)
			       : (UINT64_C(1) << g->wc->nr_vcpus) - 1;
	return all & ~(UINT64_C(1) << v);
}

static void shootdown(struct wl_gen *g, unsigned v, uint64_t la, bool all)
{
	uint64_t targets = other_vcpus(g, v);
	if (!targets)
		return;
	if (rng_pct(&g->rng, 20)) {
		uint64_t some = targets & rng_next(&g->rng);
		if (some)
			targets = some;
	}
	emit(g, v,
	     (struct gop){ .kind = GOP_SHOOTDOWN,
			   .la = (all || rng_pct(&g->rng, 15)) ? GOP_ALL : la,
			   .targets = targets });
}

static void invpcid(struct wl_gen *g, unsigned v, unsigned type, uint16_t pcid,
		    uint64_t la)
{
	emit(g, v,
	     (struct gop){ .kind = GOP_INVPCID,
			   .type = (uint8_t)type,
			   .pcid = pcid,
			   .la = la });
}

static uint16_t current_pcid(const struct wl_gen *g, unsigned v)
{
	return g->pcide ? space_pcid(g->vcpu[v].space) : 0;
}

/* What a careful guest does after changing item `it` at `la`: invalidate
 * locally (INVLPG, INVPCID, a CR3 reload for a non-global change, or a
 * full paravirtual flush), then shoot the other vCPUs down. A changed PDE
 * covers a whole window, so it gets a whole-context flush. */
static void careful_flush(struct wl_gen *g, unsigned v,
			  const struct wl_item *it, uint64_t la)
{
	struct wl_rng *r = &g->rng;
	bool kernel = it->space < 0;
	bool wide = it->level > 1;
	bool loaded = kernel || (unsigned)it->space == g->vcpu[v].space;
	unsigned c = (unsigned)rng_below(r, 100);

	if (loaded) {
		if (!wide && c < 55)
			emit(g, v,
			     (struct gop){ .kind = GOP_INVLPG, .la = la });
		else if (!kernel && c < 70)
			emit(g, v,
			     (struct gop){
				     .kind = GOP_MOV_CR3,
				     .val = space_cr3(g, g->vcpu[v].space) });
		else if (g->pcide && c < 85 && kernel)
			invpcid(g, v, HW_INVPCID_ALL_GLOBAL, 0, 0);
		else if (g->pcide && c < 85 && wide)
			invpcid(g, v, HW_INVPCID_SINGLE, current_pcid(g, v), 0);
		else if (g->pcide && c < 85)
			invpcid(g, v, HW_INVPCID_ADDR, current_pcid(g, v), la);
		else
			emit(g, v, (struct gop){ .kind = GOP_PV_FLUSH });
	} else if (g->pcide && c < 70) {
		uint16_t pcid = space_pcid((unsigned)it->space);
		if (wide)
			invpcid(g, v, HW_INVPCID_SINGLE, pcid, 0);
		else
			invpcid(g, v, HW_INVPCID_ADDR, pcid, la);
	}
	shootdown(g, v, la, wide);
}

static void remember(struct wl_gen *g, uint64_t la)
{
	g->recent[g->recent_pos] = la & ~(PAGE - 1);
	g->recent_pos = (g->recent_pos + 1) % NR_RECENT;
	if (g->nr_recent < NR_RECENT)
		g->nr_recent++;
}

static void gen_pte_change(struct wl_gen *g, unsigned v)
{
	struct wl_rng *r = &g->rng;
	const struct wl_item *it;
	/* Mostly the running space and the kernel, sometimes any space. */
	unsigned first = g->first_space_item, nk = first;
	unsigned per_space = (g->nr_items - first) / g->wc->nr_spaces;
	struct wl_vcpu *c = &g->vcpu[v];
	if (c->nr_touched && rng_pct(r, 50)) {
		it = &g->items[c->touched[rng_below(r, c->nr_touched)]];
	} else if (rng_pct(r, 70)) {
		unsigned i = (unsigned)rng_below(r, nk / 4 + per_space);
		if (i < per_space)
			it = &g->items[first + g->vcpu[v].space * per_space +
				       i];
		else
			it = &g->items[rng_below(r, nk)];
	} else {
		it = &g->items[rng_below(r, g->nr_items)];
	}

	uint64_t old = entry_get(g, it->slot);
	uint64_t val = it->level == 1 ? change_pte(g, it, old)
				      : change_pde(g, it, old);
	uint64_t slot = entry_set(g, it->slot, val);
	uint64_t la = it->la;
	if (it->level > 1)
		la += rng_below(r, it->space < 0 ? KWIN_PAGES
						 : g->l.window_pages) *
		      PAGE;
	emit(g, v,
	     (struct gop){ .kind = GOP_STORE,
			   .la = g->m->dmap +
				 ((it->slot & ~UINT64_C(7)) - TABLES_BASE),
			   .val = slot });
	remember(g, la);
	if (rng_chance(r, g->wc->flush_prob))
		careful_flush(g, v, it, la);
}

static void gen_cr3(struct wl_gen *g, unsigned v)
{
	struct wl_vcpu *c = &g->vcpu[v];
	unsigned sp = (unsigned)rng_below(&g->rng, g->wc->nr_spaces);
	uint64_t val = space_cr3(g, sp);
	c->space = sp;
	c->regs.cr3 = val;
	if (g->pcide && rng_pct(&g->rng, 50))
		val |= X86_CR3_NOFLUSH;
	emit(g, v, (struct gop){ .kind = GOP_MOV_CR3, .val = val });
}

static bool gen_ctl(struct wl_gen *g, unsigned v)
{
	struct wl_vcpu *c = &g->vcpu[v];
	uint64_t cr4_bits[3];
	unsigned n = 0;
	if (g->wc->global)
		cr4_bits[n++] = X86_CR4_PGE;
	if (g->wc->smep)
		cr4_bits[n++] = X86_CR4_SMEP;
	if (g->wc->smap)
		cr4_bits[n++] = X86_CR4_SMAP;
	unsigned total = n + (g->wc->wp_toggle ? 1 : 0);
	if (!total)
		return false;
	unsigned i = (unsigned)rng_below(&g->rng, total);
	if (i == n) {
		c->regs.cr0 ^= X86_CR0_WP;
		emit(g, v,
		     (struct gop){ .kind = GOP_MOV_CR0, .val = c->regs.cr0 });
	} else {
		c->regs.cr4 ^= cr4_bits[i];
		emit(g, v,
		     (struct gop){ .kind = GOP_MOV_CR4, .val = c->regs.cr4 });
	}
	return true;
}

/* An invalidation with no change behind it: what kernels do on context
 * switches, munmap of untouched ranges, or out of caution. */
static void gen_flush(struct wl_gen *g, unsigned v)
{
	struct wl_rng *r = &g->rng;
	unsigned c = (unsigned)rng_below(r, 100);
	uint64_t la = rng_pct(r, 70) ? user_page(g) : kernel_page(g);
	if (c < 35) {
		emit(g, v, (struct gop){ .kind = GOP_INVLPG, .la = la });
	} else if (c < 55 && g->pcide) {
		unsigned type = (unsigned)rng_below(r, 4);
		uint16_t pcid = rng_pct(r, 80) ? space_pcid((unsigned)rng_below(
							 r, g->wc->nr_spaces))
					       : (uint16_t)rng_below(r, 4096);
		invpcid(g, v, type, type < 2 ? pcid : 0, type == 0 ? la : 0);
	} else if (c < 70) {
		emit(g, v, (struct gop){ .kind = GOP_PV_FLUSH });
	} else {
		shootdown(g, v, la, false);
	}
}

static enum workload_op pick_op(struct wl_gen *g, const unsigned *weight,
				unsigned total)
{
	uint64_t x = rng_below(&g->rng, total);
	unsigned k = 0;
	while (x >= weight[k])
		x -= weight[k++];
	return (enum workload_op)k;
}

static void gen_op(struct wl_gen *g, unsigned v, const unsigned *weight,
		   unsigned total)
{
	switch (pick_op(g, weight, total)) {
	case WL_OP_ACCESS:
		gen_access(g, v, false);
		break;
	case WL_OP_STORE:
		gen_access(g, v, true);
		break;
	case WL_OP_PTE:
		gen_pte_change(g, v);
		break;
	case WL_OP_CR3:
		gen_cr3(g, v);
		break;
	case WL_OP_CTL:
		if (!gen_ctl(g, v))
			gen_access(g, v, false);
		break;
	case WL_OP_FLUSH:
		gen_flush(g, v);
		break;
	case WL_NR_OPS:
		break;
	}
}

static void gen_programs(struct wl_gen *g)
{
	const struct workload_config *wc = g->wc;
	const unsigned *weight = default_weight;
	unsigned total = 0;
	for (unsigned k = 0; k < WL_NR_OPS; k++)
		total += wc->weight[k];
	if (total)
		weight = wc->weight;
	else
		for (unsigned k = 0; k < WL_NR_OPS; k++)
			total += weight[k];

	for (bool more = true; more;) {
		more = false;
		for (unsigned v = 0; v < wc->nr_vcpus; v++) {
			if (prog_full(g, v))
				continue;
			gen_op(g, v, weight, total);
			more = true;
		}
	}
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
	gen_programs(g);
	ret = 0;
out:
	free(g->items);
	free(g->uwin_item);
	free(g->tab);
	free(g);
	return ret;
}
