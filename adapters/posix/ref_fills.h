/* SPDX-License-Identifier: MIT */
/*
 * When a vCPU could fill its TLB and paging-structure caches: the epochs
 * during which it had a root of a given PCID loaded, and those during
 * which it had any root with CR4.PGE loaded (global translations). A CPU
 * caches only what it walks from the loaded root (SDM 4.10.2.4), so a
 * cached translation was made inside one of these intervals.
 */
#ifndef SMMU_POSIX_REF_FILLS_H
#define SMMU_POSIX_REF_FILLS_H

#include <stdint.h>

#define REF_FILL_GLOBAL 4096 /* the key of global translations */

struct ref_fill_list;

/* Per vCPU: one interval list per PCID (keys 0..4095) and one for
 * global translations, each in time order, touching intervals joined. */
struct ref_fills {
	struct ref_fill_list *list[REF_FILL_GLOBAL + 1];
	uint16_t used[REF_FILL_GLOBAL + 1]; /* keys with a list */
	unsigned nr_used;
};

/* A root of `key` is loaded from epoch `start` / stops being at `end`. */
void ref_fills_begin(struct ref_fills *f, unsigned key, uint64_t start);
void ref_fills_end(struct ref_fills *f, unsigned key, uint64_t end);
/* Forget the intervals that ended by their key's floor, after which
 * every query of that key asks: max(pcid_floor[k], nonglobal_floor) for
 * PCID k, global_floor for REF_FILL_GLOBAL. */
void ref_fills_prune(struct ref_fills *f, const uint64_t *pcid_floor,
		     uint64_t nonglobal_floor, uint64_t global_floor);
/* The first epoch after t inside an interval of `key` (t itself if one
 * holds it), or REF_FOREVER. */
uint64_t ref_fills_first(const struct ref_fills *f, unsigned key, uint64_t t);
void ref_fills_fini(struct ref_fills *f);

#endif
