/* SPDX-License-Identifier: MIT */
/* This CPU's local APIC: x2APIC when the CPU has it, xAPIC otherwise. */
#ifndef REFVMX_LAPIC_H
#define REFVMX_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* The vector remote flush requests and kicks arrive on. */
#define IPI_VECTOR 0xf0
/* The host's own one-shot timer, which ends a wait (idle.c). */
#define WAKE_TIMER_VECTOR 0xef

/* Enable this CPU's local APIC (x2APIC mode if available). */
void lapic_init(void);
bool lapic_x2apic(void);
uint32_t lapic_id(void);
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
/* INIT, then two STARTUPs at page `vector` (SDM 8.4.4.1). */
void lapic_start_ap(uint32_t apic_id, uint8_t vector);
void lapic_eoi(void);
/* The timer in one-shot mode on WAKE_TIMER_VECTOR, due in `tsc` TSC
 * cycles (lapic_timer_calibrate first, on the boot CPU); 0 stops it. */
void lapic_timer_calibrate(void);
void lapic_timer_oneshot(uint64_t tsc);
/* A rough busy wait, for the INIT-SIPI-SIPI delays. */
void delay_us(unsigned us);

#endif
