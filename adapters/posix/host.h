/* SPDX-License-Identifier: MIT */
/*
 * The posix host: struct smmu_host_ops implemented in user space. Tests,
 * tools and benchmarks create one smmu_posix_host per VM and pass
 * smmu_posix_host_ops with it to smmu_vm_create().
 */
#ifndef SMMU_POSIX_HOST_H
#define SMMU_POSIX_HOST_H

#include <shadowmmu/host.h>

#include "guest_ram.h"

struct smmu_posix_host {
	struct smmu_posix_ram ram;
	bool verbose;	       /* print library log lines of every level */
	unsigned long nr_logs; /* library log lines received */
};

extern const struct smmu_host_ops smmu_posix_host_ops;

#endif
