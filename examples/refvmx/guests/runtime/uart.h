/* SPDX-License-Identifier: MIT */
/*
 * Polled COM1 (16550 at 0x3f8), 115200 8N1: the guests' only output. No
 * interrupts, no FIFO assumptions: each byte waits for an empty holding
 * register, which works natively and when the port is passed through or
 * emulated by the hypervisor.
 */
#ifndef GUEST_UART_H
#define GUEST_UART_H

void uart_init(void);
void uart_putc(char c);
void uart_puts(const char *s);
/* Wait until the last byte has left the shift register (LSR.TEMT), so a
 * shutdown right after does not cut the log short. */
void uart_drain(void);

#endif /* GUEST_UART_H */
