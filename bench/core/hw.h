/* SPDX-License-Identifier: MIT */
/*
 * The "hardware": a walk of the shadow tables from the root
 * smmu_vcpu_enter gave (smmu_entry.cr3), through the pool pages' host
 * pointers, as the CPU's page walker would do it. No TLB: every access
 * walks. A guest store sets D in the leaf spte it goes through, as the
 * CPU does (SDM 4.8; the library's write watch of out-of-sync tables
 * relies on it); A bits are not set, nothing in the library reads them.
 */
#ifndef CB_HW_H
#define CB_HW_H

#include <stdint.h>

#include "host.h"

/* The 4 KiB leaf spte the CPU finds for la from root cr3 (PCID bits
 * ignored), or 0 if some level is not present. */
static inline uint64_t cb_hw_walk(const struct cb_host *h, uint64_t cr3,
				  uint64_t la)
{
	const uint64_t *t = cb_host_hva(h, cr3 & X86_BITS(51, 12));
	for (int level = 4; t; level--) {
		uint64_t e = t[(la >> (12 + 9 * (level - 1))) & 511];
		if (!(e & X86_PTE_P))
			return 0;
		if (level == 1)
			return e;
		if (e & X86_PTE_PS)
			return 0; /* the guest has no large pages */
		t = cb_host_hva(h, e & X86_BITS(51, 12));
	}
	return 0;
}

/* A guest store to la: the leaf spte must be present and writable, and
 * gets D if it lacks it. The leaf spte, or 0 if the store would fault. */
static inline uint64_t cb_hw_store(const struct cb_host *h, uint64_t cr3,
				   uint64_t la)
{
	uint64_t *t = cb_host_hva(h, cr3 & X86_BITS(51, 12));
	for (int level = 4; t; level--) {
		uint64_t *p = &t[(la >> (12 + 9 * (level - 1))) & 511];
		uint64_t e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		if (!(e & X86_PTE_P) || (e & X86_PTE_PS))
			return 0;
		if (level == 1) {
			if (!(e & X86_PTE_RW))
				return 0;
			if (!(e & X86_PTE_D))
				e = __atomic_fetch_or(p, X86_PTE_D,
						      __ATOMIC_ACQ_REL) |
				    X86_PTE_D;
			return e;
		}
		t = cb_host_hva(h, e & X86_BITS(51, 12));
	}
	return 0;
}

/* Level-1 shadow pages the root reaches. */
unsigned cb_hw_leaf_tables(const struct cb_host *h, uint64_t cr3);

#endif
