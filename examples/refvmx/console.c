/* SPDX-License-Identifier: MIT */
#include "console.h"

#include <stdbool.h>

#include "cpu.h"

#define COM1	 0x3f8
#define LSR_THRE (1 << 5) /* transmit holding register empty */
#define LSR_TEMT (1 << 6) /* transmitter empty */

static volatile int console_lock;

void console_init(void)
{
	x86_outb(COM1 + 1, 0x00); /* no interrupts */
	x86_outb(COM1 + 3, 0x80); /* DLAB: divisor follows */
	x86_outb(COM1 + 0, 0x01); /* 115200 baud */
	x86_outb(COM1 + 1, 0x00);
	x86_outb(COM1 + 3, 0x03); /* 8N1 */
	x86_outb(COM1 + 2, 0xc7); /* FIFO on, cleared */
	x86_outb(COM1 + 4, 0x03); /* DTR, RTS */
}

static void put_raw(char c)
{
	while (!(x86_inb(COM1 + 5) & LSR_THRE))
		cpu_relax();
	x86_outb(COM1, (uint8_t)c);
}

static void put(char c)
{
	if (c == '\n')
		put_raw('\r');
	put_raw(c);
}

void console_drain(void)
{
	while (!(x86_inb(COM1 + 5) & LSR_TEMT))
		cpu_relax();
}

static void put_num(unsigned long long v, unsigned base, int width, bool zero,
		    bool negative)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (negative)
		buf[n++] = '-';
	while (n < width--)
		put(zero ? '0' : ' ');
	while (n)
		put(buf[--n]);
}

void kvprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(*fmt);
			continue;
		}
		fmt++;
		bool zero = *fmt == '0';
		int width = 0, longs = 0;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		unsigned long long u;
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			for (s = s ? s : "(null)"; *s; s++)
				put(*s);
			break;
		}
		case 'c':
			put((char)va_arg(ap, int));
			break;
		case 'd': {
			long long d =
				longs ? va_arg(ap, long long) : va_arg(ap, int);
			put_num(d < 0 ? 0ull - (unsigned long long)d
				      : (unsigned long long)d,
				10, width, zero, d < 0);
			break;
		}
		case 'u':
		case 'x':
			u = longs ? va_arg(ap, unsigned long long)
				  : va_arg(ap, unsigned int);
			put_num(u, *fmt == 'u' ? 10 : 16, width, zero, false);
			break;
		case 'p':
			put('0');
			put('x');
			put_num((uintptr_t)va_arg(ap, void *), 16, 0, false,
				false);
			break;
		case '%':
			put('%');
			break;
		default:
			put('%');
			put(*fmt);
			break;
		}
	}
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
	kvprintf(fmt, ap);
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
	va_end(ap);
}

void console_write_guest(const uint8_t *s, unsigned n)
{
	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
	for (unsigned i = 0; i < n; i++)
		put_raw((char)s[i]);
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kprintf("refvmx: panic: ");
	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
	kvprintf(fmt, ap);
	put('\n');
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
	va_end(ap);
	kprintf("refvmx: run failed: panic\n");
	console_drain();
	bochs_exit(false);
	for (;;)
		cpu_halt();
}
