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

/* A vCPU's flushes waiting for its next entry. */
struct flush_queue {
	unsigned n;
	struct smmu_flush item[SMMU_ENTRY_MAX_FLUSHES]; /* narrow scopes */
	bool vcpu;	/* SMMU_FLUSH_VCPU too */
	bool vcpu_all;	/* SMMU_FLUSH_VCPU_ALL: nothing else matters */
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

/* Every CPU drops every translation of the VM, global ones and the
 * paging-structure caches included, before this returns. MMU lock held. */
void flush_remote_all(struct smmu_vm *vm);

#endif
