/* SPDX-License-Identifier: MIT */
/*
 * Shadow paging: the shadow-page cache, the reverse map and the fault
 * path. The vocabulary is the field's: a shadow page (sp) shadows one
 * guest page table for one role; an spte is an entry of a shadow page;
 * the rmap maps a guest frame to the leaf sptes that map it; to zap is to
 * remove a shadow entry.
 *
 * Invariant: the shadow tables are in sync with the guest's, except for
 * the last-level tables marked out of sync (sp_unsync.c). Every guest
 * frame that holds an in-sync shadowed table is write-protected in every
 * leaf spte that maps it, so the guest's stores to it come back as
 * emulated writes, which zap the sptes they change; and a fault
 * re-checks, under the MMU lock, the guest entries it walked before it
 * installs anything. So a guest invalidation needs the out-of-sync tables
 * it covers synced, then a hardware flush.
 */
#ifndef SMMU_SHADOW_H
#define SMMU_SHADOW_H

#include "gwalk.h"

struct smmu_vm;
struct smmu_vcpu;

/* What changes the meaning of a guest table, so that two shadows of the
 * same frame are shared only when they would be identical. */
union sp_role {
	uint32_t word;
	struct {
		uint32_t level : 3;	   /* 1 (PT) .. 5 (PML5) */
		uint32_t direct : 1;	   /* maps guest-physical memory, no
					      guest table behind it */
		uint32_t guest_levels : 3; /* 0 (paging off), 4, 5 */
		/* SMMU_RIGHT_* granted by the guest entries above: a child
		 * reached through a read-only or supervisor entry is not the
		 * same shadow as one reached through a writable user one
		 * (the CVE-2021-38198 class). */
		uint32_t access : 3;
		/* Direct pages: the protection key of the guest leaf their
		 * sptes carry; with the access (W only once the guest leaf
		 * is dirty) it makes their content a function of the key. */
		uint32_t pkey : 4;
		/* 32-bit guests: a guest page directory (1024 entries of
		 * 4 MiB) is shadowed by four PDs of 512 entries of 2 MiB,
		 * a guest page table (1024 entries) by two PTs: which
		 * quarter or half this page covers. */
		uint32_t quadrant : 2;
		/* EFER.NXE: it decides whether XD is a right or a reserved
		 * bit. CR0.WP, SMEP and SMAP need no place here: the
		 * hardware enforces SMEP and SMAP from the guest's CR4 on
		 * sptes whose U/S mirror the guest's, and runs with WP=1
		 * while the core emulates the supervisor writes only the
		 * guest's WP=0 allows; protection keys are copied into
		 * sptes whether CR4.PKE is set or not. */
		uint32_t nxe : 1;
		/* 32-bit guests' directories: CR4.PSE, which decides
		 * whether a PS=1 entry maps a 4 MiB page or links a page
		 * table (SDM 4.3). The two readings build different sptes
		 * under the same entry, and a walk through either does
		 * not fault, so nothing would rebuild them. Other modes
		 * ignore CR4.PSE: 0 there, so their shadows stay shared. */
		uint32_t pse : 1;
	};
};

/* One shadow page. */
struct sp {
	uint64_t gfn; /* guest table frame, or first frame mapped (direct) */
	union sp_role role;
	uint64_t hpa;		   /* what the hardware walks */
	uint64_t *spt;		   /* 512 sptes */
	uint64_t *leaf_gfn;	   /* levels 1 and 2: the first frame each leaf
				      spte maps, for the rmap (an hpa does not say
				      its gfn) */
	struct sp **child;	   /* level >= 2: the page each spte links to */
	struct sp_parent *parents; /* sptes that link to this page */
	struct sp *next;	   /* hash chain */
	struct sp *lru_prev, *lru_next; /* eviction order, oldest first */
	uint32_t root_count;		/* vCPUs running on it as their root */
	uint32_t pinned; /* faults linking through it right now */
	bool in_cache;	 /* hashed and on the LRU (not a private page) */
	/* A vCPU's private PAE root: the CPU loads its four entries into
	 * registers at VM entry and keeps using them until the next one, so
	 * the pages they link are pinned like roots (sp_link). */
	bool pae_root;
	uint8_t write_flood; /* emulated stores since a fault last used it */
	uint8_t stores;	     /* emulated stores, saturating */
	/* Out of sync (level 1 only): the guest may have changed its table
	 * since the sptes were built; gpte holds what each was built from. */
	bool unsync;
	bool sync_queued;    /* on a sync queue (sp_unsync.c) */
	uint8_t quiet_syncs; /* syncs in a row that found nothing changed */
	struct sp *sync_next;
	uint64_t *gpte; /* level 1, not direct: guest entry per spte */
	union {
		/* Level >= 2: the sptes whose subtree may hold an
		 * out-of-sync page. A superset: bits are cleared lazily, by
		 * a sync. */
		uint64_t unsync_children[512 / 64];
		/* Level 1: the sptes that are present, so that a sync
		 * compares those only. Exact: only the MMU lock's holder
		 * sets or clears P in a leaf. */
		uint64_t present[512 / 64];
	};
	struct smmu_vm *vm; /* for the deferred free */
	struct smmu_rcu_head rcu;
};

/* One spte that links to a shadow page. */
struct sp_parent {
	struct sp *sp;
	unsigned index;
	struct sp_parent *next;
};

#define SP_HASH_BUCKETS 1024u

static inline unsigned sp_bucket_of(uint64_t gfn)
{
	/* Multiplicative hash: page-table frames are often consecutive. */
	return (unsigned)((gfn * 0x9e3779b97f4a7c15ull) >> 54) &
	       (SP_HASH_BUCKETS - 1);
}

/* Reverse-map entry: one leaf spte mapping a guest frame. */
struct rmap_entry {
	uint64_t *sptep;
	struct rmap_entry *next;
};

struct rmap_head {
	uint64_t gfn;
	struct rmap_entry *entries;
	struct rmap_head *next;
};

#define RMAP_HASH_BUCKETS 4096u

/* The shadow side of a VM. */
struct shadow_vm {
	struct sp *sp_hash[SP_HASH_BUCKETS];
	struct sp *lru_head, *lru_tail; /* pages in the cache, oldest first */
	struct rmap_head *rmap_hash[RMAP_HASH_BUCKETS];
	/* A writable leaf spte was dropped without flushing every CPU: the
	 * CPUs may still hold the writable translation it made, which no
	 * rmap walk can find. A guest table shadowed for the first time
	 * must not rely on write protection until they have been flushed
	 * (tests/test_lib_mmu.c, frame_written_through_a_stale_tlb_entry). */
	bool writable_dropped;
	/* Pages handed to the host's defer_free whose callback has not run:
	 * it frees through this VM, which must outlive it. Atomic: the
	 * callbacks run without the MMU lock. */
	uint32_t frees_pending;
	struct {
		uint64_t sp_created, sp_lookups, sp_hits, sp_chain_steps;
		uint64_t write_protects, faults_fixed, faults_injected;
		uint64_t faults_emulated, emulated_writes, sptes_zapped;
		uint64_t walk_races, evictions, unshadowed;
		uint64_t sp_zapped, sp_unsynced, sp_synced, sp_unsync_checks;
		uint64_t prefetched, large_sptes;
	} stats;
};

/* Statistics are bumped with and without the MMU lock held. */
#define SHADOW_STAT(vm, field)                                                 \
	__atomic_fetch_add(&(vm)->shadow.stats.field, 1, __ATOMIC_RELAXED)

/* The shadow side of a vCPU. */
struct shadow_vcpu {
	struct sp *root; /* NULL: build at the next entry */
	bool need_flush; /* flush this vCPU's translations at entry */
	/* Guests not in IA-32e mode (paging off, 32-bit, PAE) run on
	 * hardware PAE paging: the root is this page-directory-pointer
	 * table, private and never in the cache. For PAE guests it mirrors
	 * this vCPU's PDPTE registers (two vCPUs with the same CR3 may hold
	 * different PDPTEs, loaded at different MOV CR3s); for 32-bit
	 * guests its four entries are quarters of the guest's directory;
	 * with paging off, direct pages of each GiB. */
	struct sp pae_root;
};

/* sp_cache.c */
struct sp *sp_find(struct smmu_vm *vm, uint64_t gfn, union sp_role role);
/* Find or create; a new shadow of a guest table write-protects its frame.
 * NULL when the shadow-page budget is spent. MMU lock held. */
struct sp *sp_get(struct smmu_vm *vm, uint64_t gfn, union sp_role role);
bool sp_gfn_is_shadowed(struct smmu_vm *vm, uint64_t gfn);
/* Is any frame of the 2 MiB from gfn (aligned) a shadowed guest table? */
bool sp_2m_holds_table(struct smmu_vm *vm, uint64_t gfn);
/* Take a page out of the hash (eviction). */
void sp_cache_remove(struct smmu_vm *vm, struct sp *sp);
/* Zap the entries of every shadow of guest table gfn that mirror the
 * guest entries in bytes [offset, offset + len) of that table. */
void sp_zap_entries(struct smmu_vm *vm, uint64_t gfn, unsigned offset,
		    unsigned len);
void sp_cache_destroy(struct smmu_vm *vm);

/* Flush every CPU's translations of the VM; MMU lock held. */
void shadow_flush_all_cpus(struct smmu_vm *vm);

/* sp_evict.c; MMU lock held */
void sp_lru_add(struct smmu_vm *vm, struct sp *sp);
void sp_lru_touch(struct smmu_vm *vm, struct sp *sp);
/* Link child under (parent, index) / forget that link. */
bool sp_link(struct smmu_vm *vm, struct sp *parent, unsigned index,
	     struct sp *child);
void sp_unlink(struct smmu_vm *vm, struct sp *parent, unsigned index);
/* A page for a shadow table. While the budget is spent it evicts the
 * least recently used pages no root or fault holds, a batch at a time:
 * unlinked, every CPU flushed once, freed after a grace period. false
 * when every page is a root or pinned. */
bool sp_alloc_page(struct smmu_vm *vm, uint64_t *hpa, void **hva);
/* Unlink, empty and unhash one page; flush every CPU and free it after a
 * grace period. Neither a root nor pinned. */
void sp_zap_page(struct smmu_vm *vm, struct sp *sp);
/* Free the bookkeeping arrays of a page (those it has). */
void sp_free_arrays(struct smmu_vm *vm, struct sp *sp);
/* Free a page that nothing can reference any more (VM teardown). */
void sp_free_now(struct smmu_vm *vm, struct sp *sp);
/* Root bookkeeping. */
void sp_root_get(struct smmu_vm *vm, struct sp *sp);
void sp_root_put(struct smmu_vm *vm, struct sp *sp);

/* sp_unsync.c; MMU lock held */
enum gfn_state { GFN_UNSHADOWED, GFN_SYNC, GFN_UNSYNC };
enum gfn_state sp_gfn_state(struct smmu_vm *vm, uint64_t gfn);
/* Count an emulated store to guest table gfn. */
void sp_count_store(struct smmu_vm *vm, uint64_t gfn);
/* A write fault on the frame of in-sync guest table gfn: make its
 * shadows out of sync if it qualifies; true if it did (the frame may
 * then be mapped writable). */
bool sp_try_unsync(struct smmu_vm *vm, uint64_t gfn);
/* Sync every out-of-sync page at or under sp. */
void sp_sync_tree(struct smmu_vm *vm, struct sp *sp);
/* Sync the spte that maps la under root, if its page is out of sync. */
void sp_sync_address(struct smmu_vm *vm, struct sp *root, uint64_t la);
/* Sync every shadow of guest table gfn. */
void sp_sync_gfn(struct smmu_vm *vm, uint64_t gfn);
/* The spte (parent, index) now links to a page that is, or has below
 * it, an out-of-sync page: tell parent and its ancestors. */
void sp_mark_unsync_child(struct sp *parent, unsigned index);
bool sp_has_unsync_child(const struct sp *sp);
/* Remove write access to frame gfn from every leaf spte; true if the
 * CPUs must be flushed before anyone relies on that. */
bool sp_protect_frame(struct smmu_vm *vm, uint64_t gfn);

/* Where the guest entry that spte `index` of level-1 page sp mirrors
 * lives, and its size: a 32-bit guest's page table is shadowed in two
 * halves. */
uint64_t sp_gpte_gpa(const struct sp *sp, unsigned index, unsigned *size);

/* prefetch.c; MMU lock held. Spte `index` of level-1 page sp was just
 * filled by a fault: fill its neighbours that the guest allows. */
void sp_prefetch(struct smmu_vcpu *vcpu, struct sp *sp, unsigned index);

/* unshadow.c; MMU lock held. Count an emulated store to guest table
 * gfn; stop shadowing it if it looks like the guest no longer uses it as
 * a table. */
void sp_note_write(struct smmu_vm *vm, uint64_t gfn);

/* rmap.c; MMU lock held. A 2 MiB leaf is kept under its first frame
 * tagged RMAP_LARGE. */
#define RMAP_LARGE (1ull << 63)
bool rmap_add(struct smmu_vm *vm, uint64_t gfn, uint64_t *sptep);
void rmap_remove(struct smmu_vm *vm, uint64_t gfn, uint64_t *sptep);
/* Clear R/W in every leaf spte mapping gfn; true if any was writable. */
bool rmap_write_protect(struct smmu_vm *vm, uint64_t gfn);
/* Zap every 2 MiB leaf spte over gfn; true if one was writable. */
bool rmap_zap_large(struct smmu_vm *vm, uint64_t gfn);
void rmap_destroy(struct smmu_vm *vm);

/* sptes */
#define SPTE_ADDR  X86_BITS(51, 12)
#define SPTE_TABLE (X86_PTE_P | X86_PTE_RW | X86_PTE_US)
/* A leaf spte mapping hpa with SMMU_RIGHT_* `rights`, writable only if
 * `writable` too (the guest's entry is dirty and the frame is not a
 * write-protected table), carrying protection key `pkey`. */
static inline uint64_t leaf_spte(uint64_t hpa, uint8_t rights, bool writable,
				 uint8_t pkey)
{
	uint64_t spte = hpa | X86_PTE_P;
	if ((rights & SMMU_RIGHT_W) && writable)
		spte |= X86_PTE_RW;
	if (rights & SMMU_RIGHT_U)
		spte |= X86_PTE_US;
	if (!(rights & SMMU_RIGHT_X))
		spte |= X86_PTE_XD;
	return spte | (uint64_t)pkey << X86_PTE_PKEY_SHIFT;
}

/* shadow_entry.c */
void shadow_vcpu_destroy(struct smmu_vcpu *vcpu);
/* The vCPU stops running on its root (MMU lock held). */
void shadow_vcpu_drop_root(struct smmu_vcpu *vcpu);

/* shadow_fault.c */
void shadow_zap_spte(struct smmu_vm *vm, struct sp *sp, unsigned index);
/* Store leaf spte `index` of level-1 page sp (P set). */
void shadow_set_leaf(struct sp *sp, unsigned index, uint64_t spte);

#endif
