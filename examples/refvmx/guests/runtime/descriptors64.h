/* SPDX-License-Identifier: MIT */
/*
 * A 64-bit GDT with user segments and a TSS, for guests that need
 * privilege changes or IST stacks (64-bit stage): boot.S's three
 * segments at their selectors (gdt.h), then ring-3 data and 64-bit
 * code, then the TSS. The TSS's RSP0 is the stack an interrupt from
 * ring 3 runs on; IST1-3 are the stacks gates can name.
 */
#ifndef GUEST_DESCRIPTORS64_H
#define GUEST_DESCRIPTORS64_H

#include <stdint.h>

#include "gdt.h"

#define GDT_USER_DATA	(0x20 | 3) /* ring 3, RPL 3 */
#define GDT_USER_CODE64 (0x28 | 3)
#define GDT_TSS		0x30

/* Load the GDT and TR; each stack pointer is a top of stack (0: none). */
void descriptors64_load(uint64_t rsp0, const uint64_t ist[3]);

/* An interrupt gate in `idt` (256 entries of 16 bytes) to `handler`,
 * callable from ring `dpl`, on IST stack `ist` (0: none). */
void idt64_set_gate(void *idt, unsigned vector, const void *handler,
		    unsigned dpl, unsigned ist);
void idt64_load(void *idt);

#endif /* GUEST_DESCRIPTORS64_H */
