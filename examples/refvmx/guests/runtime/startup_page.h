/* SPDX-License-Identifier: MIT */
/*
 * Starting another vCPU (32-bit stage): the startup stub
 * (startup_stub.S) copied to LAYOUT_STARTUP_PAGE with its slots filled,
 * so that a STARTUP IPI with vector STARTUP_PAGE_VECTOR sends the vCPU
 * into entry(entered_in_real_mode) on `stack_top`, in 32-bit protected
 * mode on this image's GDT, whichever state the IPI left it in (real
 * mode natively, protected mode under refvmx).
 */
#ifndef GUEST_STARTUP_PAGE_H
#define GUEST_STARTUP_PAGE_H

#include <stdint.h>

#include "layout.h"

#define STARTUP_PAGE_VECTOR (LAYOUT_STARTUP_PAGE >> 12)

void startup_page_install(uint32_t stack_top,
			  void (*entry)(uint32_t entered_in_real_mode));

#endif /* GUEST_STARTUP_PAGE_H */
