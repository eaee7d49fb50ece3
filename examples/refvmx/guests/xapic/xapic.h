/* SPDX-License-Identifier: MIT */
/*
 * xapic: the local APIC through its memory-mapped registers (SDM vol.
 * 3A, chapter 10), as a guest that has not switched to x2APIC mode uses
 * it. The 32-bit stage, with paging off, reaches the page at its
 * physical address; the 64-bit stage maps it (and an alias above 4 GiB)
 * to read it with every MOV form and to switch modes.
 */
#ifndef XAPIC_H
#define XAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define APIC_PAGE 0xfee00000u

/* Register offsets (SDM table 10-1). */
#define APIC_ID		 0x20
#define APIC_VERSION	 0x30
#define APIC_TPR	 0x80
#define APIC_PPR	 0xa0
#define APIC_EOI	 0xb0
#define APIC_LDR	 0xd0
#define APIC_DFR	 0xe0
#define APIC_SVR	 0xf0
#define APIC_ISR	 0x100
#define APIC_IRR	 0x200
#define APIC_ESR	 0x280
#define APIC_ICR_LOW	 0x300
#define APIC_ICR_HIGH	 0x310
#define APIC_LVT_TIMER	 0x320
#define APIC_LVT_LINT0	 0x350
#define APIC_TIMER_INIT	 0x380
#define APIC_TIMER_COUNT 0x390
#define APIC_TIMER_DIV	 0x3e0

/* ICR fields (SDM figure 10-12). */
#define ICR_FIXED	 (0u << 8)
#define ICR_LOWEST	 (1u << 8)
#define ICR_NMI		 (4u << 8)
#define ICR_INIT	 (5u << 8)
#define ICR_STARTUP	 (6u << 8)
#define ICR_LOGICAL	 (1u << 11)
#define ICR_BUSY	 (1u << 12)
#define ICR_ASSERT	 (1u << 14)
#define ICR_LEVEL	 (1u << 15)
#define ICR_SELF	 (1u << 18)
#define ICR_ALL		 (2u << 18)
#define ICR_ALL_BUT_SELF (3u << 18)

#define MSR_APIC_BASE  0x1b
#define APIC_BASE_BSP  (1u << 8)
#define APIC_BASE_EXTD (1u << 10)
#define APIC_BASE_EN   (1u << 11)

static inline uint32_t apic_read(unsigned reg)
{
	return *(volatile uint32_t *)(uintptr_t)(APIC_PAGE + reg);
}

static inline void apic_write(unsigned reg, uint32_t value)
{
	*(volatile uint32_t *)(uintptr_t)(APIC_PAGE + reg) = value;
}

/* Send an IPI: ICR high (destination) first, then low, which sends;
 * then wait until the delivery-status bit clears (bounded). Returns
 * whether it did. */
bool apic_send(uint32_t low, uint8_t dest);
uint8_t apic_id(void);
/* Wait, bounded by TSC cycles, for *counter to reach want. */
bool wait_count(volatile uint32_t *counter, uint32_t want, uint64_t cycles);

/* The checks, by stage. */
void check_registers(void);   /* registers.c */
void check_priorities(void);  /* priorities.c */
void check_ipis(void);	      /* ipis.c */
void check_timer(void);	      /* timer.c */
void check_second_vcpu(void); /* second_cpu.c */

#endif
