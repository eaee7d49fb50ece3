/* SPDX-License-Identifier: MIT */
#include "insn.h"

#include <vmx_fields.h>

#include "host_ops.h"
#include "vcpu.h"

/* What follows a known opcode: a ModRM byte, and an immediate of the
 * given kind (SDM vol. 2, appendix A opcode maps). */
enum imm_kind { IMM_NONE, IMM_8, IMM_OPSIZE /* 2 or 4 */, IMM_MOFFS };

struct opcode_form {
	bool known, modrm;
	enum imm_kind imm;
};

static struct opcode_form one_byte(uint8_t op)
{
	switch (op) {
	case 0x00:
	case 0x01: /* ADD */
	case 0x28:
	case 0x29: /* SUB */
	case 0xfe:
	case 0xff: /* group 4/5: INC, DEC (and others, by length) */
	case 0x08:
	case 0x09:
	case 0x0a:
	case 0x0b: /* OR */
	case 0x20:
	case 0x21:
	case 0x22:
	case 0x23: /* AND */
	case 0x30:
	case 0x31:
	case 0x32:
	case 0x33: /* XOR */
	case 0x86:
	case 0x87: /* XCHG */
	case 0x88:
	case 0x89:
	case 0x8a:
	case 0x8b: /* MOV */
		return (struct opcode_form){ true, true, IMM_NONE };
	case 0x80:
	case 0x83: /* group 1, imm8 */
	case 0xc6: /* MOV r/m8, imm8 */
		return (struct opcode_form){ true, true, IMM_8 };
	case 0x81: /* group 1, imm16/32 */
	case 0xc7: /* MOV r/m, imm16/32 */
		return (struct opcode_form){ true, true, IMM_OPSIZE };
	case 0xa0:
	case 0xa1:
	case 0xa2:
	case 0xa3: /* MOV with moffs */
		return (struct opcode_form){ true, false, IMM_MOFFS };
	case 0xa4:
	case 0xa5: /* MOVS */
	case 0xaa:
	case 0xab: /* STOS */
		return (struct opcode_form){ true, false, IMM_NONE };
	default:
		return (struct opcode_form){ false, false, IMM_NONE };
	}
}

static struct opcode_form two_byte(uint8_t op)
{
	switch (op) {
	case 0xc0:
	case 0xc1: /* XADD */
	case 0xb0:
	case 0xb1: /* CMPXCHG */
	case 0xab:
	case 0xb3:
	case 0xbb: /* BTS, BTR, BTC */
	case 0xb6:
	case 0xb7:
	case 0xbe:
	case 0xbf: /* MOVZX, MOVSX */
		return (struct opcode_form){ true, true, IMM_NONE };
	case 0xba: /* group 8: BT/BTS/BTR/BTC r/m, imm8 */
		return (struct opcode_form){ true, true, IMM_8 };
	default:
		return (struct opcode_form){ false, false, IMM_NONE };
	}
}

/* Bytes taken by ModRM, SIB and displacement (SDM vol. 2, 2.1.5). */
static unsigned modrm_bytes(const uint8_t *p, unsigned addrsize)
{
	unsigned mod = p[0] >> 6, rm = p[0] & 7, n = 1;
	if (mod == 3)
		return n;
	if (addrsize == 2) { /* 16-bit addressing: no SIB */
		if (mod == 0 && rm == 6)
			return n + 2;
		return n + (mod == 1 ? 1 : mod == 2 ? 2 : 0);
	}
	if (rm == 4) {
		n++;
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4;
	}
	if (mod == 0 && rm == 5)
		n += 4; /* disp32 (RIP-relative in 64-bit mode) */
	else if (mod == 1)
		n += 1;
	else if (mod == 2)
		n += 4;
	return n;
}

static uint64_t little_endian(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

bool insn_decode(const uint8_t *b, unsigned n, bool long_mode, struct insn *out)
{
	struct insn d = { .opsize = 4, .addrsize = long_mode ? 8 : 4 };
	unsigned i = 0;
	bool opsize16 = false;
	for (; i < n; i++) {
		uint8_t c = b[i];
		if (c == 0x66)
			opsize16 = true;
		else if (c == 0x67)
			d.addrsize = long_mode ? 4 : 2;
		else if (c == 0xf0)
			d.lock = true;
		else if (c == 0xf3)
			d.rep = true;
		else if (c == 0xf2 || c == 0x2e || c == 0x3e || c == 0x26 ||
			 c == 0x36 || c == 0x64 || c == 0x65)
			continue;
		else
			break;
	}
	/* REX must come last, just before the opcode. */
	if (long_mode && i < n && (b[i] & 0xf0) == 0x40)
		d.rex = b[i++];
	if (i >= n)
		return false;
	if (opsize16)
		d.opsize = 2;
	if (d.rex & 8)
		d.opsize = 8;
	struct opcode_form form;
	if (b[i] == 0x0f) {
		if (++i >= n)
			return false;
		d.two_byte = true;
		d.opcode = b[i++];
		form = two_byte(d.opcode);
	} else {
		d.opcode = b[i++];
		form = one_byte(d.opcode);
	}
	if (!form.known)
		return false;
	if (form.modrm) {
		if (i >= n)
			return false;
		d.has_modrm = true;
		d.modrm = b[i];
		d.digit = (d.modrm >> 3) & 7;
		d.reg = d.digit | ((d.rex & 4) ? 8 : 0);
		d.mod_register = (d.modrm >> 6) == 3;
		i += modrm_bytes(&b[i], d.addrsize);
	}
	switch (form.imm) {
	case IMM_NONE:
		break;
	case IMM_8:
		d.imm_size = 1;
		break;
	case IMM_OPSIZE:
		d.imm_size = d.opsize == 2 ? 2 : 4;
		break;
	case IMM_MOFFS:
		d.imm_size = d.addrsize;
		break;
	}
	if (i + d.imm_size > n)
		return false;
	if (form.imm == IMM_MOFFS)
		d.moffs = little_endian(&b[i], d.imm_size);
	else
		d.imm = little_endian(&b[i], d.imm_size);
	i += d.imm_size;
	d.len = i;
	for (unsigned k = 0; k < i && k < INSN_MAX; k++)
		d.bytes[k] = b[k];
	*out = d;
	return true;
}

enum smmu_xlate_status insn_read_linear(struct vcpu *v, uint64_t la, void *buf,
					unsigned len, uint32_t flags,
					uint64_t *fault_la,
					struct smmu_translation *t)
{
	uint8_t *out = buf;
	bool ia32e = smmu_vcpu_paging_mode(v->mmu) >= SMMU_PAGING_4LEVEL;
	for (unsigned done = 0; done < len;) {
		uint64_t at = la + done;
		if (!ia32e)
			at &= 0xffffffffu;
		/* Up to the end of its 4 KiB page: the next page may be
		 * elsewhere, or not mapped. */
		unsigned chunk = 4096 - (unsigned)(at & 4095);
		if (chunk > len - done)
			chunk = len - done;
		struct smmu_access acc = { .la = at, .flags = flags };
		enum smmu_xlate_status st =
			smmu_vcpu_translate(v->mmu, &acc, t);
		if (st == SMMU_XLATE_OK &&
		    refvmx_host_ops.read_gpa(0, t->gpa, out + done, chunk) !=
			    SMMU_GPA_OK) {
			t->not_ram_gpa = t->gpa;
			st = SMMU_XLATE_NOT_RAM;
		}
		if (st != SMMU_XLATE_OK) {
			*fault_la = at;
			return st;
		}
		done += chunk;
	}
	return SMMU_XLATE_OK;
}

bool insn_fetch_decode(struct vcpu *v, struct insn *out)
{
	uint8_t buf[INSN_MAX] = { 0 };
	uint64_t rip =
		vmcs_read(VMCS_GUEST_CS_BASE) + vmcs_read(VMCS_GUEST_RIP);
	bool long_mode = vcpu_long_mode();
	if (!long_mode)
		rip &= 0xffffffffu;
	uint32_t flags =
		SMMU_ACCESS_FETCH | (vcpu_cpl() == 3 ? SMMU_ACCESS_USER : 0);
	unsigned got = 0;
	/* What lies in RIP's page in one read (one translation); past
	 * it byte by byte: the instruction may end before a page the
	 * guest has not mapped. */
	unsigned first = 4096 - (unsigned)(rip & 4095);
	if (first > INSN_MAX)
		first = INSN_MAX;
	struct smmu_translation t;
	uint64_t fault_la;
	if (insn_read_linear(v, rip, buf, first, flags, &fault_la, &t) ==
	    SMMU_XLATE_OK)
		got = first;
	for (; got < INSN_MAX; got++) {
		if (insn_read_linear(v, rip + got, &buf[got], 1, flags,
				     &fault_la, &t) != SMMU_XLATE_OK)
			break;
	}
	if (!insn_decode(buf, got, long_mode, out)) {
		for (unsigned k = 0; k < INSN_MAX; k++)
			out->bytes[k] = buf[k];
		out->len = got;
		return false;
	}
	return true;
}
