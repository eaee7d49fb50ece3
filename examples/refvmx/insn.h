/* SPDX-License-Identifier: MIT */
/*
 * Decoding the guest instruction that made a memory access refvmx must
 * perform itself (a store to a write-protected guest page table, a load
 * or store to the local APIC's page): prefixes, REX, opcode, ModRM, SIB,
 * displacement, immediate and moffs, enough to know the instruction's
 * length, operation, operand size and register (SDM vol. 2, chapter 2).
 * The memory operand's address is never computed: the exit gives it.
 * Only the opcodes the emulators act on are known; any other fails to
 * decode, and the caller falls back (emulate.c unprotects the frame).
 */
#ifndef REFVMX_INSN_H
#define REFVMX_INSN_H

#include <shadowmmu/shadowmmu.h>
#include <stdbool.h>
#include <stdint.h>

#define INSN_MAX 15

struct insn {
	uint8_t bytes[INSN_MAX];
	unsigned len;	   /* whole instruction */
	bool two_byte;	   /* 0F opcode map */
	uint8_t opcode;	   /* within its map */
	uint8_t rex;	   /* 0: none */
	bool lock, rep;	   /* F0; F3 */
	unsigned opsize;   /* 2, 4 or 8: prefixes and REX.W applied */
	unsigned addrsize; /* 2, 4 or 8 */
	bool has_modrm;
	uint8_t modrm;
	unsigned reg;	   /* ModRM.reg with REX.R: a register number */
	unsigned digit;	   /* ModRM.reg alone: a group opcode's /digit */
	bool mod_register; /* ModRM.mod = 3: no memory operand */
	uint64_t imm;	   /* zero-extended; imm_size bytes */
	unsigned imm_size;
	uint64_t moffs; /* A0-A3: the address operand */
};

/* Fetch and decode the instruction at the guest's CS:RIP (through the
 * guest's own translation). false if it cannot be fetched or is not one
 * of the opcodes known here. */
struct vcpu;
bool insn_fetch_decode(struct vcpu *v, struct insn *out);

/* Read len bytes of guest memory at linear address la through the
 * guest's own translation, as an access with `flags` (SMMU_ACCESS_*:
 * the A and D flags are set as the CPU would), page by page.
 * SMMU_XLATE_OK, or the first failure: *fault_la is the address whose
 * translation failed (CR2 for a #PF, whose error code is t->pf_error),
 * SMMU_XLATE_NOT_RAM when it is not guest RAM. */
enum smmu_xlate_status insn_read_linear(struct vcpu *v, uint64_t la, void *buf,
					unsigned len, uint32_t flags,
					uint64_t *fault_la,
					struct smmu_translation *t);

/* Decode from bytes (n of them); long_mode selects 64-bit code (REX,
 * 64-bit moffs); otherwise 32-bit code. */
bool insn_decode(const uint8_t *bytes, unsigned n, bool long_mode,
		 struct insn *out);

/* The size of an operation on the byte form (opcode bit 0 clear for
 * most ALU and MOV opcodes) or at the operand size. */
static inline unsigned insn_size(const struct insn *i, bool byte_form)
{
	return byte_form ? 1 : i->opsize;
}

#endif
