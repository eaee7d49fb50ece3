/* SPDX-License-Identifier: MIT */
/*
 * cpu-model: the CPU a guest is shown must be the CPU it gets. Each check
 * holds on any CPU that follows the SDM, given what its CPUID says
 * (natively in Bochs, and under refvmx); the checks of what refvmx
 * promises beyond that (features it hides, read-only MTRRs, the PMU
 * absent) are SKIPs natively.
 */
#ifndef CPU_MODEL_H
#define CPU_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#define BIT(n) (UINT32_C(1) << (n))

/* CPUID leaf/subleaf register as a value: checks read single bits. */
uint32_t cpuid_reg(uint32_t leaf, uint32_t sub, unsigned reg);
bool cpuid_has(uint32_t leaf, uint32_t sub, unsigned reg, unsigned bit);
enum { EAX, EBX, ECX, EDX };

void check_msrs(void);		     /* msr_checks.c */
void check_syscall_sysenter(void);   /* syscall_checks.c */
void check_cpuid_and_controls(void); /* cpuid_checks.c */
void check_xsave(void);		     /* xsave_checks.c */

#endif
