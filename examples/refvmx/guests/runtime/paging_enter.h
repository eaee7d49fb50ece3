/* SPDX-License-Identifier: MIT */
/*
 * Switching the CPU onto an address space. The 32-bit stage turns paging
 * off and on around every mode change, the way the SDM's "Paging-Mode
 * Enabling" (vol. 3, 4.1.2) moves between modes; the 64-bit stage loads
 * CR3, or leaves and re-enters IA-32e mode to flip CR4.LA57, which MOV to
 * CR4 cannot change while IA-32e mode is active (same section).
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
