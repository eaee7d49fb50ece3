/* SPDX-License-Identifier: MIT */
#include "hpa_space.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096u

int sim_pool_init(struct sim_pool *pool, uint32_t nr_pages, uint32_t limit)
{
	memset(pool, 0, sizeof(*pool));
	if (nr_pages == 0 || limit > nr_pages)
		return -1;
	void *p = mmap(NULL, (size_t)nr_pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	pool->base = p;
	pool->nr_pages = nr_pages;
	pool->limit = limit;
	pool->free_list = calloc(nr_pages, sizeof(uint32_t));
	pool->gen = calloc(nr_pages, sizeof(uint32_t));
	pool->live = calloc(nr_pages, 1);
	if (!pool->free_list || !pool->gen || !pool->live) {
		sim_pool_fini(pool);
		return -1;
	}
	/* Hand out low pages first: reuse of a just-freed page is then
	 * likely, which is what makes use-after-free visible. */
	for (uint32_t i = 0; i < nr_pages; i++)
		pool->free_list[i] = nr_pages - 1 - i;
	pool->nr_free = nr_pages;
	pthread_mutex_init(&pool->lock, NULL);
	return 0;
}

void sim_pool_fini(struct sim_pool *pool)
{
	if (pool->base)
		munmap(pool->base, (size_t)pool->nr_pages * PAGE);
	free(pool->free_list);
	free(pool->gen);
	free(pool->live);
	memset(pool, 0, sizeof(*pool));
}

bool sim_pool_alloc(struct sim_pool *pool, uint64_t *hpa, void **hva)
{
	pthread_mutex_lock(&pool->lock);
	if (pool->allocated >= pool->limit || pool->nr_free == 0) {
		pool->failures++;
		pthread_mutex_unlock(&pool->lock);
		return false;
	}
	uint32_t idx = pool->free_list[--pool->nr_free];
	pool->allocated++;
	pool->allocs++;
	__atomic_add_fetch(&pool->gen[idx], 1, __ATOMIC_RELEASE);
	__atomic_store_n(&pool->live[idx], 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pool->lock);

	uint8_t *p = pool->base + (size_t)idx * PAGE;
	memset(p, 0, PAGE);
	*hpa = SIM_POOL_HPA_BASE + (uint64_t)idx * PAGE;
	*hva = p;
	return true;
}

static bool pool_index(const struct sim_pool *pool, uint64_t hpa, uint32_t *idx)
{
	if (hpa < SIM_POOL_HPA_BASE)
		return false;
	uint64_t i = (hpa - SIM_POOL_HPA_BASE) / PAGE;
	if (i >= pool->nr_pages)
		return false;
	*idx = (uint32_t)i;
	return true;
}

void sim_pool_free(struct sim_pool *pool, uint64_t hpa)
{
	uint32_t idx;
	if (!pool_index(pool, hpa, &idx) || (hpa & (PAGE - 1))) {
		fprintf(stderr, "sim_pool_free: %#llx is not a pool page\n",
			(unsigned long long)hpa);
		abort();
	}
	pthread_mutex_lock(&pool->lock);
	if (!pool->live[idx]) {
		fprintf(stderr, "sim_pool_free: double free of %#llx\n",
			(unsigned long long)hpa);
		abort();
	}
	memset(pool->base + (size_t)idx * PAGE, SIM_POOL_POISON, PAGE);
	__atomic_store_n(&pool->live[idx], 0, __ATOMIC_RELEASE);
	__atomic_add_fetch(&pool->gen[idx], 1, __ATOMIC_RELEASE);
	pool->free_list[pool->nr_free++] = idx;
	pool->allocated--;
	pool->frees++;
	pthread_mutex_unlock(&pool->lock);
}

bool sim_pool_page_live(const struct sim_pool *pool, uint64_t hpa,
			uint32_t *gen)
{
	uint32_t idx;
	if (!pool_index(pool, hpa, &idx))
		return false;
	if (gen)
		*gen = __atomic_load_n(&pool->gen[idx], __ATOMIC_ACQUIRE);
	return __atomic_load_n(&pool->live[idx], __ATOMIC_ACQUIRE);
}

enum sim_hpa_kind sim_hpa_classify(const struct sim_hpa_space *space,
				   uint64_t hpa)
{
	uint32_t idx;
	if (space->pool && pool_index(space->pool, hpa, &idx))
		return sim_pool_page_live(space->pool, hpa, NULL)
			       ? SIM_HPA_POOL_LIVE
			       : SIM_HPA_POOL_FREE;
	if (hpa >= SIM_GUEST_HPA_BASE &&
	    smmu_posix_ram_reachable(space->ram, hpa - SIM_GUEST_HPA_BASE))
		return SIM_HPA_GUEST_RAM;
	return SIM_HPA_NONE;
}

void *sim_hpa_ptr(const struct sim_hpa_space *space, uint64_t hpa, uint64_t len)
{
	uint32_t idx;
	if ((hpa & (PAGE - 1)) + len > PAGE)
		return NULL;
	if (space->pool && pool_index(space->pool, hpa, &idx))
		return space->pool->base + (hpa - SIM_POOL_HPA_BASE);
	if (hpa >= SIM_GUEST_HPA_BASE)
		return smmu_posix_ram_ptr(space->ram, hpa - SIM_GUEST_HPA_BASE,
					  len);
	return NULL;
}
