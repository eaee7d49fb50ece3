/* SPDX-License-Identifier: MIT */
#include "lock_check.h"
#include "sync.h"
#include "vcpu.h"

void vcpu_regs_changed(struct smmu_vcpu *vcpu)
{
	struct smmu_vm *vm = vcpu->vm;
	gw_mmu_init(&vcpu->mmu, &vcpu->regs, &vm->features);
	/* The registers select the root: a cached one, or a new one. */
	if (vm->shadow_ops)
		roots_follow_regs(vcpu);
}

/* Is `id` taken? MMU lock held, where the VM has one. */
static bool vcpu_id_in_use(const struct smmu_vm *vm, uint32_t id)
{
	for (const struct smmu_vcpu *v = vm->vcpus; v; v = v->next)
		if (v->id == id)
			return true;
	return false;
}

/* What smmu_vcpu_destroy frees, of a vCPU not on the VM's list. */
static void vcpu_free(struct smmu_vcpu *vcpu)
{
	struct smmu_vm *vm = vcpu->vm;
	if (vm->shadow_ops)
		roots_destroy(vcpu);
	obj_cache_drain(vm, &vcpu->cache);
	vm->ops->free(vm->host, vcpu, sizeof(*vcpu));
}

enum smmu_status smmu_vcpu_create(struct smmu_vm *vm, uint32_t id,
				  struct smmu_vcpu **vcpu_out)
{
	if (!vm || !vcpu_out)
		return SMMU_EINVAL;
	*vcpu_out = 0;
	/* Built outside the lock (alloc may be slow; the reset state takes
	 * no root, so nothing here takes the lock), checked and inserted
	 * in one step under it: remote flushes and smmu_vm_get_stats walk
	 * the list from other CPUs, and another create of the same id, or
	 * a destroy, may run at once. */
	struct smmu_vcpu *vcpu = vm->ops->alloc(vm->host, sizeof(*vcpu));
	if (!vcpu)
		return SMMU_ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->place.cpu = vcpu->place.last_cpu = -1;
	roots_init(vcpu);
	/* Reset state (SDM 10.1, table 10-1): CR0 = 60000010H; paging off. */
	vcpu->regs.cr0 = X86_CR0_CD | X86_CR0_NW | 0x10;
	vcpu_regs_changed(vcpu);
	if (vm->shadow_ops)
		vm_lock(vm);
	bool taken = vcpu_id_in_use(vm, id);
	if (!taken) {
		vcpu->next = vm->vcpus;
		vm->vcpus = vcpu;
	}
	if (vm->shadow_ops)
		vm_unlock(vm);
	if (taken) {
		vcpu_free(vcpu);
		smmu_log(vm, SMMU_LOG_ERROR,
			 "smmu_vcpu_create: vCPU id already in use");
		return SMMU_EINVAL;
	}
	*vcpu_out = vcpu;
	return SMMU_OK;
}

void smmu_vcpu_destroy(struct smmu_vcpu *vcpu)
{
	if (!vcpu)
		return;
	struct smmu_vm *vm = vcpu->vm;
	if (vm->shadow_ops)
		vm_lock(vm);
	for (struct smmu_vcpu **p = &vm->vcpus; *p; p = &(*p)->next) {
		if (*p == vcpu) {
			*p = vcpu->next;
			break;
		}
	}
	/* Its counters stay in the VM's totals. */
	stats_accumulate(&vm->shadow.stats, &vcpu->stats);
	if (vm->shadow_ops)
		vm_unlock(vm);
	vcpu_free(vcpu);
}

enum smmu_status smmu_vcpu_load(struct smmu_vcpu *vcpu, unsigned cpu)
{
	if (!vcpu || cpu >= SMMU_MAX_CPUS)
		return SMMU_EINVAL;
	struct vcpu_placement *p = &vcpu->place;
	/* Its translations on this CPU are from its last stay here, if it
	 * ran elsewhere since: flushes made meanwhile did not reach them. */
	if (p->last_cpu >= 0 && (unsigned)p->last_cpu != cpu)
		__atomic_or_fetch(&p->pending, PENDING_FLUSH, __ATOMIC_SEQ_CST);
	__atomic_store_n(&p->cpu, (int32_t)cpu, __ATOMIC_RELEASE);
	return SMMU_OK;
}

enum smmu_status smmu_vcpu_put(struct smmu_vcpu *vcpu)
{
	if (!vcpu)
		return SMMU_EINVAL;
	struct vcpu_placement *p = &vcpu->place;
	__atomic_store_n(&p->in_guest, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&p->cpu, -1, __ATOMIC_RELEASE);
	return SMMU_OK;
}

enum smmu_status smmu_vcpu_exit(struct smmu_vcpu *vcpu)
{
	if (!vcpu)
		return SMMU_EINVAL;
	__atomic_store_n(&vcpu->place.in_guest, 0, __ATOMIC_SEQ_CST);
	return SMMU_OK;
}

static const char *paging_regs_error(const struct smmu_vm *vm,
				     const struct smmu_paging_regs *r)
{
	bool lma = r->efer & X86_EFER_LMA;
	if (r->cr0 >> 32)
		return "smmu_vcpu_set_paging: CR0 bits 63:32 are reserved";
	if ((r->cr4 & vm->features.cr4_reserved) ||
	    (r->efer & vm->features.efer_reserved))
		return "smmu_vcpu_set_paging: a CR4 or EFER bit of a paging "
		       "feature the guest's CPU lacks";
	if ((r->cr0 & X86_CR0_NW) && !(r->cr0 & X86_CR0_CD))
		return "smmu_vcpu_set_paging: CR0.NW without CR0.CD";
	if ((r->cr0 & X86_CR0_PG) && !(r->cr0 & X86_CR0_PE))
		return "smmu_vcpu_set_paging: CR0.PG without CR0.PE";
	if (lma && !((r->cr0 & X86_CR0_PG) && (r->cr4 & X86_CR4_PAE) &&
		     (r->efer & X86_EFER_LME)))
		return "smmu_vcpu_set_paging: EFER.LMA needs CR0.PG, CR4.PAE "
		       "and EFER.LME";
	if (!lma && (r->cr0 & X86_CR0_PG) && (r->efer & X86_EFER_LME))
		return "smmu_vcpu_set_paging: CR0.PG with EFER.LME needs "
		       "EFER.LMA";
	if ((r->cr4 & X86_CR4_PCIDE) && !lma)
		return "smmu_vcpu_set_paging: CR4.PCIDE needs IA-32e mode";
	if (r->cr3 & X86_CR3_NOFLUSH)
		return "smmu_vcpu_set_paging: CR3 never holds bit 63";
	if (lma && (r->cr3 & X86_BITS(62, vm->features.maxphyaddr)))
		return "smmu_vcpu_set_paging: CR3 bits beyond MAXPHYADDR";
	if (!lma && (r->cr3 >> 32))
		return "smmu_vcpu_set_paging: CR3 is 32 bits wide outside "
		       "IA-32e mode";
	return 0;
}

enum smmu_status smmu_vcpu_set_paging(struct smmu_vcpu *vcpu,
				      const struct smmu_paging_regs *regs)
{
	if (!vcpu || !regs)
		return SMMU_EINVAL;
	const char *err = paging_regs_error(vcpu->vm, regs);
	if (err) {
		smmu_log(vcpu->vm, SMMU_LOG_ERROR, err);
		return SMMU_EINVAL;
	}
	vcpu->regs = *regs;
	vcpu_regs_changed(vcpu);
	/* A state restore: nothing the guest cached before holds. */
	invalidate_everything(vcpu);
	return SMMU_OK;
}

enum smmu_status smmu_vcpu_get_paging(const struct smmu_vcpu *vcpu,
				      struct smmu_paging_regs *regs)
{
	if (!vcpu || !regs)
		return SMMU_EINVAL;
	*regs = vcpu->regs;
	return SMMU_OK;
}

enum smmu_paging_mode smmu_vcpu_paging_mode(const struct smmu_vcpu *vcpu)
{
	return vcpu ? vcpu->mmu.desc->mode : SMMU_PAGING_INVALID;
}

enum smmu_xlate_status smmu_vcpu_translate(struct smmu_vcpu *vcpu,
					   const struct smmu_access *access,
					   struct smmu_translation *out)
{
	if (!vcpu || !access || !out)
		return SMMU_XLATE_EINVAL;
	/* Tables outside RAM are the host's to judge (SMMU_XLATE_NOT_RAM). */
	struct gw_guest guest = {
		.ops = vcpu->vm->ops,
		.host = vcpu->vm->host,
		.wrote = vcpu->vm->shadow_ops ? dirty_log_wrote : 0,
		.wrote_ctx = vcpu->vm,
	};
	struct gw_walk walk;
	enum smmu_xlate_status st = gw_walk(&walk, &vcpu->mmu, &guest, access);
	*out = walk.xlate;
	return st;
}
