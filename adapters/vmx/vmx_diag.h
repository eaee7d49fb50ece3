/* SPDX-License-Identifier: MIT */
/*
 * VM-entry failure diagnosis. When VMLAUNCH/VMRESUME fails (VMfailValid
 * with VM-instruction error 7 or 8) or "succeeds" into an exit with bit
 * 31 set (reason 33, invalid guest state; 34, MSR loading), the CPU says
 * which class of check failed but never which check. These functions
 * re-run the checks a hypervisor most often gets wrong, from the SDM's
 * "Checks on VMX Controls and Host-State Area" and "Checks on the Guest
 * State Area" (vol. 3C, chapter "VM Entries"), on the current VMCS and
 * report each failing one as a line naming the check and the values:
 *
 *   guest TR access rights 0x89: type must be 11 (busy TSS) in IA-32e mode
 *
 * The checks assume a hypervisor that is outside SMM and does not use
 * VMCS shadowing; they honour "unrestricted guest" where the SDM relaxes
 * a check for it. They are not exhaustive: zero findings after a failed
 * entry means the cause is among the checks not modelled here.
 */
#ifndef VMX_DIAG_H
#define VMX_DIAG_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx_controls.h"

/* The longest line report() is called with, NUL included. */
#define VMX_DIAG_LINE_MAX 200

struct vmx_diag_env {
	/* Fixed CR0/CR4 bits, control capabilities and MISC; NULL skips
	 * the checks that need them. */
	const struct vmx_caps *caps;
	unsigned maxphyaddr;  /* CPUID.80000008H:EAX[7:0]; 0 means 52 */
	unsigned linear_bits; /* CPUID.80000008H:EAX[15:8]; 0 means 48 */
	/* IA32_EFER.LMA of the CPU that executes VM entry: true for any
	 * 64-bit hypervisor. */
	bool host_ia32e;
	/* Reads one VMCS field (VMREAD on hardware). */
	uint64_t (*vmread)(uint32_t field, void *ctx);
	/* Receives one finding, without a trailing newline. */
	void (*report)(const char *line, void *ctx);
	void *ctx;
};

/* The SDM's text for a VM-instruction error number ("VM entry with
 * invalid host-state field(s)"), or "unknown VM-instruction error". */
const char *vmx_instruction_error_text(uint32_t error);

/* Each returns the number of findings it reported. */
unsigned vmx_diag_check_controls(const struct vmx_diag_env *env);
unsigned vmx_diag_check_host_state(const struct vmx_diag_env *env);
unsigned vmx_diag_check_guest_state(const struct vmx_diag_env *env);
/* All three. */
unsigned vmx_diag_check_vmcs(const struct vmx_diag_env *env);

/*
 * What to call on a failed VM entry. vmx_diag_vmfail() is for
 * VMLAUNCH/VMRESUME returning VMfailValid: it reports the VM-instruction
 * error, then every failing check. vmx_diag_entry_failure() is for an
 * exit whose reason has bit 31 set: it reports the reason and exit
 * qualification, then every failing check. Both return the number of
 * failing checks (the header line is not counted).
 */
unsigned vmx_diag_vmfail(const struct vmx_diag_env *env);
unsigned vmx_diag_entry_failure(const struct vmx_diag_env *env);

#endif /* VMX_DIAG_H */
