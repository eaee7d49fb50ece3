/* SPDX-License-Identifier: MIT */
#include "report.h"

#include <stdarg.h>

#include "cpu.h"
#include "print.h"
#include "uart.h"

/* Under refvmx a byte written here ends the run with that status. */
#define TEST_EXIT_PORT 0xf4
/* Bochs's shutdown port: "D" exits 0 with the -rc file's quit, the string
 * "Shutdown" exits 1 (../../../shared/BOCHS.md has the details). */
#define BOCHS_SHUTDOWN_PORT 0x8900

static struct report_totals *totals;
static const char *guest_name = "guest";
static const char *mode_name;
static const char *running = "(setup)";

void report_init(struct report_totals *t, const char *guest)
{
	/* The second stage initialises the UART again: let the first
	 * stage's last byte out before reprogramming it. */
	uart_drain();
	uart_init();
	totals = t;
	guest_name = guest;
}

void report_mode(const char *mode)
{
	mode_name = mode;
	running = "(setup)";
}

void report_running(const char *check)
{
	running = check;
}

static void print_check(const char *verdict, const char *check)
{
	if (mode_name)
		print("%s %s/%s", verdict, mode_name, check);
	else
		print("%s %s", verdict, check);
}

void report_pass(const char *check)
{
	totals->passed++;
	print_check("PASS", check);
	print("\n");
}

void report_fail(const char *check, const char *fmt, ...)
{
	va_list ap;

	totals->failed++;
	print_check("FAIL", check);
	print(": ");
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	print("\n");
}

void report_skip(const char *check, const char *why)
{
	totals->skipped++;
	print_check("SKIP", check);
	print(": %s\n", why);
}

void report_note(const char *fmt, ...)
{
	va_list ap;

	print("# ");
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	print("\n");
}

void report_fatal(const char *fmt, ...)
{
	va_list ap;

	totals->failed++;
	print_check("FAIL", running);
	print(": ");
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	print("\n");
	report_finish();
}

static void outs(uint16_t port, const char *s)
{
	while (*s)
		outb(port, (uint8_t)*s++);
}

void report_finish(void)
{
	uint32_t failed = totals->failed;

	print("%s: done, %u passed, %u failed, %u skipped\n", guest_name,
	      totals->passed, failed, totals->skipped);
	uart_drain();
	outb(TEST_EXIT_PORT, failed > 255 ? 255 : (uint8_t)failed);

	/* Still here: no hypervisor took the exit port, so this is a native
	 * run under Bochs. */
	if (failed == 0)
		outb(BOCHS_SHUTDOWN_PORT, 'D');
	else
		outs(BOCHS_SHUTDOWN_PORT, "Shutdown");
	halt_forever();
}
