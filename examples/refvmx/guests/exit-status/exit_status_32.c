/* SPDX-License-Identifier: MIT */
/*
 * exit-status: ends the run the way its command line says, for the
 * harness to check that refvmx ends it so: "status=N" writes N with a
 * 32-bit OUT to port 0xF4 (as kvm-unit-tests' exit() does; a value
 * whose low byte is 0, like 256, must not read as a pass), "shutdown"
 * writes the string "Shutdown" to port 0x8900 and nothing to 0xF4.
 * Natively nothing listens to 0xF4; the guest then halts.
 */
#include "cpu.h"
#include "report.h"
#include "stage.h"

#define TEST_EXIT_PORT 0xf4
#define SHUTDOWN_PORT  0x8900

struct mb1_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

/* The value of the word "key" in line, or -1. */
static int64_t word_value(const char *line, const char *key)
{
	for (const char *p = line; *p; p++) {
		if (p != line && p[-1] != ' ')
			continue;
		const char *k = key, *q = p;
		while (*k && *q == *k) {
			k++;
			q++;
		}
		if (*k)
			continue;
		if (*q == ' ' || !*q)
			return 0; /* a bare word */
		if (*q++ != '=')
			continue;
		int64_t v = 0;
		while (*q >= '0' && *q <= '9')
			v = v * 10 + (*q++ - '0');
		return v;
	}
	return -1;
}

void stage32_main(struct report_totals *totals, const struct boot_entry *entry)
{
	report_init(totals, "exit-status");
	const struct mb1_info *info =
		(const struct mb1_info *)(uintptr_t)entry->info;
	const char *line = (const char *)(uintptr_t)info->cmdline;
	report_note("exit-status: command line '%s'", line);
	int64_t status = word_value(line, "status");
	if (status >= 0) {
		outl(TEST_EXIT_PORT, (uint32_t)status);
	} else if (word_value(line, "shutdown") >= 0) {
		for (const char *s = "Shutdown"; *s; s++)
			outb(SHUTDOWN_PORT, (uint8_t)*s);
	}
	report_note("exit-status: still running: nothing ended the run");
	halt_forever();
}
