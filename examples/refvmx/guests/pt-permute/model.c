/* SPDX-License-Identifier: MIT */
/*
 * The expected outcome of one access, from the SDM alone (vol. 3A):
 * 4.5.4 (the walk: a not-present entry, then reserved bits, level by
 * level from the top), 4.6 (access rights: user and supervisor, R/W
 * with CR0.WP, XD with EFER.NXE, SMEP, SMAP with EFLAGS.AC) and 4.7 (the
 * error code: P, W/R, U/S, RSVD, I/D only with NXE or SMEP).
 */
#include "permute.h"

#include <shadowmmu/x86.h>

struct outcome model_access(const struct permutation *p, uint64_t rsvd_mask)
{
	const struct controls *c = p->ctl;
	bool write = p->kind == ACCESS_WRITE, fetch = p->kind == ACCESS_FETCH;
	uint32_t base = (write ? PFERR_W : 0) | (p->user ? PFERR_U : 0) |
			(fetch && (c->nxe || c->smep) ? PFERR_I : 0);
	uint64_t walk[2] = { p->pde, p->pte };
	unsigned levels = p->large ? 1 : 2;

	for (unsigned i = 0; i < levels; i++) {
		uint64_t e = walk[i];
		if (!(e & X86_PTE_P))
			return (struct outcome){ true, base };
		/* XD is a reserved bit while EFER.NXE = 0 (4.1.4). */
		if ((e & rsvd_mask) || ((e & X86_PTE_XD) && !c->nxe))
			return (struct outcome){ true,
						 base | PFERR_P | PFERR_RSVD };
	}
	bool rw = true, us = true, xd = false;
	for (unsigned i = 0; i < levels; i++) {
		rw = rw && (walk[i] & X86_PTE_RW);
		us = us && (walk[i] & X86_PTE_US);
		xd = xd || (c->nxe && (walk[i] & X86_PTE_XD));
	}
	bool denied;
	if (p->user) {
		denied = !us || (write && !rw) || (fetch && xd);
	} else if (fetch) {
		denied = xd || (c->smep && us);
	} else {
		/* SMAP: a supervisor data access to a user page, unless
		 * EFLAGS.AC (an explicit access, 4.6.1). */
		denied = (write && !rw && c->wp) || (c->smap && us && !c->ac);
	}
	if (denied)
		return (struct outcome){ true, base | PFERR_P };
	return (struct outcome){ false, 0 };
}
