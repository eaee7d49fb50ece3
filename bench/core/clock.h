/* SPDX-License-Identifier: MIT */
/*
 * Clocks: the calling thread's CPU time (what every figure but `scale`
 * is measured in), wall-clock time (scale's throughput), the TSC (the
 * lock-share figure, whose lock ops must cost next to nothing), and
 * medians.
 */
#ifndef CB_CLOCK_H
#define CB_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), ns. */
uint64_t cb_cpu_ns(void);
/* CLOCK_MONOTONIC, ns. */
uint64_t cb_wall_ns(void);

/* The time-stamp counter, for intervals within one thread. */
static inline uint64_t cb_tsc(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* What one cb_cpu_ns() interval costs with nothing inside it (the median
 * of many), measured once: subtracted from intervals short enough for it
 * to matter. */
double cb_cpu_clock_overhead_ns(void);

/* Median of n values (sorts them). */
double cb_median(double *v, size_t n);

#endif
