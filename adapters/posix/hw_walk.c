/* SPDX-License-Identifier: MIT */
/*
 * The simulated CPU's translation of one access: TLB, else the deepest
 * paging-structure-cache entry, else the shadow tables in memory (SDM vol.
 * 3A 4.10.3.2); IA-32e 4- or 5-level walk (4.5), access rights (4.6),
 * error code (4.7), accessed and dirty flags (4.8).
 *
 * Written from the SDM alone: it checks libshadowmmu, so it shares no code
 * with libshadowmmu's guest walker.
 */
#include "hw_tlb_internal.h"

#include <stdlib.h>

#define ENTRY_ADDR X86_BITS(51, 12)
#define RIGHTS_ALL (SMMU_RIGHT_W | SMMU_RIGHT_U | SMMU_RIGHT_X)

/* What one walk found: the entries it read from memory (top first), the
 * non-leaf ones to cache, and the leaf. */
struct walk {
	unsigned nr_read;
	uint64_t *ptr[5];
	uint64_t val[5];
	unsigned nr_psc;
	struct hw_entry psc[4];
	uint64_t leaf;
	unsigned level; /* of the leaf: 1, 2 or 3 */
	uint8_t rights;
};

/* Combinations no instruction can produce: a caller bug, and this is test
 * infrastructure. */
static void check_flags(uint32_t flags)
{
	if ((flags & SMMU_ACCESS_FETCH) &&
	    (flags & (SMMU_ACCESS_WRITE | SMMU_ACCESS_IMPLICIT)))
		abort();
	if ((flags & SMMU_ACCESS_IMPLICIT) && (flags & SMMU_ACCESS_USER))
		abort();
}

static uint16_t current_pcid(const struct hw_mmu_ctx *ctx)
{
	return ctx->pcide ? (uint16_t)(ctx->cr3 & X86_CR3_PCID_MASK) : 0;
}

/* Error-code bits that describe the access, whatever the fault (SDM 4.7).
 * The CPU is in IA-32e mode, so CR4.PAE=1 and I/D is reported when SMEP
 * or NXE is on. */
static uint32_t pf_access_bits(const struct hw_mmu_ctx *ctx, uint32_t flags)
{
	uint32_t err = 0;
	if (flags & SMMU_ACCESS_WRITE)
		err |= PFERR_W;
	if (flags & SMMU_ACCESS_USER)
		err |= PFERR_U;
	if ((flags & SMMU_ACCESS_FETCH) && (ctx->smep || ctx->nxe))
		err |= PFERR_I;
	return err;
}

/* SDM 4.6: 0 when the access is allowed, else its #PF error code. The
 * control bits are the current ones, not those at fill time: a TLB entry
 * caches the paging-structure rights only (4.10.2.2). */
static uint32_t check_rights(const struct hw_mmu_ctx *ctx,
			     const struct smmu_access *access, uint8_t rights,
			     uint8_t pkey)
{
	uint32_t f = access->flags;
	bool user = f & SMMU_ACCESS_USER;
	bool write = f & SMMU_ACCESS_WRITE;
	bool fetch = f & SMMU_ACCESS_FETCH;
	bool uaddr = rights & SMMU_RIGHT_U;
	bool writable = rights & SMMU_RIGHT_W;
	bool exec = !ctx->nxe || (rights & SMMU_RIGHT_X);
	bool denied;

	if (user)
		denied = !uaddr || (write && !writable) || (fetch && !exec);
	else if (fetch)
		denied = (uaddr && ctx->smep) || !exec;
	else /* 4.6.1: implicit accesses are never exempted by EFLAGS.AC */
		denied = (uaddr && ctx->smap &&
			  ((f & SMMU_ACCESS_IMPLICIT) ||
			   !(f & SMMU_ACCESS_AC))) ||
			 (write && ctx->wp && !writable);

	/* 4.6.2: keys guard data accesses to user-mode addresses, supervisor
	 * ones included; WD stops supervisor writes only when CR0.WP=1. The
	 * PK bit is reported whenever the key denies, also alongside a
	 * paging-rights violation (4.7). */
	bool pk = false;
	if (ctx->pke && uaddr && !fetch)
		pk = (access->pkru & X86_PKRU_AD(pkey)) ||
		     (write && (user || ctx->wp) &&
		      (access->pkru & X86_PKRU_WD(pkey)));

	if (!denied && !pk)
		return 0;
	return (uint32_t)PFERR_P | pf_access_bits(ctx, f) |
	       (pk ? (uint32_t)PFERR_PK : 0);
}

/* Reserved bits of a present IA-32e entry (SDM 4.5, tables 4-14 to 4-20). */
static bool has_reserved_bits(const struct hw_mmu_ctx *ctx, uint64_t e,
			      unsigned level)
{
	uint64_t rsvd =
		ctx->maxphyaddr < 52 ? X86_BITS(51, ctx->maxphyaddr) : 0;
	if (!ctx->nxe)
		rsvd |= X86_PTE_XD;
	if (level >= 4)
		rsvd |= X86_PTE_PS; /* no 512 GiB or 256 TiB pages */
	else if (level == 3 && (e & X86_PTE_PS))
		rsvd |= X86_BITS(29, 13); /* 1 GiB frame alignment */
	else if (level == 2 && (e & X86_PTE_PS))
		rsvd |= X86_BITS(20, 13); /* 2 MiB frame alignment */
	return e & rsvd;
}

static uint8_t entry_rights(uint64_t e)
{
	uint8_t r = 0;
	if (e & X86_PTE_RW)
		r |= SMMU_RIGHT_W;
	if (e & X86_PTE_US)
		r |= SMMU_RIGHT_U;
	if (!(e & X86_PTE_XD))
		r |= SMMU_RIGHT_X;
	return r;
}

static enum hw_status broken(struct hw_result *out, enum hw_status status,
			     uint64_t hpa)
{
	out->status = status;
	out->bad_hpa = hpa;
	return status;
}

static enum hw_status page_fault(struct hw_tlb *tlb,
				 const struct hw_mmu_ctx *ctx, uint16_t pcid,
				 uint64_t la, uint32_t err,
				 struct hw_result *out)
{
	/* SDM 4.10.4.1: a #PF removes the TLB and paging-structure entries
	 * that would translate la in the current PCID, so that a fault
	 * caused by a stale entry does not recur. */
	hw_tlb_forget_la(tlb, ctx->vpid, pcid, la);
	tlb->stats.faults++;
	out->status = HW_PAGE_FAULT;
	out->pf_error = err;
	return HW_PAGE_FAULT;
}

static enum hw_status translated(const struct hw_mmu_ctx *ctx, uint64_t la,
				 uint64_t frame, unsigned level, uint8_t rights,
				 struct hw_result *out)
{
	uint64_t size = UINT64_C(1) << hw_level_shift(level);
	out->status = HW_OK;
	out->hpa = frame | (la & (size - 1));
	out->page_size = size;
	out->rights = rights | (ctx->nxe ? 0 : SMMU_RIGHT_X);
	return HW_OK;
}

/* One pass from the deepest cached entry (or CR3) down to the leaf. HW_OK
 * means a leaf was found; its rights are not checked yet. */
static enum hw_status walk(struct hw_tlb *tlb, const struct hw_mmu_ctx *ctx,
			   const struct sim_hpa_space *space,
			   const struct smmu_access *access, uint16_t pcid,
			   struct walk *w, struct hw_result *out)
{
	uint64_t la = access->la;
	unsigned top = ctx->pae ? 2 : ctx->la57 ? 5 : 4;
	unsigned level = top;
	uint64_t table = ctx->cr3 & ~(uint64_t)0xfff;
	uint8_t rights = RIGHTS_ALL;
	if (ctx->pae) {
		/* The PDPTE registers, not memory: a PDPTE grants every
		 * right and is never cached in the TLB. */
		uint64_t pdpte = ctx->pdpte[(la >> 30) & 3];
		if (!(pdpte & X86_PTE_P)) {
			w->nr_read = 0;
			w->nr_psc = 0;
			out->pf_error = pf_access_bits(ctx, access->flags);
			return HW_PAGE_FAULT;
		}
		table = pdpte & ENTRY_ADDR;
	}

	w->nr_read = 0;
	w->nr_psc = 0;

	/* 4.10.3.2: start below the deepest paging-structure-cache entry,
	 * without reading memory above it. */
	for (unsigned l = 2; l <= top; l++) {
		struct hw_key k = { .page = la >> hw_level_shift(l),
				    .vpid = ctx->vpid,
				    .pcid = pcid,
				    .level = (uint8_t)l };
		struct hw_entry *c = hw_cache_find(&tlb->psc, &k);
		if (!c)
			continue;
		uint32_t gen;
		/* The cached entry names a table page that has since been
		 * freed or recycled: hardware would walk it. */
		if (c->pooled &&
		    (!sim_pool_page_live(space->pool, c->hpa, &gen) ||
		     gen != c->gen))
			return broken(out, HW_FREED_TABLE, c->hpa);
		table = c->hpa;
		rights = c->rights;
		level = l - 1;
		break;
	}

	for (;; level--) {
		uint32_t gen = 0;
		bool pooled = space->pool &&
			      sim_pool_page_live(space->pool, table, &gen);
		if (!pooled &&
		    sim_hpa_classify(space, table) == SIM_HPA_POOL_FREE)
			return broken(out, HW_FREED_TABLE, table);
		if (w->nr_psc) {
			/* the entry pushed last referenced this table */
			w->psc[w->nr_psc - 1].gen = gen;
			w->psc[w->nr_psc - 1].pooled = pooled;
		}

		uint64_t idx = (la >> hw_level_shift(level)) & 511;
		uint64_t *p = sim_hpa_ptr(space, table + 8 * idx, 8);
		if (!p)
			return broken(out, HW_BAD_HPA, table);
		/* Other simulated CPUs and the MMU under test write the
		 * shadow tables concurrently. */
		uint64_t e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		w->ptr[w->nr_read] = p;
		w->val[w->nr_read++] = e;

		if (!(e & X86_PTE_P)) {
			out->pf_error = pf_access_bits(ctx, access->flags);
			return HW_PAGE_FAULT;
		}
		if (has_reserved_bits(ctx, e, level)) {
			out->pf_error = (uint32_t)(PFERR_P | PFERR_RSVD) |
					pf_access_bits(ctx, access->flags);
			return HW_PAGE_FAULT;
		}
		rights &= entry_rights(e);
		/* Bit 7 of a PTE is PAT; at levels 4 and 5 PS is reserved
		 * and was refused above. */
		if (level == 1 || (e & X86_PTE_PS)) {
			w->leaf = e;
			w->level = level;
			w->rights = rights;
			return HW_OK;
		}
		table = e & ENTRY_ADDR;
		w->psc[w->nr_psc++] = (struct hw_entry){
			.key = { .page = la >> hw_level_shift(level),
				 .vpid = ctx->vpid,
				 .pcid = pcid,
				 .level = (uint8_t)level },
			.hpa = table,
			.rights = rights,
		};
	}
}

/* SDM 4.8: A in every entry read, D in the leaf for a write. Hardware
 * does this with locked updates that re-check the entry; a plain OR could
 * mark an entry another CPU just rewrote (a new mapping would then look
 * accessed or dirty). So: compare-exchange, and false when an entry
 * changed since it was read, to walk again. */
static bool set_accessed_dirty(const struct walk *w, bool write)
{
	for (unsigned i = 0; i < w->nr_read; i++) {
		uint64_t old = w->val[i];
		uint64_t want = old | X86_PTE_A;
		if (write && i == w->nr_read - 1)
			want |= X86_PTE_D;
		if (want != old && !__atomic_compare_exchange_n(
					   w->ptr[i], &old, want, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return false;
	}
	return true;
}

static enum hw_status walk_and_fill(struct hw_tlb *tlb,
				    const struct hw_mmu_ctx *ctx,
				    const struct sim_hpa_space *space,
				    const struct smmu_access *access,
				    uint16_t pcid, const struct hw_key *clean,
				    struct hw_result *out)
{
	bool write = access->flags & SMMU_ACCESS_WRITE;
	struct walk w;
	uint8_t pkey;

	for (;;) {
		enum hw_status st =
			walk(tlb, ctx, space, access, pcid, &w, out);
		if (st == HW_PAGE_FAULT)
			return page_fault(tlb, ctx, pcid, access->la,
					  out->pf_error, out);
		if (st != HW_OK)
			return st;
		pkey = (uint8_t)((w.leaf & X86_PTE_PKEY_MASK) >>
				 X86_PTE_PKEY_SHIFT);
		uint32_t err = check_rights(ctx, access, w.rights, pkey);
		if (err)
			return page_fault(tlb, ctx, pcid, access->la, err, out);
		if (set_accessed_dirty(&w, write))
			break;
	}

	for (unsigned i = 0; i < w.nr_psc; i++)
		hw_cache_put(tlb, &tlb->psc, &w.psc[i]);

	/* 4.10.2.4: with CR4.PGE, a G=1 leaf is usable under every PCID. */
	bool global = ctx->pge && (w.leaf & X86_PTE_G);
	unsigned shift = hw_level_shift(w.level);
	struct hw_entry t = {
		.key = { .page = access->la >> shift,
			 .vpid = ctx->vpid,
			 .pcid = global ? HW_PCID_GLOBAL : pcid,
			 .level = (uint8_t)w.level },
		.hpa = w.leaf & ENTRY_ADDR & ~((UINT64_C(1) << shift) - 1),
		.rights = w.rights,
		.pkey = pkey,
		.dirty = write || (w.leaf & X86_PTE_D),
	};
	/* The clean entry this walk replaces may have another size or tag
	 * than the new one. */
	if (clean)
		hw_cache_del(&tlb->tlb, clean);
	hw_cache_put(tlb, &tlb->tlb, &t);
	return translated(ctx, access->la, t.hpa, w.level, w.rights, out);
}

enum hw_status hw_translate(struct hw_tlb *tlb, const struct hw_mmu_ctx *ctx,
			    const struct sim_hpa_space *space,
			    const struct smmu_access *access,
			    struct hw_result *out)
{
	check_flags(access->flags);
	/* The pool and guest RAM sit above 2^42: anything narrower is a
	 * misconfigured test. */
	if (ctx->maxphyaddr < 43 || ctx->maxphyaddr > 52)
		abort();
	*out = (struct hw_result){ 0 };

	uint16_t pcid = current_pcid(ctx);
	bool write = access->flags & SMMU_ACCESS_WRITE;
	struct hw_key clean;
	bool rewalk = false;
	enum hw_status st;

	pthread_mutex_lock(&tlb->lock);
	tlb->stats.lookups++;
	struct hw_entry *hit = hw_tlb_lookup(tlb, ctx->vpid, pcid, access->la);
	if (hit) {
		uint32_t err =
			check_rights(ctx, access, hit->rights, hit->pkey);
		/* A denial is taken from the cached entry even if memory now
		 * allows the access: the SDM permits that spurious fault
		 * (4.10.4.3), and the fault then drops the entry. */
		if (err || !write || hit->dirty) {
			tlb->stats.hits++;
			out->tlb_hit = true;
			st = err ? page_fault(tlb, ctx, pcid, access->la, err,
					      out)
				 : translated(ctx, access->la, hit->hpa,
					      hit->key.level, hit->rights, out);
			goto unlock;
		}
		/* 4.8: a write through an entry cached with D=0 goes to
		 * memory, which sets D there. */
		clean = hit->key;
		rewalk = true;
	}
	tlb->stats.walks++;
	st = walk_and_fill(tlb, ctx, space, access, pcid,
			   rewalk ? &clean : NULL, out);
unlock:
	pthread_mutex_unlock(&tlb->lock);
	return st;
}
