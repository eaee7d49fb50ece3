/* SPDX-License-Identifier: MIT */
/*
 * An executable reading of the Intel SDM vol. 3A, sections 4.3-4.8: given a
 * *description* of one linear-address access (paging mode, the flags of each
 * paging-structure entry on its path, the control registers) it decides what
 * the CPU does: translate, or #PF with which error code, and which accessed
 * and dirty flags end up set.
 *
 * It is the oracle the walker is tested against, so it shares nothing with
 * the library: it never reads memory or encodes an entry, and it is written
 * as the SDM's rules, one after another, rather than as a walker.
 */
#ifndef SMMU_TEST_PAGING_SPEC_H
#define SMMU_TEST_PAGING_SPEC_H

#include <stdbool.h>
#include <stdint.h>

/* Paging modes with the number of paging-structure levels on a path. */
enum spec_mode {
	SPEC_MODE_32BIT,  /* PDE, PTE (4-byte entries) */
	SPEC_MODE_PAE,	  /* PDPTE register, PDE, PTE */
	SPEC_MODE_4LEVEL, /* PML4E, PDPTE, PDE, PTE (IA-32e) */
};

#define SPEC_MAX_LEVELS 4

/* What the access does. */
enum spec_op {
	SPEC_READ,
	SPEC_WRITE,
	SPEC_FETCH,
};

/* Who makes the access (SDM 4.6: user-mode, explicit or implicit
 * supervisor-mode access). */
enum spec_privilege {
	SPEC_USER,	 /* CPL = 3 */
	SPEC_SUPERVISOR, /* CPL < 3, explicit */
	SPEC_IMPLICIT,	 /* implicit supervisor-mode access, any CPL */
};

/* The flags of one paging-structure entry, by name. Flags the entry's
 * format does not have must be false/0 (e.g. xd and pkey in 32-bit
 * paging); flags a format reserves make the walk fault (SDM 4.7). */
struct spec_entry {
	bool p, rw, us, a, d, ps, g, xd;
	uint8_t pkey; /* bits 62:59 */
};

/* One access and everything that decides its outcome. */
struct spec_case {
	enum spec_mode mode;
	/* The path from the root: entry[0] is referenced by CR3 (for PAE
	 * paging it is the PDPTE register), entry[levels - 1] is a PTE.
	 * Entries below the one that maps the page are not looked at. */
	struct spec_entry entry[SPEC_MAX_LEVELS];

	bool gbpages; /* CPUID.80000001H:EDX.Page1GB */
	bool cr0_wp;
	bool cr4_pse, cr4_pge, cr4_smep, cr4_smap, cr4_pke;
	bool efer_nxe;
	bool eflags_ac;
	uint32_t pkru;

	enum spec_op op;
	enum spec_privilege priv;
};

/* What the CPU does with it. */
struct spec_outcome {
	bool fault;	   /* #PF; else translated */
	uint32_t pf_error; /* PFERR_* (fault) */

	/* Translated only: */
	unsigned leaf; /* index in entry[] of the entry that maps the page */
	uint64_t page_size; /* bytes */
	uint8_t rights;	    /* SMMU_RIGHT_* */
	bool global;
	uint8_t pkey;

	/* Accessed and dirty flags of every entry[] after the access. */
	bool a_after[SPEC_MAX_LEVELS];
	bool d_after[SPEC_MAX_LEVELS];
};

/* Number of entries on a path in `mode`. */
unsigned spec_levels(enum spec_mode mode);

/* Decide the outcome of `c`. */
void spec_decide(const struct spec_case *c, struct spec_outcome *out);

#endif
