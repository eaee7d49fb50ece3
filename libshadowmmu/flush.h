/* SPDX-License-Identifier: MIT */
/*
 * Hardware flushes: the only layer that calls the host's flush
 * operations. Local flushes of a vCPU are queued and handed to the host
 * with the next smmu_entry (the vCPU is in a VM exit whenever the library
 * decides one, and nothing runs on its VPID before that entry); remote
 * ones go to flush_all_cpus at once.
 */
#ifndef SMMU_FLUSH_H
#define SMMU_FLUSH_H

#include <shadowmmu/shadowmmu.h>

struct smmu_vm;
struct smmu_vcpu;

/* Where a vCPU runs, for remote flushes. Written by calls on the vCPU's
 * behalf, read by requesters on any CPU: atomic accesses only. */
struct vcpu_placement {
	int32_t cpu;	   /* physical CPU it is loaded on; -1: none */
	int32_t last_cpu;  /* the one it ran on last; -1: never ran */
	uint32_t in_guest; /* between smmu_vcpu_enter and smmu_vcpu_exit */
	uint32_t pending;  /* PENDING_*: owed at the next entry */
	/* Entered the guest since its last full flush: it may cache
	 * translations (the TLB clock skips it when not). */
	uint32_t dirty;
	/* Assisted flushes its CPU took; its hardware PCIDs are empty but
	 * for the one it ran on (pcid.c). */
	uint64_t emptied;
};

#define PENDING_FLUSH  1u /* every translation, global ones too */
#define PENDING_RELOAD 2u /* drop the current root, load it again */

/* A vCPU's flushes waiting for its next entry. */
struct flush_queue {
	unsigned n;
	struct smmu_flush item[SMMU_ENTRY_MAX_FLUSHES]; /* narrow scopes */
	bool vcpu;     /* SMMU_FLUSH_VCPU too */
	bool vcpu_all; /* SMMU_FLUSH_VCPU_ALL: nothing else matters */
};

/* Queue a flush for vcpu's next entry. A scope the host cannot do
 * (smmu_vm_config.host_caps) becomes the narrowest one it can that
 * covers it; a full queue becomes a whole-vCPU flush. */
void flush_local(struct smmu_vcpu *vcpu, enum smmu_flush_scope scope,
		 uint16_t pcid, uint64_t la);
/* Does the queue flush all of hardware PCID pcid's non-global entries? */
bool flush_queued_covers_pcid(const struct smmu_vcpu *vcpu, uint16_t pcid);
/* Move the queue into the entry. */
void flush_take(struct smmu_vcpu *vcpu, struct smmu_entry *e);

/* Remote requests: every vCPU drops every translation of the VM, global
 * ones and the paging-structure caches included, before it uses one
 * again — at once if it is in guest mode (an interrupt, or an assisted
 * flush), at its next entry if not. MMU lock held. */
enum remote_flags {
	/* Shadow pages are about to be freed: the policy may want IPIs
	 * (smmu_policy.ipi_for_frees, seed 003). */
	REMOTE_FREES = 1u,
	/* The vCPUs must also drop their current root and load it again
	 * (a root made obsolete): a state change no TLB flush implies, and
	 * that an assisted flush cannot make (seed 002). */
	REMOTE_STATE = 2u,
};
void flush_remote(struct smmu_vm *vm, unsigned flags);

/* The vCPU's side of a remote request, at its entry: what it owes (the
 * PENDING_* bits, cleared). The caller does them, then calls
 * flush_entering, which publishes that the vCPU runs the guest; if that
 * returns false a request came in between: take the bits again. */
uint32_t flush_take_pending(struct smmu_vcpu *vcpu);
bool flush_entering(struct smmu_vcpu *vcpu);

#endif
