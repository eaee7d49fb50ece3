/* SPDX-License-Identifier: MIT */
/*
 * Precise invalidation on the library core (libshadowmmu/roots.h,
 * invalidate.c), under the oracle: cached roots each on a hardware PCID
 * of its own, NOFLUSH honoured exactly while a root is unchanged, and
 * every guest invalidation with the scope SDM 4.10.4 gives it — no
 * narrower (each class's knob shows a violation), and no wider (the
 * flush counts are exact).
 */
#include <criterion/criterion.h>

#include "lib_mmu.h"
#include "oracle_guest.h"

static struct oguest g;
static bool live;

static void fini(void)
{
	if (live)
		og_fini(&g);
	live = false;
}

TestSuite(roots, .fini = fini, .timeout = 60);

#define LA     OG_LA
#define LA2    (LA + 0x1000) /* its PTE shares LA's page table */
#define PAGE_A OG_PAGE_A
#define PAGE_B OG_PAGE_B
#define GLOBAL (OG_USER | X86_PTE_G)

struct lib_guest_config {
	uint32_t inject;
	uint8_t cached_roots;
	uint32_t host_caps;
};

static void lib_guest(struct lib_guest_config c)
{
	og_init(&g, &(struct oguest_config){ .mmu = &lib_mmu_ops,
					     .inject = c.inject,
					     .cached_roots = c.cached_roots,
					     .host_caps = c.host_caps });
	live = true;
}

static struct smmu_stats stats(void)
{
	struct smmu_stats st;
	smmu_vm_get_stats(lib_mmu_vm(&g.sim), &st);
	return st;
}

static void mov_cr3(uint64_t pml4, uint16_t pcid, bool noflush)
{
	og_mov_cr3(&g, 0, pml4 | pcid | (noflush ? X86_CR3_NOFLUSH : 0));
}

static void invpcid(unsigned type, uint16_t pcid, uint64_t la)
{
	og_op(&g, 0,
	      (struct gop){ .kind = GOP_INVPCID,
			    .type = (uint8_t)type,
			    .pcid = pcid,
			    .la = la });
}

/* Make the page table that maps LA in space pml4 go out of sync: its
 * first stores are emulated, the third write fault maps it writable. */
static void stores_until_out_of_sync(uint64_t pte2)
{
	for (int i = 0; i < 4; i++)
		og_set_pte(&g, 0, pte2, ((i & 1) ? PAGE_A : PAGE_B) | OG_USER);
}

static uint64_t unsync_lag_table(uint64_t pml4)
{
	uint64_t pte2 = og_map(&g, pml4, LA2, PAGE_A, OG_USER);
	stores_until_out_of_sync(pte2);
	return pte2;
}

/* ---- switching between cached roots ---- */

#define SPACES 4
#define ROUNDS 5

/* Four spaces with PCIDs 1-4 map LA to pages of their own; the guest
 * loads each once with a flush, then switches round robin. */
static void round_robin(bool noflush)
{
	uint64_t pml4[SPACES];
	for (int i = 0; i < SPACES; i++) {
		pml4[i] = og_space(&g);
		og_map(&g, pml4[i], LA, OG_DATA + 0x1000 * (i + 1), OG_USER);
	}
	og_start(&g, 0, pml4[0], 1, 0);
	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < SPACES; i++) {
			mov_cr3(pml4[i], (uint16_t)(i + 1),
				noflush && round > 0);
			og_read(&g, 0, LA);
		}
	}
}

Test(roots, noflush_switch_between_cached_roots_flushes_nothing)
{
	lib_guest((struct lib_guest_config){ 0 });
	round_robin(true);
	cr_expect_eq(og_run(&g), 0);
	struct smmu_stats st = stats();
	/* The registers set at start flush everything once; each first load
	 * of a space flushes its PCID, as the guest asked. */
	cr_expect_eq(st.flushes[SMMU_FLUSH_VCPU_ALL], 1);
	cr_expect_eq(st.flushes[SMMU_FLUSH_PCID], SPACES);
	cr_expect_eq(st.flushes[SMMU_FLUSH_VCPU], 0);
	cr_expect_eq(st.noflush_honoured, SPACES * (ROUNDS - 1));
	cr_expect_eq(st.roots_built, SPACES, "no root rebuilt");
}

Test(roots, flushing_switch_flushes_exactly_its_pcid)
{
	lib_guest((struct lib_guest_config){ 0 });
	round_robin(false);
	cr_expect_eq(og_run(&g), 0);
	struct smmu_stats st = stats();
	cr_expect_eq(st.flushes[SMMU_FLUSH_PCID], SPACES * ROUNDS);
	cr_expect_eq(st.flushes[SMMU_FLUSH_VCPU], 0);
	cr_expect_eq(st.flushes[SMMU_FLUSH_VCPU_ALL], 1);
	cr_expect_eq(st.roots_built, SPACES);
}

Test(roots, host_without_pcid_flushes_every_switch)
{
	/* Every root on PCID 0: a switch must flush what the last root
	 * left, NOFLUSH or not. */
	lib_guest((struct lib_guest_config){ .host_caps = SIM_HOST_NO_CAPS });
	round_robin(true);
	cr_expect_eq(og_run(&g), 0);
	cr_expect_eq(stats().noflush_honoured, 0);
}

/* ---- seed 000 (XSA-294): NOFLUSH after a root changed ---- */

Test(roots, rebuilt_root_is_flushed_whatever_noflush_says)
{
	/* Five spaces switched with NOFLUSH over two cached roots: roots
	 * are rebuilt and slots (hardware PCIDs) change hands all the
	 * time. */
	lib_guest((struct lib_guest_config){ .cached_roots = 1 });
	og_five_spaces_noflush(&g);
	cr_expect_eq(og_run(&g), 0);
	cr_expect_gt(stats().root_loads, stats().root_cache_hits);
}

Test(roots, rebuilt_root_on_a_stale_pcid_is_caught)
{
	lib_guest((struct lib_guest_config){
		.cached_roots = 1,
		.inject = SMMU_INJECT_NO_FLUSH_ON_NEW_ROOT });
	og_five_spaces_noflush(&g);
	cr_expect_gt(og_run(&g), 0);
}

/* A #PF invalidates its address in the current PCID, whichever CR3 the
 * translation came from (SDM 4.10.4.1), as INVLPG does. Spaces A and B
 * share LA's page table under guest PCID 4, and each root has a hardware
 * PCID of its own. B caches LA; a NOFLUSH switch to A; the guest unmaps
 * LA without invalidating it, and A's read of LA takes the #PF, which
 * invalidates LA in PCID 4; a NOFLUSH switch back to B must fault on LA,
 * not find it in B's hardware PCID. The library synced LA in the current
 * root only and flushed nothing. Found by the long run's sweep (the
 * pcid-precise configuration, seed 200000, about one run in two). */
static uint64_t fault_in_one_root_of_a_pcid(uint32_t inject)
{
	lib_guest((struct lib_guest_config){ .inject = inject });
	uint64_t a = og_space(&g), b = og_space(&g);
	uint64_t pte = og_map(&g, b, LA, PAGE_A, OG_USER);
	og_link_table(&g, a, LA, 2, pte & ~0xfffull);
	og_start(&g, 0, b, 4, 0);
	og_read(&g, 0, LA); /* in B's hardware PCID */
	mov_cr3(a, 4, true);
	og_set_pte(&g, 0, pte, 0); /* unmapped, not invalidated */
	og_read(&g, 0, LA);	   /* #PF: LA invalidated in PCID 4 */
	mov_cr3(b, 4, true);
	og_read(&g, 0, LA); /* #PF, or a violation */
	return og_run(&g);
}

Test(roots, fault_invalidates_its_address_in_every_root_of_the_pcid)
{
	cr_expect_eq(fault_in_one_root_of_a_pcid(0), 0);
	cr_expect_eq(g.sim.vcpu[0].stats.injected, 2);
}

Test(roots, fault_invalidating_the_current_root_only_is_caught)
{
	cr_expect_gt(
		fault_in_one_root_of_a_pcid(SMMU_INJECT_NO_FLUSH_ON_INVALIDATE),
		0);
}

/* One guest table under two guest PCIDs is one root but two virtual
 * TLBs. PCID 1 caches LA, the guest unmaps LA without invalidating it
 * (PCID 1 may keep it), then loads the same CR3 under PCID 2 with
 * NOFLUSH: PCID 2 never cached LA, so LA must fault. On a host without
 * hardware PCIDs both run under PCID 0; on one with them, the slot of
 * PCID 1 is taken over for PCID 2 when the cache is full (a third space
 * loaded between). Either way the hardware PCID holds the other slot's
 * translations. */
static uint64_t same_root_under_another_pcid(uint32_t host_caps,
					     uint32_t inject)
{
	lib_guest((struct lib_guest_config){
		.inject = inject, .cached_roots = 1, .host_caps = host_caps });
	uint64_t a = og_space(&g), b = og_space(&g);
	uint64_t pte = og_map(&g, a, LA, PAGE_A, OG_USER);
	og_start(&g, 0, a, 1, 0);
	og_read(&g, 0, LA);
	og_set_pte(&g, 0, pte, 0); /* unmapped, not invalidated */
	if (!host_caps)
		mov_cr3(b, 3, false); /* slot of PCID 1 is the oldest */
	mov_cr3(a, 2, true);
	og_read(&g, 0, LA); /* #PF, or a violation */
	return og_run(&g);
}

Test(roots, same_root_under_another_pcid_without_host_pcids)
{
	cr_expect_eq(same_root_under_another_pcid(SIM_HOST_NO_CAPS, 0), 0);
}

Test(roots, same_root_under_another_pcid_in_a_slot_taken_over)
{
	cr_expect_eq(same_root_under_another_pcid(0, 0), 0);
}

Test(roots, same_root_under_another_pcid_trusted_is_caught)
{
	cr_expect_gt(
		same_root_under_another_pcid(SIM_HOST_NO_CAPS,
					     SMMU_INJECT_NO_FLUSH_ON_NEW_ROOT),
		0);
	fini();
	cr_expect_gt(same_root_under_another_pcid(
			     0, SMMU_INJECT_NO_FLUSH_ON_NEW_ROOT),
		     0);
}

/* ---- seed 001: roots cached while CR4.PCIDE=0 ---- */

Test(roots, pcide_set_trusts_no_root_cached_without_it)
{
	lib_guest((struct lib_guest_config){ 0 });
	og_prev_root_across_pcide(&g);
	cr_expect_eq(og_run(&g), 0);
}

Test(roots, pcide_set_trusting_old_roots_is_caught)
{
	lib_guest((struct lib_guest_config){
		.inject = SMMU_INJECT_PCIDE0_CURRENT_ONLY });
	og_prev_root_across_pcide(&g);
	cr_expect_gt(og_run(&g), 0);
}

/* ---- KVM 21823fbda552: MOV CR3 with flush vs other roots of the PCID */

/* Spaces A and B share PCID 1. A caches LA -> page A, LA is remapped
 * without an invalidation; loading B with PCID 1 and no NOFLUSH flushes
 * PCID 1 — A's cached root included — so back in A with NOFLUSH, LA
 * must be page B. */
static uint64_t cr3_flush_shared_pcid(uint32_t inject)
{
	lib_guest((struct lib_guest_config){ .inject = inject });
	uint64_t a = og_space(&g), b = og_space(&g);
	uint64_t pte = og_map(&g, a, LA, PAGE_A, OG_USER);
	og_start(&g, 0, a, 1, 0);
	og_read(&g, 0, LA);
	og_set_pte(&g, 0, pte, PAGE_B | OG_USER);
	mov_cr3(b, 1, false);
	mov_cr3(a, 1, true);
	og_read(&g, 0, LA);
	return og_run(&g);
}

Test(roots, cr3_flush_covers_every_cached_root_of_its_pcid)
{
	cr_expect_eq(cr3_flush_shared_pcid(0), 0);
}

Test(roots, cr3_flush_sparing_roots_of_the_pcid_is_caught)
{
	cr_expect_gt(
		cr3_flush_shared_pcid(SMMU_INJECT_FLUSH_SPARES_SHARED_PCID), 0);
}

/* ---- an out-of-sync table shared by roots of different PCIDs ---- */

#define PAGE_C (OG_DATA + 0x3000)

/* Spaces A (PCID 1) and B (PCID 2) share the page table that maps LA;
 * A's root links it (A read LA2), LA is not cached. The guest, in B,
 * invalidates LA in PCID 1 (INVPCID 0; the table is in sync: nothing to
 * sync), reads LA (a fill through B's root), lets the table go out of
 * sync, remaps LA to page C unseen and goes back to A with NOFLUSH.
 * PCID 1 was not loaded between its invalidation and the remap, so it
 * cannot hold the translation B's fill made: LA must walk to page C. */
static uint64_t fill_seen_by_another_pcid(uint32_t inject)
{
	lib_guest((struct lib_guest_config){ .inject = inject });
	uint64_t a = og_space(&g), b = og_space(&g);
	uint64_t pte = og_map(&g, a, LA, PAGE_A, OG_USER);
	uint64_t pte2 = og_map(&g, a, LA2, PAGE_A, OG_USER);
	og_link_table(&g, b, LA, 2, pte & ~0xfffull);
	og_start(&g, 0, a, 1, 0);
	og_read(&g, 0, LA2);
	mov_cr3(b, 2, false);
	invpcid(0, 1, LA);
	og_read(&g, 0, LA);
	stores_until_out_of_sync(pte2);
	og_set_pte(&g, 0, pte, PAGE_C | OG_USER); /* not seen */
	mov_cr3(a, 1, true);
	og_read(&g, 0, LA);
	uint64_t n = og_run(&g);
	cr_expect_gt(stats().sp_unsynced, 0, "the table went out of sync");
	return n;
}

Test(roots, noflush_return_syncs_what_other_pcids_filled)
{
	cr_expect_eq(fill_seen_by_another_pcid(0), 0);
}

Test(roots, noflush_return_trusting_other_pcids_fills_is_caught)
{
	cr_expect_gt(
		fill_seen_by_another_pcid(SMMU_INJECT_UNSYNC_SEEN_ACROSS_ROOTS),
		0);
}

/* Space A's page table for LA is out of sync, LA cached. In B, the
 * guest invalidates LA in PCID 1 (INVPCID 0) while page A is still what
 * the table says, then remaps LA to page C unseen, and goes back to A
 * with NOFLUSH: PCID 1 was not loaded since the invalidation, so LA must
 * walk to page C. A sync of A's root at the invalidation finds nothing
 * to drop; only one when A runs again sees the remap. */
static uint64_t invalidated_while_away(uint32_t inject)
{
	lib_guest((struct lib_guest_config){ .inject = inject });
	uint64_t a = og_space(&g), b = og_space(&g);
	uint64_t pte = og_map(&g, a, LA, PAGE_A, OG_USER);
	og_start(&g, 0, a, 1, 0);
	og_read(&g, 0, LA);
	unsync_lag_table(a);
	mov_cr3(b, 2, false);
	invpcid(0, 1, LA);
	og_set_pte(&g, 0, pte, PAGE_C | OG_USER); /* not seen */
	mov_cr3(a, 1, true);
	og_read(&g, 0, LA);
	uint64_t n = og_run(&g);
	cr_expect_gt(stats().sp_unsynced, 0, "the table went out of sync");
	return n;
}

Test(roots, address_invalidated_in_a_cached_root_syncs_when_it_runs)
{
	cr_expect_eq(invalidated_while_away(0), 0);
}

Test(roots, address_synced_at_invalidation_only_is_caught)
{
	cr_expect_gt(invalidated_while_away(SMMU_INJECT_SYNC_AT_INVALIDATION),
		     0);
}

/* ---- seed 004 / KVM b53e84eed08b: a flush of everything syncs every
 * cached root ---- */

/* Space A's page table for LA goes out of sync and the guest remaps LA
 * there unseen, then switches to B. An invalidation of everything
 * (`how`) must sync A's root too: back in A with NOFLUSH, LA is B. */
static uint64_t everything_syncs_cached_roots(uint32_t inject,
					      void (*how)(void))
{
	lib_guest((struct lib_guest_config){ .inject = inject });
	uint64_t a = og_space(&g), b = og_space(&g);
	uint64_t pte = og_map(&g, a, LA, PAGE_A, OG_USER);
	og_map(&g, b, LA, PAGE_A, OG_USER);
	og_start(&g, 0, a, 1, 0);
	og_read(&g, 0, LA);
	unsync_lag_table(a);
	og_set_pte(&g, 0, pte, PAGE_B | OG_USER); /* not seen */
	mov_cr3(b, 2, true);
	how();
	mov_cr3(a, 1, true);
	og_read(&g, 0, LA);
	uint64_t n = og_run(&g);
	cr_expect_gt(stats().sp_unsynced, 0, "the table went out of sync");
	return n;
}

static void pv_flush(void)
{
	og_pv_flush(&g, 0);
}

static void invpcid_all(void)
{
	invpcid(3, 0, 0);
}

Test(roots, pv_flush_syncs_every_cached_root_first)
{
	cr_expect_eq(everything_syncs_cached_roots(0, pv_flush), 0);
	cr_expect_eq(stats().roots_built, 2, "nothing unloaded");
}

Test(roots, pv_flush_syncing_the_current_root_only_is_caught)
{
	cr_expect_gt(everything_syncs_cached_roots(
			     SMMU_INJECT_SYNC_CURRENT_ROOT_ONLY, pv_flush),
		     0);
}

Test(roots, invpcid_all_contexts_syncs_every_cached_root)
{
	cr_expect_eq(everything_syncs_cached_roots(0, invpcid_all), 0);
	fini();
	cr_expect_gt(everything_syncs_cached_roots(
			     SMMU_INJECT_SYNC_CURRENT_ROOT_ONLY, invpcid_all),
		     0);
}

/* ---- INVLPG reaches global translations in every cached root ---- */

/* A caches a global LA; in B, the guest drops A's non-global view of LA
 * (INVPCID type 0), then LA's table goes out of sync and LA is remapped
 * there unseen, and INVLPG LA invalidates its global translation for
 * every PCID: back in A with NOFLUSH nothing cached may serve LA, and
 * A's shadow must have been synced by the INVLPG made in B. */
static uint64_t invlpg_global(uint32_t inject)
{
	lib_guest((struct lib_guest_config){ .inject = inject });
	uint64_t a = og_space(&g), b = og_space(&g);
	uint64_t pte = og_map(&g, a, LA, PAGE_A, GLOBAL);
	og_map(&g, b, LA, PAGE_A, GLOBAL);
	og_start(&g, 0, a, 1, X86_CR4_PGE);
	og_read(&g, 0, LA);
	unsync_lag_table(a);
	mov_cr3(b, 2, true);
	invpcid(0, 1, LA);
	og_set_pte(&g, 0, pte, PAGE_B | GLOBAL); /* not seen */
	og_invlpg(&g, 0, LA);
	mov_cr3(a, 1, true);
	og_read(&g, 0, LA);
	uint64_t n = og_run(&g);
	cr_expect_gt(stats().sp_unsynced, 0, "the table went out of sync");
	return n;
}

Test(roots, invlpg_syncs_a_global_address_in_every_cached_root)
{
	cr_expect_eq(invlpg_global(0), 0);
}

Test(roots, invlpg_syncing_the_current_root_only_is_caught)
{
	cr_expect_gt(invlpg_global(SMMU_INJECT_SYNC_CURRENT_ROOT_ONLY), 0);
}

/* ---- INVPCID's four types, each with its scope and no more ---- */

/* A (PCID 1) caches LA; LA is remapped unseen by the shadow only
 * through emulation; the guest, in B (PCID 2), invalidates with INVPCID
 * `type` and comes back to A with NOFLUSH. */
static void invpcid_from_elsewhere(unsigned type, uint64_t flags)
{
	lib_guest((struct lib_guest_config){ 0 });
	uint64_t a = og_space(&g), b = og_space(&g);
	uint64_t pte = og_map(&g, a, LA, PAGE_A, flags);
	og_start(&g, 0, a, 1, X86_CR4_PGE);
	og_read(&g, 0, LA);
	og_set_pte(&g, 0, pte, PAGE_B | flags);
	mov_cr3(b, 2, true);
	invpcid(type, type <= 1 ? 1 : 0, type == 0 ? LA : 0);
	mov_cr3(a, 1, true);
	og_read(&g, 0, LA); /* page B, or a violation (the oracle knows) */
	cr_expect_eq(og_run(&g), 0, "type %u", type);
}

Test(roots, invpcid_individual_address_flushes_that_address_of_that_pcid)
{
	invpcid_from_elsewhere(0, OG_USER);
	struct smmu_stats st = stats();
	cr_expect_eq(st.flushes[SMMU_FLUSH_PCID_ADDR], 1);
	cr_expect_eq(st.flushes[SMMU_FLUSH_PCID], 0);
}

Test(roots, invpcid_single_context_flushes_that_pcid_when_it_runs)
{
	invpcid_from_elsewhere(1, OG_USER);
	struct smmu_stats st = stats();
	/* A's PCID, before A runs again. */
	cr_expect_eq(st.flushes[SMMU_FLUSH_PCID], 1);
	cr_expect_eq(st.flushes[SMMU_FLUSH_PCID_ADDR], 0);
}

Test(roots, invpcid_all_contexts_with_globals)
{
	invpcid_from_elsewhere(2, GLOBAL);
	cr_expect_eq(stats().flushes[SMMU_FLUSH_VCPU_ALL], 2);
}

Test(roots, invpcid_all_contexts_without_globals)
{
	invpcid_from_elsewhere(3, OG_USER);
	cr_expect_eq(stats().flushes[SMMU_FLUSH_VCPU], 1);
}

/* ---- guest global pages across PCIDs ---- */

/* A global page read in A and again after a NOFLUSH switch to B (which
 * maps it too): the second read hits the hardware TLB, as it would on a
 * native CPU; without CR4.PGE it walks. The TLB walks of the run. */
static uint64_t walks_for_global_across_pcids(uint64_t cr4)
{
	lib_guest((struct lib_guest_config){ 0 });
	uint64_t a = og_space(&g), b = og_space(&g);
	og_map(&g, a, LA, PAGE_A, GLOBAL);
	og_map(&g, b, LA, PAGE_A, GLOBAL);
	og_start(&g, 0, a, 1, cr4);
	og_read(&g, 0, LA);
	mov_cr3(b, 2, true);
	og_read(&g, 0, LA);
	cr_expect_eq(og_run(&g), 0);
	struct sim_totals t;
	sim_get_totals(&g.sim, &t);
	fini();
	return t.tlb.walks;
}

Test(roots, global_translation_survives_a_noflush_switch)
{
	uint64_t with = walks_for_global_across_pcids(X86_CR4_PGE);
	uint64_t without = walks_for_global_across_pcids(0);
	cr_expect_lt(with, without, "walks with PGE %llu, without %llu",
		     (unsigned long long)with, (unsigned long long)without);
}

/* A global LA remapped without invalidation stays allowed across a
 * flushing MOV CR3 and goes with a PGE toggle. */
Test(roots, pge_toggle_drops_global_translations)
{
	lib_guest((struct lib_guest_config){ 0 });
	uint64_t a = og_space(&g);
	uint64_t pte = og_map(&g, a, LA, PAGE_A, GLOBAL);
	og_start(&g, 0, a, 1, X86_CR4_PGE);
	og_read(&g, 0, LA);
	og_set_pte(&g, 0, pte, PAGE_B | GLOBAL);
	mov_cr3(a, 1, false);
	og_read(&g, 0, LA); /* page A still allowed: global */
	og_op(&g, 0,
	      (struct gop){ .kind = GOP_MOV_CR4,
			    .val = X86_CR4_PAE | X86_CR4_PCIDE });
	og_read(&g, 0, LA); /* page B required */
	cr_expect_eq(og_run(&g), 0);
}

Test(roots, pcide_cleared_drops_everything)
{
	lib_guest((struct lib_guest_config){ 0 });
	uint64_t a = og_space(&g), b = og_space(&g);
	uint64_t pte = og_map(&g, a, LA, PAGE_A, GLOBAL);
	og_start(&g, 0, a, 1, X86_CR4_PGE);
	og_read(&g, 0, LA);
	og_set_pte(&g, 0, pte, PAGE_B | GLOBAL);
	mov_cr3(b, 2, true);
	mov_cr3(a, 0, false);
	og_op(&g, 0,
	      (struct gop){ .kind = GOP_MOV_CR4,
			    .val = X86_CR4_PAE | X86_CR4_PGE });
	og_read(&g, 0, LA); /* page B required */
	cr_expect_eq(og_run(&g), 0);
}

/* MOV to CR0 that clears PG invalidates every translation, global ones
 * and every PCID's included (SDM 4.10.4.1). The vCPU then runs on its
 * private root, but the IA-32e roots it cached stay, and paging on again
 * with the same CR3 finds its root cached: it must be synced first. The
 * guest changed LA's entry unseen (its table out of sync) and relies on
 * the flush that clearing PG was. With PCIDE set before, as a kernel
 * that leaves paging does: PCIDE off first (a #GP otherwise). */
static uint64_t paging_off_then_on(uint16_t pcid, uint32_t inject)
{
	lib_guest((struct lib_guest_config){ .inject = inject });
	uint64_t a = og_space(&g);
	uint64_t pte = og_map(&g, a, LA, PAGE_A, OG_USER);
	og_start(&g, 0, a, pcid, 0);
	og_read(&g, 0, LA);
	unsync_lag_table(a);
	og_set_pte(&g, 0, pte, PAGE_B | OG_USER); /* unseen: out of sync */
	uint64_t cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	if (pcid) {
		og_op(&g, 0,
		      (struct gop){ .kind = GOP_MOV_CR4, .val = X86_CR4_PAE });
		og_mov_cr3(&g, 0, a); /* PCID 0 while PCIDE is clear */
	}
	og_op(&g, 0,
	      (struct gop){ .kind = GOP_MOV_CR0, .val = cr0 & ~X86_CR0_PG });
	og_read(&g, 0, PAGE_A); /* paging off: linear is physical */
	og_op(&g, 0, (struct gop){ .kind = GOP_MOV_CR0, .val = cr0 });
	og_read(&g, 0, LA); /* page B required */
	uint64_t n = og_run(&g);
	cr_expect_gt(stats().sp_unsynced, 0, "the table went out of sync");
	return n;
}

Test(roots, paging_off_and_on_syncs_the_cached_root)
{
	cr_expect_eq(paging_off_then_on(0, 0), 0);
}

Test(roots, paging_off_and_on_syncing_the_current_root_only_is_caught)
{
	cr_expect_gt(paging_off_then_on(0, SMMU_INJECT_SYNC_CURRENT_ROOT_ONLY),
		     0);
}

Test(roots, paging_off_and_on_after_pcide_syncs_the_cached_root)
{
	cr_expect_eq(paging_off_then_on(3, 0), 0);
}

/* ---- KVM 2c5653caecc4: PAE roots and their PDPTE registers ---- */

#include "guest_pt.h"

/* A PAE guest whose PDPT is also mapped at PDPT_LA, so that it can
 * rewrite its own PDPTE 0 (from the PD mapping LA to page A to one
 * mapping it to page B). The CPU keeps the PDPTEs it loaded until the
 * next MOV CR3, whatever CR3 holds: LA stays page A until then, and is
 * page B after a MOV CR3 of the same value. */
#define PDPT_LA 0x40000000ull /* GiB 1 */

static uint64_t pae_pdptes_reloaded(uint32_t inject)
{
	lib_guest((struct lib_guest_config){ .inject = inject });
	struct guest_pt pt;
	guest_pt_init_ram(&pt, &g.sim.host.ram, &g.next_table, SMMU_PAGING_PAE);
	guest_pt_map(&pt, LA, PAGE_A, 1, OG_USER, OG_USER);
	guest_pt_map(&pt, PDPT_LA, pt.root, 1, OG_USER, OG_USER);
	/* A second directory for GiB 0, mapping LA to page B. */
	uint64_t pd2 = guest_pt_alloc_table(&pt);
	uint64_t pt2 = guest_pt_alloc_table(&pt);
	smmu_posix_ram_write64(&g.sim.host.ram, pd2 + 8 * (LA >> 21),
			       pt2 | OG_USER);
	smmu_posix_ram_write64(&g.sim.host.ram, pt2 + 8 * ((LA >> 12) & 511),
			       PAGE_B | OG_USER);
	struct smmu_paging_regs r = guest_pt_regs(&pt, X86_CR0_WP, 0, 0);
	cr_assert_eq(sim_vcpu_set_regs(&g.sim, 0, &r), 0);
	og_read(&g, 0, LA);			   /* page A */
	og_write(&g, 0, PDPT_LA, pd2 | X86_PTE_P); /* PDPTE 0 in memory */
	og_read(&g, 0, LA);			   /* page A: registers */
	og_mov_cr3(&g, 0, pt.root);
	og_read(&g, 0, LA); /* page B */
	return og_run(&g);
}

Test(roots, pae_root_follows_the_pdptes_a_mov_cr3_loads)
{
	cr_expect_eq(pae_pdptes_reloaded(0), 0);
}

Test(roots, pae_root_kept_across_the_same_cr3_is_caught)
{
	cr_expect_gt(pae_pdptes_reloaded(SMMU_INJECT_PAE_ROOT_ACROSS_CR3), 0);
}
