/* SPDX-License-Identifier: MIT */
/*
 * The plot: gnuplot (Debian's gnuplot-nox) draws, from the CSV the runs
 * were written to, one panel each for hardware flushes, collateral TLB
 * entries and modelled cycles per guest operation, with a bar per
 * policy/remote combination for each workload.
 */
#ifndef SMMU_BENCH_PLOT_H
#define SMMU_BENCH_PLOT_H

#include <stddef.h>

#include "metrics.h"

/* r holds the runs in the CSV's order: workload by workload, `series`
 * runs each (the same policy/remote combinations in the same order).
 * The output format follows out_path: .svg or .png. 0, or -1 with a
 * message in err. */
int bench_plot(const char *csv_path, const char *out_path,
	       const struct bench_result *r, unsigned n, unsigned series,
	       char *err, size_t err_len);

/* Whether out_path names a format bench_plot can write. */
bool bench_plot_format_ok(const char *out_path);

#endif
