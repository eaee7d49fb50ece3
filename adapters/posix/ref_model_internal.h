/* SPDX-License-Identifier: MIT */
/*
 * The reference model's private state, shared by the files that make it
 * up, so that each holds one concept: ref_model.c (invalidations, roots,
 * checking an access, the queries), ref_explain.c (why an access the check
 * refused is a violation) and ref_writes.c (guest memory changes through
 * the model). Nothing else includes it: callers use ref_model.h, which
 * keeps struct ref_model opaque.
 *
 * Those of the functions below that read the model's state run with its
 * lock held, as the ref_model_* entry points that lead to them hold it.
 */
#ifndef SMMU_POSIX_REF_MODEL_INTERNAL_H
#define SMMU_POSIX_REF_MODEL_INTERNAL_H

#include <pthread.h>

#include "ref_model.h"
#include "ref_fills.h"
#include "ref_memory.h"
#include "ref_walk.h"
#include "u64map.h"

struct rvcpu {
	struct smmu_paging_regs regs;
	/* Invalidation epochs (SDM 4.10.4): non-global translations per
	 * PCID and for all PCIDs, global ones, and per linear address. */
	uint64_t inv_pcid[4096];
	/* INVLPG empties the paging-structure caches of the current PCID
	 * for every address (SDM 4.10.4.1), not only its own. */
	uint64_t inv_psc[4096];
	uint64_t inv_all_nonglobal;
	uint64_t inv_global;
	struct u64map inv_la;  /* (pcid, size, page) -> epoch */
	struct u64map inv_gla; /* (size, page) -> epoch, global ones */
	/* The paging roots the vCPU has loaded that may still yield a
	 * cached translation, one record per distinct root (the latest
	 * time it was loaded); the current one last. */
	struct ref_root *roots;
	unsigned nr_roots, cap_roots;
	/* When the vCPU could fill its caches (first_fill). */
	struct ref_fills fills;
};

struct ref_model {
	pthread_mutex_t lock;
	struct ref_model_config cfg;
	uint64_t epoch;
	struct ref_memory mem;
	unsigned writes_since_forget;
	struct rvcpu *vcpu;
	struct ref_model_stats stats;
};

/* One check of an access (ref_model_check): the walks it runs share this,
 * and a refused access is explained from it (x->now, the current walk). */
struct match {
	const struct smmu_paging_regs *regs;
	const struct smmu_access *acc;
	const struct ref_outcome *got;
	struct rvcpu *c;
	uint16_t pcid;
	const struct ref_root *root;
	bool want_global;    /* walking for global translations */
	bool current;	     /* this is the current walk */
	struct ref_cand now; /* the current walk's result */
	bool have_now;
	uint64_t started; /* epoch at which the access began */
	bool ok;
	uint64_t considered;
};

/* ---- in ref_model.c ---- */

/* Epoch after which a non-global translation of `size` for la in pcid
 * may have been cached; ref_model_floor_global likewise for a global one. */
uint64_t ref_model_floor_nonglobal(const struct rvcpu *c, uint16_t pcid,
				   uint64_t la, uint64_t size);
uint64_t ref_model_floor_global(const struct rvcpu *c, uint64_t la,
				uint64_t size);
/* Epoch before which no value can matter to vCPU c. */
uint64_t ref_model_vcpu_floor(const struct ref_model *m, const struct rvcpu *c);
/* Whether candidate c maps la to gpa. */
bool ref_model_translates_to(const struct ref_cand *c, uint64_t la,
			     uint64_t gpa);
/* la as the paging mode of r sees it: 32 bits below IA-32e paging. */
uint64_t ref_model_la_of_mode(const struct smmu_paging_regs *r, uint64_t la);
/* A one-line verdict. */
void ref_model_describe(struct ref_verdict *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- in ref_explain.c ---- */

/* The verdict of a failed check of acc on vCPU v (c), whose walks are x,
 * under the current root cur. */
void ref_explain_violation(struct ref_model *m, unsigned v, struct rvcpu *c,
			   const struct match *x, const struct ref_root *cur,
			   const struct smmu_access *acc,
			   const struct ref_outcome *got, uint64_t started,
			   struct ref_verdict *verdict);

#endif
