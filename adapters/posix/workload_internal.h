/* SPDX-License-Identifier: MIT */
/*
 * The random workload generator's own structures, shared by
 * workload_guest.c (configuration, layout, entry values, building the guest)
 * and workload_programs.c (the vCPUs' programs).
 */
#ifndef SMMU_POSIX_WORKLOAD_INTERNAL_H
#define SMMU_POSIX_WORKLOAD_INTERNAL_H

#include "workload.h"

#include "sim.h"

#define TABLES_BASE UINT64_C(0x100000)
#define PAGE	    X86_PAGE_SIZE
#define KWIN_PAGES  16u /* 4 KiB pages per kernel window */
#define NR_RECENT   32u
#define NR_TOUCHED  16u
#define WORKING_SET 8u /* pages a vCPU keeps coming back to */
#define HOST_UNMAPS 2u /* data frames the host takes away in a run */

/* Deterministic randomness: splitmix64. */
struct wl_rng {
	uint64_t s;
};

uint64_t wl_rng_next(struct wl_rng *r);
/* Uniform in [0, n); 0 when n is 0. */
uint64_t wl_rng_below(struct wl_rng *r, uint64_t n);
/* True with probability pct / 100. */
bool wl_rng_pct(struct wl_rng *r, unsigned pct);
/* True with probability p, 0..1. */
bool wl_rng_chance(struct wl_rng *r, double p);

/* A paging mode, as data. */
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

struct wl_layout {
	unsigned nr_windows, window_pages; /* user windows per space */
	unsigned nr_kwindows;		   /* kernel windows */
	uint64_t nr_tables;		   /* table region, pages */
	uint64_t data_base, nr_data;	   /* 4 KiB data pages */
	uint64_t large_base, nr_large;	   /* large data pages */
	uint64_t ram_size;
};

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
	unsigned host_unmaps;
	struct wl_vcpu vcpu[SIM_MAX_CPUS];
};

/* Relative frequencies of enum workload_op when the configuration gives
 * none. */
extern const unsigned wl_default_weight[WL_NR_OPS];

/* The value of the entry at `gpa` in the generator's copy of the tables. */
uint64_t wl_entry_get(struct wl_gen *g, uint64_t gpa);
/* Sets the entry in the copy (and in guest RAM while building); returns
 * the full 8-byte slot now. */
uint64_t wl_entry_set(struct wl_gen *g, uint64_t gpa, uint64_t val);

/* First linear address of user window `w` and of kernel window `k`. */
uint64_t wl_window_la(const struct wl_gen *g, unsigned w);
uint64_t wl_kwindow_la(const struct wl_gen *g, unsigned k);

/* A random new value for item `it`, a 4 KiB leaf or a window's PDE, whose
 * entry is now `old`. */
uint64_t wl_change_pte(struct wl_gen *g, const struct wl_item *it,
		       uint64_t old);
uint64_t wl_change_pde(struct wl_gen *g, const struct wl_item *it,
		       uint64_t old);

/* Address space `sp`'s PCID, and the CR3 that loads it. */
uint16_t wl_space_pcid(const struct wl_gen *g, unsigned sp);
uint64_t wl_space_cr3(const struct wl_gen *g, unsigned sp);

/* Appends every vCPU's program, round-robin, up to its end (in
 * workload_programs.c). */
void wl_gen_programs(struct wl_gen *g);

#endif
