/* SPDX-License-Identifier: MIT */
/* Small CPU helpers of the host kernel. */
#ifndef REFVMX_CPU_H
#define REFVMX_CPU_H

#include <stdbool.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

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
