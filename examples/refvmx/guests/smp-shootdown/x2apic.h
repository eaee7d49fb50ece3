/* SPDX-License-Identifier: MIT */
/*
 * The local APIC in x2APIC mode, through its MSRs (SDM vol. 3, 10.12):
 * the only interface refvmx gives a guest, and one Bochs's CPU models
 * with CPUID.1:ECX[21] have natively.
 */
#ifndef SMP_X2APIC_H
#define SMP_X2APIC_H

#include <stdbool.h>
#include <stdint.h>

/* CPUID.1:ECX[21]. */
bool x2apic_supported(void);
/* This vCPU's local APIC: globally enabled in x2APIC mode (natively a
 * transition from xAPIC mode, under refvmx already so), software-enabled
 * with SPURIOUS_VECTOR, accepting every priority. The LINT0/LINT1 inputs
 * are masked: the guest has no use for the 8259 or NMIs. */
void x2apic_enable(void);
/* IA32_APIC_BASE reads EN and EXTD set. */
bool x2apic_active(void);
uint32_t x2apic_id(void);

/* End of interrupt: natively the in-service bit would otherwise hold back
 * every later interrupt of the same or lower priority. */
void x2apic_eoi(void);

void x2apic_send_fixed(uint32_t destination, uint8_t vector);
void x2apic_send_init(uint32_t destination);
void x2apic_send_startup(uint32_t destination, uint8_t vector);
void x2apic_send_self(uint8_t vector);

#endif /* SMP_X2APIC_H */
