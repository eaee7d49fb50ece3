/* SPDX-License-Identifier: MIT */
/* The host's console: COM1, polled, shared by every CPU. */
#ifndef REFVMX_CONSOLE_H
#define REFVMX_CONSOLE_H

#include <stdarg.h>
#include <stdint.h>

void console_init(void);
/* printf subset: %s %c %d %u %x %lx %llx %p, optional width and 0 flag
 * on the numbers; whole lines are kept together across CPUs. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
/* Bytes the guest sent through its virtual UART (uart.c), as they
 * are, together: a line of the guest's is never cut by refvmx's. */
void console_write_guest(const uint8_t *s, unsigned n);
/* Wait until the UART has sent everything (before ending a run). */
void console_drain(void);
/* Print, then stop this CPU for good. */
void panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
