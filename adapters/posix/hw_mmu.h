/* SPDX-License-Identifier: MIT */
/*
 * The simulated hardware MMU of one physical CPU: a page walker over the
 * *shadow* tables (IA-32e 4- or 5-level format, as a real CPU in VMX
 * non-root operation walks them) and an adversarial TLB with
 * paging-structure caches.
 *
 * "Adversarial" means: it caches every translation and every non-leaf
 * entry it ever walked, tagged by VPID and PCID, and keeps them until an
 * explicit invalidation removes them (SDM vol. 3 4.10.4, 28.3.3), or until
 * a configured capacity forces an eviction. It prefers cached entries over
 * memory whenever the SDM allows it, so any flush the MMU under test
 * forgets shows up as a stale translation.
 *
 * It is written independently of libshadowmmu's guest walker: the oracle
 * must not share code with what it checks.
 */
#ifndef SMMU_POSIX_HW_MMU_H
#define SMMU_POSIX_HW_MMU_H

#include <shadowmmu/shadowmmu.h>

#include "hpa_space.h"

/* What the CPU runs with: the VMCS guest-state and control fields that
 * matter for the hardware walk, as set at VM entry by the MMU under test. */
struct hw_mmu_ctx {
	uint16_t vpid; /* VPID tag of the running vCPU (0 = host) */
	uint64_t cr3;  /* shadow root hpa | hardware PCID in bits 11:0 */
	bool la57;     /* 5-level shadow tables */
	/* Legacy PAE paging: the four PDPTEs the CPU loaded from cr3 at VM
	 * entry, used until the next entry (SDM 4.4.1). */
	bool pae;
	uint64_t pdpte[4];
	bool pcide; /* CR3 bits 11:0 are a PCID (else tag 0) */
	bool pge;   /* global shadow entries survive PCID flushes */
	bool wp, smep, smap, pke, nxe; /* rights checks, as SDM 4.6 */
	uint8_t maxphyaddr; /* host MAXPHYADDR for reserved-bit checks */
};

enum hw_status {
	HW_OK,		/* translated: hpa, page_size, rights */
	HW_PAGE_FAULT,	/* hardware #PF (a VM exit for the MMU under test) */
	HW_BAD_HPA,	/* an entry pointed at an hpa where nothing is */
	HW_FREED_TABLE, /* the walk used a freed or recycled shadow page */
};

struct hw_result {
	enum hw_status status;
	uint64_t hpa;	    /* HW_OK: host-physical address of la */
	uint64_t page_size; /* HW_OK */
	uint8_t rights;	    /* HW_OK: SMMU_RIGHT_* of the translation used */
	uint32_t pf_error;  /* HW_PAGE_FAULT: error code (PFERR_*) */
	bool tlb_hit;	    /* the translation came from the TLB */
	uint64_t bad_hpa;   /* HW_BAD_HPA / HW_FREED_TABLE: where */
};

struct hw_tlb_config {
	unsigned tlb_capacity; /* translations kept; 0 = never evict */
	unsigned psc_capacity; /* paging-structure entries; 0 = never */
	uint64_t seed;	       /* for the eviction choice */
};

struct hw_tlb_stats {
	uint64_t lookups, hits, walks, faults;
	uint64_t invalidations; /* invalidation operations received */
	uint64_t evictions;
};

struct hw_tlb;

struct hw_tlb *hw_tlb_create(const struct hw_tlb_config *config);
void hw_tlb_destroy(struct hw_tlb *tlb);

/* Translate one access as the CPU does: TLB, else paging-structure
 * caches, else memory; sets A (and D for writes) in the shadow entries it
 * walks, fills the TLB and caches, and on a fault removes what it cached
 * for `la` (SDM 4.10.4.1). Thread-safe against the invalidations below. */
enum hw_status hw_translate(struct hw_tlb *tlb, const struct hw_mmu_ctx *ctx,
			    const struct sim_hpa_space *space,
			    const struct smmu_access *access,
			    struct hw_result *out);

/* INVLPG executed by the CPU itself for `la` in context (vpid, pcid):
 * removes the translations for la (global ones too) and all
 * paging-structure entries of (vpid, pcid) (SDM 4.10.4.1). */
void hw_tlb_invlpg(struct hw_tlb *tlb, uint16_t vpid, uint16_t pcid,
		   uint64_t la);

/* INVPCID types (SDM vol. 2, INVPCID). */
enum hw_invpcid_type {
	HW_INVPCID_ADDR = 0,	   /* la in pcid, not global ones */
	HW_INVPCID_SINGLE = 1,	   /* all of pcid, not global ones */
	HW_INVPCID_ALL_GLOBAL = 2, /* everything, global included */
	HW_INVPCID_ALL = 3,	   /* everything but global translations */
};
void hw_tlb_invpcid(struct hw_tlb *tlb, uint16_t vpid,
		    enum hw_invpcid_type type, uint16_t pcid, uint64_t la);

/* INVVPID types (SDM vol. 3 30.3, INVVPID). */
enum hw_invvpid_type {
	HW_INVVPID_ADDR = 0,		 /* la in vpid, all PCIDs, global too */
	HW_INVVPID_SINGLE = 1,		 /* everything of vpid */
	HW_INVVPID_ALL = 2,		 /* everything of every vpid but 0 */
	HW_INVVPID_SINGLE_NONGLOBAL = 3, /* vpid, global ones kept */
};
void hw_tlb_invvpid(struct hw_tlb *tlb, enum hw_invvpid_type type,
		    uint16_t vpid, uint64_t la);

/* MOV to CR3 in context vpid without the NOFLUSH bit: removes the
 * non-global translations and the paging-structure entries of `pcid`. */
void hw_tlb_flush_pcid(struct hw_tlb *tlb, uint16_t vpid, uint16_t pcid);

/* Everything, every tag (e.g. a CR4.PGE toggle or an INVEPT-all). */
void hw_tlb_flush_all(struct hw_tlb *tlb);

/* Entries currently cached (translations + paging-structure entries). */
unsigned hw_tlb_size(const struct hw_tlb *tlb);
void hw_tlb_get_stats(const struct hw_tlb *tlb, struct hw_tlb_stats *out);

/*
 * An observer of one TLB, for tools that account for what flushes cost
 * (smmu-bench): told of every entry cached, every invalidation operation
 * and every entry that leaves, with why. Callbacks run on the thread that
 * acts on the TLB, with the TLB's lock held: they must not call back into
 * it. With no observer set the TLB does none of this.
 */

/* The invalidation operations above, as an observer sees them. */
enum hw_flush_op {
	HW_OP_INVLPG,	  /* hw_tlb_invlpg */
	HW_OP_INVPCID,	  /* hw_tlb_invpcid, `type` an enum hw_invpcid_type */
	HW_OP_INVVPID,	  /* hw_tlb_invvpid, `type` an enum hw_invvpid_type */
	HW_OP_FLUSH_PCID, /* hw_tlb_flush_pcid */
	HW_OP_FLUSH_ALL,  /* hw_tlb_flush_all */
};

struct hw_flush_info {
	enum hw_flush_op op;
	unsigned type;
	uint16_t vpid, pcid;
	uint64_t la;
};

/* Why an entry left the TLB. */
enum hw_leave_cause {
	HW_LEAVE_FLUSH,	  /* an invalidation operation removed it */
	HW_LEAVE_FAULT,	  /* a #PF removed what would translate its la */
	HW_LEAVE_EVICT,	  /* the capacity was reached */
	HW_LEAVE_REPLACE, /* a walk cached a newer entry in its place */
};

/* One cached entry: a translation, or a paging-structure entry (psc). */
struct hw_tlb_entry_info {
	bool psc;
	uint8_t level; /* translation: 1..3 (4 KiB..1 GiB); psc: 2..5 */
	uint16_t vpid;
	uint16_t pcid;	/* tag; a global translation has none */
	bool global;	/* usable under every PCID of its VPID */
	uint64_t la;	/* first linear address it covers */
	uint64_t hpa;	/* frame (translation) or table (psc) */
	uint8_t rights; /* SMMU_RIGHT_* */
	bool pooled;	/* psc: its table is a pool page of generation gen */
	uint32_t gen;
	/* The observer's own words, set by its fill callback and handed
	 * back when the entry leaves. */
	uint64_t tag[2];
};

struct hw_tlb_observer {
	/* An entry is cached; may set e->tag. */
	void (*fill)(void *arg, struct hw_tlb_entry_info *e);
	/* An invalidation operation starts (before the leaves it causes). */
	void (*flush)(void *arg, const struct hw_flush_info *f);
	void (*leave)(void *arg, const struct hw_tlb_entry_info *e,
		      enum hw_leave_cause cause);
	void *arg;
};

/* Set (or with NULL remove) the observer; `obs` must outlive its use. */
void hw_tlb_set_observer(struct hw_tlb *tlb, const struct hw_tlb_observer *obs);

#endif
