/* SPDX-License-Identifier: MIT */
/*
 * Small hand-built guests for the oracle's scenario tests: 4-level paging,
 * a kernel direct map of all guest RAM shared by every address space (the
 * guest edits its page tables through it, as a real kernel does), and
 * helpers that append guest operations to a vCPU's program.
 */
#ifndef SMMU_TEST_ORACLE_GUEST_H
#define SMMU_TEST_ORACLE_GUEST_H

#include "naive_shadow.h"
#include "sim.h"

#define OG_RAM	      (64ull << 20)
#define OG_DIRECT_MAP 0xffff888000000000ull /* la of gpa 0 */
#define OG_DATA	      (32ull << 20)	    /* data pages from here */
#define OG_USER	      (X86_PTE_P | X86_PTE_RW | X86_PTE_US)

struct oguest {
	struct sim sim;
	uint64_t next_table;
	uint64_t kernel_pdpt; /* shared by every space */
};

struct oguest_config {
	const struct sim_mmu_ops *mmu; /* NULL: the naive shadow MMU */
	unsigned nr_vcpus;
	/* Simulated CPUs (0: one per vCPU); with one, the vCPUs take turns
	 * on it in a fixed order, so every run interleaves them alike. */
	unsigned nr_pcpus;
	uint32_t inject;
	uint32_t pool_pages;
	uint8_t cached_roots; /* lib: 0 = the library's default */
	uint32_t host_caps;   /* lib: sim_config.host_caps */
	uint8_t unsync_after_stores;
	uint16_t prefetch_window;
	bool assisted_flush;
	unsigned tlb_capacity;
	bool host_4k_only; /* lib: no 2 MiB backing offered */
};

void og_init(struct oguest *g, const struct oguest_config *cfg);
void og_fini(struct oguest *g);
/* A new address space: its PML4 gpa, with the direct map linked in. */
uint64_t og_space(struct oguest *g);
/* Map la -> gpa (4 KiB) in a space at setup time; returns the PTE's gpa. */
uint64_t og_map(struct oguest *g, uint64_t pml4, uint64_t la, uint64_t gpa,
		uint64_t flags);
/* Point the entry at `level` (2: PDE, ...) that covers la in a space at
 * an existing table, building the levels above: a table shared between
 * spaces. Returns the entry's gpa. */
uint64_t og_link_table(struct oguest *g, uint64_t pml4, uint64_t la, int level,
		       uint64_t table);
/* Paging registers for vCPU v: 4-level, CR3 = pml4 | pcid, extra CR4. */
void og_start(struct oguest *g, unsigned v, uint64_t pml4, uint16_t pcid,
	      uint64_t cr4_extra);

/* Append guest operations to vCPU v's program. */
void og_read(struct oguest *g, unsigned v, uint64_t la);
void og_write(struct oguest *g, unsigned v, uint64_t la, uint64_t val);
/* The guest rewrites the PTE at pte_gpa through the direct map. */
void og_set_pte(struct oguest *g, unsigned v, uint64_t pte_gpa, uint64_t val);
void og_invlpg(struct oguest *g, unsigned v, uint64_t la);
void og_mov_cr3(struct oguest *g, unsigned v, uint64_t cr3);
void og_pv_flush(struct oguest *g, unsigned v);
void og_op(struct oguest *g, unsigned v, struct gop op);

/* Run every program; the number of violations. */
uint64_t og_run(struct oguest *g);

/* ---- scenarios both MMUs' tests build on, for vCPU 0 of a guest just
 * initialised with the MMU under test ---- */
#define OG_LA	  0x400000ull
#define OG_PAGE_A (OG_DATA + 0x1000)
#define OG_PAGE_B (OG_DATA + 0x2000)

/* Map OG_LA to page A, read it (its page table is now shadowed, so
 * write-protected), remap it to page B without invalidating. The PML4. */
uint64_t og_remap(struct oguest *g);
/* With PCID 1: the same remap, then MOV CR3 with NOFLUSH (page A still
 * allowed) and without (page B required). */
void og_noflush_then_flush(struct oguest *g);
/* Unmap OG_LA after a read; read (may hit), INVLPG, read: one #PF. */
void og_unmap_then_invalidate(struct oguest *g);
/* Seed 001: with CR4.PCIDE=0, remap OG_LA and switch away (flushing
 * PCID 000H); set PCIDE and switch back with NOFLUSH: page B required. */
void og_prev_root_across_pcide(struct oguest *g);
/* Seed 000: five spaces with PCIDs 1-5 map OG_LA to different pages,
 * switched round-robin four times, with NOFLUSH after the first round. */
void og_five_spaces_noflush(struct oguest *g);

#endif
