/* SPDX-License-Identifier: MIT */
/*
 * The simulated hardware MMU's TLB and paging-structure caches: they keep
 * every translation and non-leaf entry, tagged by VPID and PCID, until
 * exactly the SDM's invalidations remove it (vol. 3A 4.10, vol. 3C 28.3),
 * and prefer cached entries to memory wherever the SDM allows.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <time.h>

#include "hw_fixture.h"

TestSuite(hwtlb, .init = hw_fixture_setup, .fini = hw_fixture_teardown);

/* --- staleness and the paging-structure caches -------------------------- */

Test(hwtlb, translation_survives_shadow_change_until_invlpg)
{
	map(0x1000, 0x5000, RWU);
	cr_assert_eq(ok(0x1000, 0), hpa_of_gpa(0x5000));
	*slot(0x1000, 1) = 0; /* not present, no flush */
	struct hw_result r;
	cr_assert_eq(xlate(0x1000, 0, &r), HW_OK);
	cr_expect(r.tlb_hit);
	cr_expect_eq(r.hpa, hpa_of_gpa(0x5000));
	hw_tlb_invlpg(tlb, 1, 0, 0x1000);
	cr_expect_eq(pf(0x1000, 0), 0);
}

/* PT1 maps 0x1000 and 0x3000; PT2 maps 0x3000 elsewhere. Returns PT2. */
static uint64_t two_page_tables(void)
{
	map(0x1000, 0x11000, RWU);
	map(0x3000, 0x13000, RWU);
	uint64_t pt2 = new_table();
	*entry_in(pt2, 0x3000, 1) = hpa_of_gpa(0x23000) | RWU;
	return pt2;
}

Test(hwtlb, psc_entry_is_used_after_upper_entry_changed_in_memory)
{
	uint64_t pt2 = two_page_tables();
	ok(0x1000, 0); /* caches the PDE pointing at PT1 */
	*slot(0x1000, 2) = pt2 | DIR;
	struct hw_result r;
	cr_assert_eq(xlate(0x3000, 0, &r), HW_OK);
	cr_expect_not(r.tlb_hit);
	cr_expect_eq(r.hpa, hpa_of_gpa(0x13000), "walked PT1 via the PSC");
}

Test(hwtlb, psc_pml5e_entry_is_used_after_change)
{
	ctx.la57 = true;
	uint64_t la = 5ull << 48, la2 = la + (1ull << 39); /* next PML4E */
	map(la, 0x11000, RWU);
	ok(la, 0);
	/* a fresh PML4 behind that PML5E, mapping la2 */
	*slot(la, 5) = new_table() | DIR;
	map(la2, 0x200000, RWU);
	/* only the PML5E-cache entry matches la2: it leads to the old PML4,
	 * which does not map la2 */
	cr_expect_eq(pf(la2, 0), 0);
	cr_expect_eq(ok(la2, 0), hpa_of_gpa(0x200000));
}

Test(hwtlb, invlpg_removes_all_psc_entries_of_its_pcid_only)
{
	uint64_t pt2 = two_page_tables();
	use_pcid(1);
	ok(0x1000, 0);
	use_pcid(2);
	ok(0x1000, 0);
	*slot(0x1000, 2) = pt2 | DIR;
	/* any la: INVLPG drops every PSC entry of the PCID (4.10.4.1) */
	hw_tlb_invlpg(tlb, 1, 1, 0x7f0000000000);
	use_pcid(1);
	cr_expect_eq(ok(0x3000, 0), hpa_of_gpa(0x23000));
	use_pcid(2);
	cr_expect_eq(ok(0x3000, 0), hpa_of_gpa(0x13000));
}

Test(hwtlb, fault_removes_psc_entries_that_translate_its_la)
{
	map(0x1000, 0x11000, RWU);
	uint64_t pt2 = new_table();
	*entry_in(pt2, 0x5000, 1) = hpa_of_gpa(0x25000) | RWU;
	ok(0x1000, 0);
	*slot(0x1000, 2) = pt2 | DIR;
	/* through the cached PDE: PT1 has no 0x5000 */
	cr_expect_eq(pf(0x5000, 0), 0);
	/* the fault dropped that PDE-cache entry: memory is walked now */
	cr_expect_eq(ok(0x5000, 0), hpa_of_gpa(0x25000));
}

Test(hwtlb, fault_on_stale_cached_entry_then_next_access_walks_memory)
{
	map(0x1000, 0x5000, X86_PTE_P | X86_PTE_US);
	ok(0x1000, SMMU_ACCESS_USER);
	*slot(0x1000, 1) |= X86_PTE_RW; /* upgrade, no flush */
	struct hw_result r;
	cr_assert_eq(xlate(0x1000, SMMU_ACCESS_USER | SMMU_ACCESS_WRITE, &r),
		     HW_PAGE_FAULT);
	cr_expect(r.tlb_hit);
	cr_expect_eq(r.pf_error, PFERR_P | PFERR_W | PFERR_U);
	cr_assert_eq(xlate(0x1000, SMMU_ACCESS_USER | SMMU_ACCESS_WRITE, &r),
		     HW_OK);
	cr_expect_not(r.tlb_hit);
	cr_expect(*slot(0x1000, 1) & X86_PTE_D);
}

Test(hwtlb, fault_on_stale_global_entry_removes_it_for_every_pcid)
{
	map(0x1000, 0x5000, X86_PTE_P | X86_PTE_US | X86_PTE_G);
	use_pcid(1);
	ok(0x1000, SMMU_ACCESS_USER);
	*slot(0x1000, 1) |= X86_PTE_RW;
	use_pcid(2);
	struct hw_result r;
	cr_assert_eq(xlate(0x1000, SMMU_ACCESS_USER | SMMU_ACCESS_WRITE, &r),
		     HW_PAGE_FAULT);
	cr_expect(r.tlb_hit, "the global entry of PCID 1's walk was used");
	use_pcid(1);
	cr_assert_eq(xlate(0x1000, SMMU_ACCESS_USER | SMMU_ACCESS_WRITE, &r),
		     HW_OK);
	cr_expect_not(r.tlb_hit);
}

/* --- invalidation scopes --------------------------------------------------
 * Every (vpid, pcid, la) below is cached, then every leaf is retargeted in
 * memory. After one operation, a translation still giving the old frame
 * survived it; the new frame means the operation removed it. */

#define LA_A 0x1000ull	/* non-global */
#define LA_B 0x2000ull	/* non-global */
#define LA_G 0x40000ull /* global */
static const uint64_t las[] = { LA_A, LA_B, LA_G };
static const uint16_t vpids[] = { 0, 1, 2 };
static const uint16_t pcids[] = { 1, 2 };

static uint64_t old_gpa(uint64_t la)
{
	return 0x100000 + la;
}

static uint64_t new_gpa(uint64_t la)
{
	return 0x800000 + la;
}

static void prime(void)
{
	for (unsigned i = 0; i < 3; i++)
		map(las[i], old_gpa(las[i]),
		    RWU | (las[i] == LA_G ? X86_PTE_G : 0));
	for (unsigned v = 0; v < 3; v++) {
		for (unsigned p = 0; p < 2; p++) {
			ctx.vpid = vpids[v];
			use_pcid(pcids[p]);
			for (unsigned i = 0; i < 3; i++)
				ok(las[i], 0);
		}
	}
	for (unsigned i = 0; i < 3; i++)
		map(las[i], new_gpa(las[i]),
		    RWU | (las[i] == LA_G ? X86_PTE_G : 0));
}

/* What an operation must remove: the product of a set of vpids[], of
 * pcids[] and of las[], each a bitmask of indexes into those arrays. */
struct removed {
	unsigned vpids, pcids, las;
};
#define VPID1	2u
#define VPID1_2 6u
#define ALL_V	7u
#define PCID1	1u
#define ALL_P	3u
#define A	1u
#define G	4u
#define A_B	3u
#define ALL_LA	7u

static void expect_removed(struct removed want)
{
	for (unsigned v = 0; v < 3; v++) {
		for (unsigned p = 0; p < 2; p++) {
			for (unsigned i = 0; i < 3; i++) {
				ctx.vpid = vpids[v];
				use_pcid(pcids[p]);
				uint64_t hpa = ok(las[i], 0);
				bool gone = hpa == hpa_of_gpa(new_gpa(las[i]));
				bool must = (want.vpids >> v & 1) &&
					    (want.pcids >> p & 1) &&
					    (want.las >> i & 1);
				cr_expect_eq(gone, must,
					     "vpid %u pcid %u la %#llx: %s",
					     vpids[v], pcids[p],
					     (unsigned long long)las[i],
					     gone ? "removed" : "kept");
			}
		}
	}
}

Test(hwtlb, invlpg_removes_la_in_its_pcid)
{
	prime();
	hw_tlb_invlpg(tlb, 1, 1, LA_A);
	expect_removed((struct removed){ VPID1, PCID1, A });
}

Test(hwtlb, invlpg_removes_global_translation_for_every_pcid_of_vpid)
{
	prime();
	hw_tlb_invlpg(tlb, 1, 1, LA_G);
	expect_removed((struct removed){ VPID1, ALL_P, G });
}

Test(hwtlb, invpcid_addr_removes_la_in_pcid_but_not_global)
{
	prime();
	hw_tlb_invpcid(tlb, 1, HW_INVPCID_ADDR, 1, LA_A);
	expect_removed((struct removed){ VPID1, PCID1, A });
}

Test(hwtlb, invpcid_addr_of_global_page_removes_nothing)
{
	prime();
	hw_tlb_invpcid(tlb, 1, HW_INVPCID_ADDR, 1, LA_G);
	expect_removed((struct removed){ 0 });
}

Test(hwtlb, invpcid_single_removes_pcid_but_not_global)
{
	prime();
	hw_tlb_invpcid(tlb, 1, HW_INVPCID_SINGLE, 1, 0);
	expect_removed((struct removed){ VPID1, PCID1, A_B });
}

Test(hwtlb, invpcid_all_global_removes_everything_of_the_vpid)
{
	prime();
	hw_tlb_invpcid(tlb, 1, HW_INVPCID_ALL_GLOBAL, 0, 0);
	expect_removed((struct removed){ VPID1, ALL_P, ALL_LA });
}

Test(hwtlb, invpcid_all_keeps_global_translations)
{
	prime();
	hw_tlb_invpcid(tlb, 1, HW_INVPCID_ALL, 0, 0);
	expect_removed((struct removed){ VPID1, ALL_P, A_B });
}

Test(hwtlb, invvpid_addr_removes_la_in_every_pcid)
{
	prime();
	hw_tlb_invvpid(tlb, HW_INVVPID_ADDR, 1, LA_A);
	expect_removed((struct removed){ VPID1, ALL_P, A });
}

Test(hwtlb, invvpid_addr_removes_global_translation_too)
{
	prime();
	hw_tlb_invvpid(tlb, HW_INVVPID_ADDR, 1, LA_G);
	expect_removed((struct removed){ VPID1, ALL_P, G });
}

Test(hwtlb, invvpid_single_removes_everything_of_the_vpid)
{
	prime();
	hw_tlb_invvpid(tlb, HW_INVVPID_SINGLE, 1, 0);
	expect_removed((struct removed){ VPID1, ALL_P, ALL_LA });
}

Test(hwtlb, invvpid_all_keeps_vpid_0)
{
	prime();
	hw_tlb_invvpid(tlb, HW_INVVPID_ALL, 0, 0);
	expect_removed((struct removed){ VPID1_2, ALL_P, ALL_LA });
}

Test(hwtlb, invvpid_single_nonglobal_keeps_global_translations)
{
	prime();
	hw_tlb_invvpid(tlb, HW_INVVPID_SINGLE_NONGLOBAL, 1, 0);
	expect_removed((struct removed){ VPID1, ALL_P, A_B });
}

Test(hwtlb, flush_pcid_keeps_globals_and_other_pcids)
{
	prime();
	hw_tlb_flush_pcid(tlb, 1, 1);
	expect_removed((struct removed){ VPID1, PCID1, A_B });
}

Test(hwtlb, flush_all_removes_every_tag)
{
	prime();
	hw_tlb_flush_all(tlb);
	expect_removed((struct removed){ ALL_V, ALL_P, ALL_LA });
}

Test(hwtlb, invvpid_addr_removes_psc_entries_for_la_only)
{
	/* 0x1000 and 0x40001000 use different PDEs */
	map(0x1000, 0x11000, RWU);
	map(0x40001000, 0x12000, RWU);
	uint64_t pt_a = new_table(), pt_b = new_table();
	*entry_in(pt_a, 0x3000, 1) = hpa_of_gpa(0x33000) | RWU;
	*entry_in(pt_b, 0x40003000, 1) = hpa_of_gpa(0x34000) | RWU;
	use_pcid(1);
	ok(0x1000, 0);
	ok(0x40001000, 0);
	use_pcid(2);
	ok(0x1000, 0);
	*slot(0x1000, 2) = pt_a | DIR;
	*slot(0x40001000, 2) = pt_b | DIR;
	hw_tlb_invvpid(tlb, HW_INVVPID_ADDR, 1, 0x1000);
	cr_expect_eq(ok(0x3000, 0), hpa_of_gpa(0x33000), "pcid 2 PDE gone");
	use_pcid(1);
	cr_expect_eq(ok(0x3000, 0), hpa_of_gpa(0x33000), "pcid 1 PDE gone");
	cr_expect_eq(pf(0x40003000, 0), 0, "other PDE-cache entry kept");
}

/* --- tags ----------------------------------------------------------------- */

Test(hwtlb, vpids_isolate_the_same_la)
{
	uint64_t root2 = new_table();
	map(0x1000, 0x5000, RWU);
	map_in(root2, 0x1000, hpa_of_gpa(0x6000), 1, RWU);
	cr_expect_eq(ok(0x1000, 0), hpa_of_gpa(0x5000));
	ctx.vpid = 2;
	ctx.cr3 = root2;
	cr_expect_eq(ok(0x1000, 0), hpa_of_gpa(0x6000));
	ctx.vpid = 1;
	cr_expect_eq(ok(0x1000, 0), hpa_of_gpa(0x5000), "vpid 1 entry kept");
}

Test(hwtlb, pcids_isolate_the_same_la_only_with_pcide)
{
	uint64_t root2 = new_table();
	map(0x1000, 0x5000, RWU);
	map_in(root2, 0x1000, hpa_of_gpa(0x6000), 1, RWU);
	ctx.pcide = true;
	ctx.cr3 = root | 1;
	cr_expect_eq(ok(0x1000, 0), hpa_of_gpa(0x5000));
	ctx.cr3 = root2 | 2;
	cr_expect_eq(ok(0x1000, 0), hpa_of_gpa(0x6000));
	/* without PCIDE, CR3[11:0] is no tag: both use tag 0 */
	ctx.pcide = false;
	ctx.cr3 = root | 1;
	cr_expect_eq(ok(0x1000, 0), hpa_of_gpa(0x5000));
	ctx.cr3 = root2 | 2;
	cr_expect_eq(ok(0x1000, 0), hpa_of_gpa(0x5000), "stale across CR3");
}

Test(hwtlb, global_leaf_is_tagged_by_pcid_without_pge)
{
	ctx.pge = false;
	map(0x1000, 0x5000, RWU | X86_PTE_G);
	use_pcid(1);
	ok(0x1000, 0);
	map(0x1000, 0x6000, RWU | X86_PTE_G);
	use_pcid(2);
	cr_expect_eq(ok(0x1000, 0), hpa_of_gpa(0x6000));
}

/* --- what sends a cached entry back to memory ---------------------------- */

Test(hwtlb, write_through_clean_cached_entry_rewalks_and_sets_dirty)
{
	map(0x1000, 0x5000, RWU);
	ok(0x1000, 0);
	cr_assert_not(*slot(0x1000, 1) & X86_PTE_D);
	struct hw_result r;
	cr_assert_eq(xlate(0x1000, SMMU_ACCESS_WRITE, &r), HW_OK);
	cr_expect_not(r.tlb_hit);
	cr_expect(*slot(0x1000, 1) & X86_PTE_D);
	/* now cached dirty: the next write hits */
	cr_assert_eq(xlate(0x1000, SMMU_ACCESS_WRITE, &r), HW_OK);
	cr_expect(r.tlb_hit);
}

Test(hwtlb, rewalk_for_dirty_replaces_the_clean_entry_it_hit)
{
	map(0x1000, 0x5000, RWU);
	ok(0x1000, 0);
	/* retargeted and made global: the re-walk files it under another
	 * tag than the clean entry */
	map(0x1000, 0x6000, RWU | X86_PTE_G);
	cr_expect_eq(ok(0x1000, SMMU_ACCESS_WRITE), hpa_of_gpa(0x6000));
	cr_expect_eq(ok(0x1000, 0), hpa_of_gpa(0x6000));
	cr_expect_eq(hw_tlb_size(tlb), 1 + 3);
}

Test(hwtlb, psc_entry_for_recycled_table_is_freed_table)
{
	map(0x1000, 0x5000, RWU);
	map(0x2000, 0x6000, RWU);
	uint64_t pt = *slot(0x1000, 2) & ADDR;
	ok(0x1000, 0);
	sim_pool_free(&pool, pt);
	cr_assert_eq(new_table(), pt, "the pool hands the page out again");
	/* the recycled page is live and zeroed, but the PDE-cache entry
	 * was made for its previous life */
	struct hw_result r;
	cr_assert_eq(xlate(0x2000, 0, &r), HW_FREED_TABLE);
	cr_expect_eq(r.bad_hpa, pt);
	/* once flushed, the walk reads the new page: nothing mapped */
	hw_tlb_invlpg(tlb, 1, 0, 0x2000);
	cr_expect_eq(pf(0x2000, 0), 0);
}

/* --- capacity, statistics ---------------------------------------------------
 */

Test(hwtlb, bounded_caches_evict_and_stay_correct)
{
	make_tlb(8, 3);
	/* 64 pages over 16 page tables */
	for (uint64_t i = 0; i < 64; i++)
		map(i * 0x80000, 0x100000 + i * 0x1000, RWU);
	for (int round = 0; round < 3; round++)
		for (uint64_t i = 0; i < 64; i++)
			cr_assert_eq(ok(i * 0x80000 + 8, 0),
				     hpa_of_gpa(0x100000 + i * 0x1000 + 8));
	struct hw_tlb_stats s;
	hw_tlb_get_stats(tlb, &s);
	cr_expect_gt(s.evictions, 0);
	cr_expect_leq(hw_tlb_size(tlb), 11);
}

Test(hwtlb, unbounded_caches_keep_everything)
{
	for (uint64_t i = 0; i < 1024; i++)
		map(i * 0x1000, 0x100000 + i * 0x1000, RWU);
	for (uint64_t i = 0; i < 1024; i++)
		ok(i * 0x1000, 0);
	/* 1024 translations, 2 PDEs, 1 PDPTE, 1 PML4E */
	cr_expect_eq(hw_tlb_size(tlb), 1024 + 4);
	struct hw_result r;
	for (uint64_t i = 0; i < 1024; i++) {
		cr_assert_eq(xlate(i * 0x1000, 0, &r), HW_OK);
		cr_assert(r.tlb_hit);
	}
}

Test(hwtlb, stats_count_lookups_hits_walks_faults_invalidations)
{
	map(0x1000, 0x5000, RWU);
	ok(0x1000, 0);
	ok(0x1000, 0);
	pf(0x9000, 0);
	hw_tlb_invlpg(tlb, 1, 0, 0x1000);
	hw_tlb_flush_all(tlb);
	struct hw_tlb_stats s;
	hw_tlb_get_stats(tlb, &s);
	cr_expect_eq(s.lookups, 3);
	cr_expect_eq(s.hits, 1);
	cr_expect_eq(s.walks, 2);
	cr_expect_eq(s.faults, 1);
	cr_expect_eq(s.invalidations, 2);
	cr_expect_eq(s.evictions, 0);
	cr_expect_eq(hw_tlb_size(tlb), 0);
}

/* --- concurrency -------------------------------------------------------- */

#define STRESS_PAGES 32

static volatile bool stop;
static uint64_t *stress_pte[STRESS_PAGES];

static uint64_t stress_gpa(unsigned i, unsigned v)
{
	return 0x100000 + (uint64_t)v * 0x100000 + i * 0x1000;
}

/* Another CPU (and the MMU under test) retargets leaves and invalidates
 * this CPU's TLB remotely, while it translates. */
static void *remote(void *arg)
{
	uint64_t x = 88172645463325252ull;
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		unsigned i = x % STRESS_PAGES, v = (x >> 8) % 2;
		__atomic_store_n(stress_pte[i],
				 hpa_of_gpa(stress_gpa(i, v)) | RWU,
				 __ATOMIC_RELEASE);
		switch ((x >> 16) % 4) {
		case 0:
			hw_tlb_flush_pcid(tlb, 1, 0);
			break;
		case 1:
			hw_tlb_invvpid(tlb, HW_INVVPID_ADDR, 1, i * 0x1000);
			break;
		default:
			hw_tlb_invlpg(tlb, 1, 0, i * 0x1000);
		}
	}
	return NULL;
}

Test(hwtlb, concurrent_translate_and_remote_invalidation_converge)
{
	make_tlb(16, 2);
	for (unsigned i = 0; i < STRESS_PAGES; i++) {
		map(i * 0x1000, stress_gpa(i, 0), RWU);
		stress_pte[i] = slot(i * 0x1000, 1);
	}
	stop = false;
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, remote, NULL), 0);
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long n = 0;
	do {
		unsigned i = n % STRESS_PAGES;
		uint64_t hpa = ok(i * 0x1000, (n & 4) ? SMMU_ACCESS_WRITE : 0);
		cr_assert(hpa == hpa_of_gpa(stress_gpa(i, 0)) ||
			  hpa == hpa_of_gpa(stress_gpa(i, 1)));
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (++n < 200000 && (now.tv_sec - t0.tv_sec) * 1000000000L +
						 (now.tv_nsec - t0.tv_nsec) <
					 300000000L);
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	/* Every write was followed by an invalidation of its la: what is
	 * cached now is what memory says. */
	for (unsigned i = 0; i < STRESS_PAGES; i++)
		cr_expect_eq(ok(i * 0x1000, 0), *stress_pte[i] & ADDR);
}

/* --- the observer (smmu-bench's accounting) ------------------------------ */

struct watch {
	unsigned fills, psc_fills, flushes, tagged_back;
	unsigned left[HW_LEAVE_REPLACE + 1];
	struct hw_flush_info last;
};

static void watch_fill(void *arg, struct hw_tlb_entry_info *e)
{
	struct watch *w = arg;
	w->fills++;
	w->psc_fills += e->psc;
	e->tag[0] = e->la | 1;
	e->tag[1] = e->level;
}

static void watch_flush(void *arg, const struct hw_flush_info *f)
{
	struct watch *w = arg;
	w->flushes++;
	w->last = *f;
}

static void watch_leave(void *arg, const struct hw_tlb_entry_info *e,
			enum hw_leave_cause cause)
{
	struct watch *w = arg;
	w->left[cause]++;
	w->tagged_back += e->tag[0] == (e->la | 1) && e->tag[1] == e->level;
}

Test(hwtlb, observer_is_told_of_fills_flushes_and_why_entries_leave)
{
	struct watch w = { 0 };
	const struct hw_tlb_observer obs = { watch_fill, watch_flush,
					     watch_leave, &w };
	map(0x1000, 0x5000, RWU);
	map(0x2000, 0x6000, X86_PTE_P | X86_PTE_US); /* read-only */
	hw_tlb_set_observer(tlb, &obs);

	/* A walk caches the translation and PML4E, PDPTE and PDE. */
	ok(0x1000, 0);
	cr_expect_eq(w.fills, 4);
	cr_expect_eq(w.psc_fills, 3);

	/* INVLPG: one operation, its translation and every PSC entry of
	 * the PCID leave, each with the tags its fill gave it. */
	hw_tlb_invlpg(tlb, 1, 0, 0x1000);
	cr_expect_eq(w.flushes, 1);
	cr_expect_eq(w.last.op, HW_OP_INVLPG);
	cr_expect_eq(w.last.la, 0x1000);
	cr_expect_eq(w.left[HW_LEAVE_FLUSH], 4);
	cr_expect_eq(w.tagged_back, 4);

	/* A #PF drops what would translate its la: not a flush. */
	ok(0x2000, 0);
	pf(0x2000, SMMU_ACCESS_WRITE);
	cr_expect_eq(w.flushes, 1);
	cr_expect_gt(w.left[HW_LEAVE_FAULT], 0);
	cr_expect_eq(w.left[HW_LEAVE_FLUSH], 4);

	/* Everything, every tag. */
	ok(0x1000, 0);
	unsigned cached = hw_tlb_size(tlb);
	hw_tlb_invvpid(tlb, HW_INVVPID_ALL, 0, 0);
	cr_expect_eq(w.flushes, 2);
	cr_expect_eq(w.last.op, HW_OP_INVVPID);
	cr_expect_eq(w.last.type, HW_INVVPID_ALL);
	cr_expect_eq(w.left[HW_LEAVE_FLUSH], 4 + cached);

	/* Removed, it hears nothing more. */
	hw_tlb_set_observer(tlb, NULL);
	ok(0x1000, 0);
	hw_tlb_flush_all(tlb);
	cr_expect_eq(w.flushes, 2);
}

Test(hwtlb, observer_hears_of_evictions_and_replacements)
{
	struct watch w = { 0 };
	const struct hw_tlb_observer obs = { watch_fill, watch_flush,
					     watch_leave, &w };
	make_tlb(1, 0);
	hw_tlb_set_observer(tlb, &obs);
	map(0x1000, 0x5000, RWU);
	map(0x3000, 0x7000, RWU);
	ok(0x1000, 0);
	ok(0x3000, 0); /* one translation only: the first is evicted */
	cr_expect_eq(w.left[HW_LEAVE_EVICT], 1);
	/* A write through a translation cached clean walks again and
	 * caches the dirty one in its place. */
	ok(0x3000, SMMU_ACCESS_WRITE);
	cr_expect_gt(w.left[HW_LEAVE_REPLACE], 0);
	cr_expect_eq(w.flushes, 0);
	cr_expect_eq(w.left[HW_LEAVE_FLUSH], 0);
	hw_tlb_set_observer(tlb, NULL);
}
