/* SPDX-License-Identifier: MIT */
/*
 * The oracle on random guests: the naive shadow MMU runs every paging
 * mode without a violation, and every fault-injection knob — each a bug
 * class, three of them the seeds' — is caught. The settings per knob are
 * the ones that put the mechanism under stress (pool pressure for steals,
 * many address spaces for root reuse).
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "naive_shadow.h"
#include "random_guest.h"
#include "workload.h"

Test(oracle_random, naive_mmu_is_clean_in_every_mode, .timeout = 120)
{
	const enum smmu_paging_mode modes[] = { SMMU_PAGING_32BIT,
						SMMU_PAGING_PAE,
						SMMU_PAGING_4LEVEL,
						SMMU_PAGING_5LEVEL };
	for (unsigned i = 0; i < 4; i++) {
		struct random_guest r = { .mode = modes[i],
					  .vcpus = 3,
					  .ops = 3000 };
		cr_expect_eq(random_guest_run(&r), 0, "mode %u", modes[i]);
	}
}

Test(oracle_random, naive_mmu_is_clean_with_every_toggle, .timeout = 120)
{
	/* Every control bit a guest can toggle over the same tables
	 * (workload_toggle_all), and INVPCIDs that #GP. */
	const enum smmu_paging_mode modes[] = { SMMU_PAGING_32BIT,
						SMMU_PAGING_PAE,
						SMMU_PAGING_4LEVEL,
						SMMU_PAGING_5LEVEL };
	for (unsigned i = 0; i < 4; i++) {
		struct random_guest r = { .mode = modes[i],
					  .vcpus = 2,
					  .ops = 3000,
					  .toggles = true };
		cr_expect_eq(random_guest_run(&r), 0, "mode %u", modes[i]);
	}
}

Test(oracle_random, vcpus_sharing_cpus_are_clean, .timeout = 120)
{
	/* Six vCPUs time-sliced on two CPUs: VPIDs keep their TLB entries
	 * apart, shootdowns wait without holding a CPU, kicks reach vCPUs
	 * that are not running. */
	struct random_guest r = { .mode = SMMU_PAGING_4LEVEL,
				  .vcpus = 6,
				  .pcpus = 2,
				  .ops = 3000,
				  .pool_pages = 6 * NAIVE_MIN_POOL_PER_VCPU };
	cr_expect_eq(random_guest_run(&r), 0, "IPI flushes");
	r.assisted = true;
	cr_expect_eq(random_guest_run(&r), 0, "assisted flushes");
}

Test(oracle_random, naive_mmu_is_clean_under_pool_pressure, .timeout = 120)
{
	struct random_guest ipi = { .mode = SMMU_PAGING_4LEVEL,
				    .vcpus = 3,
				    .ops = 5000,
				    .pool_pages = 48 };
	struct random_guest assisted = ipi;
	assisted.assisted = true;
	cr_expect_eq(random_guest_run(&ipi), 0, "remote flushes by IPI");
	cr_expect_eq(random_guest_run(&assisted), 0,
		     "remote flushes assisted, frees after RCU");
}

/* One vCPU where the bug shows without concurrency, so the count is the
 * same every run; seed 003 is a race between CPUs by nature. */
static const struct {
	uint32_t knob;
	struct random_guest run;
} caught[] = {
	/* Without PCIDs the guest relies on MOV CR3 to flush. */
	{ NAIVE_NO_FLUSH_ON_CR3,
	  { .mode = SMMU_PAGING_4LEVEL,
	    .vcpus = 1,
	    .ops = 20000,
	    .no_pcid = true } },
	{ NAIVE_IGNORE_INVLPG,
	  { .mode = SMMU_PAGING_32BIT, .vcpus = 1, .ops = 20000 } },
	/* Seed 000: many address spaces, no careful flushes, so root slots
	 * are reused while NOFLUSH switches keep hardware PCIDs warm. */
	{ NAIVE_REUSE_ROOT_NOFLUSH,
	  { .mode = SMMU_PAGING_4LEVEL,
	    .vcpus = 1,
	    .ops = 20000,
	    .spaces = 8,
	    .careless = true } },
	{ NAIVE_FLUSH_BEFORE_SYNC,
	  { .mode = SMMU_PAGING_32BIT, .vcpus = 1, .ops = 20000 } },
	/* Seed 003: the smallest pool the naive MMU accepts, so vCPUs
	 * take each other's running roots all the time. */
	{ NAIVE_FREE_AFTER_ASSISTED,
	  { .mode = SMMU_PAGING_4LEVEL,
	    .vcpus = 3,
	    .ops = 20000,
	    .pool_pages = 3 * NAIVE_MIN_POOL_PER_VCPU } },
};

Test(oracle_random, every_knob_is_caught_and_clean_without_it, .timeout = 300)
{
	for (unsigned i = 0; i < sizeof(caught) / sizeof(caught[0]); i++) {
		struct random_guest r = caught[i].run;
		const char *name = "?";
		for (const struct sim_knob *k = naive_shadow_knobs; k->name;
		     k++)
			if (k->bit == caught[i].knob)
				name = k->name;
		uint64_t clean = random_guest_run(&r);
		r.inject = caught[i].knob;
		uint64_t broken = random_guest_run(&r);
		printf("oracle: --inject %-28s violations %llu (without: "
		       "%llu)\n",
		       name, (unsigned long long)broken,
		       (unsigned long long)clean);
		cr_expect_eq(clean, 0, "%s: violations without the knob", name);
		cr_expect_gt(broken, 0, "%s: not caught", name);
	}
}

/* A guest that switches address spaces (half of them with NOFLUSH)
 * again and again and never invalidates its global pages: the model may
 * forget nothing about when global translations could be cached. It used
 * to keep one record per CR3 load, scanned on every check and every load,
 * so the cost grew with the square of the run (37 s for 400k operations;
 * a 2M-operation run did not finish in ten minutes). It keeps one record
 * per distinct root now, and the loaded intervals joined per PCID and for
 * global pages: 800k operations take about a second. */
Test(oracle_random, endless_cr3_switches_without_global_flushes, .timeout = 60)
{
	unsigned mix[WL_NR_OPS] = { [WL_OP_ACCESS] = 30, [WL_OP_CR3] = 70 };
	struct random_guest r = { .mode = SMMU_PAGING_4LEVEL,
				  .vcpus = 1,
				  .ops = 800000,
				  .weights = mix };
	cr_expect_eq(random_guest_run(&r), 0);
}
