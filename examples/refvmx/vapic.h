/* SPDX-License-Identifier: MIT */
/*
 * The guest's local APIC, in x2APIC mode only (MSRs 0x800-0x8ff): enough
 * for a guest to send IPIs between its vCPUs and start its other vCPUs.
 *
 * Deviation from hardware, documented for guests: without unrestricted
 * guest a vCPU cannot run real-mode code, so a STARTUP IPI with vector V
 * starts the target vCPU at V << 12 in 32-bit protected mode with paging
 * off and flat segments (EBX = its vCPU number), not in real mode. INIT
 * is accepted and does nothing. Destinations are physical x2APIC IDs,
 * which are vCPU numbers.
 */
#ifndef REFVMX_VAPIC_H
#define REFVMX_VAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "vcpu.h"

/* RDMSR/WRMSR of IA32_APIC_BASE or an x2APIC register: true if handled
 * (value in/out); false for other MSRs. */
bool vapic_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *value);
/* Before VM entry: deliver a pending interrupt if the guest can take one,
 * or ask for an exit when it can. */
void vapic_before_entry(struct vcpu *v);
/* The guest executed HLT: wait for an interrupt, if one can wake it.
 * false if none ever can (interrupts disabled). */
bool vapic_halt(struct vcpu *v);
/* An interrupt-window exit: the guest can take interrupts again. */
void vapic_window_open(struct vcpu *v);

#endif
