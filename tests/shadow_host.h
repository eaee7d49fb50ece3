/* SPDX-License-Identifier: MIT */
/*
 * A minimal shadow-paging host for API tests of the library core, with
 * no simulated CPU: the posix host's guest RAM, a budget of shadow pages
 * at host-physical addresses below 4 GiB, a queue of deferred frees the
 * test runs when it likes, and a software walk of the shadow tables that
 * stands for the hardware.
 */
#ifndef SMMU_TEST_SHADOW_HOST_H
#define SMMU_TEST_SHADOW_HOST_H

#include <shadowmmu/shadowmmu.h>

#include "host.h"

#define SHADOW_HOST_MAX_PAGES 256

struct shadow_host {
	struct smmu_posix_host posix; /* first: the host pointer */
	struct smmu_host_ops ops;
	struct smmu_vm *vm;
	struct smmu_vcpu *vcpu;
	unsigned budget;    /* pages alloc_page may have out at once */
	unsigned allocated; /* out now */
	void *page[SHADOW_HOST_MAX_PAGES];
	bool used[SHADOW_HOST_MAX_PAGES];
	struct smmu_rcu_head *deferred; /* defer_free's queue */
	unsigned nr_deferred;
	unsigned long flushes;	 /* flush_all_cpus calls */
	unsigned lock_depth;	 /* the MMU lock: 0 or 1 */
	uint64_t next_table;	 /* guest table pages, for guest_pt */
	struct smmu_entry entry; /* from the last shadow_host_enter */
	/* Run once, by the next take of the MMU lock, before it is taken:
	 * what another CPU does just then (tests of races). */
	void (*lock_hook)(struct shadow_host *h);
	unsigned long kicks; /* kick_cpus calls */
};

/* Guest RAM of ram_size bytes (tables from 1 MiB), a VM with
 * `pool_pages` shadow pages and `inject` knobs, and vCPU 0. */
void shadow_host_init(struct shadow_host *h, uint64_t ram_size,
		      unsigned pool_pages, uint32_t inject);
/* Runs what is deferred, destroys vCPU and VM (asserting SMMU_OK) and
 * checks that every shadow page came back. */
void shadow_host_fini(struct shadow_host *h);
/* Run the deferred frees queued so far (a grace period ended). */
void shadow_host_run_deferred(struct shadow_host *h);
/* smmu_vcpu_enter, asserting SMMU_OK; the entry is kept in h->entry. */
void shadow_host_enter(struct shadow_host *h);
/* A #PF exit for la with access flags. */
struct smmu_fault shadow_host_fault(struct shadow_host *h, uint64_t la,
				    uint32_t flags);
/* What the hardware finds for la under h->entry: the leaf spte, or 0. */
uint64_t shadow_host_walk(const struct shadow_host *h, uint64_t la);
/* Host-physical address of guest frame gfn (guest RAM is contiguous). */
uint64_t shadow_host_hpa_of_gpa(uint64_t gpa);

#endif
