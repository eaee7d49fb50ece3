/* SPDX-License-Identifier: MIT */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu/urcu-memb.h>

#include "clock.h"

static struct cb_host *host_of(void *host)
{
	return host;
}

static void *alloc(void *host, size_t size)
{
	struct cb_host *h = host_of(host);
	void *p = calloc(1, size);
	if (p) {
		__atomic_fetch_add(&h->alloc_bytes, size, __ATOMIC_RELAXED);
		__atomic_fetch_add(&h->alloc_live, 1, __ATOMIC_RELAXED);
	}
	return p;
}

static void free_(void *host, void *ptr, size_t size)
{
	struct cb_host *h = host_of(host);
	if (!ptr)
		return;
	__atomic_fetch_sub(&h->alloc_bytes, size, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&h->alloc_live, 1, __ATOMIC_RELAXED);
	free(ptr);
}

static bool in_ram(const struct cb_host *h, uint64_t gpa, size_t len)
{
	return gpa < h->ram_size && len <= h->ram_size - gpa;
}

/* Aligned entries are read whole, each one single-copy atomic, however
 * many at a time (the library reads a table 64 entries at once when it
 * compares one); other vCPUs may be storing to them. */
static int read_gpa(void *host, uint64_t gpa, void *buf, size_t len)
{
	struct cb_host *h = host_of(host);
	if (!in_ram(h, gpa, len))
		return SMMU_GPA_NOT_RAM;
	const uint8_t *p = h->ram + gpa;
	uint8_t *out = buf;
	if (!(gpa & 7) && !(len & 7)) {
		for (size_t i = 0; i < len; i += 8) {
			uint64_t v = __atomic_load_n(
				(const uint64_t *)(const void *)(p + i),
				__ATOMIC_RELAXED);
			memcpy(out + i, &v, 8);
		}
	} else if (!(gpa & 3) && !(len & 3)) {
		for (size_t i = 0; i < len; i += 4) {
			uint32_t v = __atomic_load_n(
				(const uint32_t *)(const void *)(p + i),
				__ATOMIC_RELAXED);
			memcpy(out + i, &v, 4);
		}
	} else {
		memcpy(out, p, len);
	}
	return SMMU_GPA_OK;
}

static int write_gpa(void *host, uint64_t gpa, const void *buf, size_t len)
{
	struct cb_host *h = host_of(host);
	if (!in_ram(h, gpa, len))
		return SMMU_GPA_NOT_RAM;
	uint8_t *p = h->ram + gpa;
	if (len == 8 && !(gpa & 7)) {
		uint64_t v;
		memcpy(&v, buf, 8);
		__atomic_store_n((uint64_t *)(void *)p, v, __ATOMIC_RELAXED);
	} else if (len == 4 && !(gpa & 3)) {
		uint32_t v;
		memcpy(&v, buf, 4);
		__atomic_store_n((uint32_t *)(void *)p, v, __ATOMIC_RELAXED);
	} else {
		memcpy(p, buf, len);
	}
	return SMMU_GPA_OK;
}

static int cmpxchg_gpa(void *host, uint64_t gpa, unsigned size,
		       uint64_t old_val, uint64_t new_val)
{
	struct cb_host *h = host_of(host);
	if ((size != 4 && size != 8) || (gpa & (size - 1)) ||
	    !in_ram(h, gpa, size))
		return SMMU_GPA_NOT_RAM;
	bool done;
	if (size == 8) {
		done = __atomic_compare_exchange_n(
			(uint64_t *)(void *)(h->ram + gpa), &old_val, new_val,
			false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	} else {
		uint32_t old32 = (uint32_t)old_val;
		done = __atomic_compare_exchange_n(
			(uint32_t *)(void *)(h->ram + gpa), &old32,
			(uint32_t)new_val, false, __ATOMIC_SEQ_CST,
			__ATOMIC_SEQ_CST);
	}
	return done ? SMMU_GPA_OK : SMMU_GPA_CHANGED;
}

static void log_(void *host, enum smmu_log_level level, const char *msg)
{
	(void)host;
	if (level != SMMU_LOG_DEBUG)
		fprintf(stderr, "libshadowmmu: %s: %s\n",
			level == SMMU_LOG_ERROR ? "error" : "warning", msg);
}

static bool alloc_page(void *host, uint64_t *hpa, void **hva)
{
	struct cb_host *h = host_of(host);
	pthread_spin_lock(&h->pool_lock);
	if (!h->nr_free) {
		pthread_spin_unlock(&h->pool_lock);
		return false;
	}
	unsigned slot = h->free_slots[--h->nr_free];
	h->pages_out++;
	pthread_spin_unlock(&h->pool_lock);
	*hpa = CB_POOL_HPA + 4096 * (uint64_t)slot;
	*hva = h->pool + 4096 * (size_t)slot;
	return true;
}

static void free_page(void *host, uint64_t hpa, void *hva)
{
	struct cb_host *h = host_of(host);
	uint64_t slot = (hpa - CB_POOL_HPA) / 4096;
	if (hpa < CB_POOL_HPA || slot >= h->pool_pages ||
	    hva != h->pool + 4096 * slot) {
		fprintf(stderr,
			"smmu-corebench: free_page of a page the host "
			"did not give (%#llx)\n",
			(unsigned long long)hpa);
		abort();
	}
	memset(hva, 0, 4096); /* the pool's pages are zero */
	pthread_spin_lock(&h->pool_lock);
	h->free_slots[h->nr_free++] = (unsigned)slot;
	h->pages_out--;
	pthread_spin_unlock(&h->pool_lock);
}

static int gfn_to_hpa(void *host, uint64_t gfn, uint64_t *hpa)
{
	struct cb_host *h = host_of(host);
	if (gfn >= h->ram_size >> 12)
		return SMMU_GPA_NOT_RAM;
	*hpa = CB_GUEST_HPA + (gfn << 12);
	return SMMU_GPA_OK;
}

static void lock(void *host)
{
	pthread_spin_lock(&host_of(host)->mmu_lock);
}

static void unlock(void *host)
{
	pthread_spin_unlock(&host_of(host)->mmu_lock);
}

/* The lock-share figure's lock: one TSC read after taking it and one
 * before dropping it. */
static void lock_timed(void *host)
{
	struct cb_host *h = host_of(host);
	pthread_spin_lock(&h->mmu_lock);
	h->lock_t0 = cb_tsc();
}

static void unlock_timed(void *host)
{
	struct cb_host *h = host_of(host);
	h->lock_ticks += cb_tsc() - h->lock_t0;
	h->lock_count++;
	pthread_spin_unlock(&h->mmu_lock);
}

static void flush_all_cpus(void *host)
{
	__atomic_fetch_add(&host_of(host)->flush_all_cpus, 1, __ATOMIC_RELAXED);
}

bool cb_host_rcu = true;

void cb_rcu_thread_online(void)
{
	urcu_memb_register_thread();
}

void cb_rcu_thread_offline(void)
{
	urcu_memb_unregister_thread();
}

static void rcu_read_enter(void *host)
{
	(void)host;
	urcu_memb_read_lock();
}

static void rcu_read_exit(void *host)
{
	(void)host;
	urcu_memb_read_unlock();
}

static void defer_free(void *host, struct smmu_rcu_head *head)
{
	struct cb_host *h = host_of(host);
	pthread_spin_lock(&h->pool_lock);
	head->next = h->deferred;
	h->deferred = head;
	pthread_spin_unlock(&h->pool_lock);
}

#if CB_HAVE_KICK_CPUS
static void kick_cpus(void *host, const struct smmu_cpu_set *cpus)
{
	(void)cpus; /* no CPU runs a guest: nothing to interrupt */
	__atomic_fetch_add(&host_of(host)->kicks, 1, __ATOMIC_RELAXED);
}
#endif

void cb_host_run_deferred(struct cb_host *h)
{
	/* Every read-side section that began before the frees were queued
	 * has ended. */
	urcu_memb_synchronize_rcu();
	for (;;) {
		pthread_spin_lock(&h->pool_lock);
		struct smmu_rcu_head *head = h->deferred;
		h->deferred = 0;
		pthread_spin_unlock(&h->pool_lock);
		if (!head)
			return;
		while (head) {
			struct smmu_rcu_head *next = head->next;
			head->func(head);
			head = next;
		}
	}
}

bool cb_host_init(struct cb_host *h, uint64_t ram_size, unsigned pool_pages,
		  bool time_lock)
{
	memset(h, 0, sizeof(*h));
	h->ram_size = ram_size;
	h->pool_pages = pool_pages;
	/* calloc: untouched guest frames cost nothing until read. */
	h->ram = calloc(1, ram_size);
	h->pool = aligned_alloc(4096, (size_t)pool_pages * 4096);
	h->free_slots = malloc(pool_pages * sizeof(*h->free_slots));
	if (!h->ram || !h->pool || !h->free_slots) {
		fprintf(stderr, "smmu-corebench: out of memory for a host\n");
		free(h->ram);
		free(h->pool);
		free(h->free_slots);
		return false;
	}
	/* Zeroed and touched now, so that no timed fault takes the host
	 * kernel's page fault on a pool page. */
	memset(h->pool, 0, (size_t)pool_pages * 4096);
	for (unsigned i = 0; i < pool_pages; i++)
		h->free_slots[i] = pool_pages - 1 - i;
	h->nr_free = pool_pages;
	pthread_spin_init(&h->pool_lock, PTHREAD_PROCESS_PRIVATE);
	pthread_spin_init(&h->mmu_lock, PTHREAD_PROCESS_PRIVATE);

	h->ops.alloc = alloc;
	h->ops.free = free_;
	h->ops.read_gpa = read_gpa;
	h->ops.cmpxchg_gpa = cmpxchg_gpa;
	h->ops.log = log_;
	h->ops.alloc_page = alloc_page;
	h->ops.free_page = free_page;
	h->ops.write_gpa = write_gpa;
	h->ops.gfn_to_hpa = gfn_to_hpa;
	h->ops.lock = time_lock ? lock_timed : lock;
	h->ops.unlock = time_lock ? unlock_timed : unlock;
	h->ops.flush_all_cpus = flush_all_cpus;
	h->ops.defer_free = defer_free;
	if (cb_host_rcu) {
		h->ops.rcu_read_enter = rcu_read_enter;
		h->ops.rcu_read_exit = rcu_read_exit;
	}
#if CB_HAVE_KICK_CPUS
	h->ops.kick_cpus = kick_cpus;
#endif
	return true;
}

bool cb_host_fini(struct cb_host *h)
{
	bool ok = true;
	cb_host_run_deferred(h);
	if (h->pages_out || h->alloc_live) {
		fprintf(stderr,
			"smmu-corebench: the library left %u shadow pages and "
			"%llu allocations (%llu bytes) behind\n",
			h->pages_out, (unsigned long long)h->alloc_live,
			(unsigned long long)h->alloc_bytes);
		ok = false;
	}
	pthread_spin_destroy(&h->pool_lock);
	pthread_spin_destroy(&h->mmu_lock);
	free(h->ram);
	free(h->pool);
	free(h->free_slots);
	memset(h, 0, sizeof(*h));
	return ok;
}
