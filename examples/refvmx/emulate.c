/* SPDX-License-Identifier: MIT */
#include "emulate.h"

#include <vmx_fields.h>

#include "console.h"
#include "host_ops.h"
#include "percpu.h"

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

/* ---- read-modify-write instructions ---- */

#define RFLAGS_ARITH 0x8d5ull /* CF PF AF ZF SF OF */
#define CF	     0x001ull
#define PF	     0x004ull
#define AF	     0x010ull
#define ZF	     0x040ull
#define SF	     0x080ull
#define OF	     0x800ull

static uint64_t size_mask(unsigned size)
{
	return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* ZF, SF and PF of a result. */
static uint64_t flags_result(uint64_t r, unsigned size)
{
	uint64_t f = 0;
	r &= size_mask(size);
	if (!r)
		f |= ZF;
	if (r >> (8 * size - 1))
		f |= SF;
	if (!(__builtin_popcount((unsigned)(r & 0xff)) & 1))
		f |= PF;
	return f;
}

/* The flags of a - b (CMP; what CMPXCHG sets). */
static uint64_t flags_sub(uint64_t a, uint64_t b, unsigned size)
{
	uint64_t m = size_mask(size), r = (a - b) & m;
	uint64_t f = flags_result(r, size);
	a &= m;
	b &= m;
	if (a < b)
		f |= CF;
	if (((a ^ b) & (a ^ r)) >> (8 * size - 1) & 1)
		f |= OF;
	if ((a ^ b ^ r) & 0x10)
		f |= AF;
	return f;
}

static void set_arith_flags(uint64_t f)
{
	vmcs_write(VMCS_GUEST_RFLAGS,
		   (vmcs_read(VMCS_GUEST_RFLAGS) & ~RFLAGS_ARITH) | f);
}

/* Emulated read-modify-writes are atomic against each other (one at a
 * time); a vCPU storing straight to a page it may write is not held off.
 * The MMU lock comes after this one. */
static volatile int rmw_lock;

static void rmw_lock_take(void)
{
	while (__atomic_exchange_n(&rmw_lock, 1, __ATOMIC_ACQUIRE))
		cpu_serve_requests(); /* a holder of the MMU lock may wait */
}

static void rmw_lock_drop(void)
{
	__atomic_store_n(&rmw_lock, 0, __ATOMIC_RELEASE);
}

/* An 8-bit register operand: AH-BH for 4-7 without REX. */
static uint64_t reg8(struct vcpu *v, unsigned reg, uint8_t rex)
{
	if (!rex && reg >= 4 && reg < 8)
		return gpr_get(v, reg - 4) >> 8;
	return gpr_get(v, reg);
}

/* OR, AND, XOR, CMPXCHG, BTS, BTR, BTC on memory (with or without LOCK):
 * the old value comes from guest memory, the new one goes through the
 * library. Returns false if the instruction is not one of them. */
static bool emulate_rmw(struct vcpu *v, uint64_t gpa, const uint8_t *b,
			unsigned i, unsigned opsize, uint8_t rex, unsigned *len)
{
	uint8_t op = b[i++];
	bool two_byte = op == 0x0f;
	if (two_byte)
		op = b[i++];
	unsigned reg = ((b[i] >> 3) & 7) | ((rex & 4) ? 8 : 0);
	unsigned ext = (b[i] >> 3) & 7; /* /digit of group opcodes */
	*len = i + modrm_length(&b[i]);
	unsigned size = opsize;
	enum { OR, AND, XOR, CMPXCHG, BTS, BTR, BTC } kind;
	uint64_t src = 0;

	if (!two_byte && (op == 0x08 || op == 0x09 || op == 0x20 ||
			  op == 0x21 || op == 0x30 || op == 0x31)) {
		kind = op < 0x20 ? OR : op < 0x30 ? AND : XOR;
		size = op & 1 ? opsize : 1;
		src = size == 1 ? reg8(v, reg, rex) : gpr_get(v, reg);
	} else if (!two_byte && (op == 0x80 || op == 0x81 || op == 0x83) &&
		   (ext == 1 || ext == 4 || ext == 6)) {
		kind = ext == 1 ? OR : ext == 4 ? AND : XOR;
		size = op == 0x80 ? 1 : opsize;
		unsigned isz = op == 0x81 ? (opsize == 2 ? 2 : 4) : 1;
		src = imm(&b[*len], isz);
		if (src >> (8 * isz - 1)) /* sign-extend */
			src |= ~0ull << (8 * isz);
		*len += isz;
	} else if (two_byte && (op == 0xb0 || op == 0xb1)) {
		kind = CMPXCHG;
		size = op == 0xb0 ? 1 : opsize;
		src = size == 1 ? reg8(v, reg, rex) : gpr_get(v, reg);
	} else if (two_byte && (op == 0xab || op == 0xb3 || op == 0xbb)) {
		kind = op == 0xab ? BTS : op == 0xb3 ? BTR : BTC;
		src = gpr_get(v, reg);
		/* A register offset may reach outside the operand (a bit
		 * string); only offsets inside it are emulated. */
		if (src >= 8 * (uint64_t)size)
			return false;
	} else if (two_byte && op == 0xba && ext >= 5) {
		kind = ext == 5 ? BTS : ext == 6 ? BTR : BTC;
		src = b[*len] % (8 * size);
		*len += 1;
	} else {
		return false;
	}

	uint64_t m = size_mask(size), old = 0, val = 0;
	bool store = true;
	if ((gpa & 0xfff) + size > 4096) {
		vcpu_fail(v, "an emulated read-modify-write crosses a page");
		return true;
	}
	rmw_lock_take();
	if (refvmx_host_ops.read_gpa(0, gpa, &old, size) != SMMU_GPA_OK) {
		rmw_lock_drop();
		vcpu_fail(v, "read-modify-write of something that is not RAM");
		return true;
	}
	switch (kind) {
	case OR:
		val = old | src;
		break;
	case AND:
		val = old & src;
		break;
	case XOR:
		val = old ^ src;
		break;
	case CMPXCHG: {
		uint64_t acc = v->regs.rax;
		set_arith_flags(flags_sub(acc, old, size));
		if ((acc & m) == (old & m)) {
			val = src;
		} else {
			store = false;
			/* The accumulator takes the old value (zero-extended
			 * at 32 bits, merged below). */
			uint64_t keep = size == 4 ? 0 : acc & ~m;
			v->regs.rax = keep | (old & m);
		}
		break;
	}
	case BTS:
	case BTR:
	case BTC: {
		uint64_t bit = 1ull << src;
		val = kind == BTS   ? old | bit
		      : kind == BTR ? old & ~bit
				    : old ^ bit;
		/* CF is the bit's old value; the other flags are undefined
		 * and kept. */
		uint64_t f = vmcs_read(VMCS_GUEST_RFLAGS) & ~CF;
		vmcs_write(VMCS_GUEST_RFLAGS, f | ((old & bit) ? CF : 0));
		break;
	}
	}
	if (kind == OR || kind == AND || kind == XOR)
		set_arith_flags(flags_result(val, size)); /* OF = CF = 0 */
	val &= m;
	int r = store ? smmu_vm_emulated_write(v->vm, gpa, &val, size) : 0;
	rmw_lock_drop();
	if (r != 0)
		vcpu_fail(v, "emulated store to something that is not RAM");
	else
		v->emulated_stores++;
	return true;
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
	unsigned rmw_len;
	if (emulate_rmw(v, gpa, b, i, opsize, rex, &rmw_len)) {
		if (!v->done)
			vmcs_write(VMCS_GUEST_RIP,
				   vmcs_read(VMCS_GUEST_RIP) + rmw_len);
		return;
	}
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
		val = reg8(v, reg, rex);
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
