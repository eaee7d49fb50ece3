/* SPDX-License-Identifier: MIT */
/* Small CPU helpers of the host kernel (port I/O, MSRs and control
 * registers are adapters/vmx/vmx_asm.h's x86_*). */
#ifndef REFVMX_CPU_H
#define REFVMX_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <vmx_asm.h>

static inline void cpu_relax(void)
{
	__asm__ volatile("pause");
}

static inline void cpu_halt(void)
{
	__asm__ volatile("cli; hlt");
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

/* End the run under Bochs (port 0x8900, see shared/BOCHS.md): 'D' makes
 * Bochs exit 0, "Shutdown" exit 1. On real hardware nothing listens. */
void bochs_exit(bool pass);

#endif
