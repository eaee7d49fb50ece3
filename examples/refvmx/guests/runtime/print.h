/* SPDX-License-Identifier: MIT */
/*
 * A printf for the serial log: %s %c %d %u %x %p, the length modifiers l
 * and ll, a '0' flag and a field width. Lines end in '\n' only: the log is
 * a file read by scripts, not a terminal.
 */
#ifndef GUEST_PRINT_H
#define GUEST_PRINT_H

#include <stdarg.h>

__attribute__((format(printf, 1, 2))) void print(const char *fmt, ...);
void vprint(const char *fmt, va_list ap);

#endif /* GUEST_PRINT_H */
