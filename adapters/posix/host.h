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
	/* Optional: performs the library's compare-exchanges on guest memory
	 * (accessed/dirty flags) in place of the default, e.g. so that the
	 * oracle can make the change and its record one step. */
	int (*cmpxchg_hook)(void *arg, uint64_t gpa, unsigned size,
			    uint64_t old_val, uint64_t new_val);
	/* Optional: performs guest stores made through
	 * smmu_posix_write_gpa in place of the default, like cmpxchg_hook. */
	int (*write_hook)(void *arg, uint64_t gpa, const void *buf, size_t len);
	void *hook_arg;
};

/* The walker's host ops over guest RAM (no shadow-paging ops). */
extern const struct smmu_host_ops smmu_posix_host_ops;

/* The write_gpa shadow-paging op over guest RAM, for hosts that add the
 * shadow-paging ops to smmu_posix_host_ops. */
int smmu_posix_write_gpa(void *host, uint64_t gpa, const void *buf, size_t len);

#endif
