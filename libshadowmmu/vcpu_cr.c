/* SPDX-License-Identifier: MIT */
/*
 * Guest writes to CR0, CR3, CR4 and IA32_EFER: the architectural checks
 * that decide between the write and #GP(0), and the side effects on the
 * paging state (EFER.LMA, PAE PDPTE loads). The host filters bits for
 * features it does not expose to the guest (e.g. CR4.LA57 or CR4.PKE
 * without the CPUID bit) before calling in.
 */
#include "vcpu.h"

/* Load the PDPTE registers from the table CR3 points to (SDM 4.4.1). A
 * present PDPTE with a reserved bit set makes the instruction fault. A
 * table outside guest RAM faults too: such reads return all ones on real
 * platforms, which is a present PDPTE with reserved bits. */
static bool load_pdptes(const struct smmu_vcpu *vcpu, uint64_t cr3,
			uint64_t pdpte[4])
{
	const struct smmu_vm *vm = vcpu->vm;
	uint64_t base = cr3 & X86_BITS(31, 5);
	uint64_t rsvd = gw_pdpte_rsvd(vm->features.maxphyaddr);
	uint64_t e[4];

	for (int i = 0; i < 4; i++) {
		if (vm->ops->read_gpa(vm->host, base + 8 * i, &e[i], 8) !=
		    SMMU_GPA_OK)
			return false;
		if ((e[i] & X86_PTE_P) && (e[i] & rsvd))
			return false;
	}
	for (int i = 0; i < 4; i++)
		pdpte[i] = e[i];
	return true;
}

/* Make `next` the vCPU's registers. If PAE paging results and the write
 * touched a bit that reloads the PDPTEs, load them first; if that faults,
 * nothing changes. */
static enum smmu_cr_result commit(struct smmu_vcpu *vcpu,
				  struct smmu_paging_regs *next,
				  bool reload_pdptes, enum cr_write cr,
				  bool noflush)
{
	if (reload_pdptes && gw_paging_mode(next) == SMMU_PAGING_PAE &&
	    !load_pdptes(vcpu, next->cr3, next->pdpte))
		return SMMU_CR_INJECT_GP;
	struct smmu_paging_regs old = vcpu->regs;
	vcpu->regs = *next;
	vcpu_regs_changed(vcpu);
	/* What the write invalidates in the guest's TLB (SDM 4.10.4.1). */
	invalidate_cr_write(vcpu, &old, cr, noflush);
	return SMMU_CR_DONE;
}

enum smmu_cr_result smmu_vcpu_write_cr0(struct smmu_vcpu *vcpu, uint64_t val)
{
	if (!vcpu)
		return SMMU_CR_EINVAL;
	struct smmu_paging_regs next = vcpu->regs;
	uint64_t old = next.cr0;
	bool pg_on = (val & X86_CR0_PG) && !(old & X86_CR0_PG);
	bool pg_off = !(val & X86_CR0_PG) && (old & X86_CR0_PG);

	if (val >> 32)
		return SMMU_CR_INJECT_GP; /* bits 63:32 are reserved */
	if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
		return SMMU_CR_INJECT_GP;
	if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
		return SMMU_CR_INJECT_GP;
	if (pg_off && (next.cr4 & X86_CR4_PCIDE))
		return SMMU_CR_INJECT_GP;
	if (pg_on && (next.efer & X86_EFER_LME)) {
		/* Activating IA-32e mode requires PAE (SDM 9.8.5). */
		if (!(next.cr4 & X86_CR4_PAE))
			return SMMU_CR_INJECT_GP;
		next.efer |= X86_EFER_LMA;
	}
	if (pg_off)
		next.efer &= ~X86_EFER_LMA;
	next.cr0 = val;
	/* SDM 4.4.1: CD, NW and PG changes reload the PDPTEs. */
	return commit(vcpu, &next,
		      (val ^ old) & (X86_CR0_PG | X86_CR0_CD | X86_CR0_NW),
		      CR_WRITE_CR0, false);
}

enum smmu_cr_result smmu_vcpu_write_cr3(struct smmu_vcpu *vcpu, uint64_t val)
{
	if (!vcpu)
		return SMMU_CR_EINVAL;
	struct smmu_paging_regs next = vcpu->regs;
	bool noflush = false;

	if (next.efer & X86_EFER_LMA) {
		uint8_t m = vcpu->vm->features.maxphyaddr;
		uint64_t rsvd = X86_BITS(62, m);
		/* With PCIDE, bit 63 is the NOFLUSH hint and never reaches
		 * CR3 (SDM 4.10.4.1); otherwise it is reserved. */
		if (next.cr4 & X86_CR4_PCIDE) {
			noflush = val & X86_CR3_NOFLUSH;
			val &= ~X86_CR3_NOFLUSH;
		} else
			rsvd |= X86_CR3_NOFLUSH;
		if (val & rsvd)
			return SMMU_CR_INJECT_GP;
	} else {
		/* Outside IA-32e mode, MOV to CR3 writes 32 bits. */
		val &= 0xffffffffu;
	}
	next.cr3 = val;
	return commit(vcpu, &next, true, CR_WRITE_CR3, noflush);
}

enum smmu_cr_result smmu_vcpu_write_cr4(struct smmu_vcpu *vcpu, uint64_t val)
{
	if (!vcpu)
		return SMMU_CR_EINVAL;
	struct smmu_paging_regs next = vcpu->regs;
	uint64_t old = next.cr4;
	bool lma = next.efer & X86_EFER_LMA;

	/* Bits of paging features the guest's CPU lacks are reserved. */
	if (val & vcpu->vm->features.cr4_reserved)
		return SMMU_CR_INJECT_GP;
	/* SDM 4.1.2: PAE cannot be cleared and LA57 cannot change while
	 * IA-32e paging is active. */
	if (lma && !(val & X86_CR4_PAE))
		return SMMU_CR_INJECT_GP;
	if (lma && ((val ^ old) & X86_CR4_LA57))
		return SMMU_CR_INJECT_GP;
	/* SDM 4.10.1: PCIDE can be set only in IA-32e mode with PCID 0. */
	if ((val & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) &&
	    (!lma || (next.cr3 & X86_CR3_PCID_MASK)))
		return SMMU_CR_INJECT_GP;
	next.cr4 = val;
	/* SDM 4.4.1: PAE, PGE, PSE and SMEP changes reload the PDPTEs. */
	return commit(vcpu, &next,
		      (val ^ old) & (X86_CR4_PAE | X86_CR4_PGE | X86_CR4_PSE |
				     X86_CR4_SMEP),
		      CR_WRITE_CR4, false);
}

enum smmu_cr_result smmu_vcpu_write_efer(struct smmu_vcpu *vcpu, uint64_t val)
{
	if (!vcpu)
		return SMMU_CR_EINVAL;
	struct smmu_paging_regs next = vcpu->regs;
	uint64_t old = next.efer;

	if (val & vcpu->vm->features.efer_reserved)
		return SMMU_CR_INJECT_GP;
	/* LMA is a status bit: writes to it are ignored. */
	val = (val & ~X86_EFER_LMA) | (old & X86_EFER_LMA);
	/* SDM 9.8.5: LME cannot change while paging is enabled. */
	if ((next.cr0 & X86_CR0_PG) && ((val ^ old) & X86_EFER_LME))
		return SMMU_CR_INJECT_GP;
	next.efer = val;
	return commit(vcpu, &next, false, CR_WRITE_EFER, false);
}
