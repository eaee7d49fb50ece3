/* SPDX-License-Identifier: MIT */
/*
 * The guest's control registers: MOV to CR0, CR3, CR4 (every bit is
 * masked, so each change exits), MOV from CR3, CLTS, LMSW, MOV to and
 * from CR8 (the APIC's task priority), and XSETBV (XCR0). Paging bits
 * go to libshadowmmu; the other CR4 bits and XCR0 are checked against
 * what the guest's CPUID shows (guest_cpu.c).
 */
#ifndef REFVMX_CR_H
#define REFVMX_CR_H

#include "vcpu.h"

/* A control-register-access exit. */
void cr_access(struct vcpu *v);
/* An XSETBV exit. */
void cr_xsetbv(struct vcpu *v);

#endif
