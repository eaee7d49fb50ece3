/* SPDX-License-Identifier: MIT */
#include "clock.h"

#include <stdlib.h>
#include <time.h>

static uint64_t read_clock(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t cb_cpu_ns(void)
{
	return read_clock(CLOCK_THREAD_CPUTIME_ID);
}

uint64_t cb_wall_ns(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double cb_median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double cb_cpu_clock_overhead_ns(void)
{
	static double overhead = -1;
	if (overhead >= 0)
		return overhead;
	enum { N = 2001 };
	static double d[N];
	for (unsigned i = 0; i < N; i++) {
		uint64_t t0 = cb_cpu_ns();
		uint64_t t1 = cb_cpu_ns();
		d[i] = (double)(t1 - t0);
	}
	overhead = cb_median(d, N);
	return overhead;
}
