/* SPDX-License-Identifier: MIT */
/*
 * The random workload: a small guest "operating system" built in guest RAM
 * (several address spaces sharing a kernel half, a linear map of every
 * page-table page, user and kernel data pages) and, for every vCPU, a
 * random program that uses it and keeps changing its page tables the way a
 * kernel does: stores through the linear map, followed — or, on purpose,
 * not — by the invalidations a careful kernel would issue.
 *
 * The same configuration and seed always build the same guest and the same
 * programs. workload_guest.c describes the layout.
 */
#ifndef SMMU_POSIX_WORKLOAD_H
#define SMMU_POSIX_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include <shadowmmu/shadowmmu.h>

struct sim;

#define WORKLOAD_MAX_SPACES 16
#define WORKLOAD_MAX_PAGES  4096 /* user pages per space */

/* Kinds of operation a program is drawn from; each is one or a few guest
 * ops (a page-table change is a store plus its invalidations). */
enum workload_op {
	WL_OP_ACCESS, /* read or fetch, user or supervisor */
	WL_OP_STORE,  /* store to a data page */
	WL_OP_PTE,    /* change a page-table entry (+ careful invalidation) */
	WL_OP_CR3,    /* switch address space */
	WL_OP_CTL,    /* toggle CR4.PGE/SMEP/SMAP or CR0.WP */
	WL_OP_FLUSH,  /* an invalidation not tied to a change */
	/* the host behind the guest's back: a device's DMA store into a
	 * page-table entry, new host pages behind a few frames, rarely a
	 * data frame taken away for good; weight 0 unless asked for */
	WL_OP_HOST,
	WL_NR_OPS,
};

/* Short names of enum workload_op ("access", "store", "pte", "cr3", "ctl",
 * "flush", "host"), for command lines. */
extern const char *const workload_op_names[WL_NR_OPS];

struct workload_config {
	/* vCPUs to program; must equal the simulation's nr_vcpus. */
	unsigned nr_vcpus;
	/* Guest operations appended to each vCPU's program. */
	unsigned ops;
	/* Same seed, same guest memory and programs. */
	uint64_t seed;
	/* SMMU_PAGING_32BIT, _PAE, _4LEVEL or _5LEVEL. */
	enum smmu_paging_mode mode;
	/* CR4.PCIDE, one PCID per space, MOV CR3 with the NOFLUSH bit and
	 * INVPCID. Ignored outside 4- and 5-level paging. */
	bool pcid;
	/* With pcid: PCIDs the spaces share, as kernels recycle a few among
	 * many processes (space s uses PCID s % pcids + 1); 0: one each. */
	unsigned pcids;
	/* CR4.PGE, G on kernel leaves (and a few user ones), PGE toggles. */
	bool global;
	/* 2 MiB leaves (4 MiB with CR4.PSE in 32-bit paging) that the
	 * guest also turns back into page tables and again. */
	bool large;
	/* EFER.NXE, and XD bits in 8-byte entries. */
	bool nx;
	/* CR4.SMEP / CR4.SMAP on at start, toggled now and then; with SMAP
	 * some supervisor accesses carry EFLAGS.AC. */
	bool smep, smap;
	/* CR4.PKE on at start and toggled now and then, random keys on
	 * user leaves, random PKRU on some accesses. Ignored outside 4- and
	 * 5-level paging. */
	bool pke;
	/* CR0.WP starts random and is flipped by MOV CR0 (else WP=1). */
	bool wp_toggle;
	/* With nx: EFER.NXE is flipped now and then by WRMSR, which makes
	 * XD bits reserved while it is clear. */
	bool nx_toggle;
	/* With pcid: a vCPU turns CR4.PCIDE off now and then (MOV CR3 then
	 * takes no NOFLUSH, INVPCID no PCID but 0) and on again (after a
	 * MOV CR3 with PCID 0, as the SDM requires). */
	bool pcide_toggle;
	/* CR0.PG cleared for a few accesses (linear = physical) and set
	 * again; in 4- and 5-level paging that leaves IA-32e mode and
	 * enters it again (CR4.PCIDE goes off for the time). */
	bool paging_toggle;
	/* Address spaces ("processes"), 1..WORKLOAD_MAX_SPACES. */
	unsigned nr_spaces;
	/* 4 KiB user pages mapped in each space, 1..WORKLOAD_MAX_PAGES. */
	unsigned pages_per_space;
	/* Probability, 0..1, that a page-table change is followed by the
	 * invalidation a careful guest would do; the others are left stale
	 * on purpose, and the oracle must accept their stale translations. */
	double flush_prob;
	/* Percentage of accesses and stores aimed at recently changed
	 * pages, so that stale-translation paths are exercised. */
	unsigned recent_pct;
	/* Relative frequency of each enum workload_op; all zero selects
	 * the defaults. */
	unsigned weight[WL_NR_OPS];
};

/* Defaults: 1 vCPU, 4-level paging, every feature the mode supports but
 * SMEP/SMAP/PKE/WP toggling, 4 spaces of 64 pages, flush_prob 0.9,
 * recent_pct 30, weights access 55, store 20, pte 12, cr3 8, ctl 1,
 * flush 4. */
void workload_config_default(struct workload_config *wc);

/* Every control-register toggle a guest can make over the same tables:
 * SMEP, SMAP, PKE (on, and toggled), CR0.WP, EFER.NXE, CR4.PCIDE and
 * CR0.PG (CR4.PSE and PGE are toggled whenever large and global pages
 * are on). */
void workload_toggle_all(struct workload_config *wc);

/* Guest RAM the workload needs (the simulation's ram_size), or 0 with a
 * message on stderr when the configuration is invalid. */
uint64_t workload_ram_size(const struct workload_config *wc);

/* Build the guest in s->host.ram (after sim_init, before sim_run), set
 * every vCPU's initial registers and append its program. 0, or -1 with a
 * message on stderr when the configuration is invalid or does not fit. */
int workload_build(struct sim *s, const struct workload_config *wc);

#endif
