/* SPDX-License-Identifier: MIT */
/*
 * The two stages every guest provides (see ../README.md, "How an image is
 * built"). boot.S runs them in order: the 32-bit stage, a separately
 * linked i386 blob, with paging off on entry and on return; then the
 * 64-bit stage in IA-32e mode on boot.S's identity map. Both count into
 * the same totals.
 */
#ifndef GUEST_STAGE_H
#define GUEST_STAGE_H

#include <stdint.h>

#include "report.h"

/* What the loader left at the entry (boot.S keeps it before it changes
 * anything): the Multiboot magic in EAX and, for Multiboot 1, the
 * information structure's address in EBX; EFLAGS and CR0. */
struct boot_entry {
	uint32_t magic;
	uint32_t info;
	uint32_t eflags;
	uint32_t cr0;
};

void stage32_main(struct report_totals *totals, const struct boot_entry *entry);
__attribute__((noreturn)) void stage64_main(struct report_totals *totals);

#endif /* GUEST_STAGE_H */
