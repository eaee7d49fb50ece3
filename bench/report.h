/* SPDX-License-Identifier: MIT */
/*
 * What smmu-bench prints and writes: the table on stdout (per guest
 * operation), a per-run breakdown (--verbose), and every count and
 * derived value of every run as CSV and JSON, whose fields README.md
 * describes. The plot (plot.c) is drawn from the CSV.
 */
#ifndef SMMU_BENCH_REPORT_H
#define SMMU_BENCH_REPORT_H

#include <stdio.h>

#include "metrics.h"

void bench_report_table(FILE *out, const struct bench_result *r, unsigned n);
void bench_report_details(FILE *out, const struct bench_result *r);
/* 0, or -1 on an output error. */
int bench_report_csv(FILE *out, const struct bench_result *r, unsigned n);
int bench_report_json(FILE *out, const struct bench_result *r, unsigned n);

/* Derived values the table, the CSV and the tests share. */
/* Hardware flushes over required ones: -1 when the guest required
 * none but the host flushed (infinitely many times the floor). */
double bench_flush_ratio(const struct bench_result *r);

#endif
