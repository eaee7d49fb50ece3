/* SPDX-License-Identifier: MIT */
#include "shadow_host.h"

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Shadow pages live at POOL_HPA + 4 KiB * slot, guest RAM at GUEST_HPA. */
#define POOL_HPA  UINT64_C(0x10000000)
#define GUEST_HPA (UINT64_C(1) << 40)

static struct shadow_host *host_of(void *host)
{
	return (struct shadow_host *)((char *)host -
				      offsetof(struct shadow_host, posix));
}

static bool alloc_page(void *host, uint64_t *hpa, void **hva)
{
	struct shadow_host *h = host_of(host);
	/* Out of pages, a host waits for a grace period to end and the
	 * deferred frees to run; here no other CPU exists to wait for. */
	if (h->allocated >= h->budget)
		shadow_host_run_deferred(h);
	if (h->allocated >= h->budget)
		return false;
	for (unsigned i = 0; i < SHADOW_HOST_MAX_PAGES; i++) {
		if (h->used[i])
			continue;
		h->used[i] = true;
		h->allocated++;
		memset(h->page[i], 0, 4096);
		*hpa = POOL_HPA + 4096ull * i;
		*hva = h->page[i];
		return true;
	}
	return false;
}

static void free_page(void *host, uint64_t hpa, void *hva)
{
	struct shadow_host *h = host_of(host);
	unsigned i = (unsigned)((hpa - POOL_HPA) / 4096);
	cr_assert(i < SHADOW_HOST_MAX_PAGES && h->used[i] && h->page[i] == hva,
		  "free_page of a page the host did not give: %#llx",
		  (unsigned long long)hpa);
	h->used[i] = false;
	h->allocated--;
}

static int gfn_to_hpa(void *host, uint64_t gfn, uint64_t *hpa)
{
	struct shadow_host *h = host_of(host);
	if (gfn > (UINT64_MAX >> 12) ||
	    !smmu_posix_ram_ptr(&h->posix.ram, gfn << 12, 4096))
		return SMMU_GPA_NOT_RAM;
	*hpa = GUEST_HPA + (gfn << 12);
	return SMMU_GPA_OK;
}

uint64_t shadow_host_hpa_of_gpa(uint64_t gpa)
{
	return GUEST_HPA + gpa;
}

/* One thread: the lock is a depth, checked as the library's lock checks
 * would want it (never taken twice, never dropped unheld). */
static void take_lock(void *host)
{
	struct shadow_host *h = host;
	void (*hook)(struct shadow_host *) = h->lock_hook;
	h->lock_hook = NULL;
	if (hook)
		hook(h);
	cr_assert_eq(h->lock_depth, 0, "the MMU lock taken twice");
	h->lock_depth++;
}

static void drop_lock(void *host)
{
	struct shadow_host *h = host;
	cr_assert_eq(h->lock_depth, 1, "the MMU lock dropped while not held");
	h->lock_depth--;
}

static bool lock_held(void *host)
{
	return ((struct shadow_host *)host)->lock_depth != 0;
}

static void flush_all_cpus(void *host)
{
	host_of(host)->flushes++;
}

/* The one vCPU runs on CPU 0, if the test says so (smmu_vcpu_load): a
 * kick finds it in a VM exit, where this single-threaded host always
 * is when the library runs. */
static void kick_cpus(void *host, const struct smmu_cpu_set *cpus)
{
	(void)cpus;
	host_of(host)->kicks++;
}

static void defer_free(void *host, struct smmu_rcu_head *head)
{
	struct shadow_host *h = host_of(host);
	head->next = h->deferred;
	h->deferred = head;
	h->nr_deferred++;
}

void shadow_host_run_deferred(struct shadow_host *h)
{
	while (h->deferred) {
		struct smmu_rcu_head *head = h->deferred;
		h->deferred = head->next;
		h->nr_deferred--;
		head->func(head);
	}
}

void shadow_host_init(struct shadow_host *h, uint64_t ram_size,
		      unsigned pool_pages, uint32_t inject)
{
	memset(h, 0, sizeof(*h));
	cr_assert_leq(pool_pages, SHADOW_HOST_MAX_PAGES);
	cr_assert_eq(smmu_posix_ram_init(&h->posix.ram, ram_size), 0);
	for (unsigned i = 0; i < pool_pages; i++) {
		h->page[i] = aligned_alloc(4096, 4096);
		cr_assert_not_null(h->page[i]);
	}
	h->budget = pool_pages;
	h->ops = smmu_posix_host_ops;
	h->ops.alloc_page = alloc_page;
	h->ops.free_page = free_page;
	h->ops.write_gpa = smmu_posix_write_gpa;
	h->ops.gfn_to_hpa = gfn_to_hpa;
	h->ops.lock = take_lock;
	h->ops.unlock = drop_lock;
	h->ops.lock_held = lock_held;
	h->ops.flush_all_cpus = flush_all_cpus;
	h->ops.kick_cpus = kick_cpus;
	h->ops.defer_free = defer_free;
	struct smmu_vm_config cfg = { .maxphyaddr = 46,
				      .gbpages = true,
				      .inject = inject };
	cr_assert_eq(smmu_vm_create(&cfg, &h->ops, &h->posix, &h->vm), SMMU_OK);
	cr_assert_eq(smmu_vcpu_create(h->vm, 0, &h->vcpu), SMMU_OK);
	h->next_table = 1ull << 20;
}

void shadow_host_fini(struct shadow_host *h)
{
	if (h->vcpu)
		smmu_vcpu_destroy(h->vcpu);
	shadow_host_run_deferred(h);
	if (h->vm)
		cr_expect_eq(smmu_vm_destroy(h->vm), SMMU_OK);
	cr_expect_eq(h->allocated, 0, "%u shadow pages leaked", h->allocated);
	for (unsigned i = 0; i < SHADOW_HOST_MAX_PAGES; i++)
		free(h->page[i]);
	smmu_posix_ram_fini(&h->posix.ram);
	memset(h, 0, sizeof(*h));
}

void shadow_host_enter(struct shadow_host *h)
{
	cr_assert_eq(smmu_vcpu_enter(h->vcpu, &h->entry), SMMU_OK);
}

struct smmu_fault shadow_host_fault(struct shadow_host *h, uint64_t la,
				    uint32_t flags)
{
	struct smmu_access acc = { .la = la, .flags = flags };
	struct smmu_fault f = { .action = SMMU_FAULT_ERROR };
	smmu_vcpu_page_fault(h->vcpu, &acc, &f);
	return f;
}

static const uint64_t *table_at(const struct shadow_host *h, uint64_t spte)
{
	uint64_t hpa = spte & X86_BITS(51, 12);
	unsigned i = (unsigned)((hpa - POOL_HPA) / 4096);
	if (hpa < POOL_HPA || i >= SHADOW_HOST_MAX_PAGES || !h->used[i])
		return NULL;
	return h->page[i];
}

uint64_t shadow_host_walk(const struct shadow_host *h, uint64_t la)
{
	const uint64_t *t = table_at(h, h->entry.cr3);
	int level = h->entry.la57 ? 5 : 4;
	if (h->entry.pae) {
		/* Legacy PAE paging: 32-bit linear addresses, four PDPTEs. */
		la &= 0xffffffffu;
		uint64_t pdpte = t ? t[(la >> 30) & 3] : 0;
		if (!(pdpte & X86_PTE_P))
			return 0;
		t = table_at(h, pdpte);
		level = 2;
	}
	for (; t; level--) {
		uint64_t e = t[(la >> (12 + 9 * (level - 1))) & 511];
		if (!(e & X86_PTE_P))
			return 0;
		if (level == 1 || (e & X86_PTE_PS))
			return e;
		t = table_at(h, e);
	}
	return 0;
}
