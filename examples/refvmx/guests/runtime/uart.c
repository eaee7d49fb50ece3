/* SPDX-License-Identifier: MIT */
#include "uart.h"

#include "cpu.h"

#define COM1 0x3f8

/* Register offsets and bits of the 16550 UART. */
#define UART_THR 0 /* transmit holding register (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_FCR 2 /* FIFO control */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */

#define UART_LCR_8N1	 0x03
#define UART_LCR_DLAB	 0x80
#define UART_MCR_DTR_RTS 0x03
#define UART_LSR_THRE	 0x20 /* holding register empty: may write a byte */
#define UART_LSR_TEMT	 0x40 /* transmitter empty: every byte is out */

/* 115200 baud = 115200 Hz base clock / 1. */
#define UART_DIVISOR_115200 1

void uart_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, UART_LCR_DLAB);
	outb(COM1 + UART_DLL, UART_DIVISOR_115200 & 0xff);
	outb(COM1 + UART_DLM, UART_DIVISOR_115200 >> 8);
	outb(COM1 + UART_LCR, UART_LCR_8N1);
	outb(COM1 + UART_FCR, 0);
	outb(COM1 + UART_MCR, UART_MCR_DTR_RTS);
}

void uart_putc(char c)
{
	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE))
		;
	outb(COM1 + UART_THR, (uint8_t)c);
}

void uart_puts(const char *s)
{
	while (*s)
		uart_putc(*s++);
}

void uart_drain(void)
{
	while (!(inb(COM1 + UART_LSR) & UART_LSR_TEMT))
		;
}
