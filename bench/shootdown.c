/* SPDX-License-Identifier: MIT */
/*
 * shootdown: M vCPUs run threads of one process (one address space, one
 * PCID). vCPU 0 keeps unmapping a batch of its pages (a munmap storm):
 * it clears the PTEs through the direct map, invalidates them locally
 * (INVLPG, or INVPCID individual-address) and shoots them down on the
 * other vCPUs with the guest's own IPIs, one page each (the simulated
 * guest IPI carries one address) or, past Linux's ceiling of 33 pages,
 * one flush of everything; then it maps the batch back (no flush needed
 * for a not-present entry). The other vCPUs keep reading and writing
 * pages of the region, now and then one that is unmapped (a #PF the
 * guest takes).
 */
#include "guest.h"
#include "workload.h"

/* Linux's tlb_single_page_flush_ceiling: above it, flush everything. */
#define FLUSH_CEILING 33u

static const char *const local_flushes[] = { "invlpg", "invpcid", NULL };

enum { P_VCPUS, P_ROUNDS, P_BATCH, P_PAGES, P_ACCESSES, P_FLUSH };

static const struct bench_param params[] = {
	[P_VCPUS] = { "vcpus", "vCPUs sharing the address space", 2, 1, 8, NULL,
		      false },
	[P_ROUNDS] = { "rounds", "munmap rounds by vCPU 0", 40, 1, 100000, NULL,
		       true },
	[P_BATCH] = { "batch", "pages unmapped per round", 8, 1, 256, NULL,
		      false },
	[P_PAGES] = { "pages", "pages of the shared region", 64, 1, 2048, NULL,
		      false },
	[P_ACCESSES] = { "accesses", "accesses per round by each other vCPU",
			 16, 0, 4096, NULL, false },
	[P_FLUSH] = { "flush", "vCPU 0's local invalidation", 0, 0, 1,
		      local_flushes, false },
	{ NULL, NULL, 0, 0, 0, NULL, false },
};

static int build(struct bench_trace *t, const uint64_t *val, uint64_t seed,
		 char *err, size_t err_len)
{
	unsigned vcpus = (unsigned)val[P_VCPUS], batch = (unsigned)val[P_BATCH];
	unsigned pages = (unsigned)val[P_PAGES];
	bool invpcid = val[P_FLUSH] == 1;
	const uint16_t pcid = 1;
	struct bench_rng rng = { seed };
	struct bench_guest g;

	if (batch > pages) {
		snprintf(err, err_len,
			 "shootdown: batch=%u is more than pages=%u", batch,
			 pages);
		return -1;
	}
	bench_guest_init(&g, t, vcpus, true);
	uint64_t space = bench_guest_space(&g, BG_SPACE_FULL);
	uint64_t pte[2048], frame[2048];
	for (unsigned i = 0; i < pages; i++) {
		frame[i] = bench_guest_frame(&g);
		pte[i] = bench_guest_map(&g, space,
					 BG_USER + (uint64_t)i * X86_PAGE_SIZE,
					 frame[i], BG_USER_RW);
	}
	for (unsigned v = 0; v < vcpus; v++)
		bench_guest_start(&g, v, space | pcid, true, true);
	bench_guest_go(&g, 0);

	uint64_t others = ((UINT64_C(1) << vcpus) - 1) & ~UINT64_C(1);
	for (uint64_t round = 0; round < val[P_ROUNDS]; round++) {
		unsigned first = (unsigned)((round * batch) % pages);
		for (unsigned k = 0; k < batch; k++)
			bench_guest_set(&g, pte[(first + k) % pages], 0);
		for (unsigned k = 0; k < batch; k++) {
			uint64_t la =
				BG_USER +
				(uint64_t)((first + k) % pages) * X86_PAGE_SIZE;
			if (invpcid)
				bench_guest_invpcid(&g, 0, 0, pcid, la);
			else
				bench_guest_invlpg(&g, 0, la);
			if (others && batch <= FLUSH_CEILING)
				bench_guest_shootdown(&g, 0, others, la);
		}
		if (others && batch > FLUSH_CEILING)
			bench_guest_shootdown(&g, 0, others, GOP_ALL);
		for (unsigned k = 0; k < batch; k++) {
			unsigned i = (first + k) % pages;
			bench_guest_set(&g, pte[i], frame[i] | BG_USER_RW);
		}
		bench_guest_read(&g, 0,
				 BG_USER + (uint64_t)first * X86_PAGE_SIZE,
				 SMMU_ACCESS_USER);
		for (unsigned v = 1; v < vcpus; v++) {
			for (uint64_t a = 0; a < val[P_ACCESSES]; a++) {
				uint64_t r = bench_rng_next(&rng);
				uint64_t la =
					BG_USER + (r % pages) * X86_PAGE_SIZE;
				if ((r >> 32) & 3)
					bench_guest_read(&g, v, la,
							 SMMU_ACCESS_USER);
				else
					bench_guest_write(&g, v, la, r,
							  SMMU_ACCESS_USER);
			}
		}
	}
	bench_guest_fini(&g);
	return 0;
}

const struct bench_workload bench_wl_shootdown = {
	.name = "shootdown",
	.summary = "vCPUs sharing an address space; vCPU 0 unmaps pages and "
		   "shoots them down with guest IPIs",
	.params = params,
	.build = build,
};
