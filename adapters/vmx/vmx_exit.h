/* SPDX-License-Identifier: MIT */
/*
 * Decoders for what a VM exit reports: the exit reason's name, the exit
 * qualification of control-register accesses, I/O instructions and
 * INVLPG, the VM-exit instruction-information field of INVPCID, and the
 * interruption-information fields. Layouts from SDM vol. 3C "Exit
 * Qualification for ..." tables and "VM-Exit Instruction-Information
 * Field"; the decoders only unpack bits, they do not read the VMCS.
 */
#ifndef VMX_EXIT_H
#define VMX_EXIT_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx_fields.h"

/* The SDM's name of the basic reason in exit_reason bits 15:0
 * ("control-register accesses"); "unknown" for numbers it does not use. */
const char *vmx_exit_reason_name(uint32_t exit_reason);

enum vmx_cr_access_type {
	VMX_CR_MOV_TO_CR = 0,
	VMX_CR_MOV_FROM_CR = 1,
	VMX_CR_CLTS = 2,
	VMX_CR_LMSW = 3,
};

/* Exit reason 28, control-register accesses. */
struct vmx_cr_access {
	uint8_t cr; /* 0, 3, 4 or 8; CLTS and LMSW report 0 */
	enum vmx_cr_access_type type;
	enum vmx_gpr gpr; /* MOV's other operand */
	/* LMSW with a memory operand, whose linear address is then in
	 * VMCS_GUEST_LINEAR_ADDRESS; the value is lmsw_source either way. */
	bool lmsw_memory;
	uint16_t lmsw_source;
};

struct vmx_cr_access vmx_decode_cr_access(uint64_t qualification);

/* Exit reason 30, I/O instructions. */
struct vmx_io_access {
	uint16_t port;
	uint8_t size;	/* 1, 2 or 4 bytes */
	bool in;	/* IN/INS; OUT/OUTS when false */
	bool string;	/* INS/OUTS */
	bool rep;	/* REP prefix (string instructions only) */
	bool immediate; /* port from an imm8 operand rather than DX */
};

struct vmx_io_access vmx_decode_io(uint64_t qualification);

/* Exit reason 14: INVLPG's linear-address operand (bits 63:32 already
 * cleared by the CPU when the guest was not in 64-bit mode). */
uint64_t vmx_decode_invlpg(uint64_t qualification);

/* Exit reason 58, INVPCID: where its two operands are. The INVPCID type
 * is in general-purpose register type_gpr; the 128-bit descriptor is in
 * memory at segment:offset, offset from vmx_invpcid_operand_offset(). */
struct vmx_invpcid_info {
	enum vmx_gpr type_gpr;
	enum vmx_segment segment;
	uint8_t address_bits; /* 16, 32 or 64 */
	uint8_t scale_shift;  /* index scaled by 1 << scale_shift */
	bool has_index;
	enum vmx_gpr index_gpr;
	bool has_base;
	enum vmx_gpr base_gpr;
};

struct vmx_invpcid_info vmx_decode_invpcid_info(uint32_t instruction_info);

/*
 * The descriptor's offset in its segment: base + index * scale + the
 * displacement, which the exit qualification holds (already including
 * the next RIP for RIP-relative operands), truncated to the address
 * size. gpr[] holds the guest's registers in enum vmx_gpr order, RSP
 * included (from VMCS_GUEST_RSP).
 */
uint64_t vmx_invpcid_operand_offset(const struct vmx_invpcid_info *info,
				    const uint64_t gpr[16],
				    uint64_t qualification);

/* VM-exit, IDT-vectoring and VM-entry interruption information. */
struct vmx_intr_info {
	uint8_t vector;
	enum vmx_intr_type type;
	bool error_code_valid;
	bool nmi_unblocking; /* exit info: the fault happened in an IRET
				that unblocked NMIs */
	bool valid;
};

struct vmx_intr_info vmx_decode_intr_info(uint32_t info);

/* A valid VM-entry interruption-information value that injects vector
 * as an event of type `type`, delivering VMCS_ENTRY_EXCEPTION_ERROR if
 * deliver_error_code. */
uint32_t vmx_encode_intr_info(uint8_t vector, enum vmx_intr_type type,
			      bool deliver_error_code);

#endif /* VMX_EXIT_H */
