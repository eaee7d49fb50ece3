/* SPDX-License-Identifier: MIT */
/*
 * The architectural reference model: for every access a vCPU makes, what
 * a real CPU running the guest natively may return (Intel SDM vol. 3A,
 * 4.10: TLBs and paging-structure caches).
 *
 * A native CPU may return the translation of a walk of the guest tables as
 * they are now, or any translation it could have cached since the guest
 * last invalidated it: a walk from a root the guest loaded with that PCID,
 * through values each paging entry held while such a root was loaded after
 * the invalidation (a CPU fills its caches only from the loaded root,
 * tagged with the current PCID). A fault comes from an entry read during
 * the access (faulting entries are never cached), possibly reached through
 * stale paging-structure-cache entries, which INVLPG empties for the whole
 * PCID. A #PF invalidates the faulting address, global entries included
 * (SDM 4.10.4.1). The model keeps the history of every guest memory slot
 * that changed, the roots each PCID used and when, and per PCID / linear
 * address / global the epoch of the last invalidation.
 *
 * Where the SDM leaves room the model takes the permissive reading, never
 * a stricter one: it ignores in which order cached levels were filled;
 * a change of CR4.PAE or setting CR4.SMEP keeps global entries ("all TLB
 * entries ... for the current PCID"); a #PF inside a large page keeps the
 * page's other addresses, which a CPU may have cached in pieces. One
 * deliberate exception is stricter than the SDM: a change of EFER.NXE
 * counts as a full flush. Tests in tests/test_ref_model.c pin each rule.
 *
 * It has its own small guest walker and rights check, written separately
 * from libshadowmmu's, and shares no code with it.
 */
#ifndef SMMU_POSIX_REF_MODEL_H
#define SMMU_POSIX_REF_MODEL_H

#include <shadowmmu/shadowmmu.h>

#include "guest_ram.h"

struct ref_model;

struct ref_model_config {
	const struct smmu_posix_ram *ram;
	unsigned nr_vcpus;
	uint8_t maxphyaddr;
	bool gbpages;
};

/* What the guest observed for one access. */
struct ref_outcome {
	bool fault;	   /* the guest took #PF */
	uint32_t pf_error; /* its error code */
	uint64_t gpa;	   /* else: the guest-physical address accessed */
};

/* Room for one explanation of a violation. */
struct ref_verdict {
	char why[2048];
};

struct ref_model *ref_model_create(const struct ref_model_config *config);
void ref_model_destroy(struct ref_model *m);

/* vCPU `v` now has these registers, as the result of `event` (what the
 * guest executed; `operand` is the value it wrote, e.g. CR3 with the
 * NOFLUSH bit). The model derives the invalidations the SDM attaches to
 * the event (4.10.4.1). REF_SET is a reset/restore: everything flushed. */
enum ref_reg_event {
	REF_SET,
	REF_MOV_CR0,
	REF_MOV_CR3,
	REF_MOV_CR4,
	REF_WRMSR_EFER,
};
void ref_model_regs(struct ref_model *m, unsigned v, enum ref_reg_event event,
		    uint64_t operand, const struct smmu_paging_regs *regs);

/* Guest invalidation instructions on vCPU v. */
void ref_model_invlpg(struct ref_model *m, unsigned v, uint64_t la);
void ref_model_invpcid(struct ref_model *m, unsigned v, unsigned type,
		       uint16_t pcid, uint64_t la);
/* A paravirtual "flush my TLB" request: everything, globals included. */
void ref_model_flush_all(struct ref_model *m, unsigned v);

/* Guest memory changes during a run go through the model, so that the
 * change and its record in the history are one step for every check.
 * A guest's 8-byte store to gpa (aligned; false if not RAM). */
bool ref_model_store(struct ref_model *m, uint64_t gpa, uint64_t val);
/* A device's 8-byte store: in memory now, complete for the guest only
 * once ref_model_device_store_done says so. The host reports it to the
 * MMU in between, and the guest learns a device's store is done only
 * from the host (an interrupt, a ring): until then the old value still
 * counts as current. */
bool ref_model_device_store(struct ref_model *m, uint64_t gpa, uint64_t val);
void ref_model_device_store_done(struct ref_model *m, uint64_t gpa);
/* The MMU under test sets accessed/dirty flags while handling vCPU v's
 * in-flight access `inflight` (NULL if none): compare-exchange of 4 or 8
 * bytes. Returns SMMU_GPA_OK, _CHANGED or _NOT_RAM; *allowed is false
 * (with a verdict) when the change is one the MMU had no right to make. */
int ref_model_cmpxchg(struct ref_model *m, unsigned v, uint64_t gpa,
		      unsigned size, uint64_t old, uint64_t new_val,
		      const struct smmu_access *inflight,
		      struct ref_verdict *verdict, bool *allowed);
/* The host takes guest frames [gpa, gpa + len) away (smmu_posix_ram_take_away
 * on `ram`, the RAM the model reads): from now on they read as all ones.
 * A walk that began before may have read what they held, so every slot's
 * value goes into its history, as a store's old value does; the take-away
 * happens under the model's lock, so no store falls between the record
 * and the hole. Returns smmu_posix_ram_take_away's result. */
int ref_model_take_away(struct ref_model *m, struct smmu_posix_ram *ram,
			uint64_t gpa, uint64_t len);

/* Check what vCPU v observed for `access` (canonical la), which started
 * at model epoch `started` (ref_model_now). If the guest
 * took a #PF, the model applies the invalidation a page fault implies
 * (SDM 4.10.4.1). Returns false with an explanation on a violation. */
bool ref_model_check(struct ref_model *m, unsigned v,
		     const struct smmu_access *access, uint64_t started,
		     const struct ref_outcome *got,
		     struct ref_verdict *verdict);

/* The model's clock: read it when an access starts and pass it to
 * ref_model_check, since other vCPUs may change memory meanwhile. */
uint64_t ref_model_now(struct ref_model *m);

/* What the current guest tables say for `access` on vCPU v (no stale
 * entries): for tools and tests. */
struct ref_outcome ref_model_expect_now(struct ref_model *m, unsigned v,
					const struct smmu_access *access);

/*
 * For tools that account for what hardware flushes drop (smmu-bench's
 * collateral): what an entry a vCPU caches now would belong to, and
 * whether the guest has invalidated it since.
 */
struct ref_fill_info {
	uint64_t epoch; /* the model's clock now */
	uint16_t pcid;	/* vCPU v's current PCID (0 without CR4.PCIDE) */
	/* The current guest tables translate la with a global leaf (G and
	 * CR4.PGE); asked for translations only. */
	bool global;
};
void ref_model_fill_info(struct ref_model *m, unsigned v, uint64_t la,
			 bool translation, struct ref_fill_info *out);

/* What a cached entry is, for ref_model_invalidated_since. */
enum ref_cached_kind {
	REF_CACHED_TRANSLATION, /* a non-global translation of a PCID */
	REF_CACHED_GLOBAL,	/* a global translation */
	REF_CACHED_PSC,		/* a paging-structure-cache entry of a PCID */
};
/* Whether vCPU v executed, or took, an invalidation after epoch `since`
 * that covers an entry of `kind` for la (of `size`: 4 KiB, 2 MiB, 4 MiB
 * or 1 GiB) under `pcid`: an invalidation instruction, a MOV to a
 * control register, a paravirtual flush or a #PF (SDM 4.10.4). */
bool ref_model_invalidated_since(struct ref_model *m, unsigned v,
				 enum ref_cached_kind kind, uint16_t pcid,
				 uint64_t la, uint64_t size, uint64_t since);

struct ref_model_stats {
	uint64_t checks, stale_allowed, history_slots, history_values;
	uint64_t candidates; /* cached translations considered */
};
void ref_model_get_stats(struct ref_model *m, struct ref_model_stats *out);

#endif
