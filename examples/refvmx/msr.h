/* SPDX-License-Identifier: MIT */
/*
 * The guest's model-specific registers. Every RDMSR and WRMSR exits (the
 * MSR bitmap is all ones). What a kernel touches is there:
 *
 *   IA32_TSC                 VMCS TSC offset (RDTSC does not exit)
 *   IA32_APIC_BASE, x2APIC   vapic.c
 *   IA32_BIOS_SIGN_ID        the microcode revision; writes accepted
 *   IA32_MTRRCAP, MTRR_DEF_TYPE  no variable or fixed ranges,
 *                            everything write-back; DEF_TYPE keeps
 *                            what is written
 *   IA32_SYSENTER_CS/ESP/EIP VMCS guest fields
 *   IA32_MCG_CAP, MCG_STATUS machine-check architecture with no banks
 *   IA32_MISC_ENABLE         the architectural bits; no BTS, PEBS, PMU
 *   IA32_PAT                 VMCS guest field (or kept here)
 *   IA32_EFER                libshadowmmu (paging bits) and guest_cpu
 *   STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE, TSC_AUX
 *                            the CPU's own registers, which refvmx never
 *                            uses: they hold the guest's values (one vCPU
 *                            per CPU), so SYSCALL, SWAPGS and RDTSCP run
 *                            unchanged in the guest
 *   FS_BASE, GS_BASE         VMCS guest fields
 *
 * each only when the guest's CPUID shows its feature. Addresses are
 * checked for canonical form (a non-canonical one is #GP, never a failed
 * VM entry). Any other MSR is #GP(0), as on a CPU without it.
 */
#ifndef REFVMX_MSR_H
#define REFVMX_MSR_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

/* IA32_MISC_ENABLE bits CPUID depends on. */
#define MISC_LIMIT_CPUID (1ull << 22) /* CPUID.0:EAX at most 2 */
#define MISC_XD_DISABLE	 (1ull << 34) /* CPUID.80000001H:EDX.NX = 0 */

/* What the VMCS and the CPU's own registers do not hold. */
struct vcpu_msrs {
	uint64_t misc_enable;
	uint64_t pat; /* when the VMCS cannot switch IA32_PAT */
	uint64_t mtrr_def_type;
};

/* The power-up values, in this CPU's registers and the VMCS. */
void msr_reset(struct vcpu *v);
/* RDMSR / WRMSR of `msr`: false for #GP. */
bool msr_read(struct vcpu *v, uint32_t msr, uint64_t *value);
bool msr_write(struct vcpu *v, uint32_t msr, uint64_t value);

#endif
