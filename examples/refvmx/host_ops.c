/* SPDX-License-Identifier: MIT */
#include "host_ops.h"

#include <vmx_asm.h>

#include "console.h"
#include "mem.h"
#include "percpu.h"

struct host_ops_stats host_ops_stats;

static volatile int mmu_lock;
static struct smmu_rcu_head *deferred; /* under mmu_lock */

static void *h_alloc(void *host, size_t size)
{
	(void)host;
	return heap_alloc(size);
}

static void h_free(void *host, void *ptr, size_t size)
{
	(void)host;
	heap_free(ptr, size);
}

/* The host address of [gpa, gpa + len) in guest RAM, or NULL. */
static void *guest_ptr(uint64_t gpa, size_t len)
{
	if (gpa >= mem.guest_size || len > mem.guest_size - gpa)
		return NULL;
	return (void *)(mem.guest_base + gpa);
}

static int h_read_gpa(void *host, uint64_t gpa, void *buf, size_t len)
{
	(void)host;
	const uint8_t *p = guest_ptr(gpa, len);
	if (!p)
		return SMMU_GPA_NOT_RAM;
	/* Paging entries: one load each, as other vCPUs may be storing
	 * (also when the library reads a table's entries at once). */
	if (!(gpa & 7) && !(len & 7))
		for (size_t i = 0; i < len / 8; i++)
			((uint64_t *)buf)[i] = __atomic_load_n(
				(const uint64_t *)p + i, __ATOMIC_ACQUIRE);
	else if (len == 4 && !(gpa & 3))
		*(uint32_t *)buf =
			__atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
	else
		for (size_t i = 0; i < len; i++)
			((uint8_t *)buf)[i] = p[i];
	return SMMU_GPA_OK;
}

static int h_write_gpa(void *host, uint64_t gpa, const void *buf, size_t len)
{
	(void)host;
	uint8_t *p = guest_ptr(gpa, len);
	if (!p)
		return SMMU_GPA_NOT_RAM;
	if (len == 8 && !(gpa & 7))
		__atomic_store_n((uint64_t *)p, *(const uint64_t *)buf,
				 __ATOMIC_RELEASE);
	else if (len == 4 && !(gpa & 3))
		__atomic_store_n((uint32_t *)p, *(const uint32_t *)buf,
				 __ATOMIC_RELEASE);
	else
		for (size_t i = 0; i < len; i++)
			p[i] = ((const uint8_t *)buf)[i];
	return SMMU_GPA_OK;
}

static int h_cmpxchg_gpa(void *host, uint64_t gpa, unsigned size,
			 uint64_t old_val, uint64_t new_val)
{
	(void)host;
	void *p = guest_ptr(gpa, size);
	if (!p || (size != 4 && size != 8) || (gpa & (size - 1)))
		return SMMU_GPA_NOT_RAM;
	bool done;
	if (size == 8) {
		done = __atomic_compare_exchange_n(
			(uint64_t *)p, &old_val, new_val, false,
			__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	} else {
		uint32_t o = (uint32_t)old_val;
		done = __atomic_compare_exchange_n(
			(uint32_t *)p, &o, (uint32_t)new_val, false,
			__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	}
	return done ? SMMU_GPA_OK : SMMU_GPA_CHANGED;
}

static void h_log(void *host, enum smmu_log_level level, const char *msg)
{
	(void)host;
	kprintf("libshadowmmu: %s%s\n",
		level == SMMU_LOG_ERROR	 ? "error: "
		: level == SMMU_LOG_WARN ? "warning: "
					 : "",
		msg);
}

static bool h_alloc_page(void *host, uint64_t *hpa, void **hva)
{
	(void)host;
	return pool_alloc(hpa, hva);
}

static void h_free_page(void *host, uint64_t hpa, void *hva)
{
	(void)host;
	(void)hva;
	pool_free(hpa);
}

static int h_gfn_to_hpa(void *host, uint64_t gfn, uint64_t *hpa)
{
	(void)host;
	if (gfn >= mem.guest_size >> 12)
		return SMMU_GPA_NOT_RAM;
	*hpa = mem.guest_base + (gfn << 12);
	return SMMU_GPA_OK;
}

static bool h_backing_is_2m(void *host, uint64_t gfn, uint64_t *hpa)
{
	/* Guest RAM is one 2 MiB-aligned block. */
	return !(gfn & 511) &&
	       h_gfn_to_hpa(host, gfn + 511, hpa) == SMMU_GPA_OK &&
	       h_gfn_to_hpa(host, gfn, hpa) == SMMU_GPA_OK;
}

static void h_lock(void *host)
{
	(void)host;
	/* The holder may be waiting for this CPU to flush. */
	while (__atomic_exchange_n(&mmu_lock, 1, __ATOMIC_ACQUIRE))
		cpu_serve_requests();
}

static void h_unlock(void *host)
{
	(void)host;
	__atomic_store_n(&mmu_lock, 0, __ATOMIC_RELEASE);
}

static void h_flush_all_cpus(void *host)
{
	(void)host;
	__atomic_fetch_add(&host_ops_stats.flushes, 1, __ATOMIC_RELAXED);
	flush_all_cpus_now();
}

static void h_defer_free(void *host, struct smmu_rcu_head *head)
{
	(void)host;
	head->next = deferred;
	deferred = head;
}

void host_ops_run_deferred(void)
{
	if (!__atomic_load_n(&deferred, __ATOMIC_ACQUIRE))
		return;
	h_lock(0);
	while (deferred) {
		struct smmu_rcu_head *h = deferred;
		deferred = h->next;
		host_ops_stats.deferred_frees++;
		h->func(h);
	}
	h_unlock(0);
}

const struct smmu_host_ops refvmx_host_ops = {
	.alloc = h_alloc,
	.free = h_free,
	.read_gpa = h_read_gpa,
	.cmpxchg_gpa = h_cmpxchg_gpa,
	.log = h_log,
	.alloc_page = h_alloc_page,
	.free_page = h_free_page,
	.write_gpa = h_write_gpa,
	.gfn_to_hpa = h_gfn_to_hpa,
	.lock = h_lock,
	.unlock = h_unlock,
	.flush_all_cpus = h_flush_all_cpus,
	.defer_free = h_defer_free,
	.backing_is_2m = h_backing_is_2m,
};
