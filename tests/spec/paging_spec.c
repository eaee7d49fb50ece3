/* SPDX-License-Identifier: MIT */
/*
 * The SDM's paging rules, read literally. Section numbers are those of the
 * Intel SDM vol. 3A, chapter 4. Only the public header's constants (the #PF
 * error-code bits and SMMU_RIGHT_*) are shared with the library, because the
 * outcome has to be expressed in them.
 */
#include "paging_spec.h"

#include <shadowmmu/shadowmmu.h>
#include <string.h>

unsigned spec_levels(enum spec_mode mode)
{
	switch (mode) {
	case SPEC_MODE_32BIT:
		return 2;
	case SPEC_MODE_PAE:
		return 3;
	case SPEC_MODE_4LEVEL:
		return 4;
	}
	return 0;
}

/* 4.4.2, 4.5: entries are 64 bits wide in PAE and IA-32e paging and bit 63
 * is XD; 32-bit paging (4.3) has no execute-disable at all. */
static bool has_xd(enum spec_mode mode)
{
	return mode != SPEC_MODE_32BIT;
}

/* 4.4.2: in PAE paging the first entry is a PDPTE *register*. It has no R/W,
 * U/S, A or XD flag; its reserved bits were checked when it was loaded
 * (4.4.1, #GP then), so only its P flag matters to a translation. */
static bool is_pae_pdpte(const struct spec_case *c, unsigned i)
{
	return c->mode == SPEC_MODE_PAE && i == 0;
}

/* 4.7 RSVD: a present entry with a reserved bit set ends the walk. Only the
 * reserved bits a struct spec_entry can express are listed. */
static bool reserved_bit_set(const struct spec_case *c, unsigned i)
{
	const struct spec_entry *e = &c->entry[i];

	/* Tables 4-11, 4-14..4-19: bit 63 is XD if IA32_EFER.NXE = 1 and
	 * reserved otherwise. */
	if (has_xd(c->mode) && e->xd && !c->efer_nxe)
		return true;

	switch (c->mode) {
	case SPEC_MODE_32BIT:
		return false;
	case SPEC_MODE_PAE:
		/* Tables 4-9..4-11: bits 62:MAXPHYADDR are reserved, and
		 * MAXPHYADDR <= 52, so there is no protection-key field. */
		return !is_pae_pdpte(c, i) && e->pkey != 0;
	case SPEC_MODE_4LEVEL:
		/* Table 4-14: PS (bit 7) is reserved in a PML4E. */
		if (i == 0)
			return e->ps;
		/* 4.5: a PDPTE maps a 1-GByte page only where the CPU
		 * supports them; otherwise PS is reserved there. */
		if (i == 1)
			return e->ps && !c->gbpages;
		return false;
	}
	return false;
}

/* Does entry[i] map a page, rather than reference the next structure? */
static bool maps_page(const struct spec_case *c, unsigned i)
{
	const struct spec_entry *e = &c->entry[i];

	/* 4.3, 4.4.2, 4.5: a PTE always maps a 4-KByte page. */
	if (i == spec_levels(c->mode) - 1)
		return true;

	switch (c->mode) {
	case SPEC_MODE_32BIT:
		/* 4.3: a PDE with PS = 1 maps a 4-MByte page only if
		 * CR4.PSE = 1; with CR4.PSE = 0 the PS flag is ignored. */
		return e->ps && c->cr4_pse;
	case SPEC_MODE_PAE:
		/* 4.4.2: a PDE with PS = 1 maps a 2-MByte page. */
		return i == 1 && e->ps;
	case SPEC_MODE_4LEVEL:
		/* 4.5: PS = 1 maps a 1-GByte page in a PDPTE, a 2-MByte
		 * page in a PDE (PML4E.PS was rejected as reserved). */
		return i >= 1 && e->ps;
	}
	return false;
}

static uint64_t page_size(const struct spec_case *c, unsigned leaf)
{
	unsigned from_bottom = spec_levels(c->mode) - 1 - leaf;

	if (from_bottom == 0)
		return X86_PAGE_SIZE;
	if (c->mode == SPEC_MODE_32BIT)
		return X86_PAGE_SIZE_4M; /* 4.3 */
	return from_bottom == 1 ? X86_PAGE_SIZE_2M : X86_PAGE_SIZE_1G;
}

/* The access rights of a translation (4.6.1) and its protection key. */
struct rights {
	bool writable;	/* R/W = 1 in every entry controlling the translation */
	bool user;	/* U/S = 1 in every entry: a user-mode address */
	bool xd;	/* XD = 1 in some entry, and XD is in force */
	bool pk_active; /* 4.6.2: IA-32e paging and CR4.PKE = 1 */
	uint8_t pkey;
	bool ad, wd; /* PKRU bits for pkey */
};

static struct rights rights_of(const struct spec_case *c, unsigned leaf)
{
	struct rights r = { .writable = true, .user = true };

	for (unsigned i = 0; i <= leaf; i++) {
		const struct spec_entry *e = &c->entry[i];
		if (is_pae_pdpte(c, i))
			continue;
		r.writable = r.writable && e->rw;
		r.user = r.user && e->us;
		r.xd = r.xd || e->xd;
	}
	/* 4.6.1: XD restricts fetches only with PAE or IA-32e paging and
	 * IA32_EFER.NXE = 1 (with NXE = 0 a set XD already faulted as
	 * reserved). */
	r.xd = r.xd && has_xd(c->mode) && c->efer_nxe;

	/* 4.6.2: keys exist only with IA-32e paging and CR4.PKE = 1; the key
	 * is bits 62:59 of the entry that maps the page, and PKRU holds
	 * AD (bit 2i) and WD (bit 2i+1) for key i. */
	r.pk_active = c->mode == SPEC_MODE_4LEVEL && c->cr4_pke;
	if (r.pk_active) {
		r.pkey = c->entry[leaf].pkey;
		r.ad = (c->pkru >> (2 * r.pkey)) & 1;
		r.wd = (c->pkru >> (2 * r.pkey + 1)) & 1;
	}
	return r;
}

/* 4.6.2: may a data access of this kind go to a user-mode address with the
 * translation's protection key? AD forbids all data accesses; WD forbids
 * user-mode writes, and supervisor-mode writes only if CR0.WP = 1. */
static bool key_permits(const struct spec_case *c, const struct rights *r)
{
	if (!r->pk_active)
		return true;
	if (r->ad)
		return false;
	if (c->op == SPEC_WRITE && r->wd)
		return c->priv != SPEC_USER && !c->cr0_wp;
	return true;
}

/* 4.6.1: SMAP forbids supervisor data accesses to user-mode addresses
 * unless EFLAGS.AC = 1 and the access is explicit. */
static bool smap_forbids(const struct spec_case *c)
{
	return c->cr4_smap && (!c->eflags_ac || c->priv == SPEC_IMPLICIT);
}

/* 4.6.1, supervisor-mode accesses (explicit and implicit). */
static bool supervisor_allowed(const struct spec_case *c,
			       const struct rights *r)
{
	switch (c->op) {
	case SPEC_READ:
		/* Data may be read from any supervisor-mode address; from a
		 * user-mode address subject to SMAP and the key. */
		if (!r->user)
			return true;
		return !smap_forbids(c) && key_permits(c, r);
	case SPEC_WRITE:
		/* With CR0.WP = 0 data may be written whatever R/W says;
		 * with CR0.WP = 1 only where R/W = 1 in every entry. A
		 * user-mode address is further subject to SMAP and the
		 * key. */
		if (c->cr0_wp && !r->writable)
			return false;
		if (!r->user)
			return true;
		return !smap_forbids(c) && key_permits(c, r);
	case SPEC_FETCH:
		/* SMEP forbids fetches from user-mode addresses; XD (in
		 * force) forbids fetches from any address. Keys do not
		 * apply to fetches. */
		if (r->user && c->cr4_smep)
			return false;
		return !r->xd;
	}
	return false;
}

/* 4.6.1, user-mode accesses: never to a supervisor-mode address. */
static bool user_allowed(const struct spec_case *c, const struct rights *r)
{
	if (!r->user)
		return false;
	switch (c->op) {
	case SPEC_READ:
		return key_permits(c, r);
	case SPEC_WRITE:
		/* R/W = 1 in every entry, whatever CR0.WP says. */
		return r->writable && key_permits(c, r);
	case SPEC_FETCH:
		return !r->xd;
	}
	return false;
}

/* 4.7: the W/R, U/S and I/D bits describe the access, not the cause. */
static uint32_t access_bits(const struct spec_case *c)
{
	uint32_t bits = 0;

	if (c->op == SPEC_WRITE)
		bits |= PFERR_W;
	/* Implicit supervisor-mode accesses report U/S = 0 at any CPL. */
	if (c->priv == SPEC_USER)
		bits |= PFERR_U;
	/* I/D: a fetch, and either CR4.SMEP = 1 or both CR4.PAE = 1 (PAE
	 * or IA-32e paging) and IA32_EFER.NXE = 1. */
	if (c->op == SPEC_FETCH &&
	    (c->cr4_smep || (c->mode != SPEC_MODE_32BIT && c->efer_nxe)))
		bits |= PFERR_I;
	return bits;
}

/* 4.7 PK: set when LMA = PKE = 1, the access is a data access to a
 * user-mode address, and PKRU has AD = 1 for its key, or WD = 1 for a
 * write that is either a user-mode access or made with CR0.WP = 1. It
 * depends on nothing else, so it is set alongside any other violation. */
static bool pk_flag(const struct spec_case *c, const struct rights *r)
{
	if (!r->pk_active || c->op == SPEC_FETCH || !r->user)
		return false;
	if (r->ad)
		return true;
	return r->wd && c->op == SPEC_WRITE &&
	       (c->cr0_wp || c->priv == SPEC_USER);
}

static void fault(struct spec_outcome *out, uint32_t error)
{
	out->fault = true;
	out->pf_error = error;
}

void spec_decide(const struct spec_case *c, struct spec_outcome *out)
{
	unsigned levels = spec_levels(c->mode);
	unsigned leaf;

	memset(out, 0, sizeof(*out));
	/* This library's A/D policy: a faulting access leaves guest memory
	 * as it was (4.8 allows, but does not require, setting accessed
	 * flags on a faulting access). */
	for (unsigned i = 0; i < levels; i++) {
		out->a_after[i] = c->entry[i].a;
		out->d_after[i] = c->entry[i].d;
	}

	/* 4.3, 4.4.2, 4.5: entries are used from the root down until one
	 * maps the page. A translation that would use an entry with P = 0
	 * does not exist (#PF, P = 0: reserved bits of a not-present entry
	 * are never looked at); nor does one that would use a present entry
	 * with a reserved bit set (#PF, P = RSVD = 1, never PK). */
	for (leaf = 0;; leaf++) {
		if (!c->entry[leaf].p) {
			fault(out, access_bits(c));
			return;
		}
		if (reserved_bit_set(c, leaf)) {
			fault(out, PFERR_P | PFERR_RSVD | access_bits(c));
			return;
		}
		if (maps_page(c, leaf))
			break;
	}

	/* 4.6: there is a translation; the access must be permitted by its
	 * rights, else #PF with P = 1. */
	struct rights r = rights_of(c, leaf);
	bool allowed = c->priv == SPEC_USER ? user_allowed(c, &r)
					    : supervisor_allowed(c, &r);
	if (!allowed) {
		fault(out, PFERR_P | access_bits(c) |
				   (pk_flag(c, &r) ? PFERR_PK : 0));
		return;
	}

	out->leaf = leaf;
	out->page_size = page_size(c, leaf);
	out->rights = (r.writable ? SMMU_RIGHT_W : 0) |
		      (r.user ? SMMU_RIGHT_U : 0) | (r.xd ? 0 : SMMU_RIGHT_X);
	/* 4.10.2.4: G makes a translation global only if CR4.PGE = 1. */
	out->global = c->entry[leaf].g && c->cr4_pge;
	/* 4.6.2: without IA-32e paging and CR4.PKE = 1 there is no key. */
	out->pkey = r.pkey;

	/* 4.8: every entry used gets A = 1 (the PAE PDPTE registers have no
	 * A flag, Table 4-8); a write sets D in the entry that maps the
	 * page. */
	for (unsigned i = 0; i <= leaf; i++)
		if (!is_pae_pdpte(c, i))
			out->a_after[i] = true;
	if (c->op == SPEC_WRITE)
		out->d_after[leaf] = true;
}
