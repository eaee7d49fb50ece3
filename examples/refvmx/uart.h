/* SPDX-License-Identifier: MIT */
/*
 * A virtual 16550A UART at COM1 (0x3F8-0x3FF, IRQ 4) for guests that
 * drive it with interrupts (a Linux guest's serial console: its TTY
 * output waits for the transmit interrupt). What the guest sends goes
 * to refvmx's own console (the real COM1) at once (a line at a time), so the
 * transmitter is always empty: THRE and TEMT read 1, and with IER.ETBEI the
 * "transmitter holding register empty" interrupt is pending after every
 * byte and whenever ETBEI is written 1, until IIR reads it or the next
 * byte is written (the 16550's rules). Nothing is ever received. The
 * interrupt line (gated by MCR.OUT2, as on a PC) goes to I/O APIC pin
 * 4; each rise is an edge (ioapic_pulse). Loopback mode (MCR.LOOP)
 * maps the modem-control outputs to the modem-status inputs; its bytes
 * go nowhere. The divisor latch, LCR, MCR and the scratch register keep
 * what is written. Other guests (the project's, kvm-unit-tests) get the
 * real COM1 passed through instead (ports.c).
 */
#ifndef REFVMX_UART_H
#define REFVMX_UART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_BASE 0x3f8
#define UART_IRQ  4

/* A byte access to register `reg` (0-7); a read returns the value. */
uint8_t uart_access(unsigned reg, bool write, uint8_t value);
/* The guest's output goes out a line at a time, so that refvmx's own
 * lines never cut one: this sends what is left of the last (at the end
 * of the run). */
void uart_flush(void);

#endif
