/* SPDX-License-Identifier: MIT */
/*
 * Switching the CPU onto an address space. The 32-bit stage turns paging
 * off and on around every mode change (SDM 9.8.2: CR4.PAE and the paging
 * mode are changed with CR0.PG clear); the 64-bit stage loads CR3, or
 * leaves and re-enters IA-32e mode to flip CR4.LA57, which cannot change
 * while IA-32e mode is active (SDM 4.1.1 and 2.5).
 */
#ifndef GUEST_PAGING_ENTER_H
#define GUEST_PAGING_ENTER_H

#include "address_space.h"

/* Paging on, in as->mode, on as->root, with CR0.WP = 1 and CR4.PGE = 0
 * (32-bit stage; the 64-bit stage leaves CR0 and CR4.PGE alone). */
void paging_enter(const struct address_space *as);

#ifndef __x86_64__
/* Paging off (32-bit stage only). */
void paging_leave(void);
#endif

#endif /* GUEST_PAGING_ENTER_H */
