/* SPDX-License-Identifier: MIT */
/*
 * The guest's local APIC, in xAPIC mode (registers in the 4 KiB page at
 * IA32_APIC_BASE, 0xFEE00000 after reset, reached by decoding the
 * guest's loads and stores: mmio.c) or x2APIC mode (MSRs 0x800-0x8FF),
 * switched through IA32_APIC_BASE as the SDM allows (vol. 3A 10.12.5).
 * It holds ID, version, TPR/PPR, EOI with the in-service register,
 * SVR, LDR/DFR, ESR, ICR, the LVTs and the timer (apic_timer.c); it sends
 * IPIs between vCPUs (fixed, lowest priority, NMI, INIT, STARTUP, with
 * destination shorthands, physical or logical destinations) and gives
 * the guest its highest pending interrupt when the priorities allow
 * (SDM 10.8.3.1: a vector whose class is not above the processor
 * priority class waits).
 *
 * Deviations from hardware, for guests to know:
 * - without unrestricted guest a vCPU cannot run real-mode code, so a
 *   STARTUP IPI with vector V starts the target at V << 12 in 32-bit
 *   protected mode with paging off and flat segments (EBX = its vCPU
 *   number), not in real mode; INIT is accepted and does nothing;
 * - interrupts are edge-triggered only (the I/O APIC, ioapic.c, sends
 *   level-triggered ones as edges), so TMR reads 0 and EOI is not
 *   broadcast; lowest-priority interrupts go to the lowest-numbered
 *   vCPU among the destinations.
 */
#ifndef REFVMX_VAPIC_H
#define REFVMX_VAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "apic_timer.h"

struct vcpu;

#define VAPIC_NR_LVT 6 /* timer, thermal, performance, LINT0, LINT1, error */

struct vapic {
	uint64_t base;	   /* IA32_APIC_BASE as the guest sees it */
	uint32_t xapic_id; /* the xAPIC ID register (ID in bits 31:24) */
	uint32_t tpr, svr, ldr, dfr;
	uint32_t esr, esr_pending;
	uint32_t lvt[VAPIC_NR_LVT];
	uint32_t icr_low, icr_high;
	struct apic_timer timer;
	/* Requested vectors: any CPU sets bits, this vCPU takes them. */
	volatile uint64_t irr[4];
	uint64_t isr[4];
};

/* The power-up state (SDM 10.4.7.1): xAPIC mode at 0xFEE00000, the
 * initial APIC ID = the vCPU number, every LVT masked, software
 * disabled. */
void vapic_reset(struct vcpu *v);

/* IA32_APIC_BASE: true if the write is one the SDM allows (it then
 * takes effect), false for #GP. */
bool vapic_set_base(struct vcpu *v, uint64_t value);
/* An x2APIC register MSR (0x800-0x8FF): true if handled (value in or
 * out), false for #GP (not in x2APIC mode, no such register, a read of
 * a write-only one or the other way round, reserved bits). */
bool vapic_x2apic_msr(struct vcpu *v, uint32_t msr, bool write,
		      uint64_t *value);
/* Whether gpa lies in the APIC's page as IA32_APIC_BASE places it. */
bool vapic_mmio_hit(const struct vcpu *v, uint64_t gpa);
/* A load or store of `size` bytes at page offset `offset` of that
 * page. In xAPIC mode the registers; disabled or in x2APIC mode the
 * page is not decoded: reads return all ones and writes vanish. */
void vapic_mmio(struct vcpu *v, unsigned offset, unsigned size, bool write,
		uint64_t *value);
/* MOV to/from CR8: the task priority's class (SDM 10.8.6.1). */
void vapic_set_cr8(struct vcpu *v, uint64_t cr8);
uint64_t vapic_cr8(const struct vcpu *v);

/* An interrupt from this APIC's own sources (an LVT entry): pending if
 * the APIC accepts it. */
void vapic_post_local(struct vcpu *v, uint8_t vector);

/* An interrupt message from the I/O APIC (ioapic.c): an 8-bit
 * destination, physical or logical, delivery mode (fixed, lowest
 * priority, NMI; the others are dropped) and vector. */
void vapic_deliver(uint8_t dest, bool logical, unsigned mode, uint8_t vector);

/* Whether a pending interrupt's priority allows delivery now. */
bool vapic_interrupt_ready(struct vcpu *v);
/* Acknowledge the highest such interrupt (IRR to ISR): its vector, or
 * -1 if there is none. */
int vapic_accept(struct vcpu *v);
/* The guest executed HLT: wait until an interrupt or NMI can wake it.
 * false if none ever can (interrupts disabled, no NMI pending). */
bool vapic_halt(struct vcpu *v);
/* Whether the APIC is enabled (IA32_APIC_BASE.EN): CPUID.1:EDX.APIC
 * follows it (SDM 10.4.3). */
bool vapic_enabled(const struct vcpu *v);

#endif
