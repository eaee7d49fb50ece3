/* SPDX-License-Identifier: MIT */
/* refvmx's side of libshadowmmu: the host operations of struct
 * smmu_host_ops, over refvmx's memory, lock and flushes. */
#ifndef REFVMX_HOST_OPS_H
#define REFVMX_HOST_OPS_H

#include <shadowmmu/host.h>

extern const struct smmu_host_ops refvmx_host_ops;

/* The VPID whose translations flush_all_cpus drops on this CPU. */
void host_ops_set_vpid(uint16_t vpid);
/* Free what the library deferred: called just before VM entry, when no
 * CPU runs the guest (one CPU: the caller is the only one). */
void host_ops_run_deferred(void);

struct host_ops_stats {
	uint64_t flushes, deferred_frees;
};
extern struct host_ops_stats host_ops_stats;

#endif
