/* SPDX-License-Identifier: MIT */
/*
 * The guest's CPU: what its CPUID shows, derived once from the host CPU
 * and from what refvmx emulates, and what follows from it. A feature is
 * shown only when the guest can use it as the SDM describes: refvmx
 * emulates it (x2APIC, MTRRs, MSRs), the hardware runs it in VMX
 * non-root operation unchanged (SSE, AVX, BMI...), or both. Everything
 * else is hidden (a whitelist per leaf), and the control-register,
 * EFER and XCR0 bits of hidden features are reserved for the guest.
 * PCID and INVPCID are shown when the CPU has them (the library runs
 * the guest's PCIDs over hardware PCIDs of its own; INVPCID exits to
 * refvmx). Hidden on purpose: VMX, SMX, LA57, PKU, the PMU (leaf 0xA
 * zero, PDCM, RDPMC), TSC deadline and TSC_ADJUST, MONITOR/MWAIT,
 * speculation-control MSRs, XSAVES supervisor states, and the other
 * features whose MSRs refvmx does not emulate.
 */
#ifndef REFVMX_GUEST_CPU_H
#define REFVMX_GUEST_CPU_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

struct guest_cpu {
	uint8_t maxphyaddr;	  /* CPUID.80000008H:EAX[7:0] */
	uint8_t linear_bits;	  /* CPUID.80000008H:EAX[15:8] */
	bool gbpages;		  /* 1 GiB pages */
	uint32_t smmu_features;	  /* SMMU_CPU_* for smmu_vm_config */
	uint64_t cr4_allowed;	  /* CR4 bits the guest may set */
	uint64_t cr4_passthrough; /* of which the real CR4 carries */
	uint64_t efer_allowed;	  /* IA32_EFER bits the guest may set */
	uint64_t xcr0_supported;  /* XCR0 bits (0 without XSAVE) */
	bool syscall;		  /* STAR, LSTAR, CSTAR, SFMASK exist */
	bool long_mode;		  /* FS/GS/KERNEL_GS_BASE exist */
	bool sysenter;		  /* SYSENTER_CS/ESP/EIP exist */
	bool rdtscp;		  /* RDTSCP (and TSC_AUX) shown */
	bool mtrr, pat;
	bool mca; /* MCG_CAP, MCG_STATUS exist (no banks) */
};

extern struct guest_cpu guest_cpu;

/* Derive the guest's CPU from this CPU's CPUID and vmx_ctl (the VMX
 * controls decide RDTSCP) and the CR4 bits VMX operation allows. */
void guest_cpu_init(uint64_t cr4_fixed1);

/* CPUID leaf/subleaf as vCPU v sees it now (OSXSAVE follows its CR4,
 * APIC follows IA32_APIC_BASE.EN, the APIC IDs are its number). */
void guest_cpu_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub,
		     uint32_t out[4]);

/* Whether the linear address is canonical for the guest's CPU (the
 * check WRMSR makes for base-address MSRs, SDM vol. 4). */
bool guest_cpu_canonical(uint64_t la);

#endif
