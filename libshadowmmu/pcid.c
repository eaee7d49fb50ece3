/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's hardware PCIDs: which root's translations each may hold, and
 * the flushes that keep that true (roots.h). With SMMU_HOST_PCID, slot i
 * of the root cache runs under hardware PCID i + 1; without it, and
 * outside IA-32e mode, everything runs under PCID 0.
 */
#include "vcpu.h"

uint16_t pcid_of_slot(const struct smmu_vcpu *vcpu, int slot)
{
	const struct smmu_vm *vm = vcpu->vm;
	if (slot < 0 || !(vm->host_caps & SMMU_HOST_PCID) ||
	    !vm->policy.hw_pcids)
		return 0;
	return (uint16_t)(slot + 1);
}

void pcid_flush_vcpu(struct smmu_vcpu *vcpu, bool global)
{
	struct vcpu_roots *r = &vcpu->roots;
	/* Read before the flush is asked for: a piece dropped after it may
	 * be flushed too, never one before it missed. */
	uint64_t splinters = __atomic_load_n(
		&vcpu->vm->shadow.splinters_dropped, __ATOMIC_ACQUIRE);
	r->splinters_flushed = splinters;
	flush_local(vcpu, global ? SMMU_FLUSH_VCPU_ALL : SMMU_FLUSH_VCPU, 0, 0);
	for (unsigned p = 0; p < SMMU_CACHED_ROOTS_MAX + 2; p++)
		r->hw_gen[p] = 0;
	/* The guest's invalidations they owed are done with it. */
	for (unsigned i = 0; i < r->nr_slots; i++)
		r->slot[i].flush_pending = false;
}

void pcid_flush(struct smmu_vcpu *vcpu, uint16_t hw_pcid)
{
	struct vcpu_roots *r = &vcpu->roots;
	if (!(vcpu->vm->host_caps & SMMU_HOST_FLUSH_PCID)) {
		pcid_flush_vcpu(vcpu, false);
		return;
	}
	flush_local(vcpu, SMMU_FLUSH_PCID, hw_pcid, 0);
	r->hw_gen[hw_pcid] = 0;
	for (unsigned i = 0; i < r->nr_slots; i++)
		if (pcid_of_slot(vcpu, (int)i) == hw_pcid)
			r->slot[i].flush_pending = false;
}

/* Remote flushes empty every hardware PCID of the vCPU (flush_all_cpus
 * every CPU's, an assisted flush this vCPU's); one left since then holds
 * nothing and needs no flush whatever runs on it next. But a flush counted
 * after a PCID was left may have reached the CPU before, while the PCID
 * still ran and was filled again: only the second one counted since is
 * sure to have come after (both kinds are made under the MMU lock, one at
 * a time; remote_flushes counts a flush once done, emptied once begun). */
static void note_remote_flushes(struct smmu_vcpu *vcpu)
{
	struct vcpu_roots *r = &vcpu->roots;
	uint64_t remote = __atomic_load_n(&vcpu->vm->shadow.remote_flushes,
					  __ATOMIC_ACQUIRE);
	uint64_t emptied =
		__atomic_load_n(&vcpu->place.emptied, __ATOMIC_ACQUIRE);
	/* The PCID the vCPU ran last was left at its last exit, before
	 * now: counting from now is later than needed, never earlier. */
	r->left_remote[r->ran_pcid] = remote;
	r->left_emptied[r->ran_pcid] = emptied;
	for (unsigned p = 0; p < SMMU_CACHED_ROOTS_MAX + 2; p++)
		if (p != r->ran_pcid && r->hw_gen[p] &&
		    (remote >= r->left_remote[p] + 2 ||
		     emptied >= r->left_emptied[p] + 2))
			r->hw_gen[p] = 0;
}

bool pcid_prepare(struct smmu_vcpu *vcpu, int slot, const struct sp *root)
{
	struct smmu_vm *vm = vcpu->vm;
	struct vcpu_roots *r = &vcpu->roots;
	uint16_t p = pcid_of_slot(vcpu, slot);
	note_remote_flushes(vcpu);
	/* The guest invalidated what this slot's PCID holds... */
	bool owed = slot >= 0 && r->slot[slot].flush_pending &&
		    !bug_planted(vm, SMMU_INJECT_NO_FLUSH_ON_INVALIDATE);
	/* ...or the PCID holds another root's translations (a root rebuilt
	 * or replaced behind the guest's back, seed 000), or another slot's:
	 * the same root under another guest PCID, whose virtual TLB this
	 * one is not (a host without hardware PCIDs, a slot taken over). */
	uint32_t owner = slot >= 0 ? r->slot[slot].id : 0;
	bool foreign = r->hw_gen[p] &&
		       (r->hw_gen[p] != root->gen || r->hw_owner[p] != owner) &&
		       !bug_planted(vm, SMMU_INJECT_NO_FLUSH_ON_NEW_ROOT);
	if (owed || foreign)
		pcid_flush(vcpu, p);
	if (slot >= 0)
		r->slot[slot].flush_pending = false;
	r->hw_gen[p] = root->gen;
	r->hw_owner[p] = owner;
	r->ran_pcid = p;
	return !owed && !foreign;
}
