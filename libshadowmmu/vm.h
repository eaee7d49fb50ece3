/* SPDX-License-Identifier: MIT */
/* struct smmu_vm: one guest. */
#ifndef SMMU_VM_H
#define SMMU_VM_H

#include <shadowmmu/shadowmmu.h>

#include "gwalk.h"
#include "sp.h"

/* Dirty logging (dirty_log.c): frames [first, first + count) written
 * since the last smmu_vm_dirty_log_get_and_clear, bit by bit; bits NULL
 * while not logging. */
struct dirty_log {
	uint64_t first, count;
	uint64_t *bits;
};

struct smmu_vm {
	const struct smmu_host_ops *ops;
	void *host;
	struct gw_features features;
	/* vCPUs of this VM: changed, and walked from other CPUs, under the
	 * MMU lock (smmu_vcpu_create checks an id and inserts in one step
	 * under it). A VM without the shadow-paging ops has no lock: its
	 * host serialises smmu_vcpu_create and _destroy. */
	struct smmu_vcpu *vcpus;
	bool shadow_ops;	     /* the host gave the shadow-paging ops */
	uint32_t inject;	     /* SMMU_INJECT_*: testing only */
	uint8_t unsync_after_stores; /* resolved: never 0 */
	uint8_t unsync_quiet_syncs;  /* resolved: never 0 */
	uint16_t prefetch_window;    /* resolved: a power of two */
	uint32_t host_caps;	     /* SMMU_HOST_* */
	struct smmu_policy policy;   /* resolved from the config */
	/* A vCPU entered without smmu_vcpu_load: the library does not know
	 * where vCPUs run, so remote flushes reach every CPU. Atomic. */
	uint32_t placement_unknown;
	struct shadow_vm shadow;
	struct dirty_log dirty; /* MMU lock held to change */
	/* The host's alloc() returned NULL to obj_alloc for the vCPU that
	 * holds the MMU lock (its cache ran dry): how smmu_vcpu_enter tells
	 * SMMU_ENOMEM from SMMU_ENOSPC. MMU lock held. */
	bool alloc_failed;
};

/* Is the SMMU_INJECT_* bug `knob` built into this VM? Testing only: each
 * knob turns off one correctness mechanism so that the oracle can prove
 * it catches the bug (smmu_vm_config.inject). */
static inline bool bug_planted(const struct smmu_vm *vm, uint32_t knob)
{
	return (vm->inject & knob) != 0;
}

/* Send one diagnostic line to the host, if it listens. */
static inline void smmu_log(const struct smmu_vm *vm, enum smmu_log_level level,
			    const char *msg)
{
	if (vm->ops->log)
		vm->ops->log(vm->host, level, msg);
}

#endif
