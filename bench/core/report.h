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

/* A time, reported also as a multiple of the raw guest walk: the ratio
 * is worked out when the rows are written, against the walk's value
 * then (cb_report_set_walk). */
void cb_report_time(const char *name, double ns, const char *unit,
		    const char *note, ...)
	__attribute__((format(printf, 4, 5)));
/* The walk's time per page: the reference of cb_report_time's rows, and
 * the value of the row named "walk". */
void cb_report_set_walk(double ns);

void cb_report_print(FILE *f);
/* false (with a message) if the file cannot be written. */
bool cb_report_csv(const char *path);

#endif
