/* SPDX-License-Identifier: MIT */
#include "report.h"

#include <stdarg.h>

#include "cpu.h"
#include "print.h"
#include "spinlock.h"
#include "uart.h"

/* Under refvmx (and QEMU's isa-debug-exit device) a write here ends the
 * run with that status. */
#define TEST_EXIT_PORT 0xf4
/* Bochs's shutdown port: "D" exits 0 with the -rc file's quit, the string
 * "Shutdown" exits 1 (../../../shared/BOCHS.md has the details). */
#define BOCHS_SHUTDOWN_PORT 0x8900
/* IA32_APIC_BASE.BSP (SDM vol. 3, 10.4.4): set on the bootstrap
 * processor only, natively and under refvmx (its vCPU 0). */
#define MSR_APIC_BASE 0x1b
#define APIC_BASE_BSP (1u << 8)
/* How long a line waits for another CPU's: far longer than any line
 * takes to print, and bounded so that a CPU that stopped in the middle
 * of one (an exception while printing) cannot silence the others; an
 * interleaved line is the lesser harm. */
#define LINE_LOCK_SPINS (1u << 24)

static struct report_totals *totals;
static const char *guest_name = "guest";
static const char *mode_name;
static const char *running = "(setup)";

/* Every line, and the count that goes with it, between these two. */
static bool line_begin(void)
{
	for (uint32_t spins = 0; spins < LINE_LOCK_SPINS; spins++) {
		if (spin_try_lock(&totals->line_lock))
			return true;
		cpu_pause();
	}
	return false;
}

static void line_end(bool locked)
{
	if (locked)
		spin_unlock(&totals->line_lock);
}

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
	bool locked = line_begin();

	totals->passed++;
	print_check("PASS", check);
	print("\n");
	line_end(locked);
}

static void fail_line(const char *check, const char *fmt, va_list ap)
{
	bool locked = line_begin();

	totals->failed++;
	print_check("FAIL", check);
	print(": ");
	vprint(fmt, ap);
	print("\n");
	line_end(locked);
}

void report_fail(const char *check, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_line(check, fmt, ap);
	va_end(ap);
}

void report_skip(const char *check, const char *why)
{
	bool locked = line_begin();

	totals->skipped++;
	print_check("SKIP", check);
	print(": %s\n", why);
	line_end(locked);
}

void report_note(const char *fmt, ...)
{
	bool locked = line_begin();
	va_list ap;

	print("# ");
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	print("\n");
	line_end(locked);
}

/* Parked rather than halted: under refvmx a HLT with interrupts off
 * ends that vCPU, and writing the test-exit port would stop only it,
 * while the boot vCPU may still need it to answer. */
__attribute__((noreturn)) static void park(void)
{
	for (;;)
		cpu_pause();
}

void report_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_line(running, fmt, ap);
	va_end(ap);
	if (!(rdmsr(MSR_APIC_BASE) & APIC_BASE_BSP))
		park();
	report_finish();
}

static void outs(uint16_t port, const char *s)
{
	while (*s)
		outb(port, (uint8_t)*s++);
}

void report_finish(void)
{
	uint32_t failed;

	/* Kept to the end: no line may follow the closing one. */
	(void)line_begin();
	failed = totals->failed;
	print("%s: done, %u passed, %u failed, %u skipped\n", guest_name,
	      totals->passed, failed, totals->skipped);
	uart_drain();
	outl(TEST_EXIT_PORT, failed);

	/* Still here: no hypervisor took the exit port, so this is a native
	 * run under Bochs. */
	if (failed == 0)
		outb(BOCHS_SHUTDOWN_PORT, 'D');
	else
		outs(BOCHS_SHUTDOWN_PORT, "Shutdown");
	halt_forever();
}
