/* SPDX-License-Identifier: MIT */
#include "print.h"

#include <stdbool.h>
#include <stdint.h>

#include "uart.h"

/* Divides *v by base (10 or 16), returns the remainder. In 32-bit bits
 * of 16 at a time: a 64-bit division would call libgcc, which the 32-bit
 * stage does not link. */
static unsigned int divide(unsigned long long *v, unsigned int base)
{
	uint32_t hi = (uint32_t)(*v >> 32), lo = (uint32_t)*v;
	uint32_t q_hi = hi / base, rest = hi % base;
	uint32_t mid = rest << 16 | lo >> 16;
	uint32_t q_mid = mid / base;
	uint32_t low = (mid % base) << 16 | (lo & 0xffff);
	uint32_t q_low = low / base;

	*v = (unsigned long long)q_hi << 32 | q_mid << 16 | q_low;
	return low % base;
}

static void print_number(unsigned long long v, unsigned int base, bool neg,
			 unsigned int width, char pad)
{
	char digits[24];
	unsigned int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[divide(&v, base)];
	} while (v);
	if (neg)
		digits[n++] = '-';
	while (width > n) {
		uart_putc(pad);
		width--;
	}
	while (n)
		uart_putc(digits[--n]);
}

void vprint(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		unsigned int width = 0, longs = 0;
		char pad = ' ';
		unsigned long long v;
		bool neg = false;

		if (*fmt != '%') {
			uart_putc(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = *fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned int)(*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}

		switch (*fmt) {
		case 's':
			uart_puts(va_arg(ap, const char *));
			continue;
		case 'c':
			uart_putc((char)va_arg(ap, int));
			continue;
		case 'p':
			uart_puts("0x");
			print_number((uintptr_t)va_arg(ap, void *), 16, false,
				     width, pad);
			continue;
		case 'd': {
			long long s = longs > 1	   ? va_arg(ap, long long)
				      : longs == 1 ? va_arg(ap, long)
						   : va_arg(ap, int);
			neg = s < 0;
			v = neg ? 0ull - (unsigned long long)s
				: (unsigned long long)s;
			print_number(v, 10, neg, width, pad);
			continue;
		}
		case 'u':
		case 'x':
			v = longs > 1	 ? va_arg(ap, unsigned long long)
			    : longs == 1 ? va_arg(ap, unsigned long)
					 : va_arg(ap, unsigned int);
			print_number(v, *fmt == 'x' ? 16 : 10, false, width,
				     pad);
			continue;
		case '\0':
			return;
		default:
			uart_putc('%');
			uart_putc(*fmt);
		}
	}
}

void print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}
