/* SPDX-License-Identifier: MIT */
/*
 * The local APIC timer of a vCPU (SDM vol. 3A 10.5.4): one-shot and
 * periodic modes, the divide configuration, initial and current count.
 * It counts at the TSC's rate divided by the configured divisor (the
 * SDM leaves the timer's clock to the platform; here one tick at divide
 * 1 is one TSC cycle). Expiry is noticed at every VM exit and while the
 * vCPU halts; to make the guest exit when it is due, each VM entry
 * arms the VMX-preemption timer (SDM 26.5.1) for the time left. The
 * TSC-deadline mode is not offered (CPUID.1:ECX[24] is 0).
 */
#ifndef REFVMX_APIC_TIMER_H
#define REFVMX_APIC_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

struct apic_timer {
	uint32_t initial; /* initial-count register */
	uint32_t divide;  /* divide-configuration register (bits 3, 1:0) */
	bool running;	/* counting: not yet expired (one-shot), or periodic */
	uint64_t start; /* TSC at which the current count was `initial` */
};

/* Register writes (the LVT timer entry is the APIC's; tell the timer
 * before it changes, so that the old mode judges the time passed). */
void apic_timer_write_initial(struct vcpu *v, uint32_t count);
void apic_timer_write_divide(struct vcpu *v, uint32_t dcr);
void apic_timer_before_lvt_write(struct vcpu *v);
/* The current-count register. */
uint32_t apic_timer_current(struct vcpu *v);
/* Raise the LVT timer interrupt if the count has run out (reloading in
 * periodic mode). */
void apic_timer_check(struct vcpu *v);
/* TSC cycles until the next expiry, or 0 when the timer is stopped. */
uint64_t apic_timer_due_in(struct vcpu *v);

#endif
