/* SPDX-License-Identifier: MIT */
/*
 * The verdict lines and how a guest ends (the guest contract in
 * ../README.md):
 *
 *   PASS <mode>/<check>
 *   FAIL <mode>/<check>: <details>
 *   SKIP <mode>/<check>: <why>
 *   # <note>                      (information, never a verdict)
 *
 * and, last, "<guest>: done, N passed, F failed, S skipped". The end
 * writes min(F, 255) to the test-exit port, which ends the run under
 * refvmx; natively it then shuts Bochs down with exit status 0 or 1.
 */
#ifndef GUEST_REPORT_H
#define GUEST_REPORT_H

#include <stddef.h>
#include <stdint.h>

/* Counts carried from the 32-bit stage to the 64-bit one: fixed-width
 * fields, so both compilations agree on the layout. */
struct report_totals {
	uint32_t passed;
	uint32_t failed;
	uint32_t skipped;
	/* Held while a CPU prints one line and counts it, so that lines
	 * from two vCPUs never interleave. It lives here, with the counts
	 * it protects, because the stages have separate copies of
	 * report.c but share this structure (spinlock.h). */
	uint32_t line_lock;
};

void report_init(struct report_totals *totals, const char *guest);
/* Prefix of the following check names: the paging mode. */
void report_mode(const char *mode);
/* The check now running, named in a fatal-exception line. */
void report_running(const char *check);

void report_pass(const char *check);
__attribute__((format(printf, 2, 3))) void report_fail(const char *check,
						       const char *fmt, ...);
void report_skip(const char *check, const char *why);
__attribute__((format(printf, 1, 2))) void report_note(const char *fmt, ...);

/* A FAIL line for whatever is running, then the end. On a CPU other
 * than the bootstrap processor it parks instead: only the boot vCPU ends
 * the run, after collecting every vCPU's results. */
__attribute__((noreturn, format(printf, 1, 2))) void
report_fatal(const char *fmt, ...);
__attribute__((noreturn)) void report_finish(void);

#endif /* GUEST_REPORT_H */
