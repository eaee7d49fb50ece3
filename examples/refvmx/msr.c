/* SPDX-License-Identifier: MIT */
#include "msr.h"

#include <shadowmmu/shadowmmu.h>
#include <vmx_asm.h>
#include <vmx_fields.h>

#include "guest_cpu.h"
#include "vapic.h"
#include "vcpu.h"

/* MSR indices (SDM vol. 4, table 2-2). */
#define MSR_TSC		   0x10u
#define MSR_APIC_BASE	   0x1bu
#define MSR_BIOS_SIGN_ID   0x8bu
#define MSR_MTRRCAP	   0xfeu
#define MSR_MCG_CAP	   0x179u
#define MSR_MCG_STATUS	   0x17au
#define MSR_SYSENTER_CS	   0x174u
#define MSR_SYSENTER_ESP   0x175u
#define MSR_SYSENTER_EIP   0x176u
#define MSR_MISC_ENABLE	   0x1a0u
#define MSR_PAT		   0x277u
#define MSR_MTRR_DEF_TYPE  0x2ffu
#define MSR_STAR	   0xc0000081u
#define MSR_LSTAR	   0xc0000082u
#define MSR_CSTAR	   0xc0000083u
#define MSR_SFMASK	   0xc0000084u
#define MSR_FS_BASE	   0xc0000100u
#define MSR_GS_BASE	   0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_TSC_AUX	   0xc0000103u

/* The revision refvmx's virtual CPU reports in IA32_BIOS_SIGN_ID[63:32]. */
#define MICROCODE_REVISION 1ull
/* IA32_MISC_ENABLE (SDM vol. 4, table 2-2). Read-write: fast strings
 * (0), automatic thermal control (3), EIST (16), MONITOR FSM (18, which
 * cannot make MONITOR appear: it stays hidden), limit CPUID maxval (22,
 * honoured by guest_cpu.c), xTPR disable (23), XD disable (34, hides NX
 * and makes EFER.NXE reserved). Read-only: performance monitoring
 * available (7, 0: no PMU), BTS and PEBS unavailable (11, 12, both 1).
 * The rest is reserved: #GP. */
#define MISC_FAST_STRINGS     (1ull << 0)
#define MISC_BTS_UNAVAILABLE  (1ull << 11)
#define MISC_PEBS_UNAVAILABLE (1ull << 12)
#define MISC_READ_ONLY                                                         \
	((1ull << 7) | MISC_BTS_UNAVAILABLE | MISC_PEBS_UNAVAILABLE)
#define MISC_WRITABLE                                                          \
	(MISC_FAST_STRINGS | (1ull << 3) | (1ull << 16) | (1ull << 18) |       \
	 MISC_LIMIT_CPUID | (1ull << 23) | MISC_XD_DISABLE)
#define MISC_ENABLE_RESET                                                      \
	(MISC_FAST_STRINGS | MISC_BTS_UNAVAILABLE | MISC_PEBS_UNAVAILABLE)
/* MTRRs enabled (E), fixed ranges off, default type write-back: with no
 * variable range (MTRRCAP.VCNT = 0) all memory is WB. */
#define MTRR_DEF_TYPE_VALUE    0x806ull
#define MTRR_DEF_TYPE_WRITABLE 0xcffull /* type, FE, E */
#define PAT_RESET	       0x0007040600070406ull

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* PAT entries may only hold the defined memory types: 0 (UC), 1 (WC),
 * 4 (WT), 5 (WP), 6 (WB), 7 (UC-); anything else is #GP (SDM 11.12.2). */
static bool pat_valid(uint64_t pat)
{
	for (unsigned i = 0; i < 8; i++) {
		unsigned t = (pat >> (8 * i)) & 0xff;
		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

/* Memory types an MTRR may hold: UC, WC, WT, WP, WB (SDM 11.11.1). */
static bool mtrr_type_valid(uint64_t t)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

void msr_reset(struct vcpu *v)
{
	v->msr.misc_enable = MISC_ENABLE_RESET;
	v->msr.mtrr_def_type = MTRR_DEF_TYPE_VALUE;
	v->msr.pat = PAT_RESET;
	if (vmx_ctl.pat) {
		vmcs_write(VMCS_GUEST_IA32_PAT, PAT_RESET);
		vmcs_write(VMCS_HOST_IA32_PAT, x86_rdmsr(MSR_PAT));
	}
	vmcs_write(VMCS_TSC_OFFSET, 0);
	/* The registers the guest owns on this CPU. */
	if (guest_cpu.syscall || guest_cpu.long_mode) {
		x86_wrmsr(MSR_STAR, 0);
		x86_wrmsr(MSR_LSTAR, 0);
		x86_wrmsr(MSR_CSTAR, 0);
		x86_wrmsr(MSR_SFMASK, 0);
	}
	if (guest_cpu.long_mode)
		x86_wrmsr(MSR_KERNEL_GS_BASE, 0);
	if (guest_cpu.rdtscp)
		x86_wrmsr(MSR_TSC_AUX, 0);
}

/* The CPU's own register, the guest's while it runs here. */
static bool own_msr_exists(uint32_t msr)
{
	switch (msr) {
	case MSR_STAR:
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_SFMASK:
		return guest_cpu.syscall || guest_cpu.long_mode;
	case MSR_KERNEL_GS_BASE:
		return guest_cpu.long_mode;
	case MSR_TSC_AUX:
		return guest_cpu.rdtscp;
	default:
		return false;
	}
}

/* The VMCS field holding an MSR, or 0. */
static uint32_t vmcs_field(uint32_t msr)
{
	switch (msr) {
	case MSR_SYSENTER_CS:
		return guest_cpu.sysenter ? VMCS_GUEST_IA32_SYSENTER_CS : 0;
	case MSR_SYSENTER_ESP:
		return guest_cpu.sysenter ? VMCS_GUEST_IA32_SYSENTER_ESP : 0;
	case MSR_SYSENTER_EIP:
		return guest_cpu.sysenter ? VMCS_GUEST_IA32_SYSENTER_EIP : 0;
	case MSR_FS_BASE:
		return guest_cpu.long_mode ? VMCS_GUEST_FS_BASE : 0;
	case MSR_GS_BASE:
		return guest_cpu.long_mode ? VMCS_GUEST_GS_BASE : 0;
	default:
		return 0;
	}
}

bool msr_read(struct vcpu *v, uint32_t msr, uint64_t *value)
{
	struct smmu_paging_regs r;
	if (msr >= 0x800 && msr <= 0x8ff)
		return vapic_x2apic_msr(v, msr, false, value);
	uint32_t field = vmcs_field(msr);
	if (field) {
		*value = vmcs_read(field);
		return true;
	}
	if (own_msr_exists(msr)) {
		*value = x86_rdmsr(msr);
		return true;
	}
	switch (msr) {
	case MSR_TSC:
		*value = rdtsc() + vmcs_read(VMCS_TSC_OFFSET);
		return true;
	case MSR_APIC_BASE:
		*value = v->apic.base;
		return true;
	case MSR_BIOS_SIGN_ID:
		*value = MICROCODE_REVISION << 32;
		return true;
	case MSR_MISC_ENABLE:
		*value = v->msr.misc_enable;
		return true;
	case MSR_MTRRCAP:
		*value = 0; /* no variable ranges, no fixed ranges, no WC */
		return guest_cpu.mtrr;
	case MSR_MCG_CAP:
	case MSR_MCG_STATUS:
		/* The machine-check architecture with no banks: nothing
		 * in a VM reports machine checks. */
		*value = 0;
		return guest_cpu.mca;
	case MSR_MTRR_DEF_TYPE:
		*value = v->msr.mtrr_def_type;
		return guest_cpu.mtrr;
	case MSR_PAT:
		*value = vmx_ctl.pat ? vmcs_read(VMCS_GUEST_IA32_PAT)
				     : v->msr.pat;
		return guest_cpu.pat;
	case X86_MSR_EFER:
		smmu_vcpu_get_paging(v->mmu, &r);
		*value = r.efer;
		return true;
	default:
		return false;
	}
}

bool msr_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
	if (msr >= 0x800 && msr <= 0x8ff)
		return vapic_x2apic_msr(v, msr, true, &value);
	switch (msr) {
	case MSR_SYSENTER_ESP:
	case MSR_SYSENTER_EIP:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR:
	case MSR_CSTAR:
		/* Linear addresses: a non-canonical one is #GP (SDM vol.
		 * 2B, WRMSR), and would fail VM entry in the VMCS. */
		if (!guest_cpu_canonical(value))
			return false;
		break;
	case MSR_SFMASK:
	case MSR_TSC_AUX:
		if (value >> 32) /* bits 63:32 are reserved */
			return false;
		break;
	}
	uint32_t field = vmcs_field(msr);
	if (field) {
		vmcs_write(field,
			   msr == MSR_SYSENTER_CS ? (uint32_t)value : value);
		return true;
	}
	if (own_msr_exists(msr)) {
		x86_wrmsr(msr, value);
		return true;
	}
	switch (msr) {
	case MSR_TSC:
		/* The guest's TSC is the host's plus an offset, per vCPU
		 * (SDM 25.3, "use TSC offsetting"). */
		vmcs_write(VMCS_TSC_OFFSET, value - rdtsc());
		return true;
	case MSR_APIC_BASE:
		return vapic_set_base(v, value);
	case MSR_BIOS_SIGN_ID:
		/* Software writes 0 before CPUID to read the revision
		 * (SDM 9.11.7.1); there is nothing to load. */
		return true;
	case MSR_MISC_ENABLE:
		/* Read-only bits keep their value whatever is written. */
		if (value & ~(MISC_WRITABLE | MISC_READ_ONLY))
			return false;
		v->msr.misc_enable = (value & MISC_WRITABLE) |
				     MISC_BTS_UNAVAILABLE |
				     MISC_PEBS_UNAVAILABLE;
		return true;
	case MSR_MCG_STATUS:
		/* Software clears it; there is nothing to set. */
		return guest_cpu.mca && value == 0;
	case MSR_MTRR_DEF_TYPE:
		/* No ranges to configure: the default type, FE and E are
		 * kept (a kernel disables MTRRs while it reprograms them);
		 * memory stays write-back whatever they say. */
		if (!guest_cpu.mtrr || (value & ~MTRR_DEF_TYPE_WRITABLE) ||
		    !mtrr_type_valid(value & 0xff))
			return false;
		v->msr.mtrr_def_type = value;
		return true;
	case MSR_PAT:
		if (!guest_cpu.pat || !pat_valid(value))
			return false;
		if (vmx_ctl.pat)
			vmcs_write(VMCS_GUEST_IA32_PAT, value);
		else
			v->msr.pat = value;
		return true;
	case X86_MSR_EFER:
		if (value & ~guest_cpu.efer_allowed)
			return false;
		/* XD disable makes NXE reserved (SDM 4.1.4). */
		if ((value & X86_EFER_NXE) &&
		    (v->msr.misc_enable & MISC_XD_DISABLE))
			return false;
		return smmu_vcpu_write_efer(v->mmu, value) == SMMU_CR_DONE;
	default:
		return false;
	}
}
