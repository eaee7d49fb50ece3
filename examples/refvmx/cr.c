/* SPDX-License-Identifier: MIT */
#include "cr.h"

#include <vmx_asm.h>
#include <vmx_exit.h>
#include <vmx_fields.h>

#include "console.h"
#include "event.h"
#include "guest_cpu.h"
#include "vapic.h"

#define CR0_ET (1ull << 4) /* hardwired to 1 since the P6 */
#define CR0_TS (1ull << 3)

static enum smmu_cr_result write_cr4(struct vcpu *v, uint64_t val)
{
	/* Bits of features the guest's CPU lacks are reserved: #GP (SDM
	 * vol. 2B, MOV to CR4). The library judges the paging bits, PCIDE
	 * among them (set only in IA-32e mode with PCID 0 in CR3; 1 -> 0
	 * flushes every PCID, SDM 4.10.4.1). */
	if (val & ~guest_cpu.cr4_allowed)
		return SMMU_CR_INJECT_GP;
	return smmu_vcpu_write_cr4(v->mmu, val);
}

void cr_access(struct vcpu *v)
{
	struct vmx_cr_access q =
		vmx_decode_cr_access(vmcs_read(VMCS_EXIT_QUALIFICATION));
	struct smmu_paging_regs r;
	smmu_vcpu_get_paging(v->mmu, &r);
	enum smmu_cr_result res = SMMU_CR_DONE;
	switch (q.type) {
	case VMX_CR_MOV_TO_CR: {
		/* The whole operand: for CR3 with PCIDE, bit 63 (NOFLUSH)
		 * and the PCID in bits 11:0 go to the library as written.
		 * Outside 64-bit mode the operand is 32 bits wide. */
		uint64_t val = gpr_get(v, q.gpr);
		if (!vcpu_long_mode())
			val = (uint32_t)val;
		v->cr_writes++;
		if (q.cr == 0)
			res = smmu_vcpu_write_cr0(v->mmu, val | CR0_ET);
		else if (q.cr == 3)
			res = smmu_vcpu_write_cr3(v->mmu, val);
		else if (q.cr == 4)
			res = write_cr4(v, val);
		else if (q.cr == 8 && !(val >> 4))
			vapic_set_cr8(v,
				      val); /* 63:4 reserved (SDM 10.8.6.1) */
		else
			res = SMMU_CR_INJECT_GP;
		break;
	}
	case VMX_CR_MOV_FROM_CR:
		if (q.cr == 3) {
			gpr_set(v, q.gpr, r.cr3);
		} else if (q.cr == 8) {
			gpr_set(v, q.gpr, vapic_cr8(v));
		} else {
			vcpu_fail(v, "unexpected MOV from a control register");
			return;
		}
		break;
	case VMX_CR_CLTS:
		res = smmu_vcpu_write_cr0(v->mmu, r.cr0 & ~CR0_TS);
		break;
	case VMX_CR_LMSW:
		/* LMSW sets PE, MP, EM, TS from its operand; it never
		 * clears PE. */
		res = smmu_vcpu_write_cr0(
			v->mmu, (r.cr0 & ~0xeull) | (q.lmsw_source & 0xf) |
					(r.cr0 & 1));
		break;
	}
	if (res == SMMU_CR_DONE)
		vcpu_skip_instruction();
	else if (res == SMMU_CR_INJECT_UD)
		event_ud(v);
	else
		event_gp(v);
}

/* XCR0 rules (SDM vol. 2B, XSETBV; vol. 1, 13.3): x87 always on, AVX
 * needs SSE, the three AVX-512 components together and with AVX, and
 * nothing the guest's CPUID does not list. */
static bool xcr0_valid(uint64_t x)
{
	const uint64_t x87 = 1, sse = 2, avx = 4, avx512 = 7ull << 5;
	if (!(x & x87) || (x & ~guest_cpu.xcr0_supported))
		return false;
	if ((x & avx) && !(x & sse))
		return false;
	if ((x & avx512) && ((x & avx512) != avx512 || !(x & avx)))
		return false;
	return true;
}

void cr_xsetbv(struct vcpu *v)
{
	/* CPL > 0 and CR4.OSXSAVE = 0 fault before the exit (SDM 26.1.1);
	 * what is left is the register number and the value. */
	uint32_t xcr = (uint32_t)v->regs.rcx;
	uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
	if (xcr != 0 || !xcr0_valid(val)) {
		event_gp(v);
		return;
	}
	/* The CPU's XCR0 is the guest's: refvmx itself never uses
	 * extended state, and XGETBV in the guest reads it directly. */
	__asm__ volatile("xsetbv"
			 :
			 : "c"(0), "a"((uint32_t)val),
			   "d"((uint32_t)(val >> 32)));
	vcpu_skip_instruction();
}
