/* SPDX-License-Identifier: MIT */
/*
 * The boot vCPU's own local APIC, before any second vCPU: x2APIC mode as
 * enabled, and a self IPI delivered once, only when interrupts are on.
 * They need no second vCPU, so a one-vCPU run checks them too.
 */
#ifndef SMP_APIC_CHECKS_H
#define SMP_APIC_CHECKS_H

#include "trap.h"

void check_x2apic_mode(const char *check);
void check_self_ipi(const char *check);
void check_hlt_wake(const char *check);
/* The handler for SELF_IPI_VECTOR. */
void self_ipi_interrupt(struct trap_frame *frame);

#endif /* SMP_APIC_CHECKS_H */
