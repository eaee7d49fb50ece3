/* SPDX-License-Identifier: MIT */
/*
 * The naive shadow MMU's own structures, shared by naive_shadow.c (roots,
 * faults, guest instructions) and naive_pages.c (who owns which shadow
 * page, reserves, stealing and RCU-deferred freeing).
 */
#ifndef SMMU_POSIX_NAIVE_INTERNAL_H
#define SMMU_POSIX_NAIVE_INTERNAL_H

#include "naive_shadow.h"

#define NAIVE_SLOTS 4 /* cached roots per vCPU */
/* Pages one fault may need: a root and a table for each level below it
 * (5-level), plus one. Reserved before the fault touches a root. */
#define NAIVE_RESERVE 6

/* Pages of one shadow root: all of them go together. */
struct page_list {
	uint64_t *hpa;
	unsigned n, cap;
	struct sim_pool *pool;
	struct page_list *next; /* on naive_vm.deferred */
};

struct slot {
	bool valid;
	uint64_t cr3;  /* guest CR3 address bits, the key */
	uint16_t pcid; /* guest PCID, the key */
	uint64_t root_hpa;
	void *root_hva;
	struct page_list *pages;
	uint64_t last_used;
	bool hw_stale;	/* the hardware PCID may hold a previous root's */
	bool need_sync; /* the guest flushed it: rebuild before use (only
			   with NAIVE_PREV_ROOTS_ACROSS_PCIDE) */
};

struct naive_vcpu {
	struct smmu_vcpu *lib; /* guest paging registers and walker */
	struct slot slot[NAIVE_SLOTS];
	int cur; /* slot in use, -1 before the first entry */
	/* Pages reserved for the next fault: nobody steals them. */
	uint64_t reserve_hpa[NAIVE_RESERVE];
	void *reserve_hva[NAIVE_RESERVE];
	unsigned nr_reserve;
	bool reserving; /* filling the reserve, the VM lock dropped */
	/* Faults left during which nobody may take this vCPU's running root
	 * again: set when it is taken, so that a vCPU under pool pressure
	 * still finishes an access (without it, vCPUs can take each other's
	 * rebuilt roots forever). */
	unsigned protected_faults;
};

struct naive_stats {
	uint64_t roots_built, pages, zaps, steals, steals_current;
	uint64_t reserve_waits, local_flushes, kicks, grace_periods;
};

struct naive_vm {
	struct smmu_vm *lib;
	pthread_mutex_t lock; /* every slot and reserve of every vCPU */
	uint64_t clock;	      /* for least-recently-used choices */
	/* Unlinked roots whose pages wait for an RCU grace period. */
	struct page_list *deferred;
	struct naive_stats stats;
};

static inline struct naive_vm *nvm(struct sim *s)
{
	return s->mmu;
}

static inline struct naive_vcpu *nvc(struct sim_vcpu *v)
{
	return v->mmu;
}

static inline bool knob(struct sim_vcpu *v, uint32_t bit)
{
	return v->sim->cfg.inject & bit;
}

static inline uint16_t hw_pcid(int slot)
{
	return (uint16_t)(slot + 1);
}

struct page_list *page_list_new(struct sim_pool *pool);
void page_list_free_now(struct page_list *l);
/* Free after an RCU grace period (VM lock held). */
void page_list_free_rcu(struct naive_vm *vm, struct page_list *l);
/* Free everything deferred; only when no CPU can walk anything. */
void naive_free_deferred_now(struct naive_vm *vm);

/* Unlink a slot's root; the caller flushes and frees its pages. */
struct page_list *slot_unlink(struct naive_vm *vm, struct slot *sl);

/* Fill v's reserve (VM lock held; may drop and retake it). false when
 * nothing can be taken back now: the caller waits and tries again. */
bool naive_reserve(struct sim_vcpu *v);
/* A zeroed page from v's reserve, now owned by slot `sl`. */
void *naive_take_page(struct sim_vcpu *v, struct slot *sl, uint64_t *hpa);
/* Give v's reserve back to the pool (vCPU teardown). */
void naive_release_reserve(struct sim_vcpu *v);

#endif
