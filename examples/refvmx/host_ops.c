/* SPDX-License-Identifier: MIT */
#include "host_ops.h"

#include <vmx_asm.h>

#include "console.h"
#include "mem.h"
#include "percpu.h"

struct host_ops_stats host_ops_stats;

static volatile int mmu_lock;

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
	if (!__atomic_exchange_n(&mmu_lock, 1, __ATOMIC_ACQUIRE))
		return;
	/* The holder may be waiting for this CPU: to flush (flush_req),
	 * or to leave its guest window (a kick). A CPU in its window here
	 * is inside smmu_vcpu_enter before it reads what it owes (refvmx
	 * takes no lock between smmu_vcpu_enter and the VM entry), so it
	 * closes the window while it waits, and opens a new one after:
	 * whatever it is owed meanwhile, it reads. */
	struct cpu *c = this_cpu();
	bool entering = c->guest_seq & 1;
	if (entering)
		guest_window_close(c);
	while (__atomic_exchange_n(&mmu_lock, 1, __ATOMIC_ACQUIRE))
		cpu_serve_requests();
	if (entering)
		guest_window_open(c);
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

static void h_kick_cpus(void *host, const struct smmu_cpu_set *set)
{
	(void)host;
	kick_cpus_now(set->bits);
}

/*
 * Deferred frees wait for a grace period. The library hands over a
 * shadow page it unlinked from every table under the MMU lock; what
 * may still reach it:
 * - the hardware walker of a CPU in guest mode, through a walk in
 *   flight or its paging-structure caches: the library asked every vCPU
 *   that may cache it for a flush (kicked if in guest mode, owed at the
 *   next entry if not; flush_all_cpus with "flush=all"), but a flush
 *   owed is no flush done, and a page freed when its own vCPU dropped
 *   it as a root (sp_root_put) comes with no request at all;
 * - a CPU outside guest mode walks no guest table (VMX root operation
 *   runs on the host's CR3), and refvmx gives the library no lock-free
 *   walkers (no rcu_read_enter/exit): every software walk is under the
 *   MMU lock, which unlinked the page.
 * So the grace period is every CPU's guest window, whether or not any
 * flush happened: a batch of pages is freed once each CPU whose window
 * was open when the batch closed has closed it since (a VM exit, after
 * which the CPU reads what it owes before its next entry). A window
 * closed at that point needs nothing. The batch closes after its last
 * defer_free, so it waits at least as long as each of its pages needs.
 * The acknowledged IPI of flush_all_cpus is no longer assumed: the
 * engine's flushes are deferred or done by kicks.
 */
struct grace_batch {
	struct smmu_rcu_head *heads;
	uint64_t seq[MAX_CPUS]; /* guest_seq of each CPU at the close */
};

/* Under mmu_lock: pages given since the last batch closed, and the batch
 * waiting for its grace period. */
static struct smmu_rcu_head *open_heads;
static struct grace_batch waiting;

static void h_defer_free(void *host, struct smmu_rcu_head *head)
{
	(void)host;
	head->next = open_heads;
	__atomic_store_n(&open_heads, head, __ATOMIC_RELEASE);
}

static bool grace_period_over(const struct grace_batch *b)
{
	for (unsigned i = 0; i < nr_cpus; i++)
		if ((b->seq[i] & 1) &&
		    __atomic_load_n(&cpus[i].guest_seq, __ATOMIC_SEQ_CST) ==
			    b->seq[i])
			return false;
	return true;
}

void host_ops_run_deferred(void)
{
	if (!__atomic_load_n(&open_heads, __ATOMIC_ACQUIRE) &&
	    !__atomic_load_n(&waiting.heads, __ATOMIC_ACQUIRE))
		return;
	struct smmu_rcu_head *done = 0;
	h_lock(0);
	if (waiting.heads && grace_period_over(&waiting)) {
		done = waiting.heads;
		waiting.heads = 0;
		host_ops_stats.grace_periods++;
	}
	if (!waiting.heads && open_heads) {
		/* Close the batch: the pages were unlinked before this
		 * (under the lock held here), the windows are read after. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		for (unsigned i = 0; i < nr_cpus; i++)
			waiting.seq[i] = __atomic_load_n(&cpus[i].guest_seq,
							 __ATOMIC_SEQ_CST);
		waiting.heads = open_heads;
		open_heads = 0;
	}
	h_unlock(0);
	/* The callbacks take no lock of the library's (host.h); they give
	 * the pages back through free_page and free (mem.c's own lock). */
	while (done) {
		struct smmu_rcu_head *next = done->next;
		__atomic_fetch_add(&host_ops_stats.deferred_frees, 1,
				   __ATOMIC_RELAXED);
		done->func(done);
		done = next;
	}
}

#define REFVMX_HOST_OPS_COMMON                                                 \
	.alloc = h_alloc, .free = h_free, .read_gpa = h_read_gpa,              \
	.cmpxchg_gpa = h_cmpxchg_gpa, .log = h_log,                            \
	.alloc_page = h_alloc_page, .free_page = h_free_page,                  \
	.write_gpa = h_write_gpa, .gfn_to_hpa = h_gfn_to_hpa, .lock = h_lock,  \
	.unlock = h_unlock, .flush_all_cpus = h_flush_all_cpus,                \
	.defer_free = h_defer_free, .backing_is_2m = h_backing_is_2m

const struct smmu_host_ops refvmx_host_ops = {
	REFVMX_HOST_OPS_COMMON,
	.kick_cpus = h_kick_cpus,
};

const struct smmu_host_ops refvmx_host_ops_flush_all = {
	REFVMX_HOST_OPS_COMMON,
};
