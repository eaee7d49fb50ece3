/* SPDX-License-Identifier: MIT */
/*
 * The library's own fault-injection knobs (SMMU_INJECT_*) by the names
 * smmu-sim --inject takes, each with the bug class it plants;
 * test_lib_mmu.c runs the workload with each one and expects the oracle
 * to catch it. A file of its own because the table grows with every bug
 * class the oracle learns to catch, and lib_mmu.c, the host side a
 * hypervisor writes, does not change with it.
 */
#include "lib_mmu.h"

const struct sim_knob lib_mmu_knobs[] = {
	{ "no-write-protect", SMMU_INJECT_NO_WRITE_PROTECT,
	  "a guest table that gets a shadow stays writable" },
	{ "no-zap-on-write", SMMU_INJECT_NO_ZAP_ON_WRITE,
	  "emulated stores to guest tables leave their shadows stale" },
	{ "no-flush-on-invalidate", SMMU_INJECT_NO_FLUSH_ON_INVALIDATE,
	  "INVLPG, INVPCID and PV flushes flush no hardware TLB" },
	{ "no-flush-on-evict", SMMU_INJECT_NO_FLUSH_ON_EVICT,
	  "an evicted shadow page stays in the CPUs' TLBs and caches" },
	{ "share-across-rights", SMMU_INJECT_SHARE_ACROSS_RIGHTS,
	  "one shadow of a table whatever rights the entries above grant "
	  "(the CVE-2021-38198 class)" },
	{ "no-flush-on-new-root", SMMU_INJECT_NO_FLUSH_ON_NEW_ROOT,
	  "a new root runs with the previous root's hardware translations "
	  "(the XSA-294 class)" },
	{ "no-sync-on-invalidate", SMMU_INJECT_NO_SYNC_ON_INVALIDATE,
	  "guest invalidations flush without syncing the out-of-sync tables "
	  "they cover (seed 004)" },
	{ "no-sync-before-link", SMMU_INJECT_NO_SYNC_BEFORE_LINK,
	  "an out-of-sync table is linked under a new parent unsynced" },
	{ "prefetch-unaccessed", SMMU_INJECT_PREFETCH_UNACCESSED,
	  "prefetch fills sptes from guest entries whose A bit is clear" },
	{ "large-over-tables", SMMU_INJECT_LARGE_OVER_TABLES,
	  "2 MiB shadow leaves map guest memory that holds shadowed tables" },
	{ "pae-unpinned", SMMU_INJECT_PAE_UNPINNED,
	  "directories a PAE root links are evicted while the CPU holds "
	  "them in its PDPTE registers" },
	{ "flush-spares-shared-pcid", SMMU_INJECT_FLUSH_SPARES_SHARED_PCID,
	  "MOV CR3 without NOFLUSH leaves the other cached roots of the same "
	  "PCID trusted (KVM 21823fbda552's class)" },
	{ "pcide0-current-only", SMMU_INJECT_PCIDE0_CURRENT_ONLY,
	  "with CR4.PCIDE=0 invalidations cover the current root only; roots "
	  "cached meanwhile are trusted once PCIDE is set (seed 001)" },
	{ "sync-current-root-only", SMMU_INJECT_SYNC_CURRENT_ROOT_ONLY,
	  "INVPCID 2/3, PV flushes and INVLPG sync the current root only, "
	  "not the cached ones (KVM b53e84eed08b's class)" },
	{ "pae-root-across-cr3", SMMU_INJECT_PAE_ROOT_ACROSS_CR3,
	  "a PAE guest's root survives a MOV CR3 of the same CR3 whose PDPTEs "
	  "changed (KVM 2c5653caecc4's class)" },
	{ "state-as-tlb-flush", SMMU_INJECT_STATE_AS_TLB_FLUSH,
	  "a root whose frame the host takes away is only flushed from the "
	  "TLBs; its vCPUs keep running on it (seed 002)" },
	{ "content-ignored", SMMU_INJECT_CONTENT_IGNORED,
	  "the host's reports of guest tables it wrote leave their shadows "
	  "(the class of CVE-2026-46113)" },
	{ "free-before-grace", SMMU_INJECT_FREE_BEFORE_GRACE,
	  "shadow pages are freed once every CPU is flushed, without waiting "
	  "for a grace period (seed 003's class)" },
	{ "role-without-pse", SMMU_INJECT_ROLE_WITHOUT_PSE,
	  "a 32-bit guest's directory has one shadow whatever CR4.PSE says "
	  "(a PS=1 entry: a 4 MiB page or a page table)" },
	{ "watch-unflushed", SMMU_INJECT_WATCH_UNFLUSHED,
	  "an out-of-sync table's write watch is armed (D cleared in the "
	  "sptes mapping it) without flushing the CPUs, whose TLBs may write "
	  "through D=1 entries unseen" },
	{ "lockfree-unchecked", SMMU_INJECT_LOCKFREE_UNCHECKED,
	  "a fill without the MMU lock maps a frame writable even if it holds "
	  "a guest table in sync" },
	{ "unsync-seen-across-roots", SMMU_INJECT_UNSYNC_SEEN_ACROSS_ROOTS,
	  "a vCPU back on a cached root with NOFLUSH trusts out-of-sync "
	  "entries other roots filled while it was away, which the guest "
	  "has rewritten since" },
	{ "sync-at-invalidation", SMMU_INJECT_SYNC_AT_INVALIDATION,
	  "an address invalidated in a cached root that is not running is "
	  "synced at once, not when it runs again: an out-of-sync entry the "
	  "guest rewrites unseen in between is trusted" },
	{ "direct-share-across-rights", SMMU_INJECT_DIRECT_SHARE_ACROSS_RIGHTS,
	  "the direct page standing for a guest large page grants every "
	  "right: read-only and writable large pages share it (KVM "
	  "d28c6cfbbc5e's class)" },
	{ "entry-misses-requests", SMMU_INJECT_ENTRY_MISSES_REQUESTS,
	  "a vCPU entering the guest does not look again for a remote request "
	  "that came after it took what it owed (CVE-2019-3016's class)" },
	{ "splinters-unflushed", SMMU_INJECT_SPLINTERS_UNFLUSHED,
	  "INVLPG flushes the one address although the shadow mapped the "
	  "guest's large page there with smaller leaves: the CPU keeps the "
	  "other pieces of a translation the guest invalidated whole" },
	{ "unsync-before-copy", SMMU_INJECT_UNSYNC_BEFORE_COPY,
	  "a table going out of sync may be mapped writable by a fill without "
	  "the lock before its guest entries are copied: a store made then "
	  "looks unchanged to every later sync" },
	{ NULL, 0, NULL },
};
