/* SPDX-License-Identifier: MIT */
#include "emulate.h"

#include <vmx_fields.h>

#include "console.h"
#include "host_ops.h"

#define MAX_INSN 15

/* Fetch the instruction at CS:RIP through the guest's own translation. */
static bool fetch(struct vcpu *v, uint8_t *buf)
{
	uint64_t rip =
		vmcs_read(VMCS_GUEST_CS_BASE) + vmcs_read(VMCS_GUEST_RIP);
	for (unsigned i = 0; i < MAX_INSN; i++) {
		struct smmu_access acc = { .la = rip + i,
					   .flags = SMMU_ACCESS_FETCH };
		struct smmu_translation t;
		if (smmu_vcpu_translate(v->mmu, &acc, &t) != SMMU_XLATE_OK)
			return i > 0; /* the rest may not be needed */
		uint64_t b = 0;
		if (refvmx_host_ops.read_gpa(0, t.gpa, &b, 1) != SMMU_GPA_OK)
			return false;
		buf[i] = (uint8_t)b;
	}
	return true;
}

/* The bytes a ModRM (and SIB and displacement) take, from modrm on. */
static unsigned modrm_length(const uint8_t *p)
{
	unsigned mod = p[0] >> 6, rm = p[0] & 7, n = 1;
	if (mod == 3)
		return n;
	if (rm == 4) {
		n++;
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4;
	}
	if (mod == 0 && rm == 5)
		n += 4;
	else if (mod == 1)
		n += 1;
	else if (mod == 2)
		n += 4;
	return n;
}

static uint64_t imm(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* STOS: one element per exit (the next one faults again if it lands on
 * a protected page too); with REP, RIP stays until RCX reaches 0. */
static void emulate_stos(struct vcpu *v, uint64_t gpa, unsigned size,
			 unsigned addrsize, bool rep, unsigned len)
{
	uint64_t amask = addrsize == 8 ? ~0ull : (1ull << (8 * addrsize)) - 1;
	uint64_t val = v->regs.rax;
	if (size < 8)
		val &= (1ull << (8 * size)) - 1;
	if ((gpa & 0xfff) + size > 4096 ||
	    smmu_vm_emulated_write(v->vm, gpa, &val, size) != 0) {
		vcpu_fail(v, "an emulated STOS crosses a page or leaves RAM");
		return;
	}
	v->emulated_stores++;
	bool down = vmcs_read(VMCS_GUEST_RFLAGS) & (1u << 10); /* DF */
	uint64_t di = v->regs.rdi;
	di = (di & ~amask) | ((down ? di - size : di + size) & amask);
	v->regs.rdi = di;
	if (rep) {
		uint64_t cx = v->regs.rcx;
		cx = (cx & ~amask) | ((cx - 1) & amask);
		v->regs.rcx = cx;
		if (cx & amask)
			return; /* the guest executes it again */
	}
	vmcs_write(VMCS_GUEST_RIP, vmcs_read(VMCS_GUEST_RIP) + len);
}

void emulate_store(struct vcpu *v, uint64_t la, uint64_t gpa)
{
	uint8_t b[MAX_INSN] = { 0 };
	if (!fetch(v, b)) {
		vcpu_fail(v, "cannot fetch the instruction to emulate");
		return;
	}
	bool long_mode = vmcs_read(VMCS_GUEST_CS_AR) & VMX_AR_L;
	unsigned i = 0, opsize = 4, addrsize = long_mode ? 8 : 4;
	bool rep_prefix = false;
	uint8_t rex = 0;
	for (;; i++) {
		uint8_t c = b[i];
		if (c == 0x66)
			opsize = 2;
		else if (c == 0x67)
			addrsize = long_mode ? 4 : 2;
		else if (c == 0xf3)
			rep_prefix = true;
		else if (c == 0xf0 || c == 0x2e || c == 0x3e || c == 0x26 ||
			 c == 0x36 || c == 0x64 || c == 0x65)
			continue;
		else
			break;
	}
	if (long_mode && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (rex & 8)
		opsize = 8;
	uint8_t op = b[i++];
	if (op == 0xaa || op == 0xab) {
		emulate_stos(v, gpa, op == 0xaa ? 1 : opsize, addrsize,
			     rep_prefix, i);
		return;
	}
	unsigned reg = ((b[i] >> 3) & 7) | ((rex & 4) ? 8 : 0);
	unsigned len = i + modrm_length(&b[i]);
	uint64_t val, old = 0;
	unsigned size;
	switch (op) {
	case 0xa2: /* MOV moffs8, AL */
	case 0xa3: /* MOV moffs, eAX */
		size = op == 0xa2 ? 1 : opsize;
		val = v->regs.rax;
		len = i + addrsize;
		break;
	case 0x87: /* XCHG r/m, r: the register gets the old value */
		size = opsize;
		val = gpr_get(v, reg);
		if (refvmx_host_ops.read_gpa(0, gpa, &old, size) !=
		    SMMU_GPA_OK) {
			vcpu_fail(v, "XCHG with something that is not RAM");
			return;
		}
		/* 32-bit results zero-extend; 16-bit ones keep the rest. */
		if (size == 2)
			old |= gpr_get(v, reg) & ~0xffffull;
		gpr_set(v, reg, old);
		break;
	case 0x88: /* MOV r/m8, r8 */
		size = 1;
		if (!rex && reg >= 4 && reg < 8) /* AH, CH, DH, BH */
			val = gpr_get(v, reg - 4) >> 8;
		else
			val = gpr_get(v, reg);
		break;
	case 0x89: /* MOV r/m, r */
		size = opsize;
		val = gpr_get(v, reg);
		break;
	case 0xc6: /* MOV r/m8, imm8 */
		size = 1;
		val = imm(&b[len], 1);
		len += 1;
		break;
	case 0xc7: /* MOV r/m, imm16/32 (sign-extended to 64) */
		size = opsize;
		val = imm(&b[len], opsize == 2 ? 2 : 4);
		if (opsize == 8 && (val & 0x80000000u))
			val |= 0xffffffff00000000ull;
		len += opsize == 2 ? 2 : 4;
		break;
	default:
		kprintf("refvmx: cannot emulate the store at la 0x%llx: bytes "
			"%02x %02x %02x %02x %02x %02x\n",
			(unsigned long long)la, b[0], b[1], b[2], b[3], b[4],
			b[5]);
		vcpu_fail(v, "unknown store instruction to emulate");
		return;
	}
	if (size < 8)
		val &= (1ull << (8 * size)) - 1;
	if ((gpa & 0xfff) + size > 4096) {
		vcpu_fail(v, "an emulated store crosses a page");
		return;
	}
	if (smmu_vm_emulated_write(v->vm, gpa, &val, size) != 0) {
		vcpu_fail(v, "emulated store to something that is not RAM");
		return;
	}
	v->emulated_stores++;
	vmcs_write(VMCS_GUEST_RIP, vmcs_read(VMCS_GUEST_RIP) + len);
}
