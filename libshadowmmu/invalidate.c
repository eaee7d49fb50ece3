/* SPDX-License-Identifier: MIT */
/*
 * Guest invalidations, with exactly the scope the SDM gives each (vol. 3A
 * 4.10.4.1; vol. 2 INVLPG, INVPCID), turned into syncs of the roots they
 * cover and flushes of the hardware PCIDs those roots run under (roots.h):
 *
 *   INVLPG la            la in every cached root, global included: sync
 *                        la in each, flush la in every PCID.
 *   INVPCID 0 (la, P)    la in the roots of guest PCID P, not global.
 *   INVPCID 1 (P)        the roots of P: sync and flush before they run.
 *   INVPCID 2, PV flush  everything, global included.
 *   INVPCID 3            everything but global translations.
 *   MOV CR3, PCIDE=0     PCID 000H (every root cached meanwhile, since
 *                        all of them ran as PCID 000H).
 *   MOV CR3, PCIDE=1     the roots of the new PCID; nothing with NOFLUSH.
 *   MOV CR4              PGE toggled or PCIDE 1->0: everything, global
 *                        included; SMEP 0->1: the current PCID.
 *   MOV CR0              PG 1->0: everything, global included.
 *   WRMSR EFER           NXE changed: everything (stricter than the SDM,
 *                        as the oracle is).
 *
 * A sync always comes before the flush it pairs with reaches the
 * hardware: current roots are synced now or at the next entry, and every
 * flush waits for that entry (shared/seeds 004). Outside IA-32e mode the
 * vCPU's private root is synced at once.
 */
#include "lock_check.h"
#include "sync.h"
#include "vcpu.h"

static bool flushes_planted_away(const struct smmu_vcpu *vcpu)
{
	return bug_planted(vcpu->vm, SMMU_INJECT_NO_FLUSH_ON_INVALIDATE);
}

/* Every translation of the vCPU (global ones too with `global`). */
static void invalidate_all(struct smmu_vcpu *vcpu, bool global)
{
	struct smmu_vm *vm = vcpu->vm;
	struct vcpu_roots *r = &vcpu->roots;
	if (!vm->shadow_ops)
		return;
	if (r->cur < 0) {
		/* The private root stays: sync what it links. */
		if (vcpu->root &&
		    !bug_planted(vm, SMMU_INJECT_NO_SYNC_ON_INVALIDATE)) {
			vm_lock(vm);
			sp_sync_tree(vm, vcpu->root);
			vm_unlock(vm);
		}
		/* And the IA-32e roots cached before paging went off (MOV
		 * CR0 clearing PG, its only way out of IA-32e mode): the
		 * same CR3 with paging on again finds its slot. */
		if (!bug_planted(vm, SMMU_INJECT_SYNC_CURRENT_ROOT_ONLY))
			roots_invalidate(vcpu, true, 0);
	} else if (bug_planted(vm, SMMU_INJECT_SYNC_CURRENT_ROOT_ONLY)) {
		r->slot[r->cur].need_sync = true;
	} else {
		roots_invalidate(vcpu, true, 0);
	}
	if (!flushes_planted_away(vcpu))
		pcid_flush_vcpu(vcpu, global);
}

/* Every non-global translation of guest PCID pcid. */
static void invalidate_pcid(struct smmu_vcpu *vcpu, uint16_t pcid)
{
	struct vcpu_roots *r = &vcpu->roots;
	if (!vcpu->vm->shadow_ops)
		return;
	if (r->cur < 0) {
		invalidate_all(vcpu, false);
		return;
	}
	bool current_only =
		(bug_planted(vcpu->vm, SMMU_INJECT_PCIDE0_CURRENT_ONLY) &&
		 !(vcpu->regs.cr4 & X86_CR4_PCIDE)) ||
		bug_planted(vcpu->vm, SMMU_INJECT_FLUSH_SPARES_SHARED_PCID);
	if (current_only) {
		r->slot[r->cur].need_sync = true;
		r->slot[r->cur].flush_pending = true;
		return;
	}
	roots_invalidate(vcpu, false, pcid);
}

/* One address: in every PCID and global too (all), or in guest PCID
 * pcid only. */
static void invalidate_address(struct smmu_vcpu *vcpu, bool all, uint16_t pcid,
			       uint64_t la)
{
	struct smmu_vm *vm = vcpu->vm;
	if (!vm->shadow_ops)
		return;
	if (!roots_address_in_sync(vcpu, all, pcid, la)) {
		vm_lock(vm);
		roots_sync_address(vcpu, all, pcid, la);
		vm_unlock(vm);
	}
	if (flushes_planted_away(vcpu))
		return;
	/* The guest's translation of la may have been a large page the
	 * shadow mapped in pieces, whose link has gone since: the CPU may
	 * hold its other pieces, out of the shadow's reach, and only a
	 * flush of all the vCPU holds finds them (shadow_vm.
	 * splinters_dropped). Pieces are never global. */
	uint64_t dropped = __atomic_load_n(&vm->shadow.splinters_dropped,
					   __ATOMIC_ACQUIRE);
	if (dropped != vcpu->roots.splinters_flushed &&
	    !bug_planted(vm, SMMU_INJECT_SPLINTERS_UNFLUSHED))
		pcid_flush_vcpu(vcpu, false);
	/* Outside IA-32e mode there are no slots to flush by PCID: the
	 * vCPU runs on hardware PCID 0 alone, where INVPCID type 0 flushes
	 * the address like INVLPG (its globals too: more, never less). */
	if (all || vcpu->roots.cur < 0)
		flush_local(vcpu, SMMU_FLUSH_ADDR, 0, la);
}

enum smmu_status smmu_vcpu_invlpg(struct smmu_vcpu *vcpu, uint64_t la)
{
	if (!vcpu)
		return SMMU_EINVAL;
	/* SDM vol. 2, INVLPG: a non-canonical address is a no-op. */
	if (gw_la_canonical(&vcpu->mmu, la))
		invalidate_address(vcpu, true, 0, gw_la(&vcpu->mmu, la));
	return SMMU_OK;
}

/* SDM vol. 2, INVPCID: the #GP(0) conditions the descriptor and the
 * paging registers decide. */
static bool invpcid_faults(const struct smmu_vcpu *vcpu, unsigned type,
			   uint64_t pcid, uint64_t la)
{
	if (type > 3 || (pcid & ~X86_CR3_PCID_MASK))
		return true;
	if (type == 0 && !gw_la_canonical(&vcpu->mmu, la))
		return true;
	return type <= 1 && pcid && !(vcpu->regs.cr4 & X86_CR4_PCIDE);
}

enum smmu_cr_result smmu_vcpu_invpcid(struct smmu_vcpu *vcpu, unsigned type,
				      uint64_t pcid, uint64_t la)
{
	if (!vcpu)
		return SMMU_CR_EINVAL;
	if (!(vcpu->vm->features.cpu & SMMU_CPU_INVPCID))
		return SMMU_CR_INJECT_UD;
	if (invpcid_faults(vcpu, type, pcid, la))
		return SMMU_CR_INJECT_GP;
	switch (type) {
	case 0:
		invalidate_address(vcpu, false, (uint16_t)pcid,
				   gw_la(&vcpu->mmu, la));
		break;
	case 1:
		invalidate_pcid(vcpu, (uint16_t)pcid);
		break;
	default:
		invalidate_all(vcpu, type == 2);
		break;
	}
	return SMMU_CR_DONE;
}

enum smmu_status smmu_vcpu_pv_flush(struct smmu_vcpu *vcpu)
{
	if (!vcpu)
		return SMMU_EINVAL;
	if (vcpu->vm->shadow_ops && vcpu->vm->policy.unload_on_pv_flush)
		roots_drop_all(vcpu); /* KVM's way: rebuild everything */
	invalidate_all(vcpu, true);
	return SMMU_OK;
}

static uint16_t current_pcid(const struct smmu_vcpu *vcpu)
{
	return (vcpu->regs.cr4 & X86_CR4_PCIDE)
		       ? (uint16_t)(vcpu->regs.cr3 & X86_CR3_PCID_MASK)
		       : 0;
}

void invalidate_cr_write(struct smmu_vcpu *vcpu,
			 const struct smmu_paging_regs *old, enum cr_write cr,
			 bool noflush)
{
	const struct smmu_paging_regs *now = &vcpu->regs;
	bool was_ia32e = old->efer & X86_EFER_LMA;
	if ((old->cr0 & X86_CR0_PG) && !(now->cr0 & X86_CR0_PG)) {
		invalidate_all(vcpu, true);
		return;
	}
	/* Outside IA-32e mode the private root was rebuilt for the new
	 * registers (roots_follow_regs), and what the old one left in PCID
	 * 0 is flushed at entry (pcid.c). */
	if (!was_ia32e || !vcpu_ia32e(vcpu))
		return;
	uint64_t changed = old->cr4 ^ now->cr4;
	switch (cr) {
	case CR_WRITE_CR3:
		if (!(now->cr4 & X86_CR4_PCIDE) || !noflush ||
		    !vcpu->vm->policy.honour_noflush)
			invalidate_pcid(vcpu, current_pcid(vcpu));
		else
			vcpu->roots.noflush_switch = true;
		break;
	case CR_WRITE_CR4:
		if ((changed & X86_CR4_PCIDE) && vcpu->vm->shadow_ops &&
		    vcpu->vm->policy.drop_roots_on_pcide)
			roots_drop_all(vcpu); /* KVM's way for seed 001 */
		if ((changed & X86_CR4_PGE) ||
		    ((changed & X86_CR4_PCIDE) && !(now->cr4 & X86_CR4_PCIDE)))
			invalidate_all(vcpu, true);
		else if ((changed & X86_CR4_SMEP) && (now->cr4 & X86_CR4_SMEP))
			invalidate_pcid(vcpu, current_pcid(vcpu));
		break;
	case CR_WRITE_EFER:
		/* Not an SDM invalidation, but XD changes meaning between
		 * a right and a reserved bit: treated as one, as the oracle
		 * does (adapters/posix/ref_model.h). */
		if ((old->efer ^ now->efer) & X86_EFER_NXE)
			invalidate_all(vcpu, true);
		break;
	case CR_WRITE_CR0:
		break; /* PG 1->0 above; nothing else flushes (4.10.4.1) */
	}
}

void invalidate_everything(struct smmu_vcpu *vcpu)
{
	invalidate_all(vcpu, true);
}

/* A page fault invalidates every TLB entry for la's page in the current
 * PCID, global ones too (SDM 4.10.4.1), whichever CR3 cached them: the
 * other roots of that PCID, each under a hardware PCID of its own, must
 * lose la as well, as for INVLPG (the current root alone left them to a
 * NOFLUSH switch back). */
void invalidate_faulted_address(struct smmu_vcpu *vcpu, uint64_t la)
{
	if (gw_la_canonical(&vcpu->mmu, la))
		invalidate_address(vcpu, true, 0, gw_la(&vcpu->mmu, la));
}
