/* SPDX-License-Identifier: MIT */
/*
 * The guest's I/O APIC (82093AA-style, version 0x20, 24 pins) at
 * 0xFEC00000: IOREGSEL at offset 0, IOWIN at 0x10, the EOI register at
 * 0x40; registers ID (0), version (1), arbitration (2) and the 24
 * redirection entries (0x10-0x3F). A pin's interrupt goes to the local
 * APICs as its entry says (vapic_deliver): fixed or lowest priority,
 * physical or logical destination. Devices raise pins as edges
 * (ioapic_pulse); a level-triggered entry is delivered the same way,
 * once per pulse, with remote IRR always 0. Only the virtual UART
 * (uart.c, IRQ 4) raises a pin.
 */
#ifndef REFVMX_IOAPIC_H
#define REFVMX_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_PINS 24

/* Whether gpa lies in the I/O APIC's page. */
bool ioapic_mmio_hit(uint64_t gpa);
/* A 32-bit load or store at `offset` in its page (other sizes read as
 * all ones or are dropped). */
void ioapic_mmio(unsigned offset, unsigned size, bool write, uint64_t *value);
/* An edge on `pin`: delivered unless the entry is masked. */
void ioapic_pulse(unsigned pin);

#endif
