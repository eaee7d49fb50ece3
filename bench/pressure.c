/* SPDX-License-Identifier: MIT */
/*
 * pressure: a working set larger than the shadow pool. The vCPUs share
 * one address space whose pages each sit under a page table of their
 * own (2 MiB apart), and read and write them at random: every page
 * needs a shadow page table, more than the pool holds, so the library
 * keeps evicting (unlink, flush every CPU, free after a grace period)
 * and rebuilding.
 */
#include "guest.h"
#include "workload.h"

enum { P_VCPUS, P_TABLES, P_ROUNDS, P_POOL, P_WRITES };

static const struct bench_param params[] = {
	[P_VCPUS] = { "vcpus", "vCPUs sharing the address space", 2, 1, 8, NULL,
		      false },
	[P_TABLES] = { "tables", "guest page tables in the working set", 256, 1,
		       1024, NULL, false },
	[P_ROUNDS] = { "rounds", "accesses per vCPU", 1500, 1, 10000000, NULL,
		       true },
	[P_POOL] = { "pool", "shadow pages the VM may use", 64, 1, 1u << 20,
		     NULL, false },
	[P_WRITES] = { "writes", "percentage of accesses that are writes", 25,
		       0, 100, NULL, false },
	{ NULL, NULL, 0, 0, 0, NULL, false },
};

static int build(struct bench_trace *t, const uint64_t *val, uint64_t seed,
		 char *err, size_t err_len)
{
	unsigned vcpus = (unsigned)val[P_VCPUS];
	uint64_t tables = val[P_TABLES];
	struct bench_rng rng = { seed };
	struct bench_guest g;

	/* The library needs a root per vCPU and a fault's path (host.h). */
	if (val[P_POOL] < 5 * vcpus + 4) {
		snprintf(err, err_len,
			 "pressure: pool=%llu is below the minimum of 5 x "
			 "vcpus + 4 = %u",
			 (unsigned long long)val[P_POOL], 5 * vcpus + 4);
		return -1;
	}
	bench_guest_init(&g, t, vcpus, true);
	t->pool_pages = (uint32_t)val[P_POOL];
	uint64_t space = bench_guest_space(&g, BG_SPACE_FULL);
	for (uint64_t i = 0; i < tables; i++)
		bench_guest_map(&g, space, BG_USER + (i << 21),
				bench_guest_frame(&g), BG_USER_RW);
	for (unsigned v = 0; v < vcpus; v++)
		bench_guest_start(&g, v, space | 1, true, true);
	bench_guest_go(&g, 0);

	for (unsigned v = 0; v < vcpus; v++) {
		for (uint64_t a = 0; a < val[P_ROUNDS]; a++) {
			uint64_t r = bench_rng_next(&rng);
			uint64_t la = BG_USER + ((r % tables) << 21);
			if ((r >> 40) % 100 < val[P_WRITES])
				bench_guest_write(&g, v, la, r,
						  SMMU_ACCESS_USER);
			else
				bench_guest_read(&g, v, la, SMMU_ACCESS_USER);
		}
	}
	bench_guest_fini(&g);
	return 0;
}

const struct bench_workload bench_wl_pressure = {
	.name = "pressure",
	.summary = "a working set of page tables larger than the shadow pool",
	.params = params,
	.build = build,
};
