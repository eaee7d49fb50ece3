/* SPDX-License-Identifier: MIT */
/* refvmx's side of libshadowmmu: the host operations of struct
 * smmu_host_ops, over refvmx's memory, lock and flushes. */
#ifndef REFVMX_HOST_OPS_H
#define REFVMX_HOST_OPS_H

#include <shadowmmu/host.h>

/* The host operations with the flush engine's kick_cpus (the default),
 * and without it ("flush=all" on refvmx's command line), where every
 * remote flush the library needs is flush_all_cpus: an IPI to every
 * other CPU and a wait until each has flushed all its guest
 * translations. */
extern const struct smmu_host_ops refvmx_host_ops;
extern const struct smmu_host_ops refvmx_host_ops_flush_all;

/* Free what the library deferred whose grace period is over (host_ops.c
 * says what it is), and close the batch that waits for the next one.
 * Called before every VM entry, outside the guest window. */
void host_ops_run_deferred(void);

struct host_ops_stats {
	uint64_t flushes;	 /* flush_all_cpus calls */
	uint64_t deferred_frees; /* pages freed after a grace period */
	uint64_t grace_periods;	 /* batches freed */
};
extern struct host_ops_stats host_ops_stats;

#endif
