/* SPDX-License-Identifier: MIT */
/*
 * The guest page-table walker: one loop over the level table of the
 * current paging mode (gwalk_modes.c), then the access-rights check of SDM
 * 4.6, then the accessed/dirty updates of SDM 4.8.
 */
#include "gwalk.h"

static uint64_t level_index(const struct gw_mode_desc *d, int level,
			    uint64_t la)
{
	const struct gw_level_desc *l = &d->level[level];
	return (la >> l->shift) & ((UINT64_C(1) << l->index_bits) - 1);
}

bool gw_la_canonical(const struct gw_mmu *mmu, uint64_t la)
{
	if (!mmu->desc->canonical)
		return true; /* legacy modes: 32 bits, the rest unused */
	/* Bits 63:bits-1 must all equal bit bits-1 (SDM 3.3.7.1). */
	unsigned bits = mmu->desc->la_bits;
	int64_t sext = (int64_t)(la << (64 - bits)) >> (64 - bits);
	return (uint64_t)sext == la;
}

uint64_t gw_la(const struct gw_mmu *mmu, uint64_t la)
{
	/* Legacy modes (paging off included) have 32-bit linear
	 * addresses. */
	return mmu->desc->canonical ? la : la & 0xffffffffu;
}

/* Physical address an entry references: a table, or a page of `size`. */
static uint64_t entry_addr(const struct gw_mode_desc *d, uint64_t pte,
			   uint64_t size)
{
	if (d->entry_size == 4) {
		if (size == X86_PAGE_SIZE_4M)
			/* PSE-36: PDE bits 20:13 are physical bits 39:32. */
			return (pte & X86_BITS(31, 22)) |
			       ((pte & X86_BITS(20, 13)) << 19);
		return pte & X86_BITS(31, 12);
	}
	return pte & X86_BITS(51, 12) & ~(size - 1);
}

/* Error-code bits that describe the access itself (SDM 4.7). */
static uint32_t access_error_bits(const struct gw_mmu *mmu, uint32_t flags)
{
	uint32_t err = flags & (uint32_t)(PFERR_W | PFERR_U);
	if ((flags & SMMU_ACCESS_FETCH) && mmu->fetch_in_error)
		err |= PFERR_I;
	return err;
}

/* Protection-key rights for data accesses to user-mode addresses
 * (SDM 4.6.2); returns true if PKRU forbids the access. */
static bool pkey_denies(const struct gw_mmu *mmu, uint8_t pkey, uint32_t pkru,
			uint32_t flags)
{
	if (!(pkru & X86_PKRU_AD(pkey)) && !(pkru & X86_PKRU_WD(pkey)))
		return false;
	if (pkru & X86_PKRU_AD(pkey))
		return true;
	/* WD: writes are denied to user accesses always, to supervisor
	 * accesses only when CR0.WP=1. */
	return (flags & SMMU_ACCESS_WRITE) &&
	       ((flags & SMMU_ACCESS_USER) || mmu->wp);
}

/* Access-rights check of SDM 4.6.1; returns the #PF error code, 0 if the
 * access is allowed. */
static uint32_t rights_fault(const struct gw_mmu *mmu, uint8_t rights,
			     uint8_t pkey, const struct smmu_access *acc)
{
	uint32_t f = acc->flags;
	bool user_addr = rights & SMMU_RIGHT_U;
	bool denied;

	if (f & SMMU_ACCESS_USER) {
		denied =
			!user_addr ||
			((f & SMMU_ACCESS_WRITE) && !(rights & SMMU_RIGHT_W)) ||
			((f & SMMU_ACCESS_FETCH) && !(rights & SMMU_RIGHT_X));
	} else if (f & SMMU_ACCESS_FETCH) {
		denied = (user_addr && mmu->smep) || !(rights & SMMU_RIGHT_X);
	} else {
		/* Supervisor data access. SMAP blocks user addresses unless
		 * the access is explicit and EFLAGS.AC=1. */
		bool smap_override =
			(f & SMMU_ACCESS_AC) && !(f & SMMU_ACCESS_IMPLICIT);
		denied = (user_addr && mmu->smap && !smap_override) ||
			 ((f & SMMU_ACCESS_WRITE) && mmu->wp &&
			  !(rights & SMMU_RIGHT_W));
	}

	bool pk = mmu->pke && user_addr && !(f & SMMU_ACCESS_FETCH) &&
		  pkey_denies(mmu, pkey, acc->pkru, f);
	if (!denied && !pk)
		return 0;
	return (uint32_t)PFERR_P | access_error_bits(mmu, f) |
	       (pk ? (uint32_t)PFERR_PK : 0);
}

static int read_entry(const struct gw_guest *g, uint64_t gpa, unsigned size,
		      uint64_t *val)
{
	uint64_t v = 0;
	int r = g->ops->read_gpa(g->host, gpa, &v, size);
	*val = v;
	return r;
}

enum ad_step { AD_DONE, AD_RESTART, AD_NOT_RAM };

/* Set A in every entry used and D in the leaf of a write (SDM 4.8), after
 * the access is known to succeed: a faulting access leaves guest memory
 * untouched. If the guest changed an entry since we read it, the walk must
 * be redone on the new value. */
static enum ad_step set_accessed_dirty(struct gw_walk *w,
				       const struct gw_mmu *mmu,
				       const struct gw_guest *g, bool write)
{
	const struct gw_mode_desc *d = mmu->desc;
	int top = d->pdpte_regs ? d->levels - 1 : d->levels;

	for (int l = top; l >= w->leaf_level; l--) {
		uint64_t want = w->pte[l] | X86_PTE_A;
		if (l == w->leaf_level && write)
			want |= X86_PTE_D;
		if (want == w->pte[l])
			continue;
		int r = g->ops->cmpxchg_gpa(g->host, w->pte_gpa[l],
					    d->entry_size, w->pte[l], want);
		if (r == SMMU_GPA_CHANGED)
			return AD_RESTART;
		if (r != SMMU_GPA_OK) {
			w->xlate.not_ram_gpa = w->pte_gpa[l];
			return AD_NOT_RAM;
		}
		w->pte[l] = want;
		if (g->wrote)
			g->wrote(g->wrote_ctx, w->pte_gpa[l]);
	}
	return AD_DONE;
}

static enum smmu_xlate_status fault(struct gw_walk *w, uint32_t err)
{
	w->xlate.pf_error = err;
	return SMMU_XLATE_PAGE_FAULT;
}

static enum smmu_xlate_status
walk_once(struct gw_walk *w, const struct gw_mmu *mmu, const struct gw_guest *g,
	  const struct smmu_access *acc, uint64_t la)
{
	const struct gw_mode_desc *d = mmu->desc;
	uint8_t rights = SMMU_RIGHT_W | SMMU_RIGHT_U | SMMU_RIGHT_X;
	uint64_t table = mmu->root;
	uint64_t size = X86_PAGE_SIZE;
	uint32_t err_access = access_error_bits(mmu, acc->flags);

	for (int l = d->levels; l >= 1; l--) {
		const struct gw_level *lv = &mmu->level[l];
		uint64_t idx = level_index(d, l, la), pte;
		uint64_t rsvd = lv->rsvd;

		w->leaf_level = (uint8_t)l;
		if (d->pdpte_regs && l == d->levels) {
			/* PAE: the top level is the PDPTE registers. They
			 * carry no access rights (SDM 4.4.2). */
			pte = mmu->pdpte[idx];
			w->pte[l] = pte;
			w->pte_gpa[l] = 0;
			if (!(pte & X86_PTE_P))
				return fault(w, err_access);
			if (pte & mmu->rsvd_pdpte)
				return fault(w, err_access | (uint32_t)PFERR_P |
							(uint32_t)PFERR_RSVD);
			table = pte & X86_BITS(51, 12);
			continue;
		}

		uint64_t gpa = table + idx * d->entry_size;
		if (read_entry(g, gpa, d->entry_size, &pte) != SMMU_GPA_OK) {
			w->xlate.not_ram_gpa = gpa;
			if (!g->not_ram_reads_ones)
				return SMMU_XLATE_NOT_RAM;
			pte = d->entry_size == 4 ? 0xffffffffull : ~0ull;
			w->through_not_ram = true;
		}
		w->pte[l] = pte;
		w->pte_gpa[l] = gpa;

		if (!(pte & X86_PTE_P))
			return fault(w, err_access);

		bool leaf = l == 1;
		if (lv->ps != GW_PS_NONE && (pte & X86_PTE_PS)) {
			if (lv->ps == GW_PS_RSVD)
				rsvd |= X86_PTE_PS;
			else if (lv->ps == GW_PS_LEAF) {
				leaf = true;
				rsvd |= lv->rsvd_large;
			}
		}
		if (pte & rsvd)
			return fault(w, err_access | (uint32_t)PFERR_P |
						(uint32_t)PFERR_RSVD);

		rights &= gw_entry_rights(mmu, pte);

		if (leaf) {
			size = UINT64_C(1) << d->level[l].shift;
			table = entry_addr(d, pte, size);
			break;
		}
		table = entry_addr(d, pte, X86_PAGE_SIZE);
	}

	uint64_t leaf = w->pte[w->leaf_level];
	uint8_t pkey = mmu->pke ? (uint8_t)((leaf & X86_PTE_PKEY_MASK) >>
					    X86_PTE_PKEY_SHIFT)
				: 0;
	uint32_t err = rights_fault(mmu, rights, pkey, acc);
	if (err)
		return fault(w, err);

	w->xlate.gpa = table | (la & (size - 1));
	w->xlate.page_size = size;
	w->xlate.rights = rights;
	w->xlate.pkey = pkey;
	w->xlate.global = mmu->pge && (leaf & X86_PTE_G);
	return SMMU_XLATE_OK;
}

static bool access_flags_valid(uint32_t f)
{
	const uint32_t known = SMMU_ACCESS_WRITE | SMMU_ACCESS_USER |
			       SMMU_ACCESS_FETCH | SMMU_ACCESS_IMPLICIT |
			       SMMU_ACCESS_AC;
	if (f & ~known)
		return false;
	if ((f & SMMU_ACCESS_FETCH) &&
	    (f & (SMMU_ACCESS_WRITE | SMMU_ACCESS_IMPLICIT)))
		return false;
	/* An implicit access is a supervisor access by definition. */
	return !((f & SMMU_ACCESS_IMPLICIT) && (f & SMMU_ACCESS_USER));
}

enum smmu_xlate_status gw_walk(struct gw_walk *w, const struct gw_mmu *mmu,
			       const struct gw_guest *g,
			       const struct smmu_access *acc)
{
	const struct gw_mode_desc *d = mmu->desc;
	uint64_t la = acc->la;

	*w = (struct gw_walk){ 0 };
	if (!access_flags_valid(acc->flags))
		return SMMU_XLATE_EINVAL;
	if (!gw_la_canonical(mmu, la))
		return SMMU_XLATE_NONCANONICAL;
	la = gw_la(mmu, la);

	if (d->levels == 0) {
		/* Paging off: linear is physical, nothing is checked. */
		w->xlate.gpa = la;
		w->xlate.page_size = X86_PAGE_SIZE;
		w->xlate.rights = SMMU_RIGHT_W | SMMU_RIGHT_U | SMMU_RIGHT_X;
		return SMMU_XLATE_OK;
	}

	for (;;) {
		enum smmu_xlate_status st = walk_once(w, mmu, g, acc, la);
		if (st != SMMU_XLATE_OK)
			return st;
		enum ad_step step = set_accessed_dirty(
			w, mmu, g, acc->flags & SMMU_ACCESS_WRITE);
		if (step == AD_DONE)
			return SMMU_XLATE_OK;
		if (step == AD_NOT_RAM)
			return SMMU_XLATE_NOT_RAM;
		if (++w->retries > GW_MAX_RETRIES)
			return SMMU_XLATE_RETRY;
		unsigned retries = w->retries;
		*w = (struct gw_walk){ 0 };
		w->retries = retries;
	}
}
