/* SPDX-License-Identifier: MIT */
#include "emulate.h"

#include <vmx_fields.h>

#include "console.h"
#include "event.h"
#include "host_ops.h"
#include "insn.h"
#include "percpu.h"

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

/* The flags of a + b (ADD, XADD, INC). */
static uint64_t flags_add(uint64_t a, uint64_t b, unsigned size)
{
	uint64_t m = size_mask(size), r = (a + b) & m;
	uint64_t f = flags_result(r, size);
	a &= m;
	b &= m;
	if (r < a)
		f |= CF;
	if (((a ^ r) & (b ^ r)) >> (8 * size - 1) & 1)
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

static uint64_t sign_extend(uint64_t x, unsigned size)
{
	if (size < 8 && (x >> (8 * size - 1)) & 1)
		x |= ~0ull << (8 * size);
	return x;
}

/* A register operand of `size` bytes takes value (XADD's old value):
 * 8- and 16-bit writes keep the rest, 32-bit ones zero-extend; AH-BH
 * for 4-7 without REX. */
static void set_reg_sized(struct vcpu *v, const struct insn *in, unsigned reg,
			  unsigned size, uint64_t value)
{
	value &= size_mask(size);
	if (size == 1 && !in->rex && reg >= 4 && reg < 8) {
		unsigned r = reg - 4;
		gpr_set(v, r, (gpr_get(v, r) & ~0xff00ull) | value << 8);
	} else if (size < 4) {
		gpr_set(v, reg, (gpr_get(v, reg) & ~size_mask(size)) | value);
	} else {
		gpr_set(v, reg, value);
	}
}

/* OR, AND, XOR, ADD, SUB, INC, DEC, XADD, CMPXCHG, BTS, BTR, BTC on memory
 * (with or without LOCK): the old value comes from guest memory, the new one
 * goes through the library. Returns false if the instruction is not one of
 * them. */
static bool emulate_rmw(struct vcpu *v, uint64_t gpa, const struct insn *in)
{
	uint8_t op = in->opcode;
	unsigned size = in->opsize, reg = in->reg, ext = in->digit;
	enum {
		OR,
		AND,
		XOR,
		ADD,
		SUB,
		INC,
		DEC,
		XADD,
		CMPXCHG,
		BTS,
		BTR,
		BTC
	} kind;
	uint64_t src = 0;

	if (in->mod_register)
		return false;
	if (!in->two_byte && (op == 0x08 || op == 0x09 || op == 0x20 ||
			      op == 0x21 || op == 0x30 || op == 0x31)) {
		kind = op < 0x20 ? OR : op < 0x30 ? AND : XOR;
		size = insn_size(in, !(op & 1));
		src = size == 1 ? reg8(v, reg, in->rex) : gpr_get(v, reg);
	} else if (!in->two_byte && (op == 0x80 || op == 0x81 || op == 0x83) &&
		   (ext == 1 || ext == 4 || ext == 6)) {
		kind = ext == 1 ? OR : ext == 4 ? AND : XOR;
		size = insn_size(in, op == 0x80);
		src = sign_extend(in->imm, in->imm_size);
	} else if (!in->two_byte &&
		   (op == 0x00 || op == 0x01 || op == 0x28 || op == 0x29)) {
		kind = op < 0x28 ? ADD : SUB;
		size = insn_size(in, !(op & 1));
		src = size == 1 ? reg8(v, reg, in->rex) : gpr_get(v, reg);
	} else if (!in->two_byte && (op == 0x80 || op == 0x81 || op == 0x83) &&
		   (ext == 0 || ext == 5)) {
		kind = ext == 0 ? ADD : SUB;
		size = insn_size(in, op == 0x80);
		src = sign_extend(in->imm, in->imm_size);
	} else if (!in->two_byte && (op == 0xfe || op == 0xff) && ext <= 1) {
		kind = ext == 0 ? INC : DEC;
		size = insn_size(in, op == 0xfe);
		src = 1;
	} else if (in->two_byte && (op == 0xc0 || op == 0xc1)) {
		kind = XADD;
		size = insn_size(in, op == 0xc0);
		src = size == 1 ? reg8(v, reg, in->rex) : gpr_get(v, reg);
	} else if (in->two_byte && (op == 0xb0 || op == 0xb1)) {
		kind = CMPXCHG;
		size = insn_size(in, op == 0xb0);
		src = size == 1 ? reg8(v, reg, in->rex) : gpr_get(v, reg);
	} else if (in->two_byte && (op == 0xab || op == 0xb3 || op == 0xbb)) {
		kind = op == 0xab ? BTS : op == 0xb3 ? BTR : BTC;
		src = gpr_get(v, reg);
		/* A register offset may reach outside the operand (a bit
		 * string); only offsets inside it are emulated. */
		if (src >= 8 * (uint64_t)size)
			return false;
	} else if (in->two_byte && op == 0xba && ext >= 5) {
		kind = ext == 5 ? BTS : ext == 6 ? BTR : BTC;
		src = in->imm % (8 * size);
	} else {
		return false;
	}

	uint64_t m = size_mask(size), old = 0, val = 0;
	bool store = true;
	if ((gpa & 0xfff) + size > 4096)
		return false;
	rmw_lock_take();
	if (refvmx_host_ops.read_gpa(0, gpa, &old, size) != SMMU_GPA_OK) {
		rmw_lock_drop();
		return false;
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
	case ADD:
	case XADD:
		val = old + src;
		set_arith_flags(flags_add(old, src, size));
		if (kind == XADD)
			set_reg_sized(v, in, reg, size, old);
		break;
	case SUB:
		val = old - src;
		set_arith_flags(flags_sub(old, src, size));
		break;
	case INC:
	case DEC: {
		/* CF is kept */
		uint64_t cf = vmcs_read(VMCS_GUEST_RFLAGS) & CF;
		val = kind == INC ? old + 1 : old - 1;
		uint64_t f = kind == INC ? flags_add(old, 1, size)
					 : flags_sub(old, 1, size);
		set_arith_flags((f & ~CF) | cf);
		break;
	}
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

/* Elements of a string store to do in this exit: with REP, as many as
 * the count allows up to the end of the destination's page (going up;
 * one going down); 0 if the element itself crosses the page. */
static uint64_t string_elements(struct vcpu *v, uint64_t gpa,
				const struct insn *in, unsigned size,
				uint64_t amask)
{
	if ((gpa & 0xfff) + size > 4096)
		return 0;
	if (!in->rep)
		return 1;
	uint64_t count = v->regs.rcx & amask;
	uint64_t room = (4096 - (gpa & 0xfff)) / size;
	bool down = vmcs_read(VMCS_GUEST_RFLAGS) & (1u << 10); /* DF */
	if (down)
		room = 1;
	return count < room ? (count ? count : 1) : room;
}

/* After n elements: RDI (and RSI) moved, RCX counted down; with REP,
 * RIP stays until RCX reaches 0. */
static void string_done(struct vcpu *v, const struct insn *in, unsigned size,
			uint64_t amask, uint64_t n, bool movs)
{
	bool down = vmcs_read(VMCS_GUEST_RFLAGS) & (1u << 10);
	uint64_t step = n * size;
	uint64_t di = v->regs.rdi;
	v->regs.rdi = (di & ~amask) | ((down ? di - step : di + step) & amask);
	if (movs) {
		uint64_t si = v->regs.rsi;
		v->regs.rsi = (si & ~amask) |
			      ((down ? si - step : si + step) & amask);
	}
	if (in->rep) {
		uint64_t cx = v->regs.rcx;
		cx = (cx & ~amask) | ((cx - n) & amask);
		v->regs.rcx = cx;
		if (cx & amask)
			return; /* the guest executes it again */
	}
	vcpu_advance_rip(in->len);
}

/* STOS (AA, AB): with REP, every element up to the end of the page in
 * one exit (clear_page on a page the guest used as a table). */
static bool emulate_stos(struct vcpu *v, uint64_t gpa, const struct insn *in)
{
	unsigned size = insn_size(in, in->opcode == 0xaa);
	unsigned addrsize = in->addrsize;
	uint64_t amask = addrsize == 8 ? ~0ull : (1ull << (8 * addrsize)) - 1;
	uint64_t val = v->regs.rax & size_mask(size);
	uint64_t n = string_elements(v, gpa, in, size, amask);
	if (!n)
		return false;
	uint8_t buf[4096];
	for (uint64_t i = 0; i < n * size; i++)
		buf[i] = (uint8_t)(val >> (8 * (i % size)));
	if (smmu_vm_emulated_write(v->vm, gpa, buf, (unsigned)(n * size)) !=
	    0) {
		vcpu_fail(v, "an emulated STOS leaves RAM");
		return true;
	}
	v->emulated_stores++;
	string_done(v, in, size, amask, n, false);
	return true;
}

/* MOVS (A4, A5) whose destination is protected: the source read through
 * the guest's translation (its #PF is the guest's), the store through
 * the library, as many elements as the destination's page holds when
 * source and destination do not overlap (memcpy into a new page
 * directory: the kernel half of a PGD). Segment overrides other than
 * on DS are not known: such an instruction is not emulated. */
static bool emulate_movs(struct vcpu *v, uint64_t la, uint64_t gpa,
			 const struct insn *in)
{
	unsigned size = insn_size(in, in->opcode == 0xa4);
	unsigned addrsize = in->addrsize;
	uint64_t amask = addrsize == 8 ? ~0ull : (1ull << (8 * addrsize)) - 1;
	for (unsigned i = 0; i < in->len; i++)
		if (in->bytes[i] == 0x64 || in->bytes[i] == 0x65 ||
		    in->bytes[i] == 0x26 || in->bytes[i] == 0x2e ||
		    in->bytes[i] == 0x36)
			return false;
	uint64_t n = string_elements(v, gpa, in, size, amask);
	if (!n)
		return false;
	uint64_t src = v->regs.rsi & amask;
	if (!vcpu_long_mode())
		src = (vmcs_read(VMCS_GUEST_DS_BASE) + src) & 0xffffffffu;
	uint64_t bytes = n * size;
	if (n > 1 && (src < la + bytes && la < src + bytes)) {
		n = 1;
		bytes = size;
	}
	uint8_t buf[4096];
	uint64_t fault_la = 0;
	struct smmu_translation t;
	/* A supervisor copy from user memory (copy_from_user) runs with
	 * RFLAGS.AC set, which SMAP lets through. */
	uint32_t flags = vcpu_cpl() == 3 ? SMMU_ACCESS_USER : 0;
	if (vmcs_read(VMCS_GUEST_RFLAGS) & X86_EFLAGS_AC)
		flags |= SMMU_ACCESS_AC;
	switch (insn_read_linear(v, src, buf, (unsigned)bytes, flags, &fault_la,
				 &t)) {
	case SMMU_XLATE_OK:
		break;
	case SMMU_XLATE_PAGE_FAULT:
		event_page_fault(v, fault_la, t.pf_error);
		return true;
	case SMMU_XLATE_RETRY:
		return true;
	default:
		return false;
	}
	if (smmu_vm_emulated_write(v->vm, gpa, buf, (unsigned)bytes) != 0) {
		vcpu_fail(v, "an emulated MOVS leaves RAM");
		return true;
	}
	v->emulated_stores++;
	string_done(v, in, size, amask, n, true);
	return true;
}

/* MOV and XCHG stores: false if the instruction is none of them. */
static bool emulate_mov(struct vcpu *v, uint64_t gpa, const struct insn *in)
{
	uint64_t val, old = 0;
	unsigned size;
	if (in->two_byte || (in->has_modrm && in->mod_register))
		return false;
	switch (in->opcode) {
	case 0xa2: /* MOV moffs8, AL */
	case 0xa3: /* MOV moffs, eAX */
		size = insn_size(in, in->opcode == 0xa2);
		val = v->regs.rax;
		break;
	case 0x86: /* XCHG r/m, r: the register gets the old value */
	case 0x87:
		size = insn_size(in, in->opcode == 0x86);
		val = size == 1 ? reg8(v, in->reg, in->rex)
				: gpr_get(v, in->reg);
		if (refvmx_host_ops.read_gpa(0, gpa, &old, size) != SMMU_GPA_OK)
			return false;
		if (size == 1 && !in->rex && in->reg >= 4 && in->reg < 8) {
			unsigned r = in->reg - 4; /* AH-BH */
			gpr_set(v, r, (gpr_get(v, r) & ~0xff00ull) | old << 8);
		} else if (size < 4) {
			/* 8- and 16-bit results keep the rest; 32-bit ones
			 * zero-extend. */
			gpr_set(v, in->reg,
				(gpr_get(v, in->reg) & ~size_mask(size)) | old);
		} else {
			gpr_set(v, in->reg, old);
		}
		break;
	case 0x88: /* MOV r/m8, r8 */
		size = 1;
		val = reg8(v, in->reg, in->rex);
		break;
	case 0x89: /* MOV r/m, r */
		size = in->opsize;
		val = gpr_get(v, in->reg);
		break;
	case 0xc6: /* MOV r/m8, imm8 */
	case 0xc7: /* MOV r/m, imm16/32 (sign-extended to 64) */
		if (in->digit != 0)
			return false;
		size = insn_size(in, in->opcode == 0xc6);
		val = sign_extend(in->imm, in->imm_size);
		break;
	default:
		return false;
	}
	val &= size_mask(size);
	if ((gpa & 0xfff) + size > 4096)
		return false;
	if (smmu_vm_emulated_write(v->vm, gpa, &val, size) != 0) {
		vcpu_fail(v, "emulated store to something that is not RAM");
		return true;
	}
	v->emulated_stores++;
	vcpu_advance_rip(in->len);
	return true;
}

/* How many times one instruction may be retried after unprotecting
 * its frame before refvmx gives up: the frame is shadowed again each
 * time the guest walks it as a table, so a guest that does that between
 * every retry would otherwise never progress. */
#define UNPROTECT_RETRIES 16

void emulate_unprotect_retry(struct vcpu *v, uint64_t gpa, const char *why)
{
	uint64_t rip = vmcs_read(VMCS_GUEST_RIP);
	if (rip == v->unprotect_rip) {
		if (++v->unprotect_retries > UNPROTECT_RETRIES) {
			kprintf("refvmx: vCPU %u: the store at rip 0x%llx to "
				"gpa 0x%llx still faults after %u "
				"unprotections\n",
				v->index, (unsigned long long)rip,
				(unsigned long long)gpa, UNPROTECT_RETRIES);
			vcpu_fail(v, "a store refvmx cannot emulate keeps "
				     "faulting");
			return;
		}
	} else {
		v->unprotect_rip = rip;
		v->unprotect_retries = 0;
	}
	enum smmu_status st = smmu_vm_unprotect_gfn(v->vm, gpa >> 12);
	if (st == SMMU_OK) {
		v->unprotects++;
		return; /* the same instruction again, the frame writable */
	}
	kprintf("refvmx: vCPU %u: %s at rip 0x%llx stores to gpa 0x%llx, "
		"which %s\n",
		v->index, why, (unsigned long long)rip, (unsigned long long)gpa,
		st == SMMU_EBUSY ? "is a root table in use: it stays protected"
				 : "the library refused to unprotect");
	vcpu_fail(v, "cannot emulate a store to a write-protected table");
}

void emulate_store(struct vcpu *v, uint64_t la, uint64_t gpa)
{
	struct insn in;
	if (!insn_fetch_decode(v, &in)) {
		emulate_unprotect_retry(v, gpa,
					"an instruction refvmx does "
					"not decode");
		return;
	}
	if (emulate_rmw(v, gpa, &in)) {
		if (!v->done)
			vcpu_advance_rip(in.len);
		return;
	}
	if ((!in.two_byte && (in.opcode == 0xaa || in.opcode == 0xab) &&
	     emulate_stos(v, gpa, &in)) ||
	    (!in.two_byte && (in.opcode == 0xa4 || in.opcode == 0xa5) &&
	     emulate_movs(v, la, gpa, &in)) ||
	    emulate_mov(v, gpa, &in))
		return;
	emulate_unprotect_retry(v, gpa,
				"an instruction refvmx does not "
				"emulate");
}
