/* SPDX-License-Identifier: MIT */
/* refvmx's side of libshadowmmu: the host operations of struct
 * smmu_host_ops, over refvmx's memory, lock and flushes. */
#ifndef REFVMX_HOST_OPS_H
#define REFVMX_HOST_OPS_H

#include <shadowmmu/host.h>

extern const struct smmu_host_ops refvmx_host_ops;

/* Free what the library deferred. Called before VM entry: a deferred
 * page was unlinked, then every CPU flushed by IPI and acknowledged, so
 * no CPU's walker can reach it any more (DESIGN 4.6; the acknowledged
 * IPI is the grace period). */
void host_ops_run_deferred(void);

struct host_ops_stats {
	uint64_t flushes, deferred_frees;
};
extern struct host_ops_stats host_ops_stats;

#endif
