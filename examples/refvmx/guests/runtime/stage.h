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

#include "report.h"

void stage32_main(struct report_totals *totals);
__attribute__((noreturn)) void stage64_main(struct report_totals *totals);

#endif /* GUEST_STAGE_H */
