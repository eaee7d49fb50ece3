/* SPDX-License-Identifier: MIT */
/*
 * pt-torture: the paging checks, written once for every paging mode and
 * compiled into both stages. A stage builds an address space (identity
 * map plus the test window), switches the CPU onto it and runs the
 * checks; they map test pages into slots of the window and read back, by
 * content, what the architecture guarantees.
 *
 * The checks come in four groups, one file each: translation and its
 * invalidation (check_translation.c), #PF error codes and access rights
 * (check_faults.c), accessed and dirty flags (check_accessed_dirty.c),
 * and in IA-32e mode PCIDs and INVPCID (check_pcid.c).
 */
#ifndef PT_TORTURE_H
#define PT_TORTURE_H

#include <stddef.h>
#include <stdint.h>

#include "address_space.h"
#include "cpu.h"
#include "layout.h"

struct torture {
	struct address_space as; /* the space the CPU runs on */
	uintptr_t window;	 /* VA of the first slot, 1 GiB aligned */
	const struct cpu_caps *caps;
};

#define LEAF_RW (X86_PTE_P | X86_PTE_RW)
#define LEAF_RO X86_PTE_P

/* The window's slots. Each is one level-2 span (4 MiB or 2 MiB) with its
 * own page table, so no two checks share a leaf table by accident. All
 * lie in the window's first 1 GiB, under one page directory. */
enum slot {
	SLOT_REMAP,  /* remapped 4 KiB page; also the self map's target */
	SLOT_CR3,    /* remapped around MOV CR3 */
	SLOT_ABSENT, /* mapped, then not present */
	SLOT_NO_PDE, /* never mapped: the PDE is not present */
	SLOT_LARGE,
	SLOT_LARGE_AD,
	SLOT_RO,
	SLOT_RO_PDE,
	SLOT_RSVD,
	SLOT_NX,
	SLOT_NX_PDE,
	SLOT_AD,
	SLOT_GLOBAL,
	SLOT_SELF, /* its PDE points back to the page directory */
	SLOT_PCID, /* mapped in two address spaces under two PCIDs */
	SLOT_PCID_GLOBAL,
};

/* 4 KiB pages at LAYOUT_DATA_PAGES_BASE. */
enum data_page {
	PAGE_A,
	PAGE_B,
	PAGE_C,
	PAGE_RO,
	PAGE_CODE,
	PAGE_AD,
	PAGE_D,
	PAGE_E,
};

static inline uintptr_t slot_va(const struct torture *t, enum slot s)
{
	return t->window + (uintptr_t)s * (uintptr_t)paging_span(t->as.mode, 2);
}

static inline uint64_t page_pa(enum data_page p)
{
	return LAYOUT_DATA_PAGES_BASE + (uint64_t)p * X86_PAGE_SIZE;
}

/* What a check needs beyond the mode's basics. */
enum requirement {
	REQ_NONE,
	REQ_XD,	       /* a mode with the XD bit */
	REQ_NX,	       /* ... and a CPU that can set EFER.NXE */
	REQ_PHYS_RSVD, /* ... and MAXPHYADDR < 52 */
	REQ_PGE,
	REQ_1G,		  /* 4- or 5-level paging and 1 GiB pages */
	REQ_PCID,	  /* 4- or 5-level paging and PCIDs */
	REQ_INVPCID,	  /* 4- or 5-level paging and INVPCID */
	REQ_PCID_INVPCID, /* both */
};

struct check {
	const char *name;
	void (*run)(struct torture *t, const char *check);
	enum requirement needs;
};

/* Checks run in their group's order; some continue from the state an
 * earlier one of the group left in its slot, and say so. */
struct check_group {
	const struct check *checks;
	size_t count;
};

extern const struct check_group translation_checks;
extern const struct check_group fault_checks;
extern const struct check_group accessed_dirty_checks;
/* IA-32e modes only (the 64-bit stage): CR4.PCIDE, MOV CR3 with PCIDs and
 * NOFLUSH, INVPCID (check_pcid.c). */
extern const struct check_group pcid_checks;

/* A fresh address space for t in `mode`. */
void torture_build(struct torture *t, const struct paging_mode *mode);
/* Another space like t's, for switching CR3 between two. */
void torture_build_space(struct address_space *as,
			 const struct paging_mode *mode, uintptr_t window);
/* Run every check that applies to t->as.mode, one verdict line each. */
void torture_run(struct torture *t);
/* The control registers read back as the stage set them for t's mode. */
void torture_check_control_registers(struct torture *t, const char *check);
/* Remap a test page to a fresh page, INVLPG, read: a stage repeats it
 * under another name after coming back from a different mode. */
void torture_check_invlpg_remap(struct torture *t, const char *check);

/* EFER.NXE, where the CPU has it. */
void torture_set_nxe(const struct torture *t, bool on);

#endif /* PT_TORTURE_H */
