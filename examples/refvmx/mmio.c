/* SPDX-License-Identifier: MIT */
#include "mmio.h"

#include <vmx_fields.h>

#include "console.h"
#include "ports.h"
#include "insn.h"
#include "ioapic.h"
#include "vapic.h"

static uint64_t mask_of(unsigned size)
{
	return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* Write a load's result to register `reg` as an instruction of this
 * operand size does (SDM vol. 1, 3.4.1.1): 8- and 16-bit results leave
 * the rest of the register, 32-bit ones zero-extend; without REX,
 * byte registers 4-7 are AH, CH, DH, BH. */
static void set_reg(struct vcpu *v, const struct insn *in, unsigned reg,
		    unsigned size, uint64_t value)
{
	if (size == 1 && !in->rex && reg >= 4 && reg < 8) {
		unsigned r = reg - 4;
		gpr_set(v, r,
			(gpr_get(v, r) & ~0xff00ull) | (value & 0xff) << 8);
		return;
	}
	if (size < 4)
		value = (gpr_get(v, reg) & ~mask_of(size)) |
			(value & mask_of(size));
	else
		value &= mask_of(size);
	gpr_set(v, reg, value);
}

static uint64_t get_reg(struct vcpu *v, const struct insn *in, unsigned reg,
			unsigned size)
{
	if (size == 1 && !in->rex && reg >= 4 && reg < 8)
		return (gpr_get(v, reg - 4) >> 8) & 0xff;
	return gpr_get(v, reg) & mask_of(size);
}

static uint64_t sign_extend(uint64_t x, unsigned size)
{
	if (size < 8 && (x >> (8 * size - 1)) & 1)
		x |= ~0ull << (8 * size);
	return x;
}

/* What a decoded instruction does with its memory operand. */
struct mmio_op {
	bool store;
	unsigned size;	    /* bytes accessed */
	unsigned dest_size; /* loads: bytes written to the register */
	bool sign;	    /* loads: MOVSX */
	unsigned reg;	    /* register operand (loads and register stores) */
	bool from_imm;	    /* stores of the immediate */
};

static bool classify(const struct insn *in, struct mmio_op *op)
{
	*op = (struct mmio_op){ .reg = in->reg };
	if (in->has_modrm && in->mod_register)
		return false;
	if (in->two_byte) {
		switch (in->opcode) {
		case 0xb6: /* MOVZX r, m8 / m16 */
		case 0xb7:
		case 0xbe: /* MOVSX */
		case 0xbf:
			op->size = (in->opcode & 1) ? 2 : 1;
			op->dest_size = in->opsize;
			op->sign = in->opcode >= 0xbe;
			return true;
		}
		return false;
	}
	switch (in->opcode) {
	case 0x88: /* MOV m8, r8 */
	case 0x89: /* MOV m, r */
		op->store = true;
		op->size = insn_size(in, in->opcode == 0x88);
		return true;
	case 0x8a: /* MOV r8, m8 */
	case 0x8b: /* MOV r, m */
		op->size = op->dest_size = insn_size(in, in->opcode == 0x8a);
		return true;
	case 0xc6: /* MOV m, imm */
	case 0xc7:
		if (in->digit != 0)
			return false;
		op->store = op->from_imm = true;
		op->size = insn_size(in, in->opcode == 0xc6);
		return true;
	case 0xa0: /* MOV AL/eAX, moffs */
	case 0xa1:
	case 0xa2: /* MOV moffs, AL/eAX */
	case 0xa3:
		op->store = in->opcode >= 0xa2;
		op->size = op->dest_size = insn_size(in, !(in->opcode & 1));
		op->reg = 0;
		return true;
	}
	return false;
}

static void report(struct vcpu *v, const char *what, uint64_t gpa, bool write,
		   const struct insn *in)
{
	kprintf("refvmx: vCPU %u: guest %s at gpa 0x%llx (rip 0x%llx, "
		"bytes %02x %02x %02x %02x %02x %02x): %s\n",
		v->index, write ? "store" : "load", (unsigned long long)gpa,
		(unsigned long long)vmcs_read(VMCS_GUEST_RIP), in->bytes[0],
		in->bytes[1], in->bytes[2], in->bytes[3], in->bytes[4],
		in->bytes[5], what);
}

void mmio_access(struct vcpu *v, uint64_t la, uint64_t gpa, bool write)
{
	(void)la;
	struct insn in = { 0 };
	bool ioapic = ports_platform && ioapic_mmio_hit(gpa);
	if (!ioapic && !vapic_mmio_hit(v, gpa)) {
		(void)insn_fetch_decode(v, &in);
		report(v, "no device there", gpa, write, &in);
		vcpu_fail(v, "guest access to MMIO");
		return;
	}
	struct mmio_op op;
	if (!insn_fetch_decode(v, &in) || !classify(&in, &op)) {
		report(v, "refvmx decodes only MOV, MOVZX and MOVSX there", gpa,
		       write, &in);
		vcpu_fail(v, "an MMIO instruction refvmx does not emulate");
		return;
	}
	v->mmio_accesses++;
	uint64_t val = 0;
	if (op.store) {
		val = op.from_imm ? sign_extend(in.imm, in.imm_size)
				  : get_reg(v, &in, op.reg, op.size);
		val &= mask_of(op.size);
		if (ioapic)
			ioapic_mmio((unsigned)(gpa & 0xfff), op.size, true,
				    &val);
		else
			vapic_mmio(v, (unsigned)(gpa & 0xfff), op.size, true,
				   &val);
	} else {
		if (ioapic)
			ioapic_mmio((unsigned)(gpa & 0xfff), op.size, false,
				    &val);
		else
			vapic_mmio(v, (unsigned)(gpa & 0xfff), op.size, false,
				   &val);
		if (op.sign)
			val = sign_extend(val, op.size);
		set_reg(v, &in, op.reg, op.dest_size, val);
	}
	vcpu_advance_rip(in.len);
}
