/* SPDX-License-Identifier: MIT */
/*
 * The guest: 64 MiB of RAM (16,384 frames) mapped linearly, frame f at
 * linear address CB_GUEST_LA + 4096 f, by 4-level tables the benchmark
 * builds in the last 64 frames of RAM: 32 page tables, a directory, a
 * PDPT, and 16 PML4s (address spaces) that all link the same PDPT. The
 * tables are inside the linear mapping, so a guest store to one is an
 * access like any other. Every leaf has A=D=1 (a walk sets nothing);
 * entries are supervisor-and-user, writable.
 */
#ifndef CB_GUEST_H
#define CB_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <shadowmmu/shadowmmu.h>

#include "host.h"

#define CB_PAGES       16384u /* guest frames, all mapped */
#define CB_RAM_SIZE    ((uint64_t)CB_PAGES * 4096)
#define CB_GUEST_LA    UINT64_C(0x40000000) /* PML4[0], PDPT[1], PD[0..31] */
#define CB_NR_PTS      32u
#define CB_TABLES_GFN  (CB_PAGES - 64) /* the first table frame */
#define CB_PT_GFN(i)   (CB_TABLES_GFN + (i))
#define CB_PD_GFN      (CB_TABLES_GFN + CB_NR_PTS)
#define CB_PDPT_GFN    (CB_PD_GFN + 1)
#define CB_MAX_SPACES  16u
#define CB_PML4_GFN(k) (CB_PDPT_GFN + 1 + (k))
/* Entries of every page table below this index map data frames (page
 * table 31's last 64 map the tables themselves). */
#define CB_DATA_ENTRIES 448u

#define CB_PTE_ADDR X86_BITS(51, 12)
#define CB_PTE_AVL9 X86_BIT(9) /* ignored by the CPU: a guest's own flag */

/* Linear address of guest frame `page` (the guest's linear map). */
static inline uint64_t cb_la(unsigned page)
{
	return CB_GUEST_LA + ((uint64_t)page << 12);
}

/* Guest-physical address of the PTE that maps `page`. */
static inline uint64_t cb_pte_gpa(unsigned page)
{
	return ((uint64_t)CB_PT_GFN(page / 512) << 12) + 8 * (page % 512);
}

/* The PTE that maps `page`, in guest RAM. */
static inline uint64_t *cb_pte(const struct cb_host *h, unsigned page)
{
	return (uint64_t *)cb_host_ram(h, cb_pte_gpa(page));
}

/* Does frame gfn hold a guest table? */
static inline bool cb_is_table_gfn(uint64_t gfn)
{
	return gfn >= CB_TABLES_GFN && gfn <= CB_PML4_GFN(CB_MAX_SPACES - 1);
}

/* Write every table into guest RAM. */
void cb_guest_build(struct cb_host *h);

/* CR3 that loads address space k: with PCIDs, PCID k + 1, and NOFLUSH
 * if asked. */
uint64_t cb_guest_cr3(unsigned k, bool pcide, bool noflush);

/* IA-32e paging on address space 0, CR4.PCIDE as asked. */
struct smmu_paging_regs cb_guest_regs(bool pcide);

#endif
