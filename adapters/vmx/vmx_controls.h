/* SPDX-License-Identifier: MIT */
/*
 * VMX capabilities and VM-execution/exit/entry control values.
 *
 * Each control field has a capability MSR (SDM vol. 3D appendix A.3-A.5):
 * bits 31:0 are the allowed-0 settings (a 1 there means the control must
 * be 1) and bits 63:32 the allowed-1 settings (a 0 there means it must be
 * 0). A control value is legal only if it sets every allowed-0 bit and no
 * bit outside allowed-1; vmx_control_adjust() builds such values.
 */
#ifndef VMX_CONTROLS_H
#define VMX_CONTROLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmx_fields.h"

enum vmx_control_class {
	VMX_CONTROLS_PIN,
	VMX_CONTROLS_PROC,
	VMX_CONTROLS_PROC2,
	VMX_CONTROLS_EXIT,
	VMX_CONTROLS_ENTRY,
	VMX_CONTROLS_COUNT,
};

struct vmx_caps {
	uint64_t basic;
	/*
	 * The capability MSR for each control class; the TRUE_* MSRs when
	 * IA32_VMX_BASIC bit 55 says they exist, because only those report
	 * which "default1" controls (e.g. CR3-load exiting) may be cleared.
	 * ctls[VMX_CONTROLS_PROC2] is 0 (nothing allowed) when the primary
	 * controls cannot activate secondary controls.
	 */
	uint64_t ctls[VMX_CONTROLS_COUNT];
	uint32_t ctls_msr[VMX_CONTROLS_COUNT]; /* the MSR each came from */
	uint64_t misc;
	uint64_t cr0_fixed0,
		cr0_fixed1; /* 1 in fixed0: must be 1; 0 in fixed1: must be 0 */
	uint64_t cr4_fixed0, cr4_fixed1;
	uint64_t vmcs_enum;
	uint64_t ept_vpid_cap; /* 0 unless EPT or VPID can be enabled */
};

/*
 * Fill caps from the capability MSRs, read through rdmsr(msr, ctx).
 * MSRs that do not exist on the CPU (PROCBASED_CTLS2 without secondary
 * controls, EPT_VPID_CAP without EPT or VPID, the TRUE_* MSRs without
 * BASIC bit 55) are never read: on hardware that would be a #GP.
 */
void vmx_caps_read(struct vmx_caps *caps,
		   uint64_t (*rdmsr)(uint32_t msr, void *ctx), void *ctx);

static inline uint32_t vmx_caps_revision_id(const struct vmx_caps *caps)
{
	return (uint32_t)(caps->basic & IA32_VMX_BASIC_REVISION_MASK);
}

/* Bytes the VMXON and VMCS regions need (at most 4096). */
static inline uint32_t vmx_caps_region_size(const struct vmx_caps *caps)
{
	return IA32_VMX_BASIC_REGION_SIZE(caps->basic);
}

bool vmx_caps_invvpid(const struct vmx_caps *caps, enum vmx_invvpid_type type);

/* cr with the bits VMX operation fixes forced to their fixed value. */
uint64_t vmx_caps_fix_cr0(const struct vmx_caps *caps, uint64_t cr0);
uint64_t vmx_caps_fix_cr4(const struct vmx_caps *caps, uint64_t cr4);

/* Whether every bit of `bits` may be 1 / must be 1 in a control field. */
static inline bool vmx_control_allowed1(uint64_t cap_msr, uint32_t bits)
{
	return ((uint32_t)(cap_msr >> 32) & bits) == bits;
}

static inline bool vmx_control_fixed1(uint64_t cap_msr, uint32_t bits)
{
	return ((uint32_t)cap_msr & bits) == bits;
}

/*
 * The legal control value closest to what is asked: every allowed-0 bit,
 * every `required` bit, and the `optional` bits the CPU allows. Returns
 * the required bits the CPU cannot set (0 when the value is usable).
 */
uint32_t vmx_control_adjust(uint64_t cap_msr, uint32_t required,
			    uint32_t optional, uint32_t *value);

/* "primary processor-based", "VM-exit", ... as the SDM names the field. */
const char *vmx_control_class_name(enum vmx_control_class cls);
/* The SDM's name of one control ("CR3-load exiting"), or "reserved". */
const char *vmx_control_name(enum vmx_control_class cls, unsigned bit);

struct vmx_controls {
	uint32_t pin, proc, proc2, exit, entry;
	/* "enable INVPCID" is set, so guest INVPCID exits (INVLPG exiting
	 * is on); when false, INVPCID raises #UD in the guest and the
	 * hypervisor must hide CPUID.(7,0):EBX.INVPCID. */
	bool invpcid;
	/* "acknowledge interrupt on exit" is set: an external-interrupt
	 * exit carries the vector, already acknowledged at the APIC. */
	bool ack_interrupt;
	/* "virtual NMIs": NMIs can be injected with the CPU tracking the
	 * guest's NMI blocking, and NMI-window exiting can be used. */
	bool virtual_nmis;
	/* "use TSC offsetting": the guest's RDTSC adds VMCS_TSC_OFFSET. */
	bool tsc_offsetting;
	/* "enable RDTSCP": the guest may run RDTSCP and RDPID (they read
	 * the IA32_TSC_AUX MSR as it is); otherwise they raise #UD and
	 * the hypervisor must hide them from CPUID. */
	bool rdtscp;
	/* IA32_PAT is saved and loaded on exit and loaded on entry: the
	 * guest's lives in VMCS_GUEST_IA32_PAT, the host's in
	 * VMCS_HOST_IA32_PAT. When false none of the three is set. */
	bool pat;
};

/*
 * The controls of a shadow-paging hypervisor (no EPT, no unrestricted
 * guest): exits on external interrupts, NMIs, HLT, INVLPG, CR3 loads and
 * stores, CR8 loads and stores, MONITOR, MWAIT and RDPMC, I/O and MSRs
 * through bitmaps; VPID on; IA32_EFER saved and loaded both ways; a
 * 64-bit host. Where the CPU allows: virtual NMIs, TSC offsetting,
 * RDTSCP, INVPCID, IA32_PAT switched both ways, acknowledging
 * interrupts on exit (see the flags below). The entry controls leave "IA-32e
 * mode guest" clear: set it per guest with vmx_entry_controls_for_guest().
 *
 * On failure returns false and writes one line naming the first control
 * the CPU lacks into err[err_size], e.g. "VMX: required primary
 * processor-based control 'CR3-load exiting' (bit 15) cannot be set".
 */
bool vmx_controls_for_shadow_paging(const struct vmx_caps *caps,
				    struct vmx_controls *out, char *err,
				    size_t err_size);

/* The VM-entry controls for a guest whose IA32_EFER is guest_efer:
 * "IA-32e mode guest" must equal EFER.LMA (SDM "Checks on Guest Control
 * Registers, Debug Registers, and MSRs"). */
uint32_t vmx_entry_controls_for_guest(uint32_t entry, uint64_t guest_efer);

#endif /* VMX_CONTROLS_H */
