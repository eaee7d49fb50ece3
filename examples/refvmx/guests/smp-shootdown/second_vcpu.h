/* SPDX-License-Identifier: MIT */
/*
 * The second vCPU's side: it serves the boot vCPU's requests and
 * shootdowns (mailbox.h) until the run ends, never ending it itself. Its
 * entry points are reached from assembly: the startup stub (32-bit
 * stage) and second_vcpu_entry64.S (64-bit stage).
 */
#ifndef SMP_SECOND_VCPU_H
#define SMP_SECOND_VCPU_H

#include <stdint.h>

#include "trap.h"

#ifdef __x86_64__
__attribute__((noreturn)) void second_vcpu_main64(void);
#else
__attribute__((noreturn)) void
second_vcpu_main32(uint32_t entered_in_real_mode);
/* The stack the startup stub gives it (its top). */
uintptr_t second_vcpu_stack32_top(void);
/* second_vcpu_to_64bit.S. */
__attribute__((noreturn)) void second_vcpu_to_64bit(uint32_t root,
						    uint32_t entry64);
#endif

/* Installed by the boot vCPU in each stage's IDT, run by the second
 * vCPU: perform the mailbox's flush and acknowledge it. */
void second_vcpu_shootdown_interrupt(struct trap_frame *frame);
/* The local APIC's spurious vector: no EOI (SDM 10.9). */
void spurious_interrupt(struct trap_frame *frame);

#endif /* SMP_SECOND_VCPU_H */
