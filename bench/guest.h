/* SPDX-License-Identifier: MIT */
/*
 * The workloads' guest operating system, built into a trace (trace.h).
 *
 * 4-level paging. A kernel half that every address space shares: a
 * direct map of all guest RAM in 2 MiB pages, through which the guest
 * edits its own page tables as a kernel does; kernel data pages; and an
 * entry trampoline, the one kernel page a KPTI user address space maps.
 * User pages are mapped per address space from BG_USER up.
 *
 * Until bench_guest_go the builder writes paging entries into the
 * trace's initial memory. After it, the same calls emit the guest's own
 * page-table stores (ptwrite events through the direct map) on the
 * writer vCPU: the workload's programs change their tables as they run.
 * The builder keeps an image of every entry it set, so that a workload
 * can read back what its single writer has stored so far.
 */
#ifndef SMMU_BENCH_GUEST_H
#define SMMU_BENCH_GUEST_H

#include "trace.h"

#define BG_RAM	       (UINT64_C(64) << 20)
#define BG_TABLES      (UINT64_C(1) << 20)  /* page tables from here... */
#define BG_DATA	       (UINT64_C(16) << 20) /* ...data frames from here */
#define BG_DMAP	       UINT64_C(0xffff888000000000) /* la of gpa 0 */
#define BG_KDATA       UINT64_C(0xffffffff80000000) /* kernel data pages */
#define BG_TRAMP       UINT64_C(0xfffffe0000000000) /* entry trampoline */
#define BG_USER	       UINT64_C(0x400000)	    /* user pages */
#define BG_KDATA_PAGES 16u

#define BG_USER_RW (X86_PTE_P | X86_PTE_RW | X86_PTE_US)
#define BG_USER_RO (X86_PTE_P | X86_PTE_US)

struct bench_guest {
	struct bench_trace *t;
	bool running;	 /* bench_guest_go was called */
	unsigned writer; /* the vCPU that stores entries while running */
	uint64_t next_table, next_data;
	struct u64map image; /* gpa of an entry -> the value it holds now */
	bool kernel_global;  /* kernel leaves are global (G) */
	uint64_t pml4e_dmap, pml4e_kdata, pml4e_tramp;
};

/* A guest with `nr_vcpus` vCPUs in trace t (initialised, empty): RAM,
 * the kernel half. Kernel leaves carry G if kernel_global. */
void bench_guest_init(struct bench_guest *g, struct bench_trace *t,
		      unsigned nr_vcpus, bool kernel_global);
void bench_guest_fini(struct bench_guest *g);

/* A fresh page table (zero in guest memory) and a data frame. Both abort
 * with a message when the guest's region is used up: a workload sized
 * beyond its guest is a bug in the workload. */
uint64_t bench_guest_table(struct bench_guest *g);
uint64_t bench_guest_frame(struct bench_guest *g);
/* Kernel data page i (0..BG_KDATA_PAGES-1) as the kernel maps it. */
uint64_t bench_guest_kdata_la(unsigned i);

/* A new address space (its PML4). Full: the whole kernel half. User
 * only (the user half of a KPTI pair): just the entry trampoline. */
enum bench_space { BG_SPACE_FULL, BG_SPACE_USER_ONLY };
uint64_t bench_guest_space(struct bench_guest *g, enum bench_space kind);

/* The gpa of the entry at `level` (1: PTE ... 4: PML4E) that maps la
 * under pml4, building the tables above it that are missing. */
uint64_t bench_guest_entry(struct bench_guest *g, uint64_t pml4, uint64_t la,
			   unsigned level);
/* Set a paging entry (initial memory, or a ptwrite once running). */
void bench_guest_set(struct bench_guest *g, uint64_t gpa, uint64_t val);
uint64_t bench_guest_get(const struct bench_guest *g, uint64_t gpa);
/* Map la -> frame (4 KiB) with `flags`; the PTE's gpa. */
uint64_t bench_guest_map(struct bench_guest *g, uint64_t pml4, uint64_t la,
			 uint64_t frame, uint64_t flags);

/* vCPU v starts in long mode on cr3 (PCID bits included) with CR4.PCIDE
 * and CR4.PGE as asked. */
void bench_guest_start(struct bench_guest *g, unsigned v, uint64_t cr3,
		       bool pcide, bool pge);
/* Programs start: from now on bench_guest_set stores as vCPU `writer`. */
void bench_guest_go(struct bench_guest *g, unsigned writer);

/* Guest events on vCPU v. `flags` are SMMU_ACCESS_* (USER for user
 * mode). */
void bench_guest_read(struct bench_guest *g, unsigned v, uint64_t la,
		      uint32_t flags);
void bench_guest_write(struct bench_guest *g, unsigned v, uint64_t la,
		       uint64_t val, uint32_t flags);
void bench_guest_cr3(struct bench_guest *g, unsigned v, uint64_t cr3);
void bench_guest_invlpg(struct bench_guest *g, unsigned v, uint64_t la);
void bench_guest_invpcid(struct bench_guest *g, unsigned v, unsigned type,
			 uint16_t pcid, uint64_t la);
void bench_guest_pv_flush(struct bench_guest *g, unsigned v);
/* Ask the vCPUs in `targets` to INVLPG la (GOP_ALL: flush everything)
 * by guest IPI, and wait for them. */
void bench_guest_shootdown(struct bench_guest *g, unsigned v, uint64_t targets,
			   uint64_t la);

#endif
