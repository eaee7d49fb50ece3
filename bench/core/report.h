/* SPDX-License-Identifier: MIT */
/*
 * The results: one row per number, named figure.detail, with its unit,
 * its ratio to a reference (the raw guest walk, the 4 KiB table, one
 * thread) and a note; printed as a table and written as CSV.
 */
#ifndef CB_REPORT_H
#define CB_REPORT_H

#include <stdbool.h>
#include <stdio.h>

/* ratio < 0: none. ratio_to: what the ratio is to ("walk", "4KiB",
 * "T=1"); note: printf-style, may be NULL. */
void cb_report(const char *name, double value, const char *unit, double ratio,
	       const char *ratio_to, const char *note, ...)
	__attribute__((format(printf, 6, 7)));

void cb_report_print(FILE *f);
/* false (with a message) if the file cannot be written. */
bool cb_report_csv(const char *path);

#endif
