/* SPDX-License-Identifier: MIT */
/*
 * Simulated host-physical memory: guest RAM and the pool of shadow-table
 * pages, each at its own hpa range. Guest RAM does not sit at hpa 0, so a
 * shadow entry that holds a gpa where an hpa belongs points at nothing and
 * the simulated hardware reports it.
 *
 * The pool has a page limit (the per-VM shadow memory budget), poisons
 * pages on free and counts a generation per page, so that a walker that
 * reads a freed or recycled page-table page can tell.
 */
#ifndef SMMU_POSIX_HPA_SPACE_H
#define SMMU_POSIX_HPA_SPACE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest_ram.h"

#define SIM_GUEST_HPA_BASE (UINT64_C(1) << 40) /* hpa of gpa 0 */
/* hpa of pool page 0: below 4 GiB, where legacy PAE CR3 can reach a
 * root (a pool of up to 2 GiB of pages stays below it) */
#define SIM_POOL_HPA_BASE (UINT64_C(1) << 31)
/* Every byte of a freed pool page: a present entry with reserved bits set
 * that points nowhere. */
#define SIM_POOL_POISON 0xa5

struct sim_pool {
	uint8_t *base;	     /* host mapping of pool page 0 */
	uint32_t nr_pages;   /* pages mapped (the hard maximum) */
	uint32_t limit;	     /* pages that may be allocated at once */
	uint32_t allocated;  /* pages allocated now */
	uint32_t *free_list; /* stack of free page indexes */
	uint32_t nr_free;
	uint32_t *gen; /* per page: bumped at every alloc and free */
	uint8_t *live; /* per page: 1 while allocated */
	pthread_mutex_t lock;
	/* statistics */
	uint64_t allocs, frees, failures;
};

/* A pool of `nr_pages` pages, of which at most `limit` at once. */
int sim_pool_init(struct sim_pool *pool, uint32_t nr_pages, uint32_t limit);
void sim_pool_fini(struct sim_pool *pool);
/* A zeroed page: its hpa and host pointer. false when `limit` is reached. */
bool sim_pool_alloc(struct sim_pool *pool, uint64_t *hpa, void **hva);
/* Poison and release a page. Aborts on a double free or a foreign hpa:
 * that is a bug in the MMU under test that must not go unnoticed. */
void sim_pool_free(struct sim_pool *pool, uint64_t hpa);
/* Whether `hpa` lies in an allocated pool page, and that page's
 * generation (for detecting a page recycled under a reader). */
bool sim_pool_page_live(const struct sim_pool *pool, uint64_t hpa,
			uint32_t *gen);

/* The whole simulated host-physical space. */
struct sim_hpa_space {
	struct smmu_posix_ram *ram;
	struct sim_pool *pool;
};

/* What lies at an hpa. */
enum sim_hpa_kind {
	SIM_HPA_NONE,	   /* nothing: not RAM, not pool */
	SIM_HPA_GUEST_RAM, /* guest RAM (gpa = hpa - SIM_GUEST_HPA_BASE) */
	SIM_HPA_POOL_LIVE, /* an allocated shadow page */
	SIM_HPA_POOL_FREE, /* a pool page that is free (poisoned) */
};

enum sim_hpa_kind sim_hpa_classify(const struct sim_hpa_space *space,
				   uint64_t hpa);
/* Host pointer for `len` bytes at `hpa` (not crossing a page), or NULL
 * when nothing is there. Free pool pages are returned too (poisoned):
 * the caller classifies first when that matters. */
void *sim_hpa_ptr(const struct sim_hpa_space *space, uint64_t hpa,
		  uint64_t len);

#endif
