/* SPDX-License-Identifier: MIT */
/* The TSC and its rate, measured once against the PIT. */
#ifndef REFVMX_TSC_H
#define REFVMX_TSC_H

#include <stdint.h>

/* TSC cycles per second (0 until tsc_calibrate ran). CPUID leaves 15H
 * and 16H tell the guest this rate, the local APIC timer's (one tick
 * per TSC cycle at divide 1) and the PM timer follow it. */
extern uint64_t tsc_hz;

/* Measure tsc_hz against 50 ms of the PIT's channel 2 (1.193182 MHz). */
void tsc_calibrate(void);

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

#endif
