/* SPDX-License-Identifier: MIT */
/*
 * The reference model's own guest walker (SDM vol. 3A 4.3-4.5) and rights
 * check (4.6, 4.7), written separately from libshadowmmu's walker. It
 * enumerates every translation a CPU could be using for an address: the
 * walk of the tables as they are now, and walks through older values of
 * each entry that are still within the window the caller allows.
 */
#ifndef SMMU_POSIX_REF_WALK_H
#define SMMU_POSIX_REF_WALK_H

#include <shadowmmu/shadowmmu.h>

#include "ref_memory.h"

#define REF_FOREVER    UINT64_MAX /* "still current" as an end epoch */
#define REF_MAX_LEVELS 5

enum rmode { RM_OFF, RM_32, RM_PAE, RM_4L, RM_5L };

/* A root a vCPU had loaded, with the mode it was walked in. */
struct ref_root {
	uint16_t pcid;
	enum rmode mode;
	bool pse, pge, nxe;
	uint64_t table;	   /* gpa of the top table (not PAE) */
	uint64_t pdpte[4]; /* PAE */
	uint64_t start;	   /* epoch at which it was loaded */
	uint64_t end;	   /* REF_FOREVER while loaded */
};

/* One translation the CPU could use, or the fault the current tables
 * give. */
struct ref_cand {
	bool fault;	     /* current walk only: P=0 or reserved bit */
	uint32_t fault_bits; /* 0 (not present) or P|RSVD */
	uint64_t base, size; /* translation of la: page base and size */
	uint8_t rights;
	uint8_t pkey;
	bool global, dirty, accessed;
	uint64_t min_end; /* REF_FOREVER when every value is current */
	uint64_t slot[REF_MAX_LEVELS + 1];
	int nr_slots;
};

struct ref_walk {
	const struct ref_memory *mem;
	const struct ref_root *root;
	uint64_t la;
	uint8_t maxphyaddr;
	bool gbpages;
	uint64_t floor;	   /* old values must have outlived this epoch */
	bool current_only; /* only what memory holds now */
	/* Values that ended after this epoch were still in memory while the
	 * access ran, so a walk may have read them and faulted on them. */
	uint64_t fault_floor;
	bool (*visit)(const struct ref_cand *c, void *arg); /* true: stop */
	void *arg;
	bool stopped;
};

enum rmode ref_mode_of(const struct smmu_paging_regs *r);
uint16_t ref_pcid_of(const struct smmu_paging_regs *r);
/* Enumerate w->root's walks for w->la, calling w->visit for each. */
void ref_walk_run(struct ref_walk *w);
/* #PF error-code bits that describe the access itself (W, U, I/D). */
uint32_t ref_access_bits(const struct smmu_paging_regs *r,
			 const struct smmu_access *a);
/* The #PF error code of `a` against translation c under the current
 * control registers, or 0 when the access is allowed. */
uint32_t ref_rights_error(const struct smmu_paging_regs *r,
			  const struct ref_cand *c,
			  const struct smmu_access *a);

#endif
