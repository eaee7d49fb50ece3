/* SPDX-License-Identifier: MIT */
/*
 * The benchmark's host: as little as a shadow-paging host can be, so that
 * what is timed is the library. Guest RAM is one array, its frames at
 * host-physical CB_GUEST_HPA + gpa; shadow pages come from a pool of
 * pages zeroed in advance (and again when freed), page i at host-physical
 * CB_POOL_HPA + 4096 i; the MMU lock is a pthread spinlock; remote
 * flushes and kicks are counted (there are no other CPUs to interrupt);
 * deferred frees wait in a queue the benchmark runs between phases (a
 * grace period); control structures come from malloc, with the bytes
 * live accounted. The optional RCU read-side ops are liburcu's (the memb
 * flavour: a read-side section is a thread-local counter), and the
 * deferred queue waits for a grace period before it runs, so that the
 * library's lock-free paths are measured as a host with RCU runs them;
 * --no-rcu leaves the ops out (every fault then takes the MMU lock).
 * Every thread that calls the library is registered (cb_rcu_thread).
 */
#ifndef CB_HOST_H
#define CB_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <shadowmmu/shadowmmu.h>

#define CB_GUEST_HPA (UINT64_C(1) << 40)
#define CB_POOL_HPA  UINT64_C(0x10000000)

struct cb_host {
	struct smmu_host_ops ops; /* this host's table; host pointer = this */
	uint8_t *ram;		  /* guest RAM */
	uint64_t ram_size;
	uint8_t *pool; /* shadow pages, zeroed */
	unsigned pool_pages;
	unsigned *free_slots; /* a stack of the pool's free pages */
	unsigned nr_free;
	pthread_spinlock_t pool_lock; /* pool and deferred queue */
	pthread_spinlock_t mmu_lock;
	struct smmu_rcu_head *deferred;
	/* Counts (atomic where several vCPUs may reach them at once). */
	uint64_t flush_all_cpus, kicks;
	uint64_t alloc_bytes, alloc_live; /* ops.alloc: bytes, allocations */
	unsigned pages_out;		  /* alloc_page minus free_page */
	/* With time_lock: TSC ticks and acquisitions of the MMU lock. */
	uint64_t lock_t0, lock_ticks, lock_count;
};

/* Whether hosts made from now on offer the RCU read-side ops (default
 * true; smmu-corebench --no-rcu). */
extern bool cb_host_rcu;
/* Register the calling thread with liburcu (before it calls the
 * library) / unregister it (before it ends). */
void cb_rcu_thread_online(void);
void cb_rcu_thread_offline(void);

/* Guest RAM of ram_size bytes (zero), a pool of pool_pages shadow pages,
 * and the ops; time_lock selects lock ops that add up the TSC ticks
 * between lock and unlock. false (with a message) when out of memory. */
bool cb_host_init(struct cb_host *h, uint64_t ram_size, unsigned pool_pages,
		  bool time_lock);
/* Free everything; false (with a message) if the library left shadow
 * pages or control structures behind. */
bool cb_host_fini(struct cb_host *h);
/* Run the deferred frees queued so far: a grace period has ended. */
void cb_host_run_deferred(struct cb_host *h);
/* The pointer to the pool page at host-physical address hpa (any
 * address inside it), or NULL if hpa is not in the pool. */
static inline void *cb_host_hva(const struct cb_host *h, uint64_t hpa)
{
	uint64_t off = hpa - CB_POOL_HPA;
	if (hpa < CB_POOL_HPA || off >= (uint64_t)h->pool_pages * 4096)
		return 0;
	return h->pool + (off & ~UINT64_C(4095));
}
/* A guest-physical address's bytes in guest RAM. */
static inline void *cb_host_ram(const struct cb_host *h, uint64_t gpa)
{
	return h->ram + gpa;
}

#endif
