/* SPDX-License-Identifier: MIT */
/*
 * VM-wide calls on several threads at once, for ThreadSanitizer
 * (scripts/tsan.sh builds it with the library's TSan build and runs it;
 * Criterion's runner does not start under TSan, so this is a plain
 * program). Three threads create and destroy vCPUs with ids from the same
 * few while a fourth reads the VM's counters, then two threads start and
 * stop dirty logging at once, round after round. Every outcome is
 * checked as tests/test_concurrency.c checks it: never two vCPUs with one
 * id, one start and one stop of each pair succeeding, every status a
 * defined one, every allocation given back. Exit 0 only then; TSan
 * reports are tsan.sh's to count.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shadowmmu/shadowmmu.h>

#define IDS	     8
#define CREATES	     4000
#define LIST_THREADS 3
#define ROUNDS	     200

static pthread_mutex_t mmu = PTHREAD_MUTEX_INITIALIZER;
static __thread int holds_lock;
static long allocs, pages; /* outstanding (atomic) */
static unsigned long failures;

static void fail(const char *what)
{
	fprintf(stderr, "tsan_vm_calls: %s\n", what);
	__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
}

static void *h_alloc(void *host, size_t size)
{
	(void)host;
	void *p = calloc(1, size);
	if (p)
		__atomic_add_fetch(&allocs, 1, __ATOMIC_RELAXED);
	return p;
}

static void h_free(void *host, void *ptr, size_t size)
{
	(void)host, (void)size;
	free(ptr);
	__atomic_sub_fetch(&allocs, 1, __ATOMIC_RELAXED);
}

static int h_read(void *host, uint64_t gpa, void *buf, size_t len)
{
	(void)host, (void)gpa;
	memset(buf, 0, len);
	return SMMU_GPA_OK;
}

static int h_write(void *host, uint64_t gpa, const void *buf, size_t len)
{
	(void)host, (void)gpa, (void)buf, (void)len;
	return SMMU_GPA_OK;
}

static int h_cmpxchg(void *host, uint64_t gpa, unsigned size, uint64_t o,
		     uint64_t n)
{
	(void)host, (void)gpa, (void)size, (void)o, (void)n;
	return SMMU_GPA_CHANGED;
}

static int h_gfn_to_hpa(void *host, uint64_t gfn, uint64_t *hpa)
{
	(void)host;
	*hpa = (UINT64_C(1) << 32) + (gfn << 12);
	return SMMU_GPA_OK;
}

static bool h_alloc_page(void *host, uint64_t *hpa, void **hva)
{
	(void)host;
	void *p = aligned_alloc(4096, 4096);
	if (!p)
		return false;
	memset(p, 0, 4096);
	__atomic_add_fetch(&pages, 1, __ATOMIC_RELAXED);
	*hpa = (uint64_t)(uintptr_t)p;
	*hva = p;
	return true;
}

static void h_free_page(void *host, uint64_t hpa, void *hva)
{
	(void)host, (void)hpa;
	free(hva);
	__atomic_sub_fetch(&pages, 1, __ATOMIC_RELAXED);
}

static void h_lock(void *host)
{
	(void)host;
	pthread_mutex_lock(&mmu);
	holds_lock = 1;
}

static void h_unlock(void *host)
{
	(void)host;
	holds_lock = 0;
	pthread_mutex_unlock(&mmu);
}

static bool h_lock_held(void *host)
{
	(void)host;
	return holds_lock;
}

static void h_flush_all_cpus(void *host)
{
	(void)host;
}

/* No vCPU runs: nothing unlinked can still be in use. */
static void h_defer_free(void *host, struct smmu_rcu_head *head)
{
	(void)host, (void)head;
	fail("defer_free: no shadow page should be retired here");
}

static const struct smmu_host_ops ops = {
	.alloc = h_alloc,
	.free = h_free,
	.read_gpa = h_read,
	.cmpxchg_gpa = h_cmpxchg,
	.alloc_page = h_alloc_page,
	.free_page = h_free_page,
	.write_gpa = h_write,
	.gfn_to_hpa = h_gfn_to_hpa,
	.lock = h_lock,
	.unlock = h_unlock,
	.flush_all_cpus = h_flush_all_cpus,
	.defer_free = h_defer_free,
	.lock_held = h_lock_held,
};

static struct smmu_vm *vm;
static int live[IDS];
static int lists_done;

static void *create_destroy(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg + 1;
	for (unsigned i = 0; i < CREATES; i++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t id = (seed >> 16) % IDS;
		struct smmu_vcpu *v;
		enum smmu_status st = smmu_vcpu_create(vm, id, &v);
		if (st == SMMU_OK) {
			if (__atomic_exchange_n(&live[id], 1, __ATOMIC_SEQ_CST))
				fail("a vCPU created with an id in use");
			__atomic_store_n(&live[id], 0, __ATOMIC_SEQ_CST);
			smmu_vcpu_destroy(v);
		} else if (st != SMMU_EINVAL || v) {
			fail("smmu_vcpu_create: neither OK nor EINVAL");
		}
	}
	return NULL;
}

static void *stats_reader(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&lists_done, __ATOMIC_ACQUIRE)) {
		struct smmu_stats s;
		if (smmu_vm_get_stats(vm, &s) != SMMU_OK)
			fail("smmu_vm_get_stats");
	}
	return NULL;
}

static pthread_barrier_t both;
static enum smmu_status status2[2];
static int stopping;

static void *log_worker(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	pthread_barrier_wait(&both);
	status2[me] = stopping ? smmu_vm_dirty_log_stop(vm)
			       : smmu_vm_dirty_log_start(vm, 0, 1u << 16);
	return NULL;
}

static void log_pair(int stop, enum smmu_status winner, enum smmu_status loser)
{
	pthread_t t[2];
	stopping = stop;
	pthread_barrier_init(&both, NULL, 2);
	for (unsigned i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, log_worker, (void *)(uintptr_t)i);
	for (unsigned i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&both);
	if (!((status2[0] == winner && status2[1] == loser) ||
	      (status2[0] == loser && status2[1] == winner)))
		fail(stop ? "two stops at once: not one OK and one EINVAL"
			  : "two starts at once: not one OK and one EBUSY");
}

int main(void)
{
	struct smmu_vm_config cfg = { .maxphyaddr = 36 };
	if (smmu_vm_create(&cfg, &ops, NULL, &vm) != SMMU_OK) {
		fail("smmu_vm_create");
		return 1;
	}
	pthread_t t[LIST_THREADS], reader;
	pthread_create(&reader, NULL, stats_reader, NULL);
	for (unsigned i = 0; i < LIST_THREADS; i++)
		pthread_create(&t[i], NULL, create_destroy,
			       (void *)(uintptr_t)i);
	for (unsigned i = 0; i < LIST_THREADS; i++)
		pthread_join(t[i], NULL);
	__atomic_store_n(&lists_done, 1, __ATOMIC_RELEASE);
	pthread_join(reader, NULL);

	for (unsigned round = 0; round < ROUNDS; round++) {
		log_pair(0, SMMU_OK, SMMU_EBUSY);
		log_pair(1, SMMU_OK, SMMU_EINVAL);
	}
	if (smmu_vm_destroy(vm) != SMMU_OK)
		fail("smmu_vm_destroy");
	if (allocs || pages)
		fail("allocations or pages not given back");
	printf("tsan_vm_calls: %u creates on %u threads, %u start/stop "
	       "rounds: %s\n",
	       CREATES * LIST_THREADS, LIST_THREADS, ROUNDS,
	       failures ? "FAILED" : "every outcome as expected");
	return failures ? 1 : 0;
}
