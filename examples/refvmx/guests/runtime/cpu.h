/* SPDX-License-Identifier: MIT */
/*
 * Privileged instructions the guests use, as inline functions that compile
 * for both stages: control registers are unsigned long, which is the
 * register width in either.
 *
 * Every accessor that changes translation is a compiler barrier
 * ("memory"): a page-table store must not be moved across the INVLPG or
 * MOV CR3 that publishes it, nor a probe read before them.
 */
#ifndef GUEST_CPU_H
#define GUEST_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include <shadowmmu/x86.h>

static inline void outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t value)
{
	__asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t value;
	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static inline unsigned long read_cr0(void)
{
	unsigned long v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline void write_cr0(unsigned long v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline unsigned long read_cr2(void)
{
	unsigned long v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline unsigned long read_cr3(void)
{
	unsigned long v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(unsigned long v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline unsigned long read_cr4(void)
{
	unsigned long v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(unsigned long v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline unsigned long read_flags(void)
{
	unsigned long f;
	__asm__ volatile("pushf; pop %0" : "=r"(f));
	return f;
}

static inline void sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* INVPCID of `type` with the descriptor (PCID, linear address). */
static inline void invpcid(unsigned long type, uint64_t pcid, uint64_t la)
{
	struct {
		uint64_t pcid, la;
	} desc = { pcid, la };
	__asm__ volatile("invpcid %0, %1" : : "m"(desc), "r"(type) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]),
			   "=d"(regs[3])
			 : "a"(leaf), "c"(subleaf));
}

__attribute__((noreturn)) static inline void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* What the checks need to know about the CPU, from CPUID. */
struct cpu_caps {
	bool pse;	/* CPUID.1:EDX[3]: 4 MiB pages in 32-bit paging */
	bool pge;	/* CPUID.1:EDX[13]: global pages */
	bool pae;	/* CPUID.1:EDX[6] */
	bool nx;	/* CPUID.80000001H:EDX[20]: EFER.NXE and XD */
	bool page_1g;	/* CPUID.80000001H:EDX[26] */
	bool long_mode; /* CPUID.80000001H:EDX[29] */
	bool la57;	/* CPUID.(EAX=7,ECX=0):ECX[16]: 5-level paging */
	bool pcid;	/* CPUID.1:ECX[17]: CR4.PCIDE */
	bool invpcid;	/* CPUID.(EAX=7,ECX=0):EBX[10] */
	unsigned int maxphyaddr; /* CPUID.80000008H:EAX[7:0], else 36 */
};

void cpu_caps_read(struct cpu_caps *caps);

/* Whether this runs under refvmx: CPUID.1:ECX[31] (a hypervisor) and
 * refvmx's signature in leaf 40000000H. Checks of what refvmx promises
 * beyond the architecture (its CPU model, its devices) run only then;
 * natively they are SKIPs. */
bool cpu_under_refvmx(void);

#endif /* GUEST_CPU_H */
