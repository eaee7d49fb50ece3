/* SPDX-License-Identifier: MIT */
/*
 * pt-permute: the page-table permutation torture. For every combination
 * of the rights and accessed/dirty bits of a page directory entry and a
 * page table entry (or of a 2 MiB leaf), a reserved bit in either,
 * every access kind (read, write, fetch) from CPL 0 and 3, and every
 * setting of CR0.WP, EFER.NXE, CR4.SMEP, CR4.SMAP and EFLAGS.AC the CPU
 * allows, the guest makes the access and compares the outcome (the #PF
 * and its error code, or success, and the A/D bits afterwards) with its
 * own model of SDM vol. 3A 4.6-4.8 (model.c).
 */
#ifndef PT_PERMUTE_H
#define PT_PERMUTE_H

#include <stdbool.h>
#include <stdint.h>

enum access_kind { ACCESS_READ, ACCESS_WRITE, ACCESS_FETCH };

/* The control bits of one round. */
struct controls {
	bool wp, nxe, smep, smap, ac;
};

/* One access to make. */
struct permutation {
	uint64_t pde; /* the directory entry (a 2 MiB leaf when large) */
	uint64_t pte; /* the table entry (4 KiB leaf), unless large */
	bool large;
	enum access_kind kind;
	bool user;
	const struct controls *ctl;
};

struct outcome {
	bool fault;
	uint32_t error; /* #PF error code when fault */
};

/* What the SDM says happens (model.c); rsvd_mask holds the bits that are
 * reserved in every paging entry here (those at and above MAXPHYADDR,
 * below bit 52). */
struct outcome model_access(const struct permutation *p, uint64_t rsvd_mask);

#endif
