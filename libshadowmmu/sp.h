/* SPDX-License-Identifier: MIT */
/*
 * Shadow pages and the layers that keep them, lowest first: a page's
 * memory (sp.c), freeing after a grace period (rcu.c), the reverse map
 * (rmap.c), links between pages and their entries (sp_tree.c), the
 * (gfn, role) hash (sp_cache.c), write protection (wrprot.c), the bounded
 * pool with LRU eviction (sp_pool.c), and finding or building a shadow
 * (sp_get.c). Each file calls only files listed before it.
 *
 * The vocabulary is the field's: a shadow page (sp) shadows one guest page
 * table for one role; an spte is an entry of a shadow page; the rmap maps
 * a guest frame to the leaf sptes that map it; to zap is to remove.
 *
 * Invariant: the shadow tables are in sync with the guest's, except for
 * the last-level tables marked out of sync (unsync.c). Every guest frame
 * that holds an in-sync shadowed table is write-protected in every leaf
 * spte that maps it, so the guest's stores to it come back as emulated
 * writes, which zap the sptes they change; and a fault re-checks, under
 * the MMU lock, the guest entries it walked before it installs anything.
 * So a guest invalidation needs the out-of-sync tables it covers synced,
 * then a hardware flush.
 *
 * Locking: everything here is under the VM's MMU lock (host_ops.lock),
 * except frees_pending (atomic: the deferred callbacks run without the
 * lock).
 */
#ifndef SMMU_SP_H
#define SMMU_SP_H

#include "gwalk.h"
#include "spte.h"
#include "stats.h"

struct smmu_vm;
struct smmu_vcpu;

/* What changes the meaning of a guest table, so that two shadows of the
 * same frame are shared only when they would be identical. Every paging
 * bit and CPU feature is either here or cannot change a shadow's content:
 * libshadowmmu/README.md, "What the role holds". */
union sp_role {
	uint32_t word;
	struct {
		uint32_t level : 3;	   /* 1 (PT) .. 5 (PML5) */
		uint32_t direct : 1;	   /* maps guest-physical memory, no
					      guest table behind it */
		uint32_t guest_levels : 3; /* 0 (paging off), 2 (32-bit),
					      3 (PAE), 4, 5 */
		/* SMMU_RIGHT_* granted by the guest entries above: a child
		 * reached through a read-only or supervisor entry is not the
		 * same shadow as one reached through a writable user one
		 * (the CVE-2021-38198 class). */
		uint32_t access : 3;
		/* Direct pages: the protection key and G bit of the guest
		 * leaf their sptes carry; with the access (W only once the
		 * guest leaf is dirty) they make their content a function
		 * of the role. */
		uint32_t pkey : 4;
		uint32_t global : 1;
		/* 32-bit guests: a guest page directory (1024 entries of
		 * 4 MiB) is shadowed by four PDs of 512 entries of 2 MiB,
		 * a guest page table (1024 entries) by two PTs: which
		 * quarter or half this page covers. */
		uint32_t quadrant : 2;
		/* EFER.NXE: it decides whether XD is a right or a reserved
		 * bit (0 in 32-bit paging, which has no XD). */
		uint32_t nxe : 1;
		/* 32-bit guests' directories: CR4.PSE, which decides
		 * whether a PS=1 entry maps a 4 MiB page or links a page
		 * table (SDM 4.3). The two readings build different sptes
		 * under the same entry, and a walk through either does
		 * not fault, so nothing would rebuild them. Other modes
		 * ignore CR4.PSE: 0 there, so their shadows stay shared. */
		uint32_t pse : 1;
		/* Named so that an initializer zeroes it too: roles are
		 * compared as words, and unnamed padding bits would be
		 * unspecified (two equal roles compared unequal). */
		uint32_t unused : 13;
	};
};
_Static_assert(sizeof(union sp_role) == sizeof(uint32_t), "a role is one word");

/* One shadow page. */
struct sp {
	uint64_t gfn; /* guest table frame, or first frame mapped (direct) */
	union sp_role role;
	/* Unique in the VM, never reused: a cached root is the same root
	 * exactly when its sp has the generation it had (roots.c). */
	uint64_t gen;
	uint64_t hpa;  /* what the hardware walks */
	uint64_t *spt; /* 512 sptes */
	/* The frame each leaf spte maps, for the rmap (an hpa does not say
	 * its gfn): sp_leaf_gfn. A direct page derives it from its index, so
	 * does a level-1 page of a guest table while its leaves map
	 * consecutive frames (FRAMES_LINEAR: frames_base + index, the usual
	 * case); once they do not (FRAMES_SCATTERED) it keeps 5 bytes per
	 * spte in `frames`. A level-2 page gets an array with its first 2
	 * MiB leaf. frames_order and frames are read without the lock by
	 * lock-free fills (fill_lockfree.c). */
	uint8_t frames_order;	    /* FRAMES_*; level 1, not direct */
	uint64_t frames_base;	    /* FRAMES_LINEAR */
	struct leaf_frames *frames; /* FRAMES_SCATTERED */
	uint64_t *large_gfn;	    /* level 2, not direct */
	/* The rmap regions this page maps frames of (a superset), and the
	 * first two of them again where lock-free fills can read them
	 * (LINK_HINT_NONE: none). */
	struct rmap_link *links;
	uint64_t link_hint[2];
	uint16_t nr_links;
	uint16_t links_gc_at; /* nr_links that triggers a clean-up */
	/* Non-present values written into level-1 slots so far (sp_slot.h):
	 * MMU lock held. */
	uint64_t tombstones;
	struct sp **child;	   /* level >= 2: the page each spte links to */
	struct sp_parent *parents; /* sptes that link to this page */
	struct sp *next;	   /* hash chain, read without the lock */
	struct sp *retire_next;	   /* a batch of pages to retire */
	struct sp *lru_prev, *lru_next; /* eviction order, oldest first */
	/* vCPUs running on it as their root, and PAE roots linking it
	 * (whose entries the CPU holds in registers until the next entry). */
	uint32_t root_count;
	uint32_t pinned; /* faults linking through it right now */
	bool in_cache;	 /* hashed and on the LRU (not a private page) */
	/* Taken out of the tree while vCPUs still run on it (the host
	 * unmapped its frame): freed when the last one lets it go. */
	bool obsolete;
	/* A vCPU's private PAE root: the CPU loads its four entries into
	 * registers at VM entry and keeps using them until the next one, so
	 * the pages they link are pinned like roots (sp_link). */
	bool pae_root;
	uint8_t write_flood; /* emulated stores since a fault last used it */
	uint8_t referenced;  /* used since eviction last looked (sp_pool.c) */
	uint8_t stores;	     /* emulated stores, saturating */
	/* Out of sync (level 1 only): the guest may have changed its table
	 * since the sptes were built; gpte holds what each present one was
	 * built from, allocated only while out of sync. */
	bool unsync;
	bool sync_queued; /* on a sync queue (unsync.c) */
	/* Between sync states (unsync.c): going out of sync, its guest
	 * entries not yet copied (rule 2); or marked back in sync, its sptes
	 * not yet compared with the guest's entries (rule 3). Its frame is
	 * still protected (unsync is false), but its sptes are not to be
	 * trusted or added to by a lock-free reader (fill_lockfree.c,
	 * roots_address_in_sync). Atomic. */
	bool in_transition;
	/* Times it went out of sync: a lock-free fill that read the guest
	 * entry before one of them (and the guest's unseen stores while out
	 * of sync) must not publish it after the page is back in sync, when
	 * the slot it took still holds what it read (fill_lockfree.c).
	 * Atomic. */
	uint32_t went_unsync;
	uint8_t quiet_syncs; /* syncs in a row that found nothing changed */
	/* Out of sync and watched (unsync.c): D was cleared in every spte
	 * mapping the frame and every CPU flushed since, so D still clear
	 * everywhere means the guest has not written the table. Fresh:
	 * armed by the sync under way. */
	bool write_watch, watch_fresh;
	struct sp *sync_next;
	uint64_t *gpte; /* while out of sync: guest entry per spte */
	union {
		/* Level >= 2: the sptes whose subtree may hold an
		 * out-of-sync page. A superset: bits are cleared lazily, by
		 * a sync. */
		uint64_t unsync_children[512 / 64];
		/* Level 1: the sptes that may be present — a superset: a
		 * lock-free fill sets its bit before it takes the slot and
		 * may give up (sp_slot.h). Atomic: fills set bits without
		 * the lock. */
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

enum { FRAMES_NONE, FRAMES_LINEAR, FRAMES_SCATTERING, FRAMES_SCATTERED };
#define LINK_HINT_NONE UINT64_MAX

/* 40-bit frame numbers (MAXPHYADDR is at most 52) of a level-1 page's
 * leaf sptes. */
struct leaf_frames {
	uint32_t lo[512];
	uint8_t hi[512];
};

/* The reverse map is kept by region, 2 MiB of guest-physical memory (what
 * one 2 MiB leaf maps): a link says that a shadow page may have leaf
 * sptes mapping frames of the region, and the page's own frame record
 * says which (rmap.c). */
#define RMAP_REGION_SHIFT 9
struct rmap_link {
	struct sp *sp;
	uint64_t region;	   /* gfn >> RMAP_REGION_SHIFT */
	struct rmap_link *next;	   /* in the hash bucket */
	struct rmap_link *sp_next; /* sp's links */
};

#define RMAP_HASH_BUCKETS 4096u

/* The shadow side of a VM. */
struct shadow_vm {
	struct sp *sp_hash[SP_HASH_BUCKETS];
	struct sp *lru_head, *lru_tail; /* pages in the cache, oldest first */
	struct rmap_link *rmap_hash[RMAP_HASH_BUCKETS];
	uint64_t nr_links;
	/* roots_unpin_cached, which the pool calls up to when nothing is
	 * left to evict (set by smmu_vm_create). */
	bool (*unpin_cached_roots)(struct smmu_vm *vm);
	/* The object cache of the vCPU that holds the MMU lock, if one does
	 * (objcache.c). */
	struct obj_cache *cache;
	uint64_t next_gen; /* sp.gen of the next page built */
	/* A writable leaf spte was dropped without flushing every CPU: the
	 * CPUs may still hold the writable translation it made, which no
	 * rmap walk can find. A guest table shadowed for the first time
	 * must not rely on write protection until they have been flushed
	 * (tests/test_lib_mmu.c, frame_written_through_a_stale_tlb_entry). */
	bool writable_dropped;
	/* A write watch was armed once (unsync.c): a dirty spte that goes
	 * disarms the watch on its frame. */
	bool watching;
	/* Guest large pages the shadow maps with smaller leaves (pieces):
	 * direct pages (a 2 MiB or 1 GiB guest page on a host without
	 * blocks that large, or over a shadowed table) and the 2 MiB halves
	 * of a 32-bit guest's 4 MiB page. A CPU caches each piece as a TLB
	 * entry of its own, which a flush of one address does not reach,
	 * while the guest invalidating any address of a large page
	 * invalidates all of it (SDM vol. 3A 4.10.4.1). Pieces are never
	 * global (fault.c), so those of a page still linked stay within the
	 * PCID whose tables map them, and match those tables; those of a
	 * page whose link went are counted here, and a vCPU that has not
	 * flushed all it holds since widens its next INVLPG or INVPCID
	 * type 0 to everything (invalidate.c). Atomic; bumped under the MMU
	 * lock. */
	uint64_t splinters_dropped;
	/* Pages handed to the host's defer_free whose callback has not run:
	 * it frees through this VM, which must outlive it. Atomic: the
	 * callbacks run without the MMU lock. */
	uint32_t frees_pending;
	/* Completed flush_all_cpus calls. Atomic, bumped after the call
	 * returns: a vCPU that sees a new value knows every hardware PCID
	 * it did not run on since was emptied (pcid.c). */
	uint64_t remote_flushes;
	/* smmu_vm_invalidate_gfn_range(UNMAP) calls: a fault that asked
	 * gfn_to_hpa before one retries. Written under the MMU lock. */
	uint64_t backing_changes;
	/* Bumped whenever a guest table becomes write-protected or one the
	 * library protects changes (emulated stores, the host's writes): a
	 * fault whose walk began after the last bump read entries that
	 * cannot have changed unseen, and need not read them again under
	 * the lock (fault.c). Written under the MMU lock. */
	uint64_t table_changes;
	/* What out-of-sync pages may show that their vCPUs never saw:
	 * bumped (by 2) whenever a page goes out of sync, its sptes then
	 * outliving guest changes, and odd while a fill into an out-of-sync
	 * page is between reading its guest entry and storing its spte
	 * (unsync.c). A vCPU that comes back to a cached root with NOFLUSH
	 * and finds it moved since it left syncs the root (roots.c). Written
	 * under the MMU lock, read without. */
	uint64_t unsync_seq;
	/* Counters bumped with the MMU lock held (stats.h). */
	struct shadow_stats stats;
};

#include "sp_slot.h"

/* A fault went through sp: it is in use as a table (unshadow.c). Lock or
 * not: written only when it changes. */
static inline void sp_in_use(struct sp *sp)
{
	if (__atomic_load_n(&sp->write_flood, __ATOMIC_RELAXED))
		__atomic_store_n(&sp->write_flood, 0, __ATOMIC_RELAXED);
}

/* A fresh tombstone for a level-1 slot of sp (sp_slot.h); MMU lock
 * held. */
static inline uint64_t sp_tombstone(struct sp *sp)
{
	return ++sp->tombstones << 2;
}

/* objcache.c: memory for shadow-page bookkeeping. A fault must not wait
 * for the host's allocator under the MMU lock, so each vCPU keeps a
 * cache of zeroed objects of every kind, topped up before it takes the
 * lock; while it holds the lock, shadow_vm.cache points to it and the
 * layers below take from it. Elsewhere (or should a cache run dry) they
 * ask the host. */
enum obj_kind {
	OBJ_SP,		 /* struct sp */
	OBJ_POINTERS,	 /* 512 pointers or 64-bit values: child, large_gfn,
			    gpte */
	OBJ_LEAF_FRAMES, /* struct leaf_frames */
	OBJ_LINK,	 /* struct sp_parent or struct rmap_link */
	OBJ_KINDS
};
#define OBJ_CACHE_MAX 16
struct obj_cache {
	unsigned n[OBJ_KINDS];
	void *obj[OBJ_KINDS][OBJ_CACHE_MAX];
};
/* Fill the cache up to what the largest single fault uses (no lock
 * needed: the cache is the caller's). A host allocation failing leaves it
 * short: the fault then asks the host under the lock. */
void obj_cache_topup(struct smmu_vm *vm, struct obj_cache *c);
void obj_cache_drain(struct smmu_vm *vm, struct obj_cache *c);
/* A zeroed object; NULL when the host is out of memory. */
void *obj_alloc(struct smmu_vm *vm, enum obj_kind kind);
void obj_free(struct smmu_vm *vm, enum obj_kind kind, void *obj);

/* sp.c: one page's memory. */
/* A new page's struct and bookkeeping arrays for `role` (no table page
 * yet); NULL when the host's alloc fails. */
struct sp *sp_alloc(struct smmu_vm *vm, union sp_role role);
/* Free the bookkeeping arrays and the struct (the table page is gone or
 * was never there). */
void sp_free_struct(struct smmu_vm *vm, struct sp *sp);
/* Free a page nothing can reference any more: its parent links, table
 * page, arrays and struct. */
void sp_free_now(struct smmu_vm *vm, struct sp *sp);
/* Clear leaf spte `index` (4 KiB, or 2 MiB at level 2); true if it was
 * writable. A level-1 slot gets a fresh tombstone even if it was empty
 * (sp_slot.h). Its rmap record may stay (rmap.c). MMU lock held. */
bool sp_clear_leaf(struct smmu_vm *vm, struct sp *sp, unsigned index);
/* Take level-1 slot `index` to fill it (emptied first if present): the
 * lock's holder freezes it like a fill. Then sp_set_leaf, or
 * sp_release_slot to give it back empty. MMU lock held. */
void sp_take_slot(struct smmu_vm *vm, struct sp *sp, unsigned index);
void sp_release_slot(struct sp *sp, unsigned index);

/* rcu.c: free a page after a grace period (defer_free). */
void sp_retire(struct smmu_vm *vm, struct sp *sp);

/* The frame present leaf spte `index` of sp maps. MMU lock held. */
static inline uint64_t sp_leaf_gfn(const struct sp *sp, unsigned index)
{
	if (sp->role.direct)
		return sp->gfn +
		       ((uint64_t)index << (9 * (sp->role.level - 1)));
	if (sp->role.level > 1)
		return sp->large_gfn[index];
	if (sp->frames_order < FRAMES_SCATTERED)
		return sp->frames_base + index;
	return __atomic_load_n(&sp->frames->lo[index], __ATOMIC_RELAXED) |
	       (uint64_t)__atomic_load_n(&sp->frames->hi[index],
					 __ATOMIC_RELAXED)
		       << 32;
}

/* rmap.c; MMU lock held. */
/* Leaf spte `index` of sp is about to map gfn (the first frame of a 2 MiB
 * leaf): record it. false when out of memory. */
bool rmap_add(struct smmu_vm *vm, struct sp *sp, unsigned index, uint64_t gfn);
/* sp leaves the tree: forget its links. */
void rmap_forget(struct smmu_vm *vm, struct sp *sp);
/* Clear R/W in every 4 KiB leaf spte mapping a frame of [first, first +
 * count); true if one was writable. */
bool rmap_write_protect(struct smmu_vm *vm, uint64_t first, uint64_t count);
/* Zap every 2 MiB leaf spte over a frame of the range; true if one was
 * writable. */
bool rmap_zap_large(struct smmu_vm *vm, uint64_t first, uint64_t count);
/* Zap every leaf spte, 4 KiB or 2 MiB, mapping a frame of the range. */
void rmap_zap_range(struct smmu_vm *vm, uint64_t first, uint64_t count);
/* Has a CPU written frame gfn through a leaf spte since its D bit was
 * last cleared? With `clear`, clear them all (every CPU must then be
 * flushed before a clear D means anything: a TLB entry cached with D=1
 * writes without setting it, SDM 4.8). */
bool rmap_frame_dirty(struct smmu_vm *vm, uint64_t gfn, bool clear);
void rmap_destroy(struct smmu_vm *vm);

/* sp_tree.c: entries and links; MMU lock held. */
void sp_zap_spte(struct smmu_vm *vm, struct sp *sp, unsigned index);
/* Store leaf spte `index` (P set) of level-1 page sp into the slot taken
 * with sp_take_slot. */
void sp_set_leaf(struct sp *sp, unsigned index, uint64_t spte);
/* Record that spte (parent, index) links child / forget that link (the
 * spte itself is the caller's). */
bool sp_link(struct smmu_vm *vm, struct sp *parent, unsigned index,
	     struct sp *child);
void sp_unlink(struct smmu_vm *vm, struct sp *parent, unsigned index);
/* The spte (parent, index) now links to a page that is, or has below
 * it, an out-of-sync page: tell parent and its ancestors. */
void sp_mark_unsync_child(struct sp *parent, unsigned index);
bool sp_has_unsync_child(const struct sp *sp);
/* A vCPU or PAE root no longer holds sp as a root; a fault no longer
 * links through it. */
void sp_root_put(struct smmu_vm *vm, struct sp *sp);
void sp_unpin(struct smmu_vm *vm, struct sp *sp);

/* Pieces of a guest large page may stay in the CPUs' TLBs, out of the
 * shadow's reach (shadow_vm.splinters_dropped). MMU lock held. */
static inline void sp_splinters_dropped(struct shadow_vm *sh)
{
	__atomic_add_fetch(&sh->splinters_dropped, 1, __ATOMIC_RELEASE);
}

/* A guest table became protected, or a protected one changed. MMU lock
 * held. */
static inline void sp_tables_changed(struct shadow_vm *sh)
{
	__atomic_add_fetch(&sh->table_changes, 1, __ATOMIC_RELEASE);
}

/* sp_cache.c: the (gfn, role) hash; MMU lock held. */
struct sp *sp_find(struct smmu_vm *vm, uint64_t gfn, union sp_role role);
void sp_cache_insert(struct smmu_vm *vm, struct sp *sp);
void sp_cache_remove(struct smmu_vm *vm, struct sp *sp);
/* Is gfn shadowed as a guest table (not only as direct memory)? */
bool sp_gfn_is_shadowed(struct smmu_vm *vm, uint64_t gfn);
/* Is any frame of the 2 MiB from gfn (aligned) a shadowed guest table? */
bool sp_2m_holds_table(struct smmu_vm *vm, uint64_t gfn);
/* Free every page (VM teardown: nothing runs any more). */
void sp_cache_destroy(struct smmu_vm *vm);

/* wrprot.c; MMU lock held. Remove write access to frame gfn from every
 * leaf spte; true if the CPUs must be flushed before anyone relies on
 * that. */
bool sp_protect_frame(struct smmu_vm *vm, uint64_t gfn);

/* sp_pool.c; MMU lock held. */
void sp_lru_add(struct smmu_vm *vm, struct sp *sp);
/* sp was used: it is not evicted before the pages that were not since. No
 * lock needed. Written only when it changes: pages every fault goes
 * through stay in the CPUs' caches unshared. */
static inline void sp_lru_touch(struct sp *sp)
{
	if (!__atomic_load_n(&sp->referenced, __ATOMIC_RELAXED))
		__atomic_store_n(&sp->referenced, 1, __ATOMIC_RELAXED);
}
/* A page for a shadow table. While the budget is spent it evicts the
 * least recently used pages no root or fault holds, a batch at a time:
 * unlinked, every CPU flushed once, freed after a grace period. false
 * when every page is a root or pinned. */
bool sp_alloc_page(struct smmu_vm *vm, uint64_t *hpa, void **hva);
/* Unlink, empty and unhash one page; flush every CPU and free it after a
 * grace period. Neither a root nor pinned. */
void sp_zap_page(struct smmu_vm *vm, struct sp *sp);
/* Take a page out of the tree and the cache (MMU lock held); the caller
 * flushes every CPU (flush_remote, REMOTE_FREES) and then retires it. */
void sp_unhook(struct smmu_vm *vm, struct sp *sp);
/* The same for a page vCPUs still run on as their root: taken out of the
 * tree now, freed by sp_root_put once none does (the caller makes them
 * drop it: REMOTE_STATE). */
void sp_zap_root(struct smmu_vm *vm, struct sp *sp);

/* sp_get.c; MMU lock held. Find or build the shadow of (gfn, role); a
 * new shadow of a guest table write-protects its frame. NULL when the
 * shadow-page budget is spent. */
struct sp *sp_get(struct smmu_vm *vm, uint64_t gfn, union sp_role role);

#endif
