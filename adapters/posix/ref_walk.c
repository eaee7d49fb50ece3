/* SPDX-License-Identifier: MIT */
#include "ref_walk.h"

/* ---- paging modes, as the SDM lays them out ---- */

struct rlevel {
	uint8_t shift, bits;
};

struct rmode_desc {
	int levels;	/* in memory (PAE: 2, the PDPTEs are registers) */
	int entry_size; /* bytes */
	struct rlevel level[REF_MAX_LEVELS + 1]; /* [1] = PT */
};

static const struct rmode_desc mode_desc[] = {
	[RM_32] = { 2, 4, { { 0, 0 }, { 12, 10 }, { 22, 10 } } },
	[RM_PAE] = { 2, 8, { { 0, 0 }, { 12, 9 }, { 21, 9 } } },
	[RM_4L] = { 4,
		    8,
		    { { 0, 0 }, { 12, 9 }, { 21, 9 }, { 30, 9 }, { 39, 9 } } },
	[RM_5L] = { 5,
		    8,
		    { { 0, 0 },
		      { 12, 9 },
		      { 21, 9 },
		      { 30, 9 },
		      { 39, 9 },
		      { 48, 9 } } },
};

enum rmode ref_mode_of(const struct smmu_paging_regs *r)
{
	if (!(r->cr0 & X86_CR0_PG))
		return RM_OFF;
	if (r->efer & X86_EFER_LMA)
		return (r->cr4 & X86_CR4_LA57) ? RM_5L : RM_4L;
	return (r->cr4 & X86_CR4_PAE) ? RM_PAE : RM_32;
}

uint16_t ref_pcid_of(const struct smmu_paging_regs *r)
{
	return (r->cr4 & X86_CR4_PCIDE) ? (uint16_t)(r->cr3 & 0xfff) : 0;
}

static uint64_t rsvd_bits(const struct ref_root *r, int level, uint64_t e,
			  uint8_t maxphy, bool gbpages, bool *large)
{
	bool ps = e & X86_PTE_PS;
	*large = false;
	if (r->mode == RM_32) {
		if (level == 2 && ps && r->pse) {
			*large = true;
			unsigned m = maxphy > 40 ? 40 : maxphy;
			return X86_BITS(21, m - 19);
		}
		return 0;
	}
	uint64_t rsvd = r->mode == RM_PAE
				? X86_BITS(62, maxphy)
				: (maxphy < 52 ? X86_BITS(51, maxphy) : 0);
	if (!r->nxe)
		rsvd |= X86_PTE_XD;
	if (level == 1 || !ps)
		return rsvd;
	if (level == 2) {
		*large = true;
		return rsvd | X86_BITS(20, 13);
	}
	if (level == 3 && gbpages && r->mode != RM_PAE) {
		*large = true;
		return rsvd | X86_BITS(29, 13);
	}
	return rsvd | X86_PTE_PS; /* PS is reserved at this level */
}

static uint64_t entry_at(const struct ref_walk *w, uint64_t slot_gpa, int size,
			 uint64_t slot_val)
{
	(void)w;
	if (size == 8)
		return slot_val;
	return (slot_gpa & 4) ? slot_val >> 32 : slot_val & 0xffffffffu;
}

static void walk_level(struct ref_walk *w, int level, uint64_t table,
		       struct ref_cand c);

/* Continue the walk with entry value `e` read at `egpa` for `level`. */
static void walk_entry(struct ref_walk *w, int level, uint64_t egpa, uint64_t e,
		       uint64_t end, struct ref_cand c)
{
	const struct rmode_desc *d = &mode_desc[w->root->mode];
	bool current = end == REF_FOREVER;
	bool large;

	if (!(e & X86_PTE_P) || (e & rsvd_bits(w->root, level, e, w->maxphyaddr,
					       w->gbpages, &large))) {
		/* Faulting entries are never cached (SDM 4.10.2.3): the
		 * entry that faults was read from memory during the access;
		 * the levels above it may come from paging-structure caches. */
		if (current || end > w->fault_floor) {
			c.fault = true;
			c.fault_bits =
				(e & X86_PTE_P)
					? (uint32_t)(PFERR_P | PFERR_RSVD)
					: 0;
			w->stopped = w->visit(&c, w->arg);
		}
		return;
	}
	if (!current && c.min_end > end)
		c.min_end = end;
	c.slot[c.nr_slots++] = egpa;
	if (!(e & X86_PTE_A))
		c.accessed = false;
	if (!(e & X86_PTE_RW))
		c.rights &= (uint8_t)~SMMU_RIGHT_W;
	if (!(e & X86_PTE_US))
		c.rights &= (uint8_t)~SMMU_RIGHT_U;
	if (w->root->nxe && d->entry_size == 8 && (e & X86_PTE_XD))
		c.rights &= (uint8_t)~SMMU_RIGHT_X;

	if (level == 1 || large) {
		c.size = 1ull << d->level[level].shift;
		if (d->entry_size == 4 && large)
			c.base = (e & 0xffc00000ull) |
				 (((e >> 13) & 0xff) << 32);
		else if (d->entry_size == 4)
			c.base = e & 0xfffff000ull;
		else
			c.base = e & X86_BITS(51, 12) & ~(c.size - 1);
		c.dirty = e & X86_PTE_D;
		c.global = w->root->pge && (e & X86_PTE_G);
		c.pkey = (w->root->mode >= RM_4L) ? (uint8_t)((e >> 59) & 0xf)
						  : 0;
		w->stopped = w->visit(&c, w->arg);
		return;
	}
	uint64_t next = d->entry_size == 4 ? (e & 0xfffff000ull)
					   : (e & X86_BITS(51, 12));
	walk_level(w, level - 1, next, c);
}

static void walk_level(struct ref_walk *w, int level, uint64_t table,
		       struct ref_cand c)
{
	const struct rmode_desc *d = &mode_desc[w->root->mode];
	const struct rlevel *l = &d->level[level];
	uint64_t idx = (w->la >> l->shift) & ((1ull << l->bits) - 1);
	uint64_t egpa = table + idx * (uint64_t)d->entry_size;

	/* A table outside RAM reads as all ones, as on real platforms:
	 * present, with reserved bits where the format has any. */
	uint64_t slot = egpa & ~7ull;
	walk_entry(
		w, level, egpa,
		entry_at(w, egpa, d->entry_size, ref_memory_read(w->mem, slot)),
		REF_FOREVER, c);
	if (w->current_only || w->stopped)
		return;
	/* Old values are in the order they ended: newest first, and stop at
	 * the first one that was gone before the floor. */
	const struct ref_history *h = ref_memory_history(w->mem, slot);
	for (unsigned i = h ? h->n : 0; i-- > 0 && !w->stopped;) {
		if (h->v[i].end <= w->floor)
			break;
		walk_entry(w, level, egpa,
			   entry_at(w, egpa, d->entry_size, h->v[i].val),
			   h->v[i].end, c);
	}
}

void ref_walk_run(struct ref_walk *w)
{
	const struct ref_root *r = w->root;
	struct ref_cand c = { .rights = SMMU_RIGHT_W | SMMU_RIGHT_U |
					SMMU_RIGHT_X,
			      .accessed = true,
			      .min_end = REF_FOREVER };
	w->stopped = false;
	if (r->mode == RM_PAE) {
		/* The PDPTE registers: loaded at MOV CR3, no A bit, no
		 * rights (SDM 4.4.1). */
		uint64_t e = r->pdpte[(w->la >> 30) & 3];
		if (!(e & X86_PTE_P) || (e & (X86_BITS(2, 1) | X86_BITS(8, 5) |
					      X86_BITS(63, w->maxphyaddr)))) {
			c.fault = true;
			c.fault_bits =
				(e & X86_PTE_P)
					? (uint32_t)(PFERR_P | PFERR_RSVD)
					: 0;
			if (r->end == REF_FOREVER)
				w->stopped = w->visit(&c, w->arg);
			return;
		}
		walk_level(w, 2, e & X86_BITS(51, 12), c);
		return;
	}
	walk_level(w, mode_desc[r->mode].levels, r->table, c);
}

/* ---- access rights (SDM 4.6) and error codes (SDM 4.7) ---- */

uint32_t ref_access_bits(const struct smmu_paging_regs *r,
			 const struct smmu_access *a)
{
	uint32_t err = 0;
	if (a->flags & SMMU_ACCESS_WRITE)
		err |= (uint32_t)PFERR_W;
	if (a->flags & SMMU_ACCESS_USER)
		err |= (uint32_t)PFERR_U;
	if ((a->flags & SMMU_ACCESS_FETCH) &&
	    ((r->cr4 & X86_CR4_SMEP) ||
	     ((r->cr4 & X86_CR4_PAE) && (r->efer & X86_EFER_NXE))))
		err |= (uint32_t)PFERR_I;
	return err;
}

/* Error code of a rights violation by `a` against candidate c under the
 * current control registers, or 0 when the access is allowed. */
uint32_t ref_rights_error(const struct smmu_paging_regs *r,
			  const struct ref_cand *c, const struct smmu_access *a)
{
	bool user = a->flags & SMMU_ACCESS_USER;
	bool write = a->flags & SMMU_ACCESS_WRITE;
	bool fetch = a->flags & SMMU_ACCESS_FETCH;
	bool uaddr = c->rights & SMMU_RIGHT_U;
	bool wp = r->cr0 & X86_CR0_WP;
	bool deny = false;

	if (user) {
		deny = !uaddr || (write && !(c->rights & SMMU_RIGHT_W)) ||
		       (fetch && !(c->rights & SMMU_RIGHT_X));
	} else if (fetch) {
		deny = (uaddr && (r->cr4 & X86_CR4_SMEP)) ||
		       !(c->rights & SMMU_RIGHT_X);
	} else {
		bool ac_ok = (a->flags & SMMU_ACCESS_AC) &&
			     !(a->flags & SMMU_ACCESS_IMPLICIT);
		if (uaddr && (r->cr4 & X86_CR4_SMAP) && !ac_ok)
			deny = true;
		if (write && wp && !(c->rights & SMMU_RIGHT_W))
			deny = true;
	}
	bool pk = false;
	if ((r->cr4 & X86_CR4_PKE) && (r->efer & X86_EFER_LMA) && uaddr &&
	    !fetch) {
		bool ad = a->pkru & (1u << (2 * c->pkey));
		bool wd = a->pkru & (2u << (2 * c->pkey));
		pk = ad || (wd && write && (user || wp));
	}
	if (!deny && !pk)
		return 0;
	return (uint32_t)PFERR_P | ref_access_bits(r, a) |
	       (pk ? (uint32_t)PFERR_PK : 0);
}
