/* SPDX-License-Identifier: MIT */
/*
 * forkexec: page-table write churn on one vCPU. Each iteration forks:
 * the parent's pages are write-protected and a child address space is
 * built that maps them read-only (every entry a guest page-table store
 * through the direct map), and the parent flushes its PCID. The child
 * runs, reads its pages and writes a few: each write takes the guest's
 * #PF, and the guest copies on write (a new frame, writable) and
 * INVLPGs. Then the child execs: its address space is torn down entry by
 * entry and it switches back to the parent, which copies on write the
 * pages it writes next. Child tables are never reused, as a kernel that
 * frees them would not hand them back at once.
 */
#include "guest.h"
#include "workload.h"

enum { P_ROUNDS, P_PAGES, P_COW };

static const struct bench_param params[] = {
	[P_ROUNDS] = { "rounds", "fork/exec iterations", 40, 1, 800, NULL,
		       true },
	[P_PAGES] = { "pages", "pages of the parent, shared with each child",
		      16, 1, 512, NULL, false },
	[P_COW] = { "cow", "pages the child and then the parent write", 4, 0,
		    512, NULL, false },
	{ NULL, NULL, 0, 0, 0, NULL, false },
};

#define PARENT_PCID 1u
#define CHILD_PCID  2u
#define ADDR	    X86_BITS(51, 12)

static uint64_t page_la(unsigned i)
{
	return BG_USER + (uint64_t)i * X86_PAGE_SIZE;
}

/* A write to a read-only page of a process: the guest's #PF, then its
 * copy on write, then the write again. */
static void write_cow(struct bench_guest *g, uint64_t pte, uint64_t la,
		      uint64_t frame)
{
	bench_guest_write(g, 0, la, la, SMMU_ACCESS_USER);
	bench_guest_set(g, pte, frame | BG_USER_RW);
	bench_guest_invlpg(g, 0, la);
	bench_guest_write(g, 0, la, la, SMMU_ACCESS_USER);
}

/* Clear every entry under the user half of pml4 and the PML4 itself. */
static void teardown(struct bench_guest *g, uint64_t pml4, unsigned pages)
{
	for (unsigned i = 0; i < pages; i++)
		bench_guest_set(g, bench_guest_entry(g, pml4, page_la(i), 1),
				0);
	for (unsigned level = 2; level <= 4; level++)
		bench_guest_set(g, bench_guest_entry(g, pml4, BG_USER, level),
				0);
	for (unsigned i = 256; i < 512; i++)
		if (bench_guest_get(g, pml4 + 8 * i))
			bench_guest_set(g, pml4 + 8 * i, 0);
}

static int build(struct bench_trace *t, const uint64_t *val, uint64_t seed,
		 char *err, size_t err_len)
{
	unsigned pages = (unsigned)val[P_PAGES], cow = (unsigned)val[P_COW];
	struct bench_guest g;

	(void)seed;
	if (cow > pages) {
		snprintf(err, err_len, "forkexec: cow=%u is more than pages=%u",
			 cow, pages);
		return -1;
	}
	bench_guest_init(&g, t, 1, true);
	uint64_t parent = bench_guest_space(&g, BG_SPACE_FULL);
	for (unsigned i = 0; i < pages; i++)
		bench_guest_map(&g, parent, page_la(i), bench_guest_frame(&g),
				BG_USER_RW);
	bench_guest_start(&g, 0, parent | PARENT_PCID, true, true);
	bench_guest_go(&g, 0);

	for (uint64_t round = 0; round < val[P_ROUNDS]; round++) {
		uint64_t child = bench_guest_space(&g, BG_SPACE_FULL);
		for (unsigned i = 0; i < pages; i++) {
			uint64_t pte =
				bench_guest_entry(&g, parent, page_la(i), 1);
			uint64_t e = bench_guest_get(&g, pte);
			if (e & X86_PTE_RW)
				bench_guest_set(&g, pte, e & ~X86_PTE_RW);
			bench_guest_map(&g, child, page_la(i), e & ADDR,
					BG_USER_RO);
		}
		/* The parent's writable translations must go. */
		bench_guest_cr3(&g, 0, parent | PARENT_PCID);

		/* The child: a fresh PCID for a new process. */
		bench_guest_cr3(&g, 0, child | CHILD_PCID);
		for (unsigned i = 0; i < pages; i++)
			bench_guest_read(&g, 0, page_la(i), SMMU_ACCESS_USER);
		for (unsigned k = 0; k < cow; k++)
			write_cow(&g,
				  bench_guest_entry(&g, child, page_la(k), 1),
				  page_la(k), bench_guest_frame(&g));
		teardown(&g, child, pages);
		bench_guest_cr3(&g, 0, parent | PARENT_PCID | X86_CR3_NOFLUSH);

		/* The parent writes pages it shares no more. */
		for (unsigned k = 0; k < cow; k++) {
			unsigned i = (unsigned)((round + k) % pages);
			uint64_t pte =
				bench_guest_entry(&g, parent, page_la(i), 1);
			uint64_t e = bench_guest_get(&g, pte);
			if (e & X86_PTE_RW)
				bench_guest_write(&g, 0, page_la(i), round,
						  SMMU_ACCESS_USER);
			else
				write_cow(&g, pte, page_la(i), e & ADDR);
		}
	}
	bench_guest_fini(&g);
	return 0;
}

const struct bench_workload bench_wl_forkexec = {
	.name = "forkexec",
	.summary = "address spaces forked (write-protect, copy on write), "
		   "run and torn down",
	.params = params,
	.build = build,
};
