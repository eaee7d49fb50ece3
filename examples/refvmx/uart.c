/* SPDX-License-Identifier: MIT */
#include "uart.h"

#include "console.h"
#include "cpu.h"
#include "ioapic.h"

#define IER_RDI	  0x01 /* received data available */
#define IER_THRI  0x02 /* transmitter holding register empty */
#define IIR_NONE  0x01
#define IIR_THRI  0x02
#define IIR_FIFO  0xc0
#define FCR_FIFO  0x01
#define LCR_DLAB  0x80
#define MCR_OUT2  0x08
#define MCR_LOOP  0x10
#define LSR_EMPTY 0x60 /* THRE | TEMT */

static struct {
	volatile int lock;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thre_pending; /* the THRE interrupt, until IIR reads it */
	bool line;	   /* the interrupt output as last seen */
} u = { .dll = 1 };

/* The guest's output, a line at a time (uart_flush for the rest). */
static uint8_t out_line[160];
static unsigned line_len;

static void line_put(uint8_t c)
{
	out_line[line_len++] = c;
	if (c == '\n' || line_len == sizeof(out_line)) {
		console_write_guest(out_line, line_len);
		line_len = 0;
	}
}

void uart_flush(void)
{
	while (__atomic_exchange_n(&u.lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
	if (line_len)
		console_write_guest(out_line, line_len);
	line_len = 0;
	__atomic_store_n(&u.lock, 0, __ATOMIC_RELEASE);
}

static uint8_t iir(void)
{
	uint8_t fifo = (u.fcr & FCR_FIFO) ? IIR_FIFO : 0;
	if ((u.ier & IER_THRI) && u.thre_pending)
		return fifo | IIR_THRI;
	return fifo | IIR_NONE;
}

static uint8_t msr(void)
{
	if (!(u.mcr & MCR_LOOP))
		return 0xb0; /* DCD, DSR, CTS: a line is there */
	/* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
	return (uint8_t)(((u.mcr & 1) << 5) | ((u.mcr & 2) << 3) |
			 ((u.mcr & 4) << 4) | ((u.mcr & 8) << 4));
}

/* A rise of the interrupt output is an edge on the I/O APIC's pin. */
static bool line_rose(void)
{
	bool line = (u.mcr & MCR_OUT2) && !(u.mcr & MCR_LOOP) &&
		    !(iir() & IIR_NONE);
	bool rose = line && !u.line;
	u.line = line;
	return rose;
}

uint8_t uart_access(unsigned reg, bool write, uint8_t value)
{
	uint8_t out = 0xff;
	while (__atomic_exchange_n(&u.lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
	bool dlab = u.lcr & LCR_DLAB;
	switch (reg) {
	case 0:
		if (dlab) {
			if (write)
				u.dll = value;
			out = u.dll;
		} else if (write) {
			if (!(u.mcr & MCR_LOOP))
				line_put(value);
			u.thre_pending = true; /* sent at once */
		} else {
			out = 0; /* nothing received */
		}
		break;
	case 1:
		if (dlab) {
			if (write)
				u.dlm = value;
			out = u.dlm;
		} else {
			if (write) {
				if (value & IER_THRI)
					u.thre_pending = true;
				u.ier = value & 0x0f;
			}
			out = u.ier;
		}
		break;
	case 2:
		if (write) {
			u.fcr = value & ~0x06; /* the clear bits self-clear */
		} else {
			out = iir();
			if ((out & 0x0f) == IIR_THRI)
				u.thre_pending = false;
		}
		break;
	case 3:
		if (write)
			u.lcr = value;
		out = u.lcr;
		break;
	case 4:
		if (write)
			u.mcr = value & 0x1f;
		out = u.mcr;
		break;
	case 5:
		out = LSR_EMPTY;
		break;
	case 6:
		out = msr();
		break;
	case 7:
		if (write)
			u.scr = value;
		out = u.scr;
		break;
	}
	bool rose = line_rose();
	__atomic_store_n(&u.lock, 0, __ATOMIC_RELEASE);
	if (rose)
		ioapic_pulse(UART_IRQ);
	return out;
}
